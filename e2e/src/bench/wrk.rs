//! Drives Debian's `wrk` (one thread, keep-alive) and reads its summary.

use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::process::Command;

/// What one wrk run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub rps: f64,
    /// Requests completed in the run (`N requests in …`).
    pub requests: u64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub non_2xx: u64,
    pub socket_errors: u64,
}

/// A Lua script on disk for `wrk -s`, removed on drop.
pub struct Script {
    path: Option<PathBuf>,
}

impl Script {
    pub fn new(lua: Option<&str>) -> Result<Script> {
        let Some(lua) = lua else {
            return Ok(Script { path: None });
        };
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "e2e-wrk-{}-{}.lua",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, lua)?;
        Ok(Script { path: Some(path) })
    }
}

impl Drop for Script {
    fn drop(&mut self) {
        if let Some(p) = &self.path {
            let _ = std::fs::remove_file(p);
        }
    }
}

pub fn run(
    url: &str,
    headers: &[(String, String)],
    script: &Script,
    seconds: u32,
    connections: u32,
) -> Result<Outcome> {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t1", "--latency"])
        .arg(format!("-c{connections}"))
        .arg(format!("-d{seconds}s"));
    for (k, v) in headers {
        cmd.arg("-H").arg(format!("{k}: {v}"));
    }
    if let Some(p) = &script.path {
        cmd.arg("-s").arg(p);
    }
    cmd.arg(url);
    let out = cmd
        .output()
        .context("running wrk (install it with `make setup`)")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "wrk failed: {}{}",
            stdout,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    parse(&stdout).with_context(|| format!("unexpected wrk output:\n{stdout}"))
}

/// Reads `Requests/sec:`, `N requests in`, the 50% and 99% latency lines, non-2xx and socket
/// error counts.
pub fn parse(text: &str) -> Result<Outcome> {
    let mut rps = None;
    let mut requests = None;
    let mut p50 = None;
    let mut p99 = None;
    let mut non_2xx = 0;
    let mut socket_errors = 0;
    for line in text.lines().map(str::trim) {
        if let Some(v) = line.strip_prefix("Requests/sec:") {
            rps = v.trim().parse::<f64>().ok();
        } else if let Some((n, _)) = line.split_once(" requests in ") {
            requests = n.trim().parse::<u64>().ok();
        } else if let Some(v) = line.strip_prefix("50%") {
            p50 = duration_us(v.trim());
        } else if let Some(v) = line.strip_prefix("99%") {
            p99 = duration_us(v.trim());
        } else if let Some(v) = line.strip_prefix("Non-2xx or 3xx responses:") {
            non_2xx = v.trim().parse().unwrap_or(0);
        } else if let Some(v) = line.strip_prefix("Socket errors:") {
            // "connect 0, read 0, write 0, timeout 0"
            socket_errors = v
                .split(',')
                .filter_map(|p| p.split_whitespace().last()?.parse::<u64>().ok())
                .sum();
        }
    }
    match (rps, p50, p99, requests) {
        (Some(rps), Some(p50_us), Some(p99_us), Some(requests)) => Ok(Outcome {
            rps,
            requests,
            p50_us,
            p99_us,
            non_2xx,
            socket_errors,
        }),
        _ => bail!("no Requests/sec, requests count, 50% or 99% latency line"),
    }
}

/// wrk's "523.00us", "1.23ms", "2.01s" as microseconds.
fn duration_us(s: &str) -> Option<f64> {
    let (num, scale) = if let Some(n) = s.strip_suffix("us") {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix("ms") {
        (n, 1e3)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60e6)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1e6)
    } else {
        return None;
    };
    Some(num.trim().parse::<f64>().ok()? * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "Running 2s test @ http://127.0.0.1:40000/
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   612.41us  201.52us   5.02ms   90.12%
    Req/Sec    16.31k     1.02k   17.50k    80.00%
  Latency Distribution
     50%  580.00us
     75%  650.00us
     90%    1.20ms
     99%    2.10ms
  32456 requests in 2.00s, 3.10MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 7
Requests/sec:  16228.01
Transfer/sec:      1.55MB
";

    #[test]
    fn parses_wrk_summary() {
        let o = parse(SAMPLE).unwrap();
        assert_eq!(
            o,
            Outcome {
                rps: 16228.01,
                requests: 32456,
                p50_us: 580.0,
                p99_us: 2100.0,
                non_2xx: 7,
                socket_errors: 3
            }
        );
    }

    #[test]
    fn latency_units() {
        assert_eq!(duration_us("1.50ms"), Some(1500.0));
        assert_eq!(duration_us("2.00s"), Some(2e6));
        assert_eq!(duration_us("12.00us"), Some(12.0));
        assert_eq!(duration_us("12"), None);
    }

    #[test]
    fn missing_lines_are_an_error() {
        assert!(parse("Requests/sec: 10\n").is_err());
        let no_count = SAMPLE.replace("32456 requests in", "lots of requests in");
        assert!(parse(&no_count).is_err());
    }
}
