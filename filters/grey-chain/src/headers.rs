//! The request headers a decision reads and edits, so the decision logic is
//! plain Rust: the glue implements this with proxy-wasm host calls.

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

/// Request headers, one entry per name; `None` is a value that is not UTF-8.
pub type Joined = Vec<(String, Option<String>)>;

/// Joins repeated headers as HTTP allows (`; ` for cookies, `,` otherwise), so
/// a duplicated tag is not a lane. One non-UTF-8 part makes the whole value
/// unreadable: the host's raw bytes never become a `String` unchecked.
pub fn join(pairs: impl IntoIterator<Item = (String, Vec<u8>)>) -> Joined {
    let mut joined: Joined = Vec::new();
    for (name, bytes) in pairs {
        let value = String::from_utf8(bytes).ok();
        match joined.iter_mut().find(|(k, _)| *k == name) {
            Some((_, slot)) => {
                *slot = match (slot.take(), value) {
                    (Some(mut v), Some(more)) => {
                        v.push_str(if name == "cookie" { "; " } else { "," });
                        v.push_str(&more);
                        Some(v)
                    }
                    _ => None,
                }
            }
            None => joined.push((name, value)),
        }
    }
    joined
}

/// An in-memory header map for the native tests.
#[cfg(test)]
#[derive(Debug, Default, Clone)]
pub struct MapHeaders(pub Joined);

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
        MapHeaders(join(pairs.iter().map(|(k, v)| (k.to_string(), v.to_vec()))))
    }
}

#[cfg(test)]
impl Headers for MapHeaders {
    fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.clone())
    }
    fn unreadable(&self, name: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && v.is_none())
    }
    fn set(&mut self, name: &str, value: &str) {
        self.remove(name);
        self.0.push((name.to_string(), Some(value.to_string())));
    }
    fn remove(&mut self, name: &str) {
        self.0.retain(|(k, _)| k != name);
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

    /// The glue looks headers up in the host's serialized map
    /// (`filters_common::header_map::lookup`): it must read what `join` reads.
    #[test]
    fn the_serialized_map_reads_like_joined() {
        use filters_common::header_map::{lookup, serialize};
        let pairs: [(&str, &[u8]); 8] = [
            (":path", b"/"),
            ("x-grey", b"grey"),
            ("cookie", b"a=1"),
            ("x-grey", b"blue"),
            ("cookie", b"b=2"),
            ("baggage", b"lane=grey"),
            ("baggage", b"x=\xe9"),
            ("empty", b""),
        ];
        let map = serialize(&pairs);
        let joined = MapHeaders::bytes(&pairs);
        for name in [":path", "x-grey", "cookie", "baggage", "empty", "absent"] {
            let want = joined
                .0
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone());
            let got = lookup(&map, name).map(|v| v.map(|v| v.into_owned()));
            assert_eq!(got, want, "{name}");
        }
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
