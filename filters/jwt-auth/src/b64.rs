//! How base64url is read and written: strictly for tokens (no padding, no
//! stray characters, no non-zero trailing bits), a little more leniently for
//! key material from a JWKS (trailing `=` padding allowed).

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn value(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some(u32::from(c - b'A')),
        b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
        b'-' => Some(62),
        b'_' => Some(63),
        _ => None,
    }
}

/// Decodes unpadded base64url. Refuses any other character, a length that no
/// encoding produces, and non-zero unused bits in the last character (so each
/// value has exactly one accepted encoding).
pub fn decode(input: &[u8]) -> Option<Vec<u8>> {
    if input.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let mut chunks = input.chunks_exact(4);
    for chunk in &mut chunks {
        let mut n = 0u32;
        for &c in chunk {
            n = n << 6 | value(c)?;
        }
        out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]);
    }
    let rest = chunks.remainder();
    let mut n = 0u32;
    for &c in rest {
        n = n << 6 | value(c)?;
    }
    match rest.len() {
        0 => {}
        2 => {
            if n & 0xf != 0 {
                return None;
            }
            out.push((n >> 4) as u8);
        }
        3 => {
            if n & 0x3 != 0 {
                return None;
            }
            out.extend_from_slice(&[(n >> 10) as u8, (n >> 2) as u8]);
        }
        _ => return None,
    }
    Some(out)
}

/// Decodes a JWK member: base64url with optional `=` padding.
pub fn decode_lenient(input: &str) -> Option<Vec<u8>> {
    decode(input.trim_end_matches('=').as_bytes())
}

/// Encodes unpadded base64url.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    let char_at = |n: u32, shift: u32| {
        ALPHABET
            .get(((n >> shift) & 63) as usize)
            .map_or('A', |&c| char::from(c))
    };
    for chunk in bytes.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = b(0) << 16 | b(1) << 8 | b(2);
        out.push(char_at(n, 18));
        out.push(char_at(n, 12));
        if chunk.len() > 1 {
            out.push(char_at(n, 6));
        }
        if chunk.len() > 2 {
            out.push(char_at(n, 0));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_length() {
        let data: Vec<u8> = (0..=255u8).collect();
        for len in 0..40 {
            let enc = encode(&data[..len]);
            assert!(!enc.contains('='));
            assert_eq!(decode(enc.as_bytes()).unwrap(), &data[..len], "{enc}");
        }
        assert_eq!(encode(b"\xfb\xff"), "-_8");
    }

    #[test]
    fn refuses_non_url_alphabet_padding_and_bad_lengths() {
        assert_eq!(decode(b"ab+c"), None);
        assert_eq!(decode(b"ab/c"), None);
        assert_eq!(decode(b"YQ=="), None);
        assert_eq!(decode(b"abcde"), None);
        assert_eq!(decode(b"ab c"), None);
        assert_eq!(decode(b"ab.c"), None);
    }

    #[test]
    fn refuses_non_canonical_trailing_bits() {
        assert_eq!(decode(b"YQ").unwrap(), b"a");
        assert_eq!(decode(b"YR"), None);
        assert_eq!(decode(b"YWI").unwrap(), b"ab");
        assert_eq!(decode(b"YWJ"), None);
    }

    #[test]
    fn lenient_accepts_padding() {
        assert_eq!(decode_lenient("YQ==").unwrap(), b"a");
        assert_eq!(decode_lenient("YQ").unwrap(), b"a");
    }
}
