//! Whether a normalized path fits a configured `exact`, `prefix` or `regex`
//! match: one meaning in every filter.
//!
//! A prefix ends at a segment boundary: `/public` covers `/public` and
//! `/public/...`, never `/publicity`; `/public/` covers `/public/...` only.
//! (Istio's VirtualService `uri.prefix` is a plain string prefix; here it is
//! not, so a rule never reaches a path one segment name over.) A regex must
//! match the whole path.

use crate::full_match_regex::full_match;
use crate::path::normalize;
use regex_lite::Regex;

#[derive(Debug, Clone)]
pub enum PathMatch {
    Exact(String),
    Prefix(String),
    Regex(Regex),
}

impl PathMatch {
    pub fn fits(&self, path: &str) -> bool {
        match self {
            PathMatch::Exact(e) => path == e,
            PathMatch::Prefix(p) => prefix_covers(p, path),
            PathMatch::Regex(re) => re.is_match(path),
        }
    }
}

/// `prefix` covers `path` when the path is the prefix, or continues it after
/// a `/` (the prefix's last character or the path's next one).
pub fn prefix_covers(prefix: &str, path: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || prefix.ends_with('/') || rest.starts_with('/'))
}

/// Checks an `exact` or `prefix` pattern: rules are matched on normalized
/// paths, so any other pattern could never match and is refused.
pub fn check_path_pattern(pattern: &str) -> Result<(), String> {
    if !pattern.contains('?') && normalize(pattern).as_deref() == Ok(pattern) {
        Ok(())
    } else {
        Err(NOT_NORMALIZED.to_string())
    }
}

const NOT_NORMALIZED: &str =
    "must be a normalized path starting with / (no ., .., //, ;, query, or escape of a character that needs none)";

impl PathMatch {
    /// An `exact` match; refused when no normalized path could equal it.
    pub fn exact(pattern: &str) -> Result<Self, String> {
        check_path_pattern(pattern)?;
        Ok(PathMatch::Exact(pattern.to_string()))
    }

    /// A `prefix` match; refused when no normalized path could start with it.
    pub fn prefix(pattern: &str) -> Result<Self, String> {
        check_path_pattern(pattern)?;
        Ok(PathMatch::Prefix(pattern.to_string()))
    }

    /// A `regex` match on the whole path, within the shared regex limits.
    pub fn regex(pattern: &str) -> Result<Self, String> {
        full_match(pattern).map(PathMatch::Regex)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_end_at_a_segment_boundary() {
        assert!(prefix_covers("/public", "/public"));
        assert!(prefix_covers("/public", "/public/"));
        assert!(prefix_covers("/public", "/public/a/b"));
        assert!(!prefix_covers("/public", "/publicity"));
        assert!(!prefix_covers("/public", "/publicity/admin"));
        assert!(!prefix_covers("/public", "/pub"));
        assert!(prefix_covers("/public/", "/public/a"));
        assert!(prefix_covers("/public/", "/public/"));
        assert!(!prefix_covers("/public/", "/public"));
        assert!(prefix_covers("/", "/anything/at/all"));
        assert!(prefix_covers("/", "/"));
    }

    #[test]
    fn each_kind_fits_as_documented() {
        assert!(PathMatch::exact("/a/b").unwrap().fits("/a/b"));
        assert!(!PathMatch::exact("/a/b").unwrap().fits("/a/b/"));
        assert!(PathMatch::prefix("/a").unwrap().fits("/a/b"));
        assert!(!PathMatch::prefix("/a").unwrap().fits("/ab"));
        let re = PathMatch::regex("/a/[0-9]+").unwrap();
        assert!(re.fits("/a/42"));
        assert!(!re.fits("/a/42/x"), "whole path only");
    }

    #[test]
    fn patterns_that_could_never_match_are_refused() {
        for p in [
            "public", "/a/../b", "/a//b", "/a/./b", "/a;x", "/a?q", "/a%2Fb", "/a%7e", "/a b", "",
        ] {
            assert!(check_path_pattern(p).is_err(), "{p:?}");
            assert!(PathMatch::prefix(p).is_err(), "{p:?}");
            assert!(PathMatch::exact(p).is_err(), "{p:?}");
        }
        for p in ["/", "/a", "/a/", "/a/b%20c", "/~user/"] {
            assert!(check_path_pattern(p).is_ok(), "{p:?}");
        }
        assert!(PathMatch::regex("(").is_err());
    }
}
