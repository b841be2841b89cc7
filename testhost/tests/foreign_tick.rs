//! Foreign functions and tick timers.

mod common;

use std::time::Duration;

use testhost::LogLevel;

#[test]
fn clear_route_cache_is_recorded() {
    let mut host = common::host("");
    assert!(host.foreign_calls().is_empty());
    let (s, _) = common::op(&mut host, "foreign", &[("x-name", "clear_route_cache")]);
    assert_eq!(s.request_header("x-result").as_deref(), Some("ok None"));
    assert_eq!(host.foreign_calls(), ["clear_route_cache"]);
}

#[test]
fn an_unknown_foreign_function_is_not_found() {
    let mut host = common::host("");
    let (s, _) = common::op(&mut host, "foreign", &[("x-name", "declare_property")]);
    assert_eq!(s.request_header("x-result").as_deref(), Some("NotFound"));
    assert!(host.foreign_calls().is_empty());
}

#[test]
fn the_tick_period_is_recorded_and_tick_runs_on_tick() {
    let mut host = common::host("tick_ms=1500");
    assert_eq!(host.tick_period(), Some(Duration::from_millis(1500)));
    host.tick();
    host.tick();
    assert_eq!(host.metric("fixture.ticks"), Some(2));
    assert_eq!(
        host.logs_at(LogLevel::Debug),
        ["fixture: tick", "fixture: tick"]
    );
}

#[test]
fn tick_without_a_period_fails_the_test() {
    let mut host = common::host("");
    assert_eq!(host.tick_period(), None);
    let message = common::panic_message(|| host.tick());
    assert!(message.contains("no tick period"), "{message}");
}
