//! `presence: REQUIRED` in the engine (Istio's `requires_all`): an identity
//! token in `authorization` and a scope token in `x-scope-token`, both
//! required; one missing, invalid, from another issuer or from the wrong
//! location is refused; both valid write both rules' claim headers.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use jwt_auth::config;
use jwt_auth::engine::{Decision, Engine, Mutation};
use jwt_auth::extract::{Removal, Request};
use jwt_auth::verify::Failure;
use serde_json::{json, Value};
use support::*;

const SCOPE_ISS: &str = "https://scope.example.com";

fn engine(id: &Key, scope: &Key, scope_presence: &str, top: &str) -> Engine {
    let cfg = json!({"jwtRules": [
        {"issuer": ISS, "jwks": jwks(&[id.jwk(None, None)]), "presence": "REQUIRED",
         "outputClaimToHeaders": [{"header": "x-sub", "claim": "sub"}]},
        {"issuer": SCOPE_ISS, "jwks": jwks(&[scope.jwk(None, None)]), "presence": scope_presence,
         "fromHeaders": [{"name": "x-scope-token"}], "fromCookies": ["scope"],
         "spaceDelimitedClaims": ["scope"],
         "outputClaimToHeaders": [{"header": "x-scope", "claim": "scope"}]}
    ]});
    let mut cfg = cfg.to_string();
    cfg.pop();
    cfg.push_str(top);
    cfg.push('}');
    Engine::new(config::parse(cfg.as_bytes()).unwrap(), NOW)
}

fn keys() -> (Key, Key) {
    (
        hmac(b"identity-key-identity-key-32byte"),
        hmac(b"scope-key-scope-key-scope-key-32"),
    )
}

fn id_token(k: &Key) -> String {
    token(k, &json!({"alg": "HS256"}), &claims())
}

fn scope_token(k: &Key, iss: &str) -> String {
    let mut c: Value = claims();
    c["iss"] = json!(iss);
    c["scope"] = json!("read write");
    token(k, &json!({"alg": "HS256"}), &c)
}

fn request(headers: &[(&str, &str)]) -> Request {
    Request {
        method: "GET".into(),
        scheme: "https".into(),
        authority: "api.example.com".into(),
        path: "/api".into(),
        headers: headers
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
        ..Request::default()
    }
}

fn refused(d: &Decision) -> Option<(u32, Failure)> {
    match d {
        Decision::Deny(d) => Some((d.status, d.reason)),
        _ => None,
    }
}

#[test]
fn both_required_tokens_pass_and_write_both_claims() {
    let (id, scope) = keys();
    let mut e = engine(&id, &scope, "REQUIRED", "");
    let auth = format!("Bearer {}", id_token(&id));
    let st = scope_token(&scope, SCOPE_ISS);
    let d = e.decide(
        &request(&[("authorization", &auth), ("x-scope-token", &st)]),
        NOW,
        false,
    );
    let Decision::Continue(m) = d else {
        panic!("{d:?}")
    };
    assert!(m.contains(&Mutation::SetHeader("x-sub".into(), "alice".into())));
    assert!(m.contains(&Mutation::SetHeader("x-scope".into(), "read,write".into())));
    assert!(m.contains(&Mutation::Remove(Removal::Header("authorization".into()))));
    assert!(m.contains(&Mutation::Remove(Removal::Header("x-scope-token".into()))));
}

#[test]
fn a_missing_or_bad_required_token_is_refused() {
    let (id, scope) = keys();
    let mut e = engine(&id, &scope, "REQUIRED", "");
    let auth = format!("Bearer {}", id_token(&id));
    let st = scope_token(&scope, SCOPE_ISS);
    let d = e.decide(&request(&[("authorization", &auth)]), NOW, false);
    assert_eq!(refused(&d), Some((401, Failure::Missing)));
    let d = e.decide(&request(&[("x-scope-token", &st)]), NOW, false);
    assert_eq!(refused(&d), Some((401, Failure::Missing)));
    // Signed with the wrong key.
    let forged = scope_token(&id, SCOPE_ISS);
    let d = e.decide(
        &request(&[("authorization", &auth), ("x-scope-token", &forged)]),
        NOW,
        false,
    );
    assert_eq!(refused(&d).map(|r| r.0), Some(401));
    // The identity token where the scope token belongs: not that rule's token.
    let d = e.decide(
        &request(&[("authorization", &auth), ("x-scope-token", &id_token(&id))]),
        NOW,
        false,
    );
    assert_eq!(refused(&d), Some((401, Failure::Issuer)));
    // The scope token in authorization: not the identity rule's token.
    let d = e.decide(
        &request(&[
            ("authorization", &format!("Bearer {st}")),
            ("x-scope-token", &st),
        ]),
        NOW,
        false,
    );
    assert_eq!(refused(&d), Some((401, Failure::Issuer)));
}

#[test]
fn allow_missing_lets_required_tokens_be_missing_not_invalid() {
    let (id, scope) = keys();
    let top = r#","defaultRequirement":"allow_missing""#;
    let mut e = engine(&id, &scope, "REQUIRED", top);
    let d = e.decide(&request(&[]), NOW, false);
    assert_eq!(d, Decision::Continue(Vec::new()));
    let d = e.decide(&request(&[("x-scope-token", "a.b.c")]), NOW, false);
    assert_eq!(refused(&d).map(|r| r.0), Some(401));
}

#[test]
fn an_optional_rule_beside_a_required_one_may_be_missing() {
    let (id, scope) = keys();
    let mut e = engine(&id, &scope, "OPTIONAL", "");
    let auth = format!("Bearer {}", id_token(&id));
    let d = e.decide(&request(&[("authorization", &auth)]), NOW, false);
    assert!(matches!(d, Decision::Continue(_)), "{d:?}");
    // Present, it must be valid.
    let d = e.decide(
        &request(&[("authorization", &auth), ("x-scope-token", "bad")]),
        NOW,
        false,
    );
    assert_eq!(refused(&d).map(|r| r.0), Some(401));
    // The optional token alone does not satisfy the REQUIRED rule.
    let st = scope_token(&scope, SCOPE_ISS);
    let d = e.decide(&request(&[("x-scope-token", &st)]), NOW, false);
    assert_eq!(refused(&d), Some((401, Failure::Missing)));
}

#[test]
fn two_cookie_tokens_are_both_removed() {
    let (id, scope) = keys();
    let cfg = json!({"jwtRules": [
        {"issuer": ISS, "jwks": jwks(&[id.jwk(None, None)]), "presence": "REQUIRED", "fromCookies": ["id"]},
        {"issuer": SCOPE_ISS, "jwks": jwks(&[scope.jwk(None, None)]), "presence": "REQUIRED", "fromCookies": ["scope"]}
    ]});
    let mut e = Engine::new(config::parse(cfg.to_string().as_bytes()).unwrap(), NOW);
    let cookie = format!(
        "a=1; id={}; scope={}; b=2",
        id_token(&id),
        scope_token(&scope, SCOPE_ISS)
    );
    let d = e.decide(&request(&[("cookie", &cookie)]), NOW, false);
    let Decision::Continue(m) = d else {
        panic!("{d:?}")
    };
    assert_eq!(
        m,
        vec![Mutation::Remove(Removal::Cookie(Some("a=1; b=2".into())))]
    );
}
