//! The combined kfaas-gateway module against the three plugins it replaces,
//! on real Envoy: one corpus (valid, expired, forged and missing tokens; grey
//! and normal users; spoofed and repeated headers; routed, unrouted and bad
//! paths; a token whose key arrives only after a JWKS refetch, so the request
//! waits and is resumed) through both, and the same status, body, challenge
//! and upstream request for every request.

use e2e::bench::scenarios::jwt_auth::{claims, Key, ISSUER};
use e2e::{http, Envoy, EnvoyConfig, Upstream, UpstreamResponse, WasmFilter};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

fn jwt_auth() -> Value {
    json!({
        "jwtRules": [{"issuer": ISSUER, "audiences": ["kfaas"],
                      "jwksUri": "http://jwks.local/keys", "jwksCluster": "jwks",
                      "outputClaimToHeaders": [{"header": "x-jwt-sub", "claim": "sub"}]}],
        "rules": [{"match": {"prefix": "/faas/api/public/"}, "requirement": "allow_missing"},
                  {"match": {"exact": "/healthz"}, "requirement": "none"}]
    })
}

fn grey_chain() -> Value {
    json!({
        "mode": "gateway", "tagHeader": "x-grey", "lanes": ["grey"],
        "gateway": {"rules": [
            {"lane": "grey", "match": {"header": {"name": "end-user", "exact": "test"}}},
            {"lane": "grey", "match": {"cookie": {"name": "lane", "exact": "grey"}}},
            {"lane": "grey", "percentage": 30, "hashBy": {"header": "x-jwt-sub"}}]}
    })
}

fn faas_router() -> Value {
    json!({
        "pathPrefix": "/faas/api/",
        "routes": [
            {"match": {"prefix": "/faas/api/saas/showroom/"}, "service": "saas-showroom", "namespace": "faas-alpha"},
            {"match": {"prefix": "/faas/api/public/"}, "service": "public", "namespace": "faas-alpha",
             "timeout": "3s"},
            {"match": {"exact": "/faas/api/render"}, "service": "render", "namespace": "faas-beta"},
            {"match": {"regex": "^/faas/api/u/[a-z0-9-]+/profile$"}, "service": "profile", "namespace": "faas-beta"}
        ],
        "onNoMatch": "reject"
    })
}

fn three_plugins(echo: &Upstream, jwks: &Upstream) -> anyhow::Result<Envoy> {
    let plugins = WasmFilter::kfaas_gateway_plugins(&jwt_auth(), &grey_chain(), &faas_router());
    Envoy::start(
        plugins
            .into_iter()
            .fold(EnvoyConfig::new(), |c, f| c.filter(f))
            .route_to(echo)
            .cluster("jwks", jwks.port()),
    )
}

fn combined(echo: &Upstream, jwks: &Upstream) -> anyhow::Result<Envoy> {
    Envoy::start(
        EnvoyConfig::new()
            .filter(WasmFilter::kfaas_gateway_combined(
                &jwt_auth(),
                &grey_chain(),
                &faas_router(),
            ))
            .route_to(echo)
            .cluster("jwks", jwks.port()),
    )
}

