//! How VirtualServices are read from files: multi-document YAML, a `kind:
//! List` with `items` (as `kubectl get vs -o yaml` prints it) or JSON, in the
//! apiVersions networking.istio.io v1, v1beta1 and v1alpha3. Every error
//! names the file, the line of the document and the field.

use serde::Deserialize;
use serde_json::Value;

const API_VERSIONS: [&str; 3] = [
    "networking.istio.io/v1",
    "networking.istio.io/v1beta1",
    "networking.istio.io/v1alpha3",
];

/// One VirtualService as the import needs it. Fields the table cannot
/// express stay in `spec` and are reported by the import.
#[derive(Debug, Clone)]
pub struct VirtualService {
    pub file: String,
    /// First line of the document (1-based).
    pub line: usize,
    pub namespace: String,
    pub name: String,
    /// RFC 3339 as Kubernetes writes it (`2024-01-02T03:04:05Z`); empty when
    /// absent (such a VirtualService sorts first, as in a fresh apply).
    pub created: String,
    pub hosts: Vec<String>,
    /// `spec.gateways`; empty means `mesh` (sidecars only).
    pub gateways: Vec<String>,
    pub spec: Value,
}

impl VirtualService {
    /// `<namespace>/<name>`, as findings name it.
    pub fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// Bound to a gateway: `spec.gateways` names one other than `mesh`
    /// (without `gateways` a VirtualService applies to sidecars only).
    pub fn gateway_bound(&self) -> bool {
        self.gateways.iter().any(|g| g != "mesh")
    }
}

/// Reads every VirtualService of a file's text.
pub fn read(file: &str, text: &str) -> Result<Vec<VirtualService>, String> {
    let mut out = Vec::new();
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| format!("{file}:{}: not JSON: {e}", e.line()))?;
        collect(file, 1, value, &mut out)?;
        return Ok(out);
    }
    let docs = documents(text);
    // Documents are independent: parse them on every core.
    let parsed = crate::parallel::map(&docs, |d| parse_doc(file, d));
    for ((line, _), value) in docs.iter().zip(parsed) {
        if let Some(value) = value? {
            collect(file, *line, value, &mut out)?;
        }
    }
    Ok(out)
}

/// One YAML document (starting at `line`) as a value; `None` when empty.
fn parse_doc(file: &str, (line, doc): &(usize, &str)) -> Result<Option<Value>, String> {
    match serde_norway::Deserializer::from_str(doc)
        .next()
        .map(Value::deserialize)
    {
        None => Ok(None),
        Some(Ok(v)) => Ok(Some(v)),
        Some(Err(e)) => {
            let at = e.location().map_or(*line, |l| line + l.line() - 1);
            Err(format!(
                "{file}:{at}: not YAML: {}",
                first_line(&e.to_string())
            ))
        }
    }
}

/// Splits multi-document YAML at `---` lines, with each document's first
/// line number, so errors count lines in the whole file.
pub fn documents(text: &str) -> Vec<(usize, &str)> {
    let mut docs = Vec::new();
    let mut start = 0;
    let mut start_line = 1;
    let mut offset = 0;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        if line
            .strip_prefix("---")
            .is_some_and(|r| r.trim().is_empty())
        {
            docs.push((start_line, text.get(start..offset).unwrap_or("")));
            start = offset + line.len();
            start_line = n + 2;
        }
        offset += line.len();
    }
    docs.push((start_line, text.get(start..).unwrap_or("")));
    docs.retain(|(_, d)| !d.trim().is_empty());
    docs
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

fn collect(
    file: &str,
    line: usize,
    value: Value,
    out: &mut Vec<VirtualService>,
) -> Result<(), String> {
    match value {
        Value::Null => Ok(()),
        Value::Array(items) => {
            for v in items {
                collect(file, line, v, out)?;
            }
            Ok(())
        }
        Value::Object(mut map) => {
            let kind = map.get("kind").and_then(Value::as_str).unwrap_or("");
            if kind == "List" || kind == "VirtualServiceList" {
                let kind = kind.to_string();
                let Some(Value::Array(items)) = map.remove("items") else {
                    return Err(format!("{file}:{line}: kind {kind}: items must be a list"));
                };
                for (i, v) in items.into_iter().enumerate() {
                    collect(file, line, v, out).map_err(|e| format!("{e} (items[{i}])"))?;
                }
                return Ok(());
            }
            out.push(one(file, line, map)?);
            Ok(())
        }
        _ => Err(format!(
            "{file}:{line}: a document must be an object, a list or kind: List"
        )),
    }
}

