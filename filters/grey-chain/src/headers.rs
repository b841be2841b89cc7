//! The request headers a decision reads and edits, so the decision logic is
//! plain Rust: the glue implements this with proxy-wasm host calls.

pub trait Headers {
    /// The value of `name` (lowercase; pseudo-headers such as `:path` included).
    fn get(&self, name: &str) -> Option<String>;
    fn set(&mut self, name: &str, value: &str);
    fn remove(&mut self, name: &str);
}

/// An in-memory header map for the native tests.
#[cfg(test)]
#[derive(Debug, Default, Clone)]
pub struct MapHeaders(pub Vec<(String, String)>);

#[cfg(test)]
impl MapHeaders {
    pub fn new(pairs: &[(&str, &str)]) -> Self {
        MapHeaders(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }
}

#[cfg(test)]
impl Headers for MapHeaders {
    fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
    fn set(&mut self, name: &str, value: &str) {
        self.remove(name);
        self.0.push((name.to_string(), value.to_string()));
    }
    fn remove(&mut self, name: &str) {
        self.0.retain(|(k, _)| k != name);
    }
}
