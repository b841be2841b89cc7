//! Gateway API objects as istiod serves them. istiod's Gateway API controller deploys an
//! Istio-class `Gateway` itself (pods labelled `gateway.networking.k8s.io/gateway-name`) and
//! converts it into an Istio Gateway selecting those pods, and each `HTTPRoute` into a
//! VirtualService bound to its parent Gateways (pilot/pkg/config/kube/gateway, `conversion.go`:
//! `convertGateways`, `convertVirtualService`); a backend in another namespace is used only
//! when a `ReferenceGrant` there allows it (otherwise the route's status says
//! `RefNotPermitted` and requests to that backend fail). The model converts the same way,
//! kept to what `wasmplugins/components/gateway-api` uses:
//! - Gateway listeners → servers (port, protocol, `hostname` or `*`); the pod keeps the
//!   model's kfaas gateway Service, so port 80 is its listener 8080 in either install;
//! - HTTPRoute `hostnames` (none: `*`), `parentRefs` to Gateways (bound to them) or to a
//!   Service (bound to `mesh`, for that Service's host), rules with `name`,
//!   `matches` (path PathPrefix / Exact / RegularExpression, headers Exact /
//!   RegularExpression), `backendRefs` (Service name, namespace, port, weight) and
//!   `timeouts.request`;
//! - a backend whose namespace grants nothing is sent to a host no Service has (Envoy 503;
//!   istiod answers 500), and `refused_backends` names it.
//!
//! Not modelled: filters, `sectionName`/`port` on parentRefs, query and method matches,
//! GRPCRoute, listener `allowedRoutes`.

use super::topology::GATEWAY_NAME_LABEL;
use crate::problem::Problem;
use crate::render::resource_name;
use serde_json::{json, Value};

pub const GROUP: &str = "gateway.networking.k8s.io";
/// Where a backend that no ReferenceGrant allows goes in the model.
pub const REFUSED_BACKEND: &str = "refused-backend.invalid";

fn is_gateway_api(doc: &Value, kind: &str) -> bool {
    doc["kind"] == kind
        && doc["apiVersion"]
            .as_str()
            .is_some_and(|v| v.starts_with(&format!("{GROUP}/")))
}

fn ns(doc: &Value) -> &str {
    doc["metadata"]["namespace"].as_str().unwrap_or("default")
}

/// `docs` with each Istio-class Gateway and each HTTPRoute replaced by what istiod makes of it.
pub fn as_istio(docs: &[Value]) -> Vec<Value> {
    docs.iter()
        .map(|d| {
            if is_gateway_api(d, "Gateway") && d["spec"]["gatewayClassName"] == "istio" {
                gateway(d)
            } else if is_gateway_api(d, "HTTPRoute") {
                virtual_service(d, docs)
            } else {
                d.clone()
            }
        })
        .collect()
}

fn gateway(gw: &Value) -> Value {
    let name = gw["metadata"]["name"].as_str().unwrap_or_default();
    let servers: Vec<Value> = gw["spec"]["listeners"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| {
            json!({
                "port": {"number": l["port"], "name": l["name"], "protocol": l["protocol"]},
                "hosts": [l["hostname"].as_str().unwrap_or("*")],
            })
        })
        .collect();
    json!({
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": {"name": name, "namespace": ns(gw)},
        "spec": {"selector": {GATEWAY_NAME_LABEL: name}, "servers": servers},
    })
}

/// Does a ReferenceGrant in `to_ns` let HTTPRoutes of `from_ns` reach Service `name`?
fn granted(docs: &[Value], from_ns: &str, to_ns: &str, name: &str) -> bool {
    docs.iter()
        .filter(|d| is_gateway_api(d, "ReferenceGrant") && ns(d) == to_ns)
        .any(|g| {
            let from = g["spec"]["from"].as_array().into_iter().flatten().any(|f| {
                f["group"] == GROUP && f["kind"] == "HTTPRoute" && f["namespace"] == from_ns
            });
            let to = g["spec"]["to"].as_array().into_iter().flatten().any(|t| {
                t["group"].as_str().unwrap_or("").is_empty()
                    && t["kind"] == "Service"
                    && t["name"].as_str().is_none_or(|n| n == name)
            });
            from && to
        })
}

/// The backend's namespace and whether the route may use it.
fn backend(route: &Value, b: &Value, docs: &[Value]) -> (String, bool) {
    let to_ns = b["namespace"].as_str().unwrap_or(ns(route)).to_string();
    let name = b["name"].as_str().unwrap_or_default();
    let ok = to_ns == ns(route) || granted(docs, ns(route), &to_ns, name);
    (to_ns, ok)
}

fn string_match(kind: &Value, value: &Value) -> Value {
    match kind.as_str().unwrap_or("Exact") {
        "RegularExpression" => json!({"regex": value}),
        "PathPrefix" => json!({"prefix": value}),
        _ => json!({"exact": value}),
    }
}

