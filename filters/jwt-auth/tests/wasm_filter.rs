//! The built module (dist/jwt_auth.wasm) in testhost: configuration, every
//! algorithm, the attack corpus, requirements, outputs, metrics, cache.

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
use testhost::{Action, Host, LogLevel, VerifySignature};

fn host(config: &str) -> Host {
    host_in(VerifySignature::Envoy, config)
}

/// `mode`: testhost's model of Envoy's `verify_signature` (the host backend),
/// or none (`Absent`: the module's own code verifies).
fn host_in(mode: VerifySignature, config: &str) -> Host {
    let mut h = Host::load(testhost::dist("jwt_auth")).unwrap();
    h.set_clock(UNIX_EPOCH + Duration::from_secs(NOW as u64));
    h.set_verify_signature(mode);
    h.config(config).unwrap_or_else(|e| panic!("{e}"))
}

fn config(keys: &[serde_json::Value], rule_extra: &str, top_extra: &str) -> String {
    let jwks = serde_json::to_string(&jwks(keys)).unwrap();
    format!(
        r#"{{"jwtRules":[{{"issuer":"{ISS}","audiences":["kfaas"],"jwks":{jwks}{rule_extra}}}]{top_extra}}}"#
    )
}

/// (status, local response) of one GET with these headers; 200 = passed on.
fn call(h: &mut Host, path: &str, headers: &[(&str, &str)]) -> (u32, testhost::Stream) {
    get_on(h, "api.example.com", path, headers)
}

fn with_bearer(h: &mut Host, token: &str) -> (u32, testhost::Stream) {
    let auth = format!("Bearer {token}");
    call(h, "/faas/api/x?q=1", &[("authorization", &auth)])
}

#[test]
fn bad_config_is_refused_naming_every_field() {
    let refused = Host::load(testhost::dist("jwt_auth"))
        .unwrap()
        .config(
            r#"{"jwtRules":[{"jwks":"{}","fromHeaders":[{"name":"Bad Name"}]}],"maxTokenBytes":0}"#,
        )
        .err()
        .expect("refused");
    let errors: Vec<String> = refused
        .logs
        .iter()
        .filter(|(l, _)| *l == LogLevel::Error)
        .map(|(_, m)| m.clone())
        .collect();
    assert_eq!(errors.len(), 1, "one log line: {errors:?}");
    for field in [
        "jwtRules[0].issuer",
        "jwtRules[0].jwks",
        "jwtRules[0].fromHeaders[0].name",
        "maxTokenBytes",
    ] {
        assert!(
            errors[0].contains(field),
            "{field} not named in {}",
            errors[0]
        );
    }
    let refused = Host::load(testhost::dist("jwt_auth"))
        .unwrap()
        .config(r#"{"jwtRules":[],"extra":1}"#)
        .err()
        .expect("refused");
    assert!(refused.logged("extra"), "{:?}", refused.logs);
}

#[test]
fn every_algorithm_passes_in_wasm() {
    let rsa = rsa("a", 2048);
    let keys: Vec<(&str, Key)> = vec![
        ("HS256", hmac(b"0123456789abcdef0123456789abcdef")),
        (
            "HS384",
            hmac(b"0123456789abcdef0123456789abcdef0123456789abcdef"),
        ),
        ("HS512", hmac(&[7u8; 64])),
        ("ES256", p256()),
        ("ES384", p384()),
        ("EdDSA", ed25519()),
    ];
    let mut list: Vec<_> = keys
        .iter()
        .map(|(alg, k)| k.jwk(Some(alg), Some(alg)))
        .collect();
    list.push(rsa.jwk(Some("rsa"), None));
    for mode in [VerifySignature::Envoy, VerifySignature::Absent] {
        let mut h = host_in(mode, &config(&list, "", ""));
        for (alg, k) in &keys {
            assert_eq!(
                with_bearer(&mut h, &std_token(k, alg, Some(alg))).0,
                200,
                "{alg}"
            );
        }
        for alg in ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"] {
            assert_eq!(
                with_bearer(&mut h, &std_token(&rsa, alg, Some("rsa"))).0,
                200,
                "{alg}"
            );
        }
        assert_eq!(h.metric("jwt_auth.allowed"), Some(12));
    }
}

