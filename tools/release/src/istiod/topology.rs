//! The modelled install: which pods run an Envoy, with which labels, in which namespace, and
//! the Services in front of them. A model of the seed's topology (Knative ≥ 0.19 on Istio),
//! not a cluster: the shared ingress pods (`istio: ingressgateway`, which also carry Knative's
//! `knative-local-gateway` on listener 8081), the kfaas east-west gateway, and two
//! grey-capable services (showroom-api, render-api) with a normal and a grey pod each, every
//! one with its sidecar.

use serde_json::Value;
use std::collections::BTreeMap;

pub type Labels = BTreeMap<String, String>;

/// Istio's root namespace: a WasmPlugin here applies to matching pods of every namespace.
pub const ROOT_NAMESPACE: &str = "istio-system";
/// The label istiod puts on the pods of a Gateway it deploys.
pub const GATEWAY_NAME_LABEL: &str = "gateway.networking.k8s.io/gateway-name";
/// Knative's local gateway Service (≥ 0.19), what the kfaas gateway sends routed calls to.
pub const KNATIVE_LOCAL_GATEWAY: &str = "knative-local-gateway.istio-system.svc.cluster.local";
/// Knative's own Gateways as net-istio creates them (vendored reference copy).
pub const KNATIVE_GATEWAYS: &str = include_str!("../../knative/net-istio-gateways.yaml");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyKind {
    Gateway,
    Sidecar,
}

/// What a listener is for, which decides the plugins it must (not) run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Client traffic enters here: exactly one jwt-auth and one gateway-mode grey-chain.
    Entry,
    /// knative-local-gateway (8081 on the ingress pods): reached only after an entry point
    /// checked and laned the request; a second check or lane decision breaks it.
    KnativeLocal,
    /// A sidecar's inbound listener (istiod `match.mode` SERVER).
    Inbound,
    /// A sidecar's outbound listener (CLIENT).
    Outbound,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    /// The port Envoy listens on in the pod (after gateway port translation).
    pub port: u16,
    pub role: Role,
}

