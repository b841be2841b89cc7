//! A token split, decoded, parsed and verified against a fixed key set
//! (HS256, HS512 without kid, ES256, RS256, PS256), and the time and audience
//! claims read. Property: whenever jwt-auth's verifier accepts a signature,
//! the RustCrypto reference (hmac, p256, rsa) accepts it with the same key
//! choice — and, for the tokens this target signs itself, the reverse too.
//!
//! Input: first byte even → the rest is the token. Odd → a token is minted:
//! byte 1 picks the key, byte 2 and 3 an optional bit flip of the signature,
//! byte 4 where the header ends; the header and claims are base64url-encoded
//! as given and signed with the reference signer.
#![no_main]

use hmac::{Hmac, KeyInit, Mac};
use jwt_auth::b64;
use jwt_auth::jwks::KeySet;
use jwt_auth::verify;
use libfuzzer_sys::fuzz_target;
use p256::ecdsa::signature::{Signer, Verifier};
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::{pkcs1v15, pss, RsaPrivateKey, RsaPublicKey};
use sha2::{Sha256, Sha512};
use std::sync::OnceLock;

const HS256_SECRET: &[u8; 32] = b"fuzz-hs256-secret-of-32-bytes!!!";
const HS512_SECRET: &[u8; 64] = b"fuzz-hs512-secret-of-64-bytes-fuzz-hs512-secret-of-64-bytes!!!!!";
const P256_SCALAR: [u8; 32] = [7; 32];

struct Keys {
    set: KeySet,
    p256: p256::ecdsa::SigningKey,
    rsa: RsaPrivateKey,
    rsa_public: RsaPublicKey,
}

/// kid, alg of each key in the set (all pinned to one alg; one without kid).
const KEYS: [(Option<&str>, &str); 5] = [
    (Some("hs"), "HS256"),
    (None, "HS512"),
    (Some("es"), "ES256"),
    (Some("rs"), "RS256"),
    (Some("ps"), "PS256"),
];

fn keys() -> &'static Keys {
    static KEYS_ONCE: OnceLock<Keys> = OnceLock::new();
    KEYS_ONCE.get_or_init(|| {
        let p256 = p256::ecdsa::SigningKey::from_slice(&P256_SCALAR).expect("scalar");
        let rsa = RsaPrivateKey::from_pkcs8_der(include_bytes!("../keys/rsa2048.pk8.der"))
            .expect("the committed RSA test key");
        let rsa_public = rsa.to_public_key();
        let point = p256.verifying_key().to_sec1_point(false);
        let (x, y) = (point.x().expect("x"), point.y().expect("y"));
        let (n, e) = (b64::encode(&rsa.n_bytes()), b64::encode(&rsa.e_bytes()));
        let jwks = serde_json::json!({"keys": [
            {"kty": "oct", "kid": "hs", "alg": "HS256", "k": b64::encode(HS256_SECRET)},
            {"kty": "oct", "alg": "HS512", "k": b64::encode(HS512_SECRET)},
            {"kty": "EC", "crv": "P-256", "kid": "es", "alg": "ES256", "x": b64::encode(x), "y": b64::encode(y)},
            {"kty": "RSA", "kid": "rs", "alg": "RS256", "n": n, "e": e},
            {"kty": "RSA", "kid": "ps", "alg": "PS256", "n": n, "e": e},
        ]});
        let (set, problems) = jwt_auth::jwks::parse(jwks.to_string().as_bytes());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(set.keys.len(), KEYS.len());
        Keys {
            set,
            p256,
            rsa,
            rsa_public,
        }
    })
}

fn hmac_ok<M: Mac + KeyInit>(key: &[u8], input: &[u8], sig: &[u8]) -> bool {
    let mut m = <M as KeyInit>::new_from_slice(key).expect("any key length");
    m.update(input);
    m.verify_slice(sig).is_ok()
}

