//! The host side of the ABI: every `env.proxy_*` function proxy-wasm 0.2.5
//! imports and the WASI preview1 functions Rust std uses.

mod maps;
mod memory;
mod proxy;
mod wasi;

use wasmtime::{Linker, Result};

use crate::state::State;

/// Status codes of the ABI (proxy-wasm spec, ABI 0.2.1).
pub(crate) mod status {
    pub const OK: i32 = 0;
    pub const NOT_FOUND: i32 = 1;
    pub const BAD_ARGUMENT: i32 = 2;
    pub const EMPTY: i32 = 7;
    pub const CAS_MISMATCH: i32 = 8;
    /// What Envoy's `proxy_get_status` reports after a failed http call.
    pub const BROKEN_CONNECTION: u32 = 11;
}

pub(crate) fn link(linker: &mut Linker<State>) -> Result<()> {
    maps::link(linker)?;
    proxy::link(linker)?;
    wasi::link(linker)
}
