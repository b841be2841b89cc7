//! One wasmtime engine per process, and compiled modules cached on disk by
//! the sha256 of the wasm: nextest runs every test in its own process, and
//! compiling a filter with cranelift takes seconds.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use wasmtime::{Config, Engine, Module};

pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = Config::new();
        // Fuel counts the wasm instructions a callback executes (`Host::meter`).
        config.consume_fuel(true);
        crate::profile::configure(&mut config);
        Engine::new(&config).unwrap_or_else(|_| Engine::default())
    })
}

pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// `$TESTHOST_CACHE_DIR`, else `<target>/testhost-cache`.
fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("TESTHOST_CACHE_DIR") {
        return dir.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    target.join("testhost-cache")
}

pub fn module(wasm: &[u8]) -> Result<Module> {
    let digest = Sha256::digest(wasm);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let epoch = if crate::profile::enabled() {
        "-epoch"
    } else {
        ""
    };
    let path = cache_dir().join(format!("{hex}{epoch}.cwasm"));
    if path.exists() {
        // SAFETY: the file is one this function wrote with Module::serialize;
        // wasmtime checks that it matches this engine's version and settings
        // and refuses it otherwise, in which case we recompile below.
        if let Ok(module) = unsafe { Module::deserialize_file(engine(), &path) } {
            return Ok(module);
        }
    }
    let module = Module::new(engine(), wasm)
        .map_err(anyhow::Error::from)
        .context("compiling the wasm module")?;
    if let Err(e) = store(&path, &module) {
        eprintln!("testhost: could not cache {}: {e:#}", path.display());
    }
    Ok(module)
}

/// Writes through a process-unique temporary file and a rename, so parallel
/// test processes never read a half-written cache entry.
fn store(path: &Path, module: &Module) -> Result<()> {
    let dir = path.parent().context("cache path has no parent")?;
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let bytes = module.serialize()?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))?;
    Ok(())
}
