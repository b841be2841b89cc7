//! The modelled install, running: one real Envoy per modelled proxy, configured from
//! `release::istiod::Mesh` (the plugins istiod would attach, in its order, with each
//! `pluginConfig` as rendered; the routes and clusters it would translate), with the built
//! `dist/*.wasm` loaded from disk instead of the OCI url. Behind them: the apps of the
//! sidecar pods (showroom-api calls render-api through its sidecar, forwarding only its
//! trace context), one echo stand-in per Knative service, and a JWKS server.

use anyhow::{anyhow, Context, Result};
use e2e::bench::scenarios::jwt_auth::{claims, Key};
use e2e::{http, Envoy, EnvoyConfig, Upstream, UpstreamResponse, WasmFilter};
use release::istiod::attach::{is_wasm_plugin, Attached};
use release::istiod::routes::Endpoint;
use release::istiod::topology::{ProxyKind, Role};
use release::istiod::{Mesh, Proxy};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub const JWKS_HOST: &str = "jwks.auth.svc.cluster.local";

pub struct Running {
    envoys: BTreeMap<String, Envoy>,
    /// (pod name, modelled listener port) → the port its Envoy listens on here.
    ports: BTreeMap<(String, u16), u16>,
    /// Knative service host → its stand-in.
    pub knative: BTreeMap<String, Upstream>,
    _others: Vec<Upstream>,
    key: Key,
    issuer: String,
}

impl Running {
    /// Every modelled proxy with a listener.
    pub fn start(rendered: &[Value]) -> Result<Running> {
        Running::start_only(rendered, None)
    }

    /// Only the proxies named in `only` (None: all), for tests that need one gateway.
    /// Listener ports are picked before any Envoy starts (the Envoys point at each other), so
    /// one taken in the meantime fails that Envoy's start: the whole topology is then
    /// started again on new ports.
    pub fn start_only(rendered: &[Value], only: Option<&[&str]>) -> Result<Running> {
        let mut attempt = 0;
        loop {
            match Running::try_start(rendered, only) {
                Err(e) if attempt < 2 && format!("{e:#}").contains("could not bind") => {
                    attempt += 1
                }
                other => return other,
            }
        }
    }

    fn try_start(rendered: &[Value], only: Option<&[&str]>) -> Result<Running> {
        let mesh = Mesh::build(rendered)?;
        let key = Key::generate("HS256", "kid-manifests")?;
        let issuer = mesh
            .docs
            .iter()
            .find(|d| is_wasm_plugin(d) && d["spec"]["pluginConfig"]["jwtRules"].is_array())
            .and_then(|d| d["spec"]["pluginConfig"]["jwtRules"][0]["issuer"].as_str())
            .unwrap_or_default()
            .to_string();
        let wanted = |p: &Proxy| only.is_none_or(|names| names.contains(&p.pod.name.as_str()));
        let keys: Vec<(String, u16)> = mesh
            .proxies
            .iter()
            .filter(|p| wanted(p))
            .flat_map(|p| {
                p.listeners
                    .iter()
                    .map(|l| (p.pod.name.clone(), l.listener.port))
            })
            .collect();
        let picked = e2e::free_ports(keys.len())?;
        let ports: BTreeMap<_, _> = keys.into_iter().zip(picked).collect();
        let jwks = json!({"keys": [key.jwk()?]});
        let mut others = vec![Upstream::custom("jwks", move |_| {
            UpstreamResponse::json(200, &jwks)
        })?];
        let mut knative = BTreeMap::new();
        for host in mesh.externals.iter().filter(|h| *h != JWKS_HOST) {
            knative.insert(host.clone(), Upstream::echo(host)?);
        }
        let mut apps = BTreeMap::new();
        for proxy in mesh
            .proxies
            .iter()
            .filter(|p| wanted(p) && p.pod.kind == ProxyKind::Sidecar)
        {
            let outbound = ports.get(&(proxy.pod.name.clone(), 80)).copied();
            let app = app(&proxy.pod.name, outbound)?;
            apps.insert(proxy.pod.id(), app.port());
            others.push(app);
        }
        let jwks_port = others[0].port();
        let mut configs = Vec::new();
        for proxy in mesh
            .proxies
            .iter()
            .filter(|p| wanted(p) && !p.listeners.is_empty())
        {
            let endpoint_port = |e: &Endpoint| -> Option<u16> {
                match e {
                    Endpoint::Listener { pod, port } => {
                        let name = pod.rsplit('/').next()?;
                        ports.get(&(name.to_string(), *port)).copied()
                    }
                    Endpoint::App { pod } => apps.get(pod).copied(),
                    Endpoint::External { host, .. } if host == JWKS_HOST => Some(jwks_port),
                    Endpoint::External { host, .. } => knative.get(host).map(Upstream::port),
                }
            };
            configs.push((
                proxy.pod.name.clone(),
                envoy_config(proxy, &ports, &endpoint_port)?,
            ));
        }
        let envoys = std::thread::scope(|s| {
            let started: Vec<_> = configs
                .into_iter()
                .map(|(name, cfg)| (name, s.spawn(move || Envoy::start(cfg))))
                .collect();
            started
                .into_iter()
                .map(|(name, h)| {
                    let envoy = h.join().map_err(|_| anyhow!("{name}: start panicked"))??;
                    Ok((name, envoy))
                })
                .collect::<Result<BTreeMap<_, _>>>()
        })?;
        Ok(Running {
            envoys,
            ports,
            knative,
            _others: others,
            key,
            issuer,
        })
    }

