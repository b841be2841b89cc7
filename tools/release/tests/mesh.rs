//! `release check`'s model of istiod on the shipped overlays and on broken variants of them:
//! each broken variant is reported with the object named.

use release::validate::{self, Problem};
use release::{locate, render};
use serde_json::{json, Value};

fn rendered(overlay: &str) -> Vec<Value> {
    let kubectl = locate::kubectl().unwrap();
    let dir = locate::workspace_root().join("wasmplugins").join(overlay);
    render::documents(&render::kustomize(&kubectl, &dir).unwrap()).unwrap()
}

fn production() -> Vec<Value> {
    rendered("overlays/production")
}

fn find<'a>(docs: &'a mut [Value], kind: &str, ns: &str, name: &str) -> &'a mut Value {
    docs.iter_mut()
        .find(|d| {
            d["kind"] == kind && d["metadata"]["namespace"] == ns && d["metadata"]["name"] == name
        })
        .unwrap_or_else(|| panic!("{kind} {ns}/{name} missing"))
}

fn problems(docs: &[Value]) -> Vec<String> {
    validate::check_mesh(docs)
        .iter()
        .map(Problem::to_string)
        .collect()
}

/// Some problem mentions every one of `words`.
fn assert_reported(problems: &[String], words: &[&str]) {
    assert!(
        problems.iter().any(|p| words.iter().all(|w| p.contains(w))),
        "expected a problem with {words:?}, got {problems:#?}"
    );
}

#[test]
fn shipped_overlays_model_clean() {
    for overlay in [
        "overlays/test",
        "overlays/pre-release",
        "overlays/production",
    ] {
        let found = problems(&rendered(overlay));
        assert!(found.is_empty(), "{overlay}: {found:#?}");
    }
}

#[test]
fn an_overlay_without_faas_router_is_reported() {
    let mut docs = production();
    docs.retain(|d| d["metadata"]["name"] != "faas-router");
    let found = problems(&docs);
    assert_reported(&found, &["overlay", "renders no faas-router"]);
    assert_reported(
        &found,
        &[
            "Listener kfaas-system/kfaas-gateway:8080",
            "without faas-router",
        ],
    );
}

#[test]
fn a_plugin_selecting_no_modelled_proxy_is_named() {
    let mut docs = production();
    find(&mut docs, "WasmPlugin", "kfaas-system", "faas-router")["spec"]["selector"] =
        json!({"matchLabels": {"istio": "kfaas-gw"}});
    assert_reported(
        &problems(&docs),
        &[
            "WasmPlugin kfaas-system/faas-router",
            "spec.selector",
            "selects no modelled proxy",
        ],
    );
    // A namespace that is neither the pods' nor the root namespace selects nothing either.
    let mut docs = production();
    find(
        &mut docs,
        "WasmPlugin",
        "saas",
        "grey-chain-sidecar-inbound",
    )["metadata"]["namespace"] = "shop".into();
    assert_reported(
        &problems(&docs),
        &[
            "WasmPlugin shop/grey-chain-sidecar-inbound",
            "selects no modelled proxy",
        ],
    );
}

#[test]
fn two_plugins_of_one_kind_on_one_listener_are_named() {
    let mut docs = production();
    let mut twin = find(&mut docs, "WasmPlugin", "kfaas-system", "jwt-auth").clone();
    twin["metadata"]["name"] = "jwt-auth-legacy".into();
    docs.push(twin);
    assert_reported(
        &problems(&docs),
        &[
            "WasmPlugin kfaas-system/jwt-auth-legacy",
            "a second jwt-auth on Listener kfaas-system/kfaas-gateway:8080",
            "WasmPlugin kfaas-system/jwt-auth",
        ],
    );
}

#[test]
fn ports_that_leave_the_entry_listener_unprotected_name_the_plugin() {
    let mut docs = production();
    find(&mut docs, "WasmPlugin", "istio-system", "jwt-auth")["spec"]["match"] =
        json!([{"mode": "CLIENT", "ports": [{"number": 8443}]}]);
    assert_reported(
        &problems(&docs),
        &[
            "Listener istio-system/istio-ingressgateway:8080",
            "left unprotected",
            "WasmPlugin istio-system/jwt-auth",
            "excludes listener 8080",
        ],
    );
    // The kfaas gateway without its lane decision (issue 13, item 4).
    let mut docs = production();
    docs.retain(|d| {
        !(d["metadata"]["name"] == "grey-chain-gateway"
            && d["metadata"]["namespace"] == "kfaas-system")
    });
    assert_reported(
        &problems(&docs),
        &[
            "Listener kfaas-system/kfaas-gateway:8080",
            "without a lane decision",
            "WasmPlugin istio-system/grey-chain-gateway",
        ],
    );
}

#[test]
fn unscoped_ingress_plugins_on_knative_local_gateway_are_named() {
    // Issue 13, item 1: no ports match → they also run on listener 8081.
    let mut docs = production();
    for name in ["jwt-auth", "grey-chain-gateway"] {
        let spec = &mut find(&mut docs, "WasmPlugin", "istio-system", name)["spec"];
        spec.as_object_mut().unwrap().remove("match");
    }
    let found = problems(&docs);
    for (name, words) in [
        ("jwt-auth", "checked again"),
        ("grey-chain-gateway", "laned again"),
    ] {
        assert_reported(
            &found,
            &[
                &format!("WasmPlugin istio-system/{name}"),
                "istio-ingressgateway:8081",
                words,
            ],
        );
    }
}

