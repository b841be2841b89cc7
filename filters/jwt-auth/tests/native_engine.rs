//! The engine natively: every algorithm, the attack corpus, requirements,
//! outputs, cache and remote JWKS state, without a proxy-wasm host.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use jwt_auth::config;
use jwt_auth::engine::{Decision, Engine, Metric, Mutation};
use jwt_auth::extract::{Removal, Request};
use jwt_auth::verify::Failure;
use serde_json::json;
use support::*;

fn engine(rule_extra: &str, top_extra: &str, keys: &[serde_json::Value]) -> Engine {
    let jwks = serde_json::to_string(&jwks(keys)).unwrap();
    let cfg = format!(
        r#"{{"jwtRules":[{{"issuer":"{ISS}","audiences":["kfaas"],"jwks":{jwks}{rule_extra}}}]{top_extra}}}"#
    );
    Engine::new(config::parse(cfg.as_bytes()).unwrap(), NOW)
}

fn get(path: &str, headers: &[(&str, &str)]) -> Request {
    Request {
        method: "GET".into(),
        scheme: "https".into(),
        authority: "api.example.com".into(),
        path: path.into(),
        headers: headers
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
        ..Request::default()
    }
}

fn bearer(token: &str) -> Request {
    get(
        "/faas/api/x?q=1",
        &[("authorization", &format!("Bearer {token}"))],
    )
}

fn status(d: &Decision) -> u32 {
    match d {
        Decision::Continue(_) | Decision::Audit { .. } => 200,
        Decision::Deny(d) => d.status,
        Decision::Wait { .. } => 0,
    }
}

fn reason(d: &Decision) -> Option<Failure> {
    match d {
        Decision::Deny(d) => Some(d.reason),
        _ => None,
    }
}

#[test]
fn every_algorithm_verifies() {
    let rsa = rsa("a", 2048);
    let keys: Vec<(&str, Key)> = vec![
        ("HS256", hmac(b"0123456789abcdef0123456789abcdef")),
        (
            "HS384",
            hmac(b"0123456789abcdef0123456789abcdef0123456789abcdef"),
        ),
        (
            "HS512",
            hmac(b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
        ),
        ("ES256", p256()),
        ("ES384", p384()),
        ("EdDSA", ed25519()),
    ];
    let rsa_algs = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];
    let mut jwk_list: Vec<_> = keys
        .iter()
        .map(|(alg, k)| k.jwk(Some(alg), Some(alg)))
        .collect();
    jwk_list.push(rsa.jwk(Some("rsa"), None));
    let mut e = engine("", "", &jwk_list);
    for (alg, k) in &keys {
        let d = e.decide(&bearer(&std_token(k, alg, Some(alg))), NOW, false);
        assert_eq!(status(&d), 200, "{alg}: {d:?}");
        // Without a kid, every key of the right kind is tried.
        let d = e.decide(&bearer(&std_token(k, alg, None)), NOW, false);
        assert_eq!(status(&d), 200, "{alg} without kid: {d:?}");
    }
    for alg in rsa_algs {
        let d = e.decide(&bearer(&std_token(&rsa, alg, Some("rsa"))), NOW, false);
        assert_eq!(status(&d), 200, "{alg}: {d:?}");
    }
    // A 4096-bit key too.
    let big = support::rsa("big", 4096);
    let mut e = engine("", "", &[big.jwk(Some("big"), Some("RS256"))]);
    let d = e.decide(&bearer(&std_token(&big, "RS256", Some("big"))), NOW, false);
    assert_eq!(status(&d), 200, "{d:?}");
    let d = e.decide(&bearer(&std_token(&big, "PS256", Some("big"))), NOW, false);
    assert_eq!(reason(&d), Some(Failure::Signature), "the JWK pins RS256");
}

#[test]
fn attack_corpus_is_refused_one_by_one() {
    let rsa = rsa("a", 2048);
    let ec = p256();
    let mut e = engine(
        "",
        "",
        &[
            rsa.jwk(Some("rsa"), Some("RS256")),
            ec.jwk(Some("ec"), Some("ES256")),
        ],
    );
    // The baseline passes, so each refusal below is due to its one change.
    assert_eq!(
        status(&e.decide(&bearer(&std_token(&rsa, "RS256", Some("rsa"))), NOW, false)),
        200
    );
    assert_eq!(
        status(&e.decide(&bearer(&std_token(&ec, "ES256", Some("ec"))), NOW, false)),
        200
    );
    for (name, token) in attacks(&rsa, &ec) {
        let d = e.decide(&bearer(&token), NOW, false);
        assert_eq!(status(&d), 401, "{name}: {d:?}");
        let Decision::Deny(denial) = &d else {
            unreachable!()
        };
        assert!(
            !denial.body.contains(&token[..20.min(token.len())]),
            "{name}: body echoes the token"
        );
    }
}

