//! `"mode": "audit"` in the built module (dist/jwt_auth.wasm): a request the
//! filter would refuse passes unchanged, the refusal is counted as
//! `jwt_auth.audit.<reason>` and logged once at info; claim headers still
//! come only from a valid token, so spoofed copies are removed, every one.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::time::{Duration, UNIX_EPOCH};
use support::*;
use testhost::{Action, Host, LogLevel};

const OUTPUTS: &str = r#","outputClaimToHeaders":[{"header":"x-jwt-sub","claim":"sub"}],"outputPayloadToHeader":"x-jwt-payload""#;

fn host(key: &Key, top_extra: &str) -> Host {
    let jwks = serde_json::to_string(&jwks(&[key.jwk(None, None)])).unwrap();
    let cfg = format!(
        r#"{{"jwtRules":[{{"issuer":"{ISS}","audiences":["kfaas"],"jwks":{jwks}{OUTPUTS}}}]{top_extra}}}"#
    );
    let mut h = Host::load(testhost::dist("jwt_auth")).unwrap();
    h.set_clock(UNIX_EPOCH + Duration::from_secs(NOW as u64));
    h.config(cfg).unwrap_or_else(|e| panic!("{e}"))
}

/// One GET through the module, with the info lines it logged.
fn call(
    h: &mut Host,
    path: &str,
    headers: &[(&str, &str)],
) -> (u32, testhost::Stream, Vec<String>) {
    h.clear_logs();
    let (status, s) = get_on(h, "api.example.com", path, headers);
    (status, s, h.logs_at(LogLevel::Info))
}

/// Every value of `name` the upstream would get.
fn all_values(s: &testhost::Stream, name: &str) -> Vec<String> {
    s.request_headers_now()
        .into_iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v)
        .collect()
}

const SPOOF: [(&str, &str); 3] = [
    ("x-jwt-sub", "root"),
    ("x-jwt-sub", "admin"),
    ("x-jwt-payload", "e30"),
];

#[test]
fn would_be_refusals_pass_unchanged_counted_and_logged_once() {
    let k = hmac(b"secret-secret-secret-secret-0123");
    let other = hmac(b"another-secret-another-secret-01");
    let mut h = host(
        &k,
        r#","mode":"audit","rules":[{"match":{"prefix":"/public/"},"requirement":"allow_missing"}]"#,
    );
    assert!(
        h.metric_names()
            .iter()
            .filter(|n| n.starts_with("jwt_auth.audit."))
            .count()
            == 11,
        "one audit counter per reason: {:?}",
        h.metric_names()
    );

    // No token, spoofed claim headers (one of them twice): passes, spoofs gone.
    let (status, s, info) = call(&mut h, "/faas/api/x?q=1", &SPOOF);
    assert_eq!(status, 200);
    assert!(s.local_response().is_none());
    for name in ["x-jwt-sub", "x-jwt-payload"] {
        assert_eq!(all_values(&s, name), Vec::<String>::new(), "{name}");
    }
    assert_eq!(
        info,
        vec!["jwt-auth: audit: would refuse GET api.example.com/faas/api/x with 401 (missing)"]
    );

    // A forged token in the header: passes with the header as sent (even
    // though forwardOriginalToken is false: audit changes nothing it would
    // have refused), still no claim headers.
    let forged = format!("Bearer {}", std_token(&other, "HS256", None));
    let mut headers = vec![("authorization", forged.as_str())];
    headers.extend_from_slice(&SPOOF);
    let (status, s, info) = call(&mut h, "/faas/api/x", &headers);
    assert_eq!(status, 200);
    assert_eq!(all_values(&s, "authorization"), vec![forged.clone()]);
    assert_eq!(all_values(&s, "x-jwt-sub"), Vec::<String>::new());
    assert_eq!(info.len(), 1, "{info:?}");
    assert!(info[0].ends_with("with 401 (signature)"), "{info:?}");

    // A forged token in the query: the path is passed as sent, the log line
    // shows the path without the query (no token in the logs).
    let bad = std_token(&other, "HS256", None);
    let path = format!("/faas/api/x?access_token={bad}");
    let (status, s, info) = call(&mut h, &path, &[]);
    assert_eq!(status, 200);
    assert_eq!(s.request_header(":path"), Some(path));
    assert!(
        info.len() == 1 && !info[0].contains(&bad) && !info[0].contains('?'),
        "{info:?}"
    );

    // A path that cannot be normalized would be a 400.
    let (status, _, info) = call(&mut h, "/faas/..%2fx", &[]);
    assert_eq!(status, 200);
    assert!(info[0].ends_with("with 400 (bad_path)"), "{info:?}");

    // A valid token is handled as in enforce: claims set, token removed, no audit line.
    let good = format!("Bearer {}", std_token(&k, "HS256", None));
    let (status, s, info) = call(&mut h, "/faas/api/x", &[("authorization", &good)]);
    assert_eq!(status, 200);
    assert_eq!(s.request_header("x-jwt-sub").as_deref(), Some("alice"));
    assert_eq!(s.request_header("authorization"), None);
    assert!(info.is_empty(), "{info:?}");

    assert_eq!(h.metric("jwt_auth.audit.missing"), Some(1));
    assert_eq!(h.metric("jwt_auth.audit.signature"), Some(2));
    assert_eq!(h.metric("jwt_auth.audit.bad_path"), Some(1));
    assert_eq!(h.metric("jwt_auth.allowed"), Some(1));
    for reason in ["missing", "signature", "bad_path"] {
        assert_eq!(
            h.metric(&format!("jwt_auth.denied.{reason}")).unwrap_or(0),
            0,
            "{reason}"
        );
    }
}

