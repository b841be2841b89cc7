//! The purpose-written ES256 verifier (`es256.rs`) against the RustCrypto
//! `p256` crate: random keys, messages and signatures, valid and corrupted,
//! and the edge cases (r or s zero or ≥ n, high s, the identity as the sum,
//! x(R) ≥ n, off-curve keys) must get the same answer from both.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use jwt_auth::es256::PublicKey;
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::elliptic_curve::ops::Reduce;
use p256::elliptic_curve::{Generate, PrimeField};
use p256::{AffinePoint, FieldBytes, ProjectivePoint, Scalar};
use rand::{Rng, RngExt};

const N_BE: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

fn coordinates(vk: &VerifyingKey) -> ([u8; 32], [u8; 32]) {
    let p = vk.to_sec1_point(false);
    (
        p.x().unwrap().as_slice().try_into().unwrap(),
        p.y().unwrap().as_slice().try_into().unwrap(),
    )
}

fn ours(vk: &VerifyingKey) -> PublicKey {
    let (x, y) = coordinates(vk);
    PublicKey::from_coordinates(&x, &y).expect("a valid key")
}

fn theirs(vk: &VerifyingKey, msg: &[u8], sig: &[u8]) -> bool {
    Signature::from_slice(sig).is_ok_and(|s| vk.verify(msg, &s).is_ok())
}

fn theirs_prehash(vk: &VerifyingKey, digest: &[u8; 32], sig: &[u8]) -> bool {
    Signature::from_slice(sig).is_ok_and(|s| vk.verify_prehash(digest, &s).is_ok())
}

/// a + b as 32-byte big-endian numbers (wrapping).
fn add_be(a: &[u8], b: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in (0..32).rev() {
        let s = u16::from(a[i]) + u16::from(b[i]) + carry;
        out[i] = s as u8;
        carry = s >> 8;
    }
    out
}

fn corruptions(sig: &[u8], rng: &mut impl Rng) -> Vec<Vec<u8>> {
    let (r, s) = sig.split_at(32);
    let mut out = Vec::new();
    let mut flipped = sig.to_vec();
    let i = rng.random_range(0..64);
    flipped[i] ^= 1 << rng.random_range(0..8);
    out.push(flipped);
    out.push([s, r].concat());
    out.push([r, &[0u8; 32][..]].concat());
    out.push([&[0u8; 32][..], s].concat());
    out.push([r, &N_BE[..]].concat());
    out.push([&N_BE[..], s].concat());
    out.push([&add_be(r, &N_BE)[..], s].concat());
    out.push([r, &add_be(s, &N_BE)[..]].concat());
    out.push(vec![0xff; 64]);
    out.push(sig[..63].to_vec());
    out.push([sig, &[0u8][..]].concat());
    let mut random = vec![0u8; 64];
    rng.fill_bytes(&mut random);
    out.push(random);
    out
}

