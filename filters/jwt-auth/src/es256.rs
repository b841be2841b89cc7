//! How an ES256 signature is verified (ECDSA over P-256 with SHA-256, FIPS
//! 186-5 §6.4.2). Purpose-written for verification only: every input is
//! public, so nothing here needs to be constant-time. Limbs are 32 bits (wasm
//! has a native 32×32→64 multiply but no 64×64→128 one); points are in
//! Jacobian coordinates.
//!
//! The lever is precomputation: u1·G + u2·Q is a sum of 37 + 52 table points,
//! one per 7-bit (G) or 5-bit (key) digit of each scalar, with no doubling at
//! request time. G's table is built once per VM, a key's table once when its
//! JWKS is parsed.

use sha2::{Digest, Sha256};
use std::sync::{Arc, OnceLock};

/// 256-bit number, little-endian 32-bit limbs.
type U256 = [u32; 8];

/// The field prime p = 2²⁵⁶ - 2²²⁴ + 2¹⁹² + 2⁹⁶ - 1.
const P: U256 = [
    0xffff_ffff,
    0xffff_ffff,
    0xffff_ffff,
    0,
    0,
    0,
    1,
    0xffff_ffff,
];

/// The group order n.
const N: U256 = [
    0xfc63_2551,
    0xf3b9_cac2,
    0xa717_9e84,
    0xbce6_faad,
    0xffff_ffff,
    0xffff_ffff,
    0,
    0xffff_ffff,
];
/// -n⁻¹ mod 2³² and R² mod n (R = 2²⁵⁶), for Montgomery multiplication mod n.
const N0INV: u32 = 0xee00_bc4f;
const N_RR: U256 = [
    0xbe79_eea2,
    0x8324_4c95,
    0x49bd_6fa6,
    0x4699_799c,
    0x2b6b_ec59,
    0x2845_b239,
    0xf3d9_5620,
    0x66e1_2d94,
];

/// The curve constant b (y² = x³ - 3x + b).
const B: U256 = [
    0x27d2_604b,
    0x3bce_3c3e,
    0xcc53_b0f6,
    0x651d_06b0,
    0x7698_86bc,
    0xb3eb_bd55,
    0xaa3a_93e7,
    0x5ac6_35d8,
];
const GX: U256 = [
    0xd898_c296,
    0xf4a1_3945,
    0x2deb_33a0,
    0x7703_7d81,
    0x63a4_40f2,
    0xf8bc_e6e5,
    0xe12c_4247,
    0x6b17_d1f2,
];
const GY: U256 = [
    0x37bf_51f5,
    0xcbb6_4068,
    0x6b31_5ece,
    0x2bce_3357,
    0x7c0f_9e16,
    0x8ee7_eb4a,
    0xfe1a_7f9b,
    0x4fe3_42e2,
];

const ZERO: U256 = [0; 8];
const ONE: U256 = [1, 0, 0, 0, 0, 0, 0, 0];

fn from_be(bytes: &[u8; 32]) -> U256 {
    let mut out = ZERO;
    for (l, c) in out.iter_mut().zip(bytes.rchunks_exact(4)) {
        *l = c.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b));
    }
    out
}

/// Repeats `$step!(i)` for each limb index, written out: the release
/// profile optimizes for size and would leave these loops rolled.
macro_rules! each_limb {
    ($step:ident) => {
        $step!(0);
        $step!(1);
        $step!(2);
        $step!(3);
        $step!(4);
        $step!(5);
        $step!(6);
        $step!(7);
    };
}

#[inline(always)]
fn less(a: &U256, b: &U256) -> bool {
    sub_raw(a, b).1
}

fn is_zero(a: &U256) -> bool {
    a.iter().all(|&l| l == 0)
}

/// a + b as 256 bits and the carry out.
#[inline(always)]
fn add_raw(a: &U256, b: &U256) -> (U256, bool) {
    let mut out = ZERO;
    let mut carry = 0u64;
    macro_rules! step {
        ($i:literal) => {
            let s = u64::from(a[$i]) + u64::from(b[$i]) + carry;
            out[$i] = s as u32;
            carry = s >> 32;
        };
    }
    each_limb!(step);
    (out, carry != 0)
}

