use super::*;
use crate::config::parse;
use crate::headers::MapHeaders;
use crate::table::MemStore;

const TP: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const TP_NEXT_HOP: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-01";

fn cfg() -> Config {
    parse(br#"{"mode":"sidecar","lanes":["grey","blue"],"sidecar":{"podLabel":{"key":"type","value":"grey"}}}"#).unwrap()
}

struct Pod {
    cfg: Config,
    table: Table,
    store: MemStore,
}

impl Pod {
    fn new() -> Self {
        let cfg = cfg();
        let c = &cfg.sidecar.as_ref().unwrap().correlation;
        let table = Table::new(c.max_entries, c.ttl_seconds);
        Pod {
            cfg,
            table,
            store: MemStore::default(),
        }
    }
    fn inbound(&mut self, h: &mut MapHeaders, now: u64) -> Inbound {
        let sc = self.cfg.sidecar.as_ref().unwrap();
        inbound(&self.cfg, sc, &self.table, &mut self.store, h, || now)
    }
    fn outbound(&self, h: &mut MapHeaders, now: u64, pod: Option<&str>) -> Outbound {
        let sc = self.cfg.sidecar.as_ref().unwrap();
        outbound(&self.cfg, sc, &self.table, &self.store, h, || now, pod)
    }
}

#[test]
fn inbound_lane_restored_outbound_by_trace() {
    let mut pod = Pod::new();
    let mut h = MapHeaders::new(&[("x-grey", "grey"), ("traceparent", TP)]);
    let r = pod.inbound(&mut h, 100);
    assert_eq!(r.lane.as_deref(), Some("grey"));
    assert!(r.recorded.unwrap().written);
    let mut out = MapHeaders::new(&[("traceparent", TP_NEXT_HOP)]);
    let o = pod.outbound(&mut out, 101, None);
    assert_eq!((o.via, o.lane.as_deref()), (Via::Correlation, Some("grey")));
    assert!(o.changed);
    assert_eq!(out.get("x-grey").as_deref(), Some("grey"));
    assert_eq!(out.get("baggage").as_deref(), Some("lane=grey"));
    // After the TTL the entry is never applied.
    let mut late = MapHeaders::new(&[("traceparent", TP)]);
    let o = pod.outbound(&mut late, 160, None);
    assert_eq!(o.via, Via::Baseline);
    assert!(o.expired);
    assert_eq!(late.get("x-grey"), None);
}

#[test]
fn baggage_alone_carries_the_lane() {
    let mut pod = Pod::new();
    let mut h = MapHeaders::new(&[("baggage", "lane=blue"), ("x-request-id", "req-1")]);
    assert_eq!(pod.inbound(&mut h, 100).lane.as_deref(), Some("blue"));
    let mut out = MapHeaders::new(&[("x-request-id", "req-1")]);
    assert_eq!(
        pod.outbound(&mut out, 100, None).lane.as_deref(),
        Some("blue")
    );
}

#[test]
fn first_valid_correlation_header_is_used() {
    let mut pod = Pod::new();
    let mut h = MapHeaders::new(&[
        ("x-grey", "grey"),
        ("traceparent", "garbage"),
        ("x-request-id", "r-9"),
    ]);
    pod.inbound(&mut h, 100);
    let mut out = MapHeaders::new(&[("x-request-id", "r-9")]);
    assert_eq!(pod.outbound(&mut out, 100, None).via, Via::Correlation);
    let mut other = MapHeaders::new(&[("x-request-id", "r-10")]);
    assert_eq!(pod.outbound(&mut other, 100, None).via, Via::Baseline);
}

#[test]
fn inbound_without_trace_is_unkeyed() {
    let mut pod = Pod::new();
    let r = pod.inbound(&mut MapHeaders::new(&[("x-grey", "grey")]), 100);
    assert!(r.unkeyed && r.recorded.is_none());
    let r = pod.inbound(&mut MapHeaders::new(&[("traceparent", TP)]), 100);
    assert!(!r.unkeyed && r.recorded.is_none() && r.lane.is_none());
}

#[test]
fn carried_lane_wins_over_table_and_pod() {
    let mut pod = Pod::new();
    pod.inbound(
        &mut MapHeaders::new(&[("x-grey", "grey"), ("traceparent", TP)]),
        100,
    );
    let mut out = MapHeaders::new(&[("x-grey", "blue"), ("traceparent", TP)]);
    let o = pod.outbound(&mut out, 100, Some("grey"));
    assert_eq!((o.via, o.lane.as_deref()), (Via::Kept, Some("blue")));
    assert_eq!(out.get("x-grey").as_deref(), Some("blue"));
    assert!(!o.changed, "a carried tag is left as it is");
    assert_eq!(out.get("baggage"), None);
}

#[test]
fn pod_label_seeds_the_lane() {
    let pod = Pod::new();
    let sc = pod.cfg.sidecar.as_ref().unwrap();
    assert_eq!(pod_lane(sc, Some(b"grey")).as_deref(), Some("grey"));
    assert_eq!(pod_lane(sc, Some(b"normal")), None);
    assert_eq!(pod_lane(sc, None), None);
    let mut out = MapHeaders::new(&[("traceparent", TP)]);
    let o = pod.outbound(&mut out, 100, Some("grey"));
    assert_eq!(o.via, Via::PodLabel);
    assert_eq!(out.get("x-grey").as_deref(), Some("grey"));
    let o = pod.outbound(&mut MapHeaders::new(&[]), 100, None);
    assert_eq!(o.via, Via::Baseline);
    assert!(!o.changed);
}

#[test]
fn unknown_lanes_are_dropped() {
    let mut pod = Pod::new();
    let mut h = MapHeaders::new(&[
        ("x-grey", "purple"),
        ("baggage", "lane=purple,a=1"),
        ("traceparent", TP),
    ]);
    let r = pod.inbound(&mut h, 100);
    assert!(r.dropped && r.lane.is_none() && r.recorded.is_none());
    assert_eq!(h.get("x-grey"), None);
    assert_eq!(h.get("baggage").as_deref(), Some("a=1"));
    let mut out = MapHeaders::new(&[("x-grey", "GREY")]);
    let o = pod.outbound(&mut out, 100, None);
    assert!(o.dropped);
    assert_eq!(o.via, Via::Baseline);
    assert_eq!(out.get("x-grey"), None);
}

#[test]
fn the_clock_is_read_only_when_an_entry_is_written_or_found() {
    let mut pod = Pod::new();
    let calls = std::cell::Cell::new(0);
    let now = || {
        calls.set(calls.get() + 1);
        100
    };
    let sc = pod.cfg.sidecar.clone().unwrap();
    // No lane, or a lane without a trace id: nothing to remember.
    let mut h = MapHeaders::new(&[("traceparent", TP)]);
    inbound(&pod.cfg, &sc, &pod.table, &mut pod.store, &mut h, now);
    let mut h = MapHeaders::new(&[("x-grey", "grey")]);
    inbound(&pod.cfg, &sc, &pod.table, &mut pod.store, &mut h, now);
    // A miss in the table, or a carried lane.
    let mut h = MapHeaders::new(&[("traceparent", TP)]);
    let o = outbound(
        &pod.cfg,
        &sc,
        &pod.table,
        &pod.store,
        &mut h,
        now,
        Some("grey"),
    );
    assert_eq!(o.via, Via::PodLabel);
    let mut h = MapHeaders::new(&[("x-grey", "grey"), ("traceparent", TP)]);
    outbound(&pod.cfg, &sc, &pod.table, &pod.store, &mut h, now, None);
    assert_eq!(calls.get(), 0);
    // Recording and finding an entry need the time, once each.
    let mut h = MapHeaders::new(&[("x-grey", "grey"), ("traceparent", TP)]);
    inbound(&pod.cfg, &sc, &pod.table, &mut pod.store, &mut h, now);
    assert_eq!(calls.get(), 1);
    let mut h = MapHeaders::new(&[("traceparent", TP_NEXT_HOP)]);
    let o = outbound(&pod.cfg, &sc, &pod.table, &pod.store, &mut h, now, None);
    assert_eq!((o.via, calls.get()), (Via::Correlation, 2));
}

#[test]
fn remembered_lane_removed_from_config_is_dropped() {
    let mut pod = Pod::new();
    pod.store = MemStore::default();
    pod.inbound(
        &mut MapHeaders::new(&[("x-grey", "blue"), ("traceparent", TP)]),
        100,
    );
    pod.cfg.lanes.retain(|l| l != "blue");
    let o = pod.outbound(&mut MapHeaders::new(&[("traceparent", TP)]), 100, None);
    assert!(o.dropped);
    assert_eq!(o.via, Via::Baseline);
}

#[test]
fn non_utf8_headers_are_never_a_lane_or_a_trace_id() {
    let mut pod = Pod::new();
    // An unreadable tag is dropped; unreadable baggage and trace ids are ignored.
    let mut h = MapHeaders::bytes(&[
        ("x-grey", b"grey\xe9"),
        ("baggage", b"lane=grey,x=\xe9"),
        ("traceparent", b"00-\xe9"),
    ]);
    let r = pod.inbound(&mut h, 100);
    assert!(r.dropped && r.lane.is_none() && r.recorded.is_none());
    assert_eq!(h.get("x-grey"), None);
    assert!(!h.unreadable("x-grey") && h.unreadable("baggage"));

    // A valid trace id elsewhere still records and restores; the
    // unreadable baggage is replaced whole when the lane is written.
    let mut h = MapHeaders::bytes(&[
        ("x-grey", b"grey"),
        ("traceparent", b"\xff"),
        ("x-request-id", b"r-1"),
    ]);
    assert!(pod.inbound(&mut h, 100).recorded.is_some());
    let mut out = MapHeaders::bytes(&[("x-request-id", b"r-1"), ("baggage", b"\xe9")]);
    let o = pod.outbound(&mut out, 100, None);
    assert_eq!((o.via, o.lane.as_deref()), (Via::Correlation, Some("grey")));
    assert_eq!(out.get("baggage").as_deref(), Some("lane=grey"));

    // Nothing to write: unreadable baggage passes untouched.
    let mut out = MapHeaders::bytes(&[("baggage", b"lane=\xe9")]);
    let o = pod.outbound(&mut out, 100, None);
    assert!(!o.changed && !o.dropped && out.unreadable("baggage"));
}
