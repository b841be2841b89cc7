//! Header maps, bodies and trailers of an http stream, with Envoy's
//! semantics and the spec's serialization.

mod common;

use testhost::{Action, ReplaceSemantics};

#[test]
fn the_filter_reads_the_request_headers_in_order_with_names_lower_cased() {
    let mut host = common::host("");
    let (s, action) = common::op(
        &mut host,
        "headers",
        &[("X-Dup", "1"), ("x-dup", "2"), ("x-empty", "")],
    );
    assert_eq!(action, Action::Pause);
    let body = s.local_response().unwrap().body_text();
    assert_eq!(
        body,
        ":method=GET\n:path=/p\n:authority=a.example\nx-op=headers\nx-dup=1\nx-dup=2\nx-empty=\nx-seen=7/true\n"
    );
}

#[test]
fn header_count_and_end_of_stream_reach_the_callback() {
    let mut host = common::host("");
    let mut s = host.stream();
    s.request_headers(&[(":path", "/"), ("a", "1")], false);
    assert_eq!(s.request_header("x-seen").as_deref(), Some("2/false"));
    let (s, _) = common::op(&mut host, "", &[]);
    assert_eq!(s.request_header("x-seen").as_deref(), Some("4/true"));
}

#[test]
fn get_returns_the_first_value_and_not_found_is_none() {
    let mut host = common::host("");
    let (s, _) = common::op(
        &mut host,
        "get",
        &[("x-name", "X-Two"), ("x-two", "first"), ("x-two", "second")],
    );
    assert_eq!(s.request_header("x-got").as_deref(), Some("first"));
    let (s, _) = common::op(&mut host, "get", &[("x-name", "x-absent")]);
    assert_eq!(s.request_header("x-got"), None);
    assert_eq!(s.request_header("x-got-missing").as_deref(), Some("1"));
}

#[test]
fn add_appends_and_keeps_duplicates() {
    let mut host = common::host("");
    let (s, _) = common::op(&mut host, "add", &[]);
    let multi: Vec<String> = s
        .request_headers_now()
        .into_iter()
        .filter(|(k, _)| k == "x-multi")
        .map(|(_, v)| v)
        .collect();
    assert_eq!(multi, ["a", "b"]);
}

fn names_and_values(s: &testhost::Stream) -> Vec<(String, String)> {
    s.request_headers_now()
}

fn pair(k: &str, v: &str) -> (String, String) {
    (k.to_owned(), v.to_owned())
}

#[test]
fn replace_removes_every_copy_then_adds_one_like_envoy() {
    // Envoy's HeaderMap::setCopy: remove(key), then addCopy(key, value).
    let mut host = common::host("");
    let (s, _) = common::op(
        &mut host,
        "replace",
        &[
            ("x-new", "1"),
            ("x-keep", "k"),
            ("X-New", "2"),
            ("x-new", "3"),
        ],
    );
    assert_eq!(
        names_and_values(&s),
        vec![
            pair(":method", "GET"),
            pair(":authority", "a.example"),
            // A pseudo-header is added in front of the regular headers.
            pair(":path", "/replaced"),
            pair("x-op", "replace"),
            pair("x-keep", "k"),
            pair("x-seen", "8/true"),
            // Every client copy is gone; the one set is added last.
            pair("x-new", "v"),
        ]
    );
}

#[test]
fn replace_appends_an_absent_header() {
    for semantics in [ReplaceSemantics::AllCopies, ReplaceSemantics::FirstCopyOnly] {
        let mut host = common::host("");
        host.set_replace_semantics(semantics);
        let (s, _) = common::op(&mut host, "replace", &[]);
        let headers = names_and_values(&s);
        assert_eq!(headers.last(), Some(&pair("x-new", "v")), "{semantics:?}");
        assert_eq!(
            headers.iter().filter(|(k, _)| k == ":path").count(),
            1,
            "{semantics:?}"
        );
    }
}

#[test]
fn replace_can_model_hosts_that_set_only_the_first_copy() {
    let mut host = common::host("");
    host.set_replace_semantics(ReplaceSemantics::FirstCopyOnly);
    let (s, _) = common::op(
        &mut host,
        "replace",
        &[
            ("x-new", "1"),
            ("x-keep", "k"),
            ("X-New", "2"),
            ("x-new", "3"),
        ],
    );
    assert_eq!(
        names_and_values(&s),
        vec![
            pair(":method", "GET"),
            // Set in place.
            pair(":path", "/replaced"),
            pair(":authority", "a.example"),
            pair("x-op", "replace"),
            pair("x-new", "v"),
            pair("x-keep", "k"),
            // The other copies stay.
            pair("x-new", "2"),
            pair("x-new", "3"),
            pair("x-seen", "8/true"),
        ]
    );
}

