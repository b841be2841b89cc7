//! How a WasmPlugin maps to a `TrafficExtension` (extensions.istio.io/v1alpha1, Istio ≥ 1.30)
//! and back, field by field (the README's mapping table is this code):
//!
//! | WasmPlugin `spec.` | TrafficExtension `spec.` |
//! |---|---|
//! | `selector`, `targetRefs` | `selector`, `targetRefs` |
//! | `targetRef` | `targetRefs: [targetRef]` |
//! | `phase` (`UNSPECIFIED_PHASE`) | `phase` (`UNSPECIFIED`) |
//! | `priority`, `match` | `priority`, `match` |
//! | `url`, `sha256`, `pluginConfig`, `pluginName`, `failStrategy`, `imagePullPolicy`, `imagePullSecret`, `vmConfig`, `type`, `verificationKey` | `wasm.` the same name |
//!
//! `from_wasm_plugin` generates the TrafficExtension flavour (`make manifests`); `as_wasm_plugin`
//! is the other direction, for the istiod model: Istio 1.30 turns every WasmPlugin into a
//! TrafficExtension internally and serves both alike, so the model treats a TrafficExtension
//! with `wasm` exactly as the WasmPlugin it is equivalent to (a Lua one is not modelled).

use serde_json::{json, Map, Value};

pub const API_VERSION: &str = "extensions.istio.io/v1alpha1";
pub const KIND: &str = "TrafficExtension";

/// WasmPlugin `spec` fields that move under TrafficExtension `spec.wasm`.
const WASM_FIELDS: [&str; 10] = [
    "url",
    "sha256",
    "pluginConfig",
    "pluginName",
    "failStrategy",
    "imagePullPolicy",
    "imagePullSecret",
    "vmConfig",
    "type",
    "verificationKey",
];
/// WasmPlugin `spec` fields kept at the top of TrafficExtension `spec`.
const TOP_FIELDS: [&str; 5] = ["selector", "targetRefs", "priority", "match", "phase"];

fn phase_to_te(phase: &Value) -> Value {
    if phase == "UNSPECIFIED_PHASE" {
        json!("UNSPECIFIED")
    } else {
        phase.clone()
    }
}

/// The TrafficExtension equivalent to `plugin`; Err names a WasmPlugin field it cannot carry.
pub fn from_wasm_plugin(plugin: &Value) -> Result<Value, String> {
    let spec = plugin["spec"].as_object().cloned().unwrap_or_default();
    let mut top = Map::new();
    let mut wasm = Map::new();
    for (key, value) in spec {
        if WASM_FIELDS.contains(&key.as_str()) {
            wasm.insert(key, value);
        } else if key == "phase" {
            top.insert(key, phase_to_te(&value));
        } else if TOP_FIELDS.contains(&key.as_str()) {
            top.insert(key, value);
        } else if key == "targetRef" {
            top.insert("targetRefs".into(), json!([value]));
        } else {
            return Err(format!("spec.{key}: no TrafficExtension counterpart"));
        }
    }
    top.insert("wasm".into(), Value::Object(wasm));
    let mut metadata = Map::new();
    for key in ["name", "namespace", "labels", "annotations"] {
        if let Some(v) = plugin["metadata"].get(key) {
            metadata.insert(key.into(), v.clone());
        }
    }
    Ok(json!({
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": metadata,
        "spec": top,
    }))
}

/// A TrafficExtension with `wasm` seen as the WasmPlugin it is equivalent to (WasmPlugin spec
/// layout; `kind` stays TrafficExtension so messages name the real object); anything else
/// unchanged.
pub fn as_wasm_plugin(doc: &Value) -> Value {
    if doc["kind"] != KIND || !doc["spec"]["wasm"].is_object() {
        return doc.clone();
    }
    let mut spec = doc["spec"]["wasm"].as_object().cloned().unwrap_or_default();
    for key in TOP_FIELDS {
        if let Some(v) = doc["spec"].get(key) {
            let v = if key == "phase" && v == "UNSPECIFIED" {
                json!("UNSPECIFIED_PHASE")
            } else {
                v.clone()
            };
            spec.insert(key.into(), v);
        }
    }
    let mut out = doc.clone();
    out["spec"] = Value::Object(spec);
    out
}

