//! How query parameters are read from and removed from a `:path`.

/// Splits a `:path` into the path and the query (without `?`). A fragment,
/// which clients should never send, stays part of the query.
pub fn split_path(path: &str) -> (&str, Option<&str>) {
    match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    }
}

/// The raw (still percent-encoded) value of the first parameter `name`.
pub fn find_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then_some(v)
    })
}

/// The `:path` without the parameters named `name`.
pub fn remove_param(path: &str, name: &str) -> String {
    let (p, Some(q)) = split_path(path) else {
        return path.to_string();
    };
    let kept: Vec<&str> = q
        .split('&')
        .filter(|pair| pair.split_once('=').map_or(*pair, |(k, _)| k) != name)
        .collect();
    if kept.is_empty() || kept.iter().all(|s| s.is_empty()) {
        p.to_string()
    } else {
        format!("{p}?{}", kept.join("&"))
    }
}

/// Decodes `%XX` escapes and `+` (form encoding); `None` on invalid escapes or
/// a result that is not UTF-8.
pub fn percent_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let hi = hex(*bytes.get(i + 1)?)?;
                let lo = hex(*bytes.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The value of one hexadecimal digit.
pub(crate) fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_finds() {
        assert_eq!(split_path("/a?x=1"), ("/a", Some("x=1")));
        assert_eq!(split_path("/a"), ("/a", None));
        assert_eq!(
            find_param("a=1&access_token=t&b", "access_token"),
            Some("t")
        );
        assert_eq!(find_param("b", "b"), Some(""));
        assert_eq!(find_param("xaccess_token=t", "access_token"), None);
    }

    #[test]
    fn removes_params() {
        assert_eq!(remove_param("/a?t=1&b=2&t=3", "t"), "/a?b=2");
        assert_eq!(remove_param("/a?t=1", "t"), "/a");
        assert_eq!(remove_param("/a", "t"), "/a");
    }

    #[test]
    fn decodes() {
        assert_eq!(percent_decode("a%20b+c").as_deref(), Some("a b c"));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%2"), None);
        assert_eq!(percent_decode("%ff"), None);
    }
}
