//! grey-chain on a proxy-wasm host: the configuration's counters, the node's
//! labels and the listener direction, and the request headers and shared
//! data handed to the plain modules. Both grey-chain's own glue and the
//! combined kfaas-gateway module call this; nothing here decides anything.

use crate::config::{Config, Mode};
use crate::direction::{self, Direction, Resolver};
use crate::gateway::{self, Decision};
use crate::headers::{Edits, Headers};
use crate::sidecar::{self, Via};
use crate::table::{self, Recorded, Store, Table};
use filters_common::host::{
    set_filter_state, set_request_header, unix_seconds, Counter, CounterFamily, Gauge,
};
use proxy_wasm::hostcalls;
use proxy_wasm::types::{Action, LogLevel, Status};
use std::borrow::Cow;
use std::cell::{OnceCell, RefCell};

/// Baseline as a `lane` label value.
const BASELINE: &str = "baseline";

/// The flat counters (deprecated, kept one release) and the labelled
/// families: `grey_chain_requests{at, lane, decision}`,
/// `grey_chain_correlation_table_entries`, `grey_chain_correlation_table_events{outcome}`.
struct Metrics {
    requests: CounterFamily,
    table_entries: Gauge,
    table_events: CounterFamily,
    tagged_by_rule: Vec<Counter>,
    trusted: Counter,
    baseline: Counter,
    spoof_removed: Counter,
    recorded: Counter,
    unkeyed: Counter,
    kept: Counter,
    by_correlation: Counter,
    by_pod_label: Counter,
    outbound_baseline: Counter,
    unknown_direction: Counter,
    direction_mismatch: Counter,
    entries: Gauge,
    expired: Counter,
    evicted: Counter,
    dropped_lanes: Counter,
}

impl Metrics {
    fn define(cfg: &Config) -> Self {
        let c = |name: &str| Counter::define(&format!("grey_chain.{name}"));
        let rules = cfg.gateway.as_ref().map_or(&[][..], |g| &g.rules[..]);
        Metrics {
            requests: CounterFamily::new("grey_chain", &["at", "lane", "decision"], "requests"),
            table_entries: Gauge::define("grey_chain.correlation_table_entries"),
            table_events: CounterFamily::new(
                "grey_chain",
                &["outcome"],
                "correlation_table_events",
            ),
            tagged_by_rule: rules
                .iter()
                .enumerate()
                .map(|(i, r)| c(&format!("gateway.tagged.{}.rule_{i}", r.lane)))
                .collect(),
            trusted: c("gateway.trusted"),
            baseline: c("gateway.baseline"),
            spoof_removed: c("gateway.spoofed_removed"),
            recorded: c("sidecar.inbound.recorded"),
            unkeyed: c("sidecar.inbound.no_trace_id"),
            kept: c("sidecar.outbound.kept"),
            by_correlation: c("sidecar.outbound.by_correlation"),
            by_pod_label: c("sidecar.outbound.by_pod_label"),
            outbound_baseline: c("sidecar.outbound.baseline"),
            unknown_direction: c("sidecar.unknown_direction"),
            direction_mismatch: c("sidecar.direction_mismatch"),
            entries: Gauge::define("grey_chain.correlation.entries"),
            expired: c("correlation.expired"),
            evicted: c("correlation.evicted"),
            dropped_lanes: c("dropped_lanes"),
        }
    }

    /// One request's lane decision: the family, and the filter state
    /// `wasm.grey_chain.lane` when the request is in a lane (absent for baseline).
    fn decided(&self, at: &str, lane: Option<&str>, decision: &str) {
        self.requests.inc(&[at, lane.unwrap_or(BASELINE), decision]);
        if let Some(lane) = lane {
            set_filter_state("grey_chain.lane", lane);
        }
    }

    fn table_event(&self, outcome: &str) {
        self.table_events.inc(&[outcome]);
    }

    fn table_size(&self, entries: u64) {
        self.entries.set(entries);
        self.table_entries.set(entries);
    }
}

pub struct State {
    cfg: Config,
    /// Per root context (one VM thread): no contention.
    direction: RefCell<Resolver>,
    table: Option<Table>,
    pod_lane: Option<String>,
    metrics: Metrics,
}

