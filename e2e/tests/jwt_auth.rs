//! jwt-auth on a real Envoy: tokens of every algorithm signed by keys made
//! here, claims seen by the upstream, spoofed output headers removed, remote
//! JWKS served by an upstream that is stopped and restarted, key rotation,
//! rules scoped to hosts, audit mode (refusals counted, not enforced), and
//! Istio's `jwks_uri`, `timeout` and `spaceDelimitedClaims`.

use e2e::bench::scenarios::jwt_auth::{claims, Key, ISSUER};
use e2e::{http, Envoy, EnvoyConfig, Upstream, UpstreamResponse, WasmFilter};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn filter(config: &Value) -> WasmFilter {
    WasmFilter::new("jwt-auth", "istio-system", e2e::dist("jwt_auth"))
        .root_id("jwt-auth")
        .config_json(config.to_string())
        .fail_closed()
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[test]
fn every_algorithm_and_claims_reach_the_upstream() -> anyhow::Result<()> {
    let keys: Vec<Key> = ["HS256", "RS256", "PS256", "ES256", "ES384", "EdDSA"]
        .iter()
        .map(|alg| Key::generate(alg, &format!("kid-{alg}")))
        .collect::<anyhow::Result<_>>()?;
    let jwks = json!({"keys": keys.iter().map(Key::jwk).collect::<anyhow::Result<Vec<_>>>()?});
    let config = json!({
        "jwtRules": [{
            "issuer": ISSUER, "audiences": ["kfaas"], "jwks": jwks.to_string(),
            "outputClaimToHeaders": [{"header": "x-jwt-sub", "claim": "sub"}, {"header": "x-jwt-groups", "claim": "groups"}],
            "outputPayloadToHeader": "x-jwt-payload"
        }],
        "rules": [{"match": {"prefix": "/public/"}, "requirement": "allow_missing"}]
    });
    let echo = Upstream::echo("svc")?;
    let envoy = Envoy::start(EnvoyConfig::new().filter(filter(&config)).route_to(&echo))?;

    for key in &keys {
        let mut c = claims(&format!("user-{}", key.alg));
        c["groups"] = json!(["a", "b"]);
        let token = key.token(&c)?;
        let auth = bearer(&token);
        let r = http::get(
            &envoy.url("/api"),
            &[("authorization", &auth), ("x-jwt-sub", "spoofed")],
        )?;
        assert_eq!(r.status, 200, "{}: {}", key.alg, r.body);
        let seen = &r.json()?["headers"];
        assert_eq!(
            seen["x-jwt-sub"],
            format!("user-{}", key.alg),
            "{}",
            key.alg
        );
        assert_eq!(seen["x-jwt-groups"], "a,b");
        assert_eq!(seen["x-jwt-payload"], token.split('.').nth(1).unwrap());
        assert!(
            seen.get("authorization").is_none(),
            "token forwarded: {seen}"
        );
    }

    // No token, a bad token, a spoofed claim header without a token.
    let r = http::get(&envoy.url("/api?q=1"), &[("x-jwt-sub", "admin")])?;
    assert_eq!(r.status, 401);
    let challenge = r.header("www-authenticate").unwrap_or_default().to_string();
    assert!(
        challenge.starts_with("Bearer realm=\"http://") && challenge.ends_with("/api\""),
        "{challenge}"
    );
    assert_eq!(
        r.json()?,
        json!({"error": "unauthorized", "reason": "missing"})
    );
    let forged = keys[3].token(&claims("alice"))?.replace(".ey", ".eyX");
    let r = http::get(&envoy.url("/api"), &[("authorization", &bearer(&forged))])?;
    assert_eq!(r.status, 401);
    assert!(r
        .header("www-authenticate")
        .unwrap_or_default()
        .contains("error=\"invalid_token\""));
    let mut wrong_aud = claims("alice");
    wrong_aud["aud"] = json!("other");
    let r = http::get(
        &envoy.url("/api"),
        &[("authorization", &bearer(&keys[0].token(&wrong_aud)?))],
    )?;
    assert_eq!(r.status, 403);

    // allow_missing: no token passes, and a spoofed output header never reaches the upstream.
    let r = http::get(
        &envoy.url("/public/x"),
        &[("x-jwt-sub", "admin"), ("x-jwt-payload", "e30")],
    )?;
    assert_eq!(r.status, 200);
    let seen = &r.json()?["headers"];
    assert!(
        seen.get("x-jwt-sub").is_none() && seen.get("x-jwt-payload").is_none(),
        "{seen}"
    );

    assert_eq!(envoy.stat("wasmcustom.jwt_auth.allowed"), Some(6));
    assert_eq!(envoy.stat("wasmcustom.jwt_auth.denied.missing"), Some(1));
    assert_eq!(envoy.stat("wasmcustom.jwt_auth.denied.audience"), Some(1));
    Ok(())
}

fn jwks_server(doc: Arc<Mutex<Value>>) -> anyhow::Result<Upstream> {
    Upstream::custom("jwks", move |req| {
        assert_eq!(req.path, "/keys");
        UpstreamResponse::json(200, &doc.lock().unwrap())
    })
}

fn remote_config() -> Value {
    json!({"jwtRules": [{
        "issuer": ISSUER, "jwksUri": "http://jwks.local/keys", "jwksCluster": "jwks",
        "outputClaimToHeaders": [{"header": "x-jwt-sub", "claim": "sub"}]
    }]})
}

fn status_within(envoy: &Envoy, auth: &str, want: u16, within: Duration) -> anyhow::Result<u16> {
    let start = Instant::now();
    loop {
        let r = http::get(&envoy.url("/api"), &[("authorization", auth)])?;
        if r.status == want || start.elapsed() > within {
            return Ok(r.status);
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn remote_jwks_rotation_and_outage() -> anyhow::Result<()> {
    let k1 = Key::generate("ES256", "k1")?;
    let k2 = Key::generate("RS256", "k2")?;
    let doc = Arc::new(Mutex::new(json!({"keys": [k1.jwk()?]})));
    let jwks = jwks_server(doc.clone())?;
    let echo = Upstream::echo("svc")?;
    let envoy = Envoy::start(
        EnvoyConfig::new()
            .filter(filter(&remote_config()))
            .route_to(&echo)
            .cluster("jwks", jwks.port()),
    )?;
    let t1 = bearer(&k1.token(&claims("one"))?);
    let r = http::get(&envoy.url("/api"), &[("authorization", &t1)])?;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()?["headers"]["x-jwt-sub"], "one");

    // Rotation: the issuer adds k2; a k2 token waits for one refetch and passes.
    doc.lock().unwrap()["keys"] = json!([k1.jwk()?, k2.jwk()?]);
    let t2 = bearer(&k2.token(&claims("two"))?);
    let r = http::get(&envoy.url("/api"), &[("authorization", &t2)])?;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()?["headers"]["x-jwt-sub"], "two");

    // The JWKS server goes away: known keys keep working.
    jwks.stop();
    assert_eq!(
        http::get(&envoy.url("/api"), &[("authorization", &t1)])?.status,
        200
    );
    assert!(
        envoy
            .stat("wasmcustom.jwt_auth.jwks_fetch.success")
            .unwrap_or(0)
            >= 2
    );
    Ok(())
}

#[test]
fn no_keys_yet_is_503_until_the_jwks_server_comes_back() -> anyhow::Result<()> {
    let k1 = Key::generate("EdDSA", "k1")?;
    let doc = Arc::new(Mutex::new(json!({"keys": [k1.jwk()?]})));
    let jwks = jwks_server(doc)?;
    jwks.stop();
    let echo = Upstream::echo("svc")?;
    let envoy = Envoy::start(
        EnvoyConfig::new()
            .filter(filter(&remote_config()))
            .route_to(&echo)
            .cluster("jwks", jwks.port()),
    )?;
    let t1 = bearer(&k1.token(&claims("one"))?);
    let r = http::get(&envoy.url("/api"), &[("authorization", &t1)])?;
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(
        r.json()?,
        json!({"error": "service_unavailable", "reason": "jwks_unavailable"})
    );
    jwks.restart()?;
    // Retried every 5 s while no keys were ever fetched.
    assert_eq!(
        status_within(&envoy, &t1, 200, Duration::from_secs(15))?,
        200
    );
    assert!(
        envoy
            .stat("wasmcustom.jwt_auth.jwks_fetch.failure")
            .unwrap_or(0)
            >= 1
    );
    Ok(())
}

/// Envoy with a rule that reads the header and a cookie, forwards the token,
/// and lets `/faas/api/public/` pass without one; and a valid bearer value.
fn hostile_setup() -> anyhow::Result<(Envoy, Upstream, String)> {
    let key = Key::generate("HS256", "k")?;
    let config = json!({
        "jwtRules": [{
            "issuer": ISSUER, "audiences": ["kfaas"],
            "jwks": json!({"keys": [key.jwk()?]}).to_string(),
            "fromHeaders": [{"name": "authorization", "prefix": "Bearer "}],
            "fromCookies": ["token"],
            "forwardOriginalToken": true
        }],
        "rules": [{"match": {"prefix": "/faas/api/public/"}, "requirement": "allow_missing"}]
    });
    let echo = Upstream::echo("svc")?;
    let envoy = Envoy::start(EnvoyConfig::new().filter(filter(&config)).route_to(&echo))?;
    let auth = bearer(&key.token(&claims("alice"))?);
    Ok((envoy, echo, auth))
}

#[test]
fn header_values_that_are_not_utf8_do_not_kill_the_vm() -> anyhow::Result<()> {
    let (envoy, _echo, auth) = hostile_setup()?;
    // The echo upstream cannot take such a value, so this one is refused.
    let (status, body) = http::raw_get(envoy.port(), "/api", &[("x-name", b"caf\xe9")])?;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains(r#""reason":"missing""#), "{body}");
    let (status, body) = http::raw_get(
        envoy.port(),
        "/faas/api/public/x",
        &[("authorization", b"Bearer \xe9")],
    )?;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains(r#""reason":"malformed""#), "{body}");
    // Still alive and verifying.
    let (status, body) =
        http::raw_get(envoy.port(), "/api", &[("authorization", auth.as_bytes())])?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(http::raw_get(envoy.port(), "/api", &[])?.0, 401);
    Ok(())
}

#[test]
fn dot_segments_cannot_reach_a_laxer_rule() -> anyhow::Result<()> {
    let (envoy, _echo, _) = hostile_setup()?;
    for path in [
        "/faas/api/public/../a/secret",
        "/faas/api/public/%2e%2e/a/secret",
        "/faas/api/public//../a/secret",
    ] {
        let (status, body) = http::raw_get(envoy.port(), path, &[])?;
        assert_eq!(status, 401, "{path}: {body}");
    }
    let (status, body) = http::raw_get(envoy.port(), "/faas/api/public/..%2fa", &[])?;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains(r#""reason":"encoded_slash""#), "{body}");
    Ok(())
}

#[test]
fn a_second_cookie_or_token_header_cannot_smuggle_a_token() -> anyhow::Result<()> {
    let (envoy, _echo, auth) = hostile_setup()?;
    let (status, body) = http::raw_get(
        envoy.port(),
        "/faas/api/public/x",
        &[("cookie", b"a=1"), ("cookie", b"token=forged")],
    )?;
    assert_eq!(status, 401, "{body}");
    let (status, body) = http::raw_get(
        envoy.port(),
        "/faas/api/public/x",
        &[
            ("authorization", auth.as_bytes()),
            ("authorization", b"Bearer forged"),
        ],
    )?;
    assert_eq!(status, 401, "{body}");
    Ok(())
}

/// Repeated copies (2 and 3) of every output header next to a valid token
/// (in the `token` cookie, after other cookies): the claims arrive once each,
/// no client value survives, and the cookies left arrive as one header.
#[test]
fn repeated_copies_of_output_headers_and_cookies_arrive_once() -> anyhow::Result<()> {
    let key = Key::generate("HS256", "k")?;
    let config = json!({
        "jwtRules": [{
            "issuer": ISSUER, "audiences": ["kfaas"],
            "jwks": json!({"keys": [key.jwk()?]}).to_string(),
            "fromHeaders": [{"name": "authorization", "prefix": "Bearer "}],
            "fromCookies": ["token"],
            "outputClaimToHeaders": [{"header": "x-jwt-sub", "claim": "sub"}, {"header": "x-jwt-groups", "claim": "groups"}],
            "outputPayloadToHeader": "x-jwt-payload"
        }]
    });
    let echo = Upstream::echo("svc")?;
    let envoy = Envoy::start(EnvoyConfig::new().filter(filter(&config)).route_to(&echo))?;
    let token = key.token(&claims("alice"))?;
    let cookie = format!("token={token}");
    let values = ["root", "admin", "e30"];
    for copies in [2, 3] {
        let mut headers: Vec<(&str, &str)> = Vec::new();
        for name in ["x-jwt-sub", "x-jwt-groups", "x-jwt-payload"] {
            headers.extend(values[..copies].iter().map(|v| (name, *v)));
        }
        headers.extend(
            [("cookie", "a=1"), ("cookie", "b=2"), ("cookie", &cookie)][3 - copies..].iter(),
        );
        let r = http::get(&envoy.url("/api"), &headers)?;
        assert_eq!(r.status, 200, "{copies} copies: {}", r.body);
        let seen = echo.requests().pop().expect("reached the upstream");
        assert_eq!(seen.header_all("x-jwt-sub"), ["alice"], "{copies} copies");
        assert_eq!(
            seen.header_all("x-jwt-payload"),
            [token.split('.').nth(1).unwrap_or_default()],
            "{copies} copies"
        );
        assert!(
            seen.header_all("x-jwt-groups").is_empty(),
            "{copies} copies"
        );
        let rest = ["a=1", "b=2"][3 - copies..].join("; ");
        assert_eq!(
            seen.header_all("cookie"),
            [rest.as_str()],
            "{copies} copies"
        );
    }
    assert_eq!(envoy.stat("wasmcustom.jwt_auth.allowed"), Some(2));
    Ok(())
}

/// One rule per listed host on a shared ingress: pages of other hosts need
/// no token (`defaultRequirement: none`), the API host needs one.
#[test]
fn a_rule_with_hosts_demands_a_token_only_on_those_hosts() -> anyhow::Result<()> {
    let key = Key::generate("ES256", "k")?;
    let config = json!({
        "jwtRules": [{
            "issuer": ISSUER, "audiences": ["kfaas"],
            "jwks": json!({"keys": [key.jwk()?]}).to_string()
        }],
        "rules": [{"match": {"prefix": "/"}, "hosts": ["api.example.com", "*.faas.example.com"], "requirement": "required"}],
        "defaultRequirement": "none"
    });
    let echo = Upstream::echo("svc")?;
    let envoy = Envoy::start(EnvoyConfig::new().filter(filter(&config)).route_to(&echo))?;

    for other in [
        "www.example.com",
        "WWW.example.com:8080",
        "faas.example.com",
    ] {
        let r = http::get(&envoy.url("/index.html"), &[("host", other)])?;
        assert_eq!(r.status, 200, "{other}: {}", r.body);
        assert_eq!(r.json()?["authority"], other, "the upstream saw this host");
    }
    for listed in [
        "api.example.com",
        "API.example.com:8443",
        "x.faas.example.com",
    ] {
        let r = http::get(&envoy.url("/index.html"), &[("host", listed)])?;
        assert_eq!(r.status, 401, "{listed}: {}", r.body);
        assert_eq!(
            r.json()?,
            json!({"error": "unauthorized", "reason": "missing"})
        );
        let auth = bearer(&key.token(&claims("alice"))?);
        let r = http::get(
            &envoy.url("/index.html"),
            &[("host", listed), ("authorization", &auth)],
        )?;
        assert_eq!(r.status, 200, "{listed}: {}", r.body);
    }
    assert_eq!(envoy.stat("wasmcustom.jwt_auth.denied.missing"), Some(3));
    assert_eq!(envoy.stat("wasmcustom.jwt_auth.allowed"), Some(3));
    Ok(())
}

/// The migration guide's "observe" step: the same rules in audit mode let a
/// bad token through to the upstream, count why it would have been refused
/// and log it once; claim headers still come only from a valid token.
#[test]
fn audit_mode_lets_a_bad_token_through_and_counts_it() -> anyhow::Result<()> {
    let key = Key::generate("RS256", "k")?;
    let stranger = Key::generate("RS256", "k")?;
    let config = json!({
        "mode": "audit",
        "jwtRules": [{
            "issuer": ISSUER, "audiences": ["kfaas"],
            "jwks": json!({"keys": [key.jwk()?]}).to_string(),
            "outputClaimToHeaders": [{"header": "x-jwt-sub", "claim": "sub"}]
        }]
    });
    let echo = Upstream::echo("svc")?;
    let envoy = Envoy::start(EnvoyConfig::new().filter(filter(&config)).route_to(&echo))?;

    // Same kid, another key: a bad signature. Spoofed claim header sent twice.
    let forged = bearer(&stranger.token(&claims("mallory"))?);
    let r = http::raw_get(
        envoy.port(),
        "/api/orders?page=2",
        &[
            ("authorization", forged.as_bytes()),
            ("x-jwt-sub", b"admin"),
            ("x-jwt-sub", b"root"),
        ],
    )?;
    assert_eq!(r.0, 200, "{}", r.1);
    let r = http::get(&envoy.url("/api/orders"), &[("x-jwt-sub", "admin")])?;
    assert_eq!(r.status, 200, "{}", r.body);

    let seen = echo.requests();
    assert_eq!(seen.len(), 2, "both reached the upstream");
    for req in &seen {
        assert!(
            req.headers.iter().all(|(n, _)| n != "x-jwt-sub"),
            "spoofed claim header reached the upstream: {:?}",
            req.headers
        );
    }
    // The bad token is passed as sent (audit changes nothing it would refuse).
    assert_eq!(seen[0].header("authorization"), Some(forged.as_str()));
    assert_eq!(seen[0].path, "/api/orders?page=2");

    // A valid token still gets its claims and loses the token, as in enforce.
    let good = bearer(&key.token(&claims("alice"))?);
    let r = http::get(
        &envoy.url("/api/orders"),
        &[("authorization", &good), ("x-jwt-sub", "admin")],
    )?;
    assert_eq!(r.status, 200);
    let headers = &r.json()?["headers"];
    assert_eq!(headers["x-jwt-sub"], "alice");
    assert!(headers.get("authorization").is_none(), "{headers}");
    // Two spoofed copies next to a valid token: only the claim arrives.
    let r = http::raw_get(
        envoy.port(),
        "/api/orders",
        &[
            ("x-jwt-sub", b"admin"),
            ("authorization", good.as_bytes()),
            ("x-jwt-sub", b"root"),
        ],
    )?;
    assert_eq!(r.0, 200, "{}", r.1);
    let last = echo.requests().pop().expect("reached the upstream");
    let subs: Vec<&str> = last
        .headers
        .iter()
        .filter(|(n, _)| n == "x-jwt-sub")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(subs, vec!["alice"]);

    assert_eq!(envoy.stat("wasmcustom.jwt_auth.audit.signature"), Some(1));
    assert_eq!(envoy.stat("wasmcustom.jwt_auth.audit.missing"), Some(1));
    assert_eq!(envoy.stat("wasmcustom.jwt_auth.denied.signature"), Some(0));
    assert_eq!(envoy.stat("wasmcustom.jwt_auth.allowed"), Some(2));
    let log = envoy.log();
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("jwt-auth: audit: would refuse"))
        .collect();
    assert_eq!(lines.len(), 2, "one line per audited request: {lines:?}");
    assert!(
        lines[0].contains("[info]") && lines[0].contains("/api/orders with 401 (signature)"),
        "{lines:?}"
    );
    assert!(
        !lines[0].contains("page=2"),
        "the query is not logged: {lines:?}"
    );
    assert!(
        lines[1].ends_with("/api/orders with 401 (missing)"),
        "{lines:?}"
    );
    Ok(())
}

/// Istio's `jwtRules` fields on a real Envoy: `jwks_uri` with a `timeout`, a
/// space-delimited `scope` claim as a header list; bad values refused by name.
#[test]
fn istio_jwks_uri_timeout_and_space_delimited_scope() -> anyhow::Result<()> {
    let k = Key::generate("ES256", "k1")?;
    let jwks = jwks_server(Arc::new(Mutex::new(json!({"keys": [k.jwk()?]}))))?;
    let echo = Upstream::echo("svc")?;
    let config = json!({"jwtRules": [{
        "issuer": ISSUER, "jwks_uri": "http://jwks.local/keys", "jwksCluster": "jwks",
        "timeout": "2s", "spaceDelimitedClaims": ["scope"],
        "outputClaimToHeaders": [{"header": "x-scope", "claim": "scope"}]
    }]});
    let envoy = Envoy::start(
        EnvoyConfig::new()
            .filter(filter(&config))
            .route_to(&echo)
            .cluster("jwks", jwks.port()),
    )?;
    let mut c = claims("alice");
    c["scope"] = json!("read write  admin");
    let auth = bearer(&k.token(&c)?);
    let r = http::get(&envoy.url("/api"), &[("authorization", &auth)])?;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()?["headers"]["x-scope"], "read,write,admin");

    let bad = json!({"jwtRules": [
        {"issuer": ISSUER, "jwksUri": "http://jwks.local/keys", "jwks_uri": "http://jwks.local/keys", "jwksCluster": "jwks"},
        {"issuer": "b", "jwks_uri": "http://jwks.local/keys", "jwksCluster": "jwks", "timeout": "0.1ms"}
    ]});
    let refused = Envoy::start(
        EnvoyConfig::new()
            .filter(filter(&bad))
            .route_to(&echo)
            .cluster("jwks", jwks.port()),
    )
    .err()
    .map(|e| format!("{e:#}"))
    .unwrap_or_default();
    for field in ["jwtRules[0]: only one of", "jwtRules[1].timeout"] {
        assert!(refused.contains(field), "{field} not named in {refused}");
    }
    Ok(())
}

/// Two `presence: REQUIRED` rules (Istio's `requires_all`): an identity
/// token in `authorization` and a scope token in `x-scope-token`; one
/// missing → 401; both → 200 with both rules' claim headers.
#[test]
fn two_required_tokens_one_missing_is_401() -> anyhow::Result<()> {
    let id = Key::generate("ES256", "id")?;
    let scope = Key::generate("RS256", "scope")?;
    let scope_issuer = "https://scope.example.com";
    let config = json!({"jwtRules": [
        {"issuer": ISSUER, "jwks": json!({"keys": [id.jwk()?]}).to_string(), "presence": "REQUIRED",
         "outputClaimToHeaders": [{"header": "x-jwt-sub", "claim": "sub"}]},
        {"issuer": scope_issuer, "jwks": json!({"keys": [scope.jwk()?]}).to_string(), "presence": "REQUIRED",
         "fromHeaders": [{"name": "x-scope-token"}], "spaceDelimitedClaims": ["scope"],
         "outputClaimToHeaders": [{"header": "x-scope", "claim": "scope"}]}
    ]});
    let echo = Upstream::echo("svc")?;
    let envoy = Envoy::start(EnvoyConfig::new().filter(filter(&config)).route_to(&echo))?;
    let auth = bearer(&id.token(&claims("alice"))?);
    let mut c = claims("alice");
    c["iss"] = json!(scope_issuer);
    c["scope"] = json!("read write");
    let st = scope.token(&c)?;
    let r = http::get(&envoy.url("/api"), &[("authorization", &auth)])?;
    assert_eq!(r.status, 401, "{}", r.body);
    let r = http::get(&envoy.url("/api"), &[("x-scope-token", &st)])?;
    assert_eq!(r.status, 401, "{}", r.body);
    let r = http::get(
        &envoy.url("/api"),
        &[("authorization", &auth), ("x-scope-token", &st)],
    )?;
    assert_eq!(r.status, 200, "{}", r.body);
    let seen = &r.json()?["headers"];
    assert_eq!(seen["x-jwt-sub"], "alice");
    assert_eq!(seen["x-scope"], "read,write");
    assert!(seen.get("x-scope-token").is_none() && seen.get("authorization").is_none());
    Ok(())
}

/// OpenID Connect discovery: a rule with only `issuer` and `jwksCluster`
/// reads `<issuer>/.well-known/openid-configuration` from a loopback issuer,
/// then the JWKS it names (on another host, through `jwksCluster`, while
/// `discoveryCluster` serves the issuer): a valid token passes. A document
/// naming another issuer is refused: its keys are never loaded → 503.
#[test]
fn openid_connect_discovery_from_a_loopback_issuer() -> anyhow::Result<()> {
    let k = Key::generate("ES256", "k1")?;
    let jwks = jwks_server(Arc::new(Mutex::new(json!({"keys": [k.jwk()?]}))))?;
    let served_issuer = Arc::new(Mutex::new(ISSUER.to_string()));
    let doc_issuer = served_issuer.clone();
    let issuer = Upstream::custom("issuer", move |req| {
        assert_eq!(req.path, "/.well-known/openid-configuration");
        let doc =
            json!({"issuer": *doc_issuer.lock().unwrap(), "jwks_uri": "http://jwks.local/keys"});
        UpstreamResponse::json(200, &doc)
    })?;
    let echo = Upstream::echo("svc")?;
    let config = json!({"jwtRules": [{
        "issuer": ISSUER, "jwksCluster": "jwks", "discoveryCluster": "issuer",
        "outputClaimToHeaders": [{"header": "x-jwt-sub", "claim": "sub"}]
    }]});
    let start = |config: &Value| {
        Envoy::start(
            EnvoyConfig::new()
                .filter(filter(config))
                .route_to(&echo)
                .cluster("jwks", jwks.port())
                .cluster("issuer", issuer.port()),
        )
    };
    let envoy = start(&config)?;
    let auth = bearer(&k.token(&claims("disco"))?);
    let status = status_within(&envoy, &auth, 200, Duration::from_secs(10))?;
    assert_eq!(status, 200);
    let r = http::get(&envoy.url("/api"), &[("authorization", &auth)])?;
    assert_eq!(r.json()?["headers"]["x-jwt-sub"], "disco");
    drop(envoy);

    *served_issuer.lock().unwrap() = "https://evil.example.com".into();
    let envoy = start(&config)?;
    let r = http::get(&envoy.url("/api"), &[("authorization", &auth)])?;
    assert_eq!(r.status, 503, "{}", r.body);
    std::thread::sleep(Duration::from_secs(1));
    let r = http::get(&envoy.url("/api"), &[("authorization", &auth)])?;
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(
        envoy
            .stat("wasmcustom.jwt_auth.discovery.failure")
            .unwrap_or(0)
            >= 1
    );
    assert_eq!(
        envoy
            .stat("wasmcustom.jwt_auth.jwks_fetch.success")
            .unwrap_or(0),
        0
    );
    Ok(())
}
