//! `faas-routes import` on real Envoy 1.40: the table imported from the
//! example VirtualServices (tools/faas-routes/examples/virtualservices.yaml:
//! two environment hosts, every finding kind) is loaded into faas-router, and
//! every probe path of every host reaches, through Envoy, the service that
//! `faas-routes diff` computes for the table; where the import reported
//! nothing, that is where Istio sends it today.

use e2e::{http, Envoy, EnvoyConfig, Upstream, WasmFilter};
use faas_routes::{cli, import, istio_model, probes, table_side, virtual_service};
use serde_json::json;

fn got(envoy: &Envoy, host: &str, path: &str, headers: &[(&str, &str)]) -> String {
    let mut all = vec![("host", host)];
    all.extend_from_slice(headers);
    let r = http::get(&envoy.url(path), &all).unwrap();
    if r.status != 200 {
        return "none".into();
    }
    let v = r.json().unwrap();
    format!(
        "{}.{}",
        v["headers"]["x-faas-service"].as_str().unwrap_or("?"),
        v["headers"]["x-faas-namespace"].as_str().unwrap_or("?")
    )
}

/// `a.ns` is one of the services of `want` (`a.ns 90% + b.ns 10%` or `a.ns`).
fn is_one_of(got: &str, want: &str) -> bool {
    want.split(" + ").any(|w| w.split(' ').next() == Some(got))
}

#[test]
fn the_imported_table_routes_every_probe_as_diff_says() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tools/faas-routes/examples/virtualservices.yaml"
    );
    let text = std::fs::read_to_string(file).unwrap();
    let vss = virtual_service::read(file, &text).unwrap();
    let imported = import::import(vss.clone(), "/faas/api/").unwrap();
    let kinds: std::collections::BTreeSet<&str> =
        imported.findings.iter().map(|f| f.kind).collect();
    assert_eq!(kinds.len(), 5, "every finding kind: {kinds:?}");
    let table_file =
        std::env::temp_dir().join(format!("faas-routes-e2e-{}.json", std::process::id()));
    std::fs::write(&table_file, &imported.config).unwrap();
    let config = cli::load_table(table_file.to_str().unwrap()).unwrap();
    let model = istio_model::build(vss).unwrap();

    let knative = Upstream::echo("knative").unwrap();
    let filter = WasmFilter::new("faas-router", "kfaas-system", e2e::dist("faas_router"))
        .root_id("faas-router")
        .config_json(&imported.config)
        .fail_closed();
    let routes = json!({"name": "local", "virtual_hosts": [{"name": "all", "domains": ["*"], "routes": [
        {"match": {"prefix": "/", "headers": [{"name": "x-faas-service", "present_match": true}]}, "route": {"cluster": "knative"}}
    ]}]});
    let envoy = Envoy::start(
        EnvoyConfig::new()
            .filter(filter)
            .routes(routes)
            .upstream(&knative),
    )
    .unwrap();

    let mut compared = 0;
    for (host, rules) in &model.hosts {
        let mut paths = std::collections::BTreeSet::new();
        for rule in &rules.rules {
            for m in &rule.matches {
                paths.extend(probes::of_match(m));
            }
        }
        for p in paths {
            let (want, _) = table_side::destination(&config, host, &p);
            let seen = got(&envoy, host, &p, &[]);
            assert!(
                seen == want || is_one_of(&seen, &want),
                "{host} {p}: Envoy {seen}, diff {want}"
            );
            compared += 1;
        }
    }
    assert!(compared >= 15, "{compared}");

    let alpha = "faas-alpha-ksvc-gateway.kfaas-system.svc.cluster.local";
    let beta = "faas-beta-ksvc-gateway.kfaas-system.svc.cluster.local";
    // The host picks the table, port and case ignored.
    assert_eq!(
        got(&envoy, alpha, "/faas/api/saas/show/x", &[]),
        "saas-show.faas-alpha"
    );
    assert_eq!(
        got(
            &envoy,
            "FAAS-BETA-ksvc-gateway.kfaas-system.svc.cluster.local:80",
            "/faas/api/saas/show/x",
            &[]
        ),
        "saas-show.faas-beta"
    );
    // dropped: the grey header match is not imported; such requests go where the plain path goes.
    let grey = got(&envoy, alpha, "/faas/api/render", &[("end-user", "test")]);
    assert!(
        is_one_of(&grey, "render.faas-beta + render-v2.faas-beta"),
        "{grey}"
    );
    // duplicate: the older VirtualService's service, never the copy's.
    for _ in 0..10 {
        assert_ne!(
            got(&envoy, alpha, "/faas/api/render", &[]),
            "render-old.faas-beta"
        );
    }
    // shadowed: the older prefix keeps its paths.
    assert_eq!(
        got(&envoy, alpha, "/faas/api/saas/showroom/v2/x", &[]),
        "saas-showroom.faas-alpha"
    );
    // semantics: the reported path indeed goes elsewhere (no route); unsupported: not imported.
    assert_eq!(got(&envoy, alpha, "/faas/api/saas/showx", &[]), "none");
    assert_eq!(got(&envoy, alpha, "/faas/api/legacy/x", &[]), "none");
    assert_eq!(got(&envoy, beta, "/faas/api/u/ann/profile", &[]), "none");
}
