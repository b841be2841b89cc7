//! `make demo`: Envoy with the three filters in front of echo upstreams; a few requests and
//! the real responses, printed; then everything stops.
//!
//! To extend: add filters' configs in `envoy_config`, requests in `requests`.

use anyhow::Result;
use e2e::{http, Envoy, EnvoyConfig, Routes, Upstream, WasmFilter};

/// One request to show.
struct Demo {
    what: &'static str,
    method: &'static str,
    path: &'static str,
    headers: Vec<(&'static str, &'static str)>,
    body: &'static str,
}

fn demo(what: &'static str, method: &'static str, path: &'static str) -> Demo {
    Demo {
        what,
        method,
        path,
        headers: Vec::new(),
        body: "",
    }
}

impl Demo {
    fn header(mut self, name: &'static str, value: &'static str) -> Self {
        self.headers.push((name, value));
        self
    }

    fn body(mut self, body: &'static str) -> Self {
        self.body = body;
        self
    }
}

fn requests() -> Vec<Demo> {
    vec![
        demo(
            "A plain request passes the three filters to the app",
            "GET",
            "/hello?lang=en",
        ),
        demo(
            "A serverless call to /faas/api/...",
            "GET",
            "/faas/api/design/render",
        )
        .header("x-user", "u-42"),
        demo("A POST with a JSON body", "POST", "/orders")
            .header("content-type", "application/json")
            .body(r#"{"item":"sofa"}"#),
        demo("A malformed bearer token", "GET", "/hello")
            .header("authorization", "Bearer not-a-jwt"),
    ]
}

/// The gateway: jwt-auth (AUTHN), grey-chain, faas-router, then the router, in the order
/// istiod places them; `/faas/` goes to the serverless upstream, the rest to the app.
fn envoy_config(app: &Upstream, faas: &Upstream) -> EnvoyConfig {
    let mut cfg = EnvoyConfig::new();
    for (name, module) in e2e::FILTERS {
        cfg = cfg.filter(
            WasmFilter::new(name, "istio-system", e2e::dist(module))
                .config_json(e2e::minimal_config(module)),
        );
    }
    cfg.upstream(app).upstream(faas).routes(
        Routes::new()
            .to_cluster("/faas/", faas.name())
            .to_cluster("/", app.name()),
    )
}

fn main() -> Result<()> {
    let app = Upstream::echo("app")?;
    let faas = Upstream::echo("faas")?;
    let envoy = Envoy::start(envoy_config(&app, &faas))?;
    println!(
        "Envoy {} on 127.0.0.1:{} (ready in {} ms) with jwt-auth, grey-chain, faas-router; upstreams app:{} faas:{}\n",
        envoy.pid(),
        envoy.port(),
        envoy.ready_after().as_millis(),
        app.port(),
        faas.port()
    );
    for d in requests() {
        println!("## {}", d.what);
        println!("> {} {}", d.method, d.path);
        for (k, v) in &d.headers {
            println!("> {k}: {v}");
        }
        if !d.body.is_empty() {
            println!(">\n> {}", d.body);
        }
        match http::request(d.method, &envoy.url(d.path), &d.headers, d.body.as_bytes()) {
            Ok(r) => {
                println!("< {}", r.status);
                for (k, v) in &r.headers {
                    println!("< {k}: {v}");
                }
                let body = r
                    .json()
                    .ok()
                    .and_then(|j| serde_json::to_string_pretty(&j).ok())
                    .unwrap_or(r.body);
                println!("<\n{body}\n");
            }
            Err(e) => println!("! {e:#}\n"),
        }
    }
    drop(envoy);
    println!("stopped Envoy and the upstreams");
    Ok(())
}