    /// `http://127.0.0.1:<port of pod's modelled listener>/<path>`
    pub fn url(&self, pod: &str, port: u16, path: &str) -> String {
        let real = self
            .ports
            .get(&(pod.to_string(), port))
            .unwrap_or_else(|| panic!("no listener {pod}:{port}; have {:?}", self.ports.keys()));
        format!("http://127.0.0.1:{real}{path}")
    }

    pub fn envoy(&self, pod: &str) -> &Envoy {
        self.envoys
            .get(pod)
            .unwrap_or_else(|| panic!("no Envoy for {pod}"))
    }

    /// The sum of the proxy's counters whose names start with any of `prefixes`
    /// (`wasmcustom.` is added).
    pub fn count(&self, pod: &str, prefixes: &[&str]) -> u64 {
        let stats = self.envoy(pod).stats().unwrap_or_default();
        stats
            .iter()
            .filter(|(k, _)| {
                prefixes
                    .iter()
                    .any(|p| k.starts_with(&format!("wasmcustom.{p}")))
            })
            .map(|(_, v)| v)
            .sum()
    }

    /// Requests jwt-auth decided on `pod`: allowed, refused, or (audit) would have refused.
    pub fn jwt_checks(&self, pod: &str) -> u64 {
        self.count(
            pod,
            &["jwt_auth.allowed", "jwt_auth.denied.", "jwt_auth.audit."],
        )
    }

    /// Lane decisions grey-chain made in gateway mode on `pod`.
    pub fn lane_decisions(&self, pod: &str) -> u64 {
        self.count(
            pod,
            &[
                "grey_chain.gateway.tagged.",
                "grey_chain.gateway.baseline",
                "grey_chain.gateway.trusted",
            ],
        )
    }

    /// A valid token of the overlay's issuer for `sub`.
    pub fn token(&self, sub: &str) -> String {
        let mut c = claims(sub);
        c["iss"] = self.issuer.clone().into();
        self.key.token(&c).expect("token")
    }

    /// A token of the overlay's issuer signed by a key the JWKS does not hold.
    pub fn forged_token(&self, sub: &str) -> String {
        let other = Key::generate("HS256", "kid-manifests").expect("key");
        let mut c = claims(sub);
        c["iss"] = self.issuer.clone().into();
        other.token(&c).expect("token")
    }
}

