//! Whether a JWK's P-521 coordinates are a point on the curve
//! (y² = x³ − 3x + b mod p, p = 2^521 − 1; SEC 1 §3.2.2.1 / SP 800-186).
//! The module does not verify P-521 signatures itself (the host backend
//! does), but a key off the curve is a malformed JWKS whoever verifies.
//! Multiplication reuses RSA's Montgomery arithmetic; only additions are
//! written here.

use crate::montgomery::Modulus;

/// Bytes of a coordinate.
pub const SIZE: usize = 66;

/// p = 2^521 − 1, big-endian.
const P: [u8; SIZE] = {
    let mut p = [0xff; SIZE];
    p[0] = 0x01;
    p
};

/// The curve's b, big-endian.
const B: [u8; SIZE] = [
    0x00, 0x51, 0x95, 0x3e, 0xb9, 0x61, 0x8e, 0x1c, 0x9a, 0x1f, 0x92, 0x9a, 0x21, 0xa0, 0xb6, 0x85,
    0x40, 0xee, 0xa2, 0xda, 0x72, 0x5b, 0x99, 0xb3, 0x15, 0xf3, 0xb8, 0xb4, 0x89, 0x91, 0x8e, 0xf1,
    0x09, 0xe1, 0x56, 0x19, 0x39, 0x51, 0xec, 0x7e, 0x93, 0x7b, 0x16, 0x52, 0xc0, 0xbd, 0x3b, 0xb1,
    0xbf, 0x07, 0x35, 0x73, 0xdf, 0x88, 0x3d, 0x2c, 0x34, 0xf1, 0xef, 0x45, 0x1f, 0xd4, 0x6b, 0x50,
    0x3f, 0x00,
];

/// Whether (x, y), big-endian `SIZE` bytes each, is a point of P-521: both
/// below p and on the curve.
pub fn on_curve(x: &[u8], y: &[u8]) -> bool {
    if x.len() != SIZE || y.len() != SIZE || x >= P.as_slice() || y >= P.as_slice() {
        return false;
    }
    let Some(p) = Modulus::new(&P) else {
        return false;
    };
    let x3 = p.pow(x, 3, SIZE);
    let y2 = p.pow(y, 2, SIZE);
    // y² + 3x = x³ + b, every term below p.
    let lhs = add(&add(&add(&y2, x), x), x);
    let rhs = add(&x3, &B);
    lhs == rhs
}

/// (a + b) mod p for a, b < p, big-endian.
fn add(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut sum = vec![0u8; SIZE];
    let mut carry = 0u16;
    for i in (0..SIZE).rev() {
        let s = u16::from(a.get(i).copied().unwrap_or(0))
            + u16::from(b.get(i).copied().unwrap_or(0))
            + carry;
        if let Some(d) = sum.get_mut(i) {
            *d = s as u8;
        }
        carry = s >> 8;
    }
    // a + b < 2p < 2^528: no carry out of SIZE bytes.
    if sum.as_slice() >= P.as_slice() {
        let mut borrow = 0i16;
        for i in (0..SIZE).rev() {
            let Some(d) = sum.get_mut(i) else { continue };
            let v = i16::from(*d) - i16::from(P.get(i).copied().unwrap_or(0)) - borrow;
            *d = v.rem_euclid(256) as u8;
            borrow = i16::from(v < 0);
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generator_and_real_keys_are_on_the_curve_and_changed_ones_are_not() {
        // The generator (SP 800-186 §3.2.1.5).
        let gx = hex("00c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d3dbaa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5bd66");
        let gy = hex("011839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd17273e662c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94769fd16650");
        assert!(on_curve(&gx, &gy));
        let mut rng = rand::rng();
        for _ in 0..5 {
            let key =
                <p521::SecretKey as p521::elliptic_curve::Generate>::generate_from_rng(&mut rng);
            let point =
                p521::elliptic_curve::sec1::ToSec1Point::to_sec1_point(&key.public_key(), false);
            let (x, y) = (point.x().unwrap(), point.y().unwrap());
            assert!(on_curve(x, y));
            let mut bad = y.to_vec();
            bad[65] ^= 1;
            assert!(!on_curve(x, &bad));
        }
        assert!(!on_curve(&P, &gy), "x = p");
        assert!(!on_curve(&gx[1..], &gy), "65 bytes");
        assert!(!on_curve(&[0; SIZE], &[0; SIZE]));
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
}