#[test]
fn audience_time_and_requirements() {
    let k = hmac(b"secret-secret-secret-secret-0123");
    let mut e = engine(
        r#","outputClaimToHeaders":[{"header":"x-jwt-sub","claim":"sub"},{"header":"x-org","claim":"org.id"}],"outputPayloadToHeader":"x-jwt-payload""#,
        r#","rules":[{"match":{"prefix":"/public/"},"requirement":"allow_missing"},{"match":{"exact":"/healthz"},"requirement":"none"}]"#,
        &[k.jwk(None, Some("HS256"))],
    );
    let h = json!({"alg": "HS256"});
    let mut c = claims();
    c["aud"] = json!(["other", "kfaas"]);
    c["org"] = json!({"id": 7});
    let tok = token(&k, &h, &c);
    let d = e.decide(&bearer(&tok), NOW, false);
    let Decision::Continue(m) = d else {
        panic!("{d:?}")
    };
    assert!(m.contains(&Mutation::SetHeader("x-jwt-sub".into(), "alice".into())));
    assert!(m.contains(&Mutation::SetHeader("x-org".into(), "7".into())));
    assert!(m.contains(&Mutation::SetHeader(
        "x-jwt-payload".into(),
        tok.split('.').nth(1).unwrap().into()
    )));
    assert!(m.contains(&Mutation::Remove(Removal::Header("authorization".into()))));

    c["aud"] = json!("other");
    let d = e.decide(&bearer(&token(&k, &h, &c)), NOW, false);
    assert_eq!((status(&d), reason(&d)), (403, Some(Failure::Audience)));

    // Skew: 60 s either side.
    let tok = token(
        &k,
        &h,
        &json!({"iss": ISS, "aud": "kfaas", "exp": NOW - 60, "nbf": NOW + 60}),
    );
    assert_eq!(status(&e.decide(&bearer(&tok), NOW, false)), 200);
    assert_eq!(
        reason(&e.decide(&bearer(&tok), NOW + 1, false)),
        Some(Failure::Expired)
    );

    // Requirements.
    assert_eq!(
        reason(&e.decide(&get("/x", &[]), NOW, false)),
        Some(Failure::Missing)
    );
    assert_eq!(status(&e.decide(&get("/public/x", &[]), NOW, false)), 200);
    let bad = get("/public/x", &[("authorization", "Bearer a.b.c")]);
    assert_eq!(
        reason(&e.decide(&bad, NOW, false)),
        Some(Failure::Malformed)
    );
    assert_eq!(
        status(&e.decide(
            &get("/healthz", &[("authorization", "Bearer a.b.c")]),
            NOW,
            false
        )),
        200
    );
}

#[test]
fn cache_hits_recheck_time() {
    let k = hmac(b"secret-secret-secret-secret-0123");
    let mut e = engine("", "", &[k.jwk(None, None)]);
    let tok = std_token(&k, "HS256", None);
    e.take_metrics();
    assert_eq!(status(&e.decide(&bearer(&tok), NOW, false)), 200);
    assert_eq!(e.take_metrics(), vec![Metric::CacheMiss, Metric::Allowed]);
    assert_eq!(status(&e.decide(&bearer(&tok), NOW, false)), 200);
    assert_eq!(e.take_metrics(), vec![Metric::CacheHit, Metric::Allowed]);
    assert_eq!(e.cached_tokens(), 1);
    // Past exp + skew the entry is gone and the token is refused.
    let d = e.decide(&bearer(&tok), NOW + 3600 + 61, false);
    assert_eq!(reason(&d), Some(Failure::Expired));
    assert_eq!(e.cached_tokens(), 0);
}

fn remote_engine() -> Engine {
    let cfg = format!(
        r#"{{"jwtRules":[{{"issuer":"{ISS}","jwksUri":"http://jwks.local/keys","jwksCluster":"jwks"}}]}}"#
    );
    Engine::new(config::parse(cfg.as_bytes()).unwrap(), NOW)
}

