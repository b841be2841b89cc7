//! Shared data with CAS, and shared queues.

mod common;

use testhost::LogLevel;

#[test]
fn shared_data_set_and_get_with_cas() {
    let mut host = common::host("");
    let (s, _) = common::op(&mut host, "shared-get", &[("x-key", "k")]);
    assert_eq!(s.request_header("x-result").as_deref(), Some("missing"));

    let (s, _) = common::op(
        &mut host,
        "shared-set",
        &[("x-key", "k"), ("x-value", "v1")],
    );
    assert_eq!(s.request_header("x-result").as_deref(), Some("ok"));
    let (value, cas) = host.shared_data("k").unwrap();
    assert_eq!(value, b"v1");
    assert_ne!(cas, 0);

    let (s, _) = common::op(&mut host, "shared-get", &[("x-key", "k")]);
    assert_eq!(s.request_header("x-value").as_deref(), Some("v1"));
    assert_eq!(s.request_header("x-cas"), Some(cas.to_string()));
}

#[test]
fn a_stale_cas_is_a_mismatch_and_the_current_one_wins() {
    let mut host = common::host("");
    host.set_shared_data("k", "v1");
    let (_, cas) = host.shared_data("k").unwrap();
    host.set_shared_data("k", "v2"); // another worker wrote meanwhile
    let stale = cas.to_string();
    let (s, _) = common::op(
        &mut host,
        "shared-set",
        &[("x-key", "k"), ("x-value", "mine"), ("x-cas", &stale)],
    );
    assert_eq!(
        s.request_header("x-result").as_deref(),
        Some("cas-mismatch")
    );
    assert_eq!(host.shared_data("k").unwrap().0, b"v2");

    let current = host.shared_data("k").unwrap().1.to_string();
    let (s, _) = common::op(
        &mut host,
        "shared-set",
        &[("x-key", "k"), ("x-value", "mine"), ("x-cas", &current)],
    );
    assert_eq!(s.request_header("x-result").as_deref(), Some("ok"));
    let (value, new_cas) = host.shared_data("k").unwrap();
    assert_eq!(value, b"mine");
    assert_ne!(new_cas.to_string(), current);
    // fixture.config (set in on_configure) and k.
    assert_eq!(host.shared_data_len(), 2);
}

#[test]
fn queues_deliver_on_queue_ready_to_the_root() {
    let mut host = common::host("queue=jobs");
    assert!(host
        .logs_at(LogLevel::Info)
        .contains(&"fixture: queue jobs = 1".to_owned()));
    host.enqueue("jobs", "from-test");
    assert!(host
        .logs_at(LogLevel::Info)
        .contains(&"fixture: dequeued from-test".to_owned()));
    // An item the filter enqueues is delivered after its call returns.
    let (s, _) = common::op(
        &mut host,
        "enqueue",
        &[("x-queue", "jobs"), ("x-value", "from-filter")],
    );
    assert_eq!(s.request_header("x-result").as_deref(), Some("ok"));
    assert!(host
        .logs_at(LogLevel::Info)
        .contains(&"fixture: dequeued from-filter".to_owned()));
    assert_eq!(host.dequeue("jobs"), None, "on_queue_ready drained it");
}

#[test]
fn resolving_an_unknown_queue_is_not_found() {
    let mut host = common::host("");
    let (s, _) = common::op(
        &mut host,
        "enqueue",
        &[("x-queue", "nope"), ("x-value", "x")],
    );
    assert_eq!(s.request_header("x-result").as_deref(), Some("no-queue"));
}
