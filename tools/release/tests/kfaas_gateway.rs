//! The kfaas gateway the base ships (wasmplugins/base/kfaas-gateway.yaml): rendered into every
//! overlay with Istio's gateway injection, autoscaler and disruption budget; its pod labels
//! checked against everything that selects them, a mismatch named by file and field; its
//! `proxy.istio.io/config` annotation what `make manifests` generates from the observability
//! values, and `release check` failing when it is not.

mod support;

use release::istiod::Mesh;
use release::{locate, proxy_config, render, validate, workload};
use serde_json::{json, Value};
use support::{assert_named, join, rendered, schemas};

fn find<'a>(docs: &'a mut [Value], kind: &str, name: &str) -> &'a mut Value {
    docs.iter_mut()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("{kind} {name} missing"))
}

fn production() -> Vec<Value> {
    rendered(&locate::workspace_root().join("wasmplugins/overlays/production"))
}

#[test]
fn every_overlay_ships_the_gateway_with_its_autoscaler_and_budget() {
    for overlay in locate::overlays().unwrap() {
        let mut docs = rendered(&overlay);
        let kinds = |k: &str| {
            docs.iter()
                .filter(|d| d["kind"] == k && d["metadata"]["namespace"] == "kfaas-system")
                .count()
        };
        for kind in [
            "ServiceAccount",
            "Service",
            "Deployment",
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget",
        ] {
            assert_eq!(kinds(kind), 1, "{kind} in {}", overlay.display());
        }
        let d = find(&mut docs, "Deployment", "kfaas-gateway").clone();
        let pod = &d["spec"]["template"];
        assert_eq!(pod["metadata"]["labels"]["istio"], "kfaas-gateway");
        assert_eq!(pod["metadata"]["labels"]["sidecar.istio.io/inject"], "true");
        assert_eq!(
            pod["metadata"]["annotations"]["inject.istio.io/templates"],
            "gateway"
        );
        assert_eq!(pod["spec"]["containers"][0]["name"], "istio-proxy");
        assert_eq!(pod["spec"]["containers"][0]["image"], "auto");
        assert!(pod["spec"]["containers"][0]["resources"]["requests"]["cpu"].is_string());
        assert!(
            d["spec"].get("replicas").is_none(),
            "the autoscaler owns it"
        );
        let hpa = find(&mut docs, "HorizontalPodAutoscaler", "kfaas-gateway").clone();
        assert_eq!(hpa["apiVersion"], "autoscaling/v2");
        assert_eq!(
            (&hpa["spec"]["minReplicas"], &hpa["spec"]["maxReplicas"]),
            (&json!(2), &json!(10))
        );
        assert_eq!(
            hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"],
            70
        );
        let pdb = find(&mut docs, "PodDisruptionBudget", "kfaas-gateway").clone();
        assert_eq!(pdb["apiVersion"], "policy/v1");
        assert_eq!(pdb["spec"]["minAvailable"], 1);
        let svc = find(&mut docs, "Service", "kfaas-gateway").clone();
        assert_eq!(svc["spec"]["ports"][0]["port"], 80);
        assert_eq!(svc["spec"]["ports"][0]["targetPort"], 8080);
        // The whole overlay is valid, the gateway included (core kinds: `workload`).
        let problems = validate::check_resources(&docs, schemas());
        assert!(problems.is_empty(), "{}", join(&problems));
    }
}

