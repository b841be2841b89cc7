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
