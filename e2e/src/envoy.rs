//! One Envoy process: started on free loopback ports, ready when admin `/ready` says so,
//! killed on drop (and on panic, printing its log).

use crate::config::EnvoyConfig;
use crate::process::{die_with_parent, retry_on_port_taken, scratch, spawn, tail, Managed};
use anyhow::{anyhow, bail, Context, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const READY_TIMEOUT: Duration = Duration::from_secs(90);
/// Lines of Envoy's log printed when a test panics.
const LOG_TAIL_LINES: usize = 300;

pub struct Envoy {
    process: Managed,
    admin_port: u16,
    ports: BTreeMap<String, u16>,
    bootstrap: Value,
    ready_after: Duration,
}

impl Envoy {
    /// Starts Envoy and waits until it is ready. A bind conflict on a picked port is retried
    /// with new ports; any other failure (bad config, a module refusing its configuration)
    /// is an error holding the end of Envoy's log.
    pub fn start(cfg: EnvoyConfig) -> Result<Envoy> {
        retry_on_port_taken("Envoy", || try_start(&cfg))
    }

    /// The `main` listener's port (or the first listener's, without `main`).
    pub fn port(&self) -> u16 {
        self.ports
            .get("main")
            .or_else(|| self.ports.values().next())
            .copied()
            .unwrap_or(0)
    }

    /// A listener's port by name.
    pub fn listener_port(&self, name: &str) -> Option<u16> {
        self.ports.get(name).copied()
    }

    /// `http://127.0.0.1:<main port><path>`
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port(), path)
    }

    /// URL on a named listener. Panics on an unknown name (a test bug).
    pub fn listener_url(&self, name: &str, path: &str) -> String {
        match self.listener_port(name) {
            Some(p) => format!("http://127.0.0.1:{p}{path}"),
            None => panic!(
                "no listener named {name:?}; listeners: {:?}",
                self.ports.keys()
            ),
        }
    }

    pub fn admin_url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.admin_port, path)
    }

    /// The bootstrap Envoy was started with (ports substituted).
    pub fn bootstrap(&self) -> &Value {
        &self.bootstrap
    }

    /// From spawning the process to admin `/ready` answering 200.
    pub fn ready_after(&self) -> Duration {
        self.ready_after
    }

    pub fn pid(&self) -> u32 {
        self.process.child.id()
    }

    /// A counter or gauge from admin `/stats`, by exact name
    /// (proxy-wasm metrics appear as `wasmcustom.<name>`).
    pub fn stat(&self, name: &str) -> Option<u64> {
        self.stats().ok()?.remove(name)
    }

    /// Every counter and gauge.
    pub fn stats(&self) -> Result<BTreeMap<String, u64>> {
        let r = crate::http::get(&self.admin_url("/stats"), &[])?;
        Ok(r.body
            .lines()
            .filter_map(|l| {
                let (k, v) = l.split_once(": ")?;
                Some((k.to_owned(), v.trim().parse().ok()?))
            })
            .collect())
    }

    /// Envoy's log so far (stdout and stderr).
    pub fn log(&self) -> String {
        self.process.log()
    }

    /// Kills Envoy now (drop does the same).
    pub fn stop(self) {}
}

/// `Ok(Err(log))`: a picked port was taken.
fn try_start(cfg: &EnvoyConfig) -> Result<std::result::Result<Envoy, String>> {
    let names = cfg.listener_names();
    let mut ports = BTreeMap::new();
    for (name, port) in names.iter().zip(crate::free_ports(names.len())?) {
        if ports.insert(name.clone(), port).is_some() {
            bail!("two listeners named {name:?}");
        }
    }
    let bootstrap = cfg.render(&ports)?;
    let dir = scratch_dir()?;
    let config_path = dir.join("bootstrap.json");
    fs::write(&config_path, serde_json::to_vec_pretty(&bootstrap)?)?;
    let admin_path = dir.join("admin-address");
    let log_path = dir.join("envoy.log");
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)?;

    let bin = cfg.binary.clone().unwrap_or_else(crate::envoy_bin);
    if !bin.exists() {
        bail!(
            "no Envoy at {} (run `make setup`, or set ENVOY_BIN)",
            bin.display()
        );
    }
    let mut cmd = Command::new(&bin);
    cmd.arg("-c")
        .arg(&config_path)
        .args(["--concurrency", &cfg.concurrency.to_string()])
        // No shared memory or domain socket: parallel Envoys cannot clash on a base id.
        .arg("--disable-hot-restart")
        .arg("--admin-address-path")
        .arg(&admin_path)
        .args(["--log-level", &cfg.log_level]);
    if let Some(spec) = &cfg.component_log_level {
        cmd.args(["--component-log-level", spec]);
    }
    cmd.args(&cfg.args)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log));
    die_with_parent(&mut cmd);
    let started = Instant::now();
    let child = spawn(cmd).with_context(|| format!("spawning {}", bin.display()))?;
    let mut envoy = Envoy {
        process: Managed::new(child, dir, "Envoy", "envoy.log", LOG_TAIL_LINES),
        admin_port: 0,
        ports,
        bootstrap,
        ready_after: Duration::ZERO,
    };

    loop {
        if let Some(status) = envoy.process.child.try_wait()? {
            let log = envoy.log();
            if log.contains("Address already in use") {
                return Ok(Err(tail(&log, 20)));
            }
            return Err(anyhow!(
                "Envoy exited with {status} before it was ready:\n{}",
                summary(&log)
            ));
        }
        if started.elapsed() > READY_TIMEOUT {
            return Err(anyhow!(
                "Envoy not ready after {READY_TIMEOUT:?}:\n{}",
                summary(&envoy.log())
            ));
        }
        if envoy.admin_port == 0 {
            envoy.admin_port = read_admin_port(&admin_path).unwrap_or(0);
        }
        if envoy.admin_port != 0 {
            if let Ok(r) = crate::http::get(&envoy.admin_url("/ready"), &[]) {
                if r.status == 200 {
                    envoy.ready_after = started.elapsed();
                    return Ok(Ok(envoy));
                }
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn read_admin_port(path: &Path) -> Option<u16> {
    let text = fs::read_to_string(path).ok()?;
    text.trim().rsplit(':').next()?.parse().ok()
}

fn scratch_dir() -> Result<PathBuf> {
    let dir = scratch("envoy")?;
    // Touch the log so `log()` works even if Envoy never writes.
    File::create(dir.join("envoy.log"))?;
    Ok(dir)
}

/// Envoy's error and critical lines (why it stopped), then the end of the log.
fn summary(log: &str) -> String {
    let errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("][error][") || l.contains("][critical]["))
        .take(30)
        .collect();
    format!(
        "{}\n---- end of Envoy log ----\n{}",
        errors.join("\n"),
        tail(log, 20)
    )
}
