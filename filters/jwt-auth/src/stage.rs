//! jwt-auth on a proxy-wasm host: the engine shared by the streams of a VM,
//! remote JWKS fetched from the root context on its tick, requests that wait
//! for keys paused and resumed. Both jwt-auth's own glue and the combined
//! kfaas-gateway module call this (`Filter`); a resumed request that passes
//! runs `Filter`'s `next` (the later stages of a combined module) before it
//! is resumed.

use crate::config::Config;
use crate::crypto::backend::{Backend, Family};
use crate::crypto::self_test;
use crate::engine::{Decision, Engine, Metric, Mutation, RequestOutcome};
use crate::extract::{Removal, Request};
use filters_common::host::{
    set_filter_state, set_request_header, unix_seconds, Counter, CounterFamily, Gauge, GaugeFamily,
};
use proxy_wasm::hostcalls;
use proxy_wasm::types::{Action, LogLevel, MapType};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::time::Duration;

/// How often the root looks for due JWKS fetches and stale waiters. Short,
/// because a request waiting for keys waits for the next tick.
const TICK: Duration = Duration::from_millis(200);
/// A request never waits longer than this for keys.
const MAX_WAIT_SECONDS: i64 = 10;

struct Waiter {
    rule: usize,
    since: i64,
    request: Request,
}

/// The labelled families (METRICS in the README): `jwt_auth_requests{result,
/// reason}`, `jwt_auth_jwks_fetches{issuer_index, result}`,
/// `jwt_auth_jwks_keys{issuer_index}`.
struct Families {
    requests: CounterFamily,
    fetches: CounterFamily,
    keys: GaugeFamily,
    /// `issuer_index` label values, built once per configuration.
    indexes: Vec<String>,
}

impl Default for Families {
    fn default() -> Self {
        Families {
            requests: CounterFamily::new("jwt_auth", &["result", "reason"], "requests"),
            fetches: CounterFamily::new("jwt_auth", &["issuer_index", "result"], "jwks_fetches"),
            keys: GaugeFamily::new("jwt_auth", &["issuer_index"], "jwks_keys"),
            indexes: Vec::new(),
        }
    }
}

impl Families {
    fn index(&self, rule: usize) -> &str {
        self.indexes.get(rule).map_or("none", String::as_str)
    }

    /// The keys gauge of `rule` from the engine.
    fn keys_loaded(&self, engine: &Engine, rule: usize) {
        self.keys
            .set(&[self.index(rule)], engine.key_count(rule) as u64);
    }
}

#[derive(Default)]
struct Shared {
    engine: Option<Engine>,
    /// In `Metric::all()` order (the flat names, deprecated).
    counters: Vec<Counter>,
    families: Families,
    /// Streams paused until their rule's keys arrive, by context id.
    waiting: BTreeMap<u32, Waiter>,
    /// JWKS calls in flight: token → rule.
    calls: HashMap<u32, usize>,
    /// Chosen by the self-test at the first configuration of this VM.
    backend: Option<Backend>,
    /// What runs after this filter passes a request that waited for keys.
    next: Option<Next>,
}

impl Shared {
    /// Counts what the engine recorded and, after a request was decided, its
    /// outcome (family and filter state of the effective stream).
    /// `fetched`: the rule whose JWKS fetch just ended.
    fn count_fetched(&mut self, fetched: Option<usize>) {
        let Some(engine) = self.engine.as_mut() else {
            return;
        };
        let families = &self.families;
        for m in engine.drain_metrics() {
            if let Some(c) = self.counters.get(m.index()) {
                c.inc();
            }
            let result = match m {
                Metric::JwksFetchSuccess => "success",
                Metric::JwksFetchFailure => "failure",
                _ => continue,
            };
            if let Some(rule) = fetched {
                families.fetches.inc(&[families.index(rule), result]);
            }
        }
        if let Some(rule) = fetched {
            families.keys_loaded(engine, rule);
        }
        if let Some(outcome) = engine.take_outcome() {
            publish(families, engine, outcome);
        }
    }