#[test]
fn remove_drops_every_occurrence() {
    let mut host = common::host("");
    let (s, _) = common::op(
        &mut host,
        "remove",
        &[("x-remove", "1"), ("x-keep", "k"), ("X-Remove", "2")],
    );
    assert_eq!(s.request_header("x-remove"), None);
    assert_eq!(s.request_header("x-keep").as_deref(), Some("k"));
}

#[test]
fn set_whole_map_replaces_everything() {
    let mut host = common::host("");
    let (s, _) = common::op(&mut host, "set-all", &[("x-gone", "1")]);
    // x-seen was added before the op ran, so it is gone too.
    assert_eq!(
        s.request_headers_now(),
        vec![
            (":path".to_owned(), "/all".to_owned()),
            ("x-only".to_owned(), "1".to_owned())
        ]
    );
}

#[test]
fn a_map_the_stream_does_not_have_yet_is_bad_argument_like_envoy() {
    let mut host = common::host("");
    let message = common::panic_message(|| {
        common::op(&mut host, "response-map", &[]);
    });
    assert!(message.contains("unexpected status: 2"), "{message}");
}

#[test]
fn response_headers_are_read_and_modified() {
    let mut host = common::host("");
    let (mut s, _) = common::op(&mut host, "", &[]);
    let action = s.response_headers(&[(":status", "201"), ("Content-Type", "text/plain")], false);
    assert_eq!(action, Action::Continue);
    assert_eq!(
        s.response_header("x-fixture-response").as_deref(),
        Some("201/2")
    );
    assert_eq!(
        s.response_header("content-type").as_deref(),
        Some("text/plain")
    );
    assert_eq!(s.response_headers_now().len(), 3);
}

#[test]
fn request_body_is_buffered_while_paused_and_can_be_rewritten() {
    let mut host = common::host("");
    let (mut s, action) = common::op(&mut host, "body", &[]);
    assert_eq!(action, Action::Pause);
    assert_eq!(s.request_body("hello ", false), Action::Pause);
    assert!(s.request_body_sent().is_empty());
    assert_eq!(s.request_body("world", true), Action::Continue);
    assert_eq!(s.request_body_sent(), b"HELLO WORLD");
    // on_request_body saw 6, then the buffered 11 bytes.
    assert_eq!(host.histogram("fixture.sizes").unwrap(), vec![6, 11]);
}

#[test]
fn body_chunks_pass_through_when_the_filter_continues() {
    let mut host = common::host("");
    let (mut s, _) = common::op(&mut host, "", &[]);
    assert_eq!(s.request_body("ab", false), Action::Continue);
    assert_eq!(s.request_body("cd", true), Action::Continue);
    assert_eq!(s.request_body_sent(), b"abcd");
    assert_eq!(host.histogram("fixture.sizes").unwrap(), vec![2, 2]);
}

#[test]
fn response_body_is_rewritten_at_end_of_stream() {
    let mut host = common::host("");
    let (mut s, _) = common::op(&mut host, "response-body", &[]);
    s.response_headers(&[(":status", "200")], false);
    assert_eq!(s.response_body("original ", false), Action::Pause);
    assert_eq!(s.response_body("text", true), Action::Continue);
    assert_eq!(s.response_body_sent(), b"rewritten");
}

#[test]
fn trailers_reach_the_filter_and_can_be_modified() {
    let mut host = common::host("");
    let (mut s, _) = common::op(&mut host, "", &[]);
    assert_eq!(
        s.request_trailers(&[("grpc-status", "0")]),
        Action::Continue
    );
    assert_eq!(
        s.request_trailers_now(),
        vec![
            ("grpc-status".to_owned(), "0".to_owned()),
            ("x-trailers-seen".to_owned(), "1/0".to_owned())
        ]
    );
    s.response_headers(&[(":status", "200")], false);
    assert_eq!(
        s.response_trailers(&[("a", "1"), ("b", "2")]),
        Action::Continue
    );
    assert!(s
        .response_trailers_now()
        .contains(&("x-response-trailers".to_owned(), "2".to_owned())));
}