/// What a client and the upstream saw, with the Envoy's own port and the
/// per-request id taken out.
fn observe(envoy: &Envoy, path: &str, headers: &[(&str, &str)]) -> anyhow::Result<Value> {
    let r = http::get(&envoy.url(path), headers)?;
    let mut seen = json!({
        "status": r.status,
        "challenge": r.header("www-authenticate"),
        "body": serde_json::from_str::<Value>(&r.body).unwrap_or(Value::String(r.body.clone())),
    });
    if let Some(h) = seen["body"]["headers"].as_object_mut() {
        h.remove("x-request-id");
    }
    let text = seen.to_string().replace(&envoy.port().to_string(), "PORT");
    Ok(serde_json::from_str(&text)?)
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[test]
fn the_combined_module_answers_every_request_as_the_three_plugins_do() -> anyhow::Result<()> {
    let k1 = Key::generate("RS256", "k1")?;
    let k2 = Key::generate("ES256", "k2")?;
    let doc = Arc::new(Mutex::new(json!({"keys": [k1.jwk()?]})));
    let served = doc.clone();
    let jwks = Upstream::custom("jwks", move |_| {
        UpstreamResponse::json(200, &served.lock().unwrap_or_else(|e| e.into_inner()))
    })?;
    let echo = Upstream::echo("svc")?;
    let envoys = [three_plugins(&echo, &jwks)?, combined(&echo, &jwks)?];

    let token = |sub: &str| -> anyhow::Result<String> { Ok(bearer(&k1.token(&claims(sub))?)) };
    let users: Vec<String> = (0..12).map(|i| format!("user-{i}")).collect();
    let alice = token("alice")?;
    let mut expired = claims("alice");
    expired["exp"] = json!(expired["iat"].as_i64().unwrap_or(0) - 3600);
    let expired = bearer(&k1.token(&expired)?);
    let forged = alice.replace(".ey", ".eyX");
    let mut corpus: Vec<(String, Vec<(String, String)>)> = Vec::new();
    let mut add = |path: &str, headers: &[(&str, &str)]| {
        let headers = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        corpus.push((path.to_string(), headers));
    };
    let showroom = "/faas/api/saas/showroom/cars?x=1";
    for user in &users {
        add(showroom, &[("authorization", &token(user)?)]);
    }
    add(showroom, &[("authorization", &alice), ("end-user", "test")]);
    add(
        "/faas/api/render",
        &[("authorization", &alice), ("cookie", "a=b; lane=grey")],
    );
    add("/faas/api/u/bob-1/profile", &[("authorization", &alice)]);
    add("/faas/api/u/Bob/profile", &[("authorization", &alice)]);
    add("/faas/api/nothing/here", &[("authorization", &alice)]);
    add(
        "/faas/api/saas/%2e%2e/%2fshowroom/x",
        &[("authorization", &alice)],
    );
    add(
        "/faas/api/saas/showroom/../../../etc",
        &[("authorization", &alice)],
    );
    add("/faas/api/saas/./showroom//x", &[("authorization", &alice)]);
    add(showroom, &[("authorization", &expired)]);
    add(showroom, &[("authorization", &forged)]);
    add(showroom, &[("authorization", "Bearer not.a.token")]);
    add(showroom, &[]);
    add("/faas/api/public/list", &[]);
    add("/faas/api/public/list", &[("authorization", &forged)]);
    add("/healthz", &[("x-jwt-sub", "spoofed"), ("x-grey", "grey")]);
    add("/other/app", &[("authorization", &alice)]);
    add(
        showroom,
        &[
            ("authorization", &alice),
            ("x-jwt-sub", "admin"),
            ("x-jwt-sub", "root"),
            ("x-grey", "grey"),
            ("x-grey", "grey"),
            ("baggage", "lane=grey,k=v"),
            ("x-faas-service", "evil"),
            ("x-faas-service", "evil2"),
            ("x-faas-namespace", "kube-system"),
            ("x-envoy-original-path", "/admin"),
            ("x-envoy-upstream-rq-timeout-ms", "1"),
        ],
    );
    add(
        "/faas/api/public/list",
        &[
            ("x-envoy-upstream-rq-timeout-ms", "99999"),
            ("end-user", "test"),
            ("end-user", "x"),
        ],
    );
    add(
        showroom,
        &[("authorization", &alice), ("authorization", &token("bob")?)],
    );

    let mut statuses = Vec::new();
    let mut grey = Value::Null;
    for (path, headers) in &corpus {
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let three = observe(&envoys[0], path, &headers)?;
        let one = observe(&envoys[1], path, &headers)?;
        assert_eq!(three, one, "{path} {headers:?}");
        statuses.push(one["status"].as_u64().unwrap_or(0));
        if headers == [("authorization", alice.as_str()), ("end-user", "test")] {
            grey = one;
        }
    }
    // The corpus covers what it says: routed, grey, refused by each stage.
    for want in [200, 400, 401, 404] {
        assert!(statuses.contains(&want), "no {want} in {statuses:?}");
    }
    assert_eq!(grey["body"]["headers"]["x-grey"], "grey", "{grey}");
    assert_eq!(
        grey["body"]["headers"]["x-faas-service"], "saas-showroom",
        "{grey}"
    );
    assert_eq!(
        grey["body"]["authority"], "saas-showroom.faas-alpha.svc.cluster.local",
        "{grey}"
    );

    // A key only a refetch brings: each request waits for the JWKS, is
    // resumed, and the later stages still run (lane, route) in both.
    doc.lock().unwrap_or_else(|e| e.into_inner())["keys"] = json!([k1.jwk()?, k2.jwk()?]);
    let t2 = bearer(&k2.token(&claims("test-rotated"))?);
    for envoy in &envoys {
        let r = observe(
            envoy,
            showroom,
            &[("authorization", &t2), ("end-user", "test")],
        )?;
        assert_eq!(r["status"], 200, "{r}");
        assert_eq!(r["body"]["headers"]["x-jwt-sub"], "test-rotated", "{r}");
        assert_eq!(r["body"]["headers"]["x-grey"], "grey", "{r}");
        assert_eq!(
            r["body"]["headers"]["x-faas-service"], "saas-showroom",
            "{r}"
        );
    }
    let t2_unrouted = observe(&envoys[0], "/faas/api/none", &[("authorization", &t2)])?;
    assert_eq!(
        t2_unrouted,
        observe(&envoys[1], "/faas/api/none", &[("authorization", &t2)])?
    );

    // Both saw the same requests: each filter's stats keep their names and
    // come to the same counts.
    for name in [
        "jwt_auth.allowed",
        "faas_router.rejected.no_route",
        "grey_chain.gateway.baseline",
    ] {
        let stat = format!("wasmcustom.{name}");
        let (three, one) = (envoys[0].stat(&stat), envoys[1].stat(&stat));
        assert!(one.is_some(), "{stat}");
        assert_eq!(three, one, "{stat}");
    }
    Ok(())
}

#[test]
fn a_missing_section_switches_its_stage_off() -> anyhow::Result<()> {
    let echo = Upstream::echo("svc")?;
    let envoy = Envoy::start(
        EnvoyConfig::new()
            .filter(WasmFilter::kfaas_gateway_plugin(
                "kfaas-gateway",
                "kfaas_gateway",
                &json!({"faasRouter": faas_router()}),
            ))
            .route_to(&echo),
    )?;
    let r = http::get(&envoy.url("/faas/api/render"), &[("x-grey", "grey")])?;
    assert_eq!(r.status, 200, "{}", r.body);
    let seen = &r.json()?["headers"];
    assert_eq!(seen["x-faas-service"], "render");
    assert_eq!(
        seen["x-grey"], "grey",
        "no grey-chain stage: the lane is not touched"
    );
    Ok(())
}
