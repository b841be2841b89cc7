//! The thin proxy-wasm helpers every filter's glue uses (wasm32 only).
//!
//! Route re-selection: after a module built on proxy-wasm ABI 0.2.1 (what
//! proxy-wasm-rust-sdk 0.2.5 exports) changes request headers, Envoy clears
//! the route cache itself; it stops doing so only for newer ABIs (Envoy's
//! changelog: "The route cache will not be cleared by default if the wasm
//! extension modified the request headers and the ABI version of wasm
//! extension is larger then 0.2.1"). The filters therefore do not also call
//! the `clear_route_cache` foreign function: that would clear it twice and
//! cost a host call per request. testhost's `dist_modules` test fails when a
//! module exports another ABI, and the e2e tests route on headers the filters
//! set, on real Envoy.

use crate::metric_name::Family;
use proxy_wasm::hostcalls;
use proxy_wasm::types::{LogLevel, MapType, MetricType};

/// Sets (`Some`) or removes (`None`) request header `name` of the current
/// stream so that exactly one copy (or none) leaves, on any proxy-wasm host.
/// Every filter writes request headers through here.
///
/// `proxy_replace_header_map_value` is not portable for a header a client
/// may repeat: Envoy replaces every copy (`HeaderMap::setCopy` removes them
/// all, then adds one), other hosts (and older Envoys) set only the first
/// copy and pass the others on. So a regular header is removed (every copy,
/// on every host), then added. `may_exist: false` says the caller read the
/// map and the name is absent (or the caller removed it since): the removal,
/// a host call, is skipped. When unsure, pass `true`.
///
/// Pseudo-headers (`:path`, `:authority`, any name starting with `:`) keep
/// using replace: the codec guarantees exactly one copy, so replace is right
/// on every host, while removing a pseudo-header and adding it back is
/// something hosts handle unevenly (Envoy keeps them in inline slots ahead
/// of the other headers) — a risk that would buy nothing, for a second call.
pub fn set_request_header(name: &str, value: Option<&str>, may_exist: bool) {
    let map = MapType::HttpRequestHeaders;
    if name.starts_with(':') {
        let _ = hostcalls::set_map_value(map, name, value);
        return;
    }
    if may_exist {
        let _ = hostcalls::set_map_value(map, name, None);
    }
    if let Some(value) = value {
        let _ = hostcalls::add_map_value(map, name, value);
    }
}

/// Logs a panic through `proxy_log` before the VM aborts, so the operator sees
/// why requests started failing instead of a bare wasm trap.
pub fn install_panic_hook(filter: &'static str) {
    std::panic::set_hook(Box::new(move |info| {
        let _ = hostcalls::log(LogLevel::Critical, &format!("{filter}: panic: {info}"));
    }));
}

/// The plugin configuration parsed by `parse`, or `None` after logging
/// `<filter>: configuration refused: <every problem>` at error level (the
/// filter then returns false from `on_configure`, and Envoy keeps the last
/// good configuration or refuses the listener). Every filter's
/// `on_configure` starts here, so a refusal reads the same in every log.
pub fn read_configuration<T>(
    filter: &str,
    parse: impl FnOnce(&[u8]) -> Result<T, crate::ConfigErrors>,
) -> Option<T> {
    let bytes = hostcalls::get_buffer(
        proxy_wasm::types::BufferType::PluginConfiguration,
        0,
        usize::MAX,
    )
    .ok()
    .flatten()
    .unwrap_or_default();
    match parse(&bytes) {
        Ok(config) => Some(config),
        Err(errors) => {
            let _ = hostcalls::log(
                LogLevel::Error,
                &format!("{filter}: configuration refused: {errors}"),
            );
            None
        }
    }
}

/// Seconds since the Unix epoch by the host's clock (0 if the host gives none).
pub fn unix_seconds() -> u64 {
    hostcalls::get_current_time()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs())
}

/// A counter defined once at configuration time; `inc` never fails loudly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter(Option<u32>);

impl Counter {
    pub fn define(name: &str) -> Self {
        Counter(hostcalls::define_metric(MetricType::Counter, name).ok())
    }

    pub fn inc(self) {
        self.add(1);
    }

    pub fn add(self, n: i64) {
        if let Some(id) = self.0 {
            let _ = hostcalls::increment_metric(id, n);
        }
    }
}

/// A gauge defined once at configuration time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gauge(Option<u32>);

impl Gauge {
    pub fn define(name: &str) -> Self {
        Gauge(hostcalls::define_metric(MetricType::Gauge, name).ok())
    }

    pub fn set(self, value: u64) {
        if let Some(id) = self.0 {
            let _ = hostcalls::record_metric(id, value);
        }
    }
}

/// A labelled counter family (see [`crate::metric_name`]): the counter of each
/// label-value combination is defined on first use, then looked up without
/// allocating. `tags` and the values passed to `inc` are in the same order.
#[derive(Debug)]
pub struct CounterFamily(Family<Counter>);

impl CounterFamily {
    pub fn new(filter: &'static str, tags: &'static [&'static str], family: &'static str) -> Self {
        CounterFamily(Family::new(filter, tags, family))
    }

    pub fn inc(&self, values: &[&str]) {
        if let Some(c) = self.0.get(values, Counter::define) {
            c.inc();
        }
    }
}

/// A labelled gauge family, defined like [`CounterFamily`].
#[derive(Debug)]
pub struct GaugeFamily(Family<Gauge>);

impl GaugeFamily {
    pub fn new(filter: &'static str, tags: &'static [&'static str], family: &'static str) -> Self {
        GaugeFamily(Family::new(filter, tags, family))
    }

    pub fn set(&self, values: &[&str], value: u64) {
        if let Some(g) = self.0.get(values, Gauge::define) {
            g.set(value);
        }
    }
}

/// Puts `value` in the current stream's filter state under `wasm.<name>`
/// (`proxy_set_property` with the one-element path `name`; Envoy prefixes
/// `wasm.`). Access logs read it as `%FILTER_STATE(wasm.<name>:PLAIN)%`,
/// Istio Telemetry CEL as `filter_state['wasm.<name>']`. A host without
/// filter state ignores it.
pub fn set_filter_state(name: &str, value: &str) {
    let _ = hostcalls::set_property(vec![name], Some(value.as_bytes()));
}

/// The request headers of the current stream, serialized as the host hands
/// them over: one host call, read in place with [`crate::header_map`]. The
/// SDK's `get_map_bytes` makes the same call and then copies every name and
/// value; its `get_map` also panics on a value that is not UTF-8.
pub fn request_header_map() -> Vec<u8> {
    #[link(wasm_import_module = "env")]
    extern "C" {
        fn proxy_get_header_map_pairs(
            map_type: MapType,
            return_map_data: *mut *mut u8,
            return_map_size: *mut usize,
        ) -> u32;
    }
    // The status as a plain integer: a code the `Status` enum does not list
    // must not become an invalid enum value.
    const OK: u32 = 0;
    let mut data: *mut u8 = std::ptr::null_mut();
    let mut size: usize = 0;
    // SAFETY: the same import and ownership transfer as the SDK's
    // `hostcalls::get_map_bytes`: on Ok the host has allocated `size` bytes
    // through the SDK's `proxy_on_memory_allocate` (a boxed `[u8]` of exactly
    // `size`), which become ours.
    unsafe {
        match proxy_get_header_map_pairs(MapType::HttpRequestHeaders, &mut data, &mut size) {
            OK if !data.is_null() => Vec::from_raw_parts(data, size, size),
            _ => Vec::new(),
        }
    }
}
