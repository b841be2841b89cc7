//! The processes a test starts (Envoy, Prometheus): spawned so they die with the
//! test process, each with a scratch directory holding its log; killed on drop,
//! the end of the log printed when the test panics, the directory removed unless
//! `E2E_KEEP` is set; started again on other ports when a picked port was taken.

use anyhow::{bail, Context, Result};
use std::fs;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{mpsc, OnceLock};

/// How often a start is tried when its port turns out to be taken.
const START_ATTEMPTS: u32 = 4;

/// A running child and its scratch directory (see the module comment).
pub(crate) struct Managed {
    pub child: Child,
    pub dir: PathBuf,
    /// `Envoy`, `Prometheus`: for the panic report.
    what: &'static str,
    /// The log's file name in `dir`.
    log_file: &'static str,
    /// Lines of the log printed when a test panics.
    tail_lines: usize,
}

impl Managed {
    pub fn new(
        child: Child,
        dir: PathBuf,
        what: &'static str,
        log_file: &'static str,
        tail_lines: usize,
    ) -> Self {
        Managed {
            child,
            dir,
            what,
            log_file,
            tail_lines,
        }
    }

    /// The log so far.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join(self.log_file)).unwrap_or_default()
    }
}

impl Drop for Managed {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "---- {} log (pid {}, {}) ----\n{}\n---- end of {} log ----",
                self.what,
                self.child.id(),
                self.dir.display(),
                tail(&self.log(), self.tail_lines),
                self.what
            );
        }
        if std::env::var_os("E2E_KEEP").is_none() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Runs `attempt` until it starts `what` (`Ok(Ok(_))`) or fails; `Ok(Err(log))`
/// means a picked port was taken: tried again with new ports, at most
/// `START_ATTEMPTS` times.
pub(crate) fn retry_on_port_taken<T>(
    what: &str,
    mut attempt: impl FnMut() -> Result<std::result::Result<T, String>>,
) -> Result<T> {
    let mut last = String::new();
    for _ in 0..START_ATTEMPTS {
        match attempt()? {
            Ok(started) => return Ok(started),
            Err(log) => last = log,
        }
    }
    bail!("{what} could not bind its ports after {START_ATTEMPTS} attempts:\n{last}")
}

/// A new empty directory `$TMPDIR/e2e-<what>-<pid>-<n>`.
pub(crate) fn scratch(what: &str) -> Result<PathBuf> {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "e2e-{what}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// The last `n` lines of `text`.
pub(crate) fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Spawns from one process-wide thread that never exits. With `die_with_parent`, Envoy (or
/// Prometheus) then
/// dies with the test process (a runner timeout, SIGKILL) but not with whichever thread
/// called `Envoy::start` (tests start Envoys from scoped threads).
pub(crate) fn spawn(cmd: Command) -> std::io::Result<Child> {
    type Job = (Command, mpsc::Sender<std::io::Result<Child>>);
    static SPAWNER: OnceLock<mpsc::Sender<Job>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("e2e-envoy-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
            })
            .map_err(|e| eprintln!("e2e: no spawner thread: {e}"))
            .ok();
        tx
    });
    let (reply, answer) = mpsc::channel();
    let gone = || std::io::Error::other("the Envoy spawner thread is gone");
    spawner.send((cmd, reply)).map_err(|_| gone())?;
    answer.recv().map_err(|_| gone())?
}

/// If the test process dies, the kernel kills Envoy too (PR_SET_PDEATHSIG fires when the
/// spawning *thread* exits, hence `spawn`'s long-lived thread).
#[cfg(target_os = "linux")]
pub(crate) fn die_with_parent(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn die_with_parent(_cmd: &mut Command) {}
