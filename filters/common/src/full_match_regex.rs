//! How every filter compiles a configured regex: the whole value must match
//! (`^(?:pattern)$`, as Envoy's `safe_regex` and Istio's `StringMatch.regex`),
//! RE2 syntax through regex-lite (linear time, no Unicode tables), within one
//! set of size and nesting limits, so a configuration cannot make any filter
//! build a huge or deeply nested program.

use regex_lite::{Regex, RegexBuilder};

/// Compiled program size allowed for one regex (regex-lite's measure).
pub const SIZE_LIMIT: usize = 64 * 1024;
/// Nesting depth allowed for one regex.
pub const NEST_LIMIT: u32 = 32;

/// `pattern` compiled to match whole values only. The error is one line,
/// ready to follow the field's path in a configuration error.
pub fn full_match(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(SIZE_LIMIT)
        .nest_limit(NEST_LIMIT)
        .build()
        .map_err(|e| {
            let reason = e.to_string();
            let reason: Vec<&str> = reason.split_whitespace().collect();
            format!("invalid or too large regex: {}", reason.join(" "))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_value_must_match() {
        let re = full_match("/api/[a-z]+").unwrap();
        assert!(re.is_match("/api/users"));
        assert!(!re.is_match("/api/users/1"));
        assert!(!re.is_match("x/api/users"));
        // An alternation stays inside the anchors.
        let re = full_match("a|b").unwrap();
        assert!(re.is_match("b"));
        assert!(!re.is_match("ab"));
    }

    #[test]
    fn bad_huge_and_deep_patterns_are_refused_in_one_line() {
        for bad in [
            "(".to_string(),
            "\\p{Greek}".to_string(),
            "(a{1000}){1000}".to_string(),
            format!(
                "{}x{}",
                "(".repeat(NEST_LIMIT as usize + 1),
                ")".repeat(NEST_LIMIT as usize + 1)
            ),
        ] {
            let err = full_match(&bad).unwrap_err();
            assert!(
                err.starts_with("invalid or too large regex: "),
                "{bad}: {err}"
            );
            assert!(!err.contains('\n'), "{err}");
        }
        let deep_ok = format!("{}x{}", "(".repeat(20), ")".repeat(20));
        assert!(full_match(&deep_ok).is_ok());
    }
}