#[test]
fn remote_keys_wait_rotate_and_survive_failures() {
    let k1 = p256();
    let k2 = p256();
    let mut e = remote_engine();
    assert_eq!(e.due_fetches(NOW), vec![0]);
    assert_eq!(e.fetch_target(0), Some(("jwks", "jwks.local", "/keys")));
    let t1 = std_token(&k1, "ES256", Some("k1"));
    // First fetch in flight: the request waits, without a second fetch.
    assert_eq!(
        e.decide(&bearer(&t1), NOW, true),
        Decision::Wait { rule: 0 }
    );
    assert!(e.due_fetches(NOW).is_empty(), "one fetch at a time");
    // It fails: the waiting request is answered 503, not 401.
    e.fetch_done(0, NOW, Err("timeout".into()));
    assert_eq!(
        reason(&e.decide(&bearer(&t1), NOW, false)),
        Some(Failure::JwksUnavailable)
    );
    assert_eq!(
        status(&e.decide(&bearer(&t1), NOW, true)),
        503,
        "a fetch just failed: no wait"
    );
    // Later a request starts a fetch itself and waits for it.
    assert!(e.due_fetches(NOW + 4).is_empty());
    assert_eq!(
        e.decide(&bearer(&t1), NOW + 5, true),
        Decision::Wait { rule: 0 }
    );
    assert_eq!(e.due_fetches(NOW + 5), vec![0]);
    let logs = e.fetch_done(0, NOW + 5, Ok(jwks(&[k1.jwk(Some("k1"), None)]).as_bytes()));
    assert!(
        logs.iter().any(|(_, l)| l.contains("loaded 1 key")),
        "{logs:?}"
    );
    assert_eq!(status(&e.decide(&bearer(&t1), NOW + 5, false)), 200);
    // Rotation: an unknown kid waits for one refetch.
    let t2 = std_token(&k2, "ES256", Some("k2"));
    assert!(e.due_fetches(NOW + 6).is_empty());
    assert_eq!(
        e.decide(&bearer(&t2), NOW + 6, true),
        Decision::Wait { rule: 0 }
    );
    assert_eq!(e.due_fetches(NOW + 6), vec![0]);
    e.fetch_done(0, NOW + 6, Ok(jwks(&[k2.jwk(Some("k2"), None)]).as_bytes()));
    assert_eq!(status(&e.decide(&bearer(&t2), NOW + 6, false)), 200);
    // The old key is gone; its cached verification is not trusted any more,
    // and another refetch for an unknown kid waits 30 s.
    assert_eq!(
        reason(&e.decide(&bearer(&t1), NOW + 7, true)),
        Some(Failure::UnknownKid)
    );
    // A failed or malformed refresh keeps the last good keys.
    assert_eq!(e.due_fetches(NOW + 6 + 600), vec![0]);
    let logs = e.fetch_done(0, NOW + 606, Ok(b"{\"keys\":[{\"kty\":\"EC\"}]}"));
    assert!(
        logs.iter()
            .any(|(warn, l)| *warn && l.contains("keeping the last good keys")),
        "{logs:?}"
    );
    assert_eq!(status(&e.decide(&bearer(&t2), NOW + 606, true)), 200);
    let m = e.take_metrics();
    assert_eq!(
        m.iter().filter(|m| **m == Metric::JwksFetchFailure).count(),
        2
    );
    assert_eq!(
        m.iter().filter(|m| **m == Metric::JwksFetchSuccess).count(),
        2
    );
    // Retried after 30 s, not after the full period.
    assert!(e.due_fetches(NOW + 635).is_empty());
    assert_eq!(e.due_fetches(NOW + 636), vec![0]);
    // An unchanged document keeps the parsed keys and the verified tokens.
    let logs = e.fetch_done(
        0,
        NOW + 636,
        Ok(jwks(&[k2.jwk(Some("k2"), None)]).as_bytes()),
    );
    assert!(logs.is_empty(), "{logs:?}");
    assert_eq!(e.take_metrics(), vec![Metric::JwksFetchSuccess]);
    assert_eq!(status(&e.decide(&bearer(&t2), NOW + 637, true)), 200);
    assert_eq!(e.take_metrics(), vec![Metric::CacheHit, Metric::Allowed]);
}