fn virtual_service(route: &Value, docs: &[Value]) -> Value {
    let parents: Vec<&Value> = route["spec"]["parentRefs"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let parent_ns = |p: &Value| p["namespace"].as_str().unwrap_or(ns(route)).to_string();
    let mut gateways: Vec<String> = parents
        .iter()
        .filter(|p| p["kind"].as_str().unwrap_or("Gateway") == "Gateway")
        .map(|p| {
            format!(
                "{}/{}",
                parent_ns(p),
                p["name"].as_str().unwrap_or_default()
            )
        })
        .collect();
    // A Service parent (Gateway API for service mesh): the route applies to calls to that
    // Service from the mesh, as a VirtualService for its host bound to `mesh`.
    let services: Vec<Value> = parents
        .iter()
        .filter(|p| p["kind"] == "Service")
        .map(|p| {
            json!(format!(
                "{}.{}.svc.cluster.local",
                p["name"].as_str().unwrap_or_default(),
                parent_ns(p)
            ))
        })
        .collect();
    if !services.is_empty() {
        gateways.push("mesh".into());
    }
    let hosts = match route["spec"]["hostnames"].as_array() {
        Some(h) if !h.is_empty() => Value::Array(h.clone()),
        _ if !services.is_empty() => Value::Array(services),
        _ => json!(["*"]),
    };
    let http: Vec<Value> = route["spec"]["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|rule| {
            let matches: Vec<Value> = rule["matches"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|m| {
                    let mut out = json!({});
                    if !m["path"].is_null() {
                        out["uri"] = string_match(&m["path"]["type"], &m["path"]["value"]);
                    }
                    for h in m["headers"].as_array().into_iter().flatten() {
                        let name = h["name"].as_str().unwrap_or_default().to_lowercase();
                        out["headers"][name] = string_match(&h["type"], &h["value"]);
                    }
                    out
                })
                .collect();
            let dests: Vec<Value> = rule["backendRefs"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|b| {
                    let (to_ns, ok) = backend(route, b, docs);
                    let host = if ok {
                        format!(
                            "{}.{to_ns}.svc.cluster.local",
                            b["name"].as_str().unwrap_or_default()
                        )
                    } else {
                        REFUSED_BACKEND.to_string()
                    };
                    json!({"destination": {"host": host, "port": {"number": b["port"]}},
                           "weight": b["weight"].as_u64().unwrap_or(1)})
                })
                .collect();
            let mut out = json!({"name": rule["name"], "match": matches, "route": dests});
            if let Some(t) = rule["timeouts"]["request"].as_str() {
                out["timeout"] = t.into();
            }
            out
        })
        .collect();
    json!({
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": route["metadata"]["name"], "namespace": ns(route)},
        "spec": {"hosts": hosts, "gateways": gateways, "http": http},
    })
}

/// Each HTTPRoute backend in another namespace that no ReferenceGrant there allows.
pub fn refused_backends(docs: &[Value]) -> Vec<Problem> {
    let mut out = Vec::new();
    for route in docs.iter().filter(|d| is_gateway_api(d, "HTTPRoute")) {
        for (i, rule) in route["spec"]["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            for (j, b) in rule["backendRefs"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                let (to_ns, ok) = backend(route, b, docs);
                if !ok {
                    out.push(Problem {
                        resource: resource_name(route),
                        field: format!("spec.rules[{i}].backendRefs[{j}]"),
                        message: format!(
                            "Service {to_ns}/{} is in another namespace and no ReferenceGrant there allows HTTPRoutes of {}: istiod refuses it (RefNotPermitted)",
                            b["name"].as_str().unwrap_or_default(),
                            ns(route)
                        ),
                    });
                }
            }
        }
    }
    out
}

/// Does a plugin's `targetRefs` entry select a pod of `namespace` with `labels`? (A Gateway
/// of the plugin's own namespace, through the label istiod puts on its pods.)
pub fn target_selects(
    target: &Value,
    plugin_ns: &str,
    pod_ns: &str,
    labels: &super::topology::Labels,
) -> bool {
    target["kind"] == "Gateway"
        && target["group"] == GROUP
        && plugin_ns == pod_ns
        && target["name"]
            .as_str()
            .is_some_and(|n| labels.get(GATEWAY_NAME_LABEL).map(String::as_str) == Some(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_become_virtual_services_and_grants_are_needed_across_namespaces() {
        let route = json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": "r", "namespace": "a"},
            "spec": {"parentRefs": [{"name": "g"}], "rules": [{"name": "x",
                "matches": [{"headers": [{"name": "X-H", "type": "RegularExpression", "value": ".+"}]}],
                "backendRefs": [{"name": "svc", "namespace": "b", "port": 80}],
                "timeouts": {"request": "30s"}}]}});
        let grant = json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "ReferenceGrant",
            "metadata": {"name": "g", "namespace": "b"},
            "spec": {"from": [{"group": GROUP, "kind": "HTTPRoute", "namespace": "a"}],
                     "to": [{"group": "", "kind": "Service", "name": "svc"}]}});
        let vs = &as_istio(&[route.clone(), grant])[0];
        assert_eq!(vs["kind"], "VirtualService");
        assert_eq!(vs["spec"]["gateways"][0], "a/g");
        assert_eq!(vs["spec"]["hosts"][0], "*");
        let http = &vs["spec"]["http"][0];
        assert_eq!(http["match"][0]["headers"]["x-h"]["regex"], ".+");
        assert_eq!(
            http["route"][0]["destination"]["host"],
            "svc.b.svc.cluster.local"
        );
        assert_eq!(http["timeout"], "30s");
        let alone = &as_istio(std::slice::from_ref(&route))[0];
        assert_eq!(
            alone["spec"]["http"][0]["route"][0]["destination"]["host"],
            REFUSED_BACKEND
        );
        let refused = refused_backends(&[route]);
        assert_eq!(refused[0].field, "spec.rules[0].backendRefs[0]");
        assert!(refused[0].message.contains("RefNotPermitted"));
    }
}
