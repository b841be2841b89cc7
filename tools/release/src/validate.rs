//! Checks of rendered manifests: Istio's schemas and their CEL rules (`cel`), the project's
//! pinning policy, each pluginConfig against its filter's parser, subsets that exist, the
//! shipped gateway's core Kubernetes objects and the selectors that must match its pods
//! (`workload`), and digests that match the built modules. WasmPlugins and TrafficExtensions are checked alike
//! (`traffic_extension::as_wasm_plugin`), each problem named in the object's own fields.

use crate::render::resource_name;
use crate::schema::Schemas;
use crate::traffic_extension::{as_wasm_plugin, is_plugin, te_field};
use crate::{image_name_of_url, locate, module_for_image, oci, plugin_config};
use anyhow::Result;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub use crate::problem::Problem;

/// A problem of `doc` at `field`; a plugin's field is given in the WasmPlugin layout and named
/// where a TrafficExtension holds it.
fn problem(doc: &Value, field: &str, message: impl Into<String>) -> Problem {
    let field = if doc["kind"] == crate::traffic_extension::KIND {
        te_field(field)
    } else {
        field.to_string()
    };
    Problem {
        resource: resource_name(doc),
        field,
        message: message.into(),
    }
}

/// Every problem of every resource (empty = valid).
pub fn check_resources(docs: &[Value], schemas: &Schemas) -> Vec<Problem> {
    let mut problems = Vec::new();
    for doc in docs {
        // Core Kubernetes kinds (a Service, the kfaas gateway's Deployment, autoscaler and
        // disruption budget) have no CRD here: the API server's built-in schemas judge them;
        // `workload` checks the fields the install depends on.
        if crate::workload::is_core(doc) {
            problems.extend(crate::workload::structure(doc));
            continue;
        }
        match schemas.validate(doc) {
            Err(message) => problems.push(problem(doc, "apiVersion", message)),
            Ok(errors) => problems.extend(
                errors
                    .into_iter()
                    .map(|(pointer, message)| problem(doc, &pointer_field(&pointer), message)),
            ),
        }
        for (field, message) in schemas.cel(doc) {
            problems.push(Problem {
                resource: resource_name(doc),
                field,
                message: format!("CEL: {message}"),
            });
        }
        if is_plugin(doc) {
            check_plugin(&as_wasm_plugin(doc), &mut problems);
        }
    }
    check_subsets(docs, &mut problems);
    problems.extend(crate::workload::selections(docs));
    problems
}

/// "/spec/match/0/mode" → "spec.match[0].mode"; the root → "(resource)".
fn pointer_field(pointer: &str) -> String {
    let mut field = String::new();
    for part in pointer.split('/').skip(1) {
        if part.parse::<usize>().is_ok() {
            field.push_str(&format!("[{part}]"));
        } else {
            if !field.is_empty() {
                field.push('.');
            }
            field.push_str(&part.replace("~1", "/").replace("~0", "~"));
        }
    }
    if field.is_empty() {
        "(resource)".into()
    } else {
        field
    }
}

/// A WasmPlugin, or a TrafficExtension seen as one (`as_wasm_plugin`).
fn check_plugin(doc: &Value, problems: &mut Vec<Problem>) {
    let spec = &doc["spec"];
    // Policy: every plugin is an OCI image pinned by digest and pulled once.
    let url = spec["url"].as_str().unwrap_or_default();
    let image = image_name_of_url(url);
    match image {
        None => problems.push(problem(
            doc,
            "spec.url",
            format!("{url:?} is not an oci:// image url"),
        )),
        Some(name) if module_for_image(name).is_none() => problems.push(problem(
            doc,
            "spec.url",
            format!("image {name:?} is none of our filters"),
        )),
        Some(_) => {}
    }
    let sha = spec["sha256"].as_str().unwrap_or_default();
    if sha.len() != 64 || !sha.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        problems.push(problem(
            doc,
            "spec.sha256",
            "must pin the image digest (64 lowercase hex digits)",
        ));
    }
    if spec["imagePullPolicy"] != "IfNotPresent" {
        problems.push(problem(
            doc,
            "spec.imagePullPolicy",
            "must be IfNotPresent (the digest is pinned)",
        ));
    }
    if let Some(name) = image {
        let config = spec
            .get("pluginConfig")
            .cloned()
            .unwrap_or(Value::Object(Default::default()));
        for (field, message) in plugin_config::check(name, &config).into_iter().flatten() {
            let field = if field.is_empty() || field == "." {
                "spec.pluginConfig".to_string()
            } else {
                format!("spec.pluginConfig.{field}")
            };
            problems.push(problem(doc, &field, message));
        }
    }
}

