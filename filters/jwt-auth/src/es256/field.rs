//! The base field: arithmetic mod p (the points' coordinates), elements fully
//! reduced. Multiplication is a
//! 512-bit product reduced with p's special form (FIPS 186 D.2.3), written
//! out limb by limb: the release profile optimizes for size and would leave
//! loops rolled, which costs more than half the speed in V8.

use super::u256::{add_mod, each_limb, less, sub_mod, sub_raw, U256, ZERO};

/// The field prime p = 2²⁵⁶ - 2²²⁴ + 2¹⁹² + 2⁹⁶ - 1.
pub(super) const P: U256 = [
    0xffff_ffff,
    0xffff_ffff,
    0xffff_ffff,
    0,
    0,
    0,
    1,
    0xffff_ffff,
];

pub(super) fn add(a: &U256, b: &U256) -> U256 {
    add_mod(a, b, &P)
}

pub(super) fn sub(a: &U256, b: &U256) -> U256 {
    sub_mod(a, b, &P)
}

#[inline(always)]
fn mul_wide(a: &U256, b: &U256) -> [u32; 16] {
    let mut out = [0u32; 16];
    // Column accumulator: `lo` plus `hi`·2⁶⁴.
    let (mut lo, mut hi) = (0u64, 0u64);
    macro_rules! column {
        ($k:literal: $(($i:literal, $j:literal))*) => {
            $(
                let (s, o) = lo.overflowing_add(u64::from(a[$i]) * u64::from(b[$j]));
                lo = s;
                hi += u64::from(o);
            )*
            out[$k] = lo as u32;
            lo = lo >> 32 | hi << 32;
            hi = 0;
        };
    }
    column!(0: (0, 0));
    column!(1: (0, 1) (1, 0));
    column!(2: (0, 2) (1, 1) (2, 0));
    column!(3: (0, 3) (1, 2) (2, 1) (3, 0));
    column!(4: (0, 4) (1, 3) (2, 2) (3, 1) (4, 0));
    column!(5: (0, 5) (1, 4) (2, 3) (3, 2) (4, 1) (5, 0));
    column!(6: (0, 6) (1, 5) (2, 4) (3, 3) (4, 2) (5, 1) (6, 0));
    column!(7: (0, 7) (1, 6) (2, 5) (3, 4) (4, 3) (5, 2) (6, 1) (7, 0));
    column!(8: (1, 7) (2, 6) (3, 5) (4, 4) (5, 3) (6, 2) (7, 1));
    column!(9: (2, 7) (3, 6) (4, 5) (5, 4) (6, 3) (7, 2));
    column!(10: (3, 7) (4, 6) (5, 5) (6, 4) (7, 3));
    column!(11: (4, 7) (5, 6) (6, 5) (7, 4));
    column!(12: (5, 7) (6, 6) (7, 5));
    column!(13: (6, 7) (7, 6));
    column!(14: (7, 7));
    let _ = hi;
    out[15] = lo as u32;
    out
}

