//! The shipped kfaas gateway as Kubernetes objects: core kinds (`v1` Service and
//! ServiceAccount, `apps/v1` Deployment, `autoscaling/v2` HorizontalPodAutoscaler, `policy/v1`
//! PodDisruptionBudget) have no CRD in the bundles `schema` loads — the API server's built-in
//! schemas judge them — so `structure` checks only the fields the install depends on, and
//! `selections` checks that the gateway Deployment's pod labels are what everything in its
//! namespace selects: the Istio Gateway's `selector`, each plugin's `selector.matchLabels` (or,
//! with `targetRefs` to a Gateway API Gateway, the `gateway.networking.k8s.io/gateway-name`
//! label Istio matches a manually deployed gateway's pods by), the Service, the
//! PodDisruptionBudget, and the Service a Gateway API Gateway's `spec.addresses` names.
//! A problem names the object and field on both sides, and the file under wasmplugins/ that
//! declares each (`source_file`).

use crate::istiod::topology::{labels_of, selects, Labels, GATEWAY_NAME_LABEL};
use crate::problem::Problem;
use crate::proxy_config::is_gateway_deployment;
use crate::render::{documents, resource_name};
use crate::traffic_extension::{as_wasm_plugin, is_plugin};
use serde_json::Value;
use std::path::Path;

/// apiVersions of the Kubernetes kinds checked here instead of against a CRD schema.
pub const CORE_API_VERSIONS: [&str; 4] = ["v1", "apps/v1", "autoscaling/v2", "policy/v1"];

pub fn is_core(doc: &Value) -> bool {
    doc["apiVersion"]
        .as_str()
        .is_some_and(|v| CORE_API_VERSIONS.contains(&v))
}

fn ns(doc: &Value) -> &str {
    doc["metadata"]["namespace"].as_str().unwrap_or("default")
}

fn name(doc: &Value) -> &str {
    doc["metadata"]["name"].as_str().unwrap_or_default()
}

fn problem(doc: &Value, field: &str, message: impl Into<String>) -> Problem {
    let message = message.into();
    Problem {
        resource: resource_name(doc),
        field: field.into(),
        message: match source_file(doc) {
            Some(file) => format!("{message} (declared in {file})"),
            None => message,
        },
    }
}

/// The file under `wasmplugins/` that declares `doc` (same kind, namespace and name, not a
/// `$patch`), for messages; None when only a patch or generator made it.
pub fn source_file(doc: &Value) -> Option<String> {
    let root = crate::locate::workspace_root();
    let mut stack = vec![root.join("wasmplugins")];
    let mut files = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).ok()?.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files.into_iter().find_map(|path| {
        let text = std::fs::read_to_string(&path).ok()?;
        let declares = documents(&text).ok()?.iter().any(|d| {
            d.get("$patch").is_none()
                && d["kind"] == doc["kind"]
                && name(d) == name(doc)
                && ns(d) == ns(doc)
        });
        declares.then(|| relative(&root, &path))
    })
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn show(labels: &Labels) -> String {
    let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    format!("{{{}}}", pairs.join(", "))
}

/// The structural problems of one core object (other objects: none).
pub fn structure(doc: &Value) -> Vec<Problem> {
    let mut p = Vec::new();
    let spec = &doc["spec"];
    if name(doc).is_empty() {
        p.push(problem(doc, "metadata.name", "missing"));
    }
    match (doc["apiVersion"].as_str(), doc["kind"].as_str()) {
        (Some("v1"), Some("Service")) => {
            let ports = spec["ports"].as_array().map(Vec::as_slice).unwrap_or(&[]);
            if ports.is_empty() {
                p.push(problem(
                    doc,
                    "spec.ports",
                    "a Service needs at least one port",
                ));
            }
            for (i, port) in ports.iter().enumerate() {
                if !port["port"]
                    .as_u64()
                    .is_some_and(|n| (1..=65535).contains(&n))
                {
                    p.push(problem(
                        doc,
                        &format!("spec.ports[{i}].port"),
                        "not a port number",
                    ));
                }
            }
        }
        (Some("apps/v1"), Some("Deployment")) => deployment(doc, &mut p),
        (Some("autoscaling/v2"), Some("HorizontalPodAutoscaler")) => {
            let target = &spec["scaleTargetRef"];
            if target["kind"].as_str().is_none() || target["name"].as_str().is_none() {
                p.push(problem(doc, "spec.scaleTargetRef", "needs kind and name"));
            }
            let min = spec["minReplicas"].as_u64().unwrap_or(1);
            match spec["maxReplicas"].as_u64() {
                None => p.push(problem(doc, "spec.maxReplicas", "missing")),
                Some(max) if max < min || min == 0 => p.push(problem(
                    doc,
                    "spec.minReplicas",
                    format!("{min} must be at least 1 and at most maxReplicas {max}"),
                )),
                Some(_) => {}
            }
        }
        (Some("policy/v1"), Some("PodDisruptionBudget")) => {
            if spec.get("minAvailable").is_some() == spec.get("maxUnavailable").is_some() {
                p.push(problem(
                    doc,
                    "spec.minAvailable",
                    "set exactly one of minAvailable and maxUnavailable",
                ));
            }
            if labels_of(&spec["selector"]["matchLabels"]).is_empty() {
                p.push(problem(
                    doc,
                    "spec.selector.matchLabels",
                    "empty: the budget would cover every pod of the namespace",
                ));
            }
        }
        _ => {}
    }
    p
}

