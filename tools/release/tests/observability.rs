//! wasmplugins/observability: the Telemetry validates against Istio's CRD schema and the
//! values file, the alerts are a PrometheusRule whose rules `promtool check rules` accepts
//! (the real promtool, Debian package `prometheus`), the dashboard parses and queries only
//! exported metrics. Broken copies prove each check names the field.

mod support;

use release::{locate, observability, proxy_config, render};
use serde_json::{json, Value};
use std::process::Command;
use support::{assert_named, join, schemas};

fn root() -> std::path::PathBuf {
    locate::workspace_root()
}

fn read(file: &str) -> String {
    std::fs::read_to_string(root().join(file)).unwrap()
}

fn values() -> Value {
    render::documents(&read(proxy_config::VALUES))
        .unwrap()
        .remove(0)
}

#[test]
fn the_shipped_files_have_no_problem() {
    let problems = observability::check(&root(), schemas()).unwrap();
    assert!(problems.is_empty(), "{}", join(&problems));
}

#[test]
fn the_telemetry_adds_lane_and_logs_through_the_values_provider() {
    let docs = render::documents(&read(observability::TELEMETRY)).unwrap();
    let [t] = docs.as_slice() else {
        panic!("one Telemetry expected")
    };
    assert_eq!(t["apiVersion"], "telemetry.istio.io/v1");
    assert_eq!(t["metadata"]["namespace"], "istio-system");
    assert!(t["spec"].get("selector").is_none(), "mesh-wide");
    let overrides = t["spec"]["metrics"][0]["overrides"].as_array().unwrap();
    let metrics: Vec<&Value> = overrides.iter().map(|o| &o["match"]["metric"]).collect();
    assert_eq!(
        metrics,
        [&json!("REQUEST_COUNT"), &json!("REQUEST_DURATION")]
    );
    for o in overrides {
        assert_eq!(o["match"]["mode"], "CLIENT_AND_SERVER");
        assert_eq!(
            o["tagOverrides"]["lane"]["value"],
            "'wasm.grey_chain.lane' in filter_state ? filter_state['wasm.grey_chain.lane'] : 'baseline'"
        );
    }
    assert_eq!(
        t["spec"]["accessLogging"][0]["providers"][0]["name"],
        "kfaas-access-log"
    );
}

#[test]
fn a_broken_telemetry_names_each_field() {
    let mut docs = render::documents(&read(observability::TELEMETRY)).unwrap();
    let t = &mut docs[0];
    t["spec"]["metrics"][0]["overrides"][0]["tagOverrides"]["tenant"] =
        json!({"operation": "UPSERT", "value": "request.headers['x-tenant']"});
    t["spec"]["metrics"][0]["overrides"][1]["match"]["metric"] = json!("REQUEST_LATENCY");
    t["spec"]["accessLogging"][0]["providers"][0]["name"] = json!("kfaas-acces-log");
    let problems = observability::check_telemetry(&docs, &values(), schemas());
    let r = "Telemetry istio-system/mesh-default";
    assert_named(
        &problems,
        r,
        "spec.metrics[0].overrides[0].tagOverrides.tenant",
        "extraStatTags",
    );
    assert_named(
        &problems,
        r,
        "spec.metrics[0].overrides[1].match.metric",
        "",
    );
    assert_named(
        &problems,
        r,
        "spec.accessLogging[0].providers[0].name",
        "kfaas-acces-log",
    );
}

#[test]
fn promtool_accepts_the_alert_rules() {
    let rules = observability::rules_file(&read(observability::ALERTS)).unwrap();
    let dir = std::env::temp_dir().join(format!("release-promtool-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("rules.yaml");
    std::fs::write(&file, &rules).unwrap();
    let out = Command::new("promtool")
        .args(["check", "rules"])
        .arg(&file)
        .output()
        .expect("promtool runs (Debian package `prometheus`, installed by `make setup`)");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("SUCCESS: 6 rules found"), "{text}");
    // The dashboard's queries too, as recording rules ($__rate_interval as Grafana fills it).
    let queries: Vec<Value> = observability::expressions(&root())
        .unwrap()
        .into_iter()
        .filter(|(at, _)| at.starts_with(observability::DASHBOARD))
        .enumerate()
        .map(|(i, (_, e))| json!({"record": format!("dashboard:query_{i}"), "expr": e.replace("$__rate_interval", "1m")}))
        .collect();
    assert_eq!(queries.len(), 12);
    let file = dir.join("dashboard.yaml");
    std::fs::write(
        &file,
        serde_norway::to_string(&json!({"groups": [{"name": "dashboard", "rules": queries}]}))
            .unwrap(),
    )
    .unwrap();
    let out = Command::new("promtool")
        .args(["check", "rules"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_expressions_cover_every_filter_family_and_the_lane_golden_signals() {
    let all: Vec<String> = observability::expressions(&root())
        .unwrap()
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    let text = all.join("\n");
    for needle in [
        "jwt_auth_requests{result=\"audit_denied\"}",
        "jwt_auth_jwks_fetches",
        "jwt_auth_jwks_keys == 0",
        "faas_router_requests{outcome=\"no_route\"}",
        "grey_chain_requests",
        "sum by (lane) (rate(istio_requests_total{reporter=\"destination\"",
        "istio_request_duration_milliseconds_bucket",
        "lane=\"baseline\"",
    ] {
        assert!(text.contains(needle), "{needle}");
    }
    assert!(all.iter().all(|e| !e.trim().is_empty()));
}

#[test]
fn a_broken_dashboard_or_rule_names_the_field() {
    let mut d: Value = serde_json::from_str(&read(observability::DASHBOARD)).unwrap();
    d["panels"][1]["targets"][0]["expr"] = json!("rate(jwt_auth_request[$__rate_interval])");
    d["panels"][2]["datasource"]["uid"] = json!("prometheus");
    let problems = observability::check_dashboard(&d.to_string());
    assert_named(
        &problems,
        observability::DASHBOARD,
        "panels[1].targets[0].expr",
        "jwt_auth_request: no filter or Istio exports this metric",
    );
    assert_named(
        &problems,
        observability::DASHBOARD,
        "panels[2].datasource.uid",
        "${datasource}",
    );
    let alerts = read(observability::ALERTS).replace("for: 10m", "for: ten minutes");
    let problems = observability::check_alerts(&alerts);
    assert_named(
        &problems,
        observability::ALERTS,
        "spec.groups[0].rules[0].for",
        "not a duration",
    );
}
