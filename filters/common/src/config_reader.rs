//! A small reader for configuration JSON: objects with known fields only,
//! each value of its type, every problem named with its path (`a.b[2].c`).
//! Generic: it knows nothing of any filter's fields. Read the document with
//! `strict_json::from_slice` first, so a repeated key is refused too.

use crate::ConfigErrors;
use serde_json::{Map, Value};
use std::ops::RangeInclusive;

/// The configuration document (empty or blank: `{}`), read with
/// `strict_json` (a repeated key refused); a syntax error is named `(root)`.
pub fn document(json: &[u8]) -> Result<Value, ConfigErrors> {
    let text = if json.iter().all(u8::is_ascii_whitespace) {
        &b"{}"[..]
    } else {
        json
    };
    crate::strict_json::from_slice(text).map_err(|e| {
        let mut errors = ConfigErrors::new();
        errors.add("(root)", e.to_string());
        errors
    })
}

/// A field reader: the value, or what it must be.
pub type Read<T> = Result<T, &'static str>;

pub fn string(v: &Value) -> Read<String> {
    v.as_str().map(str::to_string).ok_or("must be a string")
}

pub fn uint(v: &Value) -> Read<u64> {
    v.as_u64().ok_or("must be a non-negative integer")
}

pub fn boolean(v: &Value) -> Read<bool> {
    v.as_bool().ok_or("must be true or false")
}

pub fn strings(v: &Value) -> Read<Vec<String>> {
    let items = v.as_array().ok_or("must be a list of strings")?;
    items
        .iter()
        .map(|s| {
            s.as_str()
                .map(str::to_string)
                .ok_or("must be a list of strings")
        })
        .collect()
}

pub fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_string()
    } else {
        format!("{at}.{key}")
    }
}

/// `v` as an object, each field not in `known` named as unknown.
pub fn object<'v>(
    v: &'v Value,
    at: &str,
    known: &[&str],
    e: &mut ConfigErrors,
) -> Option<&'v Map<String, Value>> {
    let Some(m) = v.as_object() else {
        e.add(
            if at.is_empty() { "(root)" } else { at },
            "must be an object",
        );
        return None;
    };
    for k in m.keys().filter(|k| !known.contains(&k.as_str())) {
        e.add(
            join(at, k),
            format!("unknown field, expected one of {}", known.join(", ")),
        );
    }
    Some(m)
}

/// An optional field (absent or null: `None`), named when it has the wrong type.
pub fn field<T>(
    m: &Map<String, Value>,
    at: &str,
    key: &str,
    e: &mut ConfigErrors,
    read: impl Fn(&Value) -> Read<T>,
) -> Option<T> {
    let v = m.get(key).filter(|v| !v.is_null())?;
    read(v).map_err(|why| e.add(join(at, key), why)).ok()
}

pub fn required<T>(
    m: &Map<String, Value>,
    at: &str,
    key: &str,
    e: &mut ConfigErrors,
    read: impl Fn(&Value) -> Read<T>,
) -> Option<T> {
    if m.get(key).is_none_or(Value::is_null) {
        e.add(join(at, key), "is required");
        return None;
    }
    field(m, at, key, e, read)
}

/// An optional object field, read at `at.key` (absent or null: `Some(None)`);
/// `None` when it was refused (the problems are in `e`).
pub fn section<T>(
    m: &Map<String, Value>,
    at: &str,
    key: &str,
    e: &mut ConfigErrors,
    read: impl Fn(&Value, &str, &mut ConfigErrors) -> Option<T>,
) -> Option<Option<T>> {
    match m.get(key).filter(|v| !v.is_null()) {
        None => Some(None),
        Some(v) => read(v, &join(at, key), e).map(Some),
    }
}

/// A configured size limit: `given` (absent: `default`) if `allowed` holds
/// it; otherwise `refusal` is added at `at` and the answer is `None`.
pub fn limit(
    given: Option<u64>,
    default: usize,
    allowed: RangeInclusive<usize>,
    at: &str,
    refusal: String,
    e: &mut ConfigErrors,
) -> Option<usize> {
    let value = given.map_or(Some(default), |n| usize::try_from(n).ok());
    match value.filter(|v| allowed.contains(v)) {
        Some(v) => Some(v),
        None => {
            e.add(at, refusal);
            None
        }
    }
}

/// A list of objects, each read at `key[i]`.
pub fn list<T>(
    m: &Map<String, Value>,
    at: &str,
    key: &str,
    e: &mut ConfigErrors,
    read: impl Fn(&Value, &str, &mut ConfigErrors) -> Option<T>,
) -> Option<Vec<T>> {
    let v = m.get(key).filter(|v| !v.is_null())?;
    let at = join(at, key);
    let Some(items) = v.as_array() else {
        e.add(at, "must be a list");
        return None;
    };
    let read: Vec<Option<T>> = items
        .iter()
        .enumerate()
        .map(|(i, v)| read(v, &format!("{at}[{i}]"), e))
        .collect();
    read.into_iter().collect()
}