/// a - b as 256 bits and the borrow out.
#[inline(always)]
fn sub_raw(a: &U256, b: &U256) -> (U256, bool) {
    let mut out = ZERO;
    let mut borrow = 0u64;
    macro_rules! step {
        ($i:literal) => {
            let d = u64::from(a[$i])
                .wrapping_sub(u64::from(b[$i]))
                .wrapping_sub(borrow);
            out[$i] = d as u32;
            borrow = d >> 63;
        };
    }
    each_limb!(step);
    (out, borrow != 0)
}

/// a + b mod m, for a, b < m.
#[inline(always)]
fn add_mod(a: &U256, b: &U256, m: &U256) -> U256 {
    let (s, carry) = add_raw(a, b);
    let (d, borrow) = sub_raw(&s, m);
    if carry || !borrow {
        d
    } else {
        s
    }
}

/// a - b mod m, for a, b < m.
#[inline(always)]
fn sub_mod(a: &U256, b: &U256, m: &U256) -> U256 {
    let (d, borrow) = sub_raw(a, b);
    if borrow {
        add_raw(&d, m).0
    } else {
        d
    }
}

/// x / 2, with `top` as bit 256 of x.
fn half(x: &mut U256, top: bool) {
    let mut carry = u32::from(top);
    for l in x.iter_mut().rev() {
        let next = *l & 1;
        *l = *l >> 1 | carry << 31;
        carry = next;
    }
}

/// a⁻¹ mod n for 0 < a < n (binary extended Euclid; variable time, which is
/// fine for public inputs).
fn inv_mod_n(a: &U256) -> U256 {
    // Invariants: x1·a ≡ u and x2·a ≡ v (mod n), gcd(u, v) = 1.
    let (mut u, mut v) = (*a, N);
    let (mut x1, mut x2) = (ONE, ZERO);
    let halve = |y: &mut U256, x: &mut U256| {
        while y.first().is_some_and(|l| l & 1 == 0) && !is_zero(y) {
            half(y, false);
            if x.first().is_some_and(|l| l & 1 == 1) {
                let (s, carry) = add_raw(x, &N);
                *x = s;
                half(x, carry);
            } else {
                half(x, false);
            }
        }
    };
    while u != ONE && v != ONE {
        if is_zero(&u) || is_zero(&v) {
            return ZERO;
        }
        halve(&mut u, &mut x1);
        halve(&mut v, &mut x2);
        if less(&u, &v) {
            v = sub_raw(&v, &u).0;
            x2 = sub_mod(&x2, &x1, &N);
        } else {
            u = sub_raw(&u, &v).0;
            x1 = sub_mod(&x1, &x2, &N);
        }
    }
    if u == ONE {
        x1
    } else {
        x2
    }
}

/// a·b·R⁻¹ mod n (CIOS Montgomery multiplication), for a, b < n. Only a few
/// of these run per signature, so it stays a plain loop.
fn mont_mul_n(a: &U256, b: &U256) -> U256 {
    let mut t = ZERO;
    let mut hi: u64 = 0;
    for &bi in b {
        let bi = u64::from(bi);
        // t += a·bi (9 limbs: t, hi).
        let mut c = 0u64;
        for (tj, &aj) in t.iter_mut().zip(a) {
            let s = u64::from(*tj) + u64::from(aj) * bi + c;
            *tj = s as u32;
            c = s >> 32;
        }
        let top = hi + c;
        // t = (t + q·n) / 2³², q chosen so the low limb vanishes.
        let [t0, ..] = t;
        let q = u64::from(t0.wrapping_mul(N0INV));
        let mut c = 0u64;
        let mut shifted = ZERO;
        let mut low = true;
        let mut out = shifted.iter_mut();
        for (tj, &nj) in t.iter().zip(&N) {
            let s = u64::from(*tj) + q * u64::from(nj) + c;
            c = s >> 32;
            if low {
                low = false;
            } else if let Some(o) = out.next() {
                *o = s as u32;
            }
        }
        let s = top + c;
        if let Some(o) = out.next() {
            *o = s as u32;
        }
        hi = s >> 32;
        t = shifted;
    }
    if hi != 0 || !less(&t, &N) {
        sub_raw(&t, &N).0
    } else {
        t
    }
}

