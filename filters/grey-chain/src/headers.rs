//! The request headers a decision reads and edits, so the decision logic is
//! plain Rust: the glue implements this with proxy-wasm host calls.

use filters_common::header_map;
use std::borrow::Cow;

pub trait Headers {
    /// The value of `name` (lowercase; pseudo-headers such as `:path`
    /// included). A value that is not UTF-8 reads as absent.
    fn get(&self, name: &str) -> Option<String>;
    /// `name` is present but its value is not UTF-8 (HTTP allows bytes
    /// 0x80–0xFF in values; no lane, baggage or trace id has them).
    fn unreadable(&self, name: &str) -> bool;
    fn set(&mut self, name: &str, value: &str);
    fn remove(&mut self, name: &str);
}

/// This filter's own header edits, latest last: the host's serialized map is
/// read once, and what the filter set (`Some`) or removed (`None`) since is
/// looked up here first (the glue also writes each edit to the host).
#[derive(Debug, Default, Clone)]
pub struct Edits(Vec<(String, Option<String>)>);

impl Edits {
    /// The value of `name` in `map` after the edits, repeated headers joined
    /// (`filters_common::header_map::lookup`): `None` absent, `Some(None)` not
    /// UTF-8, so a duplicated tag is not a lane and raw bytes never become a
    /// `String` unchecked.
    pub fn lookup<'a>(&'a self, map: &'a [u8], name: &str) -> Option<Option<Cow<'a, str>>> {
        match self.0.iter().rev().find(|(k, _)| k == name) {
            Some((_, edited)) => edited.as_deref().map(|v| Some(Cow::Borrowed(v))),
            None => header_map::lookup(map, name),
        }
    }

    pub fn record(&mut self, name: &str, value: Option<&str>) {
        self.0.retain(|(k, _)| k != name);
        self.0.push((name.to_string(), value.map(str::to_string)));
    }
}

/// An in-memory request for the native tests: a serialized map, as the host
/// hands it over, and the edits, as the glue keeps them.
#[cfg(test)]
#[derive(Debug, Default, Clone)]
pub struct MapHeaders {
    map: Vec<u8>,
    edits: Edits,
}

#[cfg(test)]
impl MapHeaders {
    pub fn new(pairs: &[(&str, &str)]) -> Self {
        Self::bytes(
            &pairs
                .iter()
                .map(|(k, v)| (*k, v.as_bytes()))
                .collect::<Vec<_>>(),
        )
    }

    pub fn bytes(pairs: &[(&str, &[u8])]) -> Self {
        MapHeaders {
            map: header_map::serialize(pairs),
            edits: Edits::default(),
        }
    }
}

#[cfg(test)]
impl Headers for MapHeaders {
    fn get(&self, name: &str) -> Option<String> {
        self.edits
            .lookup(&self.map, name)
            .flatten()
            .map(Cow::into_owned)
    }
    fn unreadable(&self, name: &str) -> bool {
        matches!(self.edits.lookup(&self.map, name), Some(None))
    }
    fn set(&mut self, name: &str, value: &str) {
        self.edits.record(name, Some(value));
    }
    fn remove(&mut self, name: &str) {
        self.edits.record(name, None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_headers_are_joined() {
        let h = MapHeaders::new(&[
            ("x-grey", "grey"),
            ("cookie", "a=1"),
            ("x-grey", "blue"),
            ("cookie", "b=2"),
        ]);
        assert_eq!(h.get("x-grey").as_deref(), Some("grey,blue"));
        assert_eq!(h.get("cookie").as_deref(), Some("a=1; b=2"));
        assert!(!h.unreadable("x-grey") && !h.unreadable("absent"));
    }

    #[test]
    fn edits_override_the_map_latest_first() {
        let mut h = MapHeaders::bytes(&[("x-grey", b"\xff"), ("baggage", b"a=1")]);
        h.set("x-grey", "grey");
        assert_eq!(h.get("x-grey").as_deref(), Some("grey"));
        assert!(
            !h.unreadable("x-grey"),
            "the unreadable client copy is replaced"
        );
        h.remove("baggage");
        assert_eq!(h.get("baggage"), None);
        assert!(!h.unreadable("baggage"));
        h.set("baggage", "lane=grey");
        h.remove("x-grey");
        assert_eq!(h.get("baggage").as_deref(), Some("lane=grey"));
        assert_eq!(h.get("x-grey"), None);
    }

    #[test]
    fn non_utf8_values_read_as_absent_but_unreadable() {
        let h = MapHeaders::bytes(&[
            ("x-grey", b"gr\xe9y"),
            ("baggage", b"lane=grey"),
            ("baggage", b"x=\xe9"),
            ("cookie", b"\xff"),
            ("cookie", b"lane=grey"),
            ("end-user", "caf\u{e9}".as_bytes()),
        ]);
        for name in ["x-grey", "baggage", "cookie"] {
            assert_eq!(h.get(name), None, "{name}");
            assert!(h.unreadable(name), "{name}");
        }
        assert_eq!(h.get("end-user").as_deref(), Some("café"), "UTF-8 is read");
        assert!(!h.unreadable("end-user"));
    }
}
