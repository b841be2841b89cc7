//! A proxy-wasm ABI 0.2.1 host on wasmtime for testing compiled filters.
//!
//! It loads a `.wasm` filter and drives it the way Envoy does: root context,
//! `on_vm_start`/`on_configure`, http streams, http calls, ticks, shared
//! data and queues, metrics, properties, logs. See README.md.
//!
//! ```no_run
//! use testhost::{Action, Host};
//! let mut host = Host::load(testhost::dist("jwt_auth"))?.config(r#"{"providers":{}}"#)?;
//! let mut s = host.stream();
//! assert_eq!(s.request_headers(&[(":path", "/x")], true), Action::Pause);
//! assert_eq!(s.local_response().unwrap().status, 401);
//! # Ok::<(), anyhow::Error>(())
//! ```

mod abi;
mod cache;
pub mod profile;
mod properties;
mod state;
mod stream;
mod types;
pub mod verify_signature;
mod vm;
mod wire;

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, SystemTime};

use anyhow::Context;

use state::{CallResponse, ROOT_CONTEXT};
pub use stream::Stream;
pub use types::{Action, ConfigRefused, HttpCall, LocalResponse, LogLevel, ReplaceSemantics};
pub use verify_signature::VerifySignature;
use vm::Vm;

/// `$DIST_DIR/<name>.wasm`, else `<workspace>/dist/<name>.wasm` (what
/// `make build` writes).
pub fn dist(name: &str) -> PathBuf {
    let dir = std::env::var_os("DIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| cache::workspace_root().join("dist"));
    dir.join(format!("{name}.wasm"))
}

/// One filter VM with its root context. Streams made with [`Host::stream`]
/// share it.
pub struct Host {
    vm: Rc<RefCell<Vm>>,
}

impl Host {
    /// Reads, compiles (cached under `target/testhost-cache`), links and
    /// initializes a module. Fails if the file is missing, if the module
    /// imports a function testhost does not provide (naming it), if it is not
    /// an ABI 0.2.1 module, or if its initializer traps.
    pub fn load(path: impl AsRef<Path>) -> anyhow::Result<Host> {
        let path = path.as_ref();
        let wasm = std::fs::read(path)
            .with_context(|| format!("reading {} (run `make build` first)", path.display()))?;
        Host::from_bytes(&wasm).with_context(|| format!("loading {}", path.display()))
    }

    /// Like [`Host::load`], from the module's bytes.
    pub fn from_bytes(wasm: &[u8]) -> anyhow::Result<Host> {
        Ok(Host {
            vm: Rc::new(RefCell::new(Vm::load(wasm)?)),
        })
    }

    fn with<T>(&self, f: impl FnOnce(&mut state::State) -> T) -> T {
        f(self.vm.borrow_mut().state())
    }

    /// Starts the root context (`on_vm_start`, then `on_configure` with
    /// `config` as the plugin configuration). A filter returning false from
    /// either is `Err(ConfigRefused)`, carrying its logs.
    pub fn config(mut self, config: impl AsRef<[u8]>) -> Result<Host, ConfigRefused> {
        let mark = self.with(|s| s.logs.len());
        if self.configure(config) {
            Ok(self)
        } else {
            Err(ConfigRefused {
                logs: self.with(|s| s.logs[mark..].to_vec()),
            })
        }
    }

    /// Sends a (new) plugin configuration and returns what `on_configure`
    /// answered. Starts the root context first if needed; false if
    /// `on_vm_start` refused.
    pub fn configure(&mut self, config: impl AsRef<[u8]>) -> bool {
        let mut vm = self.vm.borrow_mut();
        let size = config.as_ref().len() as i32;
        vm.state().plugin_config = config.as_ref().to_vec();
        if !vm.started {
            vm.started = true;
            let root = ROOT_CONTEXT as i32;
            vm.call::<_, ()>(ROOT_CONTEXT, "proxy_on_context_create", (root, 0));
            let vm_config_size = vm.state().vm_config.len() as i32;
            let started: i32 = vm.call(ROOT_CONTEXT, "proxy_on_vm_start", (root, vm_config_size));
            if started == 0 {
                return false;
            }
        }
        let configured: i32 = vm.call(
            ROOT_CONTEXT,
            "proxy_on_configure",
            (ROOT_CONTEXT as i32, size),
        );
        configured != 0
    }

    /// The VM configuration `on_vm_start` reads (empty by default).
    pub fn set_vm_config(&mut self, config: impl AsRef<[u8]>) {
        self.with(|s| s.vm_config = config.as_ref().to_vec());
    }

    /// A new http stream (context) under the root context.
    pub fn stream(&mut self) -> Stream {
        let id = {
            let mut vm = self.vm.borrow_mut();
            assert!(
                vm.started,
                "testhost: call config() (or configure()) before stream()"
            );
            let id = vm.next_context;
            vm.next_context += 1;
            vm.state().streams.insert(id, Default::default());
            vm.call::<_, ()>(
                id,
                "proxy_on_context_create",
                (id as i32, ROOT_CONTEXT as i32),
            );
            id
        };
        Stream::new(self.vm.clone(), id)
    }

    /// A property every context sees, e.g. `&["node", "metadata", "LABELS", "type"]`.
    /// Values are raw bytes in Envoy's encoding (strings as bytes, integers as
    /// 8-byte little-endian i64).
    pub fn set_property(&mut self, path: &[&str], value: impl AsRef<[u8]>) {
        let path = path.iter().map(|s| s.to_string()).collect();
        self.with(|s| s.properties.insert(path, value.as_ref().to_vec()));
    }

    pub fn remove_property(&mut self, path: &[&str]) {
        let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        self.with(|s| s.properties.remove(&path));
    }

    /// The wall clock the filter sees (`proxy_get_current_time_nanoseconds`,
    /// WASI realtime clock). Frozen: it moves only when the test moves it.
    pub fn set_clock(&mut self, now: SystemTime) {
        self.with(|s| s.now = now);
    }

    /// Moves the wall clock and the monotonic clock forward.
    pub fn advance_clock(&mut self, by: Duration) {
        self.with(|s| {
            s.now += by;
            s.monotonic_ns += by.as_nanos() as u64;
        });
    }

    pub fn now(&self) -> SystemTime {
        self.with(|s| s.now)
    }

    /// Environment variables the filter sees through WASI (none by default).
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.with(|s| s.env.push((key.to_owned(), value.to_owned())));
    }

    /// Seeds the generator behind WASI `random_get` (fixed by default).
    pub fn set_random_seed(&mut self, seed: u64) {
        self.with(|s| s.rng = seed.max(1));
    }

    /// What `proxy_get_log_level` answers; lower levels are dropped like in
    /// Envoy. Default: Trace (everything is captured).
    pub fn set_log_level(&mut self, level: LogLevel) {
        self.with(|s| s.log_level = level);
    }

    /// What `proxy_replace_header_map_value` does to a header present more
    /// than once: Envoy's [`ReplaceSemantics::AllCopies`] (the default), or
    /// [`ReplaceSemantics::FirstCopyOnly`] to model hosts that set only the
    /// first copy. Applies to every map, from the next host call on.
    pub fn set_replace_semantics(&mut self, semantics: ReplaceSemantics) {
        self.with(|s| s.replace = semantics);
    }

    /// Every log line so far (`proxy_log`), in order.
    pub fn logs(&self) -> Vec<(LogLevel, String)> {
        self.with(|s| s.logs.clone())
    }

    /// The log lines at exactly `level`.
    pub fn logs_at(&self, level: LogLevel) -> Vec<String> {
        self.with(|s| {
            s.logs
                .iter()
                .filter(|(l, _)| *l == level)
                .map(|(_, line)| line.clone())
                .collect()
        })
    }

    pub fn clear_logs(&mut self) {
        self.with(|s| s.logs.clear());
    }

    /// What the filter wrote to WASI stdout (fd 1).
    pub fn stdout(&self) -> String {
        self.with(|s| String::from_utf8_lossy(&s.stdout).into_owned())
    }

    /// What the filter wrote to WASI stderr (fd 2).
    pub fn stderr(&self) -> String {
        self.with(|s| String::from_utf8_lossy(&s.stderr).into_owned())
    }

    /// A counter's or gauge's value, by the name the filter defined (a
    /// `wasmcustom.` prefix is ignored). None for unknown names and histograms.
    pub fn metric(&self, name: &str) -> Option<i64> {
        self.with(|s| {
            s.metric_by_name(name)
                .filter(|m| m.kind != state::MetricKind::Histogram)
                .map(|m| m.value as i64)
        })
    }

    /// The values recorded into a histogram.
    pub fn histogram(&self, name: &str) -> Option<Vec<u64>> {
        self.with(|s| {
            s.metric_by_name(name)
                .filter(|m| m.kind == state::MetricKind::Histogram)
                .map(|m| m.samples.clone())
        })
    }

    pub fn metric_names(&self) -> Vec<String> {
        self.with(|s| s.metrics.iter().map(|m| m.name.clone()).collect())
    }

    /// A shared data entry and its CAS.
    pub fn shared_data(&self, key: &str) -> Option<(Vec<u8>, u32)> {
        self.with(|s| s.shared.get(key).cloned())
    }

    /// Writes a shared data entry (new CAS), as another VM would.
    pub fn set_shared_data(&mut self, key: &str, value: impl AsRef<[u8]>) {
        self.with(|s| s.set_shared(key, value.as_ref().to_vec()));
    }

    pub fn shared_data_len(&self) -> usize {
        self.with(|s| s.shared.len())
    }

    /// Pushes an item onto a queue the filter registered and delivers
    /// `on_queue_ready`, as Envoy does when another VM enqueues.
    pub fn enqueue(&mut self, queue: &str, item: impl AsRef<[u8]>) {
        let mut vm = self.vm.borrow_mut();
        let state = vm.state();
        let id = state.queue_id(queue).unwrap_or_else(|| {
            panic!("testhost: the filter registered no shared queue named {queue:?}")
        });
        if let Some(q) = state.queue(id) {
            q.items.push_back(item.as_ref().to_vec());
        }
        vm.call::<_, ()>(
            ROOT_CONTEXT,
            "proxy_on_queue_ready",
            (ROOT_CONTEXT as i32, id as i32),
        );
    }

    /// Pops the oldest item of a shared queue (what the filter enqueued).
    pub fn dequeue(&mut self, queue: &str) -> Option<Vec<u8>> {
        self.with(|s| {
            let id = s.queue_id(queue)?;
            s.queue(id)?.items.pop_front()
        })
    }

    /// Restricts http calls to these cluster names; any other is BadArgument
    /// like an unknown cluster in Envoy. By default every name is accepted.
    pub fn set_clusters(&mut self, clusters: &[&str]) {
        let clusters = clusters.iter().map(|c| c.to_string()).collect();
        self.with(|s| s.clusters = Some(clusters));
    }

    /// The http calls the filter dispatched and the test has not answered,
    /// oldest first.
    pub fn http_calls(&self) -> Vec<HttpCall> {
        self.with(|s| s.http_calls.values().map(|p| p.call.clone()).collect())
    }

    /// Answers a call: `on_http_call_response` runs with `:status` plus
    /// `headers`, and `body`.
    pub fn respond_http_call(
        &mut self,
        token: u32,
        status: u32,
        headers: &[(&str, &str)],
        body: impl AsRef<[u8]>,
    ) {
        self.respond_http_call_with_trailers(token, status, headers, body, &[]);
    }

    pub fn respond_http_call_with_trailers(
        &mut self,
        token: u32,
        status: u32,
        headers: &[(&str, &str)],
        body: impl AsRef<[u8]>,
        trailers: &[(&str, &str)],
    ) {
        let mut all = vec![(":status".to_owned(), status.to_string().into_bytes())];
        all.extend(stream::owned(headers));
        self.deliver_call(
            token,
            Some(CallResponse {
                headers: all,
                body: body.as_ref().to_vec(),
                trailers: stream::owned(trailers),
            }),
        );
    }

    /// The call's connection is reset, as Envoy reports it: on_http_call_response
    /// with 0 headers, 0 body bytes, 0 trailers; the response maps are then
    /// unavailable (BadArgument, which the Rust SDK turns into a panic) and
    /// `proxy_get_status` answers BrokenConnection (11) "reset".
    pub fn fail_http_call(&mut self, token: u32) {
        self.deliver_call(token, None);
    }

    /// The call times out, as Envoy reports it: a 504 response with the body
    /// `upstream request timeout`.
    pub fn timeout_http_call(&mut self, token: u32) {
        self.respond_http_call(
            token,
            504,
            &[("content-length", "24"), ("content-type", "text/plain")],
            b"upstream request timeout",
        );
    }

    fn deliver_call(&mut self, token: u32, response: Option<CallResponse>) {
        let mut vm = self.vm.borrow_mut();
        let state = vm.state();
        let Some(pending) = state.http_calls.remove(&token) else {
            let tokens: Vec<u32> = state.http_calls.keys().copied().collect();
            panic!("testhost: no pending http call with token {token} (pending: {tokens:?})");
        };
        let sizes = match &response {
            Some(r) => (r.headers.len(), r.body.len(), r.trailers.len()),
            None => (0, 0, 0),
        };
        state.status = match response {
            Some(_) => (0, String::new()),
            None => (abi::status::BROKEN_CONNECTION, "reset".to_owned()),
        };
        state.call_response = response;
        let context = pending.context;
        vm.call::<_, ()>(
            context,
            "proxy_on_http_call_response",
            (
                context as i32,
                token as i32,
                sizes.0 as i32,
                sizes.1 as i32,
                sizes.2 as i32,
            ),
        );
        vm.state().call_response = None;
    }

    /// The period the filter set with `set_tick_period` (None if never or 0).
    pub fn tick_period(&self) -> Option<Duration> {
        let ms = self.with(|s| s.tick_period_ms);
        (ms > 0).then(|| Duration::from_millis(ms.into()))
    }

    /// Runs `on_tick` once. Panics if the filter never set a tick period,
    /// since Envoy would never tick it.
    pub fn tick(&mut self) {
        let mut vm = self.vm.borrow_mut();
        assert!(
            vm.state().tick_period_ms > 0,
            "testhost: tick() but the filter set no tick period"
        );
        vm.call::<_, ()>(ROOT_CONTEXT, "proxy_on_tick", (ROOT_CONTEXT as i32,));
    }

    /// What the `verify_signature` foreign function answers from now on: the
    /// model of Envoy's (default), absent, or `true` to everything.
    pub fn set_verify_signature(&mut self, mode: VerifySignature) {
        self.with(|s| s.verify_signature = mode);
    }

    /// Foreign functions the filter called, by name (`clear_route_cache`,
    /// `verify_signature`). Unknown names answer NotFound and are not recorded.
    pub fn foreign_calls(&self) -> Vec<String> {
        self.with(|s| s.foreign_calls.clone())
    }

    /// How many times the filter called `proxy_done`.
    pub fn done_calls(&self) -> u32 {
        self.with(|s| s.done_calls)
    }

    /// What the filter has cost so far: wasm instructions executed and calls
    /// into the host. Deterministic (unlike time), so a test or a tuning
    /// session can compare two builds or two code paths: take one reading
    /// before and one after the callbacks of interest and subtract.
    pub fn meter(&self) -> Meter {
        let vm = self.vm.borrow();
        Meter {
            wasm_instructions: vm.fuel_used(),
            host_calls: vm.store.data().host_calls,
        }
    }

    /// Size of the module's linear memory now, in bytes (wasm pages × 64 KiB).
    /// Linear memory only grows, so this is the high-water mark of the
    /// filter's heap, stack and data: what one VM of this filter holds,
    /// the same under Envoy's V8 (the module's allocator decides, not the
    /// runtime). Read it after `config` to see what a configuration costs.
    pub fn memory_bytes(&self) -> u64 {
        self.vm.borrow_mut().memory_bytes()
    }
}

/// A reading of [`Host::meter`]; `b - a` is the cost between two readings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Meter {
    /// Wasm instructions executed (wasmtime fuel).
    pub wasm_instructions: u64,
    /// Calls into the host (`env.proxy_*` and WASI).
    pub host_calls: u64,
}

impl std::ops::Sub for Meter {
    type Output = Meter;
    fn sub(self, earlier: Meter) -> Meter {
        Meter {
            wasm_instructions: self
                .wasm_instructions
                .saturating_sub(earlier.wasm_instructions),
            host_calls: self.host_calls.saturating_sub(earlier.host_calls),
        }
    }
}
