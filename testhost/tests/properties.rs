//! proxy_get_property / proxy_set_property: test-set values host-wide and
//! per stream, attributes derived from the stream, NotFound like Envoy.

mod common;

use testhost::Host;

fn prop(host: &mut Host, path: &str) -> Option<String> {
    let (s, _) = common::op(host, "property", &[("x-path", path)]);
    s.request_header("x-prop")
}

#[test]
fn node_metadata_labels_set_by_the_test_are_visible() {
    let mut host = Host::load(common::fixture()).unwrap();
    host.set_property(&["node", "metadata", "LABELS", "type"], b"grey");
    let mut host = host.config("").unwrap();
    assert_eq!(
        prop(&mut host, "node/metadata/LABELS/type").as_deref(),
        Some("grey")
    );
}

#[test]
fn a_missing_property_is_not_found() {
    let mut host = common::host("");
    let (s, _) = common::op(
        &mut host,
        "property",
        &[("x-path", "node/metadata/LABELS/none")],
    );
    assert_eq!(s.request_header("x-prop"), None);
    assert_eq!(s.request_header("x-prop-missing").as_deref(), Some("1"));
}

#[test]
fn a_per_stream_property_overrides_the_host_wide_one() {
    let mut host = common::host("");
    host.set_property(&["listener_direction"], 2i64.to_le_bytes());
    let mut s = host.stream();
    s.set_property(&["listener_direction"], 1i64.to_le_bytes());
    s.request_headers(
        &[
            (":path", "/"),
            ("x-op", "property"),
            ("x-path", "listener_direction"),
            ("x-int", "1"),
        ],
        true,
    );
    assert_eq!(s.request_header("x-prop").as_deref(), Some("1"));
    let (other, _) = common::op(
        &mut host,
        "property",
        &[("x-path", "listener_direction"), ("x-int", "1")],
    );
    assert_eq!(other.request_header("x-prop").as_deref(), Some("2"));
}

#[test]
fn request_attributes_are_derived_from_the_headers() {
    let mut host = common::host("");
    let mut s = host.stream();
    s.request_headers(
        &[
            (":method", "POST"),
            (":path", "/a/b?q=1"),
            (":authority", "svc.example"),
            (":scheme", "https"),
            ("x-request-id", "rid-1"),
            ("x-op", "property"),
            ("x-path", "request/url_path"),
        ],
        true,
    );
    assert_eq!(s.request_header("x-prop").as_deref(), Some("/a/b"));
    let attr = |name: &[&str]| s.property(name).map(|v| String::from_utf8(v).unwrap());
    assert_eq!(attr(&["request", "path"]).as_deref(), Some("/a/b?q=1"));
    assert_eq!(attr(&["request", "method"]).as_deref(), Some("POST"));
    assert_eq!(attr(&["request", "host"]).as_deref(), Some("svc.example"));
    assert_eq!(attr(&["request", "scheme"]).as_deref(), Some("https"));
    assert_eq!(attr(&["request", "id"]).as_deref(), Some("rid-1"));
    assert_eq!(
        attr(&["request", "headers", "x-request-id"]).as_deref(),
        Some("rid-1")
    );
    s.response_headers(&[(":status", "503")], true);
    assert_eq!(
        s.property(&["response", "code"]),
        Some(503i64.to_le_bytes().to_vec())
    );
}

#[test]
fn a_test_set_request_attribute_wins_over_the_derived_one() {
    let mut host = common::host("");
    let mut s = host.stream();
    s.set_property(&["request", "path"], "/from-test");
    s.request_headers(
        &[
            (":path", "/from-headers"),
            ("x-op", "property"),
            ("x-path", "request/path"),
        ],
        true,
    );
    assert_eq!(s.request_header("x-prop").as_deref(), Some("/from-test"));
}

#[test]
fn a_property_the_filter_sets_reads_back_on_its_stream_only() {
    let mut host = common::host("");
    let (s, _) = common::op(&mut host, "set-property", &[("x-value", "noted")]);
    assert_eq!(s.request_header("x-prop").as_deref(), Some("noted"));
    assert_eq!(s.property(&["fixture", "note"]), Some(b"noted".to_vec()));
    assert_eq!(prop(&mut host, "fixture/note"), None);
}
