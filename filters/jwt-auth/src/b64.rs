//! How base64url is read and written: strictly for tokens (no padding, no
//! stray characters, no non-zero trailing bits), a little more leniently for
//! key material from a JWKS (trailing `=` padding allowed).

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Marks a byte outside the alphabet in [`VALUES`].
const INVALID: u8 = 0x80;

/// The 6-bit value of each alphabet character, `INVALID` for every other byte.
// Evaluated at compile time: an index out of bounds would not compile.
#[allow(clippy::indexing_slicing)]
const VALUES: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

#[inline(always)]
fn value(c: u8) -> u8 {
    VALUES.get(usize::from(c)).copied().unwrap_or(INVALID)
}

/// Decodes unpadded base64url. Refuses any other character, a length that no
/// encoding produces, and non-zero unused bits in the last character (so each
/// value has exactly one accepted encoding).
///
/// Every request's token goes through here (three segments, ~600 characters
/// for RS256): whole quads are decoded with one table look-up per character
/// into a buffer of the exact size, and validity is checked once at the end.
pub fn decode(input: &[u8]) -> Option<Vec<u8>> {
    let (quads, rest) = input.as_chunks::<4>();
    if rest.len() == 1 {
        return None;
    }
    let mut out = vec![0u8; quads.len() * 3 + rest.len().saturating_sub(1)];
    let (triples, tail) = out.as_chunks_mut::<3>();
    let mut seen = 0u8;
    for (&[a, b, c, d], triple) in quads.iter().zip(triples.iter_mut()) {
        let (a, b, c, d) = (value(a), value(b), value(c), value(d));
        seen |= a | b | c | d;
        let n = u32::from(a) << 18 | u32::from(b) << 12 | u32::from(c) << 6 | u32::from(d);
        *triple = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
    }
    let mut n = 0u32;
    for &c in rest {
        let v = value(c);
        seen |= v;
        n = n << 6 | u32::from(v);
    }
    if seen & INVALID != 0 {
        return None;
    }
    match tail {
        [] => {}
        [x] if n & 0xf == 0 => *x = (n >> 4) as u8,
        [x, y] if n & 0x3 == 0 => {
            *x = (n >> 10) as u8;
            *y = (n >> 2) as u8;
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

    /// The decoder this one replaced (one character at a time), kept as the
    /// reference the table-driven one must agree with.
    fn reference(input: &[u8]) -> Option<Vec<u8>> {
        let v = |c: u8| ALPHABET.iter().position(|&a| a == c).map(|p| p as u32);
        if input.len() % 4 == 1 {
            return None;
        }
        let mut out = Vec::new();
        let mut chunks = input.chunks_exact(4);
        for chunk in &mut chunks {
            let mut n = 0u32;
            for &c in chunk {
                n = n << 6 | v(c)?;
            }
            out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]);
        }
        let mut n = 0u32;
        for &c in chunks.remainder() {
            n = n << 6 | v(c)?;
        }
        match chunks.remainder().len() {
            0 => {}
            2 if n & 0xf == 0 => out.push((n >> 4) as u8),
            3 if n & 0x3 == 0 => out.extend_from_slice(&[(n >> 10) as u8, (n >> 2) as u8]),
            _ => return None,
        }
        Some(out)
    }

    #[test]
    fn agrees_with_the_reference_decoder() {
        // Mostly alphabet characters, sometimes any byte (so invalid ones
        // land in every position), lengths 0..=13 (every remainder).
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut valid = 0;
        for _ in 0..200_000 {
            let len = (next() % 14) as usize;
            let input: Vec<u8> = (0..len)
                .map(|_| match next() % 40 {
                    0 => next() as u8,
                    _ => ALPHABET[(next() % 64) as usize],
                })
                .collect();
            let ours = decode(&input);
            assert_eq!(ours, reference(&input), "{input:?}");
            valid += usize::from(ours.is_some());
        }
        // Both outcomes were exercised.
        assert!(valid > 10_000 && valid < 190_000, "{valid}");
        // Every byte in every position of a quad and of a 3-character tail.
        for c in 0..=255u8 {
            for pos in 0..4 {
                let mut quad = *b"QUJD";
                quad[pos] = c;
                assert_eq!(decode(&quad), reference(&quad), "{quad:?}");
                if pos < 3 {
                    assert_eq!(decode(&quad[..3]), reference(&quad[..3]), "{quad:?}");
                }
            }
        }
    }

    #[test]
    fn lenient_accepts_padding() {
        assert_eq!(decode_lenient("YQ==").unwrap(), b"a");
        assert_eq!(decode_lenient("YQ").unwrap(), b"a");
    }
}
