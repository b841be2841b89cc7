//! Istio's and the Gateway API's CRD OpenAPI v3 schemas as JSON Schemas. Two adjustments make
//! a plain JSON-Schema validator judge like the API server with strict field validation (`kubectl apply
//! --validate=strict`): `nullable` admits null, and an object that lists its properties and
//! does not preserve unknown fields refuses any other field — otherwise a typo such as
//! `failStratgy` would be pruned silently and the plugin would run with the default.
//! CEL rules (`x-kubernetes-validations`) are not JSON Schema: `cel` evaluates the shapes it
//! recognises, on the same schemas (`Schemas::cel`).

use crate::render::documents;
use anyhow::{Context, Result};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// Validators by "group/version/Kind", e.g. "extensions.istio.io/v1alpha1/WasmPlugin".
pub struct Schemas {
    validators: BTreeMap<String, jsonschema::Validator>,
    /// The openAPIV3Schema as the CRD has it, for its CEL rules.
    raw: BTreeMap<String, Value>,
}

impl Schemas {
    /// The schemas of every CRD in `crd_files` (e.g. `locate::crd_bundles`).
    pub fn load_all(crd_files: &[std::path::PathBuf]) -> Result<Self> {
        let mut all = Schemas {
            validators: BTreeMap::new(),
            raw: BTreeMap::new(),
        };
        for file in crd_files {
            let one = Self::load(file)?;
            all.validators.extend(one.validators);
            all.raw.extend(one.raw);
        }
        Ok(all)
    }

    pub fn load(crd_file: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(crd_file)
            .with_context(|| format!("reading {}", crd_file.display()))?;
        let mut validators = BTreeMap::new();
        let mut raw = BTreeMap::new();
        for crd in documents(&text)? {
            if crd["kind"] != "CustomResourceDefinition" {
                continue;
            }
            let group = crd["spec"]["group"].as_str().unwrap_or_default();
            let kind = crd["spec"]["names"]["kind"].as_str().unwrap_or_default();
            for version in crd["spec"]["versions"].as_array().into_iter().flatten() {
                let Some(name) = version["name"].as_str() else {
                    continue;
                };
                let schema = strict(&with_object_meta(&version["schema"]["openAPIV3Schema"]));
                let validator = jsonschema::validator_for(&schema)
                    .map_err(|e| anyhow::anyhow!("schema of {group}/{name}/{kind}: {e}"))?;
                let key = format!("{group}/{name}/{kind}");
                validators.insert(key.clone(), validator);
                raw.insert(key, version["schema"]["openAPIV3Schema"].clone());
            }
        }
        Ok(Self { validators, raw })
    }

    pub fn len(&self) -> usize {
        self.validators.len()
    }

    pub fn is_empty(&self) -> bool {
        self.validators.is_empty()
    }

    /// The CRD's openAPIV3Schema for "group/version/Kind".
    pub fn raw(&self, key: &str) -> Option<&Value> {
        self.raw.get(key)
    }

    /// The CEL rules one resource breaks, as (field path, the CRD's message) (`cel`).
    pub fn cel(&self, doc: &Value) -> Vec<(String, String)> {
        self.raw
            .get(&key_of(doc))
            .map(|schema| crate::cel::violations(schema, doc))
            .unwrap_or_default()
    }

    /// Problems of one resource as (JSON pointer, message); Err when its kind has no schema.
    pub fn validate(&self, doc: &Value) -> Result<Vec<(String, String)>, String> {
        let key = key_of(doc);
        let validator = self
            .validators
            .get(&key)
            .ok_or_else(|| format!("no CRD schema for {key}"))?;
        Ok(validator
            .iter_errors(doc)
            .map(|e| (e.instance_path().to_string(), e.to_string()))
            .collect())
    }
}

/// "group/version/Kind" of a resource ("apiVersion/kind").
fn key_of(doc: &Value) -> String {
    format!(
        "{}/{}",
        doc["apiVersion"].as_str().unwrap_or_default(),
        doc["kind"].as_str().unwrap_or_default()
    )
}

