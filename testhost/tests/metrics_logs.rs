//! Metrics (define, increment, record, get) and logs per level.

mod common;

use testhost::LogLevel;

#[test]
fn counters_gauges_and_histograms() {
    let mut host = common::host("");
    assert_eq!(host.metric("fixture.requests"), Some(0));
    let (s, _) = common::op(
        &mut host,
        "metrics",
        &[("x-gauge", "5"), ("x-sample", "42")],
    );
    // get_metric inside the filter sees the counter its own request bumped.
    assert_eq!(s.request_header("x-requests").as_deref(), Some("1"));
    // Envoy cannot read a histogram back: BadArgument.
    assert_eq!(
        s.request_header("x-histogram-get").as_deref(),
        Some("Err(BadArgument)")
    );
    common::op(
        &mut host,
        "metrics",
        &[("x-gauge", "-2"), ("x-sample", "7")],
    );
    assert_eq!(host.metric("fixture.requests"), Some(2));
    assert_eq!(host.metric("wasmcustom.fixture.requests"), Some(2));
    assert_eq!(host.metric("fixture.gauge"), Some(3));
    assert_eq!(host.histogram("fixture.sizes"), Some(vec![42, 7]));
    assert_eq!(
        host.metric("fixture.sizes"),
        None,
        "histograms have no single value"
    );
    assert_eq!(host.metric("fixture.unknown"), None);
    let mut names = host.metric_names();
    names.sort();
    assert_eq!(
        names,
        [
            "fixture.gauge",
            "fixture.logged",
            "fixture.requests",
            "fixture.sizes",
            "fixture.ticks"
        ]
    );
}

#[test]
fn recording_a_gauge_sets_it() {
    let mut host = common::host("");
    common::op(&mut host, "gauge-set", &[("x-gauge", "17")]);
    common::op(&mut host, "gauge-set", &[("x-gauge", "4")]);
    assert_eq!(host.metric("fixture.gauge"), Some(4));
}

#[test]
fn a_non_positive_counter_increment_is_refused_like_envoy() {
    let mut host = common::host("");
    let (s, _) = common::op(&mut host, "counter-zero", &[]);
    assert_eq!(
        s.request_header("x-result").as_deref(),
        Some("Err(BadArgument)")
    );
    assert_eq!(host.metric("fixture.requests"), Some(1));
}

#[test]
fn logs_are_captured_per_level() {
    let mut host = common::host("");
    let (s, _) = common::op(&mut host, "log", &[]);
    assert_eq!(s.request_header("x-log-level").as_deref(), Some("Trace"));
    for (level, name) in [
        (LogLevel::Trace, "Trace"),
        (LogLevel::Debug, "Debug"),
        (LogLevel::Info, "Info"),
        (LogLevel::Warn, "Warn"),
        (LogLevel::Error, "Error"),
        (LogLevel::Critical, "Critical"),
    ] {
        assert!(
            host.logs()
                .contains(&(level, format!("fixture log {name}"))),
            "{name}"
        );
        assert!(
            host.logs_at(level).contains(&format!("fixture log {name}")),
            "{name}"
        );
    }
    host.clear_logs();
    assert!(host.logs().is_empty());
}

#[test]
fn the_log_level_filters_like_envoy() {
    let mut host = common::host("");
    host.set_log_level(LogLevel::Warn);
    host.clear_logs();
    let (s, _) = common::op(&mut host, "log", &[]);
    assert_eq!(s.request_header("x-log-level").as_deref(), Some("Warn"));
    let levels: Vec<LogLevel> = host.logs().into_iter().map(|(l, _)| l).collect();
    assert!(levels.contains(&LogLevel::Warn));
    assert!(!levels.contains(&LogLevel::Info));
    assert!(!levels.contains(&LogLevel::Debug));
}
