//! Benchmark framework: scenarios of Envoy variants (no filter, native peer, our wasm filter)
//! driven side by side by `wrk`, alternating variants over several rounds, medians reported.
//! A benchmark, not a test: nothing here asserts a time.

pub mod cpu;
pub mod import;
pub mod memory;
pub mod report;
pub mod scenarios;
pub mod soak;
pub mod wrk;

use crate::{Envoy, EnvoyConfig};
use anyhow::{bail, Result};
use std::time::Duration;

/// What a variant is, for the report's comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// No filter: the reference for "added µs per request".
    Baseline,
    /// Envoy's own filter doing the same job (jwt_authn, a route table, Lua).
    Native,
    /// Our module.
    Wasm,
    /// A proxy-wasm module doing (almost) nothing: what any wasm filter costs in this
    /// Envoy, so a filter's own work is `Wasm − Floor`.
    Floor,
}

/// grey-chain with nothing to decide: see `Variant::wasm_floor`.
pub const FLOOR_CONFIG: &str =
    r#"{"mode":"gateway","tagHeader":"x-wasm-floor","lanes":["floor"],"gateway":{}}"#;

type ConfigFn = Box<dyn Fn() -> EnvoyConfig>;

/// One Envoy configuration and the traffic sent to it.
pub struct Variant {
    pub name: String,
    pub kind: Kind,
    config: ConfigFn,
    /// Sent with every request (`wrk -H`), e.g. a bearer token.
    pub headers: Vec<(String, String)>,
    pub path: String,
    /// A wrk Lua script for per-request variation (tokens, users, paths). It may use
    /// `wrk.format(method, path, headers)`; the static `headers` are in `wrk.headers`.
    pub lua: Option<String>,
    /// Checked once with one request before measuring (with the static headers and path).
    pub expect_status: u16,
}

impl Variant {
    /// `config` is called for every start (the bench starts a variant more than once to
    /// measure start-to-ready time). Use a `direct_response` route: no upstream noise.
    pub fn new(kind: Kind, name: &str, config: impl Fn() -> EnvoyConfig + 'static) -> Self {
        Variant {
            name: name.to_owned(),
            kind,
            config: Box::new(config),
            headers: Vec::new(),
            path: "/".into(),
            lua: None,
            expect_status: 200,
        }
    }

    /// Envoy answering every request itself with 200, no filter.
    pub fn baseline() -> Self {
        Variant::new(Kind::Baseline, "no filter", || {
            EnvoyConfig::new().direct_response(200, "ok")
        })
    }

    /// Our module (`filter` like `jwt-auth`, `module` like `jwt_auth`) in istiod's shape with
    /// `config_json`, in front of a 200 `direct_response`.
    pub fn wasm(filter: &str, module: &str, config_json: &str) -> Self {
        Self::wasm_build(filter, "", crate::dist(module), config_json)
    }

    /// `wasm` with another build of the module (`label` tells it apart).
    pub fn wasm_build(
        filter: &str,
        label: &str,
        path: std::path::PathBuf,
        config_json: &str,
    ) -> Self {
        let name = match label {
            "" => format!("{filter} (wasm)"),
            _ => format!("{filter} {label} (wasm)"),
        };
        Self::wasm_with_env(filter, &name, path, config_json, &[])
    }

    /// `wasm` named `name`, with environment variables in the VM (Istio `vmConfig.env`),
    /// e.g. jwt-auth's `JWT_AUTH_CRYPTO_BACKEND=module`.
    pub fn wasm_with_env(
        filter: &str,
        name: &str,
        path: std::path::PathBuf,
        config_json: &str,
        env: &[(&str, &str)],
    ) -> Self {
        let (filter_name, json) = (filter.to_owned(), config_json.to_owned());
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Variant::new(Kind::Wasm, name, move || {
            let mut f = crate::WasmFilter::new(&filter_name, "istio-system", &path)
                .config_json(json.clone());
            for (k, v) in &env {
                f = f.env(k, v);
            }
            EnvoyConfig::new().filter(f).direct_response(200, "ok")
        })
    }

    /// The proxy-wasm floor: the grey-chain module in gateway mode with no rules. Per
    /// request it costs what every proxy-wasm filter costs (a context created, the
    /// request-headers callback, the context deleted) plus one read of the request
    /// headers and two lookups in them. In front of a 200 `direct_response`.
    pub fn wasm_floor() -> Self {
        Self::wasm_floor_with(|| EnvoyConfig::new().direct_response(200, "ok"))
    }