#[test]
fn attack_corpus_each_gets_401_in_wasm() {
    let rsa = rsa("a", 2048);
    let ec = p256();
    for mode in [VerifySignature::Envoy, VerifySignature::Absent] {
        let mut h = host_in(
            mode,
            &config(
                &[
                    rsa.jwk(Some("rsa"), Some("RS256")),
                    ec.jwk(Some("ec"), Some("ES256")),
                ],
                "",
                "",
            ),
        );
        assert_eq!(
            with_bearer(&mut h, &std_token(&rsa, "RS256", Some("rsa"))).0,
            200
        );
        assert_eq!(
            with_bearer(&mut h, &std_token(&ec, "ES256", Some("ec"))).0,
            200
        );
        for (name, token) in attacks(&rsa, &ec) {
            let (status, s) = with_bearer(&mut h, &token);
            assert_eq!(status, 401, "{name}");
            let r = s.local_response().unwrap();
            let challenge = r
                .headers
                .iter()
                .find(|(n, _)| n == "www-authenticate")
                .map(|(_, v)| v.clone());
            assert_eq!(
                challenge.as_deref(),
                Some(r#"Bearer realm="https://api.example.com/faas/api/x", error="invalid_token""#),
                "{name}"
            );
            let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            assert_eq!(body["error"], "unauthorized", "{name}");
            let sig = token.rsplit('.').next().unwrap_or_default();
            let body_text = String::from_utf8_lossy(&r.body);
            assert!(
                sig.len() < 8 || !body_text.contains(sig),
                "{name}: body echoes the token"
            );
        }
        let denied: i64 = [
            "malformed",
            "signature",
            "expired",
            "not_yet_valid",
            "issuer",
            "unknown_kid",
        ]
        .iter()
        .map(|r| h.metric(&format!("jwt_auth.denied.{r}")).unwrap_or(0))
        .sum();
        assert_eq!(denied as usize, attacks(&rsa, &ec).len());
        assert!(h.metric("jwt_auth.denied.expired").unwrap() >= 1);
        assert!(h.metric("jwt_auth.denied.not_yet_valid").unwrap() >= 2);
        assert!(h.metric("jwt_auth.denied.issuer").unwrap() >= 2);
        assert!(h.metric("jwt_auth.denied.signature").unwrap() >= 5);
    }
}

#[test]
fn missing_token_wrong_audience_and_requirements() {
    let k = hmac(b"secret-secret-secret-secret-0123");
    let mut h = host(&config(
        &[k.jwk(None, None)],
        "",
        r#","rules":[{"match":{"prefix":"/public/"},"requirement":"allow_missing"},{"match":{"exact":"/healthz"},"requirement":"none"},{"match":{"regex":"/v[0-9]+/docs"},"requirement":"none"}]"#,
    ));
    let (status, s) = call(&mut h, "/private?q=secret", &[]);
    assert_eq!(status, 401);
    let r = s.local_response().unwrap();
    assert!(r.headers.contains(&(
        "www-authenticate".into(),
        r#"Bearer realm="https://api.example.com/private""#.into()
    )));
    assert_eq!(r.body, br#"{"error":"unauthorized","reason":"missing"}"#);
    assert_eq!(h.metric("jwt_auth.denied.missing"), Some(1));

    let mut c = claims();
    c["aud"] = json!(["web"]);
    let (status, s) = with_bearer(&mut h, &token(&k, &json!({"alg": "HS256"}), &c));
    assert_eq!(status, 403);
    assert_eq!(
        s.local_response().unwrap().body,
        br#"{"error":"forbidden","reason":"audience"}"#
    );

    assert_eq!(call(&mut h, "/public/a", &[]).0, 200);
    assert_eq!(
        call(&mut h, "/public/a", &[("authorization", "Bearer x.y.z")]).0,
        401
    );
    assert_eq!(
        call(
            &mut h,
            "/public/a",
            &[(
                "authorization",
                &format!("Bearer {}", std_token(&k, "HS256", None))
            )]
        )
        .0,
        200
    );
    assert_eq!(
        call(&mut h, "/healthz", &[("authorization", "Bearer x.y.z")]).0,
        200
    );
    assert_eq!(call(&mut h, "/healthz/", &[]).0, 401);
    assert_eq!(call(&mut h, "/v2/docs?x", &[]).0, 200);
    assert_eq!(call(&mut h, "/v2/docs/x", &[]).0, 401);

    // A CORS preflight passes; an OPTIONS without the preflight headers does not.
    let mut s = h.stream();
    let pre = [
        (":method", "OPTIONS"),
        (":path", "/p"),
        (":authority", "a"),
        ("origin", "https://w"),
        ("access-control-request-method", "POST"),
    ];
    assert_eq!(s.request_headers(&pre, true), Action::Continue);
    let mut s = h.stream();
    assert_eq!(s.request_headers(&pre[..4], true), Action::Pause);
    assert_eq!(s.local_response().unwrap().status, 401);
}

#[test]
fn outputs_claims_payload_and_token_removal() {
    let k = ed25519();
    let extra = r#","outputClaimToHeaders":[{"header":"x-jwt-sub","claim":"sub"},{"header":"x-jwt-groups","claim":"groups"},{"header":"x-jwt-org","claim":"org.id"},{"header":"x-jwt-evil","claim":"evil"}],"outputPayloadToHeader":"x-jwt-payload","fromHeaders":[{"name":"authorization","prefix":"Bearer "}],"fromParams":["access_token"],"fromCookies":["token"]"#;
    let mut h = host(&config(&[k.jwk(Some("ed"), None)], extra, ""));
    let mut c = claims();
    c["groups"] = json!(["dev", "ops"]);
    c["org"] = json!({"id": 42});
    c["evil"] = json!("a\r\nx-injected: 1");
    let tok = token(&k, &json!({"alg": "EdDSA", "kid": "ed"}), &c);
    let spoof = [
        ("x-jwt-sub", "root"),
        ("x-jwt-org", "0"),
        ("x-jwt-evil", "spoofed"),
        ("x-jwt-payload", "e30"),
    ];

    let mut headers = vec![("authorization", format!("Bearer {tok}"))];
    headers.extend(spoof.iter().map(|(a, b)| (*a, b.to_string())));
    let hs: Vec<(&str, &str)> = headers.iter().map(|(a, b)| (*a, b.as_str())).collect();
    let (status, s) = call(&mut h, "/a", &hs);
    assert_eq!(status, 200);
    assert_eq!(s.request_header("x-jwt-sub").as_deref(), Some("alice"));
    assert_eq!(s.request_header("x-jwt-groups").as_deref(), Some("dev,ops"));
    assert_eq!(s.request_header("x-jwt-org").as_deref(), Some("42"));
    assert_eq!(
        s.request_header("x-jwt-evil"),
        None,
        "unsafe claim not written, spoofed copy removed"
    );
    assert_eq!(
        s.request_header("x-jwt-payload").as_deref(),
        tok.split('.').nth(1)
    );
    assert_eq!(s.request_header("authorization"), None, "token removed");

    // From a query parameter and a cookie: removed from there only.
    let (status, s) = call(&mut h, &format!("/a?x=1&access_token={tok}&y=2"), &[]);
    assert_eq!(status, 200);
    assert_eq!(s.request_header(":path").as_deref(), Some("/a?x=1&y=2"));
    let cookie = format!("a=1; token={tok}; b=2");
    let (status, s) = call(&mut h, "/a", &[("cookie", &cookie)]);
    assert_eq!(status, 200);
    assert_eq!(s.request_header("cookie").as_deref(), Some("a=1; b=2"));

    // Spoofed output headers are removed whatever the outcome.
    let (status, s) = call(&mut h, "/a", &spoof);
    assert_eq!(status, 401);
    for (name, _) in spoof {
        assert_eq!(s.request_header(name), None, "{name}");
    }
}

#[test]
fn forward_original_token_keeps_it() {
    let k = p256();
    let mut h = host(&config(
        &[k.jwk(None, None)],
        r#","forwardOriginalToken":true"#,
        "",
    ));
    let tok = std_token(&k, "ES256", None);
    let (status, s) = with_bearer(&mut h, &tok);
    assert_eq!(status, 200);
    assert_eq!(
        s.request_header("authorization"),
        Some(format!("Bearer {tok}"))
    );
}

#[test]
fn cache_hits_and_clock_past_exp() {
    let k = rsa("a", 2048);
    let mut h = host(&config(
        &[k.jwk(Some("k"), None)],
        r#","outputClaimToHeaders":[{"header":"x-jwt-sub","claim":"sub"}]"#,
        "",
    ));
    let tok = std_token(&k, "RS256", Some("k"));
    for _ in 0..3 {
        let (status, s) = with_bearer(&mut h, &tok);
        assert_eq!(status, 200);
        assert_eq!(
            s.request_header("x-jwt-sub").as_deref(),
            Some("alice"),
            "a hit writes the claims too"
        );
    }
    assert_eq!(h.metric("jwt_auth.cache.miss"), Some(1));
    assert_eq!(h.metric("jwt_auth.cache.hit"), Some(2));
    // exp is NOW + 3600; with 60 s skew the token is good until NOW + 3660.
    h.advance_clock(Duration::from_secs(3660));
    assert_eq!(with_bearer(&mut h, &tok).0, 200);
    h.advance_clock(Duration::from_secs(1));
    let (status, s) = with_bearer(&mut h, &tok);
    assert_eq!(status, 401);
    assert_eq!(
        s.local_response().unwrap().body,
        br#"{"error":"unauthorized","reason":"expired"}"#
    );
    assert_eq!(h.metric("jwt_auth.denied.expired"), Some(1));
}

#[test]
fn token_cache_can_be_disabled_and_is_bounded() {
    let k = hmac(b"secret-secret-secret-secret-0123");
    let mut h = host(&config(
        &[k.jwk(None, None)],
        "",
        r#","tokenCache":{"maxEntries":0}"#,
    ));
    let tok = std_token(&k, "HS256", None);
    for _ in 0..2 {
        assert_eq!(with_bearer(&mut h, &tok).0, 200);
    }
    assert_eq!(h.metric("jwt_auth.cache.miss"), Some(2));
    assert_eq!(h.metric("jwt_auth.cache.hit").unwrap_or(0), 0);

    let mut h = host(&config(
        &[k.jwk(None, None)],
        "",
        r#","tokenCache":{"maxEntries":2}"#,
    ));
    let toks: Vec<String> = (0..3)
        .map(|i| {
            let mut c = claims();
            c["n"] = json!(i);
            token(&k, &json!({"alg": "HS256"}), &c)
        })
        .collect();
    for t in &toks {
        assert_eq!(with_bearer(&mut h, t).0, 200);
    }
    assert_eq!(with_bearer(&mut h, &toks[2]).0, 200);
    assert_eq!(
        with_bearer(&mut h, &toks[0]).0,
        200,
        "evicted, verified again"
    );
    assert_eq!(h.metric("jwt_auth.cache.hit"), Some(1));
    assert_eq!(h.metric("jwt_auth.cache.miss"), Some(4));
}

#[test]
fn max_token_bytes_applies() {
    let k = hmac(b"secret-secret-secret-secret-0123");
    let tok = token(&k, &json!({"alg": "HS256"}), &claims());
    let mut h = host(&config(
        &[k.jwk(None, None)],
        "",
        &format!(r#","maxTokenBytes":{}"#, tok.len()),
    ));
    assert_eq!(with_bearer(&mut h, &tok).0, 200);
    let mut c = claims();
    c["x"] = json!("y");
    let longer = token(&k, &json!({"alg": "HS256"}), &c);
    assert!(longer.len() > tok.len());
    assert_eq!(with_bearer(&mut h, &longer).0, 401);
    assert_eq!(h.metric("jwt_auth.denied.malformed"), Some(1));
}

#[test]
fn a_rule_with_hosts_applies_only_on_those_hosts() {
    let k = hmac(b"secret-secret-secret-secret-0123");
    let mut h = host(&config(
        &[k.jwk(None, None)],
        "",
        r#","rules":[{"match":{"prefix":"/"},"hosts":["api.example.com","*.faas.example.com"],"requirement":"required"}],"defaultRequirement":"none""#,
    ));
    let on = |h: &mut Host, authority: &str| get_on(h, authority, "/page", &[]).0;
    for listed in [
        "api.example.com",
        "API.Example.com:8443",
        "a.faas.example.com",
    ] {
        assert_eq!(on(&mut h, listed), 401, "{listed}");
    }
    for other in [
        "www.example.com",
        "faas.example.com",
        "api.example.com.evil:80",
    ] {
        assert_eq!(on(&mut h, other), 200, "{other}");
    }
    assert_eq!(h.metric("jwt_auth.denied.missing"), Some(3));

    let refused = Host::load(testhost::dist("jwt_auth"))
        .unwrap()
        .config(config(
            &[k.jwk(None, None)],
            "",
            r#","rules":[{"match":{"prefix":"/"},"hosts":["ok.com","bad host"],"requirement":"none"},{"match":{"prefix":"/"},"hosts":[],"requirement":"none"}]"#,
        ))
        .err()
        .expect("refused");
    assert!(refused.logged("rules[0].hosts[1]"), "{:?}", refused.logs);
    assert!(
        refused.logged("rules[1].hosts: must not be empty"),
        "{:?}",
        refused.logs
    );
}
