//! The engine natively through both crypto backends: the host backend asking
//! testhost's model of Envoy's `verify_signature` (RustCrypto), and the
//! module's own code. Every algorithm and every malformed signature must get
//! the same answer from both; jwt_authn's key selection; ES512 only through
//! the host; an inline JWKS with keys this filter cannot use.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use jwt_auth::config;
use jwt_auth::crypto::backend::{Backend, Family};
use jwt_auth::der::{ecdsa_signature, Curve};
use jwt_auth::engine::{Decision, Engine};
use jwt_auth::extract::Request;
use jwt_auth::verify::Failure;
use serde_json::{json, Value};
use support::*;

fn model(args: &[u8]) -> Option<Vec<u8>> {
    testhost::verify_signature::answer(testhost::VerifySignature::Envoy, args)
}

fn host() -> Backend {
    Backend::host(model, &Family::ALL)
}

fn engine_with(backend: Backend, keys: &[Value]) -> Result<Engine, String> {
    let jwks = serde_json::to_string(&jwks(keys)).unwrap();
    let cfg =
        format!(r#"{{"jwtRules":[{{"issuer":"{ISS}","audiences":["kfaas"],"jwks":{jwks}}}]}}"#);
    let mut e = Engine::new(config::parse(cfg.as_bytes()).unwrap(), NOW);
    e.use_backend(backend)?;
    Ok(e)
}

fn outcome(e: &mut Engine, token: &str) -> Result<(), Failure> {
    let req = Request {
        method: "GET".into(),
        scheme: "https".into(),
        authority: "api.example.com".into(),
        path: "/x".into(),
        headers: vec![("authorization".into(), format!("Bearer {token}"))],
        ..Request::default()
    };
    match e.decide(&req, NOW, false) {
        Decision::Continue(_) => Ok(()),
        Decision::Deny(d) => Err(d.reason),
        other => panic!("{other:?}"),
    }
}

/// The token with its signature replaced.
fn resigned(token: &str, sig: &[u8]) -> String {
    let (input, _) = token.rsplit_once('.').unwrap();
    format!("{input}.{}", b64(sig))
}

fn signature(token: &str) -> Vec<u8> {
    jwt_auth::b64::decode(token.rsplit_once('.').unwrap().1.as_bytes()).unwrap()
}

const P256_N: &str = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
const P384_N: &str = "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973";
const P521_N: &str = "01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// a − b for big-endian numbers of one length (a ≥ b).
fn sub(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = a.to_vec();
    let mut borrow = 0i16;
    for i in (0..a.len()).rev() {
        let v = i16::from(a[i]) - i16::from(b[i]) - borrow;
        out[i] = v.rem_euclid(256) as u8;
        borrow = i16::from(v < 0);
    }
    out
}

fn der_form(raw: &[u8]) -> Vec<u8> {
    let curve = match raw.len() {
        64 => Curve::P256,
        96 => Curve::P384,
        _ => Curve::P521,
    };
    ecdsa_signature(curve, raw).unwrap()
}

/// (name, signature, must it verify) for ECDSA signature `sig` over a curve of order `n`.
fn ecdsa_cases(sig: &[u8], n_hex: &str) -> Vec<(String, Vec<u8>, bool)> {
    let size = sig.len() / 2;
    let n = hex(n_hex);
    let (r, s) = sig.split_at(size);
    let zero = vec![0u8; size];
    let ones = vec![0xffu8; size];
    vec![
        ("valid".into(), sig.to_vec(), true),
        ("high-S twin".into(), [r, &sub(&n, s)].concat(), true),
        ("r = 0".into(), [&zero[..], s].concat(), false),
        ("s = 0".into(), [r, &zero[..]].concat(), false),
        ("r = n".into(), [&n[..], s].concat(), false),
        ("s = n".into(), [r, &n[..]].concat(), false),
        ("r > n".into(), [&ones[..], s].concat(), false),
        ("s + n".into(), [r, &ones[..]].concat(), false),
        (
            "one byte short".into(),
            sig[..sig.len() - 1].to_vec(),
            false,
        ),
        ("one byte long".into(), [sig, &[0]].concat(), false),
        // As a careless issuer sends it (encoded by the module's own DER writer).
        ("DER".into(), der_form(sig), false),
        ("empty".into(), Vec::new(), false),
    ]
}

#[test]
fn every_algorithm_gets_the_same_answer_from_both_backends() {
    let other = rsa("b", 2048);
    let rsa = rsa("a", 2048);
    let keys: Vec<(&str, Key)> = vec![
        ("ES256", p256()),
        ("ES384", p384()),
        ("EdDSA", ed25519()),
        ("HS256", hmac(b"0123456789abcdef0123456789abcdef")),
    ];
    let mut list: Vec<Value> = keys.iter().map(|(a, k)| k.jwk(Some(a), Some(a))).collect();
    list.push(rsa.jwk(Some("rsa"), None));
    for backend in [host(), Backend::module()] {
        let mut e = engine_with(backend, &list).unwrap();
        for (alg, k) in &keys {
            assert_eq!(
                outcome(&mut e, &std_token(k, alg, Some(alg))),
                Ok(()),
                "{alg} {backend:?}"
            );
        }
        for alg in ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"] {
            let good = std_token(&rsa, alg, Some("rsa"));
            assert_eq!(outcome(&mut e, &good), Ok(()), "{alg} {backend:?}");
            let bad = std_token(&other, alg, Some("rsa"));
            assert_eq!(
                outcome(&mut e, &bad),
                Err(Failure::Signature),
                "{alg} {backend:?}"
            );
        }
    }
}

