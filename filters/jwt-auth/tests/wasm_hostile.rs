//! The built module (dist/jwt_auth.wasm) in testhost against requests a
//! client crafts to crash the VM or slip past the check: header values that
//! are not UTF-8, dot segments that change the rule, repeated token headers
//! and cookies.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::time::{Duration, UNIX_EPOCH};
use support::*;
use testhost::Host;

const PUBLIC: &str =
    r#","rules":[{"match":{"prefix":"/faas/api/public/"},"requirement":"allow_missing"}]"#;

fn host(rule_extra: &str, top_extra: &str) -> (Host, Key) {
    let k = hmac(b"secret-secret-secret-secret-0123");
    let jwks = serde_json::to_string(&jwks(&[k.jwk(None, None)])).unwrap();
    let cfg = format!(
        r#"{{"jwtRules":[{{"issuer":"{ISS}","audiences":["kfaas"],"jwks":{jwks}{rule_extra}}}]{top_extra}}}"#
    );
    let mut h = Host::load(testhost::dist("jwt_auth")).unwrap();
    h.set_clock(UNIX_EPOCH + Duration::from_secs(NOW as u64));
    (h.config(cfg).unwrap_or_else(|e| panic!("{e}")), k)
}

/// (status, stream) of one GET; 200 = passed on.
fn send(h: &mut Host, path: &str, headers: &[(&str, &[u8])]) -> (u32, testhost::Stream) {
    let mut all: Vec<(&str, &[u8])> = vec![
        (":method", b"GET"),
        (":scheme", b"https"),
        (":path", path.as_bytes()),
        (":authority", b"api.example.com"),
    ];
    all.extend_from_slice(headers);
    let mut s = h.stream();
    let action = s.request_headers_bytes(&all, true);
    (status_of(action, &s), s)
}

fn body(s: &testhost::Stream) -> String {
    String::from_utf8(s.local_response().unwrap().body).unwrap()
}

