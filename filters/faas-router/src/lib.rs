//! faas-router filter. Plain logic lives in modules that know nothing of proxy-wasm;
//! the proxy-wasm glue is compiled for wasm32 only.

pub mod config;
mod full_match_regex;
pub mod hosts;
pub mod policy;
mod prefix_index;
pub mod router;
pub mod split;
pub mod table;

#[cfg(target_arch = "wasm32")]
mod glue;
