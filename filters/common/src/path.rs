//! How a request path is normalized before a routing decision.
//!
//! At least as strict as Istio's `DECODE_AND_MERGE_SLASHES`: percent-escapes of
//! unreserved characters are decoded, `.` and `..` segments resolved, `//`
//! merged. Anything an upstream could read differently from us is refused
//! instead of guessed: encoded `/` or `\`, a backslash, control characters,
//! raw non-ASCII, invalid percent-encoding, escapes that decode to invalid
//! UTF-8 (overlong `%c0%ae`), a fragment, `..` above the root, and a raw `;`
//! (path parameters: Tomcat and Jetty drop `;...` from each segment before
//! mapping, so `/admin;x/secret` is their `/admin/secret` and `..;` their
//! `..`; Spring Security refuses them; Go, Node and Envoy's own router keep
//! them as part of the segment — no match on the path can be right for all).
//! An encoded `%3B` is text to all of them and stays.
//! Other escapes stay encoded, with upper-case hex (RFC 3986 §6.2.2.1).

use crate::query::hex;
use std::fmt;

/// Why a path was refused; `reason()` is the stable, client-visible name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathError {
    NotOriginForm,
    EncodedSlash,
    EncodedBackslash,
    Backslash,
    ControlChar,
    InvalidChar,
    BadPercentEncoding,
    InvalidUtf8,
    Fragment,
    AboveRoot,
    PathParameters,
}

impl PathError {
    pub fn reason(self) -> &'static str {
        match self {
            PathError::NotOriginForm => "not_origin_form",
            PathError::EncodedSlash => "encoded_slash",
            PathError::EncodedBackslash => "encoded_backslash",
            PathError::Backslash => "backslash",
            PathError::ControlChar => "control_char",
            PathError::InvalidChar => "invalid_char",
            PathError::BadPercentEncoding => "bad_percent_encoding",
            PathError::InvalidUtf8 => "invalid_utf8",
            PathError::Fragment => "fragment",
            PathError::AboveRoot => "above_root",
            PathError::PathParameters => "path_parameters",
        }
    }
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

impl std::error::Error for PathError {}

/// Normalizes the path part of a `:path` (the query already split off).
pub fn normalize(path: &str) -> Result<String, PathError> {
    if !path.starts_with('/') {
        return Err(PathError::NotOriginForm);
    }
    let decoded = decode_unreserved(path.as_bytes())?;
    resolve_segments(&decoded)
}

/// Splits a `:path` at the first `?` and normalizes the path part.
/// Returns the normalized path and the untouched query (without `?`).
pub fn normalize_request_path(raw: &str) -> Result<(String, Option<&str>), PathError> {
    let (path, query) = crate::query::split_path(raw);
    Ok((normalize(path)?, query))
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn check_raw(b: u8) -> Result<(), PathError> {
    match b {
        0..=0x1f | 0x7f => Err(PathError::ControlChar),
        0x80..=0xff | b' ' => Err(PathError::InvalidChar),
        b'\\' => Err(PathError::Backslash),
        b'#' => Err(PathError::Fragment),
        b';' => Err(PathError::PathParameters),
        _ => Ok(()),
    }
}

/// First pass: validates every byte and escape, decodes unreserved escapes.
/// The fully decoded bytes are collected only to prove they are UTF-8.
fn decode_unreserved(bytes: &[u8]) -> Result<String, PathError> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(bytes.len());
    let mut fully_decoded = Vec::new();
    let mut saw_escape = false;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b != b'%' {
            check_raw(b)?;
            out.push(char::from(b));
            fully_decoded.push(b);
            i += 1;
            continue;
        }
        let hi = bytes.get(i + 1).copied().and_then(hex);
        let lo = bytes.get(i + 2).copied().and_then(hex);
        let (Some(hi), Some(lo)) = (hi, lo) else {
            return Err(PathError::BadPercentEncoding);
        };
        let v = hi << 4 | lo;
        match v {
            b'/' => return Err(PathError::EncodedSlash),
            b'\\' => return Err(PathError::EncodedBackslash),
            0..=0x1f | 0x7f => return Err(PathError::ControlChar),
            _ if is_unreserved(v) => out.push(char::from(v)),
            _ => {
                out.push('%');
                out.push(char::from(*HEX.get(usize::from(hi)).unwrap_or(&b'0')));
                out.push(char::from(*HEX.get(usize::from(lo)).unwrap_or(&b'0')));
            }
        }
        saw_escape = true;
        fully_decoded.push(v);
        i += 3;
    }
    if saw_escape && std::str::from_utf8(&fully_decoded).is_err() {
        return Err(PathError::InvalidUtf8);
    }
    Ok(out)
}

