//! What `release check` reports about the modelled mesh, each problem naming the object:
//! - an overlay that renders no faas-router plugin, or a kfaas gateway entry without one;
//! - a WasmPlugin that selects no modelled proxy, or attaches to no listener of those it selects;
//! - two plugins of one kind (one image) on one listener;
//! - an entry listener (client traffic) without exactly one jwt-auth and one gateway-mode
//!   grey-chain — an unprotected listener — naming each plugin of that kind and why it is not
//!   there;
//! - jwt-auth or gateway-mode grey-chain on knative-local-gateway (8081 on the ingress pods):
//!   every routed FaaS call, its token already removed by the kfaas gateway, would be
//!   checked again (401) and its lane stripped;
//! - a sidecar listener without grey-chain in sidecar mode for its direction;
//! - a jwt-auth `jwksCluster` that its gateway does not get (no route there uses it);
//! - a VirtualService destination that is no Service of the modelled install (e.g.
//!   cluster-local-gateway, gone since Knative 0.19);
//! - an HTTPRoute backend in another namespace that no ReferenceGrant allows.

use super::topology::{Listener, Pod, ProxyKind, Role};
use super::{attach, jwks_clusters, Mesh};
use crate::problem::Problem;
use crate::render::resource_name;
use serde_json::Value;
use std::collections::BTreeSet;

/// The pod whose entry listener must run faas-router.
const KFAAS_GATEWAY_POD: &str = "kfaas-gateway";

fn listener_name(pod: &Pod, listener: &Listener) -> String {
    format!("Listener {}:{}", pod.id(), listener.port)
}

fn problem(resource: String, field: &str, message: String) -> Problem {
    Problem {
        resource,
        field: field.to_string(),
        message,
    }
}

/// Every problem of the modelled mesh built from `rendered` (empty = fine).
pub fn check(rendered: &[Value]) -> anyhow::Result<Vec<Problem>> {
    let mesh = Mesh::build(rendered)?;
    let mut problems = Vec::new();
    if !attach::wasm_plugins(&mesh.docs).any(|p| is_image(p, "faas-router")) {
        problems.push(problem(
            "overlay".into(),
            "WasmPlugin",
            "renders no faas-router WasmPlugin: /faas/api has no route table".into(),
        ));
    }
    plugins_attach_somewhere(&mesh, &mut problems);
    for proxy in &mesh.proxies {
        for pl in &proxy.listeners {
            let at = listener_name(&proxy.pod, &pl.listener);
            one_of_a_kind(&at, &pl.plugins, &mut problems);
            let has = |image: &str, mode: Option<&str>| {
                pl.plugins
                    .iter()
                    .any(|a| a.image == image && mode.is_none_or(|m| a.grey_mode() == m))
            };
            let mut require = |image: &str, mode: Option<&str>, what: &str| {
                if !has(image, mode) {
                    let why = attach::why_not(&mesh.docs, &proxy.pod, &pl.listener, image, mode);
                    let why = if why.is_empty() {
                        format!("no {image} WasmPlugin selects this pod")
                    } else {
                        why.join("; ")
                    };
                    problems.push(problem(at.clone(), image, format!("{what}: {why}")));
                }
            };
            match pl.listener.role {
                Role::Entry => {
                    require("jwt-auth", None, "entry listener left unprotected, no jwt-auth");
                    require(
                        "grey-chain",
                        Some("gateway"),
                        "entry listener without a lane decision (grey-chain gateway mode), a client's x-grey passes",
                    );
                    if proxy.pod.name == KFAAS_GATEWAY_POD {
                        require("faas-router", None, "kfaas gateway entry without faas-router");
                    }
                }
                Role::Inbound => require(
                    "grey-chain",
                    Some("sidecar"),
                    "sidecar inbound listener without grey-chain sidecar mode, the lane is not recorded",
                ),
                Role::Outbound => require(
                    "grey-chain",
                    Some("sidecar"),
                    "sidecar outbound listener without grey-chain sidecar mode, the lane is lost",
                ),
                Role::KnativeLocal => {
                    for a in &pl.plugins {
                        let again = match (a.image.as_str(), a.grey_mode()) {
                            ("jwt-auth", _) => "checked again, its token already removed by the kfaas gateway (401)",
                            ("grey-chain", "gateway") => "laned again, its lane stripped",
                            _ => continue,
                        };
                        problems.push(problem(
                            a.resource(),
                            "spec.match",
                            format!(
                                "runs on knative-local-gateway ({at}): every routed FaaS call would be {again}; scope it with match ports"
                            ),
                        ));
                    }
                }
            }
            for a in &pl.plugins {
                let direction = a.config["sidecar"]["direction"].as_str();
                let wrong = match (pl.listener.role, a.image.as_str(), a.grey_mode()) {
                    (Role::Inbound | Role::Outbound, "grey-chain", "gateway") => {
                        Some("gateway mode on a sidecar strips the lane on every hop")
                    }
                    (Role::Inbound, "grey-chain", "sidecar") if direction == Some("outbound") => {
                        Some("sidecar.direction outbound on an inbound listener")
                    }
                    (Role::Outbound, "grey-chain", "sidecar") if direction == Some("inbound") => {
                        Some("sidecar.direction inbound on an outbound listener")
                    }
                    _ => None,
                };
                if let Some(wrong) = wrong {
                    problems.push(problem(
                        a.resource(),
                        "spec.match",
                        format!("{wrong} ({at})"),
                    ));
                }
            }
        }
    }
    jwks_reachable(&mesh, &mut problems);
    destinations_exist(&mesh, rendered, &mut problems);
    problems.extend(super::gateway_api::refused_backends(rendered));
    Ok(problems)
}

