//! `make demo`: one gateway Envoy running the three filters in the order istiod places them
//! (jwt-auth → grey-chain → faas-router → router) in front of echo services standing in for
//! Knative services, normal and grey. A few requests, their real responses, then everything
//! stops.
//!
//! To extend: filter configurations in `gateway`, requests in `requests`.

use anyhow::Result;
use e2e::bench::scenarios::jwt_auth::{claims, Key};
use e2e::{http, Envoy, EnvoyConfig, Routes, Upstream, WasmFilter};
use serde_json::{json, Value};

/// One request to show.
struct Demo {
    what: &'static str,
    path: &'static str,
    headers: Vec<(&'static str, String)>,
}

fn demo(what: &'static str, path: &'static str) -> Demo {
    Demo {
        what,
        path,
        headers: Vec::new(),
    }
}

impl Demo {
    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

fn requests(alice: &str, bob: &str, forged: &str) -> Vec<Demo> {
    let bearer = |t: &str| format!("Bearer {t}");
    vec![
        demo(
            "No token on a protected path: jwt-auth answers 401",
            "/faas/api/saas/showroom/rooms/1",
        ),
        demo(
            "A token with a forged signature: 401 invalid_token",
            "/faas/api/saas/showroom/rooms/1",
        )
        .header("authorization", bearer(forged)),
        demo(
            "Bob's valid ES256 token: faas-router picks saas-showroom (normal lane)",
            "/faas/api/saas/showroom/rooms/1?view=3d",
        )
        .header("authorization", bearer(bob)),
        demo(
            "Bob again as an internal tester (end-user: test): the grey version",
            "/faas/api/saas/showroom/rooms/1",
        )
        .header("authorization", bearer(bob))
        .header("end-user", "test"),
        demo(
            "Alice is on the grey allow-list: grey without asking",
            "/faas/api/saas/showroom/rooms/1",
        )
        .header("authorization", bearer(alice)),
        demo(
            "Bob forges the filters' output headers: all removed before deciding",
            "/faas/api/saas/showroom/rooms/1",
        )
        .header("authorization", bearer(bob))
        .header("x-grey", "grey")
        .header("x-jwt-sub", "alice")
        .header("x-faas-service", "render"),
        demo(
            "A rewritten route (rewritePrefix) to another namespace",
            "/faas/api/p/saas/virtual-showroom/tour",
        )
        .header("authorization", bearer(bob)),
        demo(
            "An encoded slash (a path-confusion trick): faas-router refuses it with 400",
            "/faas/api/saas/showroom%2F..%2F..%2Fadmin",
        )
        .header("authorization", bearer(bob)),
        demo("No faas route for this path: 404", "/faas/api/nothing/here")
            .header("authorization", bearer(bob)),
        demo(
            "A public health check (requirement none) needs no token",
            "/healthz",
        ),
    ]
}

const SHOWROOM: &str = "saas-showroom";

/// The gateway's three filters and a fixed route table that routes on faas-router's
/// `x-faas-service` and grey-chain's `x-grey`, as the VirtualServices in wasmplugins/ do.
fn gateway(jwks: &Value, upstreams: &[&Upstream]) -> EnvoyConfig {
    let jwt = json!({
        "jwtRules": [{
            "issuer": e2e::bench::scenarios::jwt_auth::ISSUER,
            "audiences": ["kfaas"],
            "jwks": jwks.to_string(),
            "outputClaimToHeaders": [{"header": "x-jwt-sub", "claim": "sub"}]
        }],
        "rules": [{"match": {"exact": "/healthz"}, "requirement": "none"}]
    });
    let grey = json!({
        "mode": "gateway",
        "tagHeader": "x-grey",
        "lanes": ["grey"],
        "gateway": {"rules": [
            {"lane": "grey", "match": {"header": {"name": "end-user", "exact": "test"}}},
            {"lane": "grey", "match": {"header": {"name": "x-jwt-sub", "in": ["alice"]}}},
            {"lane": "grey", "percentage": 10, "hashBy": {"header": "x-jwt-sub"}}
        ]}
    });
    let faas = json!({
        "pathPrefix": "/faas/api/",
        "routes": [
            {"match": {"prefix": "/faas/api/saas/showroom/"}, "service": SHOWROOM, "namespace": "faas-alpha"},
            {"match": {"prefix": "/faas/api/p/saas/virtual-showroom/"}, "service": "virtual-showroom",
             "namespace": "faas-beta", "rewritePrefix": "/"}
        ],
        "onNoMatch": "reject"
    });
    let mut cfg = EnvoyConfig::new()
        .filter(wasm("jwt-auth", "jwt_auth", &jwt))
        .filter(wasm("grey-chain", "grey_chain", &grey))
        .filter(wasm("faas-router", "faas_router", &faas));
    for up in upstreams {
        cfg = cfg.upstream(up);
    }
    let on = |name: &str, value: &str| json!({"name": name, "string_match": {"exact": value}});
    cfg.routes(
        Routes::new()
            .route(json!({
                "match": {"prefix": "/", "headers": [on("x-faas-service", SHOWROOM), on("x-grey", "grey")]},
                "route": {"cluster": "showroom-grey"}
            }))
            .header_to_cluster("x-faas-service", SHOWROOM, "showroom")
            .header_to_cluster("x-faas-service", "virtual-showroom", "virtual-showroom")
            .direct("/healthz", 200, "ok\n")
            .direct("/", 404, "no route\n"),
    )
}

fn wasm(name: &str, module: &str, config: &Value) -> WasmFilter {
    WasmFilter::new(name, "istio-system", e2e::dist(module))
        .root_id(name)
        .config(config)
        .fail_closed()
}

/// What the echo service saw, reduced to what the filters changed.
fn upstream_view(body: &Value) -> Value {
    let headers = &body["headers"];
    let pick = |h: &str| headers.get(h).cloned().unwrap_or(Value::Null);
    json!({
        "served by": body["upstream"],
        "path": body["path"],
        "authority": body["authority"],
        "x-faas-service": pick("x-faas-service"),
        "x-faas-namespace": pick("x-faas-namespace"),
        "x-faas-route": pick("x-faas-route"),
        "x-grey": pick("x-grey"),
        "baggage": pick("baggage"),
        "x-jwt-sub": pick("x-jwt-sub"),
        "authorization forwarded": headers.get("authorization").is_some(),
    })
}

fn main() -> Result<()> {
    let key = Key::generate("ES256", "demo-key")?;
    let other = Key::generate("ES256", "demo-key")?;
    let jwks = json!({"keys": [key.jwk()?]});
    let alice = key.token(&claims("alice"))?;
    let bob = key.token(&claims("bob"))?;
    let forged = other.token(&claims("bob"))?;

    let showroom = Upstream::echo("showroom")?;
    let showroom_grey = Upstream::echo("showroom-grey")?;
    let virtual_showroom = Upstream::echo("virtual-showroom")?;
    let envoy = Envoy::start(gateway(
        &jwks,
        &[&showroom, &showroom_grey, &virtual_showroom],
    ))?;
    println!(
        "Gateway Envoy (pid {}) on 127.0.0.1:{}, ready in {} ms: jwt-auth → grey-chain → faas-router → router\n\
         Echo services: showroom (normal), showroom-grey, virtual-showroom. Keys and tokens generated just now (ES256).\n",
        envoy.pid(),
        envoy.port(),
        envoy.ready_after().as_millis(),
    );
    for d in requests(&alice, &bob, &forged) {
        println!("## {}", d.what);
        println!("> GET {}", d.path);
        for (k, v) in &d.headers {
            let shown = if k == &"authorization" {
                "Bearer <token>"
            } else {
                v.as_str()
            };
            println!("> {k}: {shown}");
        }
        let headers: Vec<(&str, &str)> = d.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        match http::get(&envoy.url(d.path), &headers) {
            Ok(r) => {
                println!("< {}", r.status);
                if let Some(v) = r.header("www-authenticate") {
                    println!("< www-authenticate: {v}");
                }
                let body = match r.json() {
                    Ok(j) if j.get("upstream").is_some() => upstream_view(&j),
                    Ok(j) => j,
                    Err(_) => Value::String(r.body.clone()),
                };
                println!("{}\n", serde_json::to_string_pretty(&body)?);
            }
            Err(e) => println!("! {e:#}\n"),
        }
    }
    println!(
        "metrics: jwt_auth allowed={:?}, grey-chain / faas-router counters under /stats (wasmcustom.*)",
        envoy.stat("wasmcustom.jwt_auth.allowed")
    );
    drop(envoy);
    println!("stopped Envoy and the echo services");
    Ok(())
}
