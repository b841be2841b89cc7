//! Which names a configuration may use: lanes, header names (with the
//! pseudo-headers a rule may read), query parameter names.

use super::model::MAX_LANE_LEN;
use filters_common::http_token::is_header_name;
use filters_common::ConfigErrors;

/// A lane travels in a header value, a baggage value and the shared table:
/// letters, digits, `.`, `_`, `-`, starting with a letter or digit.
pub fn is_lane_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphanumeric())
        && s.len() <= MAX_LANE_LEN
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
}

pub(super) fn check_header_name(errors: &mut ConfigErrors, field: &str, name: &str) {
    if !is_header_name(name) {
        errors.add(field, "must be a lowercase HTTP header name");
    }
}

/// Rule matchers may also read the pseudo-headers `:authority`, `:path`, `:method`.
pub(super) fn check_match_header_name(errors: &mut ConfigErrors, field: &str, name: &str) {
    match name.strip_prefix(':') {
        Some("authority" | "path" | "method" | "scheme") => {}
        _ => check_header_name(errors, field, name),
    }
}

pub(super) fn check_query_name(errors: &mut ConfigErrors, field: &str, name: &str) {
    if name.is_empty()
        || name
            .bytes()
            .any(|b| matches!(b, b'&' | b'=' | b'#' | b'?') || !b.is_ascii_graphic())
    {
        errors.add(
            field,
            "must be a non-empty query parameter name without & = # ?",
        );
    }
}
