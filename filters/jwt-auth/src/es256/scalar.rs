//! Arithmetic modulo the group order n (the signature's scalars): a·b mod n
//! by Montgomery multiplication, a⁻¹ mod n by binary extended Euclid.

use super::u256::{add_raw, half, is_zero, less, sub_mod, sub_raw, ONE, U256, ZERO};

/// The group order n.
pub(super) const N: U256 = [
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
pub(super) const N0INV: u32 = 0xee00_bc4f;
pub(super) const N_RR: U256 = [
    0xbe79_eea2,
    0x8324_4c95,
    0x49bd_6fa6,
    0x4699_799c,
    0x2b6b_ec59,
    0x2845_b239,
    0xf3d9_5620,
    0x66e1_2d94,
];

/// a⁻¹ mod n for 0 < a < n (binary extended Euclid; variable time, which is
/// fine for public inputs).
pub(super) fn inv_mod_n(a: &U256) -> U256 {
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
pub(super) fn mont_mul_n(a: &U256, b: &U256) -> U256 {
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
pub(super) fn mul_mod_n(a: &U256, b: &U256) -> U256 {
    mont_mul_n(&mont_mul_n(a, b), &N_RR)
}
