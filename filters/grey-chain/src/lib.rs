//! grey-chain filter. Plain logic lives in modules that know nothing of proxy-wasm;
//! the proxy-wasm glue is compiled for wasm32 only.

#[cfg(target_arch = "wasm32")]
mod glue;
