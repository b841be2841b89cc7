//! Which WasmPlugins istiod puts on which listener, in which order. A model of istiod's
//! selection (`PushContext.WasmPluginsByListenerInfo` and `matchListener` in
//! pilot/pkg/model), kept to what our manifests use:
//! - namespace: a plugin applies to pods of its own namespace, or from the root namespace
//!   (istio-system) to pods of every namespace;
//! - `selector.matchLabels` ⊆ the pod's labels (absent: every pod in scope); `targetRefs`
//!   select the pods of a Gateway API Gateway in the plugin's namespace
//!   (`gateway_api::target_selects`; other kinds, e.g. a waypoint's Service, select nothing);
//! - `match`: absent or empty matches every listener; otherwise any entry whose `mode` fits
//!   (UNDEFINED / CLIENT_AND_SERVER any; CLIENT outbound and every gateway listener; SERVER
//!   a sidecar's inbound) and whose `ports` (absent: any) holds the listener's port;
//! - order: `phase` AUTHN, AUTHZ, STATS, then unspecified (just before the router), and
//!   within a phase higher `priority` first (ties by namespace/name; istiod uses creation
//!   time first).

use super::gateway_api;
use super::topology::{labels_of, selects, Listener, Pod, ProxyKind, ROOT_NAMESPACE};
use crate::image_name_of_url;
use crate::render::resource_name;
use serde_json::Value;

/// A WasmPlugin attached to one listener, as the filter entry istiod renders from it.
#[derive(Debug, Clone, PartialEq)]
pub struct Attached {
    /// `WasmPlugin` or `TrafficExtension`.
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// Our image name (`jwt-auth`, `faas-router`, `grey-chain`); "" for a foreign url.
    pub image: String,
    /// `pluginName` (Envoy's root_id); the resource name when absent.
    pub root_id: String,
    pub phase: String,
    pub priority: i64,
    /// `failStrategy` (FAIL_CLOSE when absent, like istiod).
    pub fail_strategy: String,
    /// `pluginConfig` as given (Null when absent).
    pub config: Value,
}

impl Attached {
    /// "WasmPlugin namespace/name" (or "TrafficExtension …")
    pub fn resource(&self) -> String {
        format!("{} {}/{}", self.kind, self.namespace, self.name)
    }

    /// grey-chain's `mode` (gateway / sidecar), "" for other filters.
    pub fn grey_mode(&self) -> &str {
        self.config["mode"].as_str().unwrap_or_default()
    }

    fn of(doc: &Value) -> Attached {
        let spec = &doc["spec"];
        let name = doc["metadata"]["name"].as_str().unwrap_or_default();
        Attached {
            kind: doc["kind"].as_str().unwrap_or("WasmPlugin").to_string(),
            namespace: doc["metadata"]["namespace"]
                .as_str()
                .unwrap_or("default")
                .to_string(),
            name: name.to_string(),
            image: image_name_of_url(spec["url"].as_str().unwrap_or_default())
                .unwrap_or_default()
                .to_string(),
            root_id: spec["pluginName"].as_str().unwrap_or(name).to_string(),
            phase: spec["phase"]
                .as_str()
                .unwrap_or("UNSPECIFIED_PHASE")
                .to_string(),
            priority: spec["priority"].as_i64().unwrap_or(0),
            fail_strategy: spec["failStrategy"]
                .as_str()
                .unwrap_or("FAIL_CLOSE")
                .to_string(),
            config: spec["pluginConfig"].clone(),
        }
    }
}

fn phase_rank(phase: &str) -> u8 {
    match phase {
        "AUTHN" => 0,
        "AUTHZ" => 1,
        "STATS" => 2,
        _ => 3,
    }
}