fn deployment(doc: &Value, p: &mut Vec<Problem>) {
    let spec = &doc["spec"];
    let selector = labels_of(&spec["selector"]["matchLabels"]);
    let pod_labels = labels_of(&spec["template"]["metadata"]["labels"]);
    if selector.is_empty() {
        p.push(problem(doc, "spec.selector.matchLabels", "missing"));
    } else if !selects(&selector, &pod_labels) {
        p.push(problem(
            doc,
            "spec.selector.matchLabels",
            format!(
                "{} does not select the pod template's labels {} (the API server refuses it)",
                show(&selector),
                show(&pod_labels)
            ),
        ));
    }
    let containers = spec["template"]["spec"]["containers"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    if containers.is_empty() {
        p.push(problem(doc, "spec.template.spec.containers", "missing"));
    }
    for (i, c) in containers.iter().enumerate() {
        let at = format!("spec.template.spec.containers[{i}]");
        if c["name"].as_str().is_none() || c["image"].as_str().is_none() {
            p.push(problem(doc, &at, "needs name and image"));
        }
        for r in ["cpu", "memory"] {
            if c["resources"]["requests"][r].is_null() {
                p.push(problem(
                    doc,
                    &format!("{at}.resources.requests.{r}"),
                    "missing: the scheduler and a CPU autoscaler need requests",
                ));
            }
        }
    }
    if is_gateway_deployment(doc) {
        if pod_labels
            .get("sidecar.istio.io/inject")
            .map(String::as_str)
            != Some("true")
            && !pod_labels.contains_key("istio.io/rev")
        {
            p.push(problem(
                doc,
                "spec.template.metadata.labels[sidecar.istio.io/inject]",
                "must be \"true\" (or an istio.io/rev label): without injection the pod runs no proxy",
            ));
        }
        let proxy = containers.iter().find(|c| c["name"] == "istio-proxy");
        if proxy.is_none_or(|c| c["image"] != "auto") {
            p.push(problem(
                doc,
                "spec.template.spec.containers",
                "the gateway template fills in a container `istio-proxy` with `image: auto`",
            ));
        }
    }
}

/// Whether `plugin` (WasmPlugin layout) selects pods labelled `labels`, and the field that
/// decides it.
fn plugin_selects(plugin: &Value, labels: &Labels) -> (bool, String) {
    let spec = &plugin["spec"];
    if let Some(refs) = spec["targetRefs"].as_array() {
        let ok = refs.iter().any(|r| {
            r["kind"] == "Gateway"
                && r["name"]
                    .as_str()
                    .is_some_and(|n| labels.get(GATEWAY_NAME_LABEL).map(String::as_str) == Some(n))
        });
        return (ok, "spec.targetRefs".into());
    }
    let selector = labels_of(&spec["selector"]["matchLabels"]);
    (
        selects(&selector, labels),
        "spec.selector.matchLabels".into(),
    )
}

/// Everything in a gateway Deployment's namespace that must select its pods, and does not.
pub fn selections(docs: &[Value]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for deployment in docs.iter().filter(|d| is_gateway_deployment(d)) {
        let namespace = ns(deployment);
        let labels = labels_of(&deployment["spec"]["template"]["metadata"]["labels"]);
        let pods = format!(
            "no pod of {} (spec.template.metadata.labels {}{})",
            resource_name(deployment),
            show(&labels),
            source_file(deployment)
                .map(|f| format!(" in {f}"))
                .unwrap_or_default()
        );
        let mut missed: Vec<(&Value, String)> = Vec::new();
        for doc in docs.iter().filter(|d| ns(d) == namespace) {
            let api = doc["apiVersion"].as_str().unwrap_or_default();
            let kind = doc["kind"].as_str().unwrap_or_default();
            if kind == "Gateway" && api.starts_with("networking.istio.io/") {
                if !selects(&labels_of(&doc["spec"]["selector"]), &labels) {
                    missed.push((doc, "spec.selector".into()));
                }
            } else if is_plugin(doc) {
                let (ok, field) = plugin_selects(&as_wasm_plugin(doc), &labels);
                if !ok {
                    missed.push((doc, field));
                }
            } else if (kind == "Service" && api == "v1" || kind == "PodDisruptionBudget")
                && name(doc) == name(deployment)
            {
                let selector = if kind == "Service" {
                    &doc["spec"]["selector"]
                } else {
                    &doc["spec"]["selector"]["matchLabels"]
                };
                let field = if kind == "Service" {
                    "spec.selector"
                } else {
                    "spec.selector.matchLabels"
                };
                let selector = labels_of(selector);
                if selector.is_empty() || !selects(&selector, &labels) {
                    missed.push((doc, field.into()));
                }
            } else if kind == "HorizontalPodAutoscaler"
                && doc["spec"]["scaleTargetRef"]["kind"] == "Deployment"
                && !docs.iter().any(|d| {
                    d["kind"] == "Deployment"
                        && ns(d) == namespace
                        && doc["spec"]["scaleTargetRef"]["name"].as_str() == Some(name(d))
                })
            {
                problems.push(problem(
                    doc,
                    "spec.scaleTargetRef.name",
                    "no Deployment of that name in this namespace",
                ));
            }
        }
        for (doc, field) in missed {
            problems.push(problem(doc, &field, format!("selects {pods}")));
        }
    }
    problems.extend(manual_gateway_addresses(docs));
    problems
}

/// A Gateway API Gateway of Istio's class beside a shipped gateway Deployment must be linked
/// to it ("manual deployment": `spec.addresses` with the Hostname of the Service in front of
/// those pods); without addresses istiod deploys a second gateway of its own.
fn manual_gateway_addresses(docs: &[Value]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for gw in docs.iter().filter(|d| {
        d["kind"] == "Gateway"
            && d["apiVersion"]
                .as_str()
                .is_some_and(|v| v.starts_with("gateway.networking.k8s.io/"))
            && d["spec"]["gatewayClassName"] == "istio"
    }) {
        let Some(deployment) = docs
            .iter()
            .find(|d| is_gateway_deployment(d) && ns(d) == ns(gw))
        else {
            continue;
        };
        let labels = labels_of(&deployment["spec"]["template"]["metadata"]["labels"]);
        let hosts: Vec<&str> = gw["spec"]["addresses"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| a["type"] == "Hostname")
            .filter_map(|a| a["value"].as_str())
            .collect();
        if labels.get(GATEWAY_NAME_LABEL).map(String::as_str) != Some(name(gw)) {
            problems.push(problem(
                deployment,
                &format!("spec.template.metadata.labels[{GATEWAY_NAME_LABEL}]"),
                format!(
                    "must be {:?}: Istio attaches targetRefs policies to a manually deployed gateway's pods by this label",
                    name(gw)
                ),
            ));
        }
        if hosts.is_empty() {
            problems.push(problem(
                gw,
                "spec.addresses",
                format!(
                    "missing: istiod would deploy its own gateway beside {} (set a Hostname address naming its Service)",
                    resource_name(deployment)
                ),
            ));
            continue;
        }
        for (i, host) in hosts.iter().enumerate() {
            let service = docs.iter().find(|s| {
                s["kind"] == "Service"
                    && s["apiVersion"] == "v1"
                    && format!("{}.{}.svc.cluster.local", name(s), ns(s)) == *host
            });
            match service {
                None => problems.push(problem(
                    gw,
                    &format!("spec.addresses[{i}].value"),
                    format!("{host}: no Service of the overlay has that name"),
                )),
                Some(s) if !selects(&labels_of(&s["spec"]["selector"]), &labels) => {
                    problems.push(problem(
                        gw,
                        &format!("spec.addresses[{i}].value"),
                        format!(
                            "{host} does not select the pods of {}",
                            resource_name(deployment)
                        ),
                    ))
                }
                Some(_) => {}
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn gateway_deployment(labels: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "gw", "namespace": "n"},
            "spec": {"selector": {"matchLabels": {"istio": "gw"}},
                "template": {"metadata": {"labels": labels,
                    "annotations": {"inject.istio.io/templates": "gateway"}},
                "spec": {"containers": [{"name": "istio-proxy", "image": "auto",
                    "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}]}}}})
    }

    #[test]
    fn a_good_gateway_deployment_has_no_problem() {
        let d = gateway_deployment(json!({"istio": "gw", "sidecar.istio.io/inject": "true"}));
        assert_eq!(structure(&d), []);
    }

    #[test]
    fn structure_names_each_field() {
        let d = gateway_deployment(json!({"istio": "other"}));
        let fields: Vec<String> = structure(&d).into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                "spec.selector.matchLabels",
                "spec.template.metadata.labels[sidecar.istio.io/inject]"
            ]
        );
        let pdb = json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": "b", "namespace": "n"}, "spec": {}});
        let fields: Vec<String> = structure(&pdb).into_iter().map(|p| p.field).collect();
        assert_eq!(fields, ["spec.minAvailable", "spec.selector.matchLabels"]);
        let hpa = json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "h", "namespace": "n"},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "gw"},
                     "minReplicas": 3, "maxReplicas": 2}});
        assert_eq!(structure(&hpa)[0].field, "spec.minReplicas");
    }

    #[test]
    fn selections_name_the_selector_that_misses() {
        let docs = vec![
            gateway_deployment(json!({"istio": "gw"})),
            json!({"apiVersion": "networking.istio.io/v1", "kind": "Gateway",
                "metadata": {"name": "g", "namespace": "n"},
                "spec": {"selector": {"istio": "typo"}}}),
            json!({"apiVersion": "extensions.istio.io/v1alpha1", "kind": "WasmPlugin",
                "metadata": {"name": "p", "namespace": "n"},
                "spec": {"selector": {"matchLabels": {"istio": "gw"}}}}),
            json!({"apiVersion": "extensions.istio.io/v1alpha1", "kind": "WasmPlugin",
                "metadata": {"name": "q", "namespace": "n"},
                "spec": {"targetRefs": [{"kind": "Gateway", "name": "g"}]}}),
            json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": "gw", "namespace": "n"},
                "spec": {"selector": {"istio": "gw"}, "ports": [{"port": 80}]}}),
        ];
        let problems = selections(&docs);
        let named: Vec<String> = problems
            .iter()
            .map(|p| format!("{}: {}", p.resource, p.field))
            .collect();
        assert_eq!(
            named,
            [
                "Gateway n/g: spec.selector",
                "WasmPlugin n/q: spec.targetRefs"
            ]
        );
        assert!(problems[0].message.contains("no pod of Deployment n/gw"));
    }

    #[test]
    fn a_gateway_api_gateway_needs_the_shipped_service_as_address() {
        let mut docs = vec![
            gateway_deployment(json!({"istio": "gw", GATEWAY_NAME_LABEL: "g"})),
            json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                "metadata": {"name": "g", "namespace": "n"},
                "spec": {"gatewayClassName": "istio"}}),
            json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": "gw", "namespace": "n"},
                "spec": {"selector": {"istio": "gw"}, "ports": [{"port": 80}]}}),
        ];
        assert_eq!(manual_gateway_addresses(&docs)[0].field, "spec.addresses");
        docs[1]["spec"]["addresses"] =
            json!([{"type": "Hostname", "value": "gw.n.svc.cluster.local"}]);
        assert_eq!(manual_gateway_addresses(&docs), []);
        docs[0]["spec"]["template"]["metadata"]["labels"] = json!({"istio": "gw"});
        let p = manual_gateway_addresses(&docs);
        assert_eq!(
            p[0].field,
            "spec.template.metadata.labels[gateway.networking.k8s.io/gateway-name]"
        );
    }
}