impl State {
    /// The configured filter: counters defined, the pod's lane read, one log line.
    pub fn new(cfg: Config) -> Self {
        let table = cfg
            .sidecar
            .as_ref()
            .map(|s| Table::new(s.correlation.max_entries, s.correlation.ttl_seconds));
        let pod_lane = cfg.sidecar.as_ref().and_then(|s| {
            let (key, _) = s.pod_label.as_ref()?;
            let label = property(&["node", "metadata", "LABELS", key]);
            sidecar::pod_lane(s, label.as_deref())
        });
        let metrics = Metrics::define(&cfg);
        if let Some(store) = table.as_ref().map(|_| HostStore) {
            metrics.table_size(table::entries(&store));
        }
        let _ = hostcalls::log(
            LogLevel::Info,
            &format!(
                "grey-chain: {:?} mode, lanes {:?}, pod lane {:?}",
                cfg.mode, cfg.lanes, pod_lane
            ),
        );
        let direction = RefCell::new(Resolver::new(
            cfg.sidecar.as_ref().and_then(|s| s.direction),
        ));
        State {
            direction,
            cfg,
            table,
            pod_lane,
            metrics,
        }
    }

    /// Decides or keeps the current request's lane; never refuses.
    pub fn on_request(&self) -> Action {
        // No `clear_route_cache` when headers changed: Envoy re-selects the
        // route by itself after an ABI 0.2.1 module changes request headers
        // (checked on Envoy 1.40 with the route resolved by an earlier filter:
        // e2e `route_is_reselected_after_the_lane_is_set_without_clear_route_cache`),
        // and the call would cost a host call per tagged request.
        match self.cfg.mode {
            Mode::Gateway => gateway_lane(self),
            Mode::Sidecar => sidecar_lane(self),
        }
        Action::Continue
    }
}

/// The request headers of the current stream, read with one host call (each
/// call costs about a microsecond in Envoy's V8) when first needed and looked
/// up in place (`filters_common::header_map`), with our own edits on top. Values
/// are read as bytes: the SDK's `get_map` and `get_header_map_value` panic on
/// a value that is not UTF-8 (which HTTP allows), killing the VM.
#[derive(Default)]
struct HostHeaders {
    map: OnceCell<Vec<u8>>,
    edits: Edits,
}

impl HostHeaders {
    /// The value of `name`: `None` absent, `Some(None)` not UTF-8.
    fn lookup(&self, name: &str) -> Option<Option<Cow<'_, str>>> {
        let map = self
            .map
            .get_or_init(filters_common::host::request_header_map);
        self.edits.lookup(map, name)
    }
}

impl Headers for HostHeaders {
    fn get(&self, name: &str) -> Option<String> {
        self.lookup(name).flatten().map(Cow::into_owned)
    }
    fn unreadable(&self, name: &str) -> bool {
        matches!(self.lookup(name), Some(None))
    }
    /// Every copy is replaced (`baggage` is read as all its copies joined, and
    /// written back as one), also on hosts whose replace touches only the first.
    fn set(&mut self, name: &str, value: &str) {
        let present = self.lookup(name).is_some();
        set_request_header(name, Some(value), present);
        self.edits.record(name, Some(value));
    }
    fn remove(&mut self, name: &str) {
        let present = self.lookup(name).is_some();
        set_request_header(name, None, present);
        self.edits.record(name, None);
    }
}

/// This VM's shared data (one table per Envoy: see README).
struct HostStore;

impl Store for HostStore {
    fn get(&self, key: &str) -> Option<(Vec<u8>, u32)> {
        match hostcalls::get_shared_data(key) {
            Ok((Some(value), cas)) => Some((value, cas.unwrap_or(0))),
            _ => None,
        }
    }
    fn set(&mut self, key: &str, value: &[u8], cas: u32) -> bool {
        let cas = (cas != 0).then_some(cas);
        match hostcalls::set_shared_data(key, Some(value), cas) {
            Ok(()) => true,
            Err(Status::CasMismatch) => false,
            Err(status) => {
                let _ = hostcalls::log(
                    LogLevel::Debug,
                    &format!("grey-chain: shared data write failed: {status:?}"),
                );
                false
            }
        }
    }
}

/// A host property. Envoy 1.40 serves the xDS ones under `xds.` (checked on
/// real Envoy: `xds.listener_direction`, `xds.node.metadata.LABELS.<key>`);
/// older Envoys without the prefix.
fn property(path: &[&str]) -> Option<Vec<u8>> {
    let mut prefixed = vec!["xds"];
    prefixed.extend_from_slice(path);
    hostcalls::get_property(prefixed)
        .ok()
        .flatten()
        .or_else(|| hostcalls::get_property(path.to_vec()).ok().flatten())
}

