//! kfaas-gateway: jwt-auth, grey-chain's gateway lane decision and
//! faas-router in one proxy-wasm module, one request context, in the order
//! the kfaas gateway's manifests run them. Glue only: every decision is made
//! by the three filters' crates (their `config::parse` and `stage` modules).

pub mod config;

#[cfg(target_arch = "wasm32")]
mod glue;
