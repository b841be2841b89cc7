//! `make manifests`: writes each image's digest into the `sha256:` line of every WasmPlugin
//! patch in an overlay's wasm-images.yaml. Only those values change; comments, urls (registry
//! and tag are edited by hand) and layout stay as they are.

use crate::image_name_of_url;
use anyhow::{bail, Result};
use std::collections::BTreeMap;

/// Rewrites the `sha256:` line of each YAML document from the digest of the image its
/// `url:` names. `digests` maps image name → hex digest.
pub fn pin_text(text: &str, digests: &BTreeMap<String, String>) -> Result<String> {
    let mut out = Vec::new();
    for (n, doc) in split_documents(text).into_iter().enumerate() {
        let url = doc.iter().find_map(|line| {
            line.trim_start()
                .strip_prefix("url:")
                .map(|v| v.trim().trim_matches('"').to_string())
        });
        let Some(url) = url else {
            out.extend(doc.iter().map(|l| l.to_string()));
            continue;
        };
        let Some(image) = image_name_of_url(&url) else {
            bail!("document {}: url {url} is not an oci:// image", n + 1);
        };
        let Some(digest) = digests.get(image) else {
            bail!("document {}: no built image named {image}", n + 1);
        };
        let mut pinned = false;
        for line in &doc {
            let trimmed = line.trim_start();
            if trimmed.starts_with("sha256:") {
                let indent = &line[..line.len() - trimmed.len()];
                out.push(format!("{indent}sha256: \"{digest}\""));
                pinned = true;
            } else {
                out.push(line.to_string());
            }
        }
        if !pinned {
            bail!("document {} ({url}): no sha256: line to pin", n + 1);
        }
    }
    let mut text_out = out.join("\n");
    text_out.push('\n');
    Ok(text_out)
}

/// Lines per document; the `---` separators stay with the document they open.
fn split_documents(text: &str) -> Vec<Vec<&str>> {
    let mut docs: Vec<Vec<&str>> = vec![Vec::new()];
    for line in text.lines() {
        if line.trim_end() == "---" {
            docs.push(Vec::new());
        }
        if let Some(last) = docs.last_mut() {
            last.push(line);
        }
    }
    docs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digests() -> BTreeMap<String, String> {
        [("jwt-auth", "a".repeat(64)), ("grey-chain", "b".repeat(64))]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
    }

    #[test]
    fn pins_each_document_by_its_url() {
        let text = "# keep me\nkind: WasmPlugin\nspec:\n  url: oci://r/k/jwt-auth:1\n  sha256: \"0\"\n---\nspec:\n  sha256: old\n  url: \"oci://r/k/grey-chain:1\"\n";
        let pinned = pin_text(text, &digests()).unwrap();
        assert_eq!(
            pinned,
            format!(
                "# keep me\nkind: WasmPlugin\nspec:\n  url: oci://r/k/jwt-auth:1\n  sha256: \"{}\"\n---\nspec:\n  sha256: \"{}\"\n  url: \"oci://r/k/grey-chain:1\"\n",
                "a".repeat(64),
                "b".repeat(64)
            )
        );
        assert_eq!(pin_text(&pinned, &digests()).unwrap(), pinned, "idempotent");
    }

    #[test]
    fn unknown_image_or_missing_line_is_refused() {
        let err = pin_text(
            "spec:\n  url: oci://r/x/other:1\n  sha256: \"\"\n",
            &digests(),
        );
        assert!(err
            .unwrap_err()
            .to_string()
            .contains("no built image named other"));
        let err = pin_text("spec:\n  url: oci://r/x/jwt-auth:1\n", &digests());
        assert!(err.unwrap_err().to_string().contains("no sha256: line"));
    }
}
