//! The manifests in wasmplugins/ render with the real kustomize, validate against Istio's CRD
//! schemas, carry pluginConfigs their filters accept, and pin the digests of the built
//! modules. Broken fixtures prove each check fails and names the field.

mod support;

use release::{locate, render, validate};
use serde_json::Value;
use support::{assert_named, assert_unpinned, fixture, join, rendered, schemas};

#[test]
fn istio_schemas_loaded() {
    // WasmPlugin, and VirtualService / DestinationRule / Gateway in three versions each.
    for key in [
        "extensions.istio.io/v1alpha1/WasmPlugin",
        "networking.istio.io/v1/VirtualService",
        "networking.istio.io/v1beta1/DestinationRule",
        "networking.istio.io/v1alpha3/Gateway",
    ] {
        let (api, kind) = key.rsplit_once('/').unwrap();
        let doc = serde_json::json!({"apiVersion": api, "kind": kind});
        assert!(schemas().validate(&doc).is_ok(), "{key} missing");
    }
}

#[test]
fn every_overlay_renders_and_validates() {
    let overlays = locate::overlays().unwrap();
    let names: Vec<_> = overlays
        .iter()
        .map(|o| o.file_name().unwrap().to_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["pre-release", "production", "test"]);
    for overlay in &overlays {
        let docs = rendered(overlay);
        let kinds = |k: &str| docs.iter().filter(|d| d["kind"] == k).count();
        assert_eq!(kinds("WasmPlugin"), 7, "{}", overlay.display());
        assert!(kinds("Gateway") >= 1 && kinds("VirtualService") >= 2);
        let mut problems = validate::check_resources(&docs, schemas());
        problems.extend(validate::check_mesh(&docs));
        assert!(
            problems.is_empty(),
            "{}:\n{}",
            overlay.display(),
            join(&problems)
        );
    }
}