    fn count(&mut self) {
        self.count_fetched(None);
    }
}

/// A decided request: `jwt_auth_requests` and the filter state
/// `wasm.jwt_auth.result` (and `wasm.jwt_auth.issuer` of a valid token).
fn publish(families: &Families, engine: &Engine, outcome: RequestOutcome) {
    let result = outcome.result.name();
    families.requests.inc(&[result, outcome.reason]);
    set_filter_state("jwt_auth.result", result);
    if let Some(issuer) = outcome.rule.and_then(|r| engine.issuer(r)) {
        set_filter_state("jwt_auth.issuer", issuer);
    }
}

fn now() -> i64 {
    i64::try_from(unix_seconds()).unwrap_or(i64::MAX)
}

fn log(level: LogLevel, msg: &str) {
    let _ = hostcalls::log(level, &format!("jwt-auth: {msg}"));
}

/// The environment variable (Istio `vmConfig.env`, Envoy
/// `vm_config.environment_variables`) that can force the module's own code.
const BACKEND_ENV: &str = "JWT_AUTH_CRYPTO_BACKEND";

/// Runs the self-test against the host's `verify_signature` (or not, when
/// `JWT_AUTH_CRYPTO_BACKEND=module`), logs the choice once at info and sets
/// the gauge `jwt_auth.crypto.host` (1 when the host serves RSA).
fn choose_backend() -> Backend {
    let forced = std::env::var(BACKEND_ENV).ok();
    let backend = match forced.as_deref() {
        Some("module") => Backend::module(),
        Some("auto") | Some("") | None => self_test::choose(host_verify_signature),
        Some(other) => {
            log(
                LogLevel::Warn,
                &format!("{BACKEND_ENV}={other:?} is neither \"auto\" nor \"module\"; using auto"),
            );
            self_test::choose(host_verify_signature)
        }
    };
    let why = if forced.as_deref() == Some("module") {
        format!(" ({BACKEND_ENV}=module)")
    } else {
        String::new()
    };
    log(
        LogLevel::Info,
        &format!("crypto backend: {}{why}", backend.describe()),
    );
    Gauge::define("jwt_auth.crypto.host").set(u64::from(backend.serves(Family::Rsa)));
    backend
}

/// Envoy's `verify_signature` foreign function; `None` when the host has
/// none or the call fails.
fn host_verify_signature(arguments: &[u8]) -> Option<Vec<u8>> {
    hostcalls::call_foreign_function("verify_signature", Some(arguments))
        .ok()
        .flatten()
}

/// Records the end of a JWKS fetch and answers the streams that waited for it.
fn finish_fetch(shared: &mut Shared, rule: usize, t: i64, result: Result<&[u8], String>) {
    if let Some(engine) = shared.engine.as_mut() {
        for (warn, line) in engine.fetch_done(rule, t, result) {
            log(if warn { LogLevel::Warn } else { LogLevel::Info }, &line);
        }
    }
    shared.count_fetched(Some(rule));
    if shared.engine.as_ref().is_some_and(|e| e.keys_pending(rule)) {
        return;
    }
    let ids: Vec<u32> = shared
        .waiting
        .iter()
        .filter(|(_, w)| w.rule == rule)
        .map(|(id, _)| *id)
        .collect();
    resume(shared, &ids, t, Again::MayWait);
}

/// Whether a resumed request may wait again, for another rule's keys.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Again {
    /// Within `MAX_WAIT_SECONDS` of when it first waited (a request whose
    /// `presence: REQUIRED` tokens come from several remote JWKS needs each).
    MayWait,
    /// Decided now: the wait is over, or the configuration changed.
    Decide,
}

