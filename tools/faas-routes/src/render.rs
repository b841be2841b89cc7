//! How a table is written into a manifest: the pluginConfig of each
//! faas-router plugin — `spec.pluginConfig` of a WasmPlugin,
//! `spec.wasm.pluginConfig` of an Istio 1.30 TrafficExtension — is replaced
//! in place (as YAML), and every other byte of the file stays as it was. The
//! result is read back and compared.

use crate::virtual_service::documents;
use serde::Deserialize;
use serde_json::Value;

/// Where a plugin kind keeps its pluginConfig (the keys above it).
fn config_path(doc: &Value) -> Option<&'static [&'static str]> {
    match doc.get("kind").and_then(Value::as_str) {
        Some("WasmPlugin") => Some(&["spec"]),
        Some("TrafficExtension") => Some(&["spec", "wasm"]),
        _ => None,
    }
}

/// The pointer to a plugin's pluginConfig: `/spec/pluginConfig`, ...
fn pointer(path: &[&str], leaf: &str) -> String {
    path.iter().map(|k| format!("/{k}")).collect::<String>() + "/" + leaf
}

/// Whether a WasmPlugin or TrafficExtension document is faas-router's (by
/// name, image or plugin name).
pub fn is_faas_router(doc: &Value) -> bool {
    let Some(path) = config_path(doc) else {
        return false;
    };
    ["url", "pluginName"]
        .iter()
        .map(|leaf| pointer(path, leaf))
        .chain(["/metadata/name".to_string()])
        .any(|p| {
            doc.pointer(&p)
                .and_then(Value::as_str)
                .is_some_and(|s| s.contains("faas-router") || s.contains("faas_router"))
        })
}

/// A faas-router plugin's pluginConfig, if the document is one.
pub fn plugin_config(doc: &Value) -> Option<Option<&Value>> {
    let path = config_path(doc)?;
    is_faas_router(doc).then(|| doc.pointer(&pointer(path, "pluginConfig")))
}

/// The manifest text with `config` as every faas-router plugin's
/// pluginConfig, and how many plugins were rewritten.
pub fn render(file: &str, manifest: &str, config: &Value) -> Result<(String, usize), String> {
    let yaml = serde_norway::to_string(config).map_err(|e| e.to_string())?;
    let mut out = String::with_capacity(manifest.len() + yaml.len());
    let mut done = 0;
    let mut copied = 0;
    for (line, doc) in documents(manifest) {
        let value: Value =
            serde_norway::from_str(doc).map_err(|e| format!("{file}:{line}: not YAML: {e}"))?;
        let Some(path) = config_path(&value).filter(|_| is_faas_router(&value)) else {
            continue;
        };
        let start = doc.as_ptr() as usize - manifest.as_ptr() as usize;
        let (from, to, replacement) = replace_in(doc, path, &yaml).ok_or_else(|| {
            format!(
                "{file}:{line}: faas-router plugin without {}:",
                path.join(".")
            )
        })?;
        out.push_str(manifest.get(copied..start + from).unwrap_or(""));
        out.push_str(&replacement);
        copied = start + to;
        done += 1;
    }
    out.push_str(manifest.get(copied..).unwrap_or(""));
    if done == 0 {
        return Err(format!(
            "{file}: no faas-router WasmPlugin or TrafficExtension found"
        ));
    }
    // Read back: the plugins now hold exactly `config`.
    for (line, doc) in documents(&out) {
        let value: Value = serde_norway::Deserializer::from_str(doc)
            .next()
            .map(Value::deserialize)
            .transpose()
            .map_err(|e| format!("{file}:{line}: rendering broke the YAML: {e}"))?
            .unwrap_or(Value::Null);
        if plugin_config(&value).is_some_and(|c| c != Some(config)) {
            return Err(format!(
                "{file}:{line}: the rendered pluginConfig does not read back equal"
            ));
        }
    }
    Ok((out, done))
}

/// The lines of a document with their byte offsets.
struct Lines<'d> {
    lines: Vec<(usize, &'d str)>,
    len: usize,
}

fn content(l: &str) -> bool {
    let t = l.trim_start();
    !(t.is_empty() || t.starts_with('#'))
}

