//! 256-bit unsigned integers as eight little-endian 32-bit limbs: compare,
//! add and subtract (raw and modulo an odd m), halve, read big-endian bytes.

/// 256-bit number, little-endian 32-bit limbs.
pub(super) type U256 = [u32; 8];

pub(super) const ZERO: U256 = [0; 8];
pub(super) const ONE: U256 = [1, 0, 0, 0, 0, 0, 0, 0];

pub(super) fn from_be(bytes: &[u8; 32]) -> U256 {
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

pub(super) use each_limb;

#[inline(always)]
pub(super) fn less(a: &U256, b: &U256) -> bool {
    sub_raw(a, b).1
}

pub(super) fn is_zero(a: &U256) -> bool {
    a.iter().all(|&l| l == 0)
}

/// a + b as 256 bits and the carry out.
#[inline(always)]
pub(super) fn add_raw(a: &U256, b: &U256) -> (U256, bool) {
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
pub(super) fn sub_raw(a: &U256, b: &U256) -> (U256, bool) {
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
pub(super) fn add_mod(a: &U256, b: &U256, m: &U256) -> U256 {
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
pub(super) fn sub_mod(a: &U256, b: &U256, m: &U256) -> U256 {
    let (d, borrow) = sub_raw(a, b);
    if borrow {
        add_raw(&d, m).0
    } else {
        d
    }
}

/// x / 2, with `top` as bit 256 of x.
pub(super) fn half(x: &mut U256, top: bool) {
    let mut carry = u32::from(top);
    for l in x.iter_mut().rev() {
        let next = *l & 1;
        *l = *l >> 1 | carry << 31;
        carry = next;
    }
}