fn is_image(doc: &Value, image: &str) -> bool {
    crate::image_name_of_url(doc["spec"]["url"].as_str().unwrap_or_default()) == Some(image)
}

fn plugins_attach_somewhere(mesh: &Mesh, problems: &mut Vec<Problem>) {
    for plugin in attach::wasm_plugins(&mesh.docs) {
        let selected: Vec<&Pod> = mesh
            .pods
            .iter()
            .filter(|pod| attach::pod_mismatch(plugin, pod).is_none())
            .collect();
        if selected.is_empty() {
            let pods: Vec<String> = mesh.pods.iter().map(Pod::id).collect();
            problems.push(problem(
                resource_name(plugin),
                "spec.selector",
                format!("selects no modelled proxy (pods: {})", pods.join(", ")),
            ));
            continue;
        }
        let attached = mesh.proxies.iter().any(|p| {
            p.listeners.iter().any(|l| {
                l.plugins.iter().any(|a| {
                    a.namespace
                        == plugin["metadata"]["namespace"]
                            .as_str()
                            .unwrap_or("default")
                        && a.name == plugin["metadata"]["name"].as_str().unwrap_or_default()
                })
            })
        });
        if !attached {
            problems.push(problem(
                resource_name(plugin),
                "spec.match",
                "selects a proxy but attaches to none of its listeners".into(),
            ));
        }
    }
}

fn one_of_a_kind(at: &str, plugins: &[attach::Attached], problems: &mut Vec<Problem>) {
    for (i, a) in plugins.iter().enumerate() {
        if let Some(first) = plugins[..i].iter().find(|b| b.image == a.image) {
            problems.push(problem(
                a.resource(),
                "spec.selector",
                format!(
                    "a second {} on {at}, with {}: the request passes the filter twice",
                    a.image,
                    first.resource()
                ),
            ));
        }
    }
}

fn jwks_reachable(mesh: &Mesh, problems: &mut Vec<Problem>) {
    for (d, i, cluster) in jwks_clusters(&mesh.docs) {
        let Some(doc) = mesh.docs.get(d) else {
            continue;
        };
        let name = resource_name(doc);
        for proxy in &mesh.proxies {
            let runs_here = proxy
                .listeners
                .iter()
                .any(|l| l.plugins.iter().any(|a| a.resource() == name));
            if runs_here
                && proxy.pod.kind == ProxyKind::Gateway
                && !proxy.clusters.iter().any(|c| c.name == cluster)
            {
                problems.push(problem(
                    name.clone(),
                    &format!("spec.pluginConfig.jwtRules[{i}].jwksCluster"),
                    format!(
                        "{cluster} does not exist on {}: no VirtualService bound to its Gateways routes there (istiod with PILOT_FILTER_GATEWAY_CLUSTER_CONFIG pushes only those), so keys cannot be fetched",
                        proxy.pod.id()
                    ),
                ));
            }
        }
    }
}

fn destinations_exist(mesh: &Mesh, rendered: &[Value], problems: &mut Vec<Problem>) {
    let known: BTreeSet<&str> = mesh
        .services
        .iter()
        .map(|s| s.host.as_str())
        .chain(mesh.externals.iter().map(String::as_str))
        .collect();
    for vs in rendered.iter().filter(|d| d["kind"] == "VirtualService") {
        for (i, rule) in vs["spec"]["http"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            for (j, route) in rule["route"].as_array().into_iter().flatten().enumerate() {
                let host = route["destination"]["host"].as_str().unwrap_or_default();
                if !known.contains(host) {
                    problems.push(problem(
                        resource_name(vs),
                        &format!("spec.http[{i}].route[{j}].destination.host"),
                        format!(
                            "{host} is no Service of the modelled install (Knative ≥ 0.19 serves {}), every request there gets a 503",
                            super::topology::KNATIVE_LOCAL_GATEWAY
                        ),
                    ));
                }
            }
        }
    }
}
