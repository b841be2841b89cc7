//! What a verification costs in the built module (dist/jwt_auth.wasm), read
//! with `Host::meter`: wasm instructions and host calls for a first-seen token
//! of each algorithm and for a repeated (cached) token, with the module's own
//! crypto (no `verify_signature` in the host) and through testhost's model of
//! Envoy's `verify_signature` (its RustCrypto work is host time, not counted
//! as wasm instructions). Prints the numbers
//! (`cargo nextest run -p jwt-auth --test testhost_cost --no-capture`); asserts
//! only outcomes and host-call counts, never instruction counts.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use serde_json::json;
use std::time::{Duration, UNIX_EPOCH};
use support::*;
use testhost::{Host, Meter, VerifySignature};

/// A host configured with this one key (kid = alg).
fn host(key: &Key, alg: &str, kid_alg: Option<&str>, mode: VerifySignature) -> Host {
    let jwks = serde_json::to_string(&jwks(&[key.jwk(Some(alg), kid_alg)])).unwrap();
    let config =
        format!(r#"{{"jwtRules":[{{"issuer":"{ISS}","audiences":["kfaas"],"jwks":{jwks}}}]}}"#);
    let mut h = Host::load(testhost::dist("jwt_auth")).unwrap();
    h.set_clock(UNIX_EPOCH + Duration::from_secs(NOW as u64));
    h.set_verify_signature(mode);
    h.config(&config).unwrap_or_else(|e| panic!("{e}"))
}

/// A valid token no earlier request used (`jti` makes it unique).
fn fresh_token(key: &Key, alg: &str, n: u32) -> String {
    let mut c = claims();
    c["jti"] = json!(format!("t{n}"));
    token(key, &json!({"alg": alg, "typ": "JWT", "kid": alg}), &c)
}

/// The meter reading of one request carrying `token`, which must pass.
fn request(h: &mut Host, token: &str) -> Meter {
    let auth = format!("Bearer {token}");
    let headers = [
        (":method", "GET"),
        (":scheme", "https"),
        (":path", "/faas/api/x?q=1"),
        (":authority", "api.example.com"),
        ("authorization", auth.as_str()),
    ];
    let before = h.meter();
    let mut s = h.stream();
    let action = s.request_headers(&headers, true);
    let cost = h.meter() - before;
    assert_eq!(status_of(action, &s), 200);
    cost
}

struct Row {
    alg: &'static str,
    backend: &'static str,
    first_ever: Meter,
    first_seen: Meter,
    repeated: Meter,
}

fn measure(alg: &'static str, key: &Key, kid_alg: Option<&str>, mode: VerifySignature) -> Row {
    let mut h = host(key, alg, kid_alg, mode);
    // The first request of a VM may build lazy tables; reported on its own.
    let first_ever = request(&mut h, &fresh_token(key, alg, 0));
    let first_seen = request(&mut h, &fresh_token(key, alg, 1));
    let again = fresh_token(key, alg, 2);
    request(&mut h, &again);
    let repeated = request(&mut h, &again);
    assert_eq!(h.metric("jwt_auth.cache.hit"), Some(1), "{alg}");
    assert_eq!(h.metric("jwt_auth.cache.miss"), Some(3), "{alg}");
    Row {
        alg,
        backend: if mode == VerifySignature::Absent {
            "module"
        } else {
            "host"
        },
        first_ever,
        first_seen,
        repeated,
    }
}

#[test]
fn verification_cost_per_algorithm() {
    let rsa = rsa("a", 2048);
    let keys: Vec<(&'static str, Key, Option<&str>)> = vec![
        (
            "HS256",
            hmac(b"0123456789abcdef0123456789abcdef"),
            Some("HS256"),
        ),
        ("RS256", rsa, Some("RS256")),
        // Fixed keys (and deterministic signatures): the numbers repeat run to run.
        (
            "ES256",
            Key::P256(p256::ecdsa::SigningKey::from_slice(&[0x11; 32]).unwrap()),
            Some("ES256"),
        ),
        (
            "ES384",
            Key::P384(p384::ecdsa::SigningKey::from_slice(&[0x22; 48]).unwrap()),
            Some("ES384"),
        ),
        (
            "EdDSA",
            Key::Ed(ed25519_dalek::SigningKey::from_bytes(&[0x33; 32])),
            Some("EdDSA"),
        ),
    ];
    let rows: Vec<Row> = [VerifySignature::Absent, VerifySignature::Envoy]
        .into_iter()
        .flat_map(|mode| {
            keys.iter()
                .map(move |(alg, key, kid_alg)| measure(alg, key, *kid_alg, mode))
        })
        .collect();
    println!("alg    backend  first-ever instr  first-seen instr  calls  repeated instr  calls");
    for r in &rows {
        println!(
            "{:<6} {:<7} {:>16}  {:>16}  {:>5}  {:>14}  {:>5}",
            r.alg,
            r.backend,
            r.first_ever.wasm_instructions,
            r.first_seen.wasm_instructions,
            r.first_seen.host_calls,
            r.repeated.wasm_instructions,
            r.repeated.host_calls,
        );
    }
    for r in &rows {
        // The cache replaces the verification, never adds calls into the host.
        assert!(
            r.repeated.host_calls <= r.first_seen.host_calls,
            "{}: repeated {:?} vs first-seen {:?}",
            r.alg,
            r.repeated,
            r.first_seen
        );
    }
}

/// Where a first-seen decision's wasm time goes, by function: run with
/// `TESTHOST_PROFILE=1 cargo nextest run -p jwt-auth --test testhost_cost
/// --run-ignored only --no-capture` (`JWT_PROFILE_ALG`: RS256 by default;
/// `JWT_PROFILE_BACKEND=module` for the module's own crypto). The bench's
/// first-seen configuration: cache off, one claim header.
#[test]
#[ignore = "a profile to read, not a check; needs TESTHOST_PROFILE=1"]
fn profile_first_seen() {
    let alg = std::env::var("JWT_PROFILE_ALG").unwrap_or_else(|_| "RS256".into());
    let key = match alg.as_str() {
        "ES256" => Key::P256(p256::ecdsa::SigningKey::from_slice(&[0x11; 32]).unwrap()),
        "ES384" => Key::P384(p384::ecdsa::SigningKey::from_slice(&[0x22; 48]).unwrap()),
        _ => rsa("a", 2048),
    };
    let mode = match std::env::var("JWT_PROFILE_BACKEND").as_deref() {
        Ok("module") => VerifySignature::Absent,
        _ => VerifySignature::Envoy,
    };
    let jwks = serde_json::to_string(&jwks(&[key.jwk(Some(&alg), Some(&alg))])).unwrap();
    let config = format!(
        r#"{{"jwtRules":[{{"issuer":"{ISS}","audiences":["kfaas"],"jwks":{jwks},
            "outputClaimToHeaders":[{{"header":"x-jwt-sub","claim":"sub"}}]}}],
            "tokenCache":{{"maxEntries":0}}}}"#
    );
    // A build that keeps its function names (JWT_PROFILE_WASM) names the functions.
    let wasm = std::env::var_os("JWT_PROFILE_WASM")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| testhost::dist("jwt_auth"));
    let mut h = Host::load(wasm).unwrap();
    h.set_clock(UNIX_EPOCH + Duration::from_secs(NOW as u64));
    h.set_verify_signature(mode);
    let mut h = h.config(&config).unwrap_or_else(|e| panic!("{e}"));
    let tokens: Vec<String> = (0..200).map(|n| fresh_token(&key, &alg, n)).collect();
    request(&mut h, &tokens[0]);
    testhost::profile::reset();
    let rounds = std::env::var("JWT_PROFILE_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20);
    for _ in 0..rounds {
        for t in &tokens {
            request(&mut h, t);
        }
    }
    println!(
        "{alg} first-seen, {mode:?}:\n{}",
        testhost::profile::report(40)
    );
}
