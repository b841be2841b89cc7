//! `faas-routes merge` (team fragments, OWNERS) and `render` (pluginConfig
//! replaced in a WasmPlugin manifest, the rest byte-for-byte).

// Test helpers (not only #[test] fns) may fail loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde::Deserialize;
use serde_json::Value;
mod common;

use common::bin;

fn write(name: &str, text: &str) -> String {
    common::write(name, text).to_str().unwrap().to_string()
}

const OWNERS: &str = "teams:\n  saas: {prefixes: [/faas/api/saas/], namespaces: [faas-alpha]}\n  render: {prefixes: [/faas/api/render], namespaces: [faas-beta]}\n";
const SAAS: &str = "team: saas\nroutes:\n- match: {prefix: /faas/api/saas/}\n  service: saas\n  namespace: faas-alpha\n- match: {prefix: /faas/api/saas/showroom/}\n  service: saas-showroom\n  namespace: faas-alpha\n";
const RENDER: &str = r#"{"team": "render", "routes": [{"match": {"exact": "/faas/api/render"}, "service": "render", "namespace": "faas-beta"}]}"#;

#[test]
fn all_fragments_merge_onto_the_base() {
    let base = write(
        "base.json",
        r#"{"onNoMatch": "passthrough", "routes": [{"match": {"exact": "/faas/api/health"}, "service": "health", "namespace": "faas-alpha"}]}"#,
    );
    let owners = write("OWNERS.yaml", OWNERS);
    let (saas, render) = (write("saas.yaml", SAAS), write("render.json", RENDER));
    let (code, out, err) = bin(&[
        "merge", "--owners", &owners, &saas, &render, "--base", &base,
    ]);
    assert_eq!(code, 0, "{err}");
    let table: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(table["onNoMatch"], "passthrough");
    let services: Vec<&str> = table["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["service"].as_str().unwrap())
        .collect();
    assert_eq!(services, ["health", "saas", "saas-showroom", "render"]);
    assert!(faas_router::config::parse(out.as_bytes()).is_ok());
}

#[test]
fn a_bad_fragment_is_left_out_and_named_the_others_merge() {
    let owners = write("OWNERS2.yaml", OWNERS);
    let saas = write("saas2.yaml", SAAS);
    // typo in a field, and a route outside the team's prefixes and namespaces
    let typo = write("typo.yaml", "team: render\nroutes:\n- match: {exct: /faas/api/render}\n  service: render\n  namespace: faas-beta\n");
    let foreign = write("foreign.yaml", "team: render\nroutes:\n- match: {prefix: /faas/api/saas/x/}\n  service: x\n  namespace: faas-alpha\n");
    let broken = write("broken.yaml", "team: [\n");
    let (code, out, err) = bin(&[
        "merge", "--owners", &owners, &typo, &saas, &foreign, &broken,
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!("{typo}: left out")) && err.contains("routes[0].match"),
        "{err}"
    );
    assert!(
        err.contains(
            "routes[0].match.prefix: \"/faas/api/saas/x/\" is outside team render's prefixes"
        ),
        "{err}"
    );
    assert!(
        err.contains("routes[0].namespace: \"faas-alpha\" is not one of team render's namespaces"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{broken}: left out, 1 problem(s):\n  not YAML or JSON"
        )),
        "{err}"
    );
    let table: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        table["routes"].as_array().unwrap().len(),
        2,
        "saas still merged: {out}"
    );
}

#[test]
fn colliding_fragments_the_later_is_left_out_naming_both() {
    let first = write("first.yaml", SAAS);
    let second = write(
        "second.json",
        r#"{"team": "saas", "routes": [{"match": {"prefix": "/faas/api/saas/showroom/"}, "service": "other", "namespace": "faas-alpha"}]}"#,
    );
    let (code, out, err) = bin(&["merge", &first, &second]);
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!(
            "{second}: left out, 1 problem(s):\n  collides with {first}"
        )),
        "{err}"
    );
    assert!(
        err.contains("routes[0].match.prefix: duplicates routes[1]"),
        "{err}"
    );
    assert!(!out.contains("\"other\""), "{out}");
    // Given the other way round, the other one is left out.
    let (code, out, err) = bin(&["merge", &second, &first]);
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!("{first}: left out"))
            && err.contains(&format!("collides with {second}")),
        "{err}"
    );
    assert!(out.contains("\"other\""), "{out}");
}

