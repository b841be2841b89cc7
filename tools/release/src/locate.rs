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
    crd_bundle(
        "ISTIO_CRDS",
        "istio/crd-all.gen.yaml",
        "tools/release/istio",
    )
}

/// `$GATEWAY_API_CRDS`, else `shared/gateway-api/standard-crds-v1.6.1.yaml` in the workspace or
/// any folder above it, else the copy vendored in `tools/release/gateway-api/`.
pub fn gateway_api_crds() -> Result<PathBuf> {
    crd_bundle(
        "GATEWAY_API_CRDS",
        "gateway-api/standard-crds-v1.6.1.yaml",
        "tools/release/gateway-api",
    )
}

/// Every CRD bundle the manifests are validated against: Istio's and the Gateway API's.
pub fn crd_bundles() -> Result<Vec<PathBuf>> {
    Ok(vec![istio_crds()?, gateway_api_crds()?])
}

/// `$<var>`, else `shared/<shared>` beside the workspace (or above), else `<vendored>/<file>`.
fn crd_bundle(var: &str, shared: &str, vendored: &str) -> Result<PathBuf> {
    if let Some(p) = std::env::var_os(var) {
        let p = PathBuf::from(p);
        if p.is_file() {
            return Ok(p);
        }
        bail!("{var}={} is not a file", p.display());
    }
    let root = workspace_root();
    for dir in root.ancestors() {
        let candidate = dir.join("shared").join(shared);
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    let file = Path::new(shared).file_name().unwrap_or_default();
    let vendored = root.join(vendored).join(file);
    if vendored.is_file() {
        return Ok(vendored);
    }
    bail!(
        "CRDs not found: set {var} or put shared/{shared} beside {}",
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
