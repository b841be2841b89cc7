//! How a signature is checked: the one function every algorithm goes through,
//! so the implementation behind an algorithm can be swapped in one place.

use crate::jwks::{Alg, Jwk, KeyMaterial};
use crate::rsa::Hash;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Sha256, Sha384, Sha512};

/// Whether `sig` is `key`'s signature of `input` under `alg`. False whenever
/// the key does not accept `alg` (the token's header never chooses the
/// verification method on its own).
pub fn verify(alg: Alg, key: &Jwk, input: &[u8], sig: &[u8]) -> bool {
    if !key.accepts(alg) {
        return false;
    }
    match (&key.material, alg) {
        (KeyMaterial::Hmac(k), Alg::HS256) => hmac_ok::<Hmac<Sha256>>(k, input, sig),
        (KeyMaterial::Hmac(k), Alg::HS384) => hmac_ok::<Hmac<Sha384>>(k, input, sig),
        (KeyMaterial::Hmac(k), Alg::HS512) => hmac_ok::<Hmac<Sha512>>(k, input, sig),
        (KeyMaterial::Rsa(k), Alg::RS256) => k.verify_pkcs1(Hash::Sha256, input, sig),
        (KeyMaterial::Rsa(k), Alg::RS384) => k.verify_pkcs1(Hash::Sha384, input, sig),
        (KeyMaterial::Rsa(k), Alg::RS512) => k.verify_pkcs1(Hash::Sha512, input, sig),
        (KeyMaterial::Rsa(k), Alg::PS256) => k.verify_pss(Hash::Sha256, input, sig),
        (KeyMaterial::Rsa(k), Alg::PS384) => k.verify_pss(Hash::Sha384, input, sig),
        (KeyMaterial::Rsa(k), Alg::PS512) => k.verify_pss(Hash::Sha512, input, sig),
        (KeyMaterial::P256(k), Alg::ES256) => k.verify(input, sig),
        (KeyMaterial::P384(k), Alg::ES384) => {
            use p384::ecdsa::signature::Verifier;
            p384::ecdsa::Signature::from_slice(sig).is_ok_and(|s| k.verify(input, &s).is_ok())
        }
        (KeyMaterial::Ed25519(k), Alg::EdDSA) => <[u8; 64]>::try_from(sig).is_ok_and(|b| {
            k.verify_strict(input, &ed25519_dalek::Signature::from_bytes(&b))
                .is_ok()
        }),
        _ => false,
    }
}

fn hmac_ok<M: Mac + KeyInit>(key: &[u8], input: &[u8], sig: &[u8]) -> bool {
    let Ok(mut mac) = <M as KeyInit>::new_from_slice(key) else {
        return false;
    };
    mac.update(input);
    // Constant-time comparison.
    mac.verify_slice(sig).is_ok()
}
