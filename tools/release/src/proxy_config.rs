//! The kfaas gateway's `proxy.istio.io/config` annotation, generated from the one source of
//! truth for what the filters need exported: `meshConfig.defaultConfig` of
//! `wasmplugins/observability/istio-values.yaml` (its `proxyStatsMatcher` and `extraStatTags`,
//! whatever form they take there). istio-agent reads that pod annotation as a ProxyConfig
//! that overrides the mesh default, so the shipped gateway exports the filters' metrics even
//! where istiod was installed without those values.
//!
//! `make manifests` writes it into `wasmplugins/base/kfaas-gateway.yaml` (`release
//! proxy-config`, `write`); `release check` fails when the file (`stale`) or a rendered
//! overlay (`check_rendered`) carries anything else.

use crate::problem::Problem;
use crate::render::{documents, resource_name};
use anyhow::{bail, Context, Result};
use serde_json::{Map, Value};
use std::path::Path;

/// The Helm values for istiod, from the workspace root.
pub const VALUES: &str = "wasmplugins/observability/istio-values.yaml";
/// The file holding the shipped gateway Deployment, from the workspace root.
pub const GATEWAY: &str = "wasmplugins/base/kfaas-gateway.yaml";
/// The pod annotation istio-agent merges over `meshConfig.defaultConfig`.
pub const ANNOTATION: &str = "proxy.istio.io/config";
/// The ProxyConfig fields the annotation carries from the values file.
pub const FIELDS: [&str; 2] = ["proxyStatsMatcher", "extraStatTags"];

/// `meshConfig.defaultConfig`'s `proxyStatsMatcher` and `extraStatTags` of a values file's
/// text, as one ProxyConfig object (fields absent there are absent here).
pub fn from_values(values_yaml: &str) -> Result<Value> {
    let docs = documents(values_yaml)?;
    let Some(values) = docs.first() else {
        bail!("{VALUES} is empty");
    };
    let default_config = &values["meshConfig"]["defaultConfig"];
    let mut out = Map::new();
    for field in FIELDS {
        if let Some(v) = default_config.get(field) {
            out.insert(field.to_string(), v.clone());
        }
    }
    if out.is_empty() {
        bail!("{VALUES}: meshConfig.defaultConfig has neither proxyStatsMatcher nor extraStatTags");
    }
    Ok(Value::Object(out))
}

/// The ProxyConfig of the values file under `root`.
pub fn load(root: &Path) -> Result<Value> {
    let path = root.join(VALUES);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    from_values(&text).with_context(|| VALUES.to_string())
}

