//! faas-router filter. Plain logic lives in modules that know nothing of proxy-wasm;
//! the proxy-wasm glue is compiled for wasm32 only, and only with the
//! default feature `glue` (which exports the module's proxy-wasm entry points).

pub mod config;
mod full_match_regex;
pub mod hosts;
pub mod policy;
mod prefix_index;
pub mod router;
pub mod split;
pub mod table;

#[cfg(all(target_arch = "wasm32", feature = "glue"))]
mod glue;
/// The filter on a proxy-wasm host, called by `glue` and by the combined
/// kfaas-gateway module (which depends on this crate without `glue`).
#[cfg(target_arch = "wasm32")]
pub mod stage;
