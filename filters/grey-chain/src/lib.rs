//! grey-chain filter: decides a request's lane (grey release) at the gateway and
//! keeps it on every hop in the sidecars. Plain logic lives in modules that know
//! nothing of proxy-wasm; the proxy-wasm glue is compiled for wasm32 only, and only with the
//! default feature `glue` (which exports the module's proxy-wasm entry points).

pub mod baggage;
pub mod config;
pub mod direction;
pub mod gateway;
pub mod headers;
pub mod lane_headers;
pub mod rules;
pub mod sidecar;
pub mod table;
pub mod traceid;

#[cfg(all(target_arch = "wasm32", feature = "glue"))]
mod glue;
/// The filter on a proxy-wasm host, called by `glue` and by the combined
/// kfaas-gateway module (which depends on this crate without `glue`).
#[cfg(target_arch = "wasm32")]
pub mod stage;