fn indent_of(l: &str) -> usize {
    l.len() - l.trim_start_matches(' ').len()
}

impl Lines<'_> {
    fn offset(&self, i: usize) -> usize {
        self.lines.get(i).map_or(self.len, |(at, _)| *at)
    }

    /// The end of the block that starts after line `i` and holds lines
    /// indented more than `indent` (trailing blank lines and comments stay
    /// outside it).
    fn block_end(&self, i: usize, indent: usize) -> usize {
        let mut end = i + 1;
        while let Some((_, next)) = self.lines.get(end) {
            if content(next) && indent_of(next) <= indent {
                break;
            }
            end += 1;
        }
        while end > i + 1 && self.lines.get(end - 1).is_some_and(|(_, l)| !content(l)) {
            end -= 1;
        }
        end
    }

    /// The line of `key:` among the lines `from..to` indented by `indent`.
    fn find(&self, from: usize, to: usize, indent: usize, key: &str) -> Option<usize> {
        (from..to).find(|&i| {
            self.lines.get(i).is_some_and(|(_, l)| {
                indent_of(l) == indent
                    && l.trim_start()
                        .strip_prefix(key)
                        .is_some_and(|r| r.starts_with(':'))
            })
        })
    }

    /// The indentation of the first content line of `from..to` (its children).
    fn child_indent(&self, from: usize, to: usize, parent: usize) -> usize {
        (from..to)
            .filter_map(|i| self.lines.get(i))
            .find(|(_, l)| content(l))
            .map(|(_, l)| indent_of(l))
            .filter(|&i| i > parent)
            .unwrap_or(parent + 2)
    }
}

/// Byte range in `doc` to replace and its replacement: the `pluginConfig:`
/// entry under the keys `path` (its value lines included), or a new entry
/// right after the last key of `path`.
fn replace_in(doc: &str, path: &[&str], yaml: &str) -> Option<(usize, usize, String)> {
    let lines = Lines {
        lines: doc
            .split_inclusive('\n')
            .scan(0, |off, l| {
                let at = *off;
                *off += l.len();
                Some((at, l))
            })
            .collect(),
        len: doc.len(),
    };
    let (mut from, mut to, mut indent) = (0, lines.lines.len(), 0);
    let mut parent = None;
    for key in path {
        let i = lines.find(from, to, indent, key)?;
        let end = lines.block_end(i, indent);
        parent = Some(i);
        indent = lines.child_indent(i + 1, end, indent);
        (from, to) = (i + 1, end);
    }
    let pad = " ".repeat(indent);
    let block: String = yaml.lines().map(|l| format!("{pad}  {l}\n")).collect();
    let entry = format!("{pad}pluginConfig:\n{block}");
    match lines.find(from, to, indent, "pluginConfig") {
        Some(i) => {
            let end = lines.block_end(i, indent);
            Some((lines.offset(i), lines.offset(end), entry))
        }
        None => {
            let after = lines.offset(parent? + 1);
            Some((after, after, entry))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn traffic_extension_wasm_plugin_config() {
        let manifest = "apiVersion: extensions.istio.io/v1alpha1\nkind: TrafficExtension\nmetadata:\n  name: faas-router\nspec:\n  phase: AUTHZ\n  wasm:\n    url: oci://x/faas-router:1\n    pluginConfig:\n      routes: []\n    failStrategy: FAIL_CLOSE\n";
        let config: Value = serde_json::json!({"onNoMatch": "passthrough"});
        let (out, n) = render("t.yaml", manifest, &config).unwrap();
        assert_eq!(n, 1);
        assert_eq!(
            out,
            manifest.replace(
                "    pluginConfig:\n      routes: []\n",
                "    pluginConfig:\n      onNoMatch: passthrough\n"
            )
        );
    }

    #[test]
    fn a_missing_plugin_config_is_added_under_spec() {
        let manifest = "kind: WasmPlugin\nmetadata:\n  name: faas-router\nspec:\n  url: oci://x\n";
        let (out, _) = render("w.yaml", manifest, &serde_json::json!({"routes": []})).unwrap();
        assert_eq!(out, "kind: WasmPlugin\nmetadata:\n  name: faas-router\nspec:\n  pluginConfig:\n    routes: []\n  url: oci://x\n");
    }
}
