//! Renders an overlay with the real kustomize (built into kubectl) and reads the documents.

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

pub fn kustomize(kubectl: &Path, overlay: &Path) -> Result<String> {
    let out = Command::new(kubectl)
        .arg("kustomize")
        .arg(overlay)
        .output()
        .with_context(|| format!("running {} kustomize", kubectl.display()))?;
    if !out.status.success() {
        bail!(
            "kustomize {} failed: {}",
            overlay.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// Renders `overlay` with `components` added (kustomize `components:`), as a user would in an
/// overlay of their own: through a temporary kustomization that names both (kustomize
/// refuses absolute paths, so relative ones from a scratch directory).
pub fn kustomize_with(kubectl: &Path, overlay: &Path, components: &[&Path]) -> Result<String> {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "release-kustomize-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir)?;
    let rel = |p: &Path| -> Result<String> {
        let abs = std::fs::canonicalize(p).with_context(|| format!("{}", p.display()))?;
        let up = "../".repeat(std::fs::canonicalize(&dir)?.components().count() - 1);
        Ok(format!(
            "{up}{}",
            abs.display().to_string().trim_start_matches('/')
        ))
    };
    let mut text = format!("resources:\n  - {}\ncomponents:\n", rel(overlay)?);
    for c in components {
        text.push_str(&format!("  - {}\n", rel(c)?));
    }
    std::fs::write(dir.join("kustomization.yaml"), text)?;
    let out = kustomize(kubectl, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    out
}

/// `wasmplugins/overlays/<overlay>` rendered with `wasmplugins/components/<name>` added, as
/// documents (kubectl from `locate::kubectl`).
pub fn overlay_with_components(overlay: &str, components: &[&str]) -> Result<Vec<Value>> {
    let root = crate::locate::workspace_root().join("wasmplugins");
    let components: Vec<std::path::PathBuf> = components
        .iter()
        .map(|c| root.join("components").join(c))
        .collect();
    let refs: Vec<&Path> = components.iter().map(|c| c.as_path()).collect();
    let text = kustomize_with(
        &crate::locate::kubectl()?,
        &root.join("overlays").join(overlay),
        &refs,
    )?;
    documents(&text)
}

/// Every non-empty document of a multi-document YAML stream, as JSON values.
pub fn documents(yaml: &str) -> Result<Vec<Value>> {
    let mut docs = Vec::new();
    for (n, de) in serde_norway::Deserializer::from_str(yaml).enumerate() {
        let value = Value::deserialize(de).with_context(|| format!("YAML document {}", n + 1))?;
        if !value.is_null() {
            docs.push(value);
        }
    }
    Ok(docs)
}

/// "Kind namespace/name", to name a resource in messages.
pub fn resource_name(doc: &Value) -> String {
    format!(
        "{} {}/{}",
        doc["kind"].as_str().unwrap_or("?"),
        doc["metadata"]["namespace"].as_str().unwrap_or("default"),
        doc["metadata"]["name"].as_str().unwrap_or("?")
    )
}