/// Decides again for streams that waited for keys.
fn resume(shared: &mut Shared, ids: &[u32], t: i64, again: Again) {
    for id in ids {
        let Some(w) = shared.waiting.remove(id) else {
            continue;
        };
        if hostcalls::set_effective_context(*id).is_err() {
            continue;
        }
        let Some(engine) = shared.engine.as_mut() else {
            continue;
        };
        let may_wait = again == Again::MayWait && t - w.since <= MAX_WAIT_SECONDS;
        let decision = engine.decide(&w.request, t, may_wait);
        if let Decision::Wait { rule } = decision {
            shared.count();
            shared.waiting.insert(*id, Waiter { rule, ..w });
            continue;
        }
        let action = apply(decision, &w.request, engine.output_headers());
        shared.count();
        let action = match (&shared.next, action) {
            (Some(next), Action::Continue) => next(),
            (_, action) => action,
        };
        if action == Action::Continue {
            let _ = hostcalls::resume_http_request();
        }
    }
}

/// The later stages of a combined module, run on the effective stream: the
/// stream is resumed only if they answer `Continue`.
pub type Next = Rc<dyn Fn() -> Action>;

/// jwt-auth in one VM: what a root context and its streams call.
#[derive(Clone)]
pub struct Filter {
    root_id: u32,
    shared: Rc<RefCell<Shared>>,
}

impl Filter {
    /// `next`: what a request that waited for keys runs once it passes.
    pub fn new(root_id: u32, next: Option<Next>) -> Self {
        let shared = Shared {
            next,
            ..Shared::default()
        };
        Filter {
            root_id,
            shared: Rc::new(RefCell::new(shared)),
        }
    }

    /// A JWKS fetch answered (`num_headers` 0: no response).
    pub fn on_http_call_response(&self, token: u32, num_headers: usize, body_size: usize) {
        let Ok(mut shared) = self.shared.try_borrow_mut() else {
            return;
        };
        let Some(rule) = shared.calls.remove(&token) else {
            return;
        };
        let result = if num_headers == 0 {
            Err("no response (timeout or connection failure)".to_string())
        } else {
            // Bytes: the SDK's String getters panic on a value that is not UTF-8.
            let status =
                hostcalls::get_map_value_bytes(MapType::HttpCallResponseHeaders, ":status")
                    .ok()
                    .flatten()
                    .unwrap_or_default();
            let max = shared.engine.as_ref().map_or(0, Engine::max_jwks_bytes);
            if status == b"200" && body_size > max {
                Err(format!(
                    "JWKS of {body_size} bytes is over maxJwksBytes ({max}); not read"
                ))
            } else if status == b"200" {
                let body = hostcalls::get_buffer(
                    proxy_wasm::types::BufferType::HttpCallResponseBody,
                    0,
                    body_size,
                )
                .ok()
                .flatten()
                .unwrap_or_default();
                Ok(body)
            } else {
                Err(format!("HTTP status {}", String::from_utf8_lossy(&status)))
            }
        };
        finish_fetch(
            &mut shared,
            rule,
            now(),
            result.as_deref().map_err(Clone::clone),
        );
        let _ = hostcalls::set_effective_context(self.root_id);
    }

    /// Takes a parsed configuration: counters, crypto backend (chosen once
    /// per VM), a new engine; requests waiting for the old one are answered
    /// by the new one. `false`: refused (logged).
    pub fn configure(&self, config: Config) -> bool {
        let Ok(mut shared) = self.shared.try_borrow_mut() else {
            return false;
        };
        if shared.counters.is_empty() {
            shared.counters = Metric::all()
                .into_iter()
                .map(|m| Counter::define(&format!("jwt_auth.{}", m.name())))
                .collect();
        }
        let backend = *shared.backend.get_or_insert_with(choose_backend);
        let rules = config.jwt_rules.len();
        let mode = config.mode.name();
        let t = now();
        let mut engine = Engine::new(config, t);
        match engine.use_backend(backend) {
            Ok(lines) => lines.iter().for_each(|(_, l)| log(LogLevel::Info, l)),
            Err(e) => {
                log(LogLevel::Error, &format!("configuration refused: {e}"));
                return false;
            }
        }
        shared.families.indexes = (0..rules).map(|i| i.to_string()).collect();
        for rule in 0..rules {
            shared.families.keys_loaded(&engine, rule);
        }
        shared.engine = Some(engine);
        shared.calls.clear();
        // The old fetches are dropped with the old engine: every request that
        // waited for them is answered now, by the new configuration.
        let waiting: Vec<u32> = shared.waiting.keys().copied().collect();
        resume(&mut shared, &waiting, t, Again::Decide);
        let _ = hostcalls::set_effective_context(self.root_id);
        log(
            LogLevel::Info,
            &format!("configured with {rules} JWT rule(s), mode {mode}"),
        );
        drop(shared);
        let _ = hostcalls::set_tick_period(TICK);
        self.fetch_due();
        true
    }