/// The reference verdict for one key of `KEYS`.
fn reference(keys: &Keys, alg: &str, input: &[u8], sig: &[u8]) -> bool {
    match alg {
        "HS256" => hmac_ok::<Hmac<Sha256>>(HS256_SECRET, input, sig),
        "HS512" => hmac_ok::<Hmac<Sha512>>(HS512_SECRET, input, sig),
        "ES256" => p256::ecdsa::Signature::from_slice(sig)
            .is_ok_and(|s| keys.p256.verifying_key().verify(input, &s).is_ok()),
        "RS256" => pkcs1v15::Signature::try_from(sig).is_ok_and(|s| {
            pkcs1v15::VerifyingKey::<Sha256>::new(keys.rsa_public.clone())
                .verify(input, &s)
                .is_ok()
        }),
        "PS256" => pss::Signature::try_from(sig).is_ok_and(|s| {
            pss::VerifyingKey::<Sha256>::new(keys.rsa_public.clone())
                .verify(input, &s)
                .is_ok()
        }),
        _ => false,
    }
}

/// Signs with the reference signer (PS256 is randomized: not minted).
fn sign(keys: &Keys, alg: &str, input: &[u8]) -> Vec<u8> {
    match alg {
        "HS256" | "HS512" => {
            let key: &[u8] = if alg == "HS256" {
                HS256_SECRET
            } else {
                HS512_SECRET
            };
            if alg == "HS256" {
                let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("key");
                m.update(input);
                m.finalize().into_bytes().to_vec()
            } else {
                let mut m = <Hmac<Sha512> as KeyInit>::new_from_slice(key).expect("key");
                m.update(input);
                m.finalize().into_bytes().to_vec()
            }
        }
        "ES256" => {
            let s: p256::ecdsa::Signature = keys.p256.sign(input);
            s.to_bytes().to_vec()
        }
        _ => {
            use rsa::signature::SignatureEncoding;
            pkcs1v15::SigningKey::<Sha256>::new(keys.rsa.clone())
                .sign(input)
                .to_vec()
        }
    }
}

fn mint(keys: &Keys, data: &[u8]) -> Option<(String, bool)> {
    let (&[which, at, flip, split], rest) = data.split_first_chunk::<4>()?;
    let split = usize::from(split).min(rest.len());
    let (header, claims) = rest.split_at(split);
    let alg = ["HS256", "HS512", "ES256", "RS256"][usize::from(which) % 4];
    let input = format!("{}.{}", b64::encode(header), b64::encode(claims));
    let mut sig = sign(keys, alg, input.as_bytes());
    let len = sig.len();
    if flip != 0 {
        if let Some(b) = sig.get_mut(usize::from(at) % len) {
            *b ^= flip;
        }
    }
    Some((format!("{input}.{}", b64::encode(&sig)), flip == 0))
}

fuzz_target!(|data: &[u8]| {
    let keys = keys();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (token, minted_intact) = if mode % 2 == 0 {
        let Ok(t) = std::str::from_utf8(rest) else {
            return;
        };
        (t.to_string(), false)
    } else {
        let Some(minted) = mint(keys, rest) else {
            return;
        };
        minted
    };
    let Ok(parsed) = verify::parse(&token) else {
        return;
    };
    let _ = verify::times(&parsed.claims);
    let ours = verify::signature(&parsed, &keys.set);

    // The reference: the same key choice (a kid picks only that key; no kid
    // tries every key pinned to the token's alg), RustCrypto's verdict.
    let (input, sig) = token.rsplit_once('.').expect("parsed: three segments");
    let sig = b64::decode(sig.as_bytes()).expect("parsed: base64url");
    let token_alg = format!("{:?}", parsed.alg);
    let candidates = KEYS.iter().filter(|(kid, alg)| match &parsed.kid {
        Some(k) => *kid == Some(k.as_str()),
        None => *alg == token_alg,
    });
    let theirs = candidates
        .clone()
        .any(|(_, alg)| *alg == token_alg && reference(keys, alg, input.as_bytes(), &sig));
    if ours.is_ok() {
        assert!(
            theirs,
            "jwt-auth accepted what the reference refuses: {token}"
        );
    }
    let kid_known = parsed.kid.is_none() || candidates.count() > 0;
    if minted_intact && kid_known && theirs {
        assert_eq!(ours, Ok(()), "jwt-auth refused a good signature: {token}");
    }
    if theirs {
        assert_eq!(
            ours,
            Ok(()),
            "jwt-auth refused what the reference accepts: {token}"
        );
    }
});
