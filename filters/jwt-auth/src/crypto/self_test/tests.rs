use super::*;
use crate::crypto::backend::Family;
use testhost::VerifySignature;

fn envoy(args: &[u8]) -> Option<Vec<u8>> {
    testhost::verify_signature::answer(VerifySignature::Envoy, args)
}
fn always_true(args: &[u8]) -> Option<Vec<u8>> {
    testhost::verify_signature::answer(VerifySignature::AlwaysTrue, args)
}
fn absent(_: &[u8]) -> Option<Vec<u8>> {
    None
}
fn garbage(_: &[u8]) -> Option<Vec<u8>> {
    Some(vec![0xff])
}
/// Knows RSA only: refuses every EC key.
fn rsa_only(args: &[u8]) -> Option<Vec<u8>> {
    if v::RSA_SPKI
        .windows(20)
        .any(|w| args.windows(20).any(|a| a == w))
    {
        envoy(args)
    } else {
        Some(vec![0x12, 3, b'n', b'o', b'!'])
    }
}

#[test]
fn the_model_of_envoy_passes_every_family() {
    let b = choose(envoy);
    for f in Family::ALL {
        assert!(b.serves(f), "{f:?}");
    }
    assert_eq!(
        b.describe(),
        "host verify_signature for RSA, P-256, P-384, P-521"
    );
}

#[test]
fn hosts_that_cannot_be_trusted_get_nothing() {
    for call in [always_true as HostCall, absent, garbage] {
        let b = choose(call);
        for f in Family::ALL {
            assert!(!b.serves(f), "{f:?}");
        }
        assert!(b.describe().starts_with("module code for every key family"));
    }
}

#[test]
fn a_family_the_host_gets_wrong_stays_in_the_module() {
    let b = choose(rsa_only);
    assert!(b.serves(Family::Rsa));
    assert!(!b.serves(Family::P256) && !b.serves(Family::P384) && !b.serves(Family::P521));
    assert_eq!(
        b.describe(),
        "host verify_signature for RSA; module code for P-256, P-384, P-521"
    );
}

/// The embedded vectors are what they claim: checked with RustCrypto.
#[test]
fn vectors_verify_with_rustcrypto() {
    use p256::ecdsa::signature::Verifier;
    use rsa::pkcs8::DecodePublicKey;
    let rsa_key = rsa::RsaPublicKey::from_public_key_der(&v::RSA_SPKI).unwrap();
    let digest = <sha2::Sha256 as sha2::Digest>::digest(v::TEXT);
    assert!(rsa_key
        .verify(
            rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
            &digest,
            &v::RSA_SIG
        )
        .is_ok());
    let k = p256::ecdsa::VerifyingKey::from_public_key_der(&v::P256_SPKI).unwrap();
    let s = p256::ecdsa::Signature::from_slice(&v::P256_SIG).unwrap();
    assert!(k.verify(v::TEXT, &s).is_ok());
    let k = p384::ecdsa::VerifyingKey::from_public_key_der(&v::P384_SPKI).unwrap();
    let s = p384::ecdsa::Signature::from_slice(&v::P384_SIG).unwrap();
    assert!(k.verify(v::TEXT, &s).is_ok());
    let k = p521::ecdsa::VerifyingKey::from_public_key_der(&v::P521_SPKI).unwrap();
    let s = p521::ecdsa::Signature::from_slice(&v::P521_SIG).unwrap();
    assert!(k.verify(v::TEXT, &s).is_ok());
}