    /// The floor (see `wasm_floor`) added to the configuration `base` builds (e.g. the
    /// same listener and routes as the scenario's other variants).
    pub fn wasm_floor_with(base: impl Fn() -> EnvoyConfig + 'static) -> Self {
        Self::wasm_floors_with(1, base)
    }

    /// `count` empty wasm filters (see `wasm_floor`) one after the other: what a chain of
    /// `count` proxy-wasm plugins costs before any of them does its work.
    pub fn wasm_floors_with(count: usize, base: impl Fn() -> EnvoyConfig + 'static) -> Self {
        let path = crate::dist("grey_chain");
        let name = match count {
            1 => "empty wasm filter (floor)".to_owned(),
            n => format!("{n} empty wasm filters (floor ×{n})"),
        };
        Variant::new(Kind::Floor, &name, move || {
            (0..count).fold(base(), |cfg, i| {
                let name = match i {
                    0 => "wasm-floor".to_owned(),
                    i => format!("wasm-floor-{}", i + 1),
                };
                cfg.filter(
                    crate::WasmFilter::new(&name, "istio-system", &path).config_json(FLOOR_CONFIG),
                )
            })
        })
    }

    /// A native Envoy HTTP filter entry (`{"name", "typed_config"}`) in front of a 200
    /// `direct_response`.
    pub fn native(name: &str, filter: serde_json::Value) -> Self {
        Variant::new(Kind::Native, &format!("{name} (native)"), move || {
            EnvoyConfig::new()
                .native_filter(filter.clone())
                .direct_response(200, "ok")
        })
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn path(mut self, path: &str) -> Self {
        self.path = path.to_owned();
        self
    }

    pub fn lua(mut self, script: &str) -> Self {
        self.lua = Some(script.to_owned());
        self
    }

    pub fn expect_status(mut self, status: u16) -> Self {
        self.expect_status = status;
        self
    }

    pub fn config(&self) -> EnvoyConfig {
        (self.config)()
    }
}

/// A comparison: the same traffic against each variant.
pub struct Scenario {
    /// The filter this belongs to (`jwt-auth`, `faas-router`, `grey-chain`): the report's section.
    pub filter: String,
    pub name: String,
    pub notes: String,
    pub variants: Vec<Variant>,
}

impl Scenario {
    pub fn new(filter: &str, name: &str) -> Self {
        Scenario {
            filter: filter.to_owned(),
            name: name.to_owned(),
            notes: String::new(),
            variants: Vec::new(),
        }
    }

    pub fn notes(mut self, notes: &str) -> Self {
        self.notes = notes.to_owned();
        self
    }

    pub fn variant(mut self, v: Variant) -> Self {
        self.variants.push(v);
        self
    }
}

/// Run parameters.
#[derive(Debug, Clone)]
pub struct Settings {
    pub rounds: usize,
    pub seconds: u32,
    pub connections: u32,
    pub warmup_seconds: u32,
    /// Starts per variant for the start-to-ready median.
    pub starts: usize,
}

impl Settings {
    /// From BENCH_ROUNDS (3), BENCH_SECONDS (4), BENCH_CONNECTIONS (10), BENCH_STARTS (3).
    pub fn from_env() -> Self {
        let get = |k: &str, d: u64| -> u64 {
            std::env::var(k)
                .ok()
                .and_then(|v| v.parse().ok())
                .filter(|v| *v > 0)
                .unwrap_or(d)
        };
        Settings {
            rounds: get("BENCH_ROUNDS", 3) as usize,
            seconds: get("BENCH_SECONDS", 4) as u32,
            connections: get("BENCH_CONNECTIONS", 10) as u32,
            warmup_seconds: 1,
            starts: get("BENCH_STARTS", 3) as usize,
        }
    }
}

/// One variant's measurements.
#[derive(Debug, Clone)]
pub struct VariantResult {
    pub name: String,
    pub kind: Kind,
    pub rps: Vec<f64>,
    pub p50_us: Vec<f64>,
    pub p99_us: Vec<f64>,
    /// Envoy's CPU time (user + system, all threads) per completed request, per round.
    pub cpu_us: Vec<f64>,
    pub non_2xx: u64,
    pub errors: u64,
    pub ready: Vec<Duration>,
}

impl VariantResult {
    pub fn median_rps(&self) -> f64 {
        median(&self.rps)
    }

    pub fn median_p50_us(&self) -> f64 {
        median(&self.p50_us)
    }

    pub fn median_p99_us(&self) -> f64 {
        median(&self.p99_us)
    }

