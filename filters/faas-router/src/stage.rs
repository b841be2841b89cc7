//! faas-router on a proxy-wasm host: the table loaded (counters, gauges, log
//! line) and `router::decide` carried out on the current request. Both
//! faas-router's own glue and the combined kfaas-gateway module call this;
//! no routing logic lives here.

use crate::config::Config;
use crate::policy::{control_header_index, CONTROL_HEADERS};
use crate::router::{self, Outcome};
use crate::split::random_u64;
use filters_common::header_map::Pairs;
use filters_common::host::{set_filter_state, set_request_header, Counter, CounterFamily, Gauge};
use proxy_wasm::hostcalls;
use proxy_wasm::types::{Action, LogLevel};
use std::cell::RefCell;

/// Envoy records the pre-rewrite path here; a client copy must never reach
/// an upstream as if Envoy had written it.
const ORIGINAL_PATH: &str = "x-envoy-original-path";

pub struct State {
    config: Config,
    /// `faas_router_requests{outcome, kind, reason}`.
    outcomes: CounterFamily,
    /// `<svc>.<ns>` per target: the filter state `wasm.faas_router.service`.
    services: Vec<String>,
    /// Per target, defined on first use so 10,000 routes load fast.
    requests: RefCell<Vec<Option<Counter>>>,
    /// By reason, defined on first use; a dozen reasons at most.
    rejected: RefCell<Vec<(&'static str, Counter)>>,
    passthrough: Counter,
    ambiguous: Counter,
    spoofed: Counter,
}

impl State {
    fn count_outcome(&self, outcome: &str, kind: &str, reason: &str) {
        self.outcomes.inc(&[outcome, kind, reason]);
    }

    fn count_request(&self, target_id: usize) {
        let mut requests = self.requests.borrow_mut();
        if let Some(slot) = requests.get_mut(target_id) {
            let counter = slot.get_or_insert_with(|| {
                let t = self.config.targets.get(target_id);
                let (ns, svc) = t.map_or(("", ""), |t| (t.namespace.as_str(), t.service.as_str()));
                Counter::define(&format!("faas_router.requests.{ns}.{svc}"))
            });
            counter.inc();
        }
    }

    fn count_reject(&self, reason: &'static str) {
        let mut rejected = self.rejected.borrow_mut();
        match rejected.iter().find(|(r, _)| *r == reason) {
            Some((_, counter)) => counter.inc(),
            None => {
                let counter = Counter::define(&format!("faas_router.rejected.{reason}"));
                counter.inc();
                rejected.push((reason, counter));
            }
        }
    }

    fn is_ours(&self, name: &[u8]) -> bool {
        let h = &self.config.headers;
        name.starts_with(b"x-faas-")
            || name == h.service.as_bytes()
            || name == h.namespace.as_bytes()
            || name == h.route.as_bytes()
            || name == ORIGINAL_PATH.as_bytes()
    }
}

impl State {
    /// The loaded table with its counters and gauges defined; logs the load
    /// (`micros`: how long parsing took).
    pub fn new(config: Config, micros: u128) -> Self {
        let count = |k| config.routes.iter().filter(|r| r.kind == k).count();
        use crate::table::Kind;
        log(
            LogLevel::Info,
            &format!(
                "faas-router: loaded {} routes ({} exact, {} prefix, {} regex) to {} services in {micros} us",
                config.routes.len(),
                count(Kind::Exact),
                count(Kind::Prefix),
                count(Kind::Regex),
                config.targets.len(),
            ),
        );
        Gauge::define("faas_router.routes").set(config.routes.len() as u64);
        Gauge::define("faas_router.config_load_us").set(u64::try_from(micros).unwrap_or(u64::MAX));
        let targets = config.targets.len();
        let services = config
            .targets
            .iter()
            .map(|t| format!("{}.{}", t.service, t.namespace))
            .collect();
        State {
            outcomes: CounterFamily::new("faas_router", &["outcome", "kind", "reason"], "requests"),
            services,
            config,
            requests: RefCell::new(vec![None; targets]),
            rejected: RefCell::new(Vec::new()),
            passthrough: Counter::define("faas_router.passthrough"),
            ambiguous: Counter::define("faas_router.regex_ambiguous"),
            spoofed: Counter::define("faas_router.spoofed_headers_removed"),
        }
    }

