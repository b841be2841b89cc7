//! Route translation: the listeners a gateway pod gets from the Gateways that select it, and
//! the Envoy `route_config` of each listener from the VirtualServices bound to it. A model of
//! istiod's translation (pilot/pkg/networking/core/route: `BuildHTTPRoutesForVirtualService`,
//! `translateRouteMatch`, `translateHeaderMatch`), kept to what the shipped manifests and the
//! tests use:
//! - a Gateway selects pods by `selector` in any namespace; each server port becomes a
//!   listener on the gateway Service's target port (`translate_gateway_port`);
//! - a VirtualService binds by `gateways` ("ns/name", a bare name in its own namespace,
//!   `mesh` or none for sidecars); VirtualServices of one host are merged in document order
//!   (istiod: oldest first) and the first matching route wins;
//! - `uri` prefix/exact/regex, `headers` exact/prefix/regex (RE2, full match), destinations
//!   to `outbound|<port>|<subset>|<host>` (weights as weighted clusters),
//!   `rewrite.authority` / `rewrite.uri`, `timeout`, `retries`;
//! - a sidecar's outbound listener has a default route to every modelled Service without a
//!   VirtualService; its inbound listener sends everything to the app.
//!
//! Not modelled: TLS, gateway server `hosts` narrowing VirtualService hosts, delegates,
//! mirrors, fault injection, `sourceLabels`, header manipulation.

use super::topology::{
    labels_of, selects, translate_gateway_port, Listener, Pod, ProxyKind, Role, Service,
};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The Gateway Knative's local gateway is (its listener is internal, not an entry point).
pub const KNATIVE_LOCAL_GATEWAY_NAME: &str = "knative-serving/knative-local-gateway";
/// The cluster of a sidecar's own app.
pub const INBOUND_CLUSTER: &str = "inbound|8080||";

fn gateway_id(doc: &Value) -> String {
    format!(
        "{}/{}",
        doc["metadata"]["namespace"].as_str().unwrap_or("default"),
        doc["metadata"]["name"].as_str().unwrap_or_default()
    )
}

/// (Gateway "ns/name", listener port) for each server of each Gateway selecting `pod`.
pub fn gateway_servers(docs: &[Value], pod: &Pod, services: &[Service]) -> Vec<(String, u16)> {
    let mut out = Vec::new();
    let istio_gateways = docs.iter().filter(|d| {
        d["kind"] == "Gateway"
            && d["apiVersion"]
                .as_str()
                .is_some_and(|v| v.starts_with("networking.istio.io/"))
    });
    for gw in istio_gateways {
        if !selects(&labels_of(&gw["spec"]["selector"]), &pod.labels) {
            continue;
        }
        for server in gw["spec"]["servers"].as_array().into_iter().flatten() {
            let Some(port) = server["port"]["number"]
                .as_u64()
                .and_then(|p| u16::try_from(p).ok())
            else {
                continue;
            };
            out.push((gateway_id(gw), translate_gateway_port(pod, services, port)));
        }
    }
    out
}

/// A pod's listeners: a sidecar's fixed pair, a gateway's from its Gateways (an internal
/// role only when every Gateway on the port is Knative's local gateway).
pub fn listeners(docs: &[Value], pod: &Pod, services: &[Service]) -> Vec<Listener> {
    if pod.kind == ProxyKind::Sidecar {
        return pod.sidecar_listeners.clone();
    }
    let servers = gateway_servers(docs, pod, services);
    let ports: BTreeSet<u16> = servers.iter().map(|(_, p)| *p).collect();
    ports
        .into_iter()
        .map(|port| {
            let internal = servers
                .iter()
                .filter(|(_, p)| *p == port)
                .all(|(g, _)| g == KNATIVE_LOCAL_GATEWAY_NAME);
            Listener {
                port,
                role: if internal {
                    Role::KnativeLocal
                } else {
                    Role::Entry
                },
            }
        })
        .collect()
}

/// The gateways a VirtualService binds to, resolved to "ns/name" (`mesh` stays `mesh`;
/// none means `mesh`).
pub fn bound_gateways(vs: &Value) -> Vec<String> {
    let ns = vs["metadata"]["namespace"].as_str().unwrap_or("default");
    let list: Vec<String> = vs["spec"]["gateways"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|g| {
            if g == "mesh" || g.contains('/') {
                g.to_string()
            } else {
                format!("{ns}/{g}")
            }
        })
        .collect();
    if list.is_empty() {
        vec!["mesh".into()]
    } else {
        list
    }
}

