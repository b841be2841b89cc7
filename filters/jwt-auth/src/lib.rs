//! jwt-auth filter. Plain logic lives in modules that know nothing of proxy-wasm;
//! the proxy-wasm glue is compiled for wasm32 only.

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
pub mod verify;

#[cfg(target_arch = "wasm32")]
mod glue;