/// `gateway_yaml` with the annotation's block replaced by `config` (YAML literal block,
/// indented under the key). The annotation key must already be in the file.
pub fn with_annotation(gateway_yaml: &str, config: &Value) -> Result<String> {
    let body = serde_norway::to_string(config)?;
    let lines: Vec<&str> = gateway_yaml.lines().collect();
    let key = format!("{ANNOTATION}:");
    let Some(at) = lines.iter().position(|l| l.trim_start().starts_with(&key)) else {
        bail!("{GATEWAY}: no `{ANNOTATION}` annotation to fill in");
    };
    let indent = lines[at].len() - lines[at].trim_start().len();
    let end = lines[at + 1..]
        .iter()
        .position(|l| !l.trim().is_empty() && l.len() - l.trim_start().len() <= indent)
        .map_or(lines.len(), |n| at + 1 + n);
    let mut out: Vec<String> = lines[..at].iter().map(|l| l.to_string()).collect();
    out.push(format!("{}{key} |", " ".repeat(indent)));
    out.extend(
        body.lines()
            .map(|l| format!("{}{l}", " ".repeat(indent + 2))),
    );
    out.extend(lines[end..].iter().map(|l| l.to_string()));
    let mut text = out.join("\n");
    if gateway_yaml.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

/// Writes the annotation generated from the values file into the gateway file under `root`;
/// true when the file changed.
pub fn write(root: &Path) -> Result<bool> {
    let config = load(root)?;
    let path = root.join(GATEWAY);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let new = with_annotation(&text, &config)?;
    if new != text {
        std::fs::write(&path, new)?;
        return Ok(true);
    }
    Ok(false)
}

/// A problem when the committed gateway file is not what `write` would make of it.
pub fn stale(root: &Path) -> Result<Option<Problem>> {
    let config = load(root)?;
    let text = std::fs::read_to_string(root.join(GATEWAY))?;
    if with_annotation(&text, &config)? == text {
        return Ok(None);
    }
    Ok(Some(Problem {
        resource: GATEWAY.into(),
        field: format!("spec.template.metadata.annotations[{ANNOTATION}]"),
        message: format!("not what {VALUES} generates: run `make manifests`"),
    }))
}

/// Is this a Deployment whose pods get Istio's gateway injection?
pub fn is_gateway_deployment(doc: &Value) -> bool {
    doc["kind"] == "Deployment"
        && doc["spec"]["template"]["metadata"]["annotations"]["inject.istio.io/templates"]
            == "gateway"
}

/// Every rendered gateway Deployment whose annotation is missing or says anything else than
/// `config` (compared as data, so only a real difference counts).
pub fn check_rendered(docs: &[Value], config: &Value) -> Vec<Problem> {
    let field = format!("spec.template.metadata.annotations[{ANNOTATION}]");
    let mut problems = Vec::new();
    for doc in docs.iter().filter(|d| is_gateway_deployment(d)) {
        let have = &doc["spec"]["template"]["metadata"]["annotations"][ANNOTATION];
        let message = match have.as_str().map(documents) {
            None => format!(
                "missing: the filters' metrics would not be exported (generate it from {VALUES} with `make manifests`)"
            ),
            Some(Err(e)) => format!("not YAML: {e:#}"),
            Some(Ok(parsed)) if parsed.first() == Some(config) => continue,
            Some(Ok(_)) => format!(
                "differs from meshConfig.defaultConfig of {VALUES} ({}): run `make manifests`",
                FIELDS.join(", ")
            ),
        };
        problems.push(Problem {
            resource: resource_name(doc),
            field: field.clone(),
            message,
        });
    }
    problems
}

/// The annotation value as istio-agent would read it, for tests.
pub fn annotation_of(doc: &Value) -> Option<Value> {
    let text = doc["spec"]["template"]["metadata"]["annotations"][ANNOTATION].as_str()?;
    documents(text).ok()?.into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const VALUES_TEXT: &str = "meshConfig:\n  defaultConfig:\n    proxyStatsMatcher:\n      inclusionRegexps: ['wasmcustom\\.jwt_auth\\..*']\n    extraStatTags: [result]\n    holdApplicationUntilProxyStarts: true\n";

    #[test]
    fn only_the_two_fields_are_taken() {
        let c = from_values(VALUES_TEXT).unwrap();
        assert_eq!(
            c,
            json!({"proxyStatsMatcher": {"inclusionRegexps": ["wasmcustom\\.jwt_auth\\..*"]},
                   "extraStatTags": ["result"]})
        );
        assert!(from_values("meshConfig: {}\n").is_err());
    }

    #[test]
    fn the_block_is_replaced_and_the_rest_kept() {
        let file = "a:\n  annotations:\n    x: y\n    proxy.istio.io/config: |\n      old: 1\n      more:\n      - 2\n    z: w\n  labels: {}\n";
        let c = from_values(VALUES_TEXT).unwrap();
        let out = with_annotation(file, &c).unwrap();
        assert!(out.starts_with("a:\n  annotations:\n    x: y\n    proxy.istio.io/config: |\n"));
        assert!(out.ends_with("    z: w\n  labels: {}\n"), "{out}");
        assert!(!out.contains("old: 1"));
        let doc = &documents(&out).unwrap()[0];
        let text = doc["a"]["annotations"][ANNOTATION].as_str().unwrap();
        assert_eq!(documents(text).unwrap()[0], c);
        // Idempotent: writing twice changes nothing.
        assert_eq!(with_annotation(&out, &c).unwrap(), out);
        assert!(with_annotation("a: 1\n", &c).is_err());
    }

    #[test]
    fn a_rendered_gateway_must_carry_the_same_config() {
        let c = from_values(VALUES_TEXT).unwrap();
        let deployment = |annotation: Option<&str>| {
            let mut d = json!({"kind": "Deployment",
                "metadata": {"name": "g", "namespace": "n"},
                "spec": {"template": {"metadata": {"annotations": {
                    "inject.istio.io/templates": "gateway"}}}}});
            if let Some(a) = annotation {
                d["spec"]["template"]["metadata"]["annotations"][ANNOTATION] = json!(a);
            }
            d
        };
        let good = serde_norway::to_string(&c).unwrap();
        assert!(check_rendered(&[deployment(Some(&good))], &c).is_empty());
        let missing = check_rendered(&[deployment(None)], &c);
        assert!(missing[0].message.starts_with("missing"), "{missing:?}");
        let other = check_rendered(&[deployment(Some("extraStatTags: [lane]\n"))], &c);
        assert!(other[0].message.contains("differs"), "{other:?}");
        assert_eq!(
            other[0].field,
            "spec.template.metadata.annotations[proxy.istio.io/config]"
        );
    }
}
