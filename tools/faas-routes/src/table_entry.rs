//! A route of the table being imported, with the VirtualService match it came
//! from, and the tables (groups of hosts) those routes form.

use serde_json::Value;

/// A table route and where it came from.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) json: Value,
    pub(crate) vs: usize,
    /// The match it came from: `http[2].match[0]`.
    pub(crate) field: String,
    /// `http[2]`
    pub(crate) route_field: String,
    /// The extra regex for a prefix's longer names.
    pub(crate) extra: bool,
}

impl Entry {
    pub(crate) fn sort_key(&self) -> (String, String) {
        let (kind, pattern) = self
            .json
            .get("match")
            .and_then(Value::as_object)
            .and_then(|m| m.iter().next())
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
            .unwrap_or_default();
        (pattern, kind)
    }
    /// `<kind>:<pattern>`, as the filter names the route.
    pub(crate) fn id(&self) -> String {
        let (pattern, kind) = self.sort_key();
        format!("{kind}:{pattern}")
    }
}

/// One table: the hosts it serves (empty: the top-level `routes`).
pub(crate) struct Group {
    pub(crate) hosts: Vec<String>,
    pub(crate) entries: Vec<Entry>,
}
