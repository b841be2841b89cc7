//! A sampling profiler of the wasm code a filter runs, for finding where its
//! time goes (`TESTHOST_PROFILE=1`; off otherwise, and then it costs
//! nothing). With it, modules are compiled with wasmtime's epoch checks, a
//! thread advances the epoch every 20 µs, and each check that sees a new
//! epoch records the wasm call stack. Time spent in a host function shows up
//! at the first check after it returns, so host-heavy callers are inflated;
//! [`report`] names each function's own (innermost) and total samples.

use std::collections::HashMap;
use std::sync::{Mutex, Once};
use std::time::Duration;
use wasmtime::{Config, Engine, Store, UpdateDeadline, WasmBacktrace};

const TICK: Duration = Duration::from_micros(20);

#[derive(Default)]
struct Samples {
    total: u64,
    /// Function name → (own samples, samples anywhere on the stack).
    by_function: HashMap<String, (u64, u64)>,
}

static SAMPLES: Mutex<Option<Samples>> = Mutex::new(None);

pub(crate) fn enabled() -> bool {
    std::env::var_os("TESTHOST_PROFILE").is_some_and(|v| v != "0" && !v.is_empty())
}

/// Compiles modules with epoch checks when profiling.
pub(crate) fn configure(config: &mut Config) {
    if enabled() {
        config.epoch_interruption(true);
    }
}

/// Starts sampling this store (and, once per process, the epoch thread).
pub(crate) fn attach<T>(engine: &Engine, store: &mut Store<T>) {
    if !enabled() {
        return;
    }
    static TICKER: Once = Once::new();
    let ticking = engine.clone();
    TICKER.call_once(move || {
        std::thread::spawn(move || loop {
            std::thread::sleep(TICK);
            ticking.increment_epoch();
        });
    });
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(|context| {
        record(&WasmBacktrace::capture(&context));
        Ok(UpdateDeadline::Continue(1))
    });
}

fn record(trace: &WasmBacktrace) {
    let Ok(mut guard) = SAMPLES.lock() else {
        return;
    };
    let samples = guard.get_or_insert_with(Samples::default);
    samples.total += 1;
    let mut seen: Vec<&str> = Vec::new();
    for (depth, frame) in trace.frames().iter().enumerate() {
        let name = frame.func_name().unwrap_or("?");
        let entry = samples.by_function.entry(name.to_string()).or_default();
        if depth == 0 {
            entry.0 += 1;
        }
        if !seen.contains(&name) {
            seen.push(name);
            entry.1 += 1;
        }
    }
}

/// Forgets the samples taken so far.
pub fn reset() {
    if let Ok(mut guard) = SAMPLES.lock() {
        *guard = None;
    }
}

/// The `top` functions by own samples, then by total samples, as text.
pub fn report(top: usize) -> String {
    let Ok(guard) = SAMPLES.lock() else {
        return String::new();
    };
    let Some(samples) = guard.as_ref() else {
        return "no samples (is TESTHOST_PROFILE set?)\n".into();
    };
    let total = samples.total.max(1) as f64;
    let mut rows: Vec<(&String, &(u64, u64))> = samples.by_function.iter().collect();
    let mut out = format!("{} samples\n\nown %  function\n", samples.total);
    rows.sort_by_key(|(_, (own, _))| std::cmp::Reverse(*own));
    for (name, (own, _)) in rows.iter().take(top) {
        out.push_str(&format!("{:5.1}  {name}\n", *own as f64 * 100.0 / total));
    }
    out.push_str("\ntotal %  function\n");
    rows.sort_by_key(|(_, (_, all))| std::cmp::Reverse(*all));
    for (name, (_, all)) in rows.iter().take(top) {
        out.push_str(&format!("{:7.1}  {name}\n", *all as f64 * 100.0 / total));
    }
    out
}