/// Why `plugin` does not select `pod` at all (None: it does).
pub fn pod_mismatch(plugin: &Value, pod: &Pod) -> Option<String> {
    let ns = plugin["metadata"]["namespace"]
        .as_str()
        .unwrap_or("default");
    if ns != ROOT_NAMESPACE && ns != pod.namespace {
        return Some(format!(
            "namespace {ns} is neither the pod's ({}) nor the root namespace",
            pod.namespace
        ));
    }
    let spec = &plugin["spec"];
    let targets: Vec<&Value> = spec["targetRefs"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(spec["targetRef"].is_object().then_some(&spec["targetRef"]))
        .collect();
    if !targets.is_empty() {
        return if targets
            .iter()
            .any(|t| gateway_api::target_selects(t, ns, &pod.namespace, &pod.labels))
        {
            None
        } else {
            Some(format!(
                "targetRefs {} name no Gateway of this pod",
                Value::Array(targets.into_iter().cloned().collect())
            ))
        };
    }
    let selector = labels_of(&spec["selector"]["matchLabels"]);
    if !selects(&selector, &pod.labels) {
        return Some(format!(
            "selector {selector:?} does not match the pod's labels"
        ));
    }
    None
}

/// Why `plugin`, selecting the pod, skips `listener` (None: it attaches).
pub fn listener_mismatch(plugin: &Value, pod: &Pod, listener: &Listener) -> Option<String> {
    let entries = plugin["spec"]["match"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if entries.is_empty() {
        return None;
    }
    let server = pod.kind == ProxyKind::Sidecar && listener.is_server();
    let fits = |m: &Value| {
        let mode_ok = match m["mode"].as_str().unwrap_or("UNDEFINED") {
            "CLIENT" => !server,
            "SERVER" => server,
            _ => true,
        };
        let ports: Vec<u64> = m["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["number"].as_u64())
            .collect();
        mode_ok && (ports.is_empty() || ports.contains(&u64::from(listener.port)))
    };
    if entries.iter().any(fits) {
        return None;
    }
    Some(format!(
        "match {} excludes listener {} ({})",
        Value::Array(entries),
        listener.port,
        if server { "SERVER" } else { "CLIENT" }
    ))
}

/// The plugins on one listener of one pod, in filter-chain order.
pub fn plugins_for(docs: &[Value], pod: &Pod, listener: &Listener) -> Vec<Attached> {
    let mut attached: Vec<Attached> = wasm_plugins(docs)
        .filter(|p| pod_mismatch(p, pod).is_none() && listener_mismatch(p, pod, listener).is_none())
        .map(Attached::of)
        .collect();
    attached.sort_by(|a, b| {
        (phase_rank(&a.phase), -a.priority, &a.namespace, &a.name).cmp(&(
            phase_rank(&b.phase),
            -b.priority,
            &b.namespace,
            &b.name,
        ))
    });
    attached
}

/// The plugins among `docs` in the WasmPlugin layout: WasmPlugins, and TrafficExtensions
/// already seen as one (`traffic_extension::as_wasm_plugin`, done by `Mesh::build`).
pub fn wasm_plugins(docs: &[Value]) -> impl Iterator<Item = &Value> {
    docs.iter().filter(|d| is_wasm_plugin(d))
}

pub fn is_wasm_plugin(doc: &Value) -> bool {
    doc["kind"] == "WasmPlugin"
        || (doc["kind"] == crate::traffic_extension::KIND && doc["spec"]["url"].is_string())
}

/// "WasmPlugin ns/name: <why it does not attach>" for each plugin of `image` (and, if given,
/// of grey-chain `mode`), to name them when a listener lacks one.
pub fn why_not(
    docs: &[Value],
    pod: &Pod,
    listener: &Listener,
    image: &str,
    mode: Option<&str>,
) -> Vec<String> {
    wasm_plugins(docs)
        .filter(|p| image_name_of_url(p["spec"]["url"].as_str().unwrap_or_default()) == Some(image))
        .filter(|p| mode.is_none_or(|m| p["spec"]["pluginConfig"]["mode"] == m))
        .filter_map(|p| {
            let why = pod_mismatch(p, pod).or_else(|| listener_mismatch(p, pod, listener))?;
            Some(format!("{}: {why}", resource_name(p)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::istiod::topology::{pods, Role};
    use serde_json::json;

    fn plugin(ns: &str, name: &str, spec: Value) -> Value {
        let mut spec = spec;
        spec["url"] = json!(format!("oci://r/kfaas/{name}:1"));
        json!({"kind": "WasmPlugin", "metadata": {"name": name, "namespace": ns}, "spec": spec})
    }

    fn ingress() -> Pod {
        pods().remove(0)
    }

    const L8080: Listener = Listener {
        port: 8080,
        role: Role::Entry,
    };
    const L8081: Listener = Listener {
        port: 8081,
        role: Role::KnativeLocal,
    };

    #[test]
    fn root_namespace_applies_everywhere_other_namespaces_locally() {
        let sel = json!({"selector": {"matchLabels": {"istio": "ingressgateway"}}});
        let root = plugin("istio-system", "jwt-auth", sel.clone());
        let local = plugin("kfaas-system", "jwt-auth", sel);
        assert!(pod_mismatch(&root, &ingress()).is_none());
        assert!(pod_mismatch(&local, &ingress())
            .unwrap()
            .contains("neither the pod's"));
        // A root-namespace plugin selects matching pods of other namespaces too.
        let sidecar = pods().remove(2);
        let opt_in =
            json!({"selector": {"matchLabels": {"grey-chain.kfaas.io/sidecar": "enabled"}}});
        assert!(pod_mismatch(
            &plugin("istio-system", "grey-chain", opt_in.clone()),
            &sidecar
        )
        .is_none());
        assert!(pod_mismatch(&plugin("saas", "grey-chain", opt_in.clone()), &sidecar).is_none());
        assert!(pod_mismatch(&plugin("saas", "grey-chain", opt_in), &ingress()).is_some());
    }

    #[test]
    fn ports_and_mode_pick_listeners_gateways_count_as_client() {
        let scoped = plugin(
            "istio-system",
            "jwt-auth",
            json!({"match": [{"mode": "CLIENT", "ports": [{"number": 8080}, {"number": 8443}]}]}),
        );
        assert!(listener_mismatch(&scoped, &ingress(), &L8080).is_none());
        assert!(listener_mismatch(&scoped, &ingress(), &L8081)
            .unwrap()
            .contains("excludes listener 8081"));
        let unscoped = plugin("istio-system", "jwt-auth", json!({}));
        assert!(listener_mismatch(&unscoped, &ingress(), &L8081).is_none());
        let server = plugin("istio-system", "x", json!({"match": [{"mode": "SERVER"}]}));
        assert!(listener_mismatch(&server, &ingress(), &L8080).is_some());
        let sidecar = pods().remove(2);
        let inbound = &sidecar.sidecar_listeners[0];
        let outbound = &sidecar.sidecar_listeners[1];
        assert!(listener_mismatch(&server, &sidecar, inbound).is_none());
        assert!(listener_mismatch(&server, &sidecar, outbound).is_some());
    }

    #[test]
    fn phase_then_priority_order() {
        let docs = vec![
            plugin(
                "istio-system",
                "c",
                json!({"phase": "AUTHZ", "priority": 10}),
            ),
            plugin("istio-system", "d", json!({})),
            plugin(
                "istio-system",
                "b",
                json!({"phase": "AUTHZ", "priority": 200}),
            ),
            plugin(
                "istio-system",
                "a",
                json!({"phase": "AUTHN", "priority": 1}),
            ),
        ];
        let names: Vec<String> = plugins_for(&docs, &ingress(), &L8080)
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(names, ["a", "b", "c", "d"]);
    }
}
