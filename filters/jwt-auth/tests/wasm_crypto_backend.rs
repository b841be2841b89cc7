//! The crypto backend in the built module: the self-test picks testhost's
//! model of Envoy's `verify_signature` when the host has it, the module's own
//! code when the function is missing, when the host answers `true` to
//! everything, or when `JWT_AUTH_CRYPTO_BACKEND=module`; the answers are the
//! same either way; ES512 only through the host.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::time::{Duration, UNIX_EPOCH};
use support::*;
use testhost::{Host, LogLevel, VerifySignature};

fn config(keys: &[serde_json::Value]) -> String {
    let doc = serde_json::to_string(&jwks(keys)).unwrap();
    format!(r#"{{"jwtRules":[{{"issuer":"{ISS}","jwks":{doc}}}]}}"#)
}

fn host(mode: VerifySignature, env: Option<&str>, keys: &[serde_json::Value]) -> Host {
    let mut h = Host::load(testhost::dist("jwt_auth")).unwrap();
    h.set_clock(UNIX_EPOCH + Duration::from_secs(NOW as u64));
    h.set_verify_signature(mode);
    if let Some(v) = env {
        h.set_env("JWT_AUTH_CRYPTO_BACKEND", v);
    }
    h.config(config(keys)).unwrap_or_else(|e| panic!("{e}"))
}

fn status(h: &mut Host, token: &str) -> u32 {
    let mut s = h.stream();
    s.request_headers(
        &[
            (":method", "GET"),
            (":path", "/x"),
            (":authority", "api.example.com"),
            ("authorization", &format!("Bearer {token}")),
        ],
        true,
    );
    s.local_response().map_or(200, |r| r.status)
}

fn backend_line(h: &Host) -> String {
    let lines: Vec<String> = h
        .logs_at(LogLevel::Info)
        .into_iter()
        .filter(|l| l.contains("crypto backend"))
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    lines[0].clone()
}

fn verify_calls(h: &Host) -> usize {
    h.foreign_calls()
        .iter()
        .filter(|n| *n == "verify_signature")
        .count()
}

#[test]
fn the_host_serves_every_family_when_its_self_test_passes() {
    let rsa = rsa("a", 2048);
    let ec = p256();
    let mut h = host(
        VerifySignature::Envoy,
        None,
        &[rsa.jwk(Some("rsa"), None), ec.jwk(Some("ec"), None)],
    );
    assert!(
        backend_line(&h)
            .ends_with("crypto backend: host verify_signature for RSA, P-256, P-384, P-521"),
        "{}",
        backend_line(&h)
    );
    assert_eq!(h.metric("jwt_auth.crypto.host"), Some(1));
    let at_start = verify_calls(&h);
    assert_eq!(at_start, 8, "two signatures per family");
    assert_eq!(status(&mut h, &std_token(&rsa, "RS256", Some("rsa"))), 200);
    assert_eq!(status(&mut h, &std_token(&ec, "ES256", Some("ec"))), 200);
    assert_eq!(verify_calls(&h), at_start + 2);
    // PS256 stays in the module.
    assert_eq!(status(&mut h, &std_token(&rsa, "PS256", Some("rsa"))), 200);
    assert_eq!(verify_calls(&h), at_start + 2);
    assert_eq!(
        status(&mut h, &std_token(&p256(), "ES256", Some("ec"))),
        401
    );
    // Once per VM: a new configuration does not run the self-test again.
    h.clear_logs();
    assert!(h.configure(config(&[ec.jwk(Some("ec"), None)])));
    assert!(h
        .logs_at(LogLevel::Info)
        .iter()
        .all(|l| !l.contains("crypto backend")));
    assert_eq!(verify_calls(&h), at_start + 3);
}

#[test]
fn without_a_trustworthy_host_the_module_verifies() {
    let rsa = rsa("a", 2048);
    let ec = p256();
    let keys = [rsa.jwk(Some("rsa"), None), ec.jwk(Some("ec"), None)];
    for (mode, env) in [
        (VerifySignature::Absent, None),
        (VerifySignature::AlwaysTrue, None),
        (VerifySignature::Envoy, Some("module")),
    ] {
        let mut h = host(mode, env, &keys);
        let line = backend_line(&h);
        assert!(
            line.contains("module code for every key family"),
            "{mode:?}: {line}"
        );
        assert_eq!(h.metric("jwt_auth.crypto.host"), Some(0), "{mode:?}");
        let calls = verify_calls(&h);
        assert_eq!(status(&mut h, &std_token(&rsa, "RS256", Some("rsa"))), 200);
        assert_eq!(status(&mut h, &std_token(&ec, "ES256", Some("ec"))), 200);
        // The host that says yes to everything is never asked again.
        assert_eq!(
            status(&mut h, &std_token(&p256(), "ES256", Some("ec"))),
            401,
            "{mode:?}"
        );
        assert_eq!(
            status(&mut h, &std_token(&other_rsa(), "RS256", Some("rsa"))),
            401,
            "{mode:?}"
        );
        assert_eq!(verify_calls(&h), calls, "{mode:?}");
    }
}

fn other_rsa() -> Key {
    rsa("b", 2048)
}

#[test]
fn es512_through_the_host_and_skipped_without_it() {
    let key = p521();
    let ec = p256();
    let keys = [key.jwk(Some("p521"), None), ec.jwk(Some("ec"), None)];
    let token = std_token(&key, "ES512", Some("p521"));
    let mut h = host(VerifySignature::Envoy, None, &keys);
    assert_eq!(status(&mut h, &token), 200);
    assert_eq!(
        status(&mut h, &std_token(&p521(), "ES512", Some("p521"))),
        401
    );

    let mut h = host(VerifySignature::Absent, None, &keys);
    let skipped: Vec<String> = h
        .logs_at(LogLevel::Info)
        .into_iter()
        .filter(|l| l.contains("skipped 1 key(s)"))
        .collect();
    assert_eq!(skipped.len(), 1, "{:?}", h.logs());
    assert!(
        skipped[0].contains("jwtRules[0].jwks") && skipped[0].contains("P-521"),
        "{skipped:?}"
    );
    assert_eq!(status(&mut h, &token), 401);
    assert_eq!(status(&mut h, &std_token(&ec, "ES256", Some("ec"))), 200);

    // Only ES512 keys and no host: refused, naming the field.
    let mut h = Host::load(testhost::dist("jwt_auth")).unwrap();
    h.set_verify_signature(VerifySignature::Absent);
    let err = h
        .config(config(&[key.jwk(None, None)]))
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("jwtRules[0].jwks: no key this filter can use"),
        "{err}"
    );
}
