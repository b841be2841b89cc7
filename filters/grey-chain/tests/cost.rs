//! What one request costs the built module (testhost's meter: wasm
//! instructions and host calls), per path through the filter. Host calls are
//! the contract asserted here: each is about a microsecond in Envoy's V8, and
//! each path's count is what the code needs, no more. Instructions are printed
//! (`cargo nextest run -p grey-chain --test cost --no-capture`), never asserted.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;
use std::time::{Duration, UNIX_EPOCH};
use testhost::{Action, Host, Meter};

const INBOUND: i64 = 1;
const OUTBOUND: i64 = 2;

/// The bench's gateway configuration (`e2e/src/bench/scenarios/grey_chain.rs`).
const GATEWAY: &str = r#"{"mode":"gateway","lanes":["grey"],"gateway":{"rules":[
  {"lane":"grey","match":{"header":{"name":"end-user","exact":"test"}}},
  {"lane":"grey","match":{"cookie":{"name":"lane","exact":"grey"}}},
  {"lane":"grey","percentage":30,"hashBy":{"header":"x-user"}}]}}"#;

/// The manifests' sidecar configuration, `direction` pinned or not.
fn sidecar(direction: Option<&str>) -> String {
    let pin = direction.map_or(String::new(), |d| format!(r#""direction":"{d}","#));
    format!(
        r#"{{"mode":"sidecar","tagHeader":"x-grey","lanes":["grey"],"sidecar":{{{pin}
          "podLabel":{{"key":"type","value":"grey"}},
          "correlation":{{"headers":["traceparent","x-b3-traceid","x-request-id"],"ttlSeconds":60,"maxEntries":50000}},
          "baggageKey":"lane"}}}}"#
    )
}

/// Headers a request between two sidecars carries besides the lane and the trace.
const COMMON: [(&str, &str); 9] = [
    (":method", "GET"),
    (":path", "/api/items?page=2"),
    (":authority", "svc-b.shop.svc.cluster.local"),
    (":scheme", "http"),
    ("user-agent", "okhttp/4.12.0"),
    ("accept", "application/json"),
    ("x-request-id", "6f1b2c3d-8e9f-4a5b-9c7d-1e2f3a4b5c6d"),
    ("x-forwarded-proto", "http"),
    ("x-envoy-attempt-count", "1"),
];

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

fn tp(i: u64) -> String {
    format!("00-{:032x}-00f067aa0ba902b7-01", 0x4bf9_2f35_77b3_4da6 + i)
}

fn pod(label: &str, config: &str) -> Host {
    let mut h = Host::load(testhost::dist("grey_chain")).expect("run `make build` first");
    h.set_clock(UNIX_EPOCH + Duration::from_secs(T0));
    h.set_property(
        &["xds", "node", "metadata", "LABELS", "type"],
        label.as_bytes(),
    );
    h.config(config).unwrap()
}

/// One whole request (context created, request headers, done) on a listener
/// of `direction` (0: none, the gateway); returns its cost and the tag after.
fn run(h: &mut Host, direction: i64, extra: &[(&str, &str)]) -> (Meter, Option<String>) {
    let mut headers = COMMON.to_vec();
    headers.extend_from_slice(extra);
    let before = h.meter();
    let mut s = h.stream();
    if direction != 0 {
        s.set_property(&["xds", "listener_direction"], direction.to_le_bytes());
    }
    assert_eq!(s.request_headers(&headers, true), Action::Continue);
    let tag = s.request_header("x-grey");
    s.finish();
    (h.meter() - before, tag)
}

