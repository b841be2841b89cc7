//! Repeated copies of the headers grey-chain owns (the tag header, `baggage`)
//! or reads (trace headers) through the built module, under both replace
//! semantics testhost models: Envoy's (replace removes every copy) and hosts
//! whose replace sets only the first copy. What leaves must be the same on
//! both: no client-sent lane survives the gateway, a tag or baggage the
//! filter writes leaves exactly once, with every copy's other members.

mod common;
use common::*;
use testhost::{Host, ReplaceSemantics};

const INBOUND: i64 = 1;
const OUTBOUND: i64 = 2;

const GATEWAY: &str = r#"{"mode":"gateway","lanes":["grey","blue"],"gateway":{"rules":[
  {"lane":"grey","match":{"header":{"name":"end-user","exact":"test"}}}]}}"#;

const SIDECAR: &str = r#"{"mode":"sidecar","lanes":["grey"],"sidecar":{}}"#;

fn host_in(config: &str, semantics: ReplaceSemantics) -> Host {
    let mut h = host(config);
    h.set_replace_semantics(semantics);
    h
}

/// `copies` client tags and `copies` baggage headers, each with a lane
/// member and one member of its own (`m<i>=<i>`).
fn spoofed(copies: usize) -> Vec<(&'static str, String)> {
    let lanes = ["grey", "blue", "grey"];
    let mut headers = Vec::new();
    for (i, lane) in lanes.iter().enumerate().take(copies) {
        headers.push(("x-grey", lane.to_string()));
        headers.push(("baggage", format!("m{i}={i},lane={lane}")));
    }
    headers
}

/// The client's own members, in order, as they leave.
fn own_members(copies: usize) -> String {
    (0..copies)
        .map(|i| format!("m{i}={i}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn refs<'a>(headers: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    headers.iter().map(|(n, v)| (*n, v.as_str())).collect()
}

#[test]
fn gateway_a_tagged_request_leaves_with_one_tag_and_one_baggage() {
    for semantics in ReplaceSemantics::ALL {
        for copies in [2, 3] {
            let at = format!("{semantics:?}, {copies} copies");
            let mut h = host_in(GATEWAY, semantics);
            let mut headers = spoofed(copies);
            headers.push(("end-user", "test".into()));
            let out = request(&mut h, &refs(&headers));
            assert_eq!(header_all(&out, "x-grey"), ["grey"], "{at}");
            let baggage = format!("{},lane=grey", own_members(copies));
            assert_eq!(header_all(&out, "baggage"), [baggage.as_str()], "{at}");
            assert_eq!(h.metric("grey_chain.gateway.spoofed_removed"), Some(1));
        }
    }
}

#[test]
fn gateway_an_untagged_request_keeps_no_client_lane_in_any_copy() {
    for semantics in ReplaceSemantics::ALL {
        for copies in [2, 3] {
            let at = format!("{semantics:?}, {copies} copies");
            let mut h = host_in(GATEWAY, semantics);
            let out = request(&mut h, &refs(&spoofed(copies)));
            assert!(header_all(&out, "x-grey").is_empty(), "{at}");
            let own = own_members(copies);
            assert_eq!(header_all(&out, "baggage"), [own.as_str()], "{at}");
            // Baggage copies holding nothing but a lane: none leaves.
            let lane_only = vec![("baggage", "lane=grey"); copies];
            let out = request(&mut h, &lane_only);
            assert!(header_all(&out, "baggage").is_empty(), "{at}");
        }
    }
}

#[test]
fn sidecar_a_written_lane_replaces_every_baggage_copy() {
    for semantics in ReplaceSemantics::ALL {
        for copies in [2, 3] {
            let at = format!("{semantics:?}, {copies} copies");
            let mut h = host_in(SIDECAR, semantics);
            let tp = traceparent(1);
            sidecar_request(&mut h, INBOUND, &[("x-grey", "grey"), ("traceparent", &tp)]);
            // The app forwards the trace and its own baggage (no lane), split
            // over several headers: the lane is added to one baggage header
            // holding every member.
            let members: Vec<String> = (0..copies).map(|i| format!("m{i}={i}")).collect();
            let mut headers = vec![("traceparent", tp.as_str())];
            headers.extend(members.iter().map(|m| ("baggage", m.as_str())));
            let out = sidecar_request(&mut h, OUTBOUND, &headers);
            assert_eq!(header_all(&out, "x-grey"), ["grey"], "{at}");
            let baggage = format!("{},lane=grey", own_members(copies));
            assert_eq!(header_all(&out, "baggage"), [baggage.as_str()], "{at}");
        }
    }
}

#[test]
fn sidecar_a_repeated_tag_is_not_a_lane_and_every_copy_is_removed() {
    for semantics in ReplaceSemantics::ALL {
        for copies in [2, 3] {
            for direction in [INBOUND, OUTBOUND] {
                let at = format!("{semantics:?}, {copies} copies, direction {direction}");
                let mut h = host_in(SIDECAR, semantics);
                // Joined as the route match joins them: "grey,grey" is no lane.
                let tags = vec![("x-grey", "grey"); copies];
                let out = sidecar_request(&mut h, direction, &tags);
                assert!(header_all(&out, "x-grey").is_empty(), "{at}");
                assert_eq!(h.metric("grey_chain.dropped_lanes"), Some(1), "{at}");
            }
        }
    }
}

#[test]
fn a_repeated_trace_header_is_no_trace_id_and_the_next_header_is_used() {
    for semantics in ReplaceSemantics::ALL {
        for copies in [2, 3] {
            let at = format!("{semantics:?}, {copies} copies");
            let mut h = host_in(SIDECAR, semantics);
            let tp = traceparent(1);
            // Copies of one traceparent are joined with `,`: not a valid
            // traceparent, so the lane is not remembered under it.
            let mut headers = vec![("x-grey", "grey")];
            headers.extend(vec![("traceparent", tp.as_str()); copies]);
            sidecar_request(&mut h, INBOUND, &headers);
            assert_eq!(
                h.metric("grey_chain.sidecar.inbound.no_trace_id"),
                Some(1),
                "{at}"
            );
            // With an x-request-id too, that one keys the table.
            headers.push(("x-request-id", "req-1"));
            sidecar_request(&mut h, INBOUND, &headers);
            assert_eq!(
                h.metric("grey_chain.sidecar.inbound.recorded"),
                Some(1),
                "{at}"
            );
            let out = sidecar_request(&mut h, OUTBOUND, &[("x-request-id", "req-1")]);
            assert_eq!(header_all(&out, "x-grey"), ["grey"], "{at}");
            assert_eq!(header_all(&out, "baggage"), ["lane=grey"], "{at}");
        }
    }
}