    pub fn median_cpu_us(&self) -> f64 {
        median(&self.cpu_us)
    }

    pub fn median_ready(&self) -> Duration {
        let mut r = self.ready.clone();
        r.sort();
        r.get(r.len() / 2).copied().unwrap_or_default()
    }
}

/// A scenario's outcome: measurements, or why it could not run.
pub struct ScenarioResult {
    pub filter: String,
    pub name: String,
    pub notes: String,
    pub outcome: Result<Vec<VariantResult>>,
}

/// Other builds of a module to measure side by side with the one in dist/
/// (before/after a change), from `env_var` = `"label=path.wasm,…"`.
pub fn extra_modules(env_var: &str) -> Vec<(String, std::path::PathBuf)> {
    std::env::var(env_var)
        .unwrap_or_default()
        .split(',')
        .filter_map(|m| {
            let (label, path) = m.split_once('=')?;
            Some((label.trim().to_owned(), path.trim().into()))
        })
        .collect()
}

pub fn median(xs: &[f64]) -> f64 {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(|a, b| a.total_cmp(b));
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Start-to-ready samples, then every variant started side by side and driven in turn
/// (A, B, C, A, B, C, …) for `rounds` rounds.
pub fn run(s: &Scenario, settings: &Settings) -> Result<Vec<VariantResult>> {
    if !s.variants.iter().any(|v| v.kind == Kind::Baseline) {
        bail!("scenario {:?} has no baseline variant", s.name);
    }
    let mut results: Vec<VariantResult> = s
        .variants
        .iter()
        .map(|v| VariantResult {
            name: v.name.clone(),
            kind: v.kind,
            rps: Vec::new(),
            p50_us: Vec::new(),
            p99_us: Vec::new(),
            cpu_us: Vec::new(),
            non_2xx: 0,
            errors: 0,
            ready: Vec::new(),
        })
        .collect();

    // Start-to-ready, one Envoy at a time so starts do not compete for the CPU.
    for _ in 0..settings.starts {
        for (v, r) in s.variants.iter().zip(results.iter_mut()) {
            let envoy = Envoy::start(v.config())
                .map_err(|e| e.context(format!("starting variant {:?}", v.name)))?;
            r.ready.push(envoy.ready_after());
        }
    }

    let mut running = Vec::new();
    for v in &s.variants {
        let envoy = Envoy::start(v.config())
            .map_err(|e| e.context(format!("starting variant {:?}", v.name)))?;
        check(v, &envoy)?;
        let script = wrk::Script::new(v.lua.as_deref())?;
        running.push((envoy, script));
    }
    for (v, (envoy, script)) in s.variants.iter().zip(&running) {
        wrk::run(
            &envoy.url(&v.path),
            &v.headers,
            script,
            settings.warmup_seconds,
            settings.connections,
        )?;
    }
    for round in 0..settings.rounds {
        for ((v, (envoy, script)), r) in s.variants.iter().zip(&running).zip(results.iter_mut()) {
            let cpu_before = cpu::used(envoy.pid());
            let out = wrk::run(
                &envoy.url(&v.path),
                &v.headers,
                script,
                settings.seconds,
                settings.connections,
            )?;
            let cpu_us = match (cpu_before, cpu::used(envoy.pid())) {
                (Some(b), Some(a)) => cpu::per_request_us(b, a, out.requests),
                _ => f64::NAN,
            };
            eprintln!(
                "  round {}/{} {:<28} {:>9.0} req/s  p50 {:>7.0} µs  Envoy CPU {:>6.1} µs/req",
                round + 1,
                settings.rounds,
                v.name,
                out.rps,
                out.p50_us,
                cpu_us
            );
            r.rps.push(out.rps);
            r.cpu_us.push(cpu_us);
            r.p50_us.push(out.p50_us);
            r.p99_us.push(out.p99_us);
            r.non_2xx += out.non_2xx;
            r.errors += out.socket_errors;
        }
    }
    Ok(results)
}

/// One request with the variant's static headers must get the expected status, so a broken
/// variant is reported instead of measured.
fn check(v: &Variant, envoy: &Envoy) -> Result<()> {
    let headers: Vec<(&str, &str)> = v
        .headers
        .iter()
        .map(|(k, x)| (k.as_str(), x.as_str()))
        .collect();
    let r = crate::http::get(&envoy.url(&v.path), &headers)?;
    if r.status != v.expect_status {
        bail!(
            "variant {:?}: expected status {}, got {}: {}",
            v.name,
            v.expect_status,
            r.status,
            r.body
        );
    }
    Ok(())
}