/// a·b mod n, for a, b < n.
fn mul_mod_n(a: &U256, b: &U256) -> U256 {
    mont_mul_n(&mont_mul_n(a, b), &N_RR)
}

/// Field arithmetic mod p, elements fully reduced. Multiplication is a
/// 512-bit product reduced with p's special form (FIPS 186 D.2.3), written
/// out limb by limb: the release profile optimizes for size and would leave
/// loops rolled, which costs more than half the speed in V8.
mod fe {
    use super::{add_mod, less, sub_mod, sub_raw, P, U256, ZERO};

    pub fn add(a: &U256, b: &U256) -> U256 {
        add_mod(a, b, &P)
    }

    pub fn sub(a: &U256, b: &U256) -> U256 {
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

    pub fn mul(a: &U256, b: &U256) -> U256 {
        reduce(&mul_wide(a, b))
    }

    pub fn sqr(a: &U256) -> U256 {
        reduce(&sqr_wide(a))
    }

    /// a⁻¹ = a^(p-2), for a ≠ 0 (configuration time only).
    pub fn inv(a: &U256) -> U256 {
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
}

/// A point in affine coordinates; never the identity.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Affine {
    x: U256,
    y: U256,
}

/// A point in Jacobian coordinates (x = X/Z², y = Y/Z³);
/// Z = 0 is the identity.
#[derive(Clone, Copy)]
struct Jacobian {
    x: U256,
    y: U256,
    z: U256,
}

const IDENTITY: Jacobian = Jacobian {
    x: ZERO,
    y: ZERO,
    z: ZERO,
};

impl Jacobian {
    fn from_affine(p: &Affine) -> Jacobian {
        Jacobian {
            x: p.x,
            y: p.y,
            z: ONE,
        }
    }

    fn is_identity(&self) -> bool {
        is_zero(&self.z)
    }