#[test]
fn header_values_that_are_not_utf8_do_not_kill_the_vm() {
    let (mut h, k) = host("", PUBLIC);
    let auth = format!("Bearer {}", std_token(&k, "HS256", None));
    // Latin-1 "café" in an unrelated header: ignored, the token is verified.
    let (status, _) = send(
        &mut h,
        "/faas/api/a",
        &[("x-name", b"caf\xe9"), ("authorization", auth.as_bytes())],
    );
    assert_eq!(status, 200);
    // In the token header: refused as malformed, even where a token may be missing.
    for path in ["/faas/api/a", "/faas/api/public/x"] {
        let (status, s) = send(&mut h, path, &[("authorization", b"Bearer \xe9")]);
        assert_eq!(status, 401, "{path}");
        assert_eq!(body(&s), r#"{"error":"unauthorized","reason":"malformed"}"#);
    }
    // The VM is alive: the next requests are still verified.
    assert_eq!(
        send(&mut h, "/faas/api/a", &[("authorization", auth.as_bytes())]).0,
        200
    );
    assert_eq!(send(&mut h, "/faas/api/a", &[]).0, 401);
    assert_eq!(h.metric("jwt_auth.denied.malformed"), Some(2));
    assert_eq!(h.metric("jwt_auth.allowed"), Some(2));
}

#[test]
fn a_cookie_header_that_is_not_utf8_is_refused_only_where_cookies_hold_tokens() {
    let (mut h, k) = host(r#","fromCookies":["token"]"#, PUBLIC);
    let cookie = format!("token={}", std_token(&k, "HS256", None));
    let (status, s) = send(
        &mut h,
        "/faas/api/public/x",
        &[("cookie", b"a=\xe9"), ("cookie", cookie.as_bytes())],
    );
    assert_eq!(status, 401);
    assert_eq!(body(&s), r#"{"error":"unauthorized","reason":"malformed"}"#);
    assert_eq!(
        send(&mut h, "/faas/api/a", &[("cookie", cookie.as_bytes())]).0,
        200
    );
    // A rule reading the header only: a strange cookie is not its business.
    let (mut h, k) = host("", PUBLIC);
    let auth = format!("Bearer {}", std_token(&k, "HS256", None));
    let (status, s) = send(
        &mut h,
        "/faas/api/a",
        &[("cookie", b"a=\xe9"), ("authorization", auth.as_bytes())],
    );
    assert_eq!(status, 200);
    assert_eq!(s.request_header("cookie").as_deref(), Some("a=\u{fffd}"));
}

#[test]
fn dot_segments_cannot_reach_a_laxer_rule() {
    let (mut h, k) = host("", PUBLIC);
    for bypass in [
        "/faas/api/public/../a/secret",
        "/faas/api/public/%2e%2e/a/secret",
        "/faas/api/public//../a/secret",
    ] {
        let (status, s) = send(&mut h, bypass, &[]);
        assert_eq!(status, 401, "{bypass}");
        assert_eq!(body(&s), r#"{"error":"unauthorized","reason":"missing"}"#);
    }
    // The normalized path also grants: a token-less request to a public path.
    assert_eq!(send(&mut h, "/faas/api/x/../public/y", &[]).0, 200);
    let auth = format!("Bearer {}", std_token(&k, "HS256", None));
    assert_eq!(
        send(
            &mut h,
            "/faas/api/public/../a/secret",
            &[("authorization", auth.as_bytes())]
        )
        .0,
        200
    );
    // Not normalizable: 400 with the reason, whatever the token.
    for (path, reason) in [
        ("/faas/api/public/..%2fa/secret", "encoded_slash"),
        ("/faas/api/public/..;/a", "path_parameters"),
        ("/../faas/api/public/x", "above_root"),
    ] {
        let (status, s) = send(&mut h, path, &[("authorization", auth.as_bytes())]);
        assert_eq!(status, 400, "{path}");
        assert_eq!(
            body(&s),
            format!(r#"{{"error":"bad_request","reason":"{reason}"}}"#)
        );
    }
    assert_eq!(h.metric("jwt_auth.denied.bad_path"), Some(3));
}

#[test]
fn every_cookie_header_is_checked_and_cleaned() {
    let (mut h, k) = host(r#","fromCookies":["token"]"#, PUBLIC);
    // A forged token in a second Cookie header is found and refused.
    let (status, s) = send(
        &mut h,
        "/faas/api/public/x",
        &[("cookie", b"a=1"), ("cookie", b"token=forged")],
    );
    assert_eq!(status, 401);
    assert_eq!(body(&s), r#"{"error":"unauthorized","reason":"malformed"}"#);
    // A valid one is verified and removed; the other cookies are kept.
    let cookie = format!("b=2; token={}", std_token(&k, "HS256", None));
    let (status, s) = send(
        &mut h,
        "/faas/api/a",
        &[("cookie", b"a=1"), ("cookie", cookie.as_bytes())],
    );
    assert_eq!(status, 200);
    let cookies: Vec<String> = s
        .request_headers_now()
        .into_iter()
        .filter(|(n, _)| n == "cookie")
        .map(|(_, v)| v)
        .collect();
    assert_eq!(cookies, vec!["a=1; b=2"]);
    // Two different token cookies: one is not verified, so both are refused.
    let two = format!("{cookie}; token=forged");
    assert_eq!(
        send(&mut h, "/faas/api/a", &[("cookie", two.as_bytes())]).0,
        401
    );
}

#[test]
fn a_second_different_token_header_is_refused() {
    let (mut h, k) = host(r#","forwardOriginalToken":true"#, PUBLIC);
    let auth = format!("Bearer {}", std_token(&k, "HS256", None));
    let (status, s) = send(
        &mut h,
        "/faas/api/public/x",
        &[
            ("authorization", auth.as_bytes()),
            ("authorization", b"Bearer forged"),
        ],
    );
    assert_eq!(status, 401);
    assert_eq!(body(&s), r#"{"error":"unauthorized","reason":"malformed"}"#);
    // The same token repeated is one token.
    let (status, _) = send(
        &mut h,
        "/faas/api/a",
        &[
            ("authorization", auth.as_bytes()),
            ("authorization", auth.as_bytes()),
        ],
    );
    assert_eq!(status, 200);
}

#[test]
fn unbounded_numbers_and_relative_rule_paths_are_refused() {
    let k = hmac(b"secret-secret-secret-secret-0123");
    let jwks = serde_json::to_string(&jwks(&[k.jwk(None, None)])).unwrap();
    let cfg = format!(
        r#"{{"jwtRules":[{{"issuer":"{ISS}","jwks":{jwks},"clockSkewSeconds":18446744073709551615}}],
        "rules":[{{"match":{{"prefix":"faas"}},"requirement":"none"}}]}}"#
    );
    let h = Host::load(testhost::dist("jwt_auth")).unwrap();
    let refused = h.config(cfg).err().expect("refused").to_string();
    assert!(
        refused.contains("jwtRules[0].clockSkewSeconds"),
        "{refused}"
    );
    assert!(refused.contains("rules[0].match.prefix"), "{refused}");
}
