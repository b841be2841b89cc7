//! How a cookie is read from a `Cookie` request header (RFC 6265 §5.4 syntax).

/// The value of the first cookie named `name` in a `Cookie` header value.
/// Surrounding double quotes of the value are removed.
pub fn find_cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        if k.trim() != name {
            return None;
        }
        let v = v.trim();
        Some(
            v.strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .unwrap_or(v),
        )
    })
}

/// The `Cookie` header value without the cookies named `name`; `None` when
/// nothing is left.
pub fn remove_cookie(header: &str, name: &str) -> Option<String> {
    let kept: Vec<&str> = header
        .split(';')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .filter(|pair| pair.split_once('=').map(|(k, _)| k.trim()) != Some(name))
        .collect();
    if kept.is_empty() {
        None
    } else {
        Some(kept.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_unquotes() {
        let h = "a=1; lane=\"grey\"; b=2";
        assert_eq!(find_cookie(h, "lane"), Some("grey"));
        assert_eq!(find_cookie(h, "a"), Some("1"));
        assert_eq!(find_cookie(h, "c"), None);
        assert_eq!(find_cookie("xlane=grey", "lane"), None);
    }

    #[test]
    fn removes_every_copy() {
        assert_eq!(
            remove_cookie("a=1; t=x; b=2; t=y", "t").as_deref(),
            Some("a=1; b=2")
        );
        assert_eq!(remove_cookie("t=x", "t"), None);
    }
}