    /// Routes the current request: `Continue`, or `Pause` after a refusal
    /// was sent.
    pub fn on_request(&self) -> Action {
        let state = self;
        // Every host call costs about a microsecond in Envoy: the map is read
        // once, and only what changes is written.
        let map = filters_common::host::request_header_map();
        let headers = Pairs::new(&map);
        let (mut raw_path, mut authority, mut spoofed) = (None, None, false);
        // Client copies of Envoy's timeout/retry headers, by their index in
        // CONTROL_HEADERS; removed below if the request is under pathPrefix.
        let mut control = 0u32;
        for (i, (name, value)) in headers.clone().enumerate() {
            if let Some(c) = control_header_index(name) {
                control |= 1 << c;
                continue;
            }
            match name {
                b":path" => raw_path = raw_path.or(Some(value)),
                b":authority" => authority = authority.or(Some(value)),
                // `remove` drops every copy: a repeated name is removed once.
                _ if state.is_ours(name) && !headers.clone().take(i).any(|(n, _)| n == name) => {
                    if let Ok(name) = std::str::from_utf8(name) {
                        set_request_header(name, None, true);
                        spoofed = true;
                    }
                }
                _ => {}
            }
        }
        let raw_path = match raw_path.map(std::str::from_utf8) {
            Some(Err(_)) => Some("/\u{80}"), // refused below as a raw non-ASCII byte
            Some(Ok(p)) => Some(p),
            None => None,
        };
        // No `clear_route_cache`: Envoy re-selects the route by itself after an
        // ABI 0.2.1 module changes request headers (see filters/common/src/host.rs).
        // Read as text only when a virtual host could take it.
        let host = authority
            .filter(|_| !state.config.hosts.is_empty())
            .and_then(|a| std::str::from_utf8(a).ok());
        let outcome =
            router::decide_for_host(&state.config, host, raw_path, headers.clone(), random_u64);
        // Under pathPrefix (anything but Untouched) only the table sets
        // timeouts and retries: Envoy honours an internal client's copies.
        if !matches!(outcome, Outcome::Untouched) && control != 0 {
            for (i, name) in CONTROL_HEADERS.iter().enumerate() {
                if control & (1 << i) != 0 {
                    set_request_header(name, None, true);
                }
            }
            spoofed = true;
        }
        if spoofed {
            state.spoofed.inc();
        }
        match outcome {
            Outcome::Untouched => Action::Continue,
            Outcome::Passthrough => {
                state.passthrough.inc();
                state.count_outcome("passthrough", "none", "none");
                Action::Continue
            }
            Outcome::Reject {
                status,
                reason,
                body,
            } => {
                state.count_reject(reason);
                match reason {
                    "no_route" => state.count_outcome("no_route", "none", "none"),
                    _ => state.count_outcome("rejected", "none", reason),
                }
                let _ = hostcalls::send_http_response(
                    status,
                    vec![("content-type", "application/json")],
                    Some(body.as_bytes()),
                );
                Action::Pause
            }
            Outcome::Routed(r) => {
                // Absent now (every client copy removed above): added, no
                // removal first, which spares Envoy the search a replace makes.
                let h = &state.config.headers;
                set_request_header(&h.service, Some(&r.target.service), false);
                set_request_header(&h.namespace, Some(&r.target.namespace), false);
                set_request_header(&h.route, Some(&r.route.id), false);
                for (name, value) in &r.route.policy.headers {
                    set_request_header(name, Some(value), false);
                }
                if state.config.rewrite_authority
                    && authority != Some(r.target.authority.as_bytes())
                {
                    set_request_header(":authority", Some(&r.target.authority), true);
                }
                if let (Some(path), Some(original)) = (&r.path, raw_path) {
                    set_request_header(ORIGINAL_PATH, Some(original), false);
                    set_request_header(":path", Some(path), true);
                }
                if r.ambiguous {
                    state.ambiguous.inc();
                }
                state.count_request(r.target_id);
                state.count_outcome("routed", r.route.kind.as_str(), "none");
                set_filter_state("faas_router.route", &r.route.id);
                if let Some(service) = state.services.get(r.target_id) {
                    set_filter_state("faas_router.service", service);
                }
                Action::Continue
            }
        }
    }
}

fn log(level: LogLevel, message: &str) {
    let _ = hostcalls::log(level, message);
}
