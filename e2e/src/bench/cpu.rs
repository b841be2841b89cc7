//! How much CPU a process has used: utime + stime of all its threads, from
//! `/proc/<pid>/stat`. Divided by the requests of a wrk run, it is the Envoy's
//! own cost per request — steadier than throughput on a shared machine, where
//! wrk and other work compete for the same cores.

use std::time::Duration;

/// CPU time `pid` has used so far (Linux only; `None` elsewhere or once it exited).
pub fn used(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&stat, ticks_per_second())
}

fn ticks_per_second() -> u64 {
    // SAFETY: sysconf reads a constant of the C library; no memory is shared.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(t).ok().filter(|t| *t > 0).unwrap_or(100)
}

/// utime (field 14) + stime (field 15), in clock ticks. The command name (field 2)
/// is in parentheses and may itself contain spaces and parentheses: count from
/// the last `)`.
pub fn parse_stat(stat: &str, ticks_per_second: u64) -> Option<Duration> {
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    let ticks = utime.checked_add(stime)?;
    Some(Duration::from_secs_f64(
        ticks as f64 / ticks_per_second as f64,
    ))
}

/// Microseconds of CPU per request between two readings.
pub fn per_request_us(before: Duration, after: Duration, requests: u64) -> f64 {
    if requests == 0 || after < before {
        return f64::NAN;
    }
    (after - before).as_secs_f64() * 1e6 / requests as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_utime_and_stime() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
        let stat = "4242 (envoy) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 123 456";
        assert_eq!(parse_stat(stat, 100), Some(Duration::from_secs(3)));
        let odd_name = "7 (a) b (c)) R 1 7 7 0 -1 0 0 0 0 0 7 3 0 0";
        assert_eq!(parse_stat(odd_name, 10), Some(Duration::from_secs(1)));
        assert_eq!(parse_stat("7 (x) R 1 2", 100), None);
        assert_eq!(parse_stat("no parens", 100), None);
    }

    #[test]
    fn this_process_uses_cpu() {
        // Spin until the kernel has accounted at least one more tick (10 ms) to us.
        let before = used(std::process::id()).unwrap();
        let start = std::time::Instant::now();
        let mut x = 0u64;
        let mut after = before;
        while after <= before && start.elapsed() < Duration::from_secs(10) {
            for _ in 0..100_000 {
                x = std::hint::black_box(x.wrapping_add(1));
            }
            after = used(std::process::id()).unwrap();
        }
        assert!(after > before, "{before:?} → {after:?}");
    }

    #[test]
    fn per_request() {
        let us = per_request_us(
            Duration::from_millis(100),
            Duration::from_millis(300),
            10_000,
        );
        assert!((us - 20.0).abs() < 1e-9);
        assert!(per_request_us(Duration::ZERO, Duration::from_secs(1), 0).is_nan());
        assert!(per_request_us(Duration::from_secs(2), Duration::from_secs(1), 5).is_nan());
    }
}