fn strs<'a>(headers: &'a [(&'static str, String)]) -> Vec<(&'a str, &'a str)> {
    headers.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

struct Row {
    path: &'static str,
    meter: Meter,
    budget: u64,
}

/// The shared table's one bucket (a 4-entry table), copied from the VM
/// whose inbound recorded it: two plugins with a pinned direction are two
/// root contexts over one shared data in Envoy, two hosts here.
const BUCKET: &str = "grey-chain/t/0";

/// The paths, each measured in its steady state: after a warm-up request of
/// the same kind (a pin is checked on the first request; the first use of a
/// bucket creates it). The table has 4 entries (one bucket): in production
/// the buckets exist once the table has filled, so a lookup reads one.
fn paths(pinned: bool) -> Vec<Row> {
    let config = |d: &str| sidecar(pinned.then_some(d)).replace("50000", "4");
    // Reading `xds.listener_direction` when the direction is not pinned.
    let property = u64::from(!pinned);
    let mut rows = Vec::new();
    let mut row = |path, meter, budget| {
        rows.push(Row {
            path,
            meter,
            budget,
        })
    };
    let grey = |i: u64| vec![("x-grey", "grey".to_string()), ("traceparent", tp(i))];

    // Inbound: a new trace id every request (the bucket is full after the
    // warm-up), a trace seen again, a request without a lane.
    let mut inb = pod("normal", &config("inbound"));
    for i in 0..8 {
        run(&mut inb, INBOUND, &strs(&grey(i)));
    }
    let (new, tag) = run(&mut inb, INBOUND, &strs(&grey(9)));
    assert_eq!(tag.as_deref(), Some("grey"));
    // headers, clock, bucket read + CAS write, `recorded` + `evicted` (flat, deprecated, and
    // `correlation_table_events`), `grey_chain_requests`, the lane's filter state.
    row("inbound: new trace id", new, 10 + property);
    // headers, clock, bucket read: a fresh entry is not rewritten; the family, the filter state.
    let (seen, _) = run(&mut inb, INBOUND, &strs(&grey(9)));
    row("inbound: trace id seen before", seen, 5 + property);
    // headers, `grey_chain_requests` (after a warm-up that defines its baseline series).
    run(&mut inb, INBOUND, &[("traceparent", &tp(10))]);
    let (none, _) = run(&mut inb, INBOUND, &[("traceparent", &tp(10))]);
    row("inbound: no lane", none, 2 + property);

    // Outbound, over the bucket the inbound filled (it holds trace 9). Every path below also
    // counts `grey_chain_requests` (issue 20) and, with a lane, sets its filter state.
    let (bucket, _) = inb.shared_data(BUCKET).expect("bucket");
    for (label, path, extra, want, budget) in [
        // headers, `kept`.
        (
            "normal",
            "outbound: lane kept",
            vec![("x-grey", "grey".into()), ("baggage", "lane=grey".into())],
            Some("grey"),
            4,
        ),
        // headers, bucket read, clock, tag + baggage, `by_correlation`.
        (
            "normal",
            "outbound: lane by correlation",
            vec![("traceparent", tp(9))],
            Some("grey"),
            8,
        ),
        // headers, bucket read (a miss), tag + baggage, `by_pod_label`.
        (
            "grey",
            "outbound: lane by pod label",
            vec![("traceparent", tp(20))],
            Some("grey"),
            7,
        ),
        // headers, bucket read (a miss), `baseline`.
        (
            "normal",
            "outbound: baseline",
            vec![("traceparent", tp(20))],
            None,
            4,
        ),
    ] {
        let mut out = pod(label, &config("outbound"));
        out.set_shared_data(BUCKET, &bucket);
        let extra = strs(&extra);
        run(&mut out, OUTBOUND, &extra);
        let (m, tag) = run(&mut out, OUTBOUND, &extra);
        assert_eq!(tag.as_deref(), want, "{path}");
        row(path, m, budget + property);
    }

    rows
}

/// (path, configuration, extra headers, tag after, host-call budget)
type GatewayCase = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    Option<&'static str>,
    u64,
);

/// Gateway mode, and the bench's wasm floor (this module in gateway mode with
/// no rules: the headers read and two counters, the flat `gateway.baseline`
/// (deprecated) and `grey_chain_requests`). Each path also counts
/// `grey_chain_requests` and, with a lane, sets its filter state (issue 20).
fn gateway_paths() -> Vec<Row> {
    let mut rows = Vec::new();
    let floor = r#"{"mode":"gateway","tagHeader":"x-wasm-floor","lanes":["floor"],"gateway":{}}"#;
    let cases: [GatewayCase; 4] = [
        // headers, tag + baggage, `tagged`.
        (
            "gateway: rule match",
            GATEWAY,
            &[("end-user", "test")],
            Some("grey"),
            6,
        ),
        // headers, `baseline`.
        (
            "gateway: no match",
            GATEWAY,
            &[("end-user", "someone")],
            None,
            3,
        ),
        // headers, tag removed, `baseline`, `spoofed_removed`, its debug log.
        (
            "gateway: spoofed tag, no match",
            GATEWAY,
            &[("x-grey", "grey")],
            None,
            6,
        ),
        (
            "wasm floor (bench)",
            floor,
            &[("traceparent", TRACEPARENT)],
            None,
            3,
        ),
    ];
    for (path, config, extra, want, budget) in cases {
        let mut gw = pod("normal", config);
        run(&mut gw, 0, extra);
        let (meter, tag) = run(&mut gw, 0, extra);
        assert_eq!(tag.as_deref(), want, "{path}");
        rows.push(Row {
            path,
            meter,
            budget,
        });
    }
    rows
}

#[test]
fn host_calls_per_request_stay_within_budget() {
    let mut report = String::from(
        "direction  path                                   host_calls  wasm_instructions\n",
    );
    let mut failures = Vec::new();
    let all = paths(true)
        .into_iter()
        .map(|r| ("pinned", r))
        .chain(paths(false).into_iter().map(|r| ("read", r)))
        .chain(gateway_paths().into_iter().map(|r| ("-", r)));
    for (direction, r) in all {
        report.push_str(&format!(
            "{direction:<9}  {:<38} {:>10}  {:>17}\n",
            r.path, r.meter.host_calls, r.meter.wasm_instructions
        ));
        if r.meter.host_calls != r.budget {
            failures.push(format!(
                "{direction}, {}: {} host calls, budget {}",
                r.path, r.meter.host_calls, r.budget
            ));
        }
    }
    println!("{report}");
    assert!(failures.is_empty(), "{failures:#?}\n{report}");
}
