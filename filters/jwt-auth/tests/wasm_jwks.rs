//! Remote JWKS in the built module: fetched from the root context at start
//! and periodically, requests waiting for keys, failures, timeouts, malformed
//! documents, unknown-kid rotation.

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

const CONFIG: &str = r#"{"jwtRules":[{"issuer":"https://auth.example.com","jwksUri":"http://jwks.local:8080/keys?v=1","jwksCluster":"outbound|8080||jwks.local","outputClaimToHeaders":[{"header":"x-jwt-sub","claim":"sub"}]}]}"#;

fn host() -> Host {
    let mut h = Host::load(testhost::dist("jwt_auth")).unwrap();
    h.set_clock(UNIX_EPOCH + Duration::from_secs(NOW as u64));
    h.config(CONFIG).unwrap_or_else(|e| panic!("{e}"))
}

fn status(s: &testhost::Stream) -> u32 {
    s.local_response().map_or(200, |r| r.status)
}

fn one_call(h: &Host) -> u32 {
    let calls = h.http_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    calls[0].token
}

fn respond(h: &mut Host, token: u32, keys: &[serde_json::Value]) {
    h.respond_http_call(
        token,
        200,
        &[("content-type", "application/json")],
        jwks(keys),
    );
}

#[test]
fn fetched_at_start_from_the_root_and_waiting_requests_resume() {
    let mut h = host();
    let calls = h.http_calls();
    assert_eq!(calls.len(), 1);
    let c = &calls[0];
    assert_eq!(c.upstream, "outbound|8080||jwks.local");
    let header = |n: &str| {
        c.headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(header(":method"), Some("GET"));
    assert_eq!(header(":path"), Some("/keys?v=1"));
    assert_eq!(header(":authority"), Some("jwks.local:8080"));
    assert_eq!(c.timeout_ms, 5000);
    assert!(h.tick_period().is_some());

    let k = p256();
    let (a1, s1) = bearer_get(&mut h, &std_token(&k, "ES256", Some("k1")));
    let (a2, s2) = bearer_get(&mut h, &std_token(&k, "ES256", None));
    assert_eq!((a1, a2), (Action::Pause, Action::Pause));
    assert!(s1.local_response().is_none() && !s1.resumed());
    h.tick();
    assert_eq!(
        h.http_calls().len(),
        1,
        "no second fetch while one is in flight"
    );
    respond(&mut h, c.token, &[k.jwk(Some("k1"), None)]);
    for s in [&s1, &s2] {
        assert!(s.resumed());
        assert_eq!(status(s), 200);
        assert_eq!(s.request_header("x-jwt-sub").as_deref(), Some("alice"));
        assert_eq!(s.request_header("authorization"), None);
    }
    assert_eq!(h.metric("jwt_auth.jwks_fetch.success"), Some(1));
    assert_eq!(h.metric("jwt_auth.allowed"), Some(2));
    assert!(h
        .logs_at(LogLevel::Info)
        .iter()
        .any(|l| l.contains("loaded 1 key")));
    // Later requests do not wait.
    let (a, s) = bearer_get(&mut h, &std_token(&k, "ES256", Some("k1")));
    assert_eq!((a, status(&s)), (Action::Continue, 200));
}

fn first_fetch_fails_with(fail: impl FnOnce(&mut Host, u32)) {
    let mut h = host();
    let k = p256();
    let tok = std_token(&k, "ES256", Some("k1"));
    let (a, s) = bearer_get(&mut h, &tok);
    assert_eq!(a, Action::Pause);
    let t = one_call(&h);
    fail(&mut h, t);
    assert_eq!(status(&s), 503);
    let r = s.local_response().unwrap();
    assert_eq!(
        r.body,
        br#"{"error":"service_unavailable","reason":"jwks_unavailable"}"#
    );
    assert_eq!(h.metric("jwt_auth.jwks_fetch.failure"), Some(1));
    assert_eq!(h.metric("jwt_auth.denied.jwks_unavailable"), Some(1));
    assert!(
        h.logs_at(LogLevel::Warn)
            .iter()
            .any(|l| l.contains("no keys yet")),
        "{:?}",
        h.logs()
    );
    // Right after a failure: answered at once, no fetch storm.
    let (a, s) = bearer_get(&mut h, &tok);
    assert_eq!((a, status(&s)), (Action::Pause, 503));
    h.tick();
    assert!(h.http_calls().is_empty());
    // Retried 5 s later, and then it works.
    h.advance_clock(Duration::from_secs(5));
    h.tick();
    let t = one_call(&h);
    respond(&mut h, t, &[k.jwk(Some("k1"), None)]);
    let (_, s) = bearer_get(&mut h, &tok);
    assert_eq!(status(&s), 200);
}

#[test]
fn failed_fetch_gives_503_then_retries() {
    first_fetch_fails_with(|h, t| h.fail_http_call(t));
}

#[test]
fn timed_out_fetch_gives_503_then_retries() {
    first_fetch_fails_with(|h, t| h.timeout_http_call(t));
}

#[test]
fn malformed_jwks_gives_503_then_retries() {
    first_fetch_fails_with(|h, t| h.respond_http_call(t, 200, &[], b"<html>not json</html>"));
}

#[test]
fn jwks_without_usable_keys_gives_503_and_names_the_problem() {
    first_fetch_fails_with(|h, t| {
        h.respond_http_call(
            t,
            200,
            &[],
            br#"{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}"#,
        )
    });
}

#[test]
fn unknown_kid_refetches_once_per_30s_and_rotation_works() {
    let mut h = host();
    let k1 = p256();
    let k2 = rsa("a", 2048);
    let t = one_call(&h);
    respond(&mut h, t, &[k1.jwk(Some("k1"), None)]);
    let t2 = std_token(&k2, "RS256", Some("k2"));
    let (a, s) = bearer_get(&mut h, &t2);
    assert_eq!(a, Action::Pause);
    h.tick();
    let t = one_call(&h);
    respond(
        &mut h,
        t,
        &[k1.jwk(Some("k1"), None), k2.jwk(Some("k2"), None)],
    );
    assert!(s.resumed());
    assert_eq!(status(&s), 200);
    assert!(h
        .logs_at(LogLevel::Info)
        .iter()
        .any(|l| l.contains("updated to 2 key")));
    // Another unknown kid within 30 s: refused at once, no fetch.
    let k3 = p256();
    let (a, s) = bearer_get(&mut h, &std_token(&k3, "ES256", Some("k3")));
    assert_eq!((a, status(&s)), (Action::Pause, 401));
    h.tick();
    assert!(h.http_calls().is_empty());
    assert_eq!(h.metric("jwt_auth.denied.unknown_kid"), Some(1));
    // 30 s later it may refetch again; the JWKS still lacks k3.
    h.advance_clock(Duration::from_secs(30));
    let (a, s) = bearer_get(&mut h, &std_token(&k3, "ES256", Some("k3")));
    assert_eq!(a, Action::Pause);
    h.tick();
    let t = one_call(&h);
    respond(
        &mut h,
        t,
        &[k1.jwk(Some("k1"), None), k2.jwk(Some("k2"), None)],
    );
    assert_eq!(status(&s), 401);
    assert_eq!(h.metric("jwt_auth.denied.unknown_kid"), Some(2));
}

#[test]
fn periodic_refresh_failure_keeps_keys_and_removed_keys_stop_working() {
    let mut h = host();
    let k1 = ed25519();
    let k2 = ed25519();
    let t = one_call(&h);
    respond(
        &mut h,
        t,
        &[k1.jwk(Some("k1"), None), k2.jwk(Some("k2"), None)],
    );
    let tok1 = std_token(&k1, "EdDSA", Some("k1"));
    let (_, s) = bearer_get(&mut h, &tok1);
    assert_eq!(status(&s), 200);
    // Not due before jwksCacheSeconds (600 by default).
    h.advance_clock(Duration::from_secs(599));
    h.tick();
    assert!(h.http_calls().is_empty());
    h.advance_clock(Duration::from_secs(1));
    h.tick();
    let t = one_call(&h);
    h.respond_http_call(t, 500, &[], b"oops");
    assert!(h
        .logs_at(LogLevel::Warn)
        .iter()
        .any(|l| l.contains("HTTP status 500") && l.contains("keeping the last good keys")));
    let (_, s) = bearer_get(&mut h, &tok1);
    assert_eq!(status(&s), 200, "last good keys kept");
    // Retried after 30 s; k1 was rotated out.
    h.advance_clock(Duration::from_secs(30));
    h.tick();
    let t = one_call(&h);
    respond(&mut h, t, &[k2.jwk(Some("k2"), None)]);
    let (a, s) = bearer_get(&mut h, &tok1);
    assert_eq!(a, Action::Pause, "unknown kid: one refetch");
    h.tick();
    let t = one_call(&h);
    respond(&mut h, t, &[k2.jwk(Some("k2"), None)]);
    assert_eq!(
        status(&s),
        401,
        "a cached token of a removed key is not trusted"
    );
    let (_, s) = bearer_get(&mut h, &std_token(&k2, "EdDSA", Some("k2")));
    assert_eq!(status(&s), 200);
    assert_eq!(h.metric("jwt_auth.jwks_fetch.failure"), Some(1));
    assert_eq!(h.metric("jwt_auth.jwks_fetch.success"), Some(3));
}

#[test]
fn unknown_cluster_fails_fast() {
    let mut h = Host::load(testhost::dist("jwt_auth")).unwrap();
    h.set_clock(UNIX_EPOCH + Duration::from_secs(NOW as u64));
    h.set_clusters(&["other"]);
    let mut h = h.config(CONFIG).unwrap();
    assert!(h.http_calls().is_empty());
    assert!(
        h.logs_at(LogLevel::Warn)
            .iter()
            .any(|l| l.contains("dispatch to outbound|8080||jwks.local failed")),
        "{:?}",
        h.logs()
    );
    let (a, s) = bearer_get(&mut h, &std_token(&p256(), "ES256", None));
    assert_eq!((a, status(&s)), (Action::Pause, 503));
}

#[test]
fn a_client_that_leaves_while_waiting_is_forgotten() {
    let mut h = host();
    let k = p256();
    let (_, mut gone) = bearer_get(&mut h, &std_token(&k, "ES256", None));
    let (_, stays) = bearer_get(&mut h, &std_token(&k, "ES256", None));
    gone.finish();
    let t = one_call(&h);
    respond(&mut h, t, &[k.jwk(None, None)]);
    assert!(stays.resumed());
    assert_eq!(status(&stays), 200);
    assert_eq!(h.metric("jwt_auth.allowed"), Some(1));
}

#[test]
fn a_request_never_waits_forever() {
    let mut h = host();
    let (a, s) = bearer_get(&mut h, &std_token(&p256(), "ES256", None));
    assert_eq!(a, Action::Pause);
    h.advance_clock(Duration::from_secs(11));
    h.tick();
    assert_eq!(status(&s), 503);
}

/// Issue 15: at most `maxWaitingRequests` requests are held while keys are fetched; the next one
/// is answered 503 `busy` at once, and the held ones still resume.
#[test]
fn beyond_max_waiting_requests_a_request_is_refused_busy_at_once() {
    let mut h = Host::load(testhost::dist("jwt_auth")).unwrap();
    h.set_clock(UNIX_EPOCH + Duration::from_secs(NOW as u64));
    let config = CONFIG.replacen("{\"jwtRules\"", "{\"maxWaitingRequests\":2,\"jwtRules\"", 1);
    let mut h = h.config(config).unwrap_or_else(|e| panic!("{e}"));
    let k = p256();
    let token = std_token(&k, "ES256", None);
    let (a1, s1) = bearer_get(&mut h, &token);
    let (a2, s2) = bearer_get(&mut h, &token);
    let (a3, s3) = bearer_get(&mut h, &token);
    assert_eq!((a1, a2, a3), (Action::Pause, Action::Pause, Action::Pause));
    assert!(s1.local_response().is_none() && s2.local_response().is_none());
    let busy = s3.local_response().expect("answered at once");
    assert_eq!(busy.status, 503);
    assert_eq!(
        String::from_utf8_lossy(&busy.body),
        r#"{"error":"service_unavailable","reason":"busy"}"#
    );
    assert_eq!(h.metric("jwt_auth.denied.busy"), Some(1));
    let t = one_call(&h);
    respond(&mut h, t, &[k.jwk(None, None)]);
    assert_eq!((status(&s1), status(&s2)), (200, 200));
    assert!(s1.resumed() && s2.resumed());
}

/// Issue 15: a reconfiguration drops the fetch in flight; every request that waited for it is
/// answered then, not left to the 10-second limit.
#[test]
fn a_reconfiguration_answers_every_waiting_request() {
    let mut h = host();
    let k = p256();
    let (a, s) = bearer_get(&mut h, &std_token(&k, "ES256", None));
    assert_eq!(a, Action::Pause);
    let inline = format!(
        r#"{{"jwtRules":[{{"issuer":"https://auth.example.com","jwks":{}}}]}}"#,
        serde_json::to_string(&jwks(&[k.jwk(None, None)])).unwrap()
    );
    assert!(h.configure(inline));
    assert!(s.resumed());
    assert_eq!(status(&s), 200);
}
