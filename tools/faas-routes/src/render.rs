//! How a table is written into a manifest: the `spec.pluginConfig` of each
//! faas-router WasmPlugin is replaced in place (as YAML), and every other
//! byte of the file stays as it was. The result is read back and compared.

use crate::virtual_service::documents;
use serde::Deserialize;
use serde_json::Value;

/// Whether a WasmPlugin document is faas-router's (by name or image).
pub fn is_faas_router(doc: &Value) -> bool {
    doc.get("kind").and_then(Value::as_str) == Some("WasmPlugin")
        && ["/metadata/name", "/spec/url", "/spec/pluginName"]
            .iter()
            .any(|p| {
                doc.pointer(p)
                    .and_then(Value::as_str)
                    .is_some_and(|s| s.contains("faas-router") || s.contains("faas_router"))
            })
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
        if !is_faas_router(&value) {
            continue;
        }
        let start = doc.as_ptr() as usize - manifest.as_ptr() as usize;
        let (from, to, replacement) = replace_in(doc, &yaml).ok_or_else(|| {
            format!("{file}:{line}: faas-router WasmPlugin without a top-level spec:")
        })?;
        out.push_str(manifest.get(copied..start + from).unwrap_or(""));
        out.push_str(&replacement);
        copied = start + to;
        done += 1;
    }
    out.push_str(manifest.get(copied..).unwrap_or(""));
    if done == 0 {
        return Err(format!("{file}: no faas-router WasmPlugin found"));
    }
    // Read back: the plugins now hold exactly `config`.
    for (line, doc) in documents(&out) {
        let value: Value = serde_norway::Deserializer::from_str(doc)
            .next()
            .map(Value::deserialize)
            .transpose()
            .map_err(|e| format!("{file}:{line}: rendering broke the YAML: {e}"))?
            .unwrap_or(Value::Null);
        if is_faas_router(&value) && value.pointer("/spec/pluginConfig") != Some(config) {
            return Err(format!(
                "{file}:{line}: the rendered pluginConfig does not read back equal"
            ));
        }
    }
    Ok((out, done))
}

/// Byte range in `doc` to replace and its replacement: the `pluginConfig:`
/// entry of the top-level `spec:` (its value lines included), or a new
/// entry right after `spec:`.
fn replace_in(doc: &str, yaml: &str) -> Option<(usize, usize, String)> {
    let lines: Vec<(usize, &str)> = doc
        .split_inclusive('\n')
        .scan(0, |off, l| {
            let at = *off;
            *off += l.len();
            Some((at, l))
        })
        .collect();
    let content = |l: &str| {
        let t = l.trim_start();
        !(t.is_empty() || t.starts_with('#'))
    };
    let indent_of = |l: &str| l.len() - l.trim_start_matches(' ').len();
    let spec = lines.iter().position(|(_, l)| l.trim_end() == "spec:")?;
    let child = lines
        .iter()
        .skip(spec + 1)
        .find(|(_, l)| content(l))
        .map(|(_, l)| indent_of(l))
        .filter(|&i| i > 0)
        .unwrap_or(2);
    let pad = " ".repeat(child);
    let block: String = yaml.lines().map(|l| format!("{pad}  {l}\n")).collect();
    let entry = format!("{pad}pluginConfig:\n{block}");
    let key = format!("{pad}pluginConfig:");
    let mut i = spec + 1;
    while let Some((at, l)) = lines.get(i) {
        if content(l) && indent_of(l) < child {
            break;
        }
        if l.starts_with(&key) && indent_of(l) == child {
            let mut end = i + 1;
            while let Some((_, next)) = lines.get(end) {
                if content(next) && indent_of(next) <= child {
                    break;
                }
                end += 1;
            }
            // Keep blank lines and comments that follow the value.
            while end > i + 1 && lines.get(end - 1).is_some_and(|(_, l)| !content(l)) {
                end -= 1;
            }
            let to = lines.get(end).map_or(doc.len(), |(at, _)| *at);
            return Some((*at, to, entry));
        }
        i += 1;
    }
    let after_spec = lines.get(spec + 1).map_or(doc.len(), |(at, _)| *at);
    Some((after_spec, after_spec, entry))
}