/// `outbound|<port>|<subset>|<host>`
pub fn cluster_name(port: u16, subset: &str, host: &str) -> String {
    format!("outbound|{port}|{subset}|{host}")
}

/// (port, subset, host) of an outbound cluster name.
pub fn parse_cluster_name(name: &str) -> Option<(u16, &str, &str)> {
    let mut parts = name.split('|');
    if parts.next()? != "outbound" {
        return None;
    }
    let port = parts.next()?.parse().ok()?;
    Some((port, parts.next()?, parts.next()?))
}

fn string_match(m: &Value) -> Option<Value> {
    if let Some(v) = m["exact"].as_str() {
        return Some(json!({"exact": v}));
    }
    if let Some(v) = m["prefix"].as_str() {
        return Some(json!({"prefix": v}));
    }
    m["regex"]
        .as_str()
        .map(|v| json!({"safe_regex": {"regex": v}}))
}

fn route_match(m: &Value) -> Value {
    let uri = &m["uri"];
    let mut out = if let Some(p) = uri["prefix"].as_str() {
        json!({"prefix": p})
    } else if let Some(p) = uri["exact"].as_str() {
        json!({"path": p})
    } else if let Some(r) = uri["regex"].as_str() {
        json!({"safe_regex": {"regex": r}})
    } else {
        json!({"prefix": "/"})
    };
    let headers: Vec<Value> = m["headers"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(name, sm)| Some(json!({"name": name, "string_match": string_match(sm)?})))
        .collect();
    if !headers.is_empty() {
        out["headers"] = Value::Array(headers);
    }
    out
}

fn destination_cluster(dest: &Value) -> String {
    let port = dest["port"]["number"]
        .as_u64()
        .and_then(|p| u16::try_from(p).ok())
        .unwrap_or(80);
    cluster_name(
        port,
        dest["subset"].as_str().unwrap_or_default(),
        dest["host"].as_str().unwrap_or_default(),
    )
}

/// The Envoy routes of one HTTP rule (one per `match` entry).
fn http_rule(rule: &Value, clusters: &mut BTreeSet<String>) -> Vec<Value> {
    let dests: Vec<&Value> = rule["route"].as_array().into_iter().flatten().collect();
    let mut action = match dests.as_slice() {
        [one] => json!({"cluster": destination_cluster(&one["destination"])}),
        many => json!({"weighted_clusters": {"clusters": many
            .iter()
            .map(|d| json!({"name": destination_cluster(&d["destination"]), "weight": d["weight"].as_u64().unwrap_or(0)}))
            .collect::<Vec<_>>()}}),
    };
    for d in &dests {
        clusters.insert(destination_cluster(&d["destination"]));
    }
    if let Some(a) = rule["rewrite"]["authority"].as_str() {
        action["host_rewrite_literal"] = a.into();
    }
    if let Some(u) = rule["rewrite"]["uri"].as_str() {
        action["prefix_rewrite"] = u.into();
    }
    if let Some(t) = rule["timeout"].as_str() {
        action["timeout"] = t.into();
    }
    if let Some(attempts) = rule["retries"]["attempts"].as_u64() {
        action["retry_policy"] = json!({
            "num_retries": attempts,
            "retry_on": rule["retries"]["retryOn"].as_str().unwrap_or("connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"),
        });
    }
    let matches: Vec<Value> = match rule["match"].as_array() {
        Some(list) if !list.is_empty() => list.clone(),
        _ => vec![json!({})],
    };
    matches
        .iter()
        .map(|m| {
            json!({
                "name": rule["name"].as_str().unwrap_or_default(),
                "match": route_match(m),
                "route": action,
            })
        })
        .collect()
}

fn domains(host: &str) -> Vec<String> {
    if host == "*" {
        vec!["*".into()]
    } else {
        vec![host.to_string(), format!("{host}:*")]
    }
}

/// Virtual hosts from the VirtualServices `bound` selects, merged per host in order.
fn virtual_hosts(
    docs: &[Value],
    bound: impl Fn(&[String]) -> bool,
    clusters: &mut BTreeSet<String>,
) -> Vec<(String, Vec<Value>)> {
    let mut hosts: Vec<(String, Vec<Value>)> = Vec::new();
    for vs in docs.iter().filter(|d| d["kind"] == "VirtualService") {
        if !bound(&bound_gateways(vs)) {
            continue;
        }
        let mut routes = Vec::new();
        for rule in vs["spec"]["http"].as_array().into_iter().flatten() {
            routes.extend(http_rule(rule, clusters));
        }
        for host in vs["spec"]["hosts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            match hosts.iter_mut().find(|(h, _)| h == host) {
                Some((_, existing)) => existing.extend(routes.iter().cloned()),
                None => hosts.push((host.to_string(), routes.clone())),
            }
        }
    }
    hosts
}