#[test]
fn the_model_labels_its_kfaas_gateway_pod_as_the_deployment_does() {
    let mut docs = production();
    let mesh = Mesh::build(&docs).unwrap();
    let pod = &mesh.proxy("kfaas-gateway").unwrap().pod;
    assert_eq!(pod.labels["istio"], "kfaas-gateway");
    assert_eq!(pod.labels["sidecar.istio.io/inject"], "true");
    // The shipped Service replaces the modelled one (one Service per host).
    let hosts = mesh
        .services
        .iter()
        .filter(|s| s.host == "kfaas-gateway.kfaas-system.svc.cluster.local")
        .count();
    assert_eq!(hosts, 1);
    // Relabelled pods: the modelled kfaas gateway loses its plugins, as the cluster would.
    let d = find(&mut docs, "Deployment", "kfaas-gateway");
    d["spec"]["template"]["metadata"]["labels"]["istio"] = json!("kfaas-gw");
    d["spec"]["selector"]["matchLabels"]["istio"] = json!("kfaas-gw");
    let mesh = Mesh::build(&docs).unwrap();
    let listeners = &mesh.proxy("kfaas-gateway").unwrap().listeners;
    assert!(
        listeners.iter().all(|l| l.plugins.is_empty()),
        "{}",
        mesh.describe()
    );
}

#[test]
fn relabelled_pods_are_named_on_every_selector_that_misses_them() {
    let mut docs = production();
    let d = find(&mut docs, "Deployment", "kfaas-gateway");
    d["spec"]["template"]["metadata"]["labels"]["istio"] = json!("kfaas-gw");
    d["spec"]["selector"]["matchLabels"]["istio"] = json!("kfaas-gw");
    let problems = validate::check_resources(&docs, schemas());
    for (resource, field, file) in [
        (
            "Gateway kfaas-system/kfaas-gateway",
            "spec.selector",
            "wasmplugins/base/routing-kfaas-gateway.yaml",
        ),
        (
            "WasmPlugin kfaas-system/faas-router",
            "spec.selector.matchLabels",
            "wasmplugins/base/wasmplugin-faas-router.yaml",
        ),
        (
            "WasmPlugin kfaas-system/jwt-auth",
            "spec.selector.matchLabels",
            "wasmplugins/base/wasmplugin-jwt-auth.yaml",
        ),
        (
            "WasmPlugin kfaas-system/grey-chain-gateway",
            "spec.selector.matchLabels",
            "wasmplugins/base/wasmplugin-grey-chain.yaml",
        ),
        (
            "Service kfaas-system/kfaas-gateway",
            "spec.selector",
            "wasmplugins/base/kfaas-gateway.yaml",
        ),
        (
            "PodDisruptionBudget kfaas-system/kfaas-gateway",
            "spec.selector.matchLabels",
            "wasmplugins/base/kfaas-gateway.yaml",
        ),
    ] {
        assert_named(
            &problems,
            resource,
            field,
            "selects no pod of Deployment kfaas-system/kfaas-gateway",
        );
        // Both files: the selecting object's and the Deployment's.
        assert_named(&problems, resource, field, file);
        assert_named(
            &problems,
            resource,
            field,
            "spec.template.metadata.labels {app: kfaas-gateway, istio: kfaas-gw, sidecar.istio.io/inject: true} in wasmplugins/base/kfaas-gateway.yaml",
        );
    }
    // Nothing in the other namespaces is concerned.
    assert!(
        problems
            .iter()
            .all(|p| p.resource.contains("kfaas-system/")),
        "{}",
        join(&problems)
    );
}

