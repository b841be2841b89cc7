//! Points of P-256 (y² = x³ - 3x + b): affine and Jacobian forms, doubling
//! and addition with every case handled, and many Jacobian points made
//! affine with one inversion.

use super::field as fe;
use super::u256::{is_zero, ONE, U256, ZERO};

/// The curve constant b (y² = x³ - 3x + b).
pub(super) const B: U256 = [
    0x27d2_604b,
    0x3bce_3c3e,
    0xcc53_b0f6,
    0x651d_06b0,
    0x7698_86bc,
    0xb3eb_bd55,
    0xaa3a_93e7,
    0x5ac6_35d8,
];
pub(super) const GX: U256 = [
    0xd898_c296,
    0xf4a1_3945,
    0x2deb_33a0,
    0x7703_7d81,
    0x63a4_40f2,
    0xf8bc_e6e5,
    0xe12c_4247,
    0x6b17_d1f2,
];
pub(super) const GY: U256 = [
    0x37bf_51f5,
    0xcbb6_4068,
    0x6b31_5ece,
    0x2bce_3357,
    0x7c0f_9e16,
    0x8ee7_eb4a,
    0xfe1a_7f9b,
    0x4fe3_42e2,
];

/// A point in affine coordinates; never the identity.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Affine {
    pub(super) x: U256,
    pub(super) y: U256,
}

/// A point in Jacobian coordinates (x = X/Z², y = Y/Z³);
/// Z = 0 is the identity.
#[derive(Clone, Copy)]
pub(super) struct Jacobian {
    pub(super) x: U256,
    pub(super) y: U256,
    pub(super) z: U256,
}

pub(super) const IDENTITY: Jacobian = Jacobian {
    x: ZERO,
    y: ZERO,
    z: ZERO,
};

impl Jacobian {
    pub(super) fn from_affine(p: &Affine) -> Jacobian {
        Jacobian {
            x: p.x,
            y: p.y,
            z: ONE,
        }
    }

    pub(super) fn is_identity(&self) -> bool {
        is_zero(&self.z)
    }

    /// 2·self ("dbl-2001-b", a = -3).
    pub(super) fn double(&self) -> Jacobian {
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
    pub(super) fn add_affine(&self, q: &Affine) -> Jacobian {
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
    pub(super) fn add(&self, q: &Jacobian) -> Jacobian {
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

/// Jacobian → affine for many points with one inversion (Montgomery's trick).
pub(super) fn normalize(points: &[Jacobian]) -> Option<Vec<Affine>> {
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