/// Issue 15: a fetched JWKS over `maxJwksBytes` or with more than 1,000 keys is refused like a
/// bad document; the last good keys stay.
#[test]
fn oversized_remote_jwks_are_refused_and_the_last_good_keys_kept() {
    let k1 = p256();
    let mut e = remote_engine();
    assert_eq!(e.due_fetches(NOW), vec![0]);
    e.fetch_done(0, NOW, Ok(jwks(&[k1.jwk(Some("k1"), None)]).as_bytes()));
    let t1 = std_token(&k1, "ES256", Some("k1"));
    assert_eq!(status(&e.decide(&bearer(&t1), NOW, false)), 200);
    e.take_metrics();
    let padded = format!(
        r#"{{"keys":[{}],"padding":"{}"}}"#,
        k1.jwk(Some("k1"), None),
        "x".repeat(256 * 1024)
    );
    let logs = e.fetch_done(0, NOW + 600, Ok(padded.as_bytes()));
    assert!(
        logs.iter()
            .any(|(warn, l)| *warn && l.contains("over maxJwksBytes")),
        "{logs:?}"
    );
    let many: Vec<_> = (0..1001)
        .map(|i| k1.jwk(Some(&format!("k{i}")), None))
        .collect();
    let logs = e.fetch_done(0, NOW + 700, Ok(jwks(&many).as_bytes()));
    assert!(
        logs.iter().any(|(_, l)| l.contains("at most 1000")),
        "{logs:?}"
    );
    assert_eq!(
        e.take_metrics()
            .iter()
            .filter(|m| **m == Metric::JwksFetchFailure)
            .count(),
        2
    );
    assert_eq!(status(&e.decide(&bearer(&t1), NOW + 701, false)), 200);
}

#[test]
fn metric_index_is_its_position_in_all() {
    let all = Metric::all();
    for (i, m) in all.iter().enumerate() {
        assert_eq!(m.index(), i, "{m:?}");
    }
    assert_eq!(all.len(), 28);
    let names: Vec<String> = all.iter().map(|m| m.name()).collect();
    assert!(names.contains(&"audit.signature".to_string()));
    assert!(names.contains(&"denied.signature".to_string()));
}

#[test]
fn a_rule_with_hosts_demands_nothing_on_another_host() {
    let k = hmac(b"secret-secret-secret-secret-0123");
    let mut e = engine(
        "",
        r#","rules":[{"match":{"prefix":"/"},"hosts":["api.example.com"],"requirement":"required"}],"defaultRequirement":"none""#,
        &[k.jwk(None, None)],
    );
    let mut www = get("/faas/api/x", &[]);
    www.authority = "www.example.com:8080".into();
    assert_eq!(e.decide(&www, NOW, false), Decision::Continue(Vec::new()));
    // Not even a bad token is looked at there.
    www.headers = vec![("authorization".into(), "Bearer a.b.c".into())];
    assert_eq!(e.decide(&www, NOW, false), Decision::Continue(Vec::new()));
    assert!(e.take_metrics().is_empty());
    // The listed host, any case and port: required.
    let mut api = get("/faas/api/x", &[]);
    api.authority = "API.example.com:443".into();
    assert_eq!(reason(&e.decide(&api, NOW, false)), Some(Failure::Missing));
    api.headers = vec![(
        "authorization".into(),
        format!("Bearer {}", std_token(&k, "HS256", None)),
    )];
    assert_eq!(status(&e.decide(&api, NOW, false)), 200);
}

fn audit(d: &Decision) -> (Failure, String) {
    match d {
        Decision::Audit { reason, log } => (*reason, log.clone()),
        other => panic!("not audited: {other:?}"),
    }
}

