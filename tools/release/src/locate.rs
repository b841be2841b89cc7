//! Where the workspace, the built modules, Istio's CRDs and kubectl are, on a developer's
//! machine and in a fresh CI clone (where shared/ sits beside the repository).

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// `$DIST_DIR`, else `<workspace>/dist`.
pub fn dist_dir() -> PathBuf {
    std::env::var_os("DIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("dist"))
}

/// A built module, or an error telling how to build it.
pub fn dist_module(dist: &Path, module: &str) -> Result<PathBuf> {
    let path = dist.join(format!("{module}.wasm"));
    if !path.is_file() {
        bail!("{} is missing: run `make build` first", path.display());
    }
    Ok(path)
}

/// `$ISTIO_CRDS`, else `shared/istio/crd-all.gen.yaml` in the workspace or any folder above it,
/// else the copy vendored in `tools/release/istio/`.
pub fn istio_crds() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("ISTIO_CRDS") {
        let p = PathBuf::from(p);
        if p.is_file() {
            return Ok(p);
        }
        bail!("ISTIO_CRDS={} is not a file", p.display());
    }
    let root = workspace_root();
    for dir in root.ancestors() {
        let candidate = dir.join("shared/istio/crd-all.gen.yaml");
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    let vendored = root.join("tools/release/istio/crd-all.gen.yaml");
    if vendored.is_file() {
        return Ok(vendored);
    }
    bail!(
        "Istio CRDs not found: set ISTIO_CRDS or put shared/istio/crd-all.gen.yaml beside {}",
        root.display()
    )
}

/// `$KUBECTL`, else `<workspace>/.venv/bin/kubectl` (`make kubectl`), else `kubectl` on PATH —
/// whichever has kustomize built in.
pub fn kubectl() -> Result<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(p) = std::env::var_os("KUBECTL") {
        candidates.push(PathBuf::from(p));
    }
    candidates.push(workspace_root().join(".venv/bin/kubectl"));
    candidates.push(PathBuf::from("kubectl"));
    for candidate in &candidates {
        let ok = Command::new(candidate)
            .args(["kustomize", "--help"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if ok {
            return Ok(candidate.clone());
        }
    }
    bail!("no kubectl with kustomize found (tried $KUBECTL, .venv/bin/kubectl, PATH): run `make kubectl`")
}

/// The rendered overlays: `wasmplugins/overlays/*`, sorted.
pub fn overlays() -> Result<Vec<PathBuf>> {
    kustomizations_in(&workspace_root().join("wasmplugins/overlays"))
}

/// Where each overlay's TrafficExtension flavour lives (written by `make manifests`, `flavour`).
pub const TRAFFIC_EXTENSIONS: &str = "wasmplugins/traffic-extensions";

/// The TrafficExtension flavour of each overlay: `wasmplugins/traffic-extensions/*`, sorted.
pub fn traffic_extension_overlays() -> Result<Vec<PathBuf>> {
    let dir = workspace_root().join(TRAFFIC_EXTENSIONS);
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    kustomizations_in(&dir)
}

fn kustomizations_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.join("kustomization.yaml").is_file() {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}