/// What the modelled install would do with the overlay (`istiod::check`): unprotected or
/// doubly protected listeners, plugins selecting nothing, missing JWKS clusters, … — and the
/// project's policy that every plugin names its image pull Secret.
pub fn check_mesh(docs: &[Value]) -> Vec<Problem> {
    let mut problems: Vec<Problem> = docs
        .iter()
        .filter(|d| is_plugin(d) && as_wasm_plugin(d)["spec"]["imagePullSecret"].is_null())
        .map(|d| {
            problem(
                d,
                "spec.imagePullSecret",
                "missing: istio-agent pulls without the kubelet's credentials (wasm-images.yaml)",
            )
        })
        .collect();
    match crate::istiod::check::check(docs) {
        Ok(found) => problems.extend(found),
        Err(e) => problems.push(Problem {
            resource: "overlay".into(),
            field: "(model)".into(),
            message: format!("{e:#}"),
        }),
    }
    problems
}

/// A route to a subset that no DestinationRule of that host defines sends traffic nowhere.
fn check_subsets(docs: &[Value], problems: &mut Vec<Problem>) {
    let mut subsets: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for doc in docs.iter().filter(|d| d["kind"] == "DestinationRule") {
        let host = doc["spec"]["host"].as_str().unwrap_or_default();
        let names = doc["spec"]["subsets"].as_array().into_iter().flatten();
        subsets
            .entry(host)
            .or_default()
            .extend(names.filter_map(|s| s["name"].as_str()));
    }
    for doc in docs.iter().filter(|d| d["kind"] == "VirtualService") {
        for (i, rule) in doc["spec"]["http"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            for (j, route) in rule["route"].as_array().into_iter().flatten().enumerate() {
                let dest = &route["destination"];
                let (Some(host), Some(subset)) = (dest["host"].as_str(), dest["subset"].as_str())
                else {
                    continue;
                };
                if !subsets.get(host).is_some_and(|s| s.contains(subset)) {
                    problems.push(problem(
                        doc,
                        &format!("spec.http[{i}].route[{j}].destination.subset"),
                        format!("no DestinationRule for {host} defines subset {subset:?}"),
                    ));
                }
            }
        }
    }
}

/// The digest of the image `make oci` builds from each module in `dist`, by image name.
pub fn built_digests(dist: &Path) -> Result<BTreeMap<String, String>> {
    let mut digests = BTreeMap::new();
    for (image, module) in crate::FILTERS {
        let wasm = std::fs::read(locate::dist_module(dist, module)?)?;
        let built = oci::build_image(image, "latest", &wasm)?;
        digests.insert(image.to_string(), built.manifest_digest);
    }
    Ok(digests)
}

/// Plugins whose pinned sha256 is not the digest of the image built from `dist`.
pub fn check_digests(docs: &[Value], digests: &BTreeMap<String, String>) -> Vec<Problem> {
    let mut problems = Vec::new();
    for doc in docs.iter().filter(|d| is_plugin(d)).map(as_wasm_plugin) {
        let doc = &doc;
        let url = doc["spec"]["url"].as_str().unwrap_or_default();
        let Some(image) = image_name_of_url(url) else {
            continue;
        };
        let Some(want) = digests.get(image) else {
            continue;
        };
        let have = doc["spec"]["sha256"].as_str().unwrap_or_default();
        if have != want {
            problems.push(problem(
                doc,
                "spec.sha256",
                format!(
                    "pins {have:?} but the image built from dist/ has {want}: run `make manifests`"
                ),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::pointer_field;

    #[test]
    fn pointers_become_field_paths() {
        assert_eq!(pointer_field("/spec/match/0/mode"), "spec.match[0].mode");
        assert_eq!(pointer_field(""), "(resource)");
        assert_eq!(
            pointer_field("/metadata/labels/a~1b"),
            "metadata.labels.a/b"
        );
    }
}
