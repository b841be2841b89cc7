//! Istio RequestAuthentication `jwtRules` fields in the built module:
//! `jwks_uri` (Istio's other spelling of `jwksUri`), `timeout` (the JWKS
//! fetch's call timeout), `spaceDelimitedClaims` (a `scope` string written
//! as a list), `presence: REQUIRED` (two tokens, each required), and their
//! bad values refused by name.

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
use testhost::{Host, LogLevel};

fn load(config: &str) -> Result<Host, Vec<String>> {
    let mut h = Host::load(testhost::dist("jwt_auth")).unwrap();
    h.set_clock(UNIX_EPOCH + Duration::from_secs(NOW as u64));
    h.config(config).map_err(|refused| {
        refused
            .logs
            .iter()
            .filter(|(l, _)| *l == LogLevel::Error)
            .map(|(_, m)| m.clone())
            .collect()
    })
}

#[test]
fn jwks_uri_is_fetched_with_the_configured_timeout() {
    let mut h = load(
        r#"{"jwtRules":[{"issuer":"https://auth.example.com","jwks_uri":"http://jwks.local/keys",
            "jwksCluster":"jwks","timeout":"250ms"}]}"#,
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    let calls = h.http_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].upstream, "jwks");
    assert_eq!(calls[0].timeout_ms, 250);
    let k = p256();
    h.respond_http_call(calls[0].token, 200, &[], jwks(&[k.jwk(Some("k1"), None)]));
    let (a, s) = bearer_get(&mut h, &std_token(&k, "ES256", Some("k1")));
    assert_eq!(status_of(a, &s), 200);
}

#[test]
fn a_space_delimited_scope_is_written_as_a_list() {
    let k = hmac(b"a-32-byte-hmac-secret-for-tests!");
    let config = json!({"jwtRules": [{
        "issuer": ISS,
        "jwks": jwks(&[k.jwk(None, None)]),
        "spaceDelimitedClaims": ["scope"],
        "outputClaimToHeaders": [{"header": "x-scope", "claim": "scope"},
                                 {"header": "x-aud", "claim": "aud"}]
    }]});
    let mut h = load(&config.to_string()).unwrap_or_else(|e| panic!("{e:?}"));
    let mut c = claims();
    c["scope"] = json!("read  write admin");
    let t = token(&k, &json!({"alg": "HS256"}), &c);
    let (a, s) = bearer_get(&mut h, &t);
    assert_eq!(status_of(a, &s), 200);
    assert_eq!(
        s.request_header("x-scope").as_deref(),
        Some("read,write,admin")
    );
    assert_eq!(s.request_header("x-aud").as_deref(), Some("kfaas"));
    // An array stays an array; a value with a control character is not written.
    c["scope"] = json!(["a b", "c"]);
    let (a, s) = bearer_get(&mut h, &token(&k, &json!({"alg": "HS256"}), &c));
    assert_eq!(status_of(a, &s), 200);
    assert_eq!(s.request_header("x-scope").as_deref(), Some("a b,c"));
    c["scope"] = json!("a\r\nx-admin: 1 b");
    let (a, s) = bearer_get(&mut h, &token(&k, &json!({"alg": "HS256"}), &c));
    assert_eq!(status_of(a, &s), 200);
    assert_eq!(s.request_header("x-scope"), None);
}

#[test]
fn bad_istio_values_are_refused_naming_the_field() {
    let errors = load(
        r#"{"jwtRules":[
            {"issuer":"a","jwksUri":"http://k/j","jwks_uri":"http://k/j","jwksCluster":"k"},
            {"issuer":"b","jwks_uri":"http://k/j","jwksCluster":"k","timeout":"0.5ms"},
            {"issuer":"c","jwks_uri":"file:///k","jwksCluster":"k","timeout":"soon"},
            {"issuer":"d","jwks_uri":"http://k/j","jwksCluster":"k","spaceDelimitedClaims":[""]}
        ]}"#,
    )
    .err()
    .expect("refused");
    assert_eq!(errors.len(), 1, "one log line: {errors:?}");
    for field in [
        "jwtRules[0]: only one of jwks, jwksUri or jwks_uri",
        "jwtRules[1].timeout",
        "jwtRules[2].timeout",
        "jwtRules[2].jwks_uri",
        "jwtRules[3].spaceDelimitedClaims[0]",
    ] {
        assert!(
            errors[0].contains(field),
            "{field} not named in {}",
            errors[0]
        );
    }
}

#[test]
fn two_required_tokens_each_from_its_own_header() {
    let id = hmac(b"identity-key-identity-key-32byte");
    let scope = hmac(b"scope-key-scope-key-scope-key-32");
    let scope_iss = "https://scope.example.com";
    let config = json!({"jwtRules": [
        {"issuer": ISS, "jwks": jwks(&[id.jwk(None, None)]), "presence": "REQUIRED",
         "outputClaimToHeaders": [{"header": "x-sub", "claim": "sub"}]},
        {"issuer": scope_iss, "jwks": jwks(&[scope.jwk(None, None)]), "presence": "REQUIRED",
         "fromHeaders": [{"name": "x-scope-token"}],
         "outputClaimToHeaders": [{"header": "x-scope-sub", "claim": "sub"}]}
    ]});
    let mut h = load(&config.to_string()).unwrap_or_else(|e| panic!("{e:?}"));
    let auth = format!("Bearer {}", token(&id, &json!({"alg": "HS256"}), &claims()));
    let mut c = claims();
    c["iss"] = json!(scope_iss);
    c["sub"] = json!("scope-bob");
    let st = token(&scope, &json!({"alg": "HS256"}), &c);
    let (status, _) = get_on(
        &mut h,
        "api.example.com",
        "/api",
        &[("authorization", &auth)],
    );
    assert_eq!(status, 401);
    let (status, s) = get_on(
        &mut h,
        "api.example.com",
        "/api",
        &[("authorization", &auth), ("x-scope-token", &st)],
    );
    assert_eq!(status, 200);
    assert_eq!(s.request_header("x-sub").as_deref(), Some("alice"));
    assert_eq!(
        s.request_header("x-scope-sub").as_deref(),
        Some("scope-bob")
    );
    assert_eq!(s.request_header("x-scope-token"), None);
    assert_eq!(h.metric("jwt_auth.denied.missing"), Some(1));
}