#[test]
fn merge_bad_input_exits_2() {
    let saas = write("saas3.yaml", SAAS);
    let owners = write("bad-owners.yaml", "teams:\n  saas: {prefixs: [/x/]}\n");
    let (code, _, err) = bin(&["merge", "--owners", &owners, &saas]);
    assert_eq!(code, 2);
    assert!(
        err.contains("teams.saas") && err.contains("prefixs"),
        "{err}"
    );
    let base = write("bad-base.json", r#"{"pathPrefix": "faas"}"#);
    let (code, _, err) = bin(&["merge", &saas, "--base", &base]);
    assert_eq!(code, 2);
    assert!(err.contains("pathPrefix"), "{err}");
    assert_eq!(bin(&["merge"]).0, 2);
    assert_eq!(bin(&["merge", "/nonexistent.yaml"]).0, 2);
}

const MANIFEST: &str = "# a comment that stays\napiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nmetadata:\n  name: jwt-auth\nspec:\n  url: oci://x/jwt-auth:1\n  pluginConfig:\n    issuers: []\n---\napiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nmetadata:\n  name: faas-router\n  namespace: kfaas-system\nspec:\n  selector:\n    matchLabels: {istio: kfaas-gateway}\n  url: oci://registry.invalid/kfaas/faas-router:0.1.0\n  pluginConfig:\n    pathPrefix: /faas/api/\n    routes:\n      - match: {prefix: /faas/api/old/}\n        service: old\n        namespace: faas-alpha\n\n  # trailing comment\n  phase: AUTHZ\n  priority: 100\n";

#[test]
fn render_replaces_only_the_plugin_config() {
    let table_text = r#"{"pathPrefix": "/faas/api/", "routes": [{"match": {"exact": "/faas/api/render"}, "service": "render", "namespace": "faas-beta"}], "onNoMatch": "passthrough"}"#;
    let table = write("table.json", table_text);
    let manifest = write("wasmplugin.yaml", MANIFEST);
    let (code, out, err) = bin(&["render", &table, "--into", &manifest]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("pluginConfig of 1 faas-router WasmPlugin(s) replaced"),
        "{out}"
    );
    let rendered = std::fs::read_to_string(&manifest).unwrap();
    let (before, after) = MANIFEST
        .split_once("  pluginConfig:\n    pathPrefix")
        .unwrap();
    assert!(rendered.starts_with(before), "{rendered}");
    assert!(
        rendered.ends_with(&after[after.find("\n\n  # trailing comment").unwrap()..]),
        "{rendered}"
    );
    let docs: Vec<Value> = serde_norway::Deserializer::from_str(&rendered)
        .map(|d| Value::deserialize(d).unwrap())
        .collect();
    let want: Value = serde_json::from_str(table_text).unwrap();
    assert_eq!(docs[1]["spec"]["pluginConfig"], want);
    assert_eq!(docs[1]["spec"]["priority"], 100);
    assert_eq!(
        docs[0]["spec"]["pluginConfig"]["issuers"],
        serde_json::json!([])
    );
    // `check` reads the rendered manifest.
    let (code, _, err) = bin(&["check", &manifest]);
    assert_eq!(code, 0, "{err}");
    // Rendering again changes nothing.
    assert_eq!(bin(&["render", &table, "--into", &manifest]).0, 0);
    assert_eq!(std::fs::read_to_string(&manifest).unwrap(), rendered);
}

#[test]
fn render_refuses_an_invalid_table_and_leaves_the_file() {
    let table = write(
        "bad-table.json",
        r#"{"routes": [{"match": {"prefix": "/faas/api/a/"}, "service": "A_B", "namespace": "x"}]}"#,
    );
    let manifest = write("wasmplugin2.yaml", MANIFEST);
    let (code, _, err) = bin(&["render", &table, "--into", &manifest]);
    assert_eq!(code, 2);
    assert!(err.contains("routes[0].service"), "{err}");
    assert_eq!(std::fs::read_to_string(&manifest).unwrap(), MANIFEST);
    let other = write(
        "other.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
    );
    let good = write("good-table.json", "{}");
    let (code, _, err) = bin(&["render", &good, "--into", &other]);
    assert_eq!(code, 2);
    assert!(err.contains("no faas-router WasmPlugin"), "{err}");
}

#[test]
fn traffic_extensions_are_checked_and_rendered() {
    let manifest = "apiVersion: extensions.istio.io/v1alpha1\nkind: TrafficExtension\nmetadata:\n  name: faas-router\n  namespace: kfaas-system\nspec:\n  phase: AUTHZ\n  wasm:\n    url: oci://registry.invalid/kfaas/faas-router:0.1.0\n    pluginConfig:\n      routes: []\n";
    let file = write("traffic-extension.yaml", manifest);
    let table = write(
        "te-table.json",
        r#"{"routes": [{"match": {"exact": "/faas/api/render"}, "service": "render", "namespace": "faas-beta"}]}"#,
    );
    let (code, _, err) = bin(&["render", &table, "--into", &file]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = bin(&["check", &file, "--path", "/faas/api/render"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("TrafficExtension faas-router: valid"),
        "{out}"
    );
    assert!(
        out.ends_with(
            "  /faas/api/render -> render.faas-beta.svc.cluster.local via exact:/faas/api/render\n"
        ),
        "{out}"
    );
}
