//! Local responses, resuming and resetting streams, the end of a stream.

mod common;

use testhost::{Action, LogLevel};

#[test]
fn a_local_response_is_captured_with_status_headers_and_body() {
    let mut host = common::host("");
    let (s, action) = common::op(&mut host, "local", &[("x-status", "403")]);
    assert_eq!(action, Action::Pause);
    let response = s.local_response().unwrap();
    assert_eq!(response.status, 403);
    assert_eq!(response.header("X-Reason"), Some("fixture"));
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.body, br#"{"error":"denied"}"#);
    assert_eq!(response.details, "");
}

#[test]
fn no_local_response_when_the_filter_sends_none() {
    let mut host = common::host("");
    let (s, action) = common::op(&mut host, "", &[]);
    assert_eq!(action, Action::Continue);
    assert_eq!(s.local_response(), None);
}

#[test]
fn continue_stream_is_recorded_and_releases_the_buffered_body() {
    let mut host = common::host("");
    let (mut s, action) = common::op(&mut host, "resume-on-body", &[]);
    assert_eq!(action, Action::Pause);
    assert_eq!(s.request_body("part", false), Action::Pause);
    assert!(!s.resumed());
    assert_eq!(s.request_body("-end", true), Action::Pause);
    assert!(s.resumed());
    assert_eq!(s.request_body_sent(), b"part-end");
}

#[test]
fn response_resume_is_recorded_separately() {
    let mut host = common::host("");
    let (mut s, _) = common::op(&mut host, "response-pause", &[]);
    assert_eq!(
        s.response_headers(&[(":status", "200")], false),
        Action::Pause
    );
    assert!(!s.response_resumed());
    s.response_body("x", true);
    assert!(s.response_resumed());
    assert!(!s.resumed());
}

#[test]
fn close_stream_is_recorded() {
    let mut host = common::host("");
    let (mut s, _) = common::op(&mut host, "close", &[]);
    assert!(s.request_closed());
    assert!(!s.response_closed());
    let (mut s2, _) = common::op(&mut host, "response-close", &[]);
    s2.response_headers(&[(":status", "200")], true);
    assert!(s2.response_closed());
    s.finish();
    s2.finish();
}

#[test]
fn finish_runs_on_done_on_log_and_on_delete() {
    let mut host = common::host("");
    let (mut s, _) = common::op(&mut host, "", &[]);
    s.finish();
    assert_eq!(host.metric("fixture.logged"), Some(1));
    // on_log reads maps the stream never got: NotFound (None), not a panic.
    assert!(host
        .logs_at(LogLevel::Info)
        .contains(&"fixture: on_log /p None".to_owned()));
    // The captured state stays readable; further callbacks are refused.
    assert_eq!(s.request_header(":path").as_deref(), Some("/p"));
    let message = common::panic_message(|| {
        s.request_body("late", true);
    });
    assert!(message.contains("after finish()"), "{message}");
}

#[test]
fn proxy_done_is_counted() {
    let mut host = common::host("");
    assert_eq!(host.done_calls(), 0);
    common::op(&mut host, "done", &[]);
    assert_eq!(host.done_calls(), 1);
}

#[test]
fn streams_are_independent() {
    let mut host = common::host("");
    let (a, _) = common::op(&mut host, "get", &[("x-name", "x-v"), ("x-v", "a")]);
    let (b, _) = common::op(&mut host, "get", &[("x-name", "x-v"), ("x-v", "b")]);
    assert_ne!(a.id(), b.id());
    assert_eq!(a.request_header("x-got").as_deref(), Some("a"));
    assert_eq!(b.request_header("x-got").as_deref(), Some("b"));
}
