//! The combined kfaas-gateway module (filters/kfaas-gateway) as the model sees it: one
//! WasmPlugin whose sections are jwt-auth's, grey-chain's and faas-router's configurations is
//! three plugins in a row, each with its section, in the module's order (jwt-auth, then
//! grey-chain, then faas-router) at its phase. Every check of the three then applies to it.

use crate::image_name_of_url;
use serde_json::Value;

/// The combined module's image, and its sections in order with the image each stands for.
const IMAGE: &str = "kfaas-gateway";
const STAGES: [(&str, &str); 3] = [
    ("jwtAuth", "jwt-auth"),
    ("greyChain", "grey-chain"),
    ("faasRouter", "faas-router"),
];

/// `docs` (WasmPlugin layout) with every kfaas-gateway plugin replaced by its stages; a
/// missing section is a stage switched off.
pub fn as_stages(docs: Vec<Value>) -> Vec<Value> {
    let mut out = Vec::with_capacity(docs.len());
    for doc in docs {
        let url = doc["spec"]["url"].as_str().unwrap_or_default();
        if doc["kind"] != "WasmPlugin" || image_name_of_url(url) != Some(IMAGE) {
            out.push(doc);
            continue;
        }
        let priority = doc["spec"]["priority"].as_i64().unwrap_or(0);
        for (rank, (section, image)) in (0i64..).zip(STAGES) {
            let config = &doc["spec"]["pluginConfig"][section];
            if config.is_null() {
                continue;
            }
            let mut stage = doc.clone();
            stage["spec"]["url"] = Value::String(url.replacen(IMAGE, image, 1));
            stage["spec"]["pluginConfig"] = config.clone();
            // Istio runs a higher priority first within a phase.
            stage["spec"]["priority"] = Value::from(priority - rank);
            out.push(stage);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_plugin_becomes_its_configured_stages_in_order() {
        let doc = json!({"kind": "WasmPlugin", "metadata": {"name": "kfaas-gateway"},
            "spec": {"url": "oci://r/kfaas/kfaas-gateway:0.1.0", "priority": 10,
                     "pluginConfig": {"jwtAuth": {"a": 1}, "faasRouter": {"b": 2}}}});
        let other = json!({"kind": "WasmPlugin", "spec": {"url": "oci://r/kfaas/jwt-auth:0.1.0"}});
        let out = as_stages(vec![doc, other.clone()]);
        let urls: Vec<&str> = out
            .iter()
            .filter_map(|d| d["spec"]["url"].as_str())
            .collect();
        assert_eq!(
            urls,
            [
                "oci://r/kfaas/jwt-auth:0.1.0",
                "oci://r/kfaas/faas-router:0.1.0",
                "oci://r/kfaas/jwt-auth:0.1.0"
            ]
        );
        assert_eq!(out[0]["spec"]["pluginConfig"], json!({"a": 1}));
        assert_eq!(out[1]["spec"]["priority"], 8);
        assert_eq!(out[2], other);
    }
}
