//! OpenID Connect discovery in the engine: a rule with only `issuer` (and
//! `jwksCluster`) fetches `<issuer>/.well-known/openid-configuration`, then
//! the JWKS it names, exactly as a `jwksUri`; a document naming another
//! issuer or a non-http(s) `jwks_uri` is refused, counted, its keys never
//! loaded (503 until a good one).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use jwt_auth::config;
use jwt_auth::engine::{Decision, Engine, Metric};
use jwt_auth::extract::Request;
use jwt_auth::verify::Failure;
use serde_json::json;
use support::*;

fn engine(extra: &str) -> Engine {
    let cfg = format!(r#"{{"jwtRules":[{{"issuer":"{ISS}","jwksCluster":"keys"{extra}}}]}}"#);
    Engine::new(config::parse(cfg.as_bytes()).unwrap(), NOW)
}

fn bearer(token: &str) -> Request {
    Request {
        method: "GET".into(),
        authority: "api.example.com".into(),
        path: "/api".into(),
        headers: vec![("authorization".into(), format!("Bearer {token}"))],
        ..Request::default()
    }
}

fn doc(issuer: &str, jwks_uri: &str) -> String {
    json!({"issuer": issuer, "jwks_uri": jwks_uri, "id_token_signing_alg_values_supported": ["ES256"]})
        .to_string()
}

#[test]
fn discovery_then_jwks_then_tokens() {
    let mut e = engine("");
    assert_eq!(e.due_fetches(NOW), vec![0]);
    assert_eq!(
        e.fetch_target(0),
        Some((
            "keys",
            "auth.example.com",
            "/.well-known/openid-configuration"
        ))
    );
    let k = p256();
    let t = std_token(&k, "ES256", Some("k1"));
    // Before any keys: a request waits.
    assert!(matches!(
        e.decide(&bearer(&t), NOW, true),
        Decision::Wait { rule: 0 }
    ));
    let body = doc(ISS, "https://keys.example.com/certs");
    e.fetch_done(0, NOW, Ok(body.as_bytes()));
    assert!(e.keys_pending(0));
    assert_eq!(e.due_fetches(NOW), vec![0]);
    assert!(!e.keys_pending(0));
    assert_eq!(
        e.fetch_target(0),
        Some(("keys", "keys.example.com", "/certs"))
    );
    e.fetch_done(0, NOW, Ok(jwks(&[k.jwk(Some("k1"), None)]).as_bytes()));
    assert!(matches!(
        e.decide(&bearer(&t), NOW, true),
        Decision::Continue(_)
    ));
    // Refreshes go to the JWKS, not to discovery again.
    assert_eq!(e.due_fetches(NOW + 601), vec![0]);
    assert_eq!(
        e.fetch_target(0),
        Some(("keys", "keys.example.com", "/certs"))
    );
}

#[test]
fn a_discovery_cluster_serves_the_issuer_host() {
    let e = engine(r#","discoveryCluster":"issuer""#);
    assert_eq!(
        e.fetch_target(0),
        Some((
            "issuer",
            "auth.example.com",
            "/.well-known/openid-configuration"
        ))
    );
}

#[test]
fn a_bad_discovery_document_never_loads_keys() {
    for body in [
        doc("https://evil.example.com", "https://keys.example.com/certs"),
        doc(ISS, "file:///keys"),
        "{\"issuer\":".to_string(),
    ] {
        let mut e = engine("");
        e.due_fetches(NOW);
        let logs = e.fetch_done(0, NOW, Ok(body.as_bytes()));
        assert!(
            logs.iter()
                .any(|(warn, l)| *warn && l.contains("refused, its keys not used")),
            "{logs:?}"
        );
        assert!(!e.keys_pending(0));
        assert!(e.take_metrics().contains(&Metric::DiscoveryFailure));
        let t = std_token(&p256(), "ES256", None);
        match e.decide(&bearer(&t), NOW, true) {
            Decision::Deny(d) => assert_eq!((d.status, d.reason), (503, Failure::JwksUnavailable)),
            other => panic!("{other:?}"),
        }
        // Retried later, still at the discovery document.
        assert_eq!(e.due_fetches(NOW + 5), vec![0]);
        assert_eq!(
            e.fetch_target(0).map(|t| t.2),
            Some("/.well-known/openid-configuration")
        );
    }
}

#[test]
fn discovery_configuration_is_checked() {
    let bad = |json: &str| -> Vec<String> {
        config::parse(json.as_bytes())
            .err()
            .unwrap_or_else(|| panic!("accepted {json}"))
            .errors
            .into_iter()
            .map(|e| e.field)
            .collect()
    };
    assert_eq!(
        bad(r#"{"jwtRules":[{"issuer":"https://a"}]}"#),
        vec!["jwtRules[0].jwksCluster"]
    );
    assert_eq!(
        bad(r#"{"jwtRules":[{"issuer":"a-name","jwksCluster":"k"}]}"#),
        vec!["jwtRules[0].issuer"]
    );
    assert_eq!(
        bad(
            r#"{"jwtRules":[{"issuer":"https://a","jwksUri":"http://k/j","jwksCluster":"k","discoveryCluster":"d"}]}"#
        ),
        vec!["jwtRules[0].discoveryCluster"]
    );
    assert_eq!(
        bad(r#"{"jwtRules":[{"issuer":"https://a","jwksCluster":"k","discoveryCluster":""}]}"#),
        vec!["jwtRules[0].discoveryCluster"]
    );
}
