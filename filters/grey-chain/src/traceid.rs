//! How a request's trace id is read from its correlation headers. The ids come
//! from clients and apps: each is validated and bounded before it keys the table.

/// Longest id accepted from a header without a known format.
pub const MAX_RAW_ID: usize = 128;

fn is_lower_hex(s: &str) -> bool {
    is_lower_hex_bytes(s.as_bytes())
}

fn is_lower_hex_bytes(s: &[u8]) -> bool {
    s.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn not_all_zero(s: &str) -> bool {
    s.bytes().any(|b| b != b'0')
}

/// The trace-id field of a W3C `traceparent`
/// (`version "-" trace-id "-" parent-id "-" trace-flags`), checked at the
/// fixed offsets the format has (a `split` costs the filter thousands of
/// wasm instructions per request).
pub fn from_traceparent(value: &str) -> Option<&str> {
    let value = value.trim_matches(|c| c == ' ' || c == '\t');
    let b = value.as_bytes();
    let hex = |from: usize, len: usize| {
        b.get(from..from + len)
            .filter(|f| is_lower_hex_bytes(f))
            .is_some()
    };
    let dash = |at: usize| b.get(at) == Some(&b'-');
    let version = value.get(0..2)?;
    let trace_id = value.get(3..35)?;
    let parent_id = value.get(36..52)?;
    let rest = b.get(55..)?;
    let valid = hex(0, 2)
        && version != "ff"
        && dash(2)
        && hex(3, 32)
        && not_all_zero(trace_id)
        && dash(35)
        && hex(36, 16)
        && not_all_zero(parent_id)
        && dash(52)
        && hex(53, 2)
        // Version 00 has exactly four fields; later versions may append more.
        && (rest.is_empty() || (version != "00" && rest.first() == Some(&b'-')));
    valid.then_some(trace_id)
}

/// A B3 trace id: 16 or 32 lowercase hex digits, not all zero.
fn b3_id(id: &str) -> Option<&str> {
    ((id.len() == 16 || id.len() == 32) && is_lower_hex(id) && not_all_zero(id)).then_some(id)
}

/// An opaque id (such as `x-request-id`): 1..=128 of `[A-Za-z0-9._:-]`.
fn raw_id(id: &str) -> Option<&str> {
    let ok = !id.is_empty()
        && id.len() <= MAX_RAW_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
    ok.then_some(id)
}

/// The trace id carried by correlation header `name` with `value`, if valid.
pub fn extract<'v>(name: &str, value: &'v str) -> Option<&'v str> {
    match name {
        "traceparent" => from_traceparent(value),
        "x-b3-traceid" => b3_id(value.trim()),
        "b3" => b3_id(value.trim().split('-').next()?),
        _ => raw_id(value.trim()),
    }
}

#[cfg(test)]
mod tests;
