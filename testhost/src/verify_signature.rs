//! A model of Envoy's `verify_signature` foreign function (Envoy
//! `source/extensions/common/wasm/foreign.cc`, messages in
//! `source/extensions/common/wasm/ext/verify_signature.proto`, verification in
//! `source/common/crypto/utility_impl.cc`), with the RustCrypto crates in
//! place of BoringSSL. It follows Envoy in what a filter can observe:
//!
//! - the arguments are a `VerifySignatureArguments` message (`hash_function`
//!   = 1, `public_key` = 2 DER SubjectPublicKeyInfo, `signature` = 3, `text`
//!   = 4, `public_key_pem` = 5 used when `public_key` is empty); bytes that
//!   are not such a message are `BadArgument`;
//! - the answer is a `VerifySignatureResult` (`result` = 1, `error` = 2) with
//!   status `Ok`, also when the signature is refused: `result` false and an
//!   error text (an unknown hash, a key that does not import, a bad
//!   signature);
//! - `EVP_DigestVerify`: RSA keys verify RSASSA-PKCS1-v1_5 (no PSS), EC keys
//!   (P-256, P-384, P-521, named curves) verify ECDSA with a strict DER
//!   `ECDSA-Sig-Value` (r, s in 1..n−1, high s accepted) over the digest.
//!
//! Not modelled: `sha1` and `sha224` (answered as unsupported hashes here;
//! Envoy supports them) and Envoy's exact error texts.

use p256::ecdsa::signature::hazmat::PrehashVerifier;
use rsa::pkcs8::DecodePublicKey;
use sha2::{Digest, Sha256, Sha384, Sha512};

/// What testhost answers to `proxy_call_foreign_function("verify_signature")`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VerifySignature {
    /// The model of Envoy's function (the default).
    #[default]
    Envoy,
    /// No such function: `NotFound`, as on hosts without it.
    Absent,
    /// `result: true` to every well-formed request, whatever the signature
    /// (a broken host; a filter's self-test must not trust it).
    AlwaysTrue,
}

/// The encoded `VerifySignatureResult` for encoded `VerifySignatureArguments`,
/// or `None` (`BadArgument`) when the arguments are not such a message.
pub fn answer(mode: VerifySignature, arguments: &[u8]) -> Option<Vec<u8>> {
    let args = Arguments::decode(arguments)?;
    let (result, error) = match mode {
        VerifySignature::AlwaysTrue => (true, String::new()),
        _ => match verify(&args) {
            Ok(()) => (true, String::new()),
            Err(e) => (false, e),
        },
    };
    let mut out = Vec::new();
    if result {
        out.extend_from_slice(&[0x08, 0x01]);
    }
    if !error.is_empty() {
        out.push(0x12);
        put_varint(&mut out, error.len() as u64);
        out.extend_from_slice(error.as_bytes());
    }
    Some(out)
}

#[derive(Default)]
struct Arguments {
    hash_function: String,
    public_key: Vec<u8>,
    signature: Vec<u8>,
    text: Vec<u8>,
    public_key_pem: String,
}

impl Arguments {
    fn decode(mut b: &[u8]) -> Option<Arguments> {
        let mut a = Arguments::default();
        while !b.is_empty() {
            let key = varint(&mut b)?;
            match key & 7 {
                0 => {
                    varint(&mut b)?;
                }
                1 => b = b.get(8..)?,
                5 => b = b.get(4..)?,
                2 => {
                    let len = usize::try_from(varint(&mut b)?).ok()?;
                    let (v, rest) = b.split_at_checked(len)?;
                    b = rest;
                    match key >> 3 {
                        1 => a.hash_function = String::from_utf8(v.to_vec()).ok()?,
                        2 => a.public_key = v.to_vec(),
                        3 => a.signature = v.to_vec(),
                        4 => a.text = v.to_vec(),
                        5 => a.public_key_pem = String::from_utf8(v.to_vec()).ok()?,
                        _ => {}
                    }
                }
                _ => return None,
            }
        }
        Some(a)
    }
}

enum Key {
    Rsa(rsa::RsaPublicKey),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
}

fn import(a: &Arguments) -> Option<Key> {
    macro_rules! try_as {
        ($ty:ty) => {
            if a.public_key.is_empty() {
                <$ty>::from_public_key_pem(&a.public_key_pem).ok()
            } else {
                <$ty>::from_public_key_der(&a.public_key).ok()
            }
        };
    }
    if let Some(k) = try_as!(rsa::RsaPublicKey) {
        return Some(Key::Rsa(k));
    }
    if let Some(k) = try_as!(p256::PublicKey) {
        return Some(Key::P256(k.into()));
    }
    if let Some(k) = try_as!(p384::PublicKey) {
        return Some(Key::P384(k.into()));
    }
    try_as!(p521::PublicKey).map(|k| Key::P521(k.into()))
}

fn verify(a: &Arguments) -> Result<(), String> {
    let (digest, scheme) = match a.hash_function.as_str() {
        "sha256" => (
            Sha256::digest(&a.text).to_vec(),
            rsa::Pkcs1v15Sign::new::<Sha256>(),
        ),
        "sha384" => (
            Sha384::digest(&a.text).to_vec(),
            rsa::Pkcs1v15Sign::new::<Sha384>(),
        ),
        "sha512" => (
            Sha512::digest(&a.text).to_vec(),
            rsa::Pkcs1v15Sign::new::<Sha512>(),
        ),
        other => return Err(format!("{other} is not supported.")),
    };
    let key = import(a).ok_or("Failed to initialize digest verify.")?;
    let failed = || "Failed to verify digest. Error code: 0".to_string();
    match key {
        Key::Rsa(k) => k
            .verify(scheme, &digest, &a.signature)
            .map_err(|_| failed()),
        Key::P256(k) => p256::ecdsa::Signature::from_der(&a.signature)
            .ok()
            .filter(|s| k.verify_prehash(&digest, s).is_ok())
            .map(|_| ())
            .ok_or_else(failed),
        Key::P384(k) => p384::ecdsa::Signature::from_der(&a.signature)
            .ok()
            .filter(|s| k.verify_prehash(&digest, s).is_ok())
            .map(|_| ())
            .ok_or_else(failed),
        Key::P521(k) => p521::ecdsa::Signature::from_der(&a.signature)
            .ok()
            .filter(|s| k.verify_prehash(&digest, s).is_ok())
            .map(|_| ())
            .ok_or_else(failed),
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn varint(b: &mut &[u8]) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = b.split_first()?;
        *b = rest;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}
