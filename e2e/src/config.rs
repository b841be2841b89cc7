//! Envoy bootstrap builder. Listener ports are assigned at start time: a listener named `N`
//! gets a free loopback port, and any JSON string `"{{port:N}}"` in the config (a cluster
//! endpoint, a raw listener address, Lua code) is replaced by that port.

use crate::upstream::Upstream;
use anyhow::{bail, Result};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A WasmPlugin as istiod renders it into an HTTP filter.
#[derive(Debug, Clone)]
pub struct WasmFilter {
    name: String,
    namespace: String,
    path: PathBuf,
    root_id: Option<String>,
    config: Option<String>,
    failure_policy: &'static str,
    /// `vm_config.environment_variables.key_values` (Istio `vmConfig.env`).
    env: Vec<(String, String)>,
}

impl WasmFilter {
    /// `name`/`namespace` of the WasmPlugin resource, `path` of the module.
    /// Defaults: root_id = name, no configuration, FAIL_CLOSED (istiod's default).
    pub fn new(name: &str, namespace: &str, path: impl AsRef<Path>) -> Self {
        WasmFilter {
            name: name.to_owned(),
            namespace: namespace.to_owned(),
            path: path.as_ref().to_path_buf(),
            root_id: None,
            config: None,
            failure_policy: "FAIL_CLOSED",
            env: Vec::new(),
        }
    }

    /// A plugin of the kfaas gateway as the manifests deploy it: `dist/<module>.wasm`
    /// in `kfaas-system`, `pluginConfig` = `config`.
    pub fn kfaas_gateway_plugin(name: &str, module: &str, config: &Value) -> Self {
        WasmFilter::new(name, "kfaas-system", crate::dist(module)).config(config)
    }

    /// The kfaas gateway as three plugins, in the manifests' order, each with
    /// its own filter's configuration.
    pub fn kfaas_gateway_plugins(
        jwt_auth: &Value,
        grey_chain: &Value,
        faas_router: &Value,
    ) -> [Self; 3] {
        [
            Self::kfaas_gateway_plugin("jwt-auth", "jwt_auth", jwt_auth),
            Self::kfaas_gateway_plugin("grey-chain", "grey_chain", grey_chain),
            Self::kfaas_gateway_plugin("faas-router", "faas_router", faas_router),
        ]
    }

    /// The kfaas gateway as the combined module: one section per filter, each
    /// in that filter's own format.
    pub fn kfaas_gateway_combined(
        jwt_auth: &Value,
        grey_chain: &Value,
        faas_router: &Value,
    ) -> Self {
        let config =
            json!({"jwtAuth": jwt_auth, "greyChain": grey_chain, "faasRouter": faas_router});
        Self::kfaas_gateway_plugin("kfaas-gateway", "kfaas_gateway", &config)
    }

    /// The pluginConfig text the filter receives, if any.
    pub fn config_text(&self) -> Option<&str> {
        self.config.as_deref()
    }

    /// An environment variable of the VM (Istio `vmConfig.env`).
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// The WasmPlugin's `pluginName`.
    pub fn root_id(mut self, id: &str) -> Self {
        self.root_id = Some(id.to_owned());
        self
    }

    /// The WasmPlugin's `pluginConfig`, as the JSON text the filter receives.
    pub fn config_json(mut self, json: impl Into<String>) -> Self {
        self.config = Some(json.into());
        self
    }

    pub fn config(self, value: &Value) -> Self {
        self.config_json(value.to_string())
    }

    pub fn fail_closed(mut self) -> Self {
        self.failure_policy = "FAIL_CLOSED";
        self
    }

    pub fn fail_open(mut self) -> Self {
        self.failure_policy = "FAIL_OPEN";
        self
    }

    /// `extensions.istio.io/wasmplugin/<ns>.<name>`
    pub fn filter_name(&self) -> String {
        format!(
            "extensions.istio.io/wasmplugin/{}.{}",
            self.namespace, self.name
        )
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The HTTP filter entry. Like istiod: no vm_id, configuration as a StringValue holding
    /// JSON (absent when the plugin has no config), V8 runtime, local file code.
    pub fn to_json(&self) -> Value {
        let mut config = json!({
            "name": format!("{}.{}", self.namespace, self.name),
            "root_id": self.root_id.as_deref().unwrap_or(&self.name),
            "vm_config": {
                "runtime": "envoy.wasm.runtime.v8",
                "code": { "local": { "filename": self.path.to_string_lossy() } },
            },
            "failure_policy": self.failure_policy,
        });
        if !self.env.is_empty() {
            let vars: Map<String, Value> = self
                .env
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            config["vm_config"]["environment_variables"] = json!({ "key_values": vars });
        }
        if let (Some(c), Some(obj)) = (&self.config, config.as_object_mut()) {
            obj.insert(
                "configuration".into(),
                json!({ "@type": "type.googleapis.com/google.protobuf.StringValue", "value": c }),
            );
        }
        json!({
            "name": self.filter_name(),
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
                "config": config,
            }
        })
    }
}

