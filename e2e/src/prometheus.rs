//! A real Prometheus (`prometheus` and `promtool` from the Debian package, `make setup`) for
//! tests: started on a free loopback port with a scratch configuration and storage, scraping
//! Envoy admin `/stats/prometheus` every second; killed on drop.

use crate::process::{die_with_parent, retry_on_port_taken, scratch, spawn, tail, Managed};
use crate::Envoy;
use anyhow::{anyhow, bail, Context, Result};
use serde_json::Value;
use std::fs::{self, File};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How often Prometheus scrapes (and evaluates rules).
pub const SCRAPE_INTERVAL: Duration = Duration::from_secs(1);

pub struct Prometheus {
    process: Managed,
    port: u16,
}

impl Prometheus {
    /// Starts Prometheus scraping `envoys`' admin `/stats/prometheus` (job `envoy`) and waits
    /// until it is ready.
    pub fn scraping(envoys: &[&Envoy]) -> Result<Prometheus> {
        let targets: Vec<String> = envoys
            .iter()
            .map(|e| {
                e.admin_url("")
                    .trim_start_matches("http://")
                    .trim_end_matches('/')
                    .to_string()
            })
            .collect();
        retry_on_port_taken("Prometheus", || try_start(&targets))
    }

    /// `http://127.0.0.1:<port><path>`
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    /// Prometheus' own log so far.
    pub fn log(&self) -> String {
        self.process.log()
    }

    /// An instant query (`/api/v1/query`): its `data` (`resultType`, `result`), or an error
    /// holding Prometheus' `errorType` and `error` when it refuses the expression.
    pub fn query(&self, expr: &str) -> Result<Value> {
        let url = self.url(&format!("/api/v1/query?query={}", url_encode(expr)));
        let r = crate::http::get(&url, &[])?;
        let body = r.json()?;
        if body["status"] != "success" {
            bail!(
                "Prometheus refused {expr:?} (HTTP {}): {} {}",
                r.status,
                body["errorType"],
                body["error"]
            );
        }
        Ok(body["data"].clone())
    }

    /// The `result` vector of `expr` once it is not empty (after scrapes), or an error after
    /// `timeout`.
    pub fn wait_for(&self, expr: &str, timeout: Duration) -> Result<Vec<Value>> {
        let start = Instant::now();
        loop {
            let data = self.query(expr)?;
            if let Some(result) = data["result"].as_array().filter(|r| !r.is_empty()) {
                return Ok(result.clone());
            }
            if start.elapsed() > timeout {
                bail!("{expr:?} still returns no data after {timeout:?}: {data}");
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

/// `promtool check rules <path>`: its output, or an error with it when the rules are refused.
pub fn promtool_check_rules(path: &Path) -> Result<String> {
    let out = Command::new("promtool")
        .arg("check")
        .arg("rules")
        .arg(path)
        .output()
        .context("running promtool (installed by `make setup`)")?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() {
        bail!("promtool check rules {} failed:\n{text}", path.display());
    }
    Ok(text)
}

/// `Ok(Err(log))`: the port was taken, try another.
fn try_start(targets: &[String]) -> Result<std::result::Result<Prometheus, String>> {
    let port = crate::free_ports(1)?
        .first()
        .copied()
        .ok_or_else(|| anyhow!("no free port"))?;
    let dir = scratch("prometheus")?;
    let targets: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
    let secs = SCRAPE_INTERVAL.as_secs();
    let config = format!(
        "global:\n  scrape_interval: {secs}s\n  evaluation_interval: {secs}s\n\
         scrape_configs:\n  - job_name: envoy\n    metrics_path: /stats/prometheus\n\
         \x20   static_configs:\n      - targets: [{}]\n",
        targets.join(", ")
    );
    let config_path = dir.join("prometheus.yml");
    fs::write(&config_path, config)?;
    let log = File::create(dir.join("prometheus.log"))?;
    let mut cmd = Command::new("prometheus");
    cmd.arg(format!("--config.file={}", config_path.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--log.level=warn")
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log));
    die_with_parent(&mut cmd);
    let child = spawn(cmd).context("spawning prometheus (installed by `make setup`)")?;
    let mut p = Prometheus {
        process: Managed::new(child, dir, "Prometheus", "prometheus.log", 40),
        port,
    };
    let started = Instant::now();
    loop {
        if let Some(status) = p.process.child.try_wait()? {
            let log = p.log();
            if log.contains("address already in use") {
                return Ok(Err(tail(&log, 10)));
            }
            bail!("Prometheus exited with {status}:\n{}", tail(&log, 30));
        }
        if started.elapsed() > READY_TIMEOUT {
            bail!(
                "Prometheus not ready after {READY_TIMEOUT:?}:\n{}",
                tail(&p.log(), 30)
            );
        }
        if let Ok(r) = crate::http::get(&p.url("/-/ready"), &[]) {
            if r.status == 200 {
                return Ok(Ok(p));
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Percent-encoding for a query parameter value (RFC 3986 unreserved characters kept).
fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            super::url_encode(r#"sum by (a) (x{b="c d"})"#),
            "sum%20by%20%28a%29%20%28x%7Bb%3D%22c%20d%22%7D%29"
        );
    }
}
