//! Shared helpers of the testhost tests: the built module, configured.
#![allow(dead_code, clippy::expect_used, clippy::panic, clippy::unwrap_used)]

use std::time::{Duration, UNIX_EPOCH};
use testhost::{Action, Host};

pub const T0: u64 = 1_700_000_000;

pub fn host(config: &str) -> Host {
    let mut host = Host::load(testhost::dist("grey_chain")).expect("run `make build` first");
    host.set_clock(UNIX_EPOCH + Duration::from_secs(T0));
    host.config(config)
        .unwrap_or_else(|e| panic!("config refused: {e:?}"))
}

/// Runs one request through the filter; returns its request headers afterwards.
pub fn request(host: &mut Host, headers: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut s = host.stream();
    let all = with_defaults(headers);
    assert_eq!(s.request_headers(&all, true), Action::Continue);
    let out = s.request_headers_now();
    s.finish();
    out
}

/// A request on a sidecar listener of the given direction (1 inbound, 2 outbound),
/// the property as Envoy 1.40 serves it (`xds.listener_direction`).
pub fn sidecar_request(
    host: &mut Host,
    direction: i64,
    headers: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut s = host.stream();
    s.set_property(&["xds", "listener_direction"], direction.to_le_bytes());
    let all = with_defaults(headers);
    assert_eq!(s.request_headers(&all, true), Action::Continue);
    let out = s.request_headers_now();
    s.finish();
    out
}

/// Like [`request`] / [`sidecar_request`] (`direction` 0: no listener
/// direction), with header values as raw bytes, which may be invalid UTF-8.
/// The headers afterwards are read lossily.
pub fn request_bytes(
    host: &mut Host,
    direction: i64,
    headers: &[(&str, &[u8])],
) -> Vec<(String, String)> {
    let mut s = host.stream();
    if direction != 0 {
        s.set_property(&["xds", "listener_direction"], direction.to_le_bytes());
    }
    let mut all: Vec<(&str, &[u8])> =
        vec![(":method", b"GET"), (":path", b"/"), (":authority", b"svc")];
    all.extend_from_slice(headers);
    assert_eq!(s.request_headers_bytes(&all, true), Action::Continue);
    let out = s.request_headers_now();
    s.finish();
    out
}

/// `headers` plus the pseudo-headers they do not set.
fn with_defaults<'a>(headers: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut all: Vec<(&str, &str)> = [(":method", "GET"), (":path", "/"), (":authority", "svc")]
        .into_iter()
        .filter(|(k, _)| !headers.iter().any(|(h, _)| h == k))
        .collect();
    all.extend_from_slice(headers);
    all
}

pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Every value of `name`, in order.
pub fn header_all<'a>(headers: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    headers
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

pub fn traceparent(i: u64) -> String {
    format!("00-{:032x}-00f067aa0ba902b7-01", i + 1)
}