#[test]
fn malformed_ecdsa_signatures_get_the_same_answer_from_both_backends() {
    let cases: Vec<(&str, Key, &str)> = vec![("ES256", p256(), P256_N), ("ES384", p384(), P384_N)];
    for (alg, key, n) in cases {
        let list = [key.jwk(Some("k"), Some(alg))];
        let token = std_token(&key, alg, Some("k"));
        for (name, sig, ok) in ecdsa_cases(&signature(&token), n) {
            let t = resigned(&token, &sig);
            let want = if ok { Ok(()) } else { Err(Failure::Signature) };
            for backend in [host(), Backend::module()] {
                let mut e = engine_with(backend, &list).unwrap();
                assert_eq!(outcome(&mut e, &t), want, "{alg} {name} {backend:?}");
            }
        }
    }
    // ES512 has no module code: only the host answers.
    let key = p521();
    let token = std_token(&key, "ES512", Some("k"));
    let mut e = engine_with(host(), &[key.jwk(Some("k"), Some("ES512"))]).unwrap();
    for (name, sig, ok) in ecdsa_cases(&signature(&token), P521_N) {
        let want = if ok { Ok(()) } else { Err(Failure::Signature) };
        assert_eq!(
            outcome(&mut e, &resigned(&token, &sig)),
            want,
            "ES512 {name}"
        );
    }
}

#[test]
fn malformed_rsa_signatures_get_the_same_answer_from_both_backends() {
    use rsa::traits::PublicKeyParts;
    let key = rsa("a", 2048);
    let Key::Rsa(private) = &key else { panic!() };
    let n = private.n_bytes().to_vec();
    let list = [key.jwk(Some("k"), None)];
    let token = std_token(&key, "RS256", Some("k"));
    let sig = signature(&token);
    let (input, _) = token.rsplit_once('.').unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("one byte short", sig[1..].to_vec()),
        ("one byte long", [&[0u8][..], &sig].concat()),
        ("zero", vec![0; n.len()]),
        ("= n", n.clone()),
        ("> n", vec![0xff; n.len()]),
        ("signed with SHA-384", key.sign("RS384", input.as_bytes())),
        ("empty", Vec::new()),
    ];
    for backend in [host(), Backend::module()] {
        let mut e = engine_with(backend, &list).unwrap();
        assert_eq!(outcome(&mut e, &token), Ok(()), "{backend:?}");
        for (name, bad) in &cases {
            let t = resigned(&token, bad);
            assert_eq!(
                outcome(&mut e, &t),
                Err(Failure::Signature),
                "{name} {backend:?}"
            );
        }
    }
}

