//! RFC 9110 tokens: what a header name (and a cookie name, a lane tag) may be.
//! Configured header names are also required lower-case: HTTP/2 and Envoy's
//! header maps carry them lower-cased, so an upper-case name would never match.

/// RFC 9110 `tchar`.
pub fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A non-empty run of `tchar`.
pub fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

/// A configured header name: a token without upper-case letters.
pub fn is_header_name(s: &str) -> bool {
    is_token(s) && !s.bytes().any(|b| b.is_ascii_uppercase())
}

/// Checks a configured header name, naming the field and the reason.
pub fn check_header_name(name: &str, field: &str, errors: &mut crate::ConfigErrors) -> bool {
    if !is_token(name) {
        errors.add(field, format!("{name:?} is not a valid header name"));
        false
    } else if name.bytes().any(|b| b.is_ascii_uppercase()) {
        errors.add(field, format!("{name:?} must be lowercase"));
        false
    } else {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_header_names() {
        assert!(is_token("x-grey"));
        assert!(is_token("X-Grey!#$%&'*+-.^_`|~"));
        for bad in ["", "a b", "a:b", "a\"b", "a/b", "ä", "a\tb", "(a)"] {
            assert!(!is_token(bad), "{bad:?}");
        }
        assert!(is_header_name("x-jwt-sub"));
        assert!(!is_header_name("X-Jwt-Sub"));
        assert!(!is_header_name(""));
    }

    #[test]
    fn check_names_the_field_and_reason() {
        let mut errors = crate::ConfigErrors::new();
        assert!(check_header_name("x-a", "a", &mut errors));
        assert!(!check_header_name("X-A", "b", &mut errors));
        assert!(!check_header_name("x a", "c", &mut errors));
        assert_eq!(errors.fields(), vec!["b", "c"]);
        assert!(errors.errors[0].message.contains("lowercase"));
    }
}