#[test]
fn a_jwks_cluster_no_gateway_route_uses_is_named() {
    let mut docs = production();
    docs.retain(|d| d["metadata"]["name"] != "jwks-cluster");
    let found = problems(&docs);
    for (ns, pod) in [
        ("istio-system", "istio-ingressgateway"),
        ("kfaas-system", "kfaas-gateway"),
    ] {
        assert_reported(
            &found,
            &[
                &format!("WasmPlugin {ns}/jwt-auth"),
                "jwtRules[0].jwksCluster",
                &format!("does not exist on {ns}/{pod}"),
            ],
        );
    }
}

#[test]
fn the_pre_0_19_local_gateway_is_no_service_of_a_current_install() {
    // The knative-pre-0.19 component switches both rules; against the modelled (≥ 0.19)
    // install each is reported, naming the VirtualService and the field.
    let root = locate::workspace_root().join("wasmplugins");
    let kubectl = locate::kubectl().unwrap();
    let text = render::kustomize_with(
        &kubectl,
        &root.join("overlays/production"),
        &[&root.join("components/knative-pre-0.19")],
    )
    .unwrap();
    let docs = render::documents(&text).unwrap();
    let found = problems(&docs);
    for i in 0..2 {
        assert_reported(
            &found,
            &[
                "VirtualService kfaas-system/faas-api",
                &format!("spec.http[{i}].route[0].destination.host"),
                "cluster-local-gateway.istio-system.svc.cluster.local is no Service",
            ],
        );
    }
}

#[test]
fn a_plugin_without_pull_secret_is_named() {
    let mut docs = production();
    let spec = &mut find(
        &mut docs,
        "WasmPlugin",
        "saas",
        "grey-chain-sidecar-outbound",
    )["spec"];
    spec.as_object_mut().unwrap().remove("imagePullSecret");
    assert_reported(
        &problems(&docs),
        &[
            "WasmPlugin saas/grey-chain-sidecar-outbound",
            "spec.imagePullSecret",
        ],
    );
}

#[test]
fn describe_lists_the_chain_of_each_listener() {
    let mesh = release::istiod::Mesh::build(&production()).unwrap();
    let text = mesh.describe();
    assert!(text.contains("  :8080 Entry: istio-system/jwt-auth (AUTHN 1000) -> istio-system/grey-chain-gateway (AUTHZ 10)\n"), "{text}");
    assert!(text.contains("  :8081 KnativeLocal: -\n"), "{text}");
    assert!(text.contains("kfaas-system/jwt-auth (AUTHN 1000) -> kfaas-system/grey-chain-gateway (AUTHZ 200) -> kfaas-system/faas-router (AUTHZ 100)"), "{text}");
}

#[test]
fn the_audit_component_validates_with_every_overlay() {
    let schemas = release::schema::Schemas::load_all(&locate::crd_bundles().unwrap()).unwrap();
    let root = locate::workspace_root().join("wasmplugins");
    let kubectl = locate::kubectl().unwrap();
    for overlay in locate::overlays().unwrap() {
        let text =
            render::kustomize_with(&kubectl, &overlay, &[&root.join("components/jwt-audit")])
                .unwrap();
        let docs = render::documents(&text).unwrap();
        let audited = docs
            .iter()
            .filter(|d| d["spec"]["pluginConfig"]["mode"] == "audit")
            .count();
        assert_eq!(audited, 2, "{}: both jwt-auth plugins", overlay.display());
        let mut found: Vec<String> = validate::check_resources(&docs, &schemas)
            .iter()
            .map(Problem::to_string)
            .collect();
        found.extend(problems(&docs));
        assert!(found.is_empty(), "{}: {found:#?}", overlay.display());
    }
}

/// The kfaas-gateway-combined component on every overlay: the kfaas gateway's three plugins
/// become one, configured with exactly the overlay's three configurations (its patches
/// included), pinned to the built kfaas-gateway image, valid like the rest.
#[test]
fn the_combined_component_validates_with_every_overlay() {
    let schemas = release::schema::Schemas::load_all(&locate::crd_bundles().unwrap()).unwrap();
    let root = locate::workspace_root().join("wasmplugins");
    let kubectl = locate::kubectl().unwrap();
    let digests = validate::built_digests(&locate::dist_dir()).unwrap();
    let component = root.join("components/kfaas-gateway-combined");
    for overlay in locate::overlays().unwrap() {
        let alone = render::documents(&render::kustomize(&kubectl, &overlay).unwrap()).unwrap();
        let text = render::kustomize_with(&kubectl, &overlay, &[&component]).unwrap();
        let docs = render::documents(&text).unwrap();
        let kfaas: Vec<&Value> = docs
            .iter()
            .filter(|d| d["kind"] == "WasmPlugin" && d["metadata"]["namespace"] == "kfaas-system")
            .collect();
        assert_eq!(
            kfaas.len(),
            1,
            "{}: one plugin on the kfaas gateway",
            overlay.display()
        );
        let combined = kfaas[0];
        assert_eq!(combined["spec"]["phase"], "AUTHN");
        let config = |name: &str| {
            alone
                .iter()
                .find(|d| {
                    d["metadata"]["namespace"] == "kfaas-system" && d["metadata"]["name"] == name
                })
                .map(|d| d["spec"]["pluginConfig"].clone())
                .unwrap_or_default()
        };
        assert_eq!(
            combined["spec"]["pluginConfig"],
            json!({"jwtAuth": config("jwt-auth"), "greyChain": config("grey-chain-gateway"),
                   "faasRouter": config("faas-router")}),
            "{}",
            overlay.display()
        );
        let mut found: Vec<String> = validate::check_resources(&docs, &schemas)
            .iter()
            .chain(&validate::check_digests(&docs, &digests))
            .map(Problem::to_string)
            .collect();
        found.extend(problems(&docs));
        assert!(found.is_empty(), "{}: {found:#?}", overlay.display());
    }
}