impl Listener {
    /// `match.mode` as istiod sees it: gateway and outbound traffic is CLIENT.
    pub fn is_server(&self) -> bool {
        self.role == Role::Inbound
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pod {
    pub name: String,
    pub namespace: String,
    pub labels: Labels,
    pub kind: ProxyKind,
    /// Sidecars: fixed (inbound 8080, outbound 80). Gateways: derived from the Gateways
    /// that select the pod (`listeners`).
    pub sidecar_listeners: Vec<Listener>,
}

impl Pod {
    /// "namespace/name"
    pub fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub host: String,
    pub selector: Labels,
    /// (service port, target port)
    pub ports: Vec<(u16, u16)>,
    /// `experimental.istio.io/disable-gateway-port-translation` (knative-local-gateway).
    pub no_port_translation: bool,
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Label of the pods that take part in grey releases (the sidecar plugins select it).
pub const SIDECAR_OPT_IN: (&str, &str) = ("grey-chain.kfaas.io/sidecar", "enabled");
/// The grey-capable services of the model (namespace saas).
pub const SERVICES: [&str; 2] = ["showroom-api", "render-api"];

pub fn pods() -> Vec<Pod> {
    let mut pods = vec![
        Pod {
            name: "istio-ingressgateway".into(),
            namespace: "istio-system".into(),
            labels: labels(&[("istio", "ingressgateway"), ("app", "istio-ingressgateway")]),
            kind: ProxyKind::Gateway,
            sidecar_listeners: Vec::new(),
        },
        Pod {
            name: "kfaas-gateway".into(),
            namespace: "kfaas-system".into(),
            // The classic deployment's label, and the one istiod puts on the pods of the
            // Gateway API Gateway it deploys (components/gateway-api): one pod models either.
            labels: labels(&[
                ("istio", "kfaas-gateway"),
                ("app", "kfaas-gateway"),
                (GATEWAY_NAME_LABEL, "kfaas-gateway"),
            ]),
            kind: ProxyKind::Gateway,
            sidecar_listeners: Vec::new(),
        },
    ];
    for service in SERVICES {
        for lane in ["normal", "grey"] {
            pods.push(Pod {
                name: format!("{service}-{lane}"),
                namespace: "saas".into(),
                labels: labels(&[("app", service), ("type", lane), SIDECAR_OPT_IN]),
                kind: ProxyKind::Sidecar,
                sidecar_listeners: vec![
                    Listener {
                        port: 8080,
                        role: Role::Inbound,
                    },
                    Listener {
                        port: 80,
                        role: Role::Outbound,
                    },
                ],
            });
        }
    }
    pods
}

/// `pods()`, with the kfaas gateway pod labelled as the pod template of the gateway
/// Deployment `kfaas-system/kfaas-gateway` when `docs` ship one (base/kfaas-gateway.yaml), so
/// the model selects what the cluster would.
pub fn pods_with_shipped(docs: &[Value]) -> Vec<Pod> {
    let mut pods = pods();
    let shipped = docs.iter().find(|d| {
        d["kind"] == "Deployment"
            && d["metadata"]["namespace"] == "kfaas-system"
            && d["metadata"]["name"] == "kfaas-gateway"
    });
    if let (Some(d), Some(pod)) = (shipped, pods.iter_mut().find(|p| p.name == "kfaas-gateway")) {
        pod.labels = labels_of(&d["spec"]["template"]["metadata"]["labels"]);
    }
    pods
}

pub fn services() -> Vec<Service> {
    let mut services = vec![
        Service {
            host: "istio-ingressgateway.istio-system.svc.cluster.local".into(),
            selector: labels(&[("istio", "ingressgateway")]),
            ports: vec![(80, 8080), (443, 8443)],
            no_port_translation: false,
        },
        Service {
            host: KNATIVE_LOCAL_GATEWAY.into(),
            selector: labels(&[("istio", "ingressgateway")]),
            ports: vec![(80, 8081), (443, 8444)],
            no_port_translation: true,
        },
        Service {
            host: "kfaas-gateway.kfaas-system.svc.cluster.local".into(),
            selector: labels(&[("istio", "kfaas-gateway")]),
            ports: vec![(80, 8080)],
            no_port_translation: false,
        },
    ];
    for service in SERVICES {
        services.push(Service {
            host: format!("{service}.saas.svc.cluster.local"),
            selector: labels(&[("app", service)]),
            ports: vec![(80, 8080)],
            no_port_translation: false,
        });
    }
    services
}

/// The core `v1` Services an overlay itself ships (e.g. one Service per version in
/// `components/gateway-api-grey`), as modelled Services.
pub fn declared_services(docs: &[Value]) -> Vec<Service> {
    docs.iter()
        .filter(|d| d["apiVersion"] == "v1" && d["kind"] == "Service")
        .map(|d| Service {
            host: format!(
                "{}.{}.svc.cluster.local",
                d["metadata"]["name"].as_str().unwrap_or_default(),
                d["metadata"]["namespace"].as_str().unwrap_or("default")
            ),
            selector: labels_of(&d["spec"]["selector"]),
            ports: d["spec"]["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| {
                    let port = u16::try_from(p["port"].as_u64()?).ok()?;
                    let target = p["targetPort"]
                        .as_u64()
                        .and_then(|t| u16::try_from(t).ok())
                        .unwrap_or(port);
                    Some((port, target))
                })
                .collect(),
            no_port_translation: false,
        })
        .collect()
}

/// `selector` ⊆ `labels` (an empty selector selects everything).
pub fn selects(selector: &Labels, labels: &Labels) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// A `matchLabels`-style object as labels (non-strings ignored).
pub fn labels_of(value: &Value) -> Labels {
    value
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
        .collect()
}

/// Hosts a gateway listener is for: "what the Gateway's Service maps `port` to".
/// Istio translates a Gateway server's port to the target port of the gateway Service that
/// selects the pod (80 → 8080 on istio-ingressgateway), unless that Service disables it
/// (knative-local-gateway's 8081 stays 8081).
pub fn translate_gateway_port(pod: &Pod, services: &[Service], port: u16) -> u16 {
    services
        .iter()
        .filter(|s| !s.no_port_translation && selects(&s.selector, &pod.labels))
        .flat_map(|s| s.ports.iter())
        .find(|(p, _)| *p == port)
        .map_or(port, |(_, target)| *target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ingress_port_80_is_listener_8080_and_8081_stays() {
        let pods = pods();
        let ingress = &pods[0];
        assert_eq!(translate_gateway_port(ingress, &services(), 80), 8080);
        assert_eq!(translate_gateway_port(ingress, &services(), 8081), 8081);
        assert_eq!(translate_gateway_port(&pods[1], &services(), 80), 8080);
    }

    #[test]
    fn two_services_with_a_normal_and_a_grey_pod_each() {
        let sidecars: Vec<String> = pods()
            .into_iter()
            .filter(|p| p.kind == ProxyKind::Sidecar)
            .map(|p| p.name)
            .collect();
        assert_eq!(
            sidecars,
            [
                "showroom-api-normal",
                "showroom-api-grey",
                "render-api-normal",
                "render-api-grey"
            ]
        );
    }
}