/// A listener's `traffic_direction` (proxy-wasm's `listener_direction` property).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Inbound,
    Outbound,
}

/// One HTTP listener: filters in order (the router is appended), a route config.
#[derive(Debug, Clone)]
pub struct Listener {
    name: String,
    direction: Option<Direction>,
    http_filters: Vec<Value>,
    route_config: Option<Value>,
}

impl Listener {
    pub fn new(name: &str) -> Self {
        Listener {
            name: name.to_owned(),
            direction: None,
            http_filters: Vec::new(),
            route_config: None,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn direction(mut self, d: Direction) -> Self {
        self.direction = Some(d);
        self
    }

    pub fn filter(mut self, f: WasmFilter) -> Self {
        self.http_filters.push(f.to_json());
        self
    }

    /// Any HTTP filter entry (`{"name": .., "typed_config": ..}`): jwt_authn, lua, …
    pub fn native_filter(mut self, filter: Value) -> Self {
        self.http_filters.push(filter);
        self
    }

    /// A full `route_config` (see `Routes`).
    pub fn routes(mut self, route_config: impl Into<Value>) -> Self {
        self.route_config = Some(route_config.into());
        self
    }

    /// Every request to one cluster.
    pub fn route_to_cluster(self, cluster: &str) -> Self {
        self.routes(Routes::new().to_cluster("/", cluster))
    }

    /// Every request answered by Envoy itself (no upstream).
    pub fn direct_response(self, status: u16, body: &str) -> Self {
        self.routes(Routes::new().direct("/", status, body))
    }

    fn to_json(&self) -> Value {
        let mut filters = self.http_filters.clone();
        filters.push(json!({
            "name": "envoy.filters.http.router",
            "typed_config": { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" }
        }));
        // No routes means Envoy answers 404 (route not found): nothing hidden.
        let route_config = self
            .route_config
            .clone()
            .unwrap_or_else(|| Routes::new().into());
        let mut listener = json!({
            "name": self.name,
            "address": { "socket_address": { "address": "127.0.0.1", "port_value": port_ref(&self.name) } },
            "filter_chains": [{ "filters": [{
                "name": "envoy.filters.network.http_connection_manager",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                    "stat_prefix": self.name,
                    "codec_type": "AUTO",
                    "route_config": route_config,
                    "http_filters": filters,
                }
            }]}],
        });
        if let (Some(d), Some(obj)) = (self.direction, listener.as_object_mut()) {
            let d = match d {
                Direction::Inbound => "INBOUND",
                Direction::Outbound => "OUTBOUND",
            };
            obj.insert("traffic_direction".into(), d.into());
        }
        listener
    }
}

/// A `route_config` with one virtual host matching every authority; routes in order.
#[derive(Debug, Clone, Default)]
pub struct Routes {
    routes: Vec<Value>,
}

impl Routes {
    pub fn new() -> Self {
        Routes::default()
    }

    /// Path prefix → cluster.
    pub fn to_cluster(self, prefix: &str, cluster: &str) -> Self {
        self.route(json!({ "match": { "prefix": prefix }, "route": { "cluster": cluster } }))
    }

    /// Requests whose `header` equals `value` → cluster.
    pub fn header_to_cluster(self, header: &str, value: &str, cluster: &str) -> Self {
        self.route(json!({
            "match": { "prefix": "/", "headers": [{ "name": header, "string_match": { "exact": value } }] },
            "route": { "cluster": cluster }
        }))
    }

    /// Path prefix → a response from Envoy itself.
    pub fn direct(self, prefix: &str, status: u16, body: &str) -> Self {
        self.route(json!({
            "match": { "prefix": prefix },
            "direct_response": { "status": status, "body": { "inline_string": body } }
        }))
    }

    /// Any route entry.
    pub fn route(mut self, route: Value) -> Self {
        self.routes.push(route);
        self
    }
}

impl From<Routes> for Value {
    fn from(r: Routes) -> Value {
        json!({
            "name": "local",
            "virtual_hosts": [{ "name": "all", "domains": ["*"], "routes": r.routes }]
        })
    }
}

type Patch = Box<dyn Fn(&mut Value) + Send + Sync>;

/// A whole Envoy: listeners (the first, `main`, is what `.filter()`/`.route_to()` configure),
/// clusters, node identity, process options.
pub struct EnvoyConfig {
    pub(crate) listeners: Vec<Listener>,
    raw_listeners: Vec<Value>,
    clusters: Vec<Value>,
    node_id: String,
    node_metadata: Map<String, Value>,
    pub(crate) concurrency: u32,
    pub(crate) log_level: String,
    pub(crate) component_log_level: Option<String>,
    pub(crate) args: Vec<String>,
    patches: Vec<Patch>,
    /// Another Envoy than `envoy_bin()` (e.g. `envoy_136_bin()`).
    pub(crate) binary: Option<std::path::PathBuf>,
}

impl Default for EnvoyConfig {
    fn default() -> Self {
        EnvoyConfig::new()
    }
}

impl EnvoyConfig {
    pub fn new() -> Self {
        EnvoyConfig {
            listeners: vec![Listener::new("main")],
            raw_listeners: Vec::new(),
            clusters: Vec::new(),
            node_id: "e2e".into(),
            node_metadata: Map::new(),
            concurrency: 1,
            log_level: std::env::var("E2E_ENVOY_LOG_LEVEL").unwrap_or_else(|_| "info".into()),
            component_log_level: None,
            binary: None,
            args: Vec::new(),
            patches: Vec::new(),
        }
    }

    /// A config without the default `main` listener (for topologies built from `.listener()`).
    pub fn empty() -> Self {
        EnvoyConfig {
            listeners: Vec::new(),
            ..EnvoyConfig::new()
        }
    }

    fn main(mut self, f: impl FnOnce(Listener) -> Listener) -> Self {
        let main = if self.listeners.first().map(Listener::name) == Some("main") {
            self.listeners.remove(0)
        } else {
            Listener::new("main")
        };
        self.listeners.insert(0, f(main));
        self
    }

    /// Appends a WasmPlugin filter to the `main` listener.
    pub fn filter(self, f: WasmFilter) -> Self {
        self.main(|l| l.filter(f))
    }

    /// Appends a native HTTP filter entry to the `main` listener.
    pub fn native_filter(self, filter: Value) -> Self {
        self.main(|l| l.native_filter(filter))
    }

    /// Declares a cluster for `upstream` (named after it) and routes `main` to it.
    pub fn route_to(self, upstream: &Upstream) -> Self {
        let name = upstream.name().to_owned();
        self.upstream(upstream).main(|l| l.route_to_cluster(&name))
    }

    /// `main`'s full route config.
    pub fn routes(self, route_config: impl Into<Value>) -> Self {
        self.main(|l| l.routes(route_config))
    }

    /// `main` answers every request itself.
    pub fn direct_response(self, status: u16, body: &str) -> Self {
        self.main(|l| l.direct_response(status, body))
    }

    /// `main`'s traffic direction.
    pub fn direction(self, d: Direction) -> Self {
        self.main(|l| l.direction(d))
    }

    /// Declares a cluster named after the upstream.
    pub fn upstream(self, upstream: &Upstream) -> Self {
        self.cluster(upstream.name(), upstream.port())
    }

    /// A loopback cluster. One request per upstream connection, so a stopped upstream is
    /// noticed at once (tiny_http keeps serving accepted connections into the void).
    pub fn cluster(self, name: &str, port: u16) -> Self {
        self.cluster_json(loopback_cluster(name, Value::from(port)))
    }

    /// A loopback cluster whose endpoint is one of this Envoy's own listeners.
    pub fn cluster_to_listener(self, name: &str, listener: &str) -> Self {
        self.cluster_json(loopback_cluster(name, port_ref(listener)))
    }

    /// Any cluster entry.
    pub fn cluster_json(mut self, cluster: Value) -> Self {
        self.clusters.push(cluster);
        self
    }

    /// Another listener.
    pub fn listener(mut self, l: Listener) -> Self {
        self.listeners.push(l);
        self
    }

    /// Any listener entry. It must have a `name`; its port is assigned like the others
    /// (an `address` is added when absent, or use `"port_value": "{{port:<name>}}"`).
    pub fn listener_json(mut self, listener: Value) -> Self {
        self.raw_listeners.push(listener);
        self
    }

    /// Merged into `node.metadata` (e.g. `{"LABELS": {"type": "grey"}}`).
    pub fn node_metadata(mut self, metadata: Value) -> Self {
        if let Value::Object(m) = metadata {
            self.node_metadata.extend(m);
        }
        self
    }

    pub fn node_id(mut self, id: &str) -> Self {
        self.node_id = id.to_owned();
        self
    }

    /// Worker threads (`--concurrency`), 1 by default.
    /// Runs this Envoy binary instead of `envoy_bin()`.
    pub fn binary(mut self, path: impl AsRef<Path>) -> Self {
        self.binary = Some(path.as_ref().to_path_buf());
        self
    }

    pub fn concurrency(mut self, n: u32) -> Self {
        self.concurrency = n;
        self
    }

    /// `--log-level` (default `info`, or `$E2E_ENVOY_LOG_LEVEL`).
    pub fn log_level(mut self, level: &str) -> Self {
        self.log_level = level.to_owned();
        self
    }

    /// `--component-log-level`, e.g. `wasm:debug`.
    pub fn component_log_level(mut self, spec: &str) -> Self {
        self.component_log_level = Some(spec.to_owned());
        self
    }

    /// An extra Envoy command-line argument.
    pub fn arg(mut self, arg: &str) -> Self {
        self.args.push(arg.to_owned());
        self
    }

    /// Edits the rendered bootstrap (after ports are substituted): the last escape hatch.
    pub fn patch(mut self, f: impl Fn(&mut Value) + Send + Sync + 'static) -> Self {
        self.patches.push(Box::new(f));
        self
    }

    /// Names of every listener, in order.
    pub fn listener_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.listeners.iter().map(|l| l.name.clone()).collect();
        names.extend(
            self.raw_listeners
                .iter()
                .filter_map(|l| l.get("name").and_then(Value::as_str).map(str::to_owned)),
        );
        names
    }

    /// The bootstrap with `ports` (listener name → port) substituted.
    pub fn render(&self, ports: &BTreeMap<String, u16>) -> Result<Value> {
        let mut listeners: Vec<Value> = self.listeners.iter().map(Listener::to_json).collect();
        for raw in &self.raw_listeners {
            let mut l = raw.clone();
            let Some(name) = l.get("name").and_then(Value::as_str).map(str::to_owned) else {
                bail!("listener_json without a name: {raw}");
            };
            if let Some(obj) = l.as_object_mut() {
                obj.entry("address").or_insert_with(|| {
                    json!({ "socket_address": { "address": "127.0.0.1", "port_value": port_ref(&name) } })
                });
            }
            listeners.push(l);
        }
        for l in &mut listeners {
            // Envoy binds with SO_REUSEPORT by default, so a second Envoy (another test's, or
            // this topology's) bound to the same picked port starts fine and silently takes
            // a share of the connections. Off, the clash is "Address already in use", which
            // `Envoy::start` and the topologies retry on new ports.
            if let Some(obj) = l.as_object_mut() {
                obj.entry("enable_reuse_port").or_insert(json!(false));
            }
        }
        let mut bootstrap = json!({
            "node": { "id": self.node_id, "cluster": "e2e", "metadata": self.node_metadata },
            "admin": { "address": { "socket_address": { "address": "127.0.0.1", "port_value": 0 } } },
            "static_resources": { "listeners": listeners, "clusters": self.clusters },
        });
        substitute_ports(&mut bootstrap, ports)?;
        for p in &self.patches {
            p(&mut bootstrap);
        }
        Ok(bootstrap)
    }
}

fn loopback_cluster(name: &str, port: Value) -> Value {
    json!({
        "name": name,
        "type": "STATIC",
        "connect_timeout": "1s",
        "load_assignment": {
            "cluster_name": name,
            "endpoints": [{ "lb_endpoints": [{ "endpoint": { "address": {
                "socket_address": { "address": "127.0.0.1", "port_value": port }
            }}}]}]
        },
        "typed_extension_protocol_options": {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                "common_http_protocol_options": { "max_requests_per_connection": 1 },
                "explicit_http_config": { "http_protocol_options": {} }
            }
        }
    })
}

/// The placeholder for listener `name`'s port.
pub fn port_ref(name: &str) -> Value {
    Value::String(format!("{{{{port:{name}}}}}"))
}

fn substitute_ports(v: &mut Value, ports: &BTreeMap<String, u16>) -> Result<()> {
    match v {
        Value::String(s) if s.contains("{{port:") => {
            let whole = s
                .strip_prefix("{{port:")
                .and_then(|r| r.strip_suffix("}}"))
                .filter(|n| !n.contains('}'));
            if let Some(name) = whole {
                let Some(p) = ports.get(name) else {
                    bail!("{s}: no listener named {name:?}");
                };
                *v = Value::from(*p);
            } else {
                let mut out = s.clone();
                for (name, p) in ports {
                    out = out.replace(&format!("{{{{port:{name}}}}}"), &p.to_string());
                }
                if out.contains("{{port:") {
                    bail!("unresolved port placeholder in {s:?}");
                }
                *s = out;
            }
        }
        Value::Array(items) => {
            for i in items {
                substitute_ports(i, ports)?;
            }
        }
        Value::Object(m) => {
            for (_, i) in m.iter_mut() {
                substitute_ports(i, ports)?;
            }
        }
        _ => {}
    }
    Ok(())
}