/// OpenID Connect discovery in the built module: the document is fetched
/// first (from `discoveryCluster`), a request waiting for keys keeps waiting
/// through it and passes once the JWKS it names is fetched.
#[test]
fn discovery_then_jwks_while_a_request_waits() {
    let mut h = load(&format!(
        r#"{{"jwtRules":[{{"issuer":"{ISS}","jwksCluster":"keys","discoveryCluster":"issuer","timeout":"300ms"}}]}}"#
    ))
    .unwrap_or_else(|e| panic!("{e:?}"));
    let calls = h.http_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    let c = &calls[0];
    assert_eq!(c.upstream, "issuer");
    assert_eq!(c.timeout_ms, 300);
    let path = c
        .headers
        .iter()
        .find(|(k, _)| k == ":path")
        .map(|(_, v)| v.as_str());
    assert_eq!(path, Some("/.well-known/openid-configuration"));
    let k = p256();
    let (_, s) = bearer_get(&mut h, &std_token(&k, "ES256", Some("k1")));
    let doc = json!({"issuer": ISS, "jwks_uri": "https://keys.example.com/certs"}).to_string();
    h.respond_http_call(c.token, 200, &[], doc);
    assert!(!s.resumed(), "still waiting for the JWKS");
    h.tick();
    let calls = h.http_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].upstream, "keys");
    h.respond_http_call(calls[0].token, 200, &[], jwks(&[k.jwk(Some("k1"), None)]));
    assert!(s.resumed());
    assert_eq!(status_of(testhost::Action::Continue, &s), 200);
}

/// Two `presence: REQUIRED` rules whose keys are both fetched: a request that
/// arrives before either JWKS waits for the first rule's keys, then for the
/// second's, and passes once both are in, whichever answers first.
#[test]
fn two_required_tokens_from_two_remote_jwks_wait_for_both() {
    let id = p256();
    let scope = p256();
    let scope_iss = "https://scope.example.com";
    let mut c = claims();
    c["iss"] = json!(scope_iss);
    c["sub"] = json!("scope-bob");
    let scope_token = token(&scope, &json!({"alg": "ES256", "kid": "s1"}), &c);
    let id_auth = format!("Bearer {}", std_token(&id, "ES256", Some("i1")));
    for scope_first in [false, true] {
        let config = json!({"jwtRules": [
            {"issuer": ISS, "jwksUri": "https://keys.example.com/id", "jwksCluster": "keys",
             "presence": "REQUIRED", "outputClaimToHeaders": [{"header": "x-sub", "claim": "sub"}]},
            {"issuer": scope_iss, "jwksUri": "https://keys.example.com/scope", "jwksCluster": "keys",
             "presence": "REQUIRED", "fromHeaders": [{"name": "x-scope-token"}],
             "outputClaimToHeaders": [{"header": "x-scope-sub", "claim": "sub"}]}
        ]});
        let mut h = load(&config.to_string()).unwrap_or_else(|e| panic!("{e:?}"));
        let calls = h.http_calls();
        let call_for = |path: &str| {
            calls
                .iter()
                .find(|c| c.headers.iter().any(|(k, v)| k == ":path" && v == path))
                .unwrap_or_else(|| panic!("no fetch of {path}: {calls:?}"))
                .token
        };
        let (id_call, scope_call) = (call_for("/id"), call_for("/scope"));
        let mut s = h.stream();
        let action = s.request_headers(
            &[
                (":method", "GET"),
                (":scheme", "https"),
                (":path", "/api"),
                (":authority", "api.example.com"),
                ("authorization", &id_auth),
                ("x-scope-token", &scope_token),
            ],
            true,
        );
        assert_eq!(action, testhost::Action::Pause, "waits for keys");
        let mut answers = vec![
            (id_call, jwks(&[id.jwk(Some("i1"), None)])),
            (scope_call, jwks(&[scope.jwk(Some("s1"), None)])),
        ];
        if scope_first {
            answers.reverse();
        }
        let (first, second) = (answers.remove(0), answers.remove(0));
        h.respond_http_call(first.0, 200, &[], first.1);
        assert!(
            !s.resumed(),
            "scope_first={scope_first}: still waits for the other keys"
        );
        assert!(s.local_response().is_none(), "scope_first={scope_first}");
        h.respond_http_call(second.0, 200, &[], second.1);
        assert!(s.resumed(), "scope_first={scope_first}");
        assert_eq!(s.request_header("x-sub").as_deref(), Some("alice"));
        assert_eq!(
            s.request_header("x-scope-sub").as_deref(),
            Some("scope-bob")
        );
    }
}