#[test]
fn wasm_plugins_are_ordered_and_placed_as_documented() {
    let docs = rendered(&locate::workspace_root().join("wasmplugins/overlays/production"));
    let plugin = |ns: &str, name: &str| -> &Value {
        docs.iter()
            .find(|d| {
                d["kind"] == "WasmPlugin"
                    && d["metadata"]["namespace"] == ns
                    && d["metadata"]["name"] == name
            })
            .unwrap_or_else(|| panic!("WasmPlugin {ns}/{name} missing"))
    };
    for ns in ["istio-system", "kfaas-system"] {
        let jwt = &plugin(ns, "jwt-auth")["spec"];
        assert_eq!(
            (jwt["phase"].as_str(), jwt["failStrategy"].as_str()),
            (Some("AUTHN"), Some("FAIL_CLOSE"))
        );
    }
    let router = &plugin("kfaas-system", "faas-router")["spec"];
    assert_eq!(
        router["phase"], "AUTHZ",
        "faas-router runs after authentication"
    );
    assert_eq!(
        router["selector"],
        plugin("kfaas-system", "jwt-auth")["spec"]["selector"],
        "faas-router and jwt-auth share the kfaas gateway"
    );
    // grey-chain's sidecar mode: one plugin per direction, each pinned to the
    // listeners its match selects, the same image and settings otherwise (the
    // two share one correlation table: README of wasmplugins).
    let inbound = &plugin("saas", "grey-chain-sidecar-inbound")["spec"];
    let outbound = &plugin("saas", "grey-chain-sidecar-outbound")["spec"];
    for (spec, mode, direction) in [
        (inbound, "SERVER", "inbound"),
        (outbound, "CLIENT", "outbound"),
    ] {
        assert_eq!(spec["match"], serde_json::json!([{"mode": mode}]));
        assert_eq!(spec["pluginConfig"]["mode"], "sidecar");
        assert_eq!(spec["pluginConfig"]["sidecar"]["direction"], direction);
    }
    let shared = |spec: &Value| {
        let mut spec = spec.clone();
        spec.as_object_mut().unwrap().remove("match");
        spec["pluginConfig"]["sidecar"]
            .as_object_mut()
            .unwrap()
            .remove("direction");
        spec
    };
    assert_eq!(
        shared(inbound),
        shared(outbound),
        "the sidecar plugins differ only in match and sidecar.direction"
    );
    // Both entry points decide the lane with the same rules, each where its jwt-auth runs.
    for ns in ["istio-system", "kfaas-system"] {
        let gateway = &plugin(ns, "grey-chain-gateway")["spec"];
        let jwt = &plugin(ns, "jwt-auth")["spec"];
        assert_eq!(gateway["pluginConfig"]["mode"], "gateway");
        assert_eq!(gateway["selector"], jwt["selector"]);
        assert_eq!(gateway["match"], jwt["match"], "{ns}");
        let rules = gateway["pluginConfig"]["gateway"]["rules"]
            .as_array()
            .unwrap();
        assert_eq!(
            rules.last().unwrap()["percentage"],
            10,
            "production rolls out by share"
        );
    }
    assert_eq!(
        plugin("istio-system", "grey-chain-gateway")["spec"]["pluginConfig"],
        plugin("kfaas-system", "grey-chain-gateway")["spec"]["pluginConfig"]
    );
    // The shared ingress pods carry knative-local-gateway (8081): scoped to 8080/8443.
    assert_eq!(
        plugin("istio-system", "jwt-auth")["spec"]["match"],
        serde_json::json!([{"mode": "CLIENT", "ports": [{"number": 8080}, {"number": 8443}]}])
    );
    // Only the plugins of the ingress pods (which live there) are in the root namespace.
    let in_root: Vec<&str> = docs
        .iter()
        .filter(|d| d["kind"] == "WasmPlugin" && d["metadata"]["namespace"] == "istio-system")
        .map(|d| d["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(in_root, ["grey-chain-gateway", "jwt-auth"]);
    // failStrategy per plugin (wasmplugins/README.md explains each).
    for (ns, name, strategy) in [
        ("istio-system", "jwt-auth", "FAIL_CLOSE"),
        ("kfaas-system", "jwt-auth", "FAIL_CLOSE"),
        ("istio-system", "grey-chain-gateway", "FAIL_RELOAD"),
        ("kfaas-system", "grey-chain-gateway", "FAIL_RELOAD"),
        ("kfaas-system", "faas-router", "FAIL_RELOAD"),
        ("saas", "grey-chain-sidecar-inbound", "FAIL_OPEN"),
        ("saas", "grey-chain-sidecar-outbound", "FAIL_OPEN"),
    ] {
        assert_eq!(
            plugin(ns, name)["spec"]["failStrategy"],
            strategy,
            "{ns}/{name}"
        );
        assert_eq!(
            plugin(ns, name)["spec"]["imagePullSecret"],
            "kfaas-wasm-pull"
        );
    }
}

#[test]
fn production_renders_no_example_service() {
    let docs = rendered(&locate::workspace_root().join("wasmplugins/overlays/production"));
    let router = docs
        .iter()
        .find(|d| d["kind"] == "WasmPlugin" && d["metadata"]["name"] == "faas-router")
        .unwrap();
    assert_eq!(
        router["spec"]["pluginConfig"]["routes"],
        serde_json::json!([])
    );
    let business: Vec<String> = docs
        .iter()
        .filter(|d| d["kind"] != "WasmPlugin" && d["metadata"]["namespace"] == "saas")
        .map(render::resource_name)
        .collect();
    assert!(business.is_empty(), "{business:?}");
    // The examples component brings them in test and pre-release.
    let test = rendered(&locate::workspace_root().join("wasmplugins/overlays/test"));
    assert!(test
        .iter()
        .any(|d| d["kind"] == "DestinationRule" && d["metadata"]["name"] == "showroom-api"));
}

#[test]
fn pinned_digests_match_the_built_modules() {
    let digests = validate::built_digests(&locate::dist_dir()).unwrap();
    for overlay in locate::overlays().unwrap() {
        let problems = validate::check_digests(&rendered(&overlay), &digests);
        assert!(
            problems.is_empty(),
            "{}:\n{}",
            overlay.display(),
            join(&problems)
        );
    }
}

#[test]
fn a_rebuilt_module_is_drift() {
    let dist = tempdir("drift");
    for (_, module) in release::FILTERS {
        std::fs::copy(
            locate::dist_module(&locate::dist_dir(), module).unwrap(),
            dist.join(format!("{module}.wasm")),
        )
        .unwrap();
    }
    let docs = rendered(&locate::workspace_root().join("wasmplugins/overlays/test"));
    let mut wasm = std::fs::read(dist.join("faas_router.wasm")).unwrap();
    wasm.extend_from_slice(b"\0custom section of a rebuild");
    std::fs::write(dist.join("faas_router.wasm"), wasm).unwrap();
    let problems = validate::check_digests(&docs, &validate::built_digests(&dist).unwrap());
    assert_eq!(problems.len(), 1, "{}", join(&problems));
    assert_named(
        &problems,
        "kfaas-system/faas-router",
        "spec.sha256",
        "run `make manifests`",
    );
    std::fs::remove_dir_all(dist).unwrap();
}

#[test]
fn broken_schema_fixture_names_each_field() {
    let problems = validate::check_resources(&fixture("broken-schema.yaml"), schemas());
    assert_named(&problems, "istio-system/typo-field", "spec", "failStratgy");
    assert_named(
        &problems,
        "istio-system/bad-enum",
        "spec.phase",
        "AUTHENTICATION",
    );
    assert_named(
        &problems,
        "istio-system/bad-enum",
        "spec.match[0].mode",
        "BOTH",
    );
    assert_named(
        &problems,
        "saas/wrong-type",
        "spec.subsets[0].labels",
        "object",
    );
    assert_named(
        &problems,
        "saas/missing-destination",
        "spec.http[0].route[0]",
        "destination",
    );
}

#[test]
fn broken_plugin_config_fixture_names_each_field() {
    let problems = validate::check_resources(&fixture("broken-plugin-config.yaml"), schemas());
    assert_named(
        &problems,
        "istio-system/grey-chain-typo",
        "spec.pluginConfig",
        "tagHeadr",
    );
    assert_named(
        &problems,
        "kfaas-system/faas-router-bad-namespace",
        "spec.pluginConfig.routes[0].namespace",
        "",
    );
    assert_named(
        &problems,
        "istio-system/jwt-auth-no-issuer",
        "spec.pluginConfig.jwtRules[0]",
        "issuer",
    );
    // The schema alone accepts all three: only the filters' parsers catch these.
    for doc in fixture("broken-plugin-config.yaml") {
        assert_eq!(
            schemas().validate(&doc).unwrap(),
            Vec::<(String, String)>::new()
        );
    }
}

#[test]
fn broken_policy_fixture_names_each_field() {
    let problems = validate::check_resources(&fixture("broken-policy.yaml"), schemas());
    let r = "istio-system/two-targets-unpinned";
    assert_named(
        &problems,
        r,
        "spec",
        "CEL: only one of targetRefs or selector",
    );
    assert_unpinned(&problems, r, "spec.");
    assert_named(
        &problems,
        "saas/showroom-api",
        "spec.http[0].route[0].destination.subset",
        "\"gery\"",
    );
}

fn tempdir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("release-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