/// CRD schemas leave out what the API server adds to every object: apiVersion, kind and
/// ObjectMeta (the fields a manifest may set), name and namespace required.
fn with_object_meta(schema: &Value) -> Value {
    let mut schema = schema.clone();
    let string = json!({"type": "string"});
    let string_map = json!({"type": "object", "additionalProperties": {"type": "string"}});
    let meta = json!({
        "type": "object",
        "required": ["name", "namespace"],
        "properties": {
            "name": string, "namespace": string, "generateName": string,
            "labels": string_map, "annotations": string_map,
            "finalizers": {"type": "array", "items": string},
        }
    });
    if let Some(props) = schema["properties"].as_object_mut() {
        props.insert("apiVersion".into(), string.clone());
        props.insert("kind".into(), string);
        props.insert("metadata".into(), meta);
    }
    schema
}

/// The schema with `nullable` turned into a null type and unknown fields refused.
fn strict(schema: &Value) -> Value {
    strict_in(schema, false)
}

/// `strict`; `in_logic`: inside `oneOf`/`anyOf`/`allOf`/`not`, whose `properties` only
/// constrain fields the structural schema declares (Kubernetes structural schemas: value
/// validations), so no `additionalProperties: false` is added there — it would refuse the
/// object's other fields in that branch (e.g. a Gateway address `{type: Hostname, value}`
/// against a branch that only lists `type`).
fn strict_in(schema: &Value, in_logic: bool) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out: Map<String, Value> = map
                .iter()
                .map(|(k, v)| {
                    // Property names are data, not schemas: keep the keys, convert the values.
                    if k == "properties" {
                        let props = v
                            .as_object()
                            .map(|p| {
                                p.iter()
                                    .map(|(pk, pv)| (pk.clone(), strict_in(pv, in_logic)))
                                    .collect()
                            })
                            .unwrap_or_default();
                        (k.clone(), Value::Object(props))
                    } else {
                        let logic = matches!(k.as_str(), "oneOf" | "anyOf" | "allOf" | "not");
                        (k.clone(), strict_in(v, in_logic || logic))
                    }
                })
                .collect();
            if out.get("nullable") == Some(&Value::Bool(true)) {
                if let Some(Value::String(t)) = out.get("type").cloned() {
                    out.insert("type".into(), Value::Array(vec![t.into(), "null".into()]));
                }
            }
            let preserves =
                out.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
            if out.contains_key("properties")
                && !in_logic
                && !preserves
                && !out.contains_key("additionalProperties")
            {
                out.insert("additionalProperties".into(), Value::Bool(false));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|i| strict_in(i, in_logic)).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_refuses_unknown_fields_and_admits_null() {
        let s = strict(&json!({
            "type": "object",
            "properties": {
                "a": {"type": "integer", "nullable": true},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                         "properties": {"x": {"type": "string"}}},
                "properties": {"type": "string"}
            }
        }));
        let v = jsonschema::validator_for(&s).unwrap();
        assert!(v.is_valid(&json!({"a": null, "free": {"y": 1}, "properties": "p"})));
        assert!(!v.is_valid(&json!({"b": 1})));
        assert!(!v.is_valid(&json!({"a": "x"})));
    }

    #[test]
    fn one_of_branches_constrain_without_refusing_the_other_fields() {
        // The shape of a Gateway API Gateway address: one branch per `type`.
        let s = strict(&json!({
            "type": "object",
            "properties": {"type": {"type": "string"}, "value": {"type": "string"}},
            "oneOf": [
                {"properties": {"type": {"enum": ["IPAddress"]},
                                "value": {"anyOf": [{"format": "ipv4"}, {"format": "ipv6"}]}}},
                {"properties": {"type": {"not": {"enum": ["IPAddress"]}}}}
            ]
        }));
        let v = jsonschema::validator_for(&s).unwrap();
        assert!(v.is_valid(&json!({"type": "Hostname", "value": "gw.ns.svc.cluster.local"})));
        assert!(!v.is_valid(&json!({"type": "Hostname", "value": "x", "typo": 1})));
    }
}