fn debug(message: &str) {
    let _ = hostcalls::log(LogLevel::Debug, message);
}

fn gateway_lane(s: &State) {
    let Some(gw) = &s.cfg.gateway else {
        return;
    };
    let out = gateway::on_request(&s.cfg, gw, &mut HostHeaders::default());
    let m = &s.metrics;
    match &out.decision {
        Decision::Rule { index, lane } => {
            if let Some(c) = m.tagged_by_rule.get(*index) {
                c.inc();
            }
            let kind = gw.rules.get(*index).map_or("none", |r| r.kind());
            m.decided("gateway", Some(lane.as_str()), kind);
        }
        Decision::Trusted(lane) => {
            m.trusted.inc();
            m.decided("gateway", Some(lane.as_str()), "incoming");
        }
        Decision::Baseline => {
            m.baseline.inc();
            m.decided("gateway", None, BASELINE);
        }
    }
    if out.spoof_removed {
        m.spoof_removed.inc();
        debug("grey-chain: removed a client-sent lane");
    }
    if out.dropped {
        m.dropped_lanes.inc();
        debug("grey-chain: dropped an incoming lane not in `lanes`");
    }
}

fn count_recorded(m: &Metrics, r: &Recorded) {
    if r.written {
        m.recorded.inc();
        m.table_event("recorded");
    }
    if r.evicted {
        m.evicted.inc();
        m.table_event("evicted");
    }
    if r.replaced_expired {
        m.expired.inc();
        m.table_event("expired");
    }
    if let Some(n) = r.entries {
        m.table_size(n);
    }
}

fn sidecar_lane(s: &State) {
    let (Some(sc), Some(table)) = (&s.cfg.sidecar, &s.table) else {
        return;
    };
    let m = &s.metrics;
    let read = || direction::decode(property(&["listener_direction"]).as_deref());
    let resolved = match s.direction.try_borrow_mut() {
        Ok(mut r) => r.resolve(read),
        Err(_) => direction::Resolved {
            direction: read(),
            contradicted: false,
        },
    };
    if resolved.contradicted {
        m.direction_mismatch.inc();
        let _ = hostcalls::log(
            LogLevel::Error,
            &format!(
                "grey-chain: sidecar.direction is {:?} but this plugin also runs on a {:?} listener: \
                 reading the listener direction on every request from now on",
                sc.direction.unwrap_or(Direction::Unknown),
                resolved.direction
            ),
        );
    }
    match resolved.direction {
        Direction::Inbound => {
            let out = sidecar::inbound(
                &s.cfg,
                sc,
                table,
                &mut HostStore,
                &mut HostHeaders::default(),
                unix_seconds,
            );
            if let Some(r) = &out.recorded {
                count_recorded(m, r);
            }
            let decision = if out.lane.is_some() {
                "incoming"
            } else {
                BASELINE
            };
            m.decided("inbound", out.lane.as_deref(), decision);
            if out.unkeyed {
                m.unkeyed.inc();
                m.table_event("no_trace_id");
                debug("grey-chain: inbound lane without a trace id: not remembered");
            }
            if out.dropped {
                m.dropped_lanes.inc();
                debug("grey-chain: dropped an inbound lane not in `lanes`");
            }
        }
        Direction::Outbound => {
            let out = sidecar::outbound(
                &s.cfg,
                sc,
                table,
                &HostStore,
                &mut HostHeaders::default(),
                unix_seconds,
                s.pod_lane.as_deref(),
            );
            let decision = match out.via {
                Via::Kept => {
                    m.kept.inc();
                    "incoming"
                }
                Via::Correlation => {
                    m.by_correlation.inc();
                    "correlation"
                }
                Via::PodLabel => {
                    m.by_pod_label.inc();
                    "pod_label"
                }
                Via::Baseline => {
                    m.outbound_baseline.inc();
                    BASELINE
                }
            };
            m.decided("outbound", out.lane.as_deref(), decision);
            if out.expired {
                m.expired.inc();
                m.table_event("expired");
            }
            if out.dropped {
                m.dropped_lanes.inc();
                debug("grey-chain: dropped an outbound lane not in `lanes`");
            }
        }
        Direction::Unknown => {
            m.unknown_direction.inc();
            debug(
                "grey-chain: sidecar mode on a listener without traffic_direction: passed through",
            );
        }
    }
}