#[test]
fn a_broken_gateway_workload_names_each_field() {
    let mut docs = production();
    let d = find(&mut docs, "Deployment", "kfaas-gateway");
    d["spec"]["selector"]["matchLabels"] = json!({"istio": "other"});
    d["spec"]["template"]["metadata"]["labels"]
        .as_object_mut()
        .unwrap()
        .remove("sidecar.istio.io/inject");
    d["spec"]["template"]["spec"]["containers"][0]["image"] = json!("docker.io/istio/proxyv2");
    d["spec"]["template"]["spec"]["containers"][0]["resources"] = json!({});
    let hpa = find(&mut docs, "HorizontalPodAutoscaler", "kfaas-gateway");
    hpa["spec"]["minReplicas"] = json!(12);
    hpa["spec"]["scaleTargetRef"]["name"] = json!("kfaas-gw");
    let pdb = find(&mut docs, "PodDisruptionBudget", "kfaas-gateway");
    pdb["spec"]["maxUnavailable"] = json!(1);
    let problems = validate::check_resources(&docs, schemas());
    let d = "Deployment kfaas-system/kfaas-gateway";
    let h = "HorizontalPodAutoscaler kfaas-system/kfaas-gateway";
    for (resource, field, words) in [
        (
            d,
            "spec.selector.matchLabels",
            "does not select the pod template",
        ),
        (
            d,
            "spec.selector.matchLabels",
            "wasmplugins/base/kfaas-gateway.yaml",
        ),
        (
            d,
            "spec.template.metadata.labels[sidecar.istio.io/inject]",
            "must be \"true\"",
        ),
        (d, "spec.template.spec.containers", "image: auto"),
        (
            d,
            "spec.template.spec.containers[0].resources.requests.cpu",
            "missing",
        ),
        (h, "spec.minReplicas", "at most maxReplicas 10"),
        (h, "spec.scaleTargetRef.name", "no Deployment"),
        (
            "PodDisruptionBudget kfaas-system/kfaas-gateway",
            "spec.minAvailable",
            "exactly one",
        ),
    ] {
        assert_named(&problems, resource, field, words);
    }
}

#[test]
fn the_annotation_is_generated_from_the_values_file() {
    let root = locate::workspace_root();
    let config = proxy_config::load(&root).unwrap();
    // Committed as `make manifests` writes it.
    assert_eq!(proxy_config::stale(&root).unwrap(), None);
    let values =
        render::documents(&std::fs::read_to_string(root.join(proxy_config::VALUES)).unwrap())
            .unwrap()
            .remove(0);
    let default_config = &values["meshConfig"]["defaultConfig"];
    assert_eq!(
        config["proxyStatsMatcher"],
        default_config["proxyStatsMatcher"]
    );
    assert_eq!(config["extraStatTags"], default_config["extraStatTags"]);
    for overlay in locate::overlays().unwrap() {
        let mut docs = rendered(&overlay);
        assert_eq!(proxy_config::check_rendered(&docs, &config), []);
        let d = find(&mut docs, "Deployment", "kfaas-gateway").clone();
        assert_eq!(proxy_config::annotation_of(&d), Some(config.clone()));
    }
}

#[test]
fn an_annotation_that_differs_from_the_values_fails_the_check() {
    let root = locate::workspace_root();
    let config = proxy_config::load(&root).unwrap();
    let mut docs = production();
    let d = find(&mut docs, "Deployment", "kfaas-gateway");
    d["spec"]["template"]["metadata"]["annotations"][proxy_config::ANNOTATION] =
        json!("extraStatTags: [lane]\n");
    let problems = proxy_config::check_rendered(&docs, &config);
    assert_named(
        &problems,
        "Deployment kfaas-system/kfaas-gateway",
        "spec.template.metadata.annotations[proxy.istio.io/config]",
        "differs from meshConfig.defaultConfig of wasmplugins/observability/istio-values.yaml",
    );
    // A stale file: what the generator writes from other values differs from the committed one.
    let text = std::fs::read_to_string(root.join(proxy_config::GATEWAY)).unwrap();
    let other = proxy_config::with_annotation(&text, &json!({"extraStatTags": ["lane"]})).unwrap();
    assert_ne!(other, text);
    assert_eq!(
        proxy_config::with_annotation(&other, &config).unwrap(),
        text,
        "regenerating restores the committed file"
    );
}

#[test]
fn core_kinds_are_checked_structurally_not_against_a_crd() {
    let docs = production();
    for doc in docs.iter().filter(|d| workload::is_core(d)) {
        assert!(
            schemas().validate(doc).is_err(),
            "{} has a CRD schema after all: validate it there",
            doc["kind"]
        );
        assert_eq!(workload::structure(doc), [], "{}", doc["kind"]);
    }
}
