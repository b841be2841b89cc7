//! How a signature is checked: the one function every algorithm goes through,
//! so the implementation behind an algorithm is chosen in one place: RSA
//! PKCS#1 v1.5 and ECDSA through the host's `verify_signature` where the
//! backend allows it (`backend`, chosen by `self_test`), else the module's
//! own code.

pub mod backend;
pub mod protobuf;
pub mod self_test;
mod self_test_vectors;

use crate::der::{self, Curve};
use crate::jwks::{Alg, Jwk, KeyMaterial};
use crate::rsa::Hash;
use backend::{Backend, Family};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Sha256, Sha384, Sha512};

/// Whether `sig` is `key`'s signature of `input` under `alg`. False whenever
/// the key does not accept `alg` (the token's header never chooses the
/// verification method on its own).
pub fn verify(backend: &Backend, alg: Alg, key: &Jwk, input: &[u8], sig: &[u8]) -> bool {
    if !key.accepts(alg) {
        return false;
    }
    if let Some(answer) = via_host(backend, alg, key, input, sig) {
        return answer;
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

/// The host's answer, when the backend sends `alg` to the host and the host
/// answers. Malformed signatures are refused before the call: a JWS ECDSA
/// signature must be exactly `r‖s` of the curve's size, an RSA signature
/// exactly as long as the modulus. `None` leaves the signature to the module
/// (P-521 has no module code: `verify` refuses it then).
fn via_host(backend: &Backend, alg: Alg, key: &Jwk, input: &[u8], sig: &[u8]) -> Option<bool> {
    let (family, hash, curve) = match alg {
        Alg::RS256 => (Family::Rsa, "sha256", None),
        Alg::RS384 => (Family::Rsa, "sha384", None),
        Alg::RS512 => (Family::Rsa, "sha512", None),
        Alg::ES256 => (Family::P256, "sha256", Some(Curve::P256)),
        Alg::ES384 => (Family::P384, "sha384", Some(Curve::P384)),
        Alg::ES512 => (Family::P521, "sha512", Some(Curve::P521)),
        _ => return None,
    };
    if !backend.serves(family) {
        return None;
    }
    let spki = key.spki.as_deref()?;
    match (curve, &key.material) {
        (Some(curve), _) => {
            let Some(der) = der::ecdsa_signature(curve, sig) else {
                return Some(false);
            };
            backend.ask_host(hash, spki, &der, input)
        }
        (None, KeyMaterial::Rsa(k)) if sig.len() != k.modulus_len() => Some(false),
        (None, _) => backend.ask_host(hash, spki, sig, input),
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
