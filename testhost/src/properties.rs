//! Property lookup (`proxy_get_property`): what the test set for the stream,
//! then request/response attributes derived from the stream's headers the
//! way Envoy exposes them, then what the test set host-wide. Anything else is
//! NotFound, as in Envoy.
//!
//! Values are raw bytes in Envoy's encoding: strings as their bytes, integers
//! (`response.code`, `listener_direction`) as 8-byte little-endian i64.

use crate::state::{State, StreamState};
use crate::types::find_bytes;

pub fn lookup(state: &State, path: &[String]) -> Option<Vec<u8>> {
    if let Some(stream) = state.streams.get(&state.effective) {
        if let Some(value) = stream.properties.get(path) {
            return Some(value.clone());
        }
        if let Some(value) = derived(stream, path) {
            return Some(value);
        }
    }
    state.properties.get(path).cloned()
}

fn derived(stream: &StreamState, path: &[String]) -> Option<Vec<u8>> {
    let segments: Vec<&str> = path.iter().map(String::as_str).collect();
    let request = stream.request_headers.as_deref().unwrap_or_default();
    let response = stream.response_headers.as_deref().unwrap_or_default();
    let text = |v: Option<&[u8]>| v.map(<[u8]>::to_vec);
    let find = find_bytes;
    match segments.as_slice() {
        ["request", "path"] => text(find(request, ":path")),
        ["request", "url_path"] => {
            text(find(request, ":path").map(|p| p.split(|b| *b == b'?').next().unwrap_or(p)))
        }
        ["request", "host"] => text(find(request, ":authority")),
        ["request", "method"] => text(find(request, ":method")),
        ["request", "scheme"] => text(find(request, ":scheme")),
        ["request", "id"] => text(find(request, "x-request-id")),
        ["request", "headers", name] => text(find(request, name)),
        ["response", "headers", name] => text(find(response, name)),
        ["response", "code"] => find(response, ":status")
            .and_then(|s| std::str::from_utf8(s).ok())
            .and_then(|s| s.parse::<i64>().ok())
            .map(|code| code.to_le_bytes().to_vec()),
        _ => None,
    }
}