fn one(
    file: &str,
    line: usize,
    mut v: serde_json::Map<String, Value>,
) -> Result<VirtualService, String> {
    let at = |field: &str, msg: &str| format!("{file}:{line}: {field}: {msg}");
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind != "VirtualService" {
        return Err(at(
            "kind",
            &format!(
                "{kind:?} is not a VirtualService (only VirtualServices and kind: List are read)"
            ),
        ));
    }
    let api = v.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    if !API_VERSIONS.contains(&api) {
        return Err(at(
            "apiVersion",
            &format!("{api:?} is not one of {}", API_VERSIONS.join(", ")),
        ));
    }
    let spec = v.remove("spec").unwrap_or(Value::Null);
    let meta = v.get("metadata");
    let text = |field: &str| meta.and_then(|m| m.get(field)).and_then(Value::as_str);
    let name = text("name").ok_or_else(|| at("metadata.name", "is required"))?;
    let namespace = text("namespace").unwrap_or("default");
    let created = text("creationTimestamp").unwrap_or("");
    let vs_at =
        |field: &str, msg: &str| format!("{file}:{line}: {namespace}/{name}: {field}: {msg}");
    if !spec.is_object() {
        return Err(vs_at("spec", "is required and must be an object"));
    }
    let strings = |field: &str| -> Result<Vec<String>, String> {
        match spec.get(field) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    h.as_str()
                        .map(str::to_ascii_lowercase)
                        .ok_or_else(|| vs_at(&format!("spec.{field}[{i}]"), "must be a string"))
                })
                .collect(),
            Some(_) => Err(vs_at(&format!("spec.{field}"), "must be a list of strings")),
        }
    };
    let hosts = strings("hosts")?;
    let gateways = strings("gateways")?;
    match spec.get("http") {
        None | Some(Value::Null) | Some(Value::Array(_)) => {}
        Some(_) => return Err(vs_at("spec.http", "must be a list")),
    }
    Ok(VirtualService {
        file: file.to_string(),
        line,
        namespace: namespace.to_string(),
        name: name.to_string(),
        created: created.to_string(),
        hosts,
        gateways,
        spec,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    const VS: &str = "apiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata:\n  name: a\n  namespace: kfaas-system\nspec:\n  hosts: [H]\n  gateways: [g]\n  http: []\n";

    #[test]
    fn multi_document_and_list() {
        let text = format!("{VS}---\n---\napiVersion: v1\nkind: List\nitems:\n- {}\n", "{apiVersion: networking.istio.io/v1, kind: VirtualService, metadata: {name: b}, spec: {}}");
        let vs = read("f.yaml", &text).unwrap();
        assert_eq!(vs.len(), 2);
        assert_eq!(vs[0].hosts, ["h"]);
        assert_eq!(vs[1].id(), "default/b");
        assert_eq!(vs[1].line, 12);
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let text = format!("{VS}---\nkind: Gateway\n");
        assert_eq!(
            read("f.yaml", &text).unwrap_err(),
            "f.yaml:11: kind: \"Gateway\" is not a VirtualService (only VirtualServices and kind: List are read)"
        );
        let broken = format!("{VS}---\na: [\n");
        assert!(
            read("f.yaml", &broken).unwrap_err().starts_with("f.yaml:1"),
            "{}",
            read("f.yaml", &broken).unwrap_err()
        );
        let bad = VS.replace("http: []", "http: 3");
        assert_eq!(
            read("f.yaml", &bad).unwrap_err(),
            "f.yaml:1: kfaas-system/a: spec.http: must be a list"
        );
        let json = "{\"kind\": \"VirtualService\",\n \"apiVersion\": \"v2\"}";
        assert!(read("f.json", json).unwrap_err().contains("apiVersion"));
        assert!(read("f.json", "{\n\n,")
            .unwrap_err()
            .starts_with("f.json:3: not JSON"));
    }
}
