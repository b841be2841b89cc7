//! WASI preview1 and the clock: time from the test clock, seeded random
//! bytes, environment, captured stdout/stderr.

mod common;

use std::time::{Duration, UNIX_EPOCH};

#[test]
fn both_clocks_follow_the_test_clock() {
    let mut host = common::host("");
    host.set_clock(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    let (s, _) = common::op(&mut host, "time", &[]);
    assert_eq!(s.request_header("x-now").as_deref(), Some("1700000000"));
    assert_eq!(s.request_header("x-std-now").as_deref(), Some("1700000000"));
    assert_eq!(s.request_header("x-elapsed").as_deref(), Some("0"));

    host.advance_clock(Duration::from_secs(61));
    assert_eq!(host.now(), UNIX_EPOCH + Duration::from_secs(1_700_000_061));
    let (s, _) = common::op(&mut host, "time", &[]);
    assert_eq!(s.request_header("x-now").as_deref(), Some("1700000061"));
    assert_eq!(s.request_header("x-std-now").as_deref(), Some("1700000061"));
    // Instant (monotonic clock) moved by the same amount.
    assert_eq!(s.request_header("x-elapsed").as_deref(), Some("61"));
}

#[test]
fn random_bytes_are_deterministic_per_seed() {
    let random = |seed: Option<u64>| {
        let mut host = common::host("");
        if let Some(seed) = seed {
            host.set_random_seed(seed);
        }
        let (s, _) = common::op(&mut host, "random", &[]);
        s.request_header("x-random").unwrap()
    };
    let default = random(None);
    assert_eq!(default.len(), 16);
    assert_eq!(default, random(None));
    assert_ne!(random(Some(7)), random(Some(8)));
    assert_eq!(random(Some(7)), random(Some(7)));
}

#[test]
fn environment_variables_come_from_the_test() {
    let mut host = testhost::Host::load(common::fixture()).unwrap();
    host.set_env("FIXTURE_MODE", "strict");
    let mut host = host.config("").unwrap();
    let (s, _) = common::op(&mut host, "env", &[("x-name", "FIXTURE_MODE")]);
    assert_eq!(s.request_header("x-env").as_deref(), Some("strict"));
    let (s, _) = common::op(&mut host, "env", &[("x-name", "HOME")]);
    assert_eq!(s.request_header("x-env").as_deref(), Some("unset"));
}

#[test]
fn stdout_and_stderr_are_captured() {
    let mut host = common::host("");
    common::op(&mut host, "print", &[]);
    assert_eq!(host.stdout(), "fixture stdout line\n");
    assert_eq!(host.stderr(), "fixture stderr line\n");
}
