//! One instantiated module and the calls into it. A trap fails the calling
//! test with the filter's panic message.

use std::fmt::Debug;

use anyhow::{bail, Context, Result};
use wasmtime::{CallHook, Instance, Linker, Store, WasmParams, WasmResults};

use crate::abi;
use crate::cache;
use crate::state::{State, ROOT_CONTEXT};
use crate::types::LogLevel;

pub(crate) struct Vm {
    pub store: Store<State>,
    instance: Instance,
    /// The crash report of an earlier trap: the instance is unusable after it.
    crashed: Option<String>,
    pub started: bool,
    pub next_context: u32,
}

impl Vm {
    pub fn load(wasm: &[u8]) -> Result<Vm> {
        let engine = cache::engine();
        let module = cache::module(wasm)?;
        let mut linker = Linker::new(engine);
        abi::link(&mut linker)
            .map_err(anyhow::Error::from)
            .context("defining the host functions")?;
        let mut store = Store::new(engine, State::new());
        store
            .set_fuel(u64::MAX)
            .map_err(anyhow::Error::from)
            .context("setting fuel")?;
        crate::profile::attach(engine, &mut store);
        store.call_hook(|mut store, hook| {
            if matches!(hook, CallHook::CallingHost) {
                store.data_mut().host_calls += 1;
            }
            Ok(())
        });

        let unknown: Vec<String> = module
            .imports()
            .filter(|import| {
                linker
                    .get(&mut store, import.module(), import.name())
                    .is_err()
            })
            .map(|import| format!("{}.{}", import.module(), import.name()))
            .collect();
        if !unknown.is_empty() {
            bail!(
                "the module imports {} that testhost does not provide (it provides env.proxy_* of \
                 proxy-wasm ABI 0.2.1 and the wasi_snapshot_preview1 functions Rust std uses)",
                unknown.join(", ")
            );
        }
        let instance = linker
            .instantiate(&mut store, &module)
            .map_err(anyhow::Error::from)
            .context("instantiating the module")?;
        if instance
            .get_func(&mut store, "proxy_abi_version_0_2_1")
            .is_none()
        {
            bail!("the module does not export proxy_abi_version_0_2_1: not a proxy-wasm ABI 0.2.1 module");
        }
        let mut vm = Vm {
            store,
            instance,
            crashed: None,
            started: false,
            next_context: ROOT_CONTEXT + 1,
        };
        // Envoy runs the WASI reactor (or command) initializer first.
        for init in ["_initialize", "_start"] {
            if vm.instance.get_func(&mut vm.store, init).is_some() {
                if let Err(report) = vm.try_call::<(), ()>(ROOT_CONTEXT, init, ()) {
                    bail!("{report}");
                }
                break;
            }
        }
        Ok(vm)
    }

    /// Wasm instructions executed so far (fuel consumed).
    pub fn fuel_used(&self) -> u64 {
        u64::MAX - self.store.get_fuel().unwrap_or(u64::MAX)
    }

    /// Size of the exported linear memory `memory` in bytes (pages × 64 KiB);
    /// 0 for a module that exports none.
    pub fn memory_bytes(&mut self) -> u64 {
        match self.instance.get_memory(&mut self.store, "memory") {
            Some(memory) => memory.data_size(&self.store) as u64,
            None => 0,
        }
    }

    pub fn state(&mut self) -> &mut State {
        self.store.data_mut()
    }

    /// Calls an export on behalf of `context`. A trap panics with the
    /// filter's panic message (from its critical log and stderr).
    pub fn call<P, R>(&mut self, context: u32, func: &str, params: P) -> R
    where
        P: WasmParams + Debug,
        R: WasmResults,
    {
        match self.try_call(context, func, params) {
            Ok(results) => results,
            Err(report) => panic!("{report}"),
        }
    }

    fn try_call<P, R>(&mut self, context: u32, func: &str, params: P) -> Result<R, String>
    where
        P: WasmParams + Debug,
        R: WasmResults,
    {
        if let Some(report) = &self.crashed {
            return Err(format!(
                "testhost: cannot call {func}: the filter crashed earlier:\n{report}"
            ));
        }
        let typed = self
            .instance
            .get_typed_func::<P, R>(&mut self.store, func)
            .map_err(|e| format!("testhost: the module has no usable export {func}: {e:#}"))?;
        let call = format!("{func}{params:?}");
        let state = self.store.data_mut();
        let marks = (state.logs.len(), state.stderr.len());
        let previous = std::mem::replace(&mut state.effective, context);
        let result = typed.call(&mut self.store, params);
        self.store.data_mut().effective = previous;
        match result {
            Ok(results) => {
                self.deliver_queue_ready();
                Ok(results)
            }
            Err(error) => {
                let report = self.crash_report(&call, &error, marks);
                self.crashed = Some(report.clone());
                Err(report)
            }
        }
    }

    /// Envoy posts `on_queue_ready` when a filter enqueues; deliver it once
    /// the call that enqueued has returned.
    fn deliver_queue_ready(&mut self) {
        let ready = std::mem::take(&mut self.store.data_mut().ready_queues);
        for queue in ready {
            self.call::<_, ()>(
                ROOT_CONTEXT,
                "proxy_on_queue_ready",
                (ROOT_CONTEXT as i32, queue as i32),
            );
        }
    }

    fn crash_report(&self, call: &str, error: &wasmtime::Error, marks: (usize, usize)) -> String {
        let state = self.store.data();
        let critical: Vec<&str> = state.logs[marks.0..]
            .iter()
            .filter(|(level, _)| *level == LogLevel::Critical)
            .map(|(_, line)| line.as_str())
            .collect();
        let stderr = String::from_utf8_lossy(&state.stderr[marks.1..]);
        let stderr = stderr.trim();
        let panic = critical
            .iter()
            .rev()
            .find(|line| line.contains("panic"))
            .copied()
            .or_else(|| stderr.contains("panicked at").then_some(stderr));
        let mut report = match panic {
            Some(message) => format!("filter panicked: {message}"),
            None => format!("filter trapped: {}", root_cause(error)),
        };
        report.push_str(&format!("\n  in call: {call}"));
        report.push_str(&format!("\n  trap: {error:#}"));
        for line in critical.iter().filter(|line| Some(**line) != panic) {
            report.push_str(&format!("\n  critical log: {line}"));
        }
        if !stderr.is_empty() {
            report.push_str(&format!("\n  stderr: {stderr}"));
        }
        report
    }
}

fn root_cause(error: &wasmtime::Error) -> String {
    let mut cause: &dyn std::error::Error = error.as_ref();
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
