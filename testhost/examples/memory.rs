//! `cargo run -p testhost --example memory -- MODULE.wasm CONFIG...`: for each
//! plugin configuration file, a fresh VM of the module configured with it, and
//! one line `<bytes>` on stdout: its linear memory after `on_configure`
//! (`Host::memory_bytes`). A refused configuration fails with the filter's
//! logs. Used by `make bench` (e2e/src/bench/memory.rs), which runs it in the
//! dev profile so the bench binary need not link wasmtime.

use anyhow::{bail, Context, Result};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((module, configs)) = args.split_first() else {
        bail!("usage: memory MODULE.wasm CONFIG...");
    };
    let wasm = std::fs::read(module).with_context(|| format!("reading {module}"))?;
    for path in configs {
        let config = std::fs::read(path).with_context(|| format!("reading {path}"))?;
        let host = testhost::Host::from_bytes(&wasm)?
            .config(&config)
            .map_err(|refused| anyhow::anyhow!("{path}: configuration refused: {refused}"))?;
        println!("{}", host.memory_bytes());
    }
    Ok(())
}