    /// The configuration lost its jwt-auth section (the combined module): the
    /// engine goes with its fetches and its tick, and every request that
    /// waited for keys goes on to `next`, as a request arriving now would.
    pub fn unconfigure(&self) {
        let Ok(mut shared) = self.shared.try_borrow_mut() else {
            return;
        };
        shared.engine = None;
        shared.calls.clear();
        let waiting = std::mem::take(&mut shared.waiting);
        let next = shared.next.clone();
        drop(shared);
        for id in waiting.keys() {
            if hostcalls::set_effective_context(*id).is_err() {
                continue;
            }
            let action = next.as_ref().map_or(Action::Continue, |next| next());
            if action == Action::Continue {
                let _ = hostcalls::resume_http_request();
            }
        }
        let _ = hostcalls::set_effective_context(self.root_id);
        let _ = hostcalls::set_tick_period(Duration::ZERO);
        log(LogLevel::Info, "section removed: no JWT is checked");
    }

    /// The root's tick: due fetches started, stale waiters answered.
    pub fn on_tick(&self) {
        self.fetch_due();
        let Ok(mut shared) = self.shared.try_borrow_mut() else {
            return;
        };
        let t = now();
        let stale: Vec<u32> = shared
            .waiting
            .iter()
            .filter(|(_, w)| t - w.since > MAX_WAIT_SECONDS)
            .map(|(id, _)| *id)
            .collect();
        resume(&mut shared, &stale, t, Again::Decide);
        let _ = hostcalls::set_effective_context(self.root_id);
    }

    /// Starts every due JWKS fetch from the root context, so a fetch
    /// outlives the request that asked for it.
    fn fetch_due(&self) {
        let Ok(mut shared) = self.shared.try_borrow_mut() else {
            return;
        };
        let t = now();
        let Some(engine) = shared.engine.as_mut() else {
            return;
        };
        let mut started = Vec::new();
        let mut failed = Vec::new();
        for rule in engine.due_fetches(t) {
            let Some((cluster, authority, path)) = engine.fetch_target(rule) else {
                continue;
            };
            let timeout = Duration::from_millis(engine.fetch_timeout_ms(rule));
            let headers = vec![
                (":method", "GET"),
                (":path", path),
                (":authority", authority),
                ("accept", "application/json"),
            ];
            match hostcalls::dispatch_http_call(cluster, headers, None, vec![], timeout) {
                Ok(token) => started.push((token, rule)),
                Err(status) => {
                    failed.push((rule, format!("dispatch to {cluster} failed: {status:?}")))
                }
            }
        }
        shared.calls.extend(started);
        for (rule, why) in failed {
            finish_fetch(&mut shared, rule, t, Err(why));
            let _ = hostcalls::set_effective_context(self.root_id);
        }
        shared.count();
    }

    /// The stream `id` ended: it waits no more.
    pub fn on_done(&self, id: u32) {
        if let Ok(mut shared) = self.shared.try_borrow_mut() {
            shared.waiting.remove(&id);
        }
    }

