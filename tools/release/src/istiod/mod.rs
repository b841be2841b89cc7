//! A small model of istiod: from rendered manifests to the Envoy configuration each modelled
//! proxy would get. It is a model, not istiod — each part names the istiod behaviour it
//! follows and what it leaves out — kept to what our manifests and tests use:
//! - `topology`: the modelled pods (shared ingress with knative-local-gateway on 8081, the
//!   kfaas gateway — with the pod labels of the shipped Deployment when the overlay has it —,
//!   two grey-capable services with a normal and a grey pod each) and Services (an overlay's
//!   own Service replaces the modelled one of the same host);
//! - `attach`: which WasmPlugins run on which listener, in which order;
//! - `routes`: listeners of gateway pods from Gateways, route configs from VirtualServices,
//!   cluster endpoints from Services and DestinationRule subsets;
//! - `check`: what `release check` reports about the result (a listener left unprotected, a
//!   plugin selecting nothing, two plugins of one kind on one listener, …).
//!
//! Gateway API Gateways and HTTPRoutes are taken as the Istio Gateways and VirtualServices
//! istiod converts them into (`gateway_api`).
//! TrafficExtensions with `wasm` are taken as the WasmPlugins they are equivalent to
//! (`traffic_extension::as_wasm_plugin`: Istio ≥ 1.30 converts every WasmPlugin into a
//! TrafficExtension and serves both alike); `Mesh::docs` holds them in the WasmPlugin layout.
//!
//! Input besides the rendered overlay: Knative's own Gateways (`topology::KNATIVE_GATEWAYS`)
//! and, per Knative service the faas-router table names, the VirtualService net-istio would
//! generate on knative-local-gateway (`knative_generated`).

pub mod attach;
pub mod check;
pub mod combined;
pub mod gateway_api;
pub mod routes;
pub mod topology;

use crate::image_name_of_url;
use crate::render::documents;
use crate::traffic_extension::as_wasm_plugin;
use attach::Attached;
use routes::Endpoint;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use topology::{Listener, Pod, Service};

/// One listener of one proxy as istiod would configure it.
#[derive(Debug, Clone)]
pub struct ProxyListener {
    pub listener: Listener,
    /// HTTP filters before the router, in order.
    pub plugins: Vec<Attached>,
    /// Envoy `route_config` (clusters named `outbound|port|subset|host`).
    pub route_config: Value,
}

#[derive(Debug, Clone)]
pub struct Cluster {
    pub name: String,
    pub endpoints: Vec<Endpoint>,
}

#[derive(Debug, Clone)]
pub struct Proxy {
    pub pod: Pod,
    pub listeners: Vec<ProxyListener>,
    /// Only the clusters its routes use (a gateway with PILOT_FILTER_GATEWAY_CLUSTER_CONFIG).
    pub clusters: Vec<Cluster>,
}

impl Proxy {
    pub fn listener(&self, port: u16) -> Option<&ProxyListener> {
        self.listeners.iter().find(|l| l.listener.port == port)
    }
}

pub struct Mesh {
    /// The rendered overlay, Knative's Gateways and the VirtualServices Knative generates.
    pub docs: Vec<Value>,
    pub pods: Vec<Pod>,
    pub services: Vec<Service>,
    /// Hosts served by stand-ins: Knative services of the faas-router table, JWKS hosts.
    pub externals: BTreeSet<String>,
    pub proxies: Vec<Proxy>,
}