    /// 2·self ("dbl-2001-b", a = -3).
    fn double(&self) -> Jacobian {
        if self.is_identity() {
            return IDENTITY;
        }
        let delta = fe::sqr(&self.z);
        let gamma = fe::sqr(&self.y);
        let beta = fe::mul(&self.x, &gamma);
        let t = fe::mul(&fe::sub(&self.x, &delta), &fe::add(&self.x, &delta));
        let alpha = fe::add(&fe::add(&t, &t), &t);
        let beta4 = fe::add(&beta, &beta);
        let beta4 = fe::add(&beta4, &beta4);
        let beta8 = fe::add(&beta4, &beta4);
        let x3 = fe::sub(&fe::sqr(&alpha), &beta8);
        let yz = fe::add(&self.y, &self.z);
        let z3 = fe::sub(&fe::sub(&fe::sqr(&yz), &gamma), &delta);
        let gamma2 = fe::sqr(&gamma);
        let g2 = fe::add(&gamma2, &gamma2);
        let g4 = fe::add(&g2, &g2);
        let g8 = fe::add(&g4, &g4);
        let y3 = fe::sub(&fe::mul(&alpha, &fe::sub(&beta4, &x3)), &g8);
        Jacobian {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    /// self + q for an affine q ("madd-2007-bl"), every case handled.
    fn add_affine(&self, q: &Affine) -> Jacobian {
        if self.is_identity() {
            return Jacobian::from_affine(q);
        }
        let z1z1 = fe::sqr(&self.z);
        let u2 = fe::mul(&q.x, &z1z1);
        let s2 = fe::mul(&q.y, &fe::mul(&self.z, &z1z1));
        let h = fe::sub(&u2, &self.x);
        let r_half = fe::sub(&s2, &self.y);
        if is_zero(&h) {
            return if is_zero(&r_half) {
                self.double()
            } else {
                IDENTITY
            };
        }
        let hh = fe::sqr(&h);
        let i = fe::add(&hh, &hh);
        let i = fe::add(&i, &i);
        let j = fe::mul(&h, &i);
        let r = fe::add(&r_half, &r_half);
        let v = fe::mul(&self.x, &i);
        let x3 = fe::sub(&fe::sub(&fe::sqr(&r), &j), &fe::add(&v, &v));
        let y1j = fe::mul(&self.y, &j);
        let y3 = fe::sub(&fe::mul(&r, &fe::sub(&v, &x3)), &fe::add(&y1j, &y1j));
        let zh = fe::add(&self.z, &h);
        let z3 = fe::sub(&fe::sub(&fe::sqr(&zh), &z1z1), &hh);
        Jacobian {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    /// self + q ("add-2007-bl"), every case handled.
    fn add(&self, q: &Jacobian) -> Jacobian {
        if self.is_identity() {
            return *q;
        }
        if q.is_identity() {
            return *self;
        }
        let z1z1 = fe::sqr(&self.z);
        let z2z2 = fe::sqr(&q.z);
        let u1 = fe::mul(&self.x, &z2z2);
        let u2 = fe::mul(&q.x, &z1z1);
        let s1 = fe::mul(&self.y, &fe::mul(&q.z, &z2z2));
        let s2 = fe::mul(&q.y, &fe::mul(&self.z, &z1z1));
        let h = fe::sub(&u2, &u1);
        let r_half = fe::sub(&s2, &s1);
        if is_zero(&h) {
            return if is_zero(&r_half) {
                self.double()
            } else {
                IDENTITY
            };
        }
        let h2 = fe::add(&h, &h);
        let i = fe::sqr(&h2);
        let j = fe::mul(&h, &i);
        let r = fe::add(&r_half, &r_half);
        let v = fe::mul(&u1, &i);
        let x3 = fe::sub(&fe::sub(&fe::sqr(&r), &j), &fe::add(&v, &v));
        let s1j = fe::mul(&s1, &j);
        let y3 = fe::sub(&fe::mul(&r, &fe::sub(&v, &x3)), &fe::add(&s1j, &s1j));
        let zz = fe::add(&self.z, &q.z);
        let z3 = fe::mul(&fe::sub(&fe::sub(&fe::sqr(&zz), &z1z1), &z2z2), &h);
        Jacobian {
            x: x3,
            y: y3,
            z: z3,
        }
    }
}

/// Window widths in bits: wider for G (one table per VM, about 300 KB
/// built in a few ms), narrower for keys (one table each, about 100 KB,
/// rebuilt when a JWKS is refreshed).
const G_WINDOW: usize = 7;
const KEY_WINDOW: usize = 5;

/// `points[i·(2ʷ - 1) + d - 1]` = d·2^(w·i)·P for each digit d in 1..2ʷ, i
/// below ⌈256 / w⌉.
struct Table {
    window: usize,
    points: Vec<Affine>,
}

impl Table {
    /// None only if a multiple were the identity, which cannot happen for a
    /// point of prime order n.
    fn new(p: &Affine, window: usize) -> Option<Table> {
        let per_row = (1usize << window) - 1;
        let rows = 256usize.div_ceil(window);
        let mut jac: Vec<Jacobian> = Vec::with_capacity(rows * per_row);
        let mut base = Jacobian::from_affine(p);
        for _ in 0..rows {
            let mut acc = base;
            jac.push(acc);
            for _ in 1..per_row {
                acc = acc.add(&base);
                jac.push(acc);
            }
            // 2ʷ·base = 2·(2ʷ⁻¹·base).
            let half = jac.len() - per_row + (1 << (window - 1)) - 1;
            base = jac.get(half)?.double();
        }
        Some(Table {
            window,
            points: normalize(&jac)?,
        })
    }

    /// Adds k·P to `acc`, one table point per non-zero digit of k.
    fn add_multiple(&self, acc: &mut Jacobian, k: &U256) {
        let per_row = (1usize << self.window) - 1;
        for (i, row) in self.points.chunks_exact(per_row).enumerate() {
            let d = digit(k, i * self.window, self.window);
            if let Some(pt) = d.checked_sub(1).and_then(|j| row.get(j)) {
                *acc = acc.add_affine(pt);
            }
        }
    }
}

/// The `width` bits of k starting at bit `at` (bits above 255 are zero).
fn digit(k: &U256, at: usize, width: usize) -> usize {
    let limb = |i: usize| u64::from(k.get(i).copied().unwrap_or(0));
    let two = limb(at / 32 + 1) << 32 | limb(at / 32);
    ((two >> (at % 32)) & ((1u64 << width) - 1)) as usize
}

/// Jacobian → affine for many points with one inversion (Montgomery's trick).
fn normalize(points: &[Jacobian]) -> Option<Vec<Affine>> {
    let mut prefix = Vec::with_capacity(points.len());
    let mut acc = ONE;
    for p in points {
        if p.is_identity() {
            return None;
        }
        acc = fe::mul(&acc, &p.z);
        prefix.push(acc);
    }
    let mut inv = fe::inv(&acc);
    let mut out = vec![Affine { x: ZERO, y: ZERO }; points.len()];
    for (k, (p, o)) in points.iter().zip(out.iter_mut()).enumerate().rev() {
        let zinv = match k.checked_sub(1).and_then(|i| prefix.get(i)) {
            Some(before) => fe::mul(&inv, before),
            None => inv,
        };
        inv = fe::mul(&inv, &p.z);
        let zinv2 = fe::sqr(&zinv);
        let zinv3 = fe::mul(&zinv2, &zinv);
        *o = Affine {
            x: fe::mul(&p.x, &zinv2),
            y: fe::mul(&p.y, &zinv3),
        };
    }
    Some(out)
}

fn generator_table() -> &'static Table {
    static G: OnceLock<Table> = OnceLock::new();
    G.get_or_init(|| {
        let g = Affine { x: GX, y: GY };
        // G is a fixed point of order n: the table always exists.
        Table::new(&g, G_WINDOW).unwrap_or(Table {
            window: G_WINDOW,
            points: Vec::new(),
        })
    })
}

/// A validated P-256 public key with its precomputed multiples.
#[derive(Clone)]
pub struct PublicKey {
    table: Arc<Table>,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("P256PublicKey")
    }
}

impl PublicKey {
    /// From the big-endian affine coordinates (JWK `x`, `y`). Refuses
    /// coordinates ≥ p and points not on the curve (the identity has no
    /// affine form, and P-256 has no other small-order points).
    pub fn from_coordinates(x: &[u8; 32], y: &[u8; 32]) -> Option<PublicKey> {
        let (x, y) = (from_be(x), from_be(y));
        if !less(&x, &P) || !less(&y, &P) {
            return None;
        }
        let x3 = fe::mul(&fe::sqr(&x), &x);
        let three_x = fe::add(&fe::add(&x, &x), &x);
        let rhs = fe::add(&fe::sub(&x3, &three_x), &B);
        if fe::sqr(&y) != rhs {
            return None;
        }
        // Build G's table now rather than on the first request.
        generator_table();
        let table = Table::new(&Affine { x, y }, KEY_WINDOW)?;
        Some(PublicKey {
            table: Arc::new(table),
        })
    }

    /// Verifies a JWS ES256 signature (`r ‖ s`, 32 bytes each, big-endian)
    /// of `message`. High-s signatures are valid, as in FIPS 186 and JWS.
    pub fn verify(&self, message: &[u8], sig: &[u8]) -> bool {
        let digest: [u8; 32] = Sha256::digest(message).into();
        self.verify_prehash(&digest, sig)
    }

    /// Verifies against a 32-byte digest.
    pub fn verify_prehash(&self, digest: &[u8; 32], sig: &[u8]) -> bool {
        let Ok(sig) = <&[u8; 64]>::try_from(sig) else {
            return false;
        };
        let (r_be, s_be) = sig.split_at(32);
        let (Ok(r_be), Ok(s_be)) = (<&[u8; 32]>::try_from(r_be), <&[u8; 32]>::try_from(s_be))
        else {
            return false;
        };
        let (r, s) = (from_be(r_be), from_be(s_be));
        if is_zero(&r) || is_zero(&s) || !less(&r, &N) || !less(&s, &N) {
            return false;
        }
        // e = digest mod n: one subtraction suffices as n > 2²⁵⁵.
        let mut e = from_be(digest);
        if !less(&e, &N) {
            e = sub_raw(&e, &N).0;
        }
        let w = inv_mod_n(&s);
        let u1 = mul_mod_n(&e, &w);
        let u2 = mul_mod_n(&r, &w);
        let mut acc = IDENTITY;
        generator_table().add_multiple(&mut acc, &u1);
        self.table.add_multiple(&mut acc, &u2);
        if acc.is_identity() {
            return false;
        }
        // x(R) mod n = r ⇔ X = r'·Z² for r' = r or r + n (when below p), the
        // affine x being X/Z² < p.
        let zz = fe::sqr(&acc.z);
        if fe::mul(&r, &zz) == acc.x {
            return true;
        }
        match add_raw(&r, &N) {
            (rn, false) if less(&rn, &P) => fe::mul(&rn, &zz) == acc.x,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to_big(x: &U256) -> Vec<u8> {
        x.iter().rev().flat_map(|l| l.to_be_bytes()).collect()
    }

    /// A deterministic stream of 256-bit numbers below `m`.
    fn numbers(m: &U256, count: usize) -> Vec<U256> {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        (0..count)
            .map(|_| {
                let mut x = ZERO;
                for l in x.iter_mut() {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    *l = (seed >> 32) as u32;
                }
                // Also the extremes: all ones below m, tiny values.
                match x[0] % 7 {
                    0 => sub_raw(m, &ONE).0,
                    1 => [x[1] % 3, 0, 0, 0, 0, 0, 0, 0],
                    _ if less(&x, m) => x,
                    _ => sub_raw(&x, m).0,
                }
            })
            .collect()
    }

    /// a·b mod m by shift-and-add (slow, obviously right).
    fn mul_slow(a: &U256, b: &U256, m: &U256) -> U256 {
        let mut acc = ZERO;
        for limb in b.iter().rev() {
            for bit in (0..32).rev() {
                acc = add_mod(&acc, &acc, m);
                if limb >> bit & 1 == 1 {
                    acc = add_mod(&acc, a, m);
                }
            }
        }
        acc
    }

    #[test]
    fn field_multiplication_matches_shift_and_add() {
        let xs = numbers(&P, 300);
        for pair in xs.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let expect = mul_slow(a, b, &P);
            assert_eq!(fe::mul(a, b), expect);
            assert_eq!(fe::mul(b, a), expect);
            assert_eq!(fe::sqr(a), mul_slow(a, a, &P));
        }
        for a in xs.iter().take(20).filter(|a| !is_zero(a)) {
            assert_eq!(fe::mul(a, &fe::inv(a)), ONE);
        }
    }

    #[test]
    fn scalar_arithmetic_matches_shift_and_add() {
        // R² mod n by doubling 1 512 times.
        let mut x = ONE;
        for _ in 0..512 {
            x = add_mod(&x, &x, &N);
        }
        assert_eq!(x, N_RR);
        let [n0, ..] = N;
        assert_eq!(n0.wrapping_mul(N0INV.wrapping_neg()), 1);
        let xs = numbers(&N, 200);
        for pair in xs.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            assert_eq!(mul_mod_n(a, b), mul_slow(a, b, &N));
            if !is_zero(a) {
                assert_eq!(mul_mod_n(a, &inv_mod_n(a)), ONE, "{a:x?}");
            }
        }
        assert_eq!(inv_mod_n(&ONE), ONE);
        let n1 = sub_raw(&N, &ONE).0;
        assert_eq!(inv_mod_n(&n1), n1);
    }

    #[test]
    fn digits_cover_every_bit_once() {
        for k in numbers(&N, 20) {
            for width in [4, 5, 7] {
                let mut rebuilt = ZERO;
                for i in 0..256usize.div_ceil(width) {
                    let d = digit(&k, i * width, width);
                    assert!(d < 1 << width);
                    for b in 0..width {
                        let bit = i * width + b;
                        if d >> b & 1 == 1 {
                            assert!(bit < 256);
                            rebuilt[bit / 32] |= 1 << (bit % 32);
                        }
                    }
                }
                assert_eq!(rebuilt, k);
            }
        }
    }

    #[test]
    fn generator_is_on_the_curve_and_has_order_n() {
        let g = |b: &U256| {
            let bytes = to_big(b);
            <[u8; 32]>::try_from(bytes.as_slice()).unwrap()
        };
        assert!(PublicKey::from_coordinates(&g(&GX), &g(&GY)).is_some());
        // n·G = identity: (n-1)·G + G.
        let mut acc = IDENTITY;
        let nm1 = sub_raw(&N, &ONE).0;
        generator_table().add_multiple(&mut acc, &nm1);
        assert!(!acc.is_identity());
        let gpt = generator_table().points[0];
        assert!(acc.add_affine(&gpt).is_identity());
    }
}
