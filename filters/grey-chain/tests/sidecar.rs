//! The sidecar mode on the built module (testhost).

mod common;
use common::*;
use std::time::Duration;

const INBOUND: i64 = 1;
const OUTBOUND: i64 = 2;

fn sidecar(extra: &str) -> String {
    format!(
        r#"{{"mode":"sidecar","lanes":["grey"],"sidecar":{{"podLabel":{{"key":"type","value":"grey"}}{extra}}}}}"#
    )
}

#[test]
fn inbound_lane_is_restored_on_outbound_by_trace_id() {
    let mut h = host(&sidecar(""));
    let tp = traceparent(1);
    let child = tp.replace("00f067aa0ba902b7", "1111111111111111");
    sidecar_request(&mut h, INBOUND, &[("x-grey", "grey"), ("traceparent", &tp)]);
    let out = sidecar_request(&mut h, OUTBOUND, &[("traceparent", &child)]);
    assert_eq!(header(&out, "x-grey"), Some("grey"));
    assert_eq!(header(&out, "baggage"), Some("lane=grey"));
    // No clear_route_cache: Envoy re-selects the route after an ABI 0.2.1
    // module changes headers (e2e `route_is_reselected_…`).
    assert_eq!(h.foreign_calls(), Vec::<String>::new());
    let other = sidecar_request(&mut h, OUTBOUND, &[("traceparent", &traceparent(2))]);
    assert_eq!(header(&other, "x-grey"), None);
    assert_eq!(h.metric("grey_chain.sidecar.inbound.recorded"), Some(1));
    assert_eq!(
        h.metric("grey_chain.sidecar.outbound.by_correlation"),
        Some(1)
    );
    assert_eq!(h.metric("grey_chain.sidecar.outbound.baseline"), Some(1));
    assert_eq!(h.metric("grey_chain.correlation.entries"), Some(1));
}

