//! The DER encodings against RustCrypto's independent encoders (`spki`,
//! `der`, `ecdsa`) on real generated keys and signatures.

use super::*;
use ::der::Encode;
use p256::ecdsa::signature::Signer;
use p256::elliptic_curve::sec1::ToSec1Point;
use p256::elliptic_curve::Generate;
use rsa::pkcs8::EncodePublicKey;
use rsa::traits::PublicKeyParts;

#[test]
fn rsa_keys_match_the_spki_encoder() {
    let mut rng = rand::rng();
    for bits in [2048, 3072] {
        let key = rsa::RsaPrivateKey::new(&mut rng, bits)
            .unwrap()
            .to_public_key();
        let want = key.to_public_key_der().unwrap();
        let (n, e) = (key.n_bytes(), key.e_bytes());
        assert_eq!(rsa_spki(&n, &e), want.as_bytes(), "{bits} bits");
        // Leading zero bytes in the JWK (some issuers pad `n`) change nothing.
        let mut padded = vec![0, 0];
        padded.extend_from_slice(&n);
        assert_eq!(rsa_spki(&padded, &e), want.as_bytes());
    }
}

macro_rules! ec_keys_match {
    ($name:ident, $crate_:ident, $curve:expr) => {
        #[test]
        fn $name() {
            let mut rng = rand::rng();
            for _ in 0..8 {
                let secret = $crate_::SecretKey::generate_from_rng(&mut rng);
                let public = secret.public_key();
                let want = public.to_public_key_der().unwrap();
                let point = public.to_sec1_point(false);
                let (x, y) = (point.x().unwrap(), point.y().unwrap());
                assert_eq!(ec_spki($curve, x, y), want.as_bytes());
            }
        }
    };
}
ec_keys_match!(p256_keys_match_the_spki_encoder, p256, Curve::P256);
ec_keys_match!(p384_keys_match_the_spki_encoder, p384, Curve::P384);
ec_keys_match!(p521_keys_match_the_spki_encoder, p521, Curve::P521);

macro_rules! signatures_match {
    ($name:ident, $crate_:ident, $curve:expr) => {
        #[test]
        fn $name() {
            let mut rng = rand::rng();
            let key =
                $crate_::ecdsa::SigningKey::from($crate_::SecretKey::generate_from_rng(&mut rng));
            for i in 0..64u32 {
                let sig: $crate_::ecdsa::Signature = key.sign(&i.to_be_bytes());
                let raw = sig.to_bytes();
                assert_eq!(
                    ecdsa_signature($curve, &raw).unwrap(),
                    sig.to_der().as_bytes(),
                    "{i}"
                );
            }
        }
    };
}
signatures_match!(p256_signatures_match_the_ecdsa_encoder, p256, Curve::P256);
signatures_match!(p384_signatures_match_the_ecdsa_encoder, p384, Curve::P384);
signatures_match!(p521_signatures_match_the_ecdsa_encoder, p521, Curve::P521);

/// Values no valid signature has (zero, leading zeros, the top bit set, all
/// ones) are still encoded as minimal DER INTEGERs: the `der` crate's
/// encoding of each, inside one SEQUENCE.
#[test]
fn edge_values_are_minimal_integers() {
    for curve in [Curve::P256, Curve::P384, Curve::P521] {
        let n = curve.size();
        let values: Vec<Vec<u8>> = vec![
            vec![0; n],
            {
                let mut v = vec![0; n];
                v[n - 1] = 1;
                v
            },
            vec![0xff; n],
            {
                let mut v = vec![0; n];
                v[1] = 0x80;
                v
            },
            {
                let mut v = vec![0x7f; n];
                v[0] = 0;
                v
            },
        ];
        for r in &values {
            for s in &values {
                let raw = [r.as_slice(), s.as_slice()].concat();
                let int = |v: &[u8]| ::der::asn1::UintRef::new(v).unwrap().to_der().unwrap();
                let body = [int(r), int(s)].concat();
                let mut want = Vec::new();
                ::der::Header::new(
                    ::der::Tag::Sequence,
                    ::der::Length::try_from(body.len()).unwrap(),
                )
                .encode_to_vec(&mut want)
                .unwrap();
                want.extend_from_slice(&body);
                assert_eq!(ecdsa_signature(curve, &raw).unwrap(), want, "{curve:?}");
            }
        }
    }
}

#[test]
fn wrong_lengths_are_refused() {
    for (curve, good) in [(Curve::P256, 64), (Curve::P384, 96), (Curve::P521, 132)] {
        assert!(ecdsa_signature(curve, &vec![1; good]).is_some());
        for len in [0, good - 1, good + 1, 2 * good] {
            assert!(
                ecdsa_signature(curve, &vec![1; len]).is_none(),
                "{curve:?} {len}"
            );
        }
    }
}
