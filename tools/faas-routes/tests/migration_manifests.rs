//! The migration in wasmplugins/README.md must work at every step: the
//! gateway behind the ingress still sees the token, and no request can loop
//! between the Java gateway and the kfaas gateway (faas-router passes
//! unmatched /faas/api through during the migration).
//! Reads wasmplugins/base, which every overlay renders from (overlays patch
//! only issuers, images and grey rules). `WASMPLUGINS_BASE` points elsewhere.

// Test helpers (not only #[test] fns) may fail loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use serde::Deserialize;
use serde_json::Value;
use std::path::PathBuf;

/// The only next hop the kfaas gateway may use: it never sends /faas/api
/// back to the kfaas gateway (the Java gateway does, from migration step 3).
const CLUSTER_LOCAL: &str = "knative-local-gateway.istio-system.svc.cluster.local";

fn documents(file: &str) -> Vec<Value> {
    let base = std::env::var_os("WASMPLUGINS_BASE").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../wasmplugins/base"),
        PathBuf::from,
    );
    let text = std::fs::read_to_string(base.join(file)).unwrap();
    serde_norway::Deserializer::from_str(&text)
        .map(|d| Value::deserialize(d).unwrap())
        .filter(|v| !v.is_null())
        .collect()
}

fn jwt_plugin(namespace: &str) -> Value {
    documents("wasmplugin-jwt-auth.yaml")
        .into_iter()
        .find(|d| d["kind"] == "WasmPlugin" && d["metadata"]["namespace"] == namespace)
        .unwrap_or_else(|| panic!("no jwt-auth WasmPlugin in {namespace}"))
}

#[test]
fn the_ingress_forwards_the_token_to_the_gateway_behind_it() {
    let ingress = jwt_plugin("istio-system");
    assert_eq!(
        ingress["spec"]["selector"]["matchLabels"]["istio"],
        "ingressgateway"
    );
    let rules = ingress["spec"]["pluginConfig"]["jwtRules"]
        .as_array()
        .unwrap();
    assert!(!rules.is_empty());
    for (i, rule) in rules.iter().enumerate() {
        assert_eq!(rule["forwardOriginalToken"], true, "jwtRules[{i}]");
    }
}

#[test]
fn the_kfaas_gateway_finds_the_token_where_the_ingress_found_it() {
    let ingress = jwt_plugin("istio-system");
    let kfaas = jwt_plugin("kfaas-system");
    let rules = |p: &Value| {
        p["spec"]["pluginConfig"]["jwtRules"]
            .as_array()
            .unwrap()
            .clone()
    };
    for (i, (a, b)) in rules(&ingress).iter().zip(rules(&kfaas).iter()).enumerate() {
        for field in ["issuer", "fromHeaders", "fromCookies", "fromParams"] {
            assert_eq!(a[field], b[field], "jwtRules[{i}].{field}");
        }
    }
}

#[test]
fn no_kfaas_gateway_route_can_loop_back() {
    let services: Vec<Value> = documents("routing-kfaas-gateway.yaml")
        .into_iter()
        .filter(|d| d["kind"] == "VirtualService")
        .filter(|d| {
            d["spec"]["gateways"]
                .as_array()
                .is_some_and(|g| g.iter().any(|g| g == "kfaas-system/kfaas-gateway"))
        })
        .collect();
    assert!(!services.is_empty());
    for vs in &services {
        let http = vs["spec"]["http"].as_array().unwrap();
        for (i, rule) in http.iter().enumerate() {
            for (j, route) in rule["route"].as_array().unwrap().iter().enumerate() {
                assert_eq!(
                    route["destination"]["host"], CLUSTER_LOCAL,
                    "http[{i}].route[{j}] of {}",
                    vs["metadata"]["name"]
                );
            }
        }
        // Pass-through requests (no x-faas-* headers) need a rule too: the
        // last one matches everything.
        assert!(http.last().unwrap().get("match").is_none());
    }
}