#[test]
fn ttl_expiry_is_never_applied() {
    let mut h = host(&sidecar(r#","correlation":{"ttlSeconds":30}"#));
    let tp = traceparent(7);
    sidecar_request(
        &mut h,
        INBOUND,
        &[("baggage", "lane=grey"), ("traceparent", &tp)],
    );
    h.advance_clock(Duration::from_secs(29));
    assert_eq!(
        header(
            &sidecar_request(&mut h, OUTBOUND, &[("traceparent", &tp)]),
            "x-grey"
        ),
        Some("grey")
    );
    h.advance_clock(Duration::from_secs(1));
    assert_eq!(
        header(
            &sidecar_request(&mut h, OUTBOUND, &[("traceparent", &tp)]),
            "x-grey"
        ),
        None
    );
    assert_eq!(h.metric("grey_chain.correlation.expired"), Some(1));
}

#[test]
fn carried_lane_is_kept_and_unknown_lanes_dropped() {
    let mut h = host(&sidecar(""));
    let out = sidecar_request(&mut h, OUTBOUND, &[("baggage", "a=1,lane=grey")]);
    assert_eq!(
        header(&out, "x-grey"),
        Some("grey"),
        "baggage alone carries the lane"
    );
    assert_eq!(h.metric("grey_chain.sidecar.outbound.kept"), Some(1));
    let out = sidecar_request(
        &mut h,
        OUTBOUND,
        &[("x-grey", "purple"), ("baggage", "lane=purple,a=1")],
    );
    assert_eq!(header(&out, "x-grey"), None);
    assert_eq!(header(&out, "baggage"), Some("a=1"));
    assert_eq!(h.metric("grey_chain.dropped_lanes"), Some(1));
    assert!(
        h.logs().iter().any(|(_, m)| m.contains("not in `lanes`")),
        "dropped lanes are logged"
    );
}

#[test]
fn pod_label_seeds_outbound_only() {
    let mut h = testhost::Host::load(testhost::dist("grey_chain")).unwrap();
    h.set_property(&["xds", "node", "metadata", "LABELS", "type"], b"grey");
    let mut h = h.config(sidecar("")).unwrap();
    let out = sidecar_request(&mut h, OUTBOUND, &[]);
    assert_eq!(header(&out, "x-grey"), Some("grey"));
    assert_eq!(
        h.metric("grey_chain.sidecar.outbound.by_pod_label"),
        Some(1)
    );
    let inbound = sidecar_request(&mut h, INBOUND, &[]);
    assert_eq!(header(&inbound, "x-grey"), None);

    // Envoys without the `xds.` prefix.
    let mut legacy = testhost::Host::load(testhost::dist("grey_chain")).unwrap();
    legacy.set_property(&["node", "metadata", "LABELS", "type"], b"grey");
    let mut legacy = legacy.config(sidecar("")).unwrap();
    let mut s = legacy.stream();
    s.set_property(&["listener_direction"], OUTBOUND.to_le_bytes());
    s.request_headers(&[(":path", "/")], true);
    assert_eq!(s.request_header("x-grey").as_deref(), Some("grey"));

    let mut normal = testhost::Host::load(testhost::dist("grey_chain")).unwrap();
    normal.set_property(&["xds", "node", "metadata", "LABELS", "type"], b"normal");
    let mut normal = normal.config(sidecar("")).unwrap();
    assert_eq!(
        header(&sidecar_request(&mut normal, OUTBOUND, &[]), "x-grey"),
        None
    );
}

#[test]
fn listener_without_direction_passes_through() {
    let mut h = host(&sidecar(""));
    let mut s = h.stream();
    s.request_headers(&[(":path", "/"), ("x-grey", "purple")], true);
    assert_eq!(s.request_header("x-grey").as_deref(), Some("purple"));
    s.finish();
    assert_eq!(h.metric("grey_chain.sidecar.unknown_direction"), Some(1));
}

#[test]
fn hostile_trace_ids_are_not_keys() {
    let mut h = host(&sidecar(
        r#","correlation":{"headers":["traceparent","x-request-id"]}"#,
    ));
    let long = "a".repeat(129);
    let zero = "00-00000000000000000000000000000000-00f067aa0ba902b7-01";
    let upper = "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01";
    for (tp, rid) in [
        (zero, "a b"),
        ("garbage", long.as_str()),
        (upper, "a|b"),
        (long.as_str(), ""),
    ] {
        sidecar_request(
            &mut h,
            INBOUND,
            &[
                ("x-grey", "grey"),
                ("traceparent", tp),
                ("x-request-id", rid),
            ],
        );
    }
    assert_eq!(
        h.metric("grey_chain.sidecar.inbound.recorded").unwrap_or(0),
        0
    );
    assert_eq!(h.metric("grey_chain.sidecar.inbound.no_trace_id"), Some(4));
    assert_eq!(h.shared_data_len(), 0);
}

/// 1M distinct trace ids through a 1000-entry table: the shared data never
/// holds more than its buckets, each value bounded.
#[test]
fn max_entries_holds_under_a_million_trace_ids() {
    let mut h = host(&sidecar(
        r#","correlation":{"maxEntries":1000,"ttlSeconds":60}"#,
    ));
    for i in 0..1_000_000u64 {
        if i % 10_000 == 0 {
            h.advance_clock(Duration::from_secs(1));
        }
        let tp = traceparent(i);
        sidecar_request(&mut h, INBOUND, &[("x-grey", "grey"), ("traceparent", &tp)]);
    }
    // 250 buckets of 4 entries, plus the entry counter.
    assert_eq!(h.shared_data_len(), 251);
    let bytes: usize = (0..250)
        .map(|b| {
            h.shared_data(&format!("grey-chain/t/{b}"))
                .expect("bucket")
                .0
                .len()
        })
        .sum();
    assert!(bytes <= 250 * 4 * 40, "{bytes} bytes");
    assert_eq!(h.metric("grey_chain.correlation.entries"), Some(1000));
    assert!(h.metric("grey_chain.correlation.evicted").unwrap() > 900_000);
    // The newest trace is still found.
    let last = sidecar_request(&mut h, OUTBOUND, &[("traceparent", &traceparent(999_999))]);
    assert_eq!(header(&last, "x-grey"), Some("grey"));
}

#[test]
fn a_pinned_direction_is_used_without_reading_the_listener() {
    let mut h = host(&sidecar(r#","direction":"inbound""#));
    let tp = traceparent(40);
    // First request: the pin is checked against the property, which agrees.
    sidecar_request(&mut h, INBOUND, &[("x-grey", "grey"), ("traceparent", &tp)]);
    // Later requests are inbound whatever the property says (it is not read).
    let out = sidecar_request(&mut h, OUTBOUND, &[("traceparent", &traceparent(41))]);
    assert_eq!(header(&out, "x-grey"), None, "not treated as outbound");
    let tp2 = traceparent(42);
    request(&mut h, &[("x-grey", "grey"), ("traceparent", &tp2)]);
    assert_eq!(h.metric("grey_chain.sidecar.inbound.recorded"), Some(2));
    assert_eq!(h.metric("grey_chain.sidecar.direction_mismatch"), Some(0));
    assert_eq!(
        h.metric("grey_chain.sidecar.outbound.by_pod_label"),
        Some(0)
    );
}

#[test]
fn a_wrong_pin_is_caught_and_dropped() {
    let mut h = testhost::Host::load(testhost::dist("grey_chain")).unwrap();
    h.set_property(&["xds", "node", "metadata", "LABELS", "type"], b"grey");
    let mut h = h.config(sidecar(r#","direction":"inbound""#)).unwrap();
    // The first request is on an outbound listener: the pin is contradicted, and
    // the request is handled as what the listener says (the pod's lane is set).
    let out = sidecar_request(&mut h, OUTBOUND, &[("traceparent", &traceparent(50))]);
    assert_eq!(header(&out, "x-grey"), Some("grey"));
    assert_eq!(h.metric("grey_chain.sidecar.direction_mismatch"), Some(1));
    assert!(h
        .logs_at(testhost::LogLevel::Error)
        .iter()
        .any(|l| l.contains("sidecar.direction")));
    assert_eq!(h.metric("grey_chain.sidecar.inbound.recorded"), Some(0));
    // From then on the property decides on every request.
    let tp = traceparent(51);
    sidecar_request(&mut h, INBOUND, &[("x-grey", "grey"), ("traceparent", &tp)]);
    assert_eq!(h.metric("grey_chain.sidecar.inbound.recorded"), Some(1));
    request(
        &mut h,
        &[("x-grey", "grey"), ("traceparent", &traceparent(52))],
    );
    assert_eq!(h.metric("grey_chain.sidecar.unknown_direction"), Some(1));
    assert_eq!(h.metric("grey_chain.sidecar.direction_mismatch"), Some(1));
}

#[test]
fn non_utf8_header_values_are_survived_and_never_a_lane() {
    let mut h = host(&sidecar(""));
    let out = request_bytes(&mut h, OUTBOUND, &[("x-grey", b"gr\xe9y")]);
    assert_eq!(header(&out, "x-grey"), None);
    assert_eq!(h.metric("grey_chain.dropped_lanes"), Some(1));

    // An unreadable trace header is skipped for the next configured one.
    request_bytes(
        &mut h,
        INBOUND,
        &[
            ("x-grey", b"grey"),
            ("traceparent", b"00-\xe9"),
            ("x-request-id", b"r-1"),
        ],
    );
    assert_eq!(h.metric("grey_chain.sidecar.inbound.recorded"), Some(1));
    let out = request_bytes(
        &mut h,
        OUTBOUND,
        &[("x-request-id", b"r-1"), ("baggage", b"x=\xe9")],
    );
    assert_eq!(header(&out, "x-grey"), Some("grey"));
    assert_eq!(header(&out, "baggage"), Some("lane=grey"));

    let out = sidecar_request(&mut h, OUTBOUND, &[("x-request-id", "r-1")]);
    assert_eq!(header(&out, "x-grey"), Some("grey"), "the VM still serves");
}

/// Lane tags are client input. However many distinct tags arrive, by header
/// or baggage, at a trusting gateway or at either sidecar direction, the
/// labelled metrics (`grey_chain_requests{lane}` and the rest) only ever name
/// configured lanes: no client value becomes a stat, so no client can grow
/// Envoy's stats without bound.
#[test]
fn hostile_lane_tags_add_no_metric_series() {
    let gateway = r#"{"mode":"gateway","lanes":["grey"],"gateway":{"trustIncomingTag":true,
        "rules":[{"lane":"grey","match":{"header":{"name":"end-user","exact":"test"}}}]}}"#;
    for (config, directions) in [
        (sidecar(""), &[INBOUND, OUTBOUND][..]),
        (gateway.to_string(), &[0][..]),
    ] {
        let mut h = host(&config);
        let send = |h: &mut testhost::Host, dir: i64, headers: &[(&str, &str)]| {
            if dir == 0 {
                request(h, headers);
            } else {
                sidecar_request(h, dir, headers);
            }
        };
        // Every series an honest mix defines: a lane, baseline, a dropped tag.
        for &dir in directions {
            let tp = traceparent(u64::try_from(dir).unwrap());
            send(&mut h, dir, &[("x-grey", "grey"), ("traceparent", &tp)]);
            send(&mut h, dir, &[("end-user", "test")]);
            send(&mut h, dir, &[]);
            send(&mut h, dir, &[("x-grey", "purple")]);
        }
        let honest = h.metric_names();
        assert!(
            honest.iter().any(|n| n.contains("lane=.=grey;.;")),
            "{honest:?}"
        );
        for i in 0..60u64 {
            let lane = format!("evil-{i};.;lane=.=x\"}}");
            let baggage = format!("lane={lane}");
            for &dir in directions {
                let tp = traceparent(100 + i);
                send(&mut h, dir, &[("x-grey", &lane), ("traceparent", &tp)]);
                send(&mut h, dir, &[("baggage", &baggage), ("traceparent", &tp)]);
            }
        }
        let after = h.metric_names();
        let new: Vec<&String> = after.iter().filter(|n| !honest.contains(n)).collect();
        assert!(new.is_empty(), "{config}: series from client tags: {new:?}");
        // At least every tag by header was seen and dropped.
        assert!(
            h.metric("grey_chain.dropped_lanes").unwrap_or(0) >= 60,
            "{config}"
        );
    }
}
