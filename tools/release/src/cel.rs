//! The CRDs' CEL rules (`x-kubernetes-validations`) that `release check` evaluates, as the API
//! server would on create: each rule is recognised by its text (whitespace folded) from a few
//! shapes Istio's generated CRDs use, and evaluated on the field it sits on, only when that
//! field is present. A rule of any other shape is not evaluated: `unevaluated` lists them so a
//! test can say which (a CRD update that adds one is noticed there).
//!
//! Recognised shapes (`A`, `B`: field names; `"s"`: a string literal):
//! - `(has(self.A) ? 1 : 0) + (has(self.B) ? 1 : 0) [+ …] <= 1` — at most one of;
//! - `has(self.A) != has(self.B)` — exactly one of; `has(self.A) || has(self.B)` — one of;
//! - `self.size() == 0`, `!self.contains("s")`, `self != "s"`, `0 < self && self <= N`;
//! - `self.all(key, !key.contains("s"))`, `self.all(key, key.size() != 0)`;
//! - `self.all(x, self.exists_one(y, x.A == y.A [&& x.B == y.B …]))` — items unique by fields
//!   (Gateway API: listener names);
//! - Gateway API's backend rule `(size(self.group) == 0 && self.kind == 'Service') ?
//!   has(self.port) : true`, with the schema's defaults (`group` "", `kind` Service) for absent
//!   fields, as the API server defaults before it validates.

use serde_json::Value;

type Check = Box<dyn Fn(&Value) -> bool>;

fn fold(rule: &str) -> String {
    rule.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn has(v: &Value, field: &str) -> bool {
    v.get(field).is_some_and(|f| !f.is_null())
}

fn size(v: &Value) -> usize {
    match v {
        Value::String(s) => s.chars().count(),
        Value::Array(a) => a.len(),
        Value::Object(o) => o.len(),
        _ => 0,
    }
}

/// `"s"` → s (no escapes in the rules recognised).
fn literal(s: &str) -> Option<&str> {
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains(['"', '\\'])).then_some(inner)
}

fn field_of(term: &str) -> Option<String> {
    let f = term.strip_prefix("has(self.")?.strip_suffix(')')?;
    f.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
        .then(|| f.to_string())
}