fn route_config(name: String, hosts: Vec<(String, Vec<Value>)>) -> Value {
    let vhosts: Vec<Value> = hosts
        .into_iter()
        .map(|(host, routes)| json!({"name": host, "domains": domains(&host), "routes": routes}))
        .collect();
    json!({"name": name, "virtual_hosts": vhosts})
}

/// The route config of one listener and the clusters its routes use.
pub fn for_listener(
    docs: &[Value],
    pod: &Pod,
    listener: &Listener,
    services: &[Service],
) -> (Value, BTreeSet<String>) {
    let mut clusters = BTreeSet::new();
    let config = match listener.role {
        Role::Inbound => {
            clusters.insert(INBOUND_CLUSTER.to_string());
            json!({"name": format!("inbound|{}", listener.port), "virtual_hosts": [{
                "name": "inbound", "domains": ["*"],
                "routes": [{"match": {"prefix": "/"}, "route": {"cluster": INBOUND_CLUSTER}}]
            }]})
        }
        Role::Outbound => {
            let mut hosts = virtual_hosts(docs, |g| g.iter().any(|g| g == "mesh"), &mut clusters);
            for s in services {
                if !hosts.iter().any(|(h, _)| *h == s.host) {
                    if let Some((port, _)) = s.ports.first() {
                        let cluster = cluster_name(*port, "", &s.host);
                        clusters.insert(cluster.clone());
                        hosts.push((
                            s.host.clone(),
                            vec![json!({"match": {"prefix": "/"}, "route": {"cluster": cluster}})],
                        ));
                    }
                }
            }
            route_config(listener.port.to_string(), hosts)
        }
        Role::Entry | Role::KnativeLocal => {
            let on_port: BTreeSet<String> = gateway_servers(docs, pod, services)
                .into_iter()
                .filter(|(_, p)| *p == listener.port)
                .map(|(g, _)| g)
                .collect();
            let hosts = virtual_hosts(
                docs,
                |g| g.iter().any(|g| on_port.contains(g)),
                &mut clusters,
            );
            route_config(format!("http.{}", listener.port), hosts)
        }
    };
    (config, clusters)
}

/// Where a cluster's traffic goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A listener of a modelled pod ("ns/name", port).
    Listener { pod: String, port: u16 },
    /// The app behind a sidecar ("ns/name").
    App { pod: String },
    /// A host the model has no pod for (a Knative service, the JWKS server): a stand-in.
    External { host: String, port: u16 },
}

