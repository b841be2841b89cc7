//! The thin proxy-wasm helpers every filter's glue uses (wasm32 only).

use proxy_wasm::hostcalls;
use proxy_wasm::types::{LogLevel, MetricType, Status};

/// Logs a panic through `proxy_log` before the VM aborts, so the operator sees
/// why requests started failing instead of a bare wasm trap.
pub fn install_panic_hook(filter: &'static str) {
    std::panic::set_hook(Box::new(move |info| {
        let _ = hostcalls::log(LogLevel::Critical, &format!("{filter}: panic: {info}"));
    }));
}

/// Asks Envoy to re-select the route after headers changed. ABI 0.2.1 hosts do
/// that by themselves on Envoy 1.40; newer ABIs offer this foreign function.
/// A host without it answers NotFound, which is fine.
pub fn clear_route_cache() {
    match hostcalls::call_foreign_function("clear_route_cache", None) {
        Ok(_) | Err(Status::NotFound) => {}
        Err(status) => {
            let _ = hostcalls::log(
                LogLevel::Debug,
                &format!("clear_route_cache failed: {status:?}"),
            );
        }
    }
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
