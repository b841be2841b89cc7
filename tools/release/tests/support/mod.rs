//! What the manifest tests share: Istio's schemas, rendering, fixtures, and asserting that a
//! problem names an object and a field.
#![allow(dead_code)] // each test file uses its own part

use release::validate::Problem;
use release::{locate, render, schema::Schemas};
use serde_json::Value;
use std::path::Path;
use std::sync::OnceLock;

pub fn schemas() -> &'static Schemas {
    static SCHEMAS: OnceLock<Schemas> = OnceLock::new();
    SCHEMAS.get_or_init(|| Schemas::load_all(&locate::crd_bundles().unwrap()).unwrap())
}

pub fn rendered(overlay: &Path) -> Vec<Value> {
    let kubectl = locate::kubectl().unwrap();
    render::documents(&render::kustomize(&kubectl, overlay).unwrap()).unwrap()
}

pub fn fixture(name: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    render::documents(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub fn problems_of(problems: &[Problem], resource: &str) -> Vec<String> {
    problems
        .iter()
        .filter(|p| p.resource.ends_with(resource))
        .map(|p| format!("{}: {}", p.field, p.message))
        .collect()
}

/// Asserts that some problem of `resource` names `field` (and, if given, says `words`).
pub fn assert_named(problems: &[Problem], resource: &str, field: &str, words: &str) {
    let mine = problems_of(problems, resource);
    assert!(
        mine.iter()
            .any(|p| p.starts_with(field) && p.contains(words)),
        "{resource}: expected a problem at {field} saying {words:?}, got {mine:#?}"
    );
}

/// Asserts the pinning policy's three problems of an unpinned plugin, whose image fields sit
/// under `at` (`spec.` for a WasmPlugin, `spec.wasm.` for a TrafficExtension).
pub fn assert_unpinned(problems: &[Problem], resource: &str, at: &str) {
    assert_named(
        problems,
        resource,
        &format!("{at}url"),
        "not an oci:// image",
    );
    assert_named(problems, resource, &format!("{at}sha256"), "must pin");
    assert_named(
        problems,
        resource,
        &format!("{at}imagePullPolicy"),
        "IfNotPresent",
    );
}

pub fn join(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}
