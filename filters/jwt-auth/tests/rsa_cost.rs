//! What a first-seen RS256 token costs in the built module (testhost,
//! wasmtime), next to a first-seen HS256 token: the difference is the RSA
//! public-key operation. Prints wasm instructions per request (deterministic)
//! and, with `--run-ignored all`, wall time per request over many requests.
//! `DIST_DIR` picks another build of the module. The host has no
//! `verify_signature` here, so the module's own RSA code is measured.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use serde_json::json;
use std::time::{Duration, Instant, UNIX_EPOCH};
use support::*;
use testhost::{Action, Host};

fn host(key: &Key) -> Host {
    let jwks = serde_json::to_string(&jwks(&[key.jwk(None, None)])).unwrap();
    let config = format!(r#"{{"jwtRules":[{{"issuer":"{ISS}","jwks":{jwks}}}]}}"#);
    let mut h = Host::load(testhost::dist("jwt_auth")).unwrap();
    h.set_clock(UNIX_EPOCH + Duration::from_secs(NOW as u64));
    h.set_verify_signature(testhost::VerifySignature::Absent);
    h.config(config).unwrap_or_else(|e| panic!("{e}"))
}

/// Distinct tokens, so each one misses the verified-token cache.
fn tokens(key: &Key, alg: &str, count: usize) -> Vec<String> {
    (0..count)
        .map(|i| {
            let mut c = claims();
            c["jti"] = json!(i);
            token(key, &json!({"alg": alg, "typ": "JWT"}), &c)
        })
        .collect()
}

fn passes(h: &mut Host, token: &str) -> bool {
    let (action, s) = bearer_get(h, token);
    action == Action::Continue && s.local_response().is_none()
}

fn cases() -> Vec<(String, Key, &'static str)> {
    let mut out = vec![("HS256".to_string(), hmac(&[7u8; 32]), "HS256")];
    for bits in [2048, 3072, 4096] {
        out.push((format!("RS256 {bits}"), rsa("cost", bits), "RS256"));
    }
    out
}

#[test]
fn first_seen_token_instructions() {
    for (name, key, alg) in cases() {
        let mut h = host(&key);
        let toks = tokens(&key, alg, 3);
        assert!(passes(&mut h, &toks[0]), "{name}");
        let before = h.meter();
        for t in &toks[1..] {
            assert!(passes(&mut h, t), "{name}");
        }
        let m = h.meter() - before;
        println!(
            "{name}: {} wasm instructions, {} host calls per first-seen request",
            m.wasm_instructions / 2,
            m.host_calls / 2
        );
    }
}

#[test]
#[ignore = "wall time, run by hand"]
fn first_seen_token_wall_time() {
    let n = 400;
    for (name, key, alg) in cases() {
        let mut h = host(&key);
        let toks = tokens(&key, alg, n);
        assert!(passes(&mut h, &toks[0]), "{name}");
        let start = Instant::now();
        for t in &toks[1..] {
            assert!(passes(&mut h, t), "{name}");
        }
        let per = start.elapsed() / (n as u32 - 1);
        println!("{name}: {per:?} per first-seen request (wasmtime)");
    }
}