    /// Decides the request of stream `id`: `Continue` (headers set),
    /// `Pause` after a refusal was sent, or `Pause` while it waits for keys
    /// (resumed later, after `next`).
    pub fn on_request(&self, id: u32) -> Action {
        let Ok(mut shared) = self.shared.try_borrow_mut() else {
            return deny_unavailable();
        };
        let waiting = shared.waiting.len();
        let Some(engine) = shared.engine.as_mut() else {
            return deny_unavailable();
        };
        let request = read_request();
        let t = now();
        let decision = engine.decide(&request, t, true);
        if let Decision::Wait { rule } = decision {
            if waiting >= engine.max_waiting_requests() {
                let refusal = engine.busy(&request);
                let action = apply(refusal, &request, engine.output_headers());
                shared.count();
                return action;
            }
            shared.count();
            shared.waiting.insert(
                id,
                Waiter {
                    rule,
                    since: t,
                    request,
                },
            );
            return Action::Pause;
        }
        let action = apply(decision, &request, engine.output_headers());
        shared.count();
        action
    }
}

/// Reads the request headers as bytes: the SDK's `get_map` panics (and the
/// VM dies) on a value that is not UTF-8, which any client can send. Such a
/// value is only noted by name; the engine refuses it where a token is read.
fn read_request() -> Request {
    let mut req = Request::default();
    for (name, value) in hostcalls::get_map_bytes(MapType::HttpRequestHeaders).unwrap_or_default() {
        let value = match String::from_utf8(value) {
            Ok(v) => v,
            Err(_) => {
                req.non_utf8.push(name);
                continue;
            }
        };
        match name.as_str() {
            ":method" => req.method = value,
            ":scheme" => req.scheme = value,
            ":authority" => req.authority = value,
            ":path" => req.path = value,
            _ => req.headers.push((name, value)),
        }
    }
    req
}

/// Applies a decision to the effective stream, whose headers are `req`'s
/// (the filter chain waits on this filter, so nothing changed them since).
/// Client copies of the output headers are removed from every request, every
/// copy; a header the filter sets is then added, so exactly one copy leaves
/// also on hosts whose replace touches only the first copy. A header absent
/// from `req` costs no removal. An audited refusal passes as a `Continue`
/// without changes, after its log line.
fn apply(decision: Decision, req: &Request, output_headers: &[String]) -> Action {
    let present = |name: &str| {
        req.headers.iter().any(|(n, _)| n == name) || req.non_utf8.iter().any(|n| n == name)
    };
    match decision {
        Decision::Continue(mutations) => {
            for name in output_headers {
                if present(name) {
                    set_request_header(name, None, true);
                }
            }
            for (i, m) in mutations.iter().enumerate() {
                let (name, value) = target(m);
                // Output headers are gone now, unless an earlier mutation wrote one.
                let may_exist = mutations.iter().take(i).any(|e| target(e).0 == name)
                    || (!output_headers.iter().any(|o| o == name) && present(name));
                set_request_header(name, value, may_exist);
            }
            // No `clear_route_cache`: Envoy re-selects the route by itself after
            // an ABI 0.2.1 module changes request headers (filters/common/src/host.rs).
            Action::Continue
        }
        Decision::Deny(d) => {
            for name in output_headers {
                if present(name) {
                    set_request_header(name, None, true);
                }
            }
            let headers: Vec<(&str, &str)> = d
                .headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            let _ = hostcalls::send_http_response(d.status, headers, Some(d.body.as_bytes()));
            Action::Pause
        }
        Decision::Audit { log: line, .. } => {
            log(LogLevel::Info, &line);
            apply(Decision::Continue(Vec::new()), req, output_headers)
        }
        Decision::Wait { .. } => deny_unavailable(),
    }
}

/// The header a mutation writes, and its new value (`None`: removed).
fn target(m: &Mutation) -> (&str, Option<&str>) {
    match m {
        Mutation::SetHeader(n, v) => (n, Some(v)),
        Mutation::Remove(Removal::Header(n)) => (n, None),
        Mutation::Remove(Removal::Path(p)) => (":path", Some(p)),
        // The cookies left, as one `Cookie` header in place of all of them.
        Mutation::Remove(Removal::Cookie(c)) => ("cookie", c.as_deref()),
    }
}

fn deny_unavailable() -> Action {
    let _ = hostcalls::send_http_response(
        503,
        vec![("content-type", "application/json")],
        Some(br#"{"error":"service_unavailable","reason":"not_configured"}"#),
    );
    Action::Pause
}
