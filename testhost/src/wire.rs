//! How the ABI lays out header maps and property paths in guest memory.
//!
//! Header map (proxy-wasm spec, ABI 0.2.1): a little-endian u32 count, then
//! for each pair the u32 key length and u32 value length, then each key and
//! each value followed by a NUL byte.

use anyhow::{bail, Context, Result};

pub fn serialize_map<V: AsRef<[u8]>>(pairs: &[(String, V)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(pairs.len() as u32).to_le_bytes());
    for (key, value) in pairs {
        out.extend_from_slice(&(key.len() as u32).to_le_bytes());
        out.extend_from_slice(&(value.as_ref().len() as u32).to_le_bytes());
    }
    for (key, value) in pairs {
        out.extend_from_slice(key.as_bytes());
        out.push(0);
        out.extend_from_slice(value.as_ref());
        out.push(0);
    }
    out
}

pub fn deserialize_map(bytes: &[u8]) -> Result<Vec<(String, String)>> {
    deserialize_map_bytes(bytes)?
        .into_iter()
        .map(|(k, v)| {
            Ok((
                k,
                String::from_utf8(v).context("header map value is not UTF-8")?,
            ))
        })
        .collect()
}

/// Like `deserialize_map`, values kept as bytes (names must be UTF-8).
pub fn deserialize_map_bytes(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>> {
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    let count = read_u32(bytes, 0)? as usize;
    let mut data = 4usize
        .checked_add(count.checked_mul(8).context("header map count overflows")?)
        .context("header map count overflows")?;
    if data > bytes.len() {
        bail!(
            "header map announces {count} pairs but is only {} bytes",
            bytes.len()
        );
    }
    let mut pairs = Vec::with_capacity(count);
    for i in 0..count {
        let key_len = read_u32(bytes, 4 + i * 8)? as usize;
        let value_len = read_u32(bytes, 8 + i * 8)? as usize;
        let key = String::from_utf8(take(bytes, &mut data, key_len)?)
            .context("header map key is not UTF-8")?;
        let value = take(bytes, &mut data, value_len)?;
        pairs.push((key, value));
    }
    Ok(pairs)
}

/// Reads one NUL-terminated string of `len` bytes at `*at`.
fn take(bytes: &[u8], at: &mut usize, len: usize) -> Result<Vec<u8>> {
    let end = at.checked_add(len).context("header map length overflows")?;
    let text = bytes
        .get(*at..end)
        .context("header map string runs past its end")?;
    if bytes.get(end) != Some(&0) {
        bail!("header map string at byte {} is not NUL-terminated", *at);
    }
    *at = end + 1;
    Ok(text.to_vec())
}

fn read_u32(bytes: &[u8], at: usize) -> Result<u32> {
    let word = bytes.get(at..at + 4).context("header map is truncated")?;
    Ok(u32::from_le_bytes([word[0], word[1], word[2], word[3]]))
}

/// Property paths are segments joined by NUL bytes.
pub fn split_path(bytes: &[u8]) -> Vec<String> {
    if bytes.is_empty() {
        return Vec::new();
    }
    bytes
        .split(|b| *b == 0)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn serializes_like_the_spec_example() {
        let bytes = serialize_map(&pairs(&[(":method", "GET"), ("a", "")]));
        let mut expected = vec![2, 0, 0, 0, 7, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0];
        expected.extend_from_slice(b":method\0GET\0a\0\0");
        assert_eq!(bytes, expected);
    }

    #[test]
    fn round_trips() {
        let map = pairs(&[("x", "1"), ("x", "2"), ("empty", ""), ("ü", "ß")]);
        assert_eq!(deserialize_map(&serialize_map(&map)).unwrap(), map);
        assert_eq!(deserialize_map(&[]).unwrap(), vec![]);
        assert_eq!(deserialize_map(&[0, 0, 0, 0]).unwrap(), vec![]);
    }

    #[test]
    fn values_that_are_not_utf8_round_trip_as_bytes() {
        let map = vec![("x-name".to_string(), b"caf\xe9".to_vec())];
        let bytes = serialize_map(&map);
        assert_eq!(deserialize_map_bytes(&bytes).unwrap(), map);
        assert!(deserialize_map(&bytes).is_err());
        // A one-byte key 0xE9: names must be text.
        let mut bad_key = serialize_map(&[(String::new(), b"v".to_vec())]);
        bad_key.splice(12..12, [0xe9]);
        bad_key[4] = 1;
        assert!(deserialize_map_bytes(&bad_key).is_err());
    }

    #[test]
    fn refuses_malformed_maps() {
        assert!(deserialize_map(&[1, 0, 0, 0]).is_err());
        assert!(deserialize_map(&[255, 255, 255, 255]).is_err());
        let mut no_nul = serialize_map(&pairs(&[("k", "v")]));
        let last = no_nul.len() - 1;
        no_nul[last] = b'x';
        assert!(deserialize_map(&no_nul).is_err());
        let mut too_long = serialize_map(&pairs(&[("k", "v")]));
        too_long[4] = 50;
        assert!(deserialize_map(&too_long).is_err());
    }

    #[test]
    fn splits_property_paths() {
        assert_eq!(
            split_path(b"node\0metadata\0LABELS"),
            vec!["node", "metadata", "LABELS"]
        );
        assert!(split_path(b"").is_empty());
    }
}