#[test]
fn audit_mode_passes_what_enforce_refuses_and_counts_it_by_reason() {
    let k = hmac(b"secret-secret-secret-secret-0123");
    let other = hmac(b"another-secret-another-secret-01");
    let outputs = r#","outputClaimToHeaders":[{"header":"x-jwt-sub","claim":"sub"}]"#;
    let rules = r#","rules":[{"match":{"prefix":"/public/"},"requirement":"allow_missing"}]"#;
    let mut enforce = engine(outputs, rules, &[k.jwk(None, None)]);
    let mut e = engine(
        outputs,
        &format!(r#"{rules},"mode":"audit""#),
        &[k.jwk(None, None)],
    );
    e.take_metrics();
    enforce.take_metrics();

    let forged = std_token(&other, "HS256", None);
    let mut wrong_aud = claims();
    wrong_aud["aud"] = json!("other");
    let cases: Vec<(Request, Failure, &str)> = vec![
        (
            get("/faas/api/x?q=1", &[]),
            Failure::Missing,
            "401 (missing)",
        ),
        (
            get(&format!("/faas/api/x?access_token={forged}"), &[]),
            Failure::Signature,
            "401 (signature)",
        ),
        (bearer("a.b.c"), Failure::Malformed, "401 (malformed)"),
        (
            bearer(&token(&k, &json!({"alg": "HS256"}), &wrong_aud)),
            Failure::Audience,
            "403 (audience)",
        ),
        (get("/faas/..%2fx", &[]), Failure::BadPath, "400 (bad_path)"),
    ];
    for (req, want, status_text) in &cases {
        // Enforce refuses it ...
        assert_eq!(reason(&enforce.decide(req, NOW, false)), Some(*want));
        assert_eq!(enforce.take_metrics().last(), Some(&Metric::Denied(*want)));
        // ... audit lets it pass, counted as audit.<reason>, never as denied.
        let (got, log) = audit(&e.decide(req, NOW, false));
        assert_eq!(got, *want);
        let m = e.take_metrics();
        assert_eq!(m.last(), Some(&Metric::Audit(*want)), "{m:?}");
        assert!(!m.iter().any(|m| matches!(m, Metric::Denied(_))), "{m:?}");
        assert!(
            log.starts_with("audit: would refuse GET api.example.com/faas/")
                && log.ends_with(status_text),
            "{log}"
        );
        assert!(!log.contains('?') && !log.contains(&forged), "{log}");
    }
    assert_eq!(Metric::Audit(Failure::Audience).name(), "audit.audience");

    // What enforce lets through is unchanged in audit: claims set, token removed.
    let ok = bearer(&std_token(&k, "HS256", None));
    let Decision::Continue(m) = e.decide(&ok, NOW, false) else {
        panic!()
    };
    assert!(m.contains(&Mutation::SetHeader("x-jwt-sub".into(), "alice".into())));
    assert!(m.contains(&Mutation::Remove(Removal::Header("authorization".into()))));
    assert_eq!(
        e.decide(&get("/public/x", &[]), NOW, false),
        Decision::Continue(Vec::new())
    );
    // A long path is cut in the log line.
    let long = format!("/{}", "a".repeat(5000));
    let (_, log) = audit(&e.decide(&get(&long, &[]), NOW, false));
    assert!(log.len() < 300, "{}", log.len());
}

/// The outcome behind `jwt_auth_requests{result, reason}` and `wasm.jwt_auth.result`.
#[test]
fn each_decision_has_its_outcome() {
    use jwt_auth::engine::{RequestOutcome, RequestResult};
    let k = hmac(b"secret-secret-secret-secret-0123");
    let rules = r#","rules":[{"match":{"prefix":"/public/"},"requirement":"allow_missing"},{"match":{"exact":"/healthz"},"requirement":"none"}]"#;
    let mut e = engine("", rules, &[k.jwk(None, Some("HS256"))]);
    let tok = token(&k, &json!({"alg": "HS256"}), &claims());
    let outcome = |result, reason, rule| {
        Some(RequestOutcome {
            result,
            reason,
            rule,
        })
    };
    e.decide(&bearer(&tok), NOW, false);
    assert_eq!(
        e.take_outcome(),
        outcome(RequestResult::Allowed, "valid", Some(0))
    );
    assert_eq!(e.take_outcome(), None, "taken once");
    e.decide(&get("/public/x", &[]), NOW, false);
    assert_eq!(
        e.take_outcome(),
        outcome(RequestResult::Allowed, "none", None)
    );
    e.decide(&get("/healthz", &[]), NOW, false);
    assert_eq!(
        e.take_outcome(),
        outcome(RequestResult::Skipped, "none", None)
    );
    e.decide(&get("/private", &[]), NOW, false);
    assert_eq!(
        e.take_outcome(),
        outcome(RequestResult::Denied, "missing", None)
    );
    assert_eq!(e.key_count(0), 1);
    assert_eq!(e.issuer(0), Some(ISS));

    let mut audit = engine("", r#","mode":"audit""#, &[k.jwk(None, Some("HS256"))]);
    let d = audit.decide(&bearer("x.y.z"), NOW, false);
    assert!(matches!(d, Decision::Audit { .. }), "{d:?}");
    assert_eq!(
        audit.take_outcome(),
        outcome(RequestResult::AuditDenied, "malformed", None)
    );
}
