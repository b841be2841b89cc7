//! A header map as the host hands it over, read in place. proxy-wasm's
//! serialization: a little-endian u32 count, a u32 name length and value
//! length per header, then each name and value followed by a NUL. The SDK's
//! readers copy every name and value into their own allocations (about a
//! thousand wasm instructions per header); a filter reads a few headers out
//! of many, so nothing is copied or decoded here but what is asked for.

use std::borrow::Cow;

/// A (name, value) pair as raw bytes: a client can send any value.
pub type Header<'a> = (&'a [u8], &'a [u8]);

/// The headers of a serialized map in order; a truncated or malformed buffer
/// ends the iteration instead of failing.
#[derive(Debug, Clone)]
pub struct Pairs<'a> {
    bytes: &'a [u8],
    /// The next header's entry in the size table.
    next: usize,
    count: usize,
    /// Where the next name starts.
    data: usize,
}

impl<'a> Pairs<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        let count = u32_at(bytes, 0).unwrap_or(0);
        Pairs {
            bytes,
            next: 0,
            count,
            data: count.saturating_mul(8).saturating_add(4),
        }
    }
}

impl<'a> Iterator for Pairs<'a> {
    type Item = Header<'a>;

    fn next(&mut self) -> Option<Header<'a>> {
        if self.next >= self.count {
            return None;
        }
        let sizes = self.next.checked_mul(8)?.checked_add(4)?;
        let name_len = u32_at(self.bytes, sizes)?;
        let value_len = u32_at(self.bytes, sizes.checked_add(4)?)?;
        let name_end = self.data.checked_add(name_len)?;
        let value_start = name_end.checked_add(1)?;
        let value_end = value_start.checked_add(value_len)?;
        let name = self.bytes.get(self.data..name_end)?;
        let value = self.bytes.get(value_start..value_end)?;
        self.next += 1;
        self.data = value_end.checked_add(1)?;
        Some((name, value))
    }
}

fn u32_at(bytes: &[u8], at: usize) -> Option<usize> {
    let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    usize::try_from(u32::from_le_bytes(b)).ok()
}

/// The value of `name` in a serialized map, repeated headers joined as HTTP
/// allows (`; ` for `cookie`, RFC 9113 8.2.3; `,` otherwise): `None` absent,
/// `Some(None)` when any part is not UTF-8. Borrowed unless repeated.
pub fn lookup<'a>(map: &'a [u8], name: &str) -> Option<Option<Cow<'a, str>>> {
    let mut found = Pairs::new(map).filter(|(k, _)| *k == name.as_bytes());
    let (_, first) = found.next()?;
    let Ok(first) = std::str::from_utf8(first) else {
        return Some(None);
    };
    let mut value = Cow::Borrowed(first);
    for (_, more) in found {
        let Ok(more) = std::str::from_utf8(more) else {
            return Some(None);
        };
        let joined = value.to_mut();
        joined.push_str(if name == "cookie" { "; " } else { "," });
        joined.push_str(more);
    }
    Some(Some(value))
}

/// The host's serialization of `pairs` (what Envoy and testhost send).
pub fn serialize(pairs: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = len_u32(pairs.len()).to_le_bytes().to_vec();
    for (name, value) in pairs {
        out.extend(len_u32(name.len()).to_le_bytes());
        out.extend(len_u32(value.len()).to_le_bytes());
    }
    for (name, value) in pairs {
        out.extend(name.as_bytes());
        out.push(0);
        out.extend(*value);
        out.push(0);
    }
    out
}

fn len_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_pair_in_order_with_raw_values() {
        let pairs: [(&str, &[u8]); 4] = [
            (":path", b"/faas/api/x?q=1"),
            ("cookie", b"a=1"),
            ("x-empty", b""),
            ("cookie", b"\xffuid=2"),
        ];
        let bytes = serialize(&pairs);
        let got: Vec<Header> = Pairs::new(&bytes).collect();
        let want: Vec<Header> = pairs.iter().map(|(n, v)| (n.as_bytes(), *v)).collect();
        assert_eq!(got, want);
        assert_eq!(Pairs::new(&serialize(&[])).count(), 0);
        assert_eq!(Pairs::new(&[]).count(), 0);
    }

    #[test]
    fn a_truncated_or_lying_buffer_stops_early_without_panicking() {
        let bytes = serialize(&[("a", b"1"), ("bb", b"22")]);
        // Anything short of the last value (its final NUL is never read).
        for end in 0..bytes.len() - 1 {
            let n = Pairs::new(&bytes[..end]).count();
            assert!(n <= 1, "{end}: {n}");
            let _ = lookup(&bytes[..end], "bb");
            assert_eq!(lookup(&bytes[..end], "absent"), None);
        }
        let mut lying = bytes.clone();
        lying[0] = 0xff; // claims 255 headers
        assert!(Pairs::new(&lying).count() <= 2);
        let mut huge = bytes;
        huge[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(Pairs::new(&huge).count(), 0);
        assert_eq!(lookup(&huge, "a"), None);
    }

    #[test]
    fn lookup_joins_repeated_headers_and_refuses_non_utf8() {
        let map = serialize(&[
            (":path", b"/"),
            ("x-grey", b"grey"),
            ("cookie", b"a=1"),
            ("x-grey", b"blue"),
            ("cookie", b"b=2"),
            ("baggage", b"lane=grey"),
            ("baggage", b"x=\xe9"),
            ("empty", b""),
        ]);
        let get = |name| lookup(&map, name).map(|v| v.map(Cow::into_owned));
        assert_eq!(get("x-grey"), Some(Some("grey,blue".into())));
        assert_eq!(get("cookie"), Some(Some("a=1; b=2".into())));
        assert_eq!(get("baggage"), Some(None), "one non-UTF-8 part");
        assert_eq!(get("empty"), Some(Some(String::new())));
        assert_eq!(get("absent"), None);
        assert!(matches!(
            lookup(&map, ":path"),
            Some(Some(Cow::Borrowed("/")))
        ));
    }
}