/// The keys of a map, or the items of a list of strings.
fn keys(v: &Value) -> Vec<String> {
    match v {
        Value::Object(o) => o.keys().cloned().collect(),
        Value::Array(a) => a
            .iter()
            .filter_map(|s| s.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    }
}

/// `x, self.exists_one(y, x.A == y.A && …))` after `self.all(` → the fields A, ….
fn unique_fields(rest: &str) -> Option<Vec<String>> {
    let (x, rest) = rest.split_once(", self.exists_one(")?;
    let (y, cond) = rest.strip_suffix("))")?.split_once(", ")?;
    cond.split(" && ")
        .map(|term| {
            let (l, r) = term.split_once(" == ")?;
            let f = l.strip_prefix(x)?.strip_prefix('.')?;
            let ok = r.strip_prefix(y)?.strip_prefix('.')? == f
                && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            ok.then(|| f.to_string())
        })
        .collect()
}

const SERVICE_NEEDS_PORT: &str =
    "(size(self.group) == 0 && self.kind == 'Service') ? has(self.port) : true";

/// The evaluator of a rule whose shape is recognised.
fn compile(rule: &str) -> Option<Check> {
    let r = fold(rule);
    if let Some(fields) = r.strip_prefix("self.all(").and_then(unique_fields) {
        return Some(Box::new(move |v| {
            let items = v.as_array().cloned().unwrap_or_default();
            let key = |i: &Value| fields.iter().map(|f| i.get(f).cloned()).collect::<Vec<_>>();
            items
                .iter()
                .all(|a| items.iter().filter(|b| key(a) == key(b)).count() == 1)
        }));
    }
    if r == SERVICE_NEEDS_PORT {
        return Some(Box::new(|v| {
            let group = v["group"].as_str().unwrap_or("");
            let kind = v["kind"].as_str().unwrap_or("Service");
            !(group.is_empty() && kind == "Service") || has(v, "port")
        }));
    }
    if let Some(sum) = r.strip_suffix(" <= 1") {
        let fields: Option<Vec<String>> = sum
            .split(" + ")
            .map(|t| {
                let inner = t.strip_prefix('(')?.strip_suffix(" ? 1 : 0)")?;
                field_of(inner)
            })
            .collect();
        let fields = fields?;
        return Some(Box::new(move |v| {
            fields.iter().filter(|f| has(v, f)).count() <= 1
        }));
    }
    for (op, xor) in [(" != ", true), (" || ", false)] {
        if let Some((a, b)) = r.split_once(op) {
            if let (Some(a), Some(b)) = (field_of(a), field_of(b)) {
                return Some(Box::new(move |v| {
                    if xor {
                        has(v, &a) != has(v, &b)
                    } else {
                        has(v, &a) || has(v, &b)
                    }
                }));
            }
        }
    }
    if r == "self.size() == 0" || r == "size(self) == 0" {
        return Some(Box::new(|v| size(v) == 0));
    }
    if r == "self.all(key, key.size() != 0)" {
        return Some(Box::new(|v| keys(v).iter().all(|k| !k.is_empty())));
    }
    if let Some(s) = r
        .strip_prefix("!self.contains(")
        .and_then(|s| s.strip_suffix(')'))
    {
        let s = literal(s)?.to_string();
        return Some(Box::new(move |v| {
            !v.as_str().unwrap_or_default().contains(&s)
        }));
    }
    if let Some(s) = r
        .strip_prefix("self.all(key, !key.contains(")
        .and_then(|s| s.strip_suffix("))"))
    {
        let s = literal(s)?.to_string();
        return Some(Box::new(move |v| keys(v).iter().all(|k| !k.contains(&s))));
    }
    if let Some(s) = r.strip_prefix("self != ") {
        let s = literal(s)?.to_string();
        return Some(Box::new(move |v| v.as_str() != Some(s.as_str())));
    }
    if let Some(max) = r.strip_prefix("0 < self && self <= ") {
        let max: i64 = max.parse().ok()?;
        return Some(Box::new(move |v| {
            v.as_i64().is_some_and(|n| 0 < n && n <= max)
        }));
    }
    None
}

/// Each rule on one schema node: (rule text, message).
fn rules(schema: &Value) -> impl Iterator<Item = (&str, &str)> {
    schema["x-kubernetes-validations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            let rule = r["rule"].as_str()?;
            let message = r["message"].as_str().unwrap_or(rule);
            Some((rule, message))
        })
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The children of `value` with their schemas and field paths.
fn children<'a>(
    schema: &'a Value,
    value: &'a Value,
    path: &str,
) -> Vec<(&'a Value, &'a Value, String)> {
    let mut out = Vec::new();
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let sub = schema["properties"]
                    .get(k)
                    .or_else(|| schema.get("additionalProperties").filter(|a| a.is_object()));
                if let Some(sub) = sub {
                    out.push((sub, v, join(path, k)));
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                out.push((&schema["items"], v, format!("{path}[{i}]")));
            }
        }
        _ => {}
    }
    out
}

/// Every rule `value` breaks under `schema` (an openAPIV3Schema), as (field path, message);
/// rules whose shape is not recognised are skipped.
pub fn violations(schema: &Value, value: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    walk(schema, value, "", &mut out);
    out
}

fn walk(schema: &Value, value: &Value, path: &str, out: &mut Vec<(String, String)>) {
    for (rule, message) in rules(schema) {
        if let Some(check) = compile(rule) {
            if !check(value) {
                let field = if path.is_empty() { "(resource)" } else { path };
                out.push((field.to_string(), message.to_string()));
            }
        }
    }
    for (sub, v, p) in children(schema, value, path) {
        walk(sub, v, &p, out);
    }
}

/// How many rules `schema` holds.
pub fn rule_count(schema: &Value) -> usize {
    let mut all = Vec::new();
    collect(schema, &mut all, false);
    all.len()
}