/// google/jwt_verify_lib's rule: a key is skipped only when both carry a kid
/// and they differ, or when its alg differs from the token's.
#[test]
fn keys_are_selected_as_jwt_authn_selects_them() {
    let ec = p256();
    let rsa = rsa("a", 2048);
    for backend in [host(), Backend::module()] {
        // No kid in the JWKS: tokens with any kid are verified.
        let mut e =
            engine_with(backend, &[ec.jwk(None, None), rsa.jwk(None, Some("RS256"))]).unwrap();
        assert_eq!(
            outcome(&mut e, &std_token(&ec, "ES256", Some("whatever"))),
            Ok(())
        );
        assert_eq!(
            outcome(&mut e, &std_token(&rsa, "RS256", Some("k1"))),
            Ok(())
        );
        assert_eq!(outcome(&mut e, &std_token(&rsa, "RS256", None)), Ok(()));
        // The key's alg pins it: RS384 with the RS256 key is not tried, so
        // no key matches the token (jwt_authn: "kid or alg" unmatched).
        assert_eq!(
            outcome(&mut e, &std_token(&rsa, "RS384", Some("k1"))),
            Err(Failure::UnknownKid)
        );
        // A kid-less key is tried next to keys with other kids.
        let mut e =
            engine_with(backend, &[p256().jwk(Some("a"), None), ec.jwk(None, None)]).unwrap();
        assert_eq!(outcome(&mut e, &std_token(&ec, "ES256", Some("b"))), Ok(()));
        // A key with another kid is never tried; a kid no key carries is unknown_kid.
        let mut e = engine_with(backend, &[ec.jwk(Some("a"), None)]).unwrap();
        assert_eq!(
            outcome(&mut e, &std_token(&ec, "ES256", Some("b"))),
            Err(Failure::UnknownKid)
        );
        assert_eq!(outcome(&mut e, &std_token(&ec, "ES256", Some("a"))), Ok(()));
        assert_eq!(outcome(&mut e, &std_token(&ec, "ES256", None)), Ok(()));
    }
}

