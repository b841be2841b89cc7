//! proxy_http_call: captured, answered, failed or timed out by the test.

mod common;

use testhost::Action;

fn call(host: &mut testhost::Host) -> (testhost::Stream, u32) {
    let (s, action) = common::op(
        host,
        "http-call",
        &[("x-upstream", "outbound|443||idp.example")],
    );
    assert_eq!(action, Action::Pause);
    let token: u32 = s.request_header("x-token").unwrap().parse().unwrap();
    (s, token)
}

#[test]
fn a_dispatched_call_is_captured() {
    let mut host = common::host("");
    let (_s, token) = call(&mut host);
    let calls = host.http_calls();
    assert_eq!(calls.len(), 1);
    let c = &calls[0];
    assert_eq!(c.token, token);
    assert_eq!(c.upstream, "outbound|443||idp.example");
    assert_eq!(c.header(":method"), Some("POST"));
    assert_eq!(c.header(":path"), Some("/lookup"));
    assert_eq!(c.body, b"ping");
    assert_eq!(c.timeout_ms, 1500);
    assert_eq!(
        c.trailers,
        vec![("x-sent-trailer".to_owned(), "t".to_owned())]
    );
}

#[test]
fn a_response_reaches_the_stream_that_called() {
    let mut host = common::host("");
    let (s, token) = call(&mut host);
    host.respond_http_call_with_trailers(
        token,
        200,
        &[("content-type", "application/json")],
        b"{\"k\":1}",
        &[("x-trailer", "tt")],
    );
    assert!(host.http_calls().is_empty());
    assert!(s.resumed());
    assert_eq!(s.request_header("x-call-status").as_deref(), Some("200"));
    assert_eq!(
        s.request_header("x-call-body").as_deref(),
        Some("{\"k\":1}")
    );
    assert_eq!(s.request_header("x-call-trailer").as_deref(), Some("tt"));
    // num_headers / headers read back / num_trailers
    assert_eq!(s.request_header("x-call-counts").as_deref(), Some("2/2/1"));
}

#[test]
fn the_effective_context_follows_each_call() {
    let mut host = common::host("");
    let (a, token_a) = call(&mut host);
    let (b, token_b) = call(&mut host);
    host.respond_http_call(token_b, 200, &[], "for b");
    host.respond_http_call(token_a, 201, &[], "for a");
    assert_eq!(a.request_header("x-call-body").as_deref(), Some("for a"));
    assert_eq!(a.request_header("x-call-context"), Some(a.id().to_string()));
    assert_eq!(b.request_header("x-call-body").as_deref(), Some("for b"));
    assert_eq!(a.request_header("x-call-status").as_deref(), Some("201"));
    assert_eq!(b.request_header("x-call-status").as_deref(), Some("200"));
}

#[test]
fn a_failed_call_has_no_headers_and_reports_broken_connection() {
    let mut host = common::host("");
    let (s, token) = call(&mut host);
    host.fail_http_call(token);
    let response = s.local_response().unwrap();
    assert_eq!(response.status, 502);
    assert_eq!(
        response.body_text(),
        format!("call {token} failed: 11 reset")
    );
    assert!(!s.resumed());
}

#[test]
fn a_timed_out_call_is_a_504_like_envoy() {
    let mut host = common::host("");
    let (s, token) = call(&mut host);
    host.timeout_http_call(token);
    assert_eq!(s.request_header("x-call-status").as_deref(), Some("504"));
    assert_eq!(
        s.request_header("x-call-body").as_deref(),
        Some("upstream request timeout")
    );
}

#[test]
fn unknown_clusters_and_missing_pseudo_headers_are_bad_argument() {
    let mut host = common::host("");
    host.set_clusters(&["known"]);
    let (s, action) = common::op(&mut host, "http-call", &[("x-upstream", "unknown")]);
    assert_eq!(action, Action::Continue);
    assert_eq!(
        s.request_header("x-call-error").as_deref(),
        Some("BadArgument")
    );
    let (s, _) = common::op(
        &mut host,
        "http-call",
        &[("x-upstream", "known"), ("x-bad", "1")],
    );
    assert_eq!(
        s.request_header("x-call-error").as_deref(),
        Some("BadArgument")
    );
    let (s, _) = common::op(&mut host, "http-call", &[("x-upstream", "known")]);
    assert!(s.request_header("x-token").is_some());
}

#[test]
fn finishing_a_stream_cancels_its_calls() {
    let mut host = common::host("");
    let (mut s, token) = call(&mut host);
    s.finish();
    assert!(host.http_calls().is_empty());
    let message = common::panic_message(|| host.respond_http_call(token, 200, &[], ""));
    assert!(
        message.contains(&format!("no pending http call with token {token}")),
        "{message}"
    );
}

#[test]
fn the_root_context_can_call_too() {
    let mut host = common::host("tick_ms=100\ntick_call=jwks");
    host.tick();
    let calls = host.http_calls();
    assert_eq!(calls[0].upstream, "jwks");
    host.respond_http_call(calls[0].token, 200, &[], "keys");
    assert!(host.logs_at(testhost::LogLevel::Info).contains(&format!(
        "fixture: root call {} answered with 1 headers: keys",
        calls[0].token
    )));
}
