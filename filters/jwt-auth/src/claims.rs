//! How a claim becomes a header value: dotted paths reach nested claims,
//! arrays are joined with `,`, other non-strings are written as JSON; a
//! claim listed in `spaceDelimitedClaims` whose value is a string is read as
//! the array of its space-separated values (OAuth `scope`, RFC 8693 §4.2).

use serde_json::{Map, Value};

/// The header value for the claim at `path`; `None` when the claim is absent
/// or the value could not be sent safely as a header (control characters).
/// `space_delimited`: whether the claim is one of `spaceDelimitedClaims`.
pub fn header_value(
    claims: &Map<String, Value>,
    path: &[String],
    space_delimited: bool,
) -> Option<String> {
    let (first, rest) = path.split_first()?;
    let mut v = claims.get(first)?;
    for key in rest {
        v = v.as_object()?.get(key)?;
    }
    let text = match v {
        Value::Null => return None,
        Value::Array(items) => items.iter().map(scalar).collect::<Vec<_>>().join(","),
        Value::String(s) if space_delimited => space_separated(s).collect::<Vec<_>>().join(","),
        other => scalar(other),
    };
    header_safe(&text).then_some(text)
}

/// The values of a space-delimited claim: runs of spaces separate, none is
/// empty (Istio splits on spaces the same way).
pub fn space_separated(s: &str) -> impl Iterator<Item = &str> {
    s.split(' ').filter(|v| !v.is_empty())
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A value Envoy accepts in a header without letting a claim inject another
/// header: visible ASCII or UTF-8, spaces and tabs, no other controls.
pub fn header_safe(s: &str) -> bool {
    s.chars().all(|c| c == '\t' || !c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims() -> Map<String, Value> {
        json!({
            "sub": "alice",
            "n": 42,
            "admin": true,
            "groups": ["a", "b", 3],
            "org": {"id": "o-1", "deep": {"x": 1.5}},
            "evil": "x\r\nset-cookie: y",
            "nul": null,
            "scope": "  read write\tx  admin ",
            "evil_scope": "a b\r\nset-cookie: y"
        })
        .as_object()
        .unwrap()
        .clone()
    }

    fn get(path: &str) -> Option<String> {
        let path: Vec<String> = path.split('.').map(String::from).collect();
        header_value(&claims(), &path, false)
    }

    fn split(path: &str) -> Option<String> {
        let path: Vec<String> = path.split('.').map(String::from).collect();
        header_value(&claims(), &path, true)
    }

    #[test]
    fn space_delimited_strings_become_lists() {
        assert_eq!(get("scope").as_deref(), Some("  read write\tx  admin "));
        assert_eq!(split("scope").as_deref(), Some("read,write\tx,admin"));
        // Arrays, numbers and nested values are unchanged.
        assert_eq!(split("groups").as_deref(), Some("a,b,3"));
        assert_eq!(split("n").as_deref(), Some("42"));
        assert_eq!(split("org.id").as_deref(), Some("o-1"));
        assert_eq!(split("evil_scope"), None);
        assert_eq!(
            header_value(
                &json!({"s": "   "}).as_object().unwrap().clone(),
                &["s".into()],
                true
            )
            .as_deref(),
            Some("")
        );
    }

    #[test]
    fn strings_scalars_arrays_and_nested() {
        assert_eq!(get("sub").as_deref(), Some("alice"));
        assert_eq!(get("n").as_deref(), Some("42"));
        assert_eq!(get("admin").as_deref(), Some("true"));
        assert_eq!(get("groups").as_deref(), Some("a,b,3"));
        assert_eq!(get("org.id").as_deref(), Some("o-1"));
        assert_eq!(get("org.deep.x").as_deref(), Some("1.5"));
        assert_eq!(get("org.deep").as_deref(), Some(r#"{"x":1.5}"#));
    }

    #[test]
    fn absent_null_and_unsafe_values_set_nothing() {
        assert_eq!(get("nope"), None);
        assert_eq!(get("sub.x"), None);
        assert_eq!(get("org.nope"), None);
        assert_eq!(get("nul"), None);
        assert_eq!(get("evil"), None);
    }
}