/// A sidecar pod's app: answers who it is and which lane header it saw; showroom-api first
/// calls render-api through its own sidecar's outbound listener, forwarding only the trace
/// context (as an app using a tracing library would), never `x-grey`.
fn app(pod: &str, outbound: Option<u16>) -> Result<Upstream> {
    let me = pod.to_string();
    Upstream::custom(pod, move |req| {
        let mut body = json!({"pod": me, "lane": req.header("x-grey").unwrap_or("")});
        if me.starts_with("showroom-api") {
            let next = outbound
                .ok_or_else(|| anyhow!("no outbound listener"))
                .and_then(|port| {
                    let mut headers = vec![("host", "render-api.saas.svc.cluster.local")];
                    if let Some(tp) = req.header("traceparent") {
                        headers.push(("traceparent", tp));
                    }
                    let r = http::get(&format!("http://127.0.0.1:{port}/render"), &headers)?;
                    r.json()
                        .with_context(|| format!("{}: {}", r.status, r.body))
                });
            body["next"] = next.unwrap_or_else(|e| json!({"error": format!("{e:#}")}));
        }
        UpstreamResponse::json(200, &body)
    })
}

/// Envoy's `failure_policy` for a WasmPlugin `failStrategy`.
fn failure_policy(strategy: &str) -> &'static str {
    match strategy {
        "FAIL_OPEN" => "FAIL_OPEN",
        "FAIL_RELOAD" => "FAIL_RELOAD",
        _ => "FAIL_CLOSED",
    }
}

/// The HTTP filter istiod renders for an attached plugin, the module from dist/.
fn filter_json(a: &Attached) -> Result<Value> {
    let module = release::module_for_image(&a.image)
        .ok_or_else(|| anyhow!("{}: image {:?} is none of ours", a.resource(), a.image))?;
    let mut f = WasmFilter::new(&a.name, &a.namespace, e2e::dist(module)).root_id(&a.root_id);
    if !a.config.is_null() {
        f = f.config(&a.config);
    }
    let mut json = f.to_json();
    json["typed_config"]["config"]["failure_policy"] = failure_policy(&a.fail_strategy).into();
    Ok(json)
}

fn envoy_config(
    proxy: &Proxy,
    ports: &BTreeMap<(String, u16), u16>,
    endpoint_port: &dyn Fn(&Endpoint) -> Option<u16>,
) -> Result<EnvoyConfig> {
    let pod = &proxy.pod;
    let mut cfg = EnvoyConfig::empty()
        .node_id(&pod.id())
        .node_metadata(json!({"LABELS": pod.labels, "NAMESPACE": pod.namespace, "NAME": pod.name}));
    for pl in &proxy.listeners {
        let mut filters = pl
            .plugins
            .iter()
            .map(filter_json)
            .collect::<Result<Vec<_>>>()?;
        filters.push(json!({
            "name": "envoy.filters.http.router",
            "typed_config": { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" }
        }));
        let port = ports
            .get(&(pod.name.clone(), pl.listener.port))
            .copied()
            .ok_or_else(|| anyhow!("no port for {}:{}", pod.name, pl.listener.port))?;
        let name = format!("{}_{}", pod.name, pl.listener.port);
        cfg = cfg.listener_json(json!({
            "name": name,
            "address": {"socket_address": {"address": "127.0.0.1", "port_value": port}},
            "traffic_direction": if pl.listener.role == Role::Inbound { "INBOUND" } else { "OUTBOUND" },
            "filter_chains": [{"filters": [{
                "name": "envoy.filters.network.http_connection_manager",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                    "stat_prefix": name,
                    "codec_type": "AUTO",
                    "route_config": pl.route_config,
                    "http_filters": filters,
                }
            }]}]
        }));
    }
    for c in &proxy.clusters {
        let lb: Vec<Value> = c
            .endpoints
            .iter()
            .filter_map(endpoint_port)
            .map(|p| json!({"endpoint": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": p}}}}))
            .collect();
        cfg = cfg.cluster_json(json!({
            "name": c.name,
            "type": "STATIC",
            "connect_timeout": "1s",
            "load_assignment": {"cluster_name": c.name, "endpoints": [{"lb_endpoints": lb}]},
            "typed_extension_protocol_options": {
                "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                    "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                    "common_http_protocol_options": {"max_requests_per_connection": 1},
                    "explicit_http_config": {"http_protocol_options": {}}
                }
            }
        }));
    }
    Ok(cfg)
}