/// Second pass (RFC 3986 §5.2.4, but `..` above the root is an error).
fn resolve_segments(path: &str) -> Result<String, PathError> {
    let mut stack: Vec<&str> = Vec::new();
    let mut trailing_slash = false;
    for segment in path.split('/').skip(1) {
        trailing_slash = matches!(segment, "" | "." | "..");
        match segment {
            "" | "." => {}
            ".." => {
                if stack.pop().is_none() {
                    return Err(PathError::AboveRoot);
                }
            }
            s => stack.push(s),
        }
    }
    let mut out = String::with_capacity(path.len());
    for s in &stack {
        out.push('/');
        out.push_str(s);
    }
    if trailing_slash || stack.is_empty() {
        out.push('/');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(p: &str) -> String {
        normalize(p).unwrap_or_else(|e| panic!("{p}: {e}"))
    }

    #[test]
    fn keeps_clean_paths() {
        assert_eq!(ok("/"), "/");
        assert_eq!(ok("/faas/api/render"), "/faas/api/render");
        assert_eq!(ok("/faas/api/a/"), "/faas/api/a/");
        assert_eq!(ok("/a%3Bb=c/d:e@f!$&'()*+,="), "/a%3Bb=c/d:e@f!$&'()*+,=");
        assert_eq!(ok("/a%3bx"), "/a%3Bx");
    }

    #[test]
    fn resolves_dots_and_merges_slashes() {
        assert_eq!(ok("/a/./b"), "/a/b");
        assert_eq!(ok("/a/b/../c"), "/a/c");
        assert_eq!(ok("/a/b/.."), "/a/");
        assert_eq!(ok("/a/b/."), "/a/b/");
        assert_eq!(ok("//a///b//"), "/a/b/");
        assert_eq!(ok("/a/.."), "/");
        assert_eq!(ok("/a/..."), "/a/...");
        assert_eq!(ok("/a/..b/.c"), "/a/..b/.c");
    }

    #[test]
    fn decodes_unreserved_only() {
        assert_eq!(ok("/%61%2D%2e%5F%7e"), "/a-._~");
        assert_eq!(ok("/a/%2e%2e/b"), "/b");
        assert_eq!(ok("/a/%2E./b"), "/b");
        assert_eq!(ok("/a%20b%3f%3F"), "/a%20b%3F%3F");
        // Double encoding decodes once: `%2e` stays text, not a dot segment.
        assert_eq!(ok("/a/%252e%252e/b"), "/a/%252e%252e/b");
        assert_eq!(ok("/caf%C3%A9"), "/caf%C3%A9");
    }

    #[test]
    fn refuses_what_an_upstream_could_read_differently() {
        let cases = [
            ("/a%2Fb", PathError::EncodedSlash),
            ("/a%2fb", PathError::EncodedSlash),
            ("/a%5Cb", PathError::EncodedBackslash),
            ("/a%5cb", PathError::EncodedBackslash),
            ("/a\\b", PathError::Backslash),
            ("/a%00", PathError::ControlChar),
            ("/a\0", PathError::ControlChar),
            ("/a\tb", PathError::ControlChar),
            ("/a%7f", PathError::ControlChar),
            ("/a b", PathError::InvalidChar),
            ("/caf\u{e9}", PathError::InvalidChar),
            ("/a%", PathError::BadPercentEncoding),
            ("/a%2", PathError::BadPercentEncoding),
            ("/a%zz", PathError::BadPercentEncoding),
            ("/a%%32%65", PathError::BadPercentEncoding),
            ("/a/%c0%ae%c0%ae/b", PathError::InvalidUtf8),
            ("/a/%e0%80%ae", PathError::InvalidUtf8),
            ("/a/%ff", PathError::InvalidUtf8),
            ("/a#/../b", PathError::Fragment),
            ("/..", PathError::AboveRoot),
            ("/a/../..", PathError::AboveRoot),
            ("/a/%2e%2e/%2e%2e/b", PathError::AboveRoot),
            ("/a/..;/b", PathError::PathParameters),
            ("/a/.;x=1/b", PathError::PathParameters),
            ("/admin;x/secret", PathError::PathParameters),
            ("/page;jsessionid=0A1B", PathError::PathParameters),
            ("/a/;/b", PathError::PathParameters),
            ("a/b", PathError::NotOriginForm),
            ("*", PathError::NotOriginForm),
            ("", PathError::NotOriginForm),
        ];
        for (path, want) in cases {
            assert_eq!(normalize(path), Err(want), "{path:?}");
        }
    }

    #[test]
    fn splits_the_query_off_untouched() {
        let (p, q) = normalize_request_path("/a/../b?x=/../..&y=%2F#f").unwrap();
        assert_eq!(p, "/b");
        assert_eq!(q, Some("x=/../..&y=%2F#f"));
        assert_eq!(
            normalize_request_path("/a").unwrap(),
            ("/a".to_string(), None)
        );
    }

    #[test]
    fn long_paths_are_linear() {
        let long = "/a".repeat(50_000) + &"/..".repeat(50_000);
        assert_eq!(ok(&long), "/");
        let deep = "/faas/api/".to_string() + &"x/".repeat(30_000);
        assert_eq!(ok(&deep), deep);
    }

    #[test]
    fn is_idempotent() {
        for p in ["/a/./b/../c//d/", "/%61/%7E/%3a", "/x/%252e", "/a/b/.."] {
            let once = ok(p);
            assert_eq!(ok(&once), once, "{p}");
        }
    }
}