/// The endpoints of `cluster` seen from `pod`: the pods of the host's Service that carry
/// the subset's labels (an undefined subset, or a host that is neither a modelled Service
/// nor in `externals`, has none: Envoy answers 503).
pub fn endpoints(
    docs: &[Value],
    cluster: &str,
    pod: &Pod,
    pods: &[Pod],
    services: &[Service],
    externals: &BTreeSet<String>,
) -> Vec<Endpoint> {
    if cluster == INBOUND_CLUSTER {
        return vec![Endpoint::App { pod: pod.id() }];
    }
    let Some((port, subset, host)) = parse_cluster_name(cluster) else {
        return Vec::new();
    };
    let Some(service) = services.iter().find(|s| s.host == host) else {
        return if externals.contains(host) {
            vec![Endpoint::External {
                host: host.to_string(),
                port,
            }]
        } else {
            Vec::new()
        };
    };
    let Some((_, target)) = service.ports.iter().find(|(p, _)| *p == port) else {
        return Vec::new();
    };
    let subset_labels = if subset.is_empty() {
        Some(Default::default())
    } else {
        docs.iter()
            .filter(|d| d["kind"] == "DestinationRule" && d["spec"]["host"] == host)
            .flat_map(|d| d["spec"]["subsets"].as_array().into_iter().flatten())
            .find(|s| s["name"] == subset)
            .map(|s| labels_of(&s["labels"]))
    };
    let Some(subset_labels) = subset_labels else {
        return Vec::new();
    };
    pods.iter()
        .filter(|p| selects(&service.selector, &p.labels) && selects(&subset_labels, &p.labels))
        .map(|p| Endpoint::Listener {
            pod: p.id(),
            port: *target,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::istiod::topology::{pods, services};

    #[test]
    fn matches_and_actions_translate() {
        let rule = json!({
            "name": "r",
            "match": [
                {"uri": {"prefix": "/a/"}, "headers": {"x-grey": {"exact": "grey"}}},
                {"uri": {"exact": "/b"}},
                {"uri": {"regex": "^/c$"}, "headers": {"h": {"regex": ".+"}}}
            ],
            "rewrite": {"authority": "svc.ns", "uri": "/"},
            "timeout": "30s",
            "retries": {"attempts": 2, "retryOn": "connect-failure"},
            "route": [
                {"destination": {"host": "a.saas.svc.cluster.local", "subset": "grey"}, "weight": 90},
                {"destination": {"host": "b", "port": {"number": 8080}}, "weight": 10}
            ]
        });
        let mut clusters = BTreeSet::new();
        let routes = http_rule(&rule, &mut clusters);
        assert_eq!(routes.len(), 3);
        assert_eq!(
            routes[0]["match"],
            json!({"prefix": "/a/", "headers": [{"name": "x-grey", "string_match": {"exact": "grey"}}]})
        );
        assert_eq!(routes[1]["match"], json!({"path": "/b"}));
        assert_eq!(routes[2]["match"]["safe_regex"]["regex"], "^/c$");
        assert_eq!(
            routes[2]["match"]["headers"][0]["string_match"],
            json!({"safe_regex": {"regex": ".+"}})
        );
        let action = &routes[0]["route"];
        assert_eq!(action["host_rewrite_literal"], "svc.ns");
        assert_eq!(action["prefix_rewrite"], "/");
        assert_eq!(action["timeout"], "30s");
        assert_eq!(action["retry_policy"]["num_retries"], 2);
        assert_eq!(
            action["weighted_clusters"]["clusters"],
            json!([
                {"name": "outbound|80|grey|a.saas.svc.cluster.local", "weight": 90},
                {"name": "outbound|8080||b", "weight": 10}
            ])
        );
        assert_eq!(clusters.len(), 2);
    }

    #[test]
    fn subsets_select_pods_by_label_and_gateways_reach_listener_8081() {
        let dr = json!({"kind": "DestinationRule", "spec": {"host": "showroom-api.saas.svc.cluster.local",
            "subsets": [{"name": "grey", "labels": {"type": "grey"}}]}});
        let pods = pods();
        let none = BTreeSet::new();
        let e = |c: &str| {
            endpoints(
                std::slice::from_ref(&dr),
                c,
                &pods[0],
                &pods,
                &services(),
                &none,
            )
        };
        assert_eq!(
            e("outbound|80|grey|showroom-api.saas.svc.cluster.local"),
            [Endpoint::Listener {
                pod: "saas/showroom-api-grey".into(),
                port: 8080
            }]
        );
        assert_eq!(
            e("outbound|80||showroom-api.saas.svc.cluster.local").len(),
            2
        );
        assert!(e("outbound|80|gery|showroom-api.saas.svc.cluster.local").is_empty());
        assert_eq!(
            e("outbound|80||knative-local-gateway.istio-system.svc.cluster.local"),
            [Endpoint::Listener {
                pod: "istio-system/istio-ingressgateway".into(),
                port: 8081
            }]
        );
        // Knative < 0.19's name is no Service of this install: no endpoint, a 503.
        assert!(e("outbound|80||cluster-local-gateway.istio-system.svc.cluster.local").is_empty());
    }

    #[test]
    fn gateway_listeners_from_gateways_with_port_translation() {
        let docs = crate::render::documents(crate::istiod::topology::KNATIVE_GATEWAYS).unwrap();
        let pods = pods();
        let ls = listeners(&docs, &pods[0], &services());
        assert_eq!(
            ls,
            [
                Listener {
                    port: 8080,
                    role: Role::Entry
                },
                Listener {
                    port: 8081,
                    role: Role::KnativeLocal
                }
            ]
        );
        assert!(listeners(&docs, &pods[1], &services()).is_empty());
    }

    #[test]
    fn bare_gateway_names_resolve_in_the_virtual_service_namespace() {
        let vs = json!({"metadata": {"namespace": "saas"}, "spec": {"gateways": ["web", "a/b", "mesh"]}});
        assert_eq!(bound_gateways(&vs), ["saas/web", "a/b", "mesh"]);
        assert_eq!(bound_gateways(&json!({"spec": {}})), ["mesh"]);
    }
}