#[test]
fn enforce_is_the_default_and_refuses_the_same_requests() {
    let k = hmac(b"secret-secret-secret-secret-0123");
    for mode in ["", r#","mode":"enforce""#] {
        let mut h = host(&k, mode);
        let (status, s, info) = call(&mut h, "/faas/api/x", &SPOOF);
        assert_eq!(status, 401, "{mode}");
        assert_eq!(all_values(&s, "x-jwt-sub"), Vec::<String>::new());
        assert!(info.is_empty(), "{info:?}");
        assert_eq!(h.metric("jwt_auth.denied.missing"), Some(1));
        assert_eq!(h.metric("jwt_auth.audit.missing").unwrap_or(0), 0);
    }
}

#[test]
fn a_request_that_waited_for_keys_in_vain_passes_in_audit() {
    let cfg = r#"{"mode":"audit","jwtRules":[{"issuer":"https://auth.example.com","jwksUri":"http://jwks.local/keys","jwksCluster":"jwks","outputClaimToHeaders":[{"header":"x-jwt-sub","claim":"sub"}]}]}"#;
    let mut h = Host::load(testhost::dist("jwt_auth")).unwrap();
    h.set_clock(UNIX_EPOCH + Duration::from_secs(NOW as u64));
    let mut h = h.config(cfg).unwrap_or_else(|e| panic!("{e}"));
    let k = p256();
    let (action, s) = bearer_get(&mut h, &std_token(&k, "ES256", Some("k1")));
    assert_eq!(
        action,
        Action::Pause,
        "waits for the first keys as in enforce"
    );
    let calls = h.http_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    h.fail_http_call(calls[0].token);
    assert!(s.resumed() && s.local_response().is_none());
    assert_eq!(h.metric("jwt_auth.audit.jwks_unavailable"), Some(1));
    assert!(h
        .logs_at(LogLevel::Info)
        .iter()
        .any(|l| l.ends_with("/x with 503 (jwks_unavailable)")));
}

#[test]
fn an_unknown_mode_is_refused_naming_the_field() {
    let refused = Host::load(testhost::dist("jwt_auth"))
        .unwrap()
        .config(r#"{"jwtRules":[{"issuer":"i","jwks":"{\"keys\":[{\"kty\":\"oct\",\"k\":\"YS0zMi1ieXRlLWhtYWMtc2VjcmV0LWZvci10ZXN0cyE\"}]}"}],"mode":"observe"}"#)
        .err()
        .expect("refused");
    assert!(
        refused.logged("mode: must be one of enforce, audit"),
        "{:?}",
        refused.logs
    );
}