/// Every rule in `schema` whose shape is not recognised (not evaluated), folded.
pub fn unevaluated(schema: &Value) -> Vec<String> {
    let mut out = Vec::new();
    collect(schema, &mut out, true);
    out
}

/// The rules of `schema` and below (only the unrecognised ones with `unrecognised_only`).
fn collect(schema: &Value, out: &mut Vec<String>, unrecognised_only: bool) {
    match schema {
        Value::Object(map) => {
            for (rule, _) in rules(schema) {
                if !unrecognised_only || compile(rule).is_none() {
                    out.push(fold(rule));
                }
            }
            for (k, v) in map {
                if k == "properties" {
                    for sub in v.as_object().into_iter().flat_map(|p| p.values()) {
                        collect(sub, out, unrecognised_only);
                    }
                } else if k == "items" || k == "additionalProperties" {
                    collect(v, out, unrecognised_only);
                }
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|i| collect(i, out, unrecognised_only)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_of_shapes() {
        let at_most = compile("(has(self.selector) ? 1 : 0) + (has(self.targetRef) ? 1 : 0)\n  + (has(self.targetRefs) ? 1 : 0) <= 1").unwrap();
        assert!(at_most(&json!({"selector": {}})));
        assert!(at_most(&json!({})));
        assert!(!at_most(&json!({"selector": {}, "targetRefs": []})));
        let exactly = compile("has(self.wasm) != has(self.lua)").unwrap();
        assert!(exactly(&json!({"wasm": {}})));
        assert!(!exactly(&json!({})));
        assert!(!exactly(&json!({"wasm": {}, "lua": {}})));
        let any = compile("has(self.address) || has(self.network)").unwrap();
        assert!(!any(&json!({"x": 1})));
    }

    #[test]
    fn value_shapes() {
        assert!(!compile("self.size() == 0").unwrap()(&json!("other-ns")));
        assert!(compile(r#"!self.contains("*")"#).unwrap()(&json!("a")));
        assert!(!compile(r#"self.all(key, !key.contains("*"))"#).unwrap()(
            &json!({"a*": "b"})
        ));
        assert!(!compile("self.all(key, key.size() != 0)").unwrap()(
            &json!({"": "b"})
        ));
        assert!(!compile("0 < self && self <= 65535").unwrap()(&json!(0)));
        assert!(!compile(r#"self != "*""#).unwrap()(&json!("*")));
        assert!(compile("self.matches('x')").is_none());
        let unique = compile("self.all(l1, self.exists_one(l2, l1.name == l2.name))").unwrap();
        assert!(unique(&json!([{"name": "a"}, {"name": "b"}])));
        assert!(!unique(&json!([{"name": "a"}, {"name": "a"}])));
        let port = compile(SERVICE_NEEDS_PORT).unwrap();
        assert!(!port(&json!({"name": "svc"})));
        assert!(port(&json!({"name": "svc", "port": 80})));
        assert!(port(
            &json!({"name": "x", "group": "example.com", "kind": "Backend"})
        ));
    }

    #[test]
    fn rules_apply_where_they_sit_with_the_field_named() {
        let schema = json!({"properties": {"spec": {
            "x-kubernetes-validations": [{"rule": "has(self.wasm) != has(self.lua)", "message": "exactly one of wasm or lua must be set"}],
            "properties": {"targetRefs": {"items": {"properties": {"namespace": {
                "x-kubernetes-validations": [{"rule": "self.size() == 0", "message": "cross namespace referencing is not currently supported"}]}}}}}
        }}});
        let doc =
            json!({"spec": {"targetRefs": [{"name": "g"}, {"name": "h", "namespace": "other"}]}});
        assert_eq!(
            violations(&schema, &doc),
            [
                (
                    "spec".to_string(),
                    "exactly one of wasm or lua must be set".to_string()
                ),
                (
                    "spec.targetRefs[1].namespace".to_string(),
                    "cross namespace referencing is not currently supported".to_string()
                )
            ]
        );
        assert!(unevaluated(&schema).is_empty());
    }
}
