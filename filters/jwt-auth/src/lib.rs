//! jwt-auth filter. Plain logic lives in modules that know nothing of proxy-wasm;
//! the proxy-wasm glue is compiled for wasm32 only, and only with the
//! default feature `glue` (which exports the module's proxy-wasm entry points).

pub mod b64;
pub mod cache;
pub mod claims;
pub mod config;
pub mod crypto;
pub mod der;
pub mod discovery;
pub mod engine;
pub mod es256;
pub mod extract;
pub mod jwks;
pub mod montgomery;
pub mod p521;
pub mod remote;
pub mod requirement;
pub mod response;
pub mod rsa;
pub mod uri;
pub mod verify;

#[cfg(all(target_arch = "wasm32", feature = "glue"))]
mod glue;
/// The filter on a proxy-wasm host, called by `glue` and by the combined
/// kfaas-gateway module (which depends on this crate without `glue`).
#[cfg(target_arch = "wasm32")]
pub mod stage;