impl Mesh {
    /// The modelled install with the rendered overlay `rendered` applied.
    pub fn build(rendered: &[Value]) -> anyhow::Result<Mesh> {
        let plugins = combined::as_stages(rendered.iter().map(as_wasm_plugin).collect());
        let rendered = gateway_api::as_istio(&plugins);
        let rendered = rendered.as_slice();
        let mut docs = rendered.to_vec();
        docs.extend(documents(topology::KNATIVE_GATEWAYS)?);
        let knative = knative_services(rendered);
        docs.extend(knative.iter().map(|(svc, ns)| knative_generated(svc, ns)));
        let mut externals: BTreeSet<String> = knative
            .iter()
            .map(|(svc, ns)| knative_host(svc, ns))
            .collect();
        externals.extend(jwks_clusters(rendered).into_iter().filter_map(|(_, _, c)| {
            routes::parse_cluster_name(&c).map(|(_, _, host)| host.to_string())
        }));
        let pods = topology::pods_with_shipped(rendered);
        let declared = topology::declared_services(rendered);
        let mut services = topology::services();
        services.retain(|s| !declared.iter().any(|d| d.host == s.host));
        services.extend(declared);
        let proxies = pods
            .iter()
            .map(|pod| {
                let mut used = BTreeSet::new();
                let listeners = routes::listeners(&docs, pod, &services)
                    .into_iter()
                    .map(|listener| {
                        let (route_config, clusters) =
                            routes::for_listener(&docs, pod, &listener, &services);
                        used.extend(clusters);
                        ProxyListener {
                            plugins: attach::plugins_for(&docs, pod, &listener),
                            listener,
                            route_config,
                        }
                    })
                    .collect();
                let clusters = used
                    .into_iter()
                    .map(|name| Cluster {
                        endpoints: routes::endpoints(
                            &docs, &name, pod, &pods, &services, &externals,
                        ),
                        name,
                    })
                    .collect();
                Proxy {
                    pod: pod.clone(),
                    listeners,
                    clusters,
                }
            })
            .collect();
        Ok(Mesh {
            docs,
            pods,
            services,
            externals,
            proxies,
        })
    }

    /// Per proxy and listener, the plugins in chain order (`release mesh OVERLAY`).
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for proxy in &self.proxies {
            out.push_str(&format!("{}\n", proxy.pod.id()));
            for l in &proxy.listeners {
                let chain: Vec<String> = l
                    .plugins
                    .iter()
                    .map(|a| format!("{}/{} ({} {})", a.namespace, a.name, a.phase, a.priority))
                    .collect();
                out.push_str(&format!(
                    "  :{} {:?}: {}\n",
                    l.listener.port,
                    l.listener.role,
                    if chain.is_empty() {
                        "-".to_string()
                    } else {
                        chain.join(" -> ")
                    }
                ));
            }
        }
        out
    }

    /// A proxy by pod name.
    pub fn proxy(&self, name: &str) -> Option<&Proxy> {
        self.proxies.iter().find(|p| p.pod.name == name)
    }
}

fn plugins_of<'a>(docs: &'a [Value], image: &'a str) -> impl Iterator<Item = &'a Value> {
    attach::wasm_plugins(docs).filter(move |p| {
        image_name_of_url(p["spec"]["url"].as_str().unwrap_or_default()) == Some(image)
    })
}

/// (service, namespace) of every Knative service the faas-router tables name.
pub fn knative_services(docs: &[Value]) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for plugin in plugins_of(docs, "faas-router") {
        for route in plugin["spec"]["pluginConfig"]["routes"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let Some(ns) = route["namespace"].as_str() else {
                continue;
            };
            let names = route["service"].as_str().into_iter().chain(
                route["split"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s["service"].as_str()),
            );
            out.extend(names.map(|s| (s.to_string(), ns.to_string())));
        }
    }
    out
}

pub fn knative_host(service: &str, namespace: &str) -> String {
    format!("{service}.{namespace}.svc.cluster.local")
}

/// The VirtualService net-istio generates for a Knative service on knative-local-gateway
/// (a model: net-istio routes `<svc>.<ns>[.svc[.cluster.local]]` to the current revisions with
/// Knative's own headers; here to the service host, which a stand-in serves).
pub fn knative_generated(service: &str, namespace: &str) -> Value {
    let host = knative_host(service, namespace);
    json!({
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": format!("{service}-ingress"), "namespace": namespace},
        "spec": {
            "hosts": [host],
            "gateways": [routes::KNATIVE_LOCAL_GATEWAY_NAME],
            "http": [{"route": [{"destination": {"host": host, "port": {"number": 80}}}]}]
        }
    })
}

/// (plugin doc index, jwtRules index, jwksCluster) of every jwt-auth rule that fetches keys
/// (`docs` in the WasmPlugin layout, as `Mesh::docs`).
pub fn jwks_clusters(docs: &[Value]) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    for (d, doc) in docs.iter().enumerate() {
        if !attach::is_wasm_plugin(doc)
            || image_name_of_url(doc["spec"]["url"].as_str().unwrap_or_default())
                != Some("jwt-auth")
        {
            continue;
        }
        for (i, rule) in doc["spec"]["pluginConfig"]["jwtRules"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let (Some(_), Some(c)) = (rule["jwksUri"].as_str(), rule["jwksCluster"].as_str()) {
                out.push((d, i, c.to_string()));
            }
        }
    }
    out
}
