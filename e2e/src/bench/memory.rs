//! faas-router's memory per VM at 10,000 routes: dist/faas_router.wasm loaded
//! in testhost (wasmtime), configured with no routes, with the 10k-route
//! table of the lookup scenarios as one table, and spread over the top level
//! and nine virtual hosts; the linear-memory size after `on_configure`
//! (wasm pages × 64 KiB, `testhost::Host::memory_bytes`). Linear memory is
//! what one VM of the filter holds (its heap, stack and data) and only grows,
//! so the reading includes the configuration's parse peak; its size is set by
//! the module's allocator, so Envoy's V8 holds the same (plus the runtime's
//! own per-VM overhead, which Envoy does not report: its wasm stats count VMs
//! only). Envoy runs one VM per worker thread and one on the main thread.
//!
//! The VMs run in `testhost/examples/memory.rs` through `cargo run` in the
//! dev profile (built for the tests anyway), so the release bench binary
//! does not link wasmtime.

use std::fmt::Write;
use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::bench::scenarios::faas_router::{plugin_config, plugin_config_hosts};

/// Linear memory after configuring a fresh faas-router VM with each config.
fn memory_after(configs: &[&str]) -> Result<Vec<u64>> {
    let dir = std::env::temp_dir().join(format!("faas-router-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut files = Vec::new();
    for (i, config) in configs.iter().enumerate() {
        let file = dir.join(format!("config-{i}.json"));
        std::fs::write(&file, config).with_context(|| format!("writing {}", file.display()))?;
        files.push(file);
    }
    let out = run_example(&crate::dist("faas_router"), &files);
    let _ = std::fs::remove_dir_all(&dir);
    let out = out?;
    let sizes = out
        .lines()
        .map(|l| l.trim().parse::<u64>())
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("reading the example's output {out:?}"))?;
    if sizes.len() != configs.len() {
        bail!(
            "{} sizes for {} configurations: {out:?}",
            sizes.len(),
            configs.len()
        );
    }
    Ok(sizes)
}

fn run_example(module: &Path, configs: &[std::path::PathBuf]) -> Result<String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(crate::workspace_root())
        .args(["run", "-q", "-p", "testhost", "--example", "memory", "--"])
        .arg(module)
        .args(configs)
        .output()
        .context("running cargo")?;
    if !out.status.success() {
        bail!(
            "cargo run -p testhost --example memory: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The markdown section for BENCHMARKS.md.
pub fn section(routes: usize) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "## faas-router memory per VM\n");
    let tables = [
        ("no routes".to_owned(), plugin_config(0)),
        (format!("{routes} routes, one table"), plugin_config(routes)),
        (
            format!("{routes} routes over 10 virtual hosts"),
            plugin_config_hosts(routes, true),
        ),
    ];
    let configs: Vec<&str> = tables.iter().map(|(_, c)| c.as_str()).collect();
    let sizes = match memory_after(&configs) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(md, "not measured: {e:#}\n");
            return md;
        }
    };
    let base = sizes.first().copied().unwrap_or(0);
    let _ = writeln!(
        md,
        "Linear memory of one VM after `on_configure` (wasm pages × 64 KiB, measured in testhost; the module's allocator sets it, so V8 holds the same plus its own per-VM overhead). Envoy keeps one VM per worker thread plus one on the main thread.\n"
    );
    let _ = writeln!(
        md,
        "| table | pluginConfig KiB | linear memory MiB | over no routes MiB |\n|---|---|---|---|"
    );
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    for ((label, config), bytes) in tables.iter().zip(sizes) {
        let _ = writeln!(
            md,
            "| {label} | {:.0} | {:.2} | {:.2} |",
            config.len() as f64 / 1024.0,
            mib(bytes),
            mib(bytes.saturating_sub(base))
        );
    }
    md.push('\n');
    md
}