#[test]
fn agrees_with_p256_on_random_keys_messages_and_corruptions() {
    let mut rng = rand::rng();
    let mut checked = 0;
    for _ in 0..24 {
        let sk = SigningKey::generate_from_rng(&mut rng);
        let vk = *sk.verifying_key();
        let key = ours(&vk);
        for _ in 0..8 {
            let mut msg = vec![0u8; rng.random_range(0..200)];
            rng.fill_bytes(&mut msg);
            let sig: Signature = sk.sign(&msg);
            let sig = sig.to_bytes().to_vec();
            assert!(key.verify(&msg, &sig));
            assert!(theirs(&vk, &msg, &sig));
            // High s: n - s is as valid (p256 does not normalize for P-256).
            let (r, s) = Signature::from_slice(&sig).unwrap().split_scalars();
            let high = Signature::from_scalars(*r, -*s).unwrap().to_bytes();
            assert_eq!(key.verify(&msg, &high), theirs(&vk, &msg, &high));
            assert!(key.verify(&msg, &high));
            let mut other = msg.clone();
            other.push(1);
            assert!(!key.verify(&other, &sig));
            for bad in corruptions(&sig, &mut rng) {
                assert_eq!(
                    key.verify(&msg, &bad),
                    theirs(&vk, &msg, &bad),
                    "{bad:02x?}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 2000);
}

#[test]
fn agrees_with_p256_on_the_wrong_key() {
    let mut rng = rand::rng();
    let sk = SigningKey::generate_from_rng(&mut rng);
    let other = *SigningKey::generate_from_rng(&mut rng).verifying_key();
    let sig: Signature = sk.sign(b"hello");
    assert!(!ours(&other).verify(b"hello", &sig.to_bytes()));
    assert!(!theirs(&other, b"hello", &sig.to_bytes()));
}

#[test]
fn refuses_when_the_sum_is_the_identity() {
    // u1·G + u2·Q = (e + r·d)/s · G is the identity when d = -e/r.
    let digest = [7u8; 32];
    let e = <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(digest));
    let r = Scalar::from(12345u64);
    let s = Scalar::from(999u64);
    let d = -(e * r.invert().unwrap());
    let q = (ProjectivePoint::GENERATOR * d).to_affine();
    let vk = VerifyingKey::from_affine(q).unwrap();
    let sig = Signature::from_scalars(r, s).unwrap().to_bytes();
    assert!(!theirs_prehash(&vk, &digest, &sig));
    assert!(!ours(&vk).verify_prehash(&digest, &sig));
}

#[test]
fn accepts_when_x_of_the_sum_is_above_n() {
    // With e = 0 and s = r, u1 = 0 and u2 = 1, so the sum is Q itself: a key
    // whose x lies in [n, p) must verify r = x - n.
    let mut x = N_BE;
    let q = loop {
        x = add_be(&x, &{
            let mut one = [0u8; 32];
            one[31] = 1;
            one
        });
        let mut sec1 = vec![0x02];
        sec1.extend_from_slice(&x);
        if let Ok(vk) = VerifyingKey::from_sec1_bytes(&sec1) {
            break vk;
        }
    };
    let mut r = [0u8; 32];
    let x_minus_n = Scalar::from_repr(FieldBytes::from(x)).is_none(); // x ≥ n
    assert!(bool::from(x_minus_n));
    // r = x - n as a scalar: x mod n.
    let rs = <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(x));
    r.copy_from_slice(&rs.to_repr());
    let sig = [r, r].concat();
    let zero = [0u8; 32];
    assert!(theirs_prehash(&q, &zero, &sig));
    assert!(ours(&q).verify_prehash(&zero, &sig));
    // And the same x without the reduction is refused by both.
    let mut sig_x = x.to_vec();
    sig_x.extend_from_slice(&r);
    assert!(!ours(&q).verify_prehash(&zero, &sig_x));
    assert!(!theirs_prehash(&q, &zero, &sig_x));
}

#[test]
fn agrees_on_digests_at_or_above_n() {
    let mut rng = rand::rng();
    let sk = SigningKey::generate_from_rng(&mut rng);
    let vk = *sk.verifying_key();
    let key = ours(&vk);
    for digest in [N_BE, add_be(&N_BE, &[1u8; 32]), [0xff; 32], [0; 32]] {
        use p256::ecdsa::signature::hazmat::PrehashSigner;
        let sig: Signature = sk.sign_prehash(&digest).unwrap();
        let sig = sig.to_bytes();
        assert!(theirs_prehash(&vk, &digest, &sig));
        assert!(key.verify_prehash(&digest, &sig));
        let mut bad = sig.to_vec();
        bad[40] ^= 4;
        assert_eq!(
            key.verify_prehash(&digest, &bad),
            theirs_prehash(&vk, &digest, &bad)
        );
    }
}

#[test]
fn refuses_off_curve_and_out_of_range_keys() {
    let mut rng = rand::rng();
    let vk = *SigningKey::generate_from_rng(&mut rng).verifying_key();
    let (x, y) = coordinates(&vk);
    let mut y2 = y;
    y2[31] ^= 1;
    assert!(PublicKey::from_coordinates(&x, &y2).is_none());
    assert!(PublicKey::from_coordinates(&[0; 32], &[0; 32]).is_none());
    // y + p is the same residue but not a canonical coordinate.
    let p_be: [u8; 32] = {
        let mut p = [0xffu8; 32];
        p[4..8].copy_from_slice(&[0, 0, 0, 1]);
        p[8..20].fill(0);
        p
    };
    let (y_plus_p, carry) = {
        let s = add_be(&y, &p_be);
        (s, s < y)
    };
    if !carry {
        assert!(PublicKey::from_coordinates(&x, &y_plus_p).is_none());
    }
    assert!(PublicKey::from_coordinates(&p_be, &y).is_none());
    // The negated point (x, p - y) is a valid, different key.
    let neg = AffinePoint::from(-ProjectivePoint::from(*vk.as_affine()));
    let neg_vk = VerifyingKey::from_affine(neg).unwrap();
    let (nx, ny) = coordinates(&neg_vk);
    assert_eq!(nx, x);
    assert!(PublicKey::from_coordinates(&nx, &ny).is_some());
}

#[test]
fn handles_a_sum_that_doubles_or_cancels() {
    use p256::elliptic_curve::point::AffineCoordinates;
    // Key G (or -G) and digest = r = s, so u1 = u2 = 1: the second pass adds
    // G to an accumulator that is already G (a doubling inside the addition),
    // or -G to G (the identity).
    let two_g = (ProjectivePoint::GENERATOR + ProjectivePoint::GENERATOR).to_affine();
    let r = <Scalar as Reduce<FieldBytes>>::reduce(&two_g.x());
    let r_be: [u8; 32] = r.to_repr().into();
    let sig = [r_be, r_be].concat();
    let g = VerifyingKey::from_affine(AffinePoint::GENERATOR).unwrap();
    assert!(theirs_prehash(&g, &r_be, &sig));
    assert!(ours(&g).verify_prehash(&r_be, &sig));
    let neg_g = VerifyingKey::from_affine(-AffinePoint::GENERATOR).unwrap();
    assert!(!theirs_prehash(&neg_g, &r_be, &sig));
    assert!(!ours(&neg_g).verify_prehash(&r_be, &sig));
}