#[test]
fn es512_goes_through_the_host_and_is_skipped_without_it() {
    let key = p521();
    let ec = p256();
    let list = [
        key.jwk(Some("p521"), Some("ES512")),
        ec.jwk(Some("ec"), None),
    ];
    let token = std_token(&key, "ES512", Some("p521"));
    let mut e = engine_with(host(), &list).unwrap();
    assert_eq!(outcome(&mut e, &token), Ok(()));
    assert_eq!(
        outcome(&mut e, &std_token(&p521(), "ES512", Some("p521"))),
        Err(Failure::Signature)
    );

    // Without the host: the ES512 key is skipped with an info line, the rest loads.
    let jwks = serde_json::to_string(&jwks(&list)).unwrap();
    let cfg = format!(r#"{{"jwtRules":[{{"issuer":"{ISS}","jwks":{jwks}}}]}}"#);
    let mut e = Engine::new(config::parse(cfg.as_bytes()).unwrap(), NOW);
    let logs = e
        .use_backend(Backend::host(model, &[Family::Rsa, Family::P256]))
        .unwrap();
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert!(!logs[0].0, "info, not a warning");
    assert!(
        logs[0].1.contains("skipped 1 key(s)")
            && logs[0].1.contains("kid \"p521\"")
            && logs[0].1.contains("P-521"),
        "{logs:?}"
    );
    assert_eq!(outcome(&mut e, &token), Err(Failure::UnknownKid));
    assert_eq!(
        outcome(&mut e, &std_token(&ec, "ES256", Some("ec"))),
        Ok(())
    );

    // Only ES512 keys and no host: no usable key, the configuration is refused.
    let only = [key.jwk(Some("p521"), None)];
    let err = engine_with(Backend::module(), &only).err().unwrap();
    assert!(err.starts_with("jwtRules[0].jwks: no key"), "{err}");
}

#[test]
fn an_inline_jwks_loads_its_usable_keys_and_names_the_others() {
    let ec = p256();
    let mut oaep = rsa("a", 2048).jwk(Some("enc"), Some("RSA-OAEP"));
    oaep.as_object_mut().unwrap().remove("use");
    let list = [
        ec.jwk(Some("ec"), None),
        oaep,
        json!({"kty": "EC", "crv": "secp256k1", "x": "AA", "y": "AA"}),
        json!({"kty": "OKP", "crv": "X25519", "x": "AA"}),
        p384().jwk(Some("p384"), None),
        p521().jwk(Some("p521"), None),
    ];
    let doc = serde_json::to_string(&jwks(&list)).unwrap();
    let cfg = format!(r#"{{"jwtRules":[{{"issuer":"{ISS}","jwks":{doc}}}]}}"#);
    let mut e = Engine::new(config::parse(cfg.as_bytes()).unwrap(), NOW);
    let logs = e.use_backend(host()).unwrap();
    assert_eq!(logs.len(), 1, "{logs:?}");
    for part in [
        "skipped 3 key(s)",
        "keys[1] (kty RSA, alg RSA-OAEP)",
        "keys[2] (kty EC, crv secp256k1)",
        "keys[3] (kty OKP, crv X25519)",
    ] {
        assert!(logs[0].1.contains(part), "{part}: {logs:?}");
    }
    assert_eq!(
        outcome(&mut e, &std_token(&ec, "ES256", Some("ec"))),
        Ok(())
    );

    // Malformed keys are still errors, naming the field.
    let mut off_curve = p521().jwk(None, None);
    off_curve["y"] = off_curve["x"].clone();
    let mut contradicting = ec.jwk(None, None);
    contradicting["alg"] = json!("RS256");
    for (key, at) in [
        (off_curve, "keys[0].x"),
        (contradicting, "keys[0].alg"),
        (
            json!({"kty": "EC", "crv": "P-521", "x": "***", "y": "AA"}),
            "keys[0].x",
        ),
        (
            json!({"kty": "EC", "crv": "P-521", "x": b64(&[1; 65]), "y": b64(&[1; 65])}),
            "keys[0].x",
        ),
    ] {
        let jwks = serde_json::to_string(&jwks(&[key])).unwrap();
        let cfg = format!(r#"{{"jwtRules":[{{"issuer":"{ISS}","jwks":{jwks}}}]}}"#);
        let err = config::parse(cfg.as_bytes()).err().unwrap().to_string();
        assert!(
            err.contains(&format!("jwtRules[0].jwks: {at}")),
            "{at}: {err}"
        );
    }
}

/// The unknown-kid refetch stays for a kid no key carries and no kid-less key
/// verifies; a kid-less key that verifies answers at once.
#[test]
fn unknown_kids_refetch_only_when_no_kid_less_key_verifies() {
    let cfg = format!(
        r#"{{"jwtRules":[{{"issuer":"{ISS}","jwksUri":"http://jwks.local/keys","jwksCluster":"jwks"}}]}}"#
    );
    let kidless = p256();
    let rotated = p256();
    for backend in [host(), Backend::module()] {
        let mut e = Engine::new(config::parse(cfg.as_bytes()).unwrap(), NOW);
        e.use_backend(backend).unwrap();
        assert_eq!(e.due_fetches(NOW), vec![0]);
        e.fetch_done(0, NOW, Ok(jwks(&[kidless.jwk(None, None)]).as_bytes()));
        let req = |t: &str| Request {
            method: "GET".into(),
            authority: "api.example.com".into(),
            path: "/x".into(),
            headers: vec![("authorization".into(), format!("Bearer {t}"))],
            ..Request::default()
        };
        let by_kidless = std_token(&kidless, "ES256", Some("new"));
        assert!(matches!(
            e.decide(&req(&by_kidless), NOW + 1, true),
            Decision::Continue(_)
        ));
        let by_rotated = std_token(&rotated, "ES256", Some("new"));
        assert_eq!(
            e.decide(&req(&by_rotated), NOW + 1, true),
            Decision::Wait { rule: 0 },
            "{backend:?}"
        );
        assert_eq!(e.due_fetches(NOW + 1), vec![0]);
        e.fetch_done(
            0,
            NOW + 1,
            Ok(jwks(&[kidless.jwk(None, None), rotated.jwk(Some("new"), None)]).as_bytes()),
        );
        assert!(matches!(
            e.decide(&req(&by_rotated), NOW + 1, false),
            Decision::Continue(_)
        ));
    }
}
