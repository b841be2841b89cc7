//! The TrafficExtension flavour (`wasmplugins/traffic-extensions/<env>`): generated from the
//! WasmPlugin overlays, validated like them (schema, CEL rules, pinning, pluginConfig), and
//! the same mesh in the istiod model; broken TrafficExtensions are refused with the field named.

mod support;

use release::istiod::Mesh;
use release::{cel, flavour, locate, validate};
use support::{assert_named, assert_unpinned, fixture, join, rendered, schemas};

fn envs() -> Vec<String> {
    locate::traffic_extension_overlays()
        .unwrap()
        .iter()
        .map(|o| o.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn every_overlay_has_a_fresh_flavour_that_validates() {
    assert_eq!(envs(), ["pre-release", "production", "test"]);
    let root = locate::workspace_root();
    let digests = validate::built_digests(&locate::dist_dir()).unwrap();
    for env in envs() {
        let plugins = rendered(&root.join("wasmplugins/overlays").join(&env));
        assert_eq!(flavour::stale(&root, &env, &plugins).unwrap(), None);
        let docs = rendered(&root.join(flavour::DIR).join(&env));
        let kinds = |k: &str| docs.iter().filter(|d| d["kind"] == k).count();
        assert_eq!(
            (kinds("WasmPlugin"), kinds("TrafficExtension")),
            (0, 7),
            "{env}"
        );
        assert_eq!(
            docs.len(),
            plugins.len(),
            "{env}: only the plugins change kind"
        );
        let mut problems = validate::check_resources(&docs, schemas());
        problems.extend(validate::check_mesh(&docs));
        problems.extend(validate::check_digests(&docs, &digests));
        assert!(problems.is_empty(), "{env}:\n{}", join(&problems));
        // The model gives every proxy and listener the same chain from either flavour.
        assert_eq!(
            Mesh::build(&docs).unwrap().describe(),
            Mesh::build(&plugins).unwrap().describe(),
            "{env}"
        );
    }
}

#[test]
fn a_stale_flavour_is_reported() {
    let root = locate::workspace_root();
    let mut plugins = rendered(&root.join("wasmplugins/overlays/test"));
    let router = plugins
        .iter_mut()
        .find(|d| d["metadata"]["name"] == "faas-router")
        .unwrap();
    router["spec"]["priority"] = serde_json::json!(101);
    let problem = flavour::stale(&root, "test", &plugins).unwrap().unwrap();
    assert!(
        problem.to_string().contains("run `make manifests`"),
        "{problem}"
    );
}

#[test]
fn broken_extensions_are_refused_with_the_field_named() {
    let problems = validate::check_resources(&fixture("broken-traffic-extension.yaml"), schemas());
    let r = "TrafficExtension kfaas-system/both-targets-no-code";
    assert_named(
        &problems,
        r,
        "spec",
        "CEL: only one of targetRefs or selector can be set",
    );
    assert_named(
        &problems,
        r,
        "spec",
        "CEL: exactly one of wasm or lua must be set",
    );
    assert_named(
        &problems,
        r,
        "spec.targetRefs[0].namespace",
        "CEL: cross namespace referencing is not currently supported",
    );
    let r = "TrafficExtension kfaas-system/wasm-and-lua-unpinned";
    assert_named(
        &problems,
        r,
        "spec",
        "CEL: exactly one of wasm or lua must be set",
    );
    assert_unpinned(&problems, r, "spec.wasm.");
    let r = "TrafficExtension kfaas-system/faas-router-typos";
    assert_named(&problems, r, "spec.wasm", "failStratgy");
    assert_named(&problems, r, "spec.phase", "UNSPECIFIED_PHASE");
    assert_named(
        &problems,
        r,
        "spec.wasm.pluginConfig.routes[0].namespace",
        "",
    );
    // The pull Secret policy applies too.
    let mesh = validate::check_mesh(&fixture("broken-traffic-extension.yaml"));
    assert_named(
        &mesh,
        "kfaas-system/wasm-and-lua-unpinned",
        "spec.wasm.imagePullSecret",
        "missing",
    );
}

/// The CEL rules of the plugin CRDs this validator does not evaluate (a CRD update that adds
/// one shows up here): the url scheme and the env `valueFrom` rules.
#[test]
fn unevaluated_cel_rules_are_known() {
    for (kind, expected) in [("TrafficExtension", 2), ("WasmPlugin", 2)] {
        let schema = schemas()
            .raw(&format!("extensions.istio.io/v1alpha1/{kind}"))
            .unwrap();
        let left = cel::unevaluated(schema);
        assert_eq!(left.len(), expected, "{kind}: {left:#?}");
        assert!(left.iter().any(|r| r.contains("isURL(self)")), "{left:#?}");
        assert!(left.iter().any(|r| r.contains("valueFrom")), "{left:#?}");
    }
}