/// A WasmPlugin-layout field path (`spec.url`, `spec.pluginConfig.x`) as the TrafficExtension
/// field that holds it (`spec.wasm.url`, …).
pub fn te_field(field: &str) -> String {
    let Some(rest) = field.strip_prefix("spec.") else {
        return field.to_string();
    };
    let head = rest.split(['.', '[']).next().unwrap_or_default();
    if WASM_FIELDS.contains(&head) {
        format!("spec.wasm.{rest}")
    } else {
        field.to_string()
    }
}

/// Resources that run one of our modules: WasmPlugins and TrafficExtensions with `wasm`.
pub fn is_plugin(doc: &Value) -> bool {
    doc["kind"] == "WasmPlugin" || (doc["kind"] == KIND && doc["spec"]["wasm"].is_object())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plugin() -> Value {
        json!({
            "apiVersion": "extensions.istio.io/v1alpha1", "kind": "WasmPlugin",
            "metadata": {"name": "jwt-auth", "namespace": "kfaas-system", "labels": {"a": "b"}},
            "spec": {
                "selector": {"matchLabels": {"istio": "kfaas-gateway"}},
                "url": "oci://r/kfaas/jwt-auth:0.1.0", "sha256": "ab", "imagePullPolicy": "IfNotPresent",
                "imagePullSecret": "pull", "phase": "AUTHN", "priority": 1000,
                "failStrategy": "FAIL_CLOSE", "pluginConfig": {"x": 1},
                "match": [{"mode": "CLIENT", "ports": [{"number": 8080}]}]
            }
        })
    }

    #[test]
    fn wasm_fields_move_under_wasm_and_back() {
        let te = from_wasm_plugin(&plugin()).unwrap();
        assert_eq!(te["kind"], "TrafficExtension");
        assert_eq!(te["metadata"]["labels"]["a"], "b");
        assert_eq!(te["spec"]["wasm"]["url"], "oci://r/kfaas/jwt-auth:0.1.0");
        assert_eq!(te["spec"]["wasm"]["pluginConfig"]["x"], 1);
        assert_eq!(te["spec"]["phase"], "AUTHN");
        assert_eq!(te["spec"]["match"][0]["ports"][0]["number"], 8080);
        assert!(te["spec"]["url"].is_null());
        let back = as_wasm_plugin(&te);
        assert_eq!(back["spec"], plugin()["spec"]);
        assert_eq!(back["kind"], "TrafficExtension");
    }

    #[test]
    fn phase_names_and_target_ref_differ() {
        let mut p = plugin();
        p["spec"]["phase"] = json!("UNSPECIFIED_PHASE");
        p["spec"].as_object_mut().unwrap().remove("selector");
        p["spec"]["targetRef"] =
            json!({"kind": "Gateway", "group": "gateway.networking.k8s.io", "name": "g"});
        let te = from_wasm_plugin(&p).unwrap();
        assert_eq!(te["spec"]["phase"], "UNSPECIFIED");
        assert_eq!(te["spec"]["targetRefs"][0]["name"], "g");
        assert_eq!(as_wasm_plugin(&te)["spec"]["phase"], "UNSPECIFIED_PHASE");
        p["spec"]["futureField"] = json!(1);
        assert_eq!(
            from_wasm_plugin(&p).unwrap_err(),
            "spec.futureField: no TrafficExtension counterpart"
        );
    }

    #[test]
    fn fields_are_named_where_the_extension_holds_them() {
        assert_eq!(te_field("spec.url"), "spec.wasm.url");
        assert_eq!(
            te_field("spec.pluginConfig.jwtRules[0]"),
            "spec.wasm.pluginConfig.jwtRules[0]"
        );
        assert_eq!(te_field("spec.match[0].mode"), "spec.match[0].mode");
        assert_eq!(te_field("spec"), "spec");
    }
}
