//! jwt-auth's whole decision (`Engine::decide`: rule choice by path, token
//! extraction, verification, times, audience, claim headers) on arbitrary
//! paths and header lists. Property: an output header is set only from a
//! token that the reference HMAC verifier accepts, and `x-jwt-sub` only to
//! that token's `sub` — no output header leaves with a client-chosen value.
//!
//! Input: lines. The first is the `:path`; the others `name: value` headers.
//! First byte odd: the second line is a claims object, minted into a valid
//! HS256 token sent as `authorization: Bearer …`.
#![no_main]

use hmac::{Hmac, KeyInit, Mac};
use jwt_auth::b64;
use jwt_auth::config::Config;
use jwt_auth::engine::{Decision, Engine, Mutation};
use jwt_auth::extract::Request;
use libfuzzer_sys::fuzz_target;
use sha2::Sha256;
use std::sync::OnceLock;

const SECRET: &[u8; 32] = b"fuzz-hs256-secret-of-32-bytes!!!";
const NOW: i64 = 1_700_000_000;

fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let jwks = serde_json::json!({"keys": [
            {"kty": "oct", "kid": "hs", "alg": "HS256", "k": b64::encode(SECRET)}
        ]});
        let config = serde_json::json!({
            "jwtRules": [{
                "issuer": "https://auth.example.com",
                "audiences": ["kfaas"],
                "jwks": jwks.to_string(),
                "outputClaimToHeaders": [{"header": "x-jwt-sub", "claim": "sub"}],
                "outputPayloadToHeader": "x-jwt-payload",
            }],
            "rules": [
                {"match": {"prefix": "/public/"}, "requirement": "allow_missing"},
                {"match": {"exact": "/healthz"}, "requirement": "none"},
            ],
        });
        jwt_auth::config::parse(config.to_string().as_bytes()).expect("the target's config")
    })
}

fn hmac(input: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(SECRET).expect("key");
    m.update(input);
    m.finalize().into_bytes().to_vec()
}

/// The claims of `token` when the reference verifies its HS256 signature.
fn reference_claims(token: &str) -> Option<serde_json::Value> {
    let (input, sig) = token.rsplit_once('.')?;
    let sig = b64::decode(sig.as_bytes())?;
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(SECRET).ok()?;
    m.update(input.as_bytes());
    m.verify_slice(&sig).ok()?;
    let (_, payload) = input.split_once('.')?;
    serde_json::from_slice(&b64::decode(payload.as_bytes())?).ok()
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let mut lines = text.split('\n');
    let path = lines.next().unwrap_or("/");
    let mut headers: Vec<(String, String)> = Vec::new();
    if flags % 2 == 1 {
        let claims = lines.next().unwrap_or("{}");
        let input = format!(
            "{}.{}",
            b64::encode(br#"{"alg":"HS256","kid":"hs"}"#),
            b64::encode(claims.as_bytes())
        );
        let token = format!("{input}.{}", b64::encode(&hmac(input.as_bytes())));
        headers.push(("authorization".into(), format!("Bearer {token}")));
    }
    for line in lines {
        let (name, value) = line.split_once(':').unwrap_or((line, ""));
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let req = Request {
        method: "GET".into(),
        scheme: "https".into(),
        authority: "api.example.com".into(),
        path: path.into(),
        headers,
        ..Request::default()
    };
    let mut engine = Engine::new(config().clone(), NOW);
    let output: Vec<String> = engine.output_headers().to_vec();
    let decision = engine.decide(&req, NOW, false);
    let Decision::Continue(mutations) = decision else {
        return;
    };
    let verified: Vec<serde_json::Value> = req
        .headers
        .iter()
        .filter(|(n, _)| n == "authorization")
        .filter_map(|(_, v)| v.get(7..).and_then(reference_claims))
        .collect();
    for m in &mutations {
        let Mutation::SetHeader(name, value) = m else {
            continue;
        };
        if !output.contains(name) {
            continue;
        }
        assert!(
            !verified.is_empty(),
            "{name}: {value:?} set without a verified token: {req:?}"
        );
        if name == "x-jwt-sub" {
            assert!(
                verified.iter().any(|c| c.get("sub").map(|s| match s {
                    serde_json::Value::String(s) => s == value,
                    other => {
                        let rendered = other.to_string();
                        rendered == *value
                    }
                }) == Some(true)),
                "x-jwt-sub: {value:?} is no verified token's sub: {req:?}"
            );
        }
    }
});
