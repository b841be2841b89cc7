//! Real-Envoy harness: start Envoy with our filters in the exact shape istiod sends for a
//! WasmPlugin, in front of native upstream servers, and talk to it over plain HTTP.
//!
//! ```no_run
//! use e2e::{http, Envoy, EnvoyConfig, Upstream, WasmFilter};
//! let echo = Upstream::echo("svc-a")?;
//! let f = WasmFilter::new("jwt-auth", "istio-system", e2e::dist("jwt_auth")).config_json("{}");
//! let envoy = Envoy::start(EnvoyConfig::new().filter(f).route_to(&echo))?;
//! let r = http::get(&envoy.url("/x"), &[])?;
//! assert_eq!(r.json()?["upstream"], "svc-a");
//! # Ok::<(), anyhow::Error>(())
//! ```

pub mod bench;
mod config;
mod envoy;
mod header_list;
pub mod http;
pub mod istio_agent;
mod ports;
mod process;
pub mod prometheus;
mod upstream;

pub use config::{Direction, EnvoyConfig, Listener, Routes, WasmFilter};
pub use envoy::Envoy;
pub use ports::free_ports;
pub use prometheus::Prometheus;
pub use upstream::{Upstream, UpstreamRequest, UpstreamResponse};

use std::path::PathBuf;

/// The workspace root (the directory holding `dist/` and `.venv/`).
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// `$DIST_DIR/<name>.wasm`, or `<workspace>/dist/<name>.wasm` (`name` like `jwt_auth`).
pub fn dist(name: &str) -> PathBuf {
    let dir = std::env::var_os("DIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("dist"));
    dir.join(format!("{name}.wasm"))
}

/// The Envoy binary: `$ENVOY_BIN`, or `<workspace>/.venv/bin/envoy` (installed by `make setup`).
pub fn envoy_bin() -> PathBuf {
    std::env::var_os("ENVOY_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv/bin/envoy"))
}

/// Envoy 1.36 for the tests that run on both supported lines: `$ENVOY_136_BIN`, or
/// `<workspace>/.venv-compat/1.36.4/bin/envoy` (`make setup` installs it); `None` when absent.
pub fn envoy_136_bin() -> Option<PathBuf> {
    let bin = std::env::var_os("ENVOY_136_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv-compat/1.36.4/bin/envoy"));
    bin.exists().then_some(bin)
}

/// The smallest configuration each filter accepts: for "the module loads" checks, the demo's
/// starting point and placeholder benchmarks; each lets a plain request through.
/// Adapt here when a filter's schema changes.
pub fn minimal_config(module: &str) -> &'static str {
    match module {
        "grey_chain" => r#"{"mode":"gateway","lanes":["grey"],"gateway":{}}"#,
        "jwt_auth" => {
            r#"{"jwtRules":[{"issuer":"https://issuer.example.com","jwks":"{\"keys\":[{\"kty\":\"oct\",\"k\":\"YS0zMi1ieXRlLWhtYWMtc2VjcmV0LWZvci10ZXN0cyE\",\"alg\":\"HS256\"}]}"}],"defaultRequirement":"allow_missing"}"#
        }
        _ => "{}",
    }
}

/// The three filters as (crate name, dist module name).
pub const FILTERS: [(&str, &str); 3] = [
    ("jwt-auth", "jwt_auth"),
    ("faas-router", "faas_router"),
    ("grey-chain", "grey_chain"),
];
