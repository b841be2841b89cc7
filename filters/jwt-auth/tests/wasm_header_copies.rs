//! Repeated copies of the headers jwt-auth owns (the output headers) or reads
//! (token headers, `Cookie`), through the built module (dist/jwt_auth.wasm),
//! under both replace semantics testhost models: Envoy's (replace removes
//! every copy) and hosts whose replace sets only the first copy. What leaves
//! must be the same on both: no client value of an output header survives,
//! each header the filter sets leaves exactly once.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::time::{Duration, UNIX_EPOCH};
use support::*;
use testhost::{Host, ReplaceSemantics};

/// Output headers: `sub` and `iss` (in every token), `groups` (in none) and
/// the payload; tokens from `authorization` (Bearer), `x-token` and cookie `token`.
const RULE: &str = r#","fromHeaders":[{"name":"authorization","prefix":"Bearer "},{"name":"x-token"}],
"fromCookies":["token"],
"outputClaimToHeaders":[{"header":"x-jwt-sub","claim":"sub"},{"header":"x-jwt-iss","claim":"iss"},{"header":"x-jwt-groups","claim":"groups"}],
"outputPayloadToHeader":"x-jwt-payload""#;

const OUTPUTS: [&str; 4] = ["x-jwt-sub", "x-jwt-iss", "x-jwt-groups", "x-jwt-payload"];

fn host(semantics: ReplaceSemantics) -> (Host, Key) {
    let k = hmac(b"secret-secret-secret-secret-0123");
    let jwks = serde_json::to_string(&jwks(&[k.jwk(None, None)])).unwrap();
    let cfg = format!(
        r#"{{"jwtRules":[{{"issuer":"{ISS}","audiences":["kfaas"],"jwks":{jwks}{RULE}}}],
        "rules":[{{"match":{{"prefix":"/public/"}},"requirement":"allow_missing"}}]}}"#
    );
    let mut h = Host::load(testhost::dist("jwt_auth")).unwrap();
    h.set_clock(UNIX_EPOCH + Duration::from_secs(NOW as u64));
    h.set_replace_semantics(semantics);
    (h.config(cfg).unwrap_or_else(|e| panic!("{e}")), k)
}

/// `copies` spoofed copies of every output header, each with its own value.
fn spoofs(copies: usize) -> Vec<(&'static str, &'static str)> {
    let values = ["spoofed-0", "spoofed-1", "spoofed-2"];
    OUTPUTS
        .iter()
        .flat_map(|name| values.iter().take(copies).map(move |v| (*name, *v)))
        .collect()
}

#[test]
fn claim_headers_leave_once_whatever_copies_the_client_sent() {
    for semantics in ReplaceSemantics::ALL {
        for copies in [2, 3] {
            let (mut h, k) = host(semantics);
            let token = std_token(&k, "HS256", None);
            let auth = format!("Bearer {token}");
            let mut headers = spoofs(copies);
            headers.push(("authorization", &auth));
            let (status, s) = get_on(&mut h, "api.example.com", "/x", &headers);
            let at = format!("{semantics:?}, {copies} copies");
            assert_eq!(status, 200, "{at}");
            assert_eq!(s.request_header_all("x-jwt-sub"), ["alice"], "{at}");
            assert_eq!(s.request_header_all("x-jwt-iss"), [ISS], "{at}");
            let payload = token.split('.').nth(1).unwrap();
            assert_eq!(s.request_header_all("x-jwt-payload"), [payload], "{at}");
            // No `groups` claim: every client copy removed, none added.
            assert!(s.request_header_all("x-jwt-groups").is_empty(), "{at}");
            assert!(s.request_header_all("authorization").is_empty(), "{at}");
        }
    }
}

#[test]
fn spoofed_output_headers_are_all_removed_without_a_token() {
    for semantics in ReplaceSemantics::ALL {
        for copies in [2, 3] {
            let (mut h, _) = host(semantics);
            let (status, s) = get_on(&mut h, "api.example.com", "/public/x", &spoofs(copies));
            let at = format!("{semantics:?}, {copies} copies");
            assert_eq!(status, 200, "{at}");
            for name in OUTPUTS {
                assert!(s.request_header_all(name).is_empty(), "{name}: {at}");
            }
        }
    }
}

#[test]
fn repeated_token_headers_are_one_token_and_all_removed() {
    for semantics in ReplaceSemantics::ALL {
        for copies in [2, 3] {
            let (mut h, k) = host(semantics);
            let token = std_token(&k, "HS256", None);
            let at = format!("{semantics:?}, {copies} copies");
            // The same token in every copy of a token header: one token, and
            // every copy removed.
            let auth = format!("Bearer {token}");
            for (name, value) in [("authorization", auth.as_str()), ("x-token", &token)] {
                let headers = vec![(name, value); copies];
                let (status, s) = get_on(&mut h, "api.example.com", "/x", &headers);
                assert_eq!(status, 200, "{name}: {at}");
                assert!(s.request_header_all(name).is_empty(), "{name}: {at}");
                assert_eq!(s.request_header_all("x-jwt-sub"), ["alice"], "{name}: {at}");
            }
            // A different value in the last copy: two tokens, refused.
            let mut headers = vec![("authorization", auth.as_str()); copies];
            headers[copies - 1].1 = "Bearer forged";
            let (status, s) = get_on(&mut h, "api.example.com", "/x", &headers);
            assert_eq!(status, 401, "{at}");
            assert_eq!(
                s.local_response().unwrap().body_text(),
                r#"{"error":"unauthorized","reason":"malformed"}"#,
                "{at}"
            );
        }
    }
}

#[test]
fn the_token_cookie_is_removed_from_every_cookie_header() {
    for semantics in ReplaceSemantics::ALL {
        for copies in [2, 3] {
            let (mut h, k) = host(semantics);
            let at = format!("{semantics:?}, {copies} copies");
            let with_token = format!("token={}", std_token(&k, "HS256", None));
            // The token in the last Cookie header, other cookies in the rest.
            let mut cookies: Vec<String> = (0..copies - 1).map(|i| format!("c{i}=v{i}")).collect();
            cookies.push(with_token.clone());
            let mut headers: Vec<(&str, &str)> =
                cookies.iter().map(|c| ("cookie", c.as_str())).collect();
            let (status, s) = get_on(&mut h, "api.example.com", "/x", &headers);
            assert_eq!(status, 200, "{at}");
            let rest: Vec<String> = (0..copies - 1).map(|i| format!("c{i}=v{i}")).collect();
            assert_eq!(s.request_header_all("cookie"), [rest.join("; ")], "{at}");
            assert_eq!(s.request_header_all("x-jwt-sub"), ["alice"], "{at}");
            // Only the token in every Cookie header: none leaves.
            headers = vec![("cookie", with_token.as_str()); copies];
            let (status, s) = get_on(&mut h, "api.example.com", "/x", &headers);
            assert_eq!(status, 200, "{at}");
            assert!(s.request_header_all("cookie").is_empty(), "{at}");
        }
    }
}