#[inline(always)]
fn sqr_wide(a: &U256) -> [u32; 16] {
    let mut out = [0u32; 16];
    // Carry into the next column.
    let mut carry = 0u64;
    // Off-diagonal products once, doubled, then the square on the diagonal.
    macro_rules! column {
        ($k:literal: $(($i:literal, $j:literal))* $(; $d:literal)?) => {
            let (mut lo, mut hi) = (0u64, 0u64);
            $(
                let (s, o) = lo.overflowing_add(u64::from(a[$i]) * u64::from(a[$j]));
                lo = s;
                hi += u64::from(o);
            )*
            hi = hi << 1 | lo >> 63;
            lo <<= 1;
            $(
                let (s, o) = lo.overflowing_add(u64::from(a[$d]) * u64::from(a[$d]));
                lo = s;
                hi += u64::from(o);
            )?
            let (s, o) = lo.overflowing_add(carry);
            lo = s;
            hi += u64::from(o);
            out[$k] = lo as u32;
            carry = lo >> 32 | hi << 32;
        };
    }
    column!(0: ; 0);
    column!(1: (0, 1));
    column!(2: (0, 2) ; 1);
    column!(3: (0, 3) (1, 2));
    column!(4: (0, 4) (1, 3) ; 2);
    column!(5: (0, 5) (1, 4) (2, 3));
    column!(6: (0, 6) (1, 5) (2, 4) ; 3);
    column!(7: (0, 7) (1, 6) (2, 5) (3, 4));
    column!(8: (1, 7) (2, 6) (3, 5) ; 4);
    column!(9: (2, 7) (3, 6) (4, 5));
    column!(10: (3, 7) (4, 6) ; 5);
    column!(11: (4, 7) (5, 6));
    column!(12: (5, 7) ; 6);
    column!(13: (6, 7));
    column!(14: ; 7);
    out[15] = carry as u32;
    out
}

/// c mod p for c < p², by p's special form: c ≡ s1 + 2s2 + 2s3 + s4 + s5
/// - d1 - d2 - d3 - d4 (FIPS 186-4 D.2.3), then small multiples of p.
#[inline(always)]
fn reduce(c: &[u32; 16]) -> U256 {
    let w = |k: usize| -> i64 { c.get(k).map_or(0, |&v| i64::from(v)) };
    let (c0, c1, c2, c3, c4, c5, c6, c7) = (w(0), w(1), w(2), w(3), w(4), w(5), w(6), w(7));
    let (c8, c9, c10, c11, c12, c13, c14, c15) =
        (w(8), w(9), w(10), w(11), w(12), w(13), w(14), w(15));
    let mut acc: [i64; 8] = [
        c0 + c8 + c9 - c11 - c12 - c13 - c14,
        c1 + c9 + c10 - c12 - c13 - c14 - c15,
        c2 + c10 + c11 - c13 - c14 - c15,
        c3 + 2 * c11 + 2 * c12 + c13 - c15 - c8 - c9,
        c4 + 2 * c12 + 2 * c13 + c14 - c9 - c10,
        c5 + 2 * c13 + 2 * c14 + c15 - c10 - c11,
        c6 + 3 * c14 + 2 * c15 + c13 - c8 - c9,
        c7 + 3 * c15 + c8 - c10 - c11 - c12 - c13,
    ];
    let mut out = ZERO;
    loop {
        // Carry propagation; `top` is the signed multiple of 2²⁵⁶ left over.
        let mut top = 0i64;
        macro_rules! step {
            ($i:literal) => {
                let v = acc[$i] + top;
                out[$i] = v as u32;
                top = v >> 32;
            };
        }
        each_limb!(step);
        if top == 0 {
            break;
        }
        // 2²⁵⁶ ≡ 2²²⁴ - 2¹⁹² - 2⁹⁶ + 1 (mod p).
        acc = out.map(i64::from);
        acc[0] += top;
        acc[3] -= top;
        acc[6] -= top;
        acc[7] += top;
    }
    if less(&out, &P) {
        out
    } else {
        sub_raw(&out, &P).0
    }
}

pub(super) fn mul(a: &U256, b: &U256) -> U256 {
    reduce(&mul_wide(a, b))
}

pub(super) fn sqr(a: &U256) -> U256 {
    reduce(&sqr_wide(a))
}

/// a⁻¹ = a^(p-2), for a ≠ 0 (configuration time only).
pub(super) fn inv(a: &U256) -> U256 {
    let e = sub_raw(&P, &[2, 0, 0, 0, 0, 0, 0, 0]).0;
    let mut r = [1, 0, 0, 0, 0, 0, 0, 0];
    for limb in e.iter().rev() {
        for bit in (0..32).rev() {
            r = sqr(&r);
            if limb >> bit & 1 == 1 {
                r = mul(&r, a);
            }
        }
    }
    r
}
