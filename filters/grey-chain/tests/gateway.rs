//! The gateway mode on the built module (testhost).

mod common;
use common::*;

const RULES: &str = r#"{
  "mode": "gateway", "lanes": ["grey", "blue"],
  "gateway": {"rules": [
    {"lane": "grey", "match": {"header": {"name": "end-user", "exact": "test"}}},
    {"lane": "blue", "match": {"header": {"name": "end-user", "prefix": "qa-"}}},
    {"lane": "grey", "match": {"header": {"name": "end-user", "regex": "dev-[0-9]+"}}},
    {"lane": "grey", "match": {"header": {"name": "x-jwt-sub", "in": ["alice", "bob"]}}},
    {"lane": "blue", "match": {"header": {"name": "x-canary", "present": true}}},
    {"lane": "grey", "match": {"cookie": {"name": "lane", "exact": "grey"}}},
    {"lane": "blue", "match": {"query": {"name": "lane", "in": ["blue"]}}},
    {"lane": "grey", "match": {"query": {"name": "beta", "present": true}}}
  ]}
}"#;

type Case = (
    &'static [(&'static str, &'static str)],
    Option<&'static str>,
    Option<usize>,
);

#[test]
fn every_rule_type_tags_and_counts() {
    let mut h = host(RULES);
    // (request headers, expected lane, rule index)
    let cases: [Case; 12] = [
        (&[("end-user", "test")], Some("grey"), Some(0)),
        (&[("end-user", "qa-7")], Some("blue"), Some(1)),
        (&[("end-user", "dev-42")], Some("grey"), Some(2)),
        (&[("end-user", "xdev-42")], None, None),
        (&[("x-jwt-sub", "bob")], Some("grey"), Some(3)),
        (&[("x-jwt-sub", "bobby")], None, None),
        (&[("x-canary", "")], Some("blue"), Some(4)),
        (&[("cookie", "a=1; lane=grey")], Some("grey"), Some(5)),
        (&[("cookie", "lane=blue")], None, None),
        (&[(":path", "/p?x=1&lane=blue")], Some("blue"), Some(6)),
        (&[(":path", "/p?beta")], Some("grey"), Some(7)),
        (&[(":path", "/p?lane=grey")], None, None),
    ];
    let mut counts = [0i64; 8];
    for (headers, lane, rule) in cases {
        let out = request(&mut h, headers);
        assert_eq!(header(&out, "x-grey"), lane, "{headers:?}");
        let want_baggage = lane.map(|l| format!("lane={l}"));
        assert_eq!(
            header(&out, "baggage"),
            want_baggage.as_deref(),
            "{headers:?}"
        );
        if let Some(r) = rule {
            counts[r] += 1;
        }
    }
    for (i, lane) in [
        "grey", "blue", "grey", "grey", "blue", "grey", "blue", "grey",
    ]
    .iter()
    .enumerate()
    {
        assert_eq!(
            h.metric(&format!("grey_chain.gateway.tagged.{lane}.rule_{i}")),
            Some(counts[i]),
            "rule {i}"
        );
    }
    assert_eq!(h.metric("grey_chain.gateway.baseline"), Some(4));
}

/// Envoy re-selects the route by itself when an ABI 0.2.1 module changes
/// request headers (real Envoy: e2e `route_is_reselected_…`), so the filter
/// spends no host call on `clear_route_cache`.
#[test]
fn route_reselection_is_left_to_envoy() {
    let mut h = host(RULES);
    let out = request(&mut h, &[("end-user", "test")]);
    assert_eq!(header(&out, "x-grey"), Some("grey"));
    assert_eq!(h.foreign_calls(), Vec::<String>::new());
}

#[test]
fn spoofed_tag_and_baggage_member_are_removed() {
    let mut h = host(RULES);
    let out = request(
        &mut h,
        &[("x-grey", "grey"), ("baggage", "userId=7,lane=grey;p=1")],
    );
    assert_eq!(header(&out, "x-grey"), None);
    assert_eq!(header(&out, "baggage"), Some("userId=7"));
    let out = request(&mut h, &[("x-grey", "blue"), ("end-user", "test")]);
    assert_eq!(
        header(&out, "x-grey"),
        Some("grey"),
        "the rule decides, not the client"
    );
    let out = request(&mut h, &[("baggage", "lane=blue")]);
    assert_eq!(header(&out, "baggage"), None);
    assert_eq!(h.metric("grey_chain.gateway.spoofed_removed"), Some(3));
}

#[test]
fn trusted_incoming_tag_is_kept() {
    let mut h = host(r#"{"mode":"gateway","lanes":["grey"],"gateway":{"trustIncomingTag":true}}"#);
    let out = request(&mut h, &[("x-grey", "grey")]);
    assert_eq!(header(&out, "x-grey"), Some("grey"));
    assert_eq!(header(&out, "baggage"), Some("lane=grey"));
    let out = request(&mut h, &[("x-grey", "evil")]);
    assert_eq!(header(&out, "x-grey"), None);
    assert_eq!(h.metric("grey_chain.gateway.trusted"), Some(1));
    assert_eq!(h.metric("grey_chain.dropped_lanes"), Some(1));
}

#[test]
fn baggage_is_written_per_w3c() {
    let mut h = host(RULES);
    // Other members (with properties and OWS) kept, malformed ones dropped, ours replaced.
    let out = request(
        &mut h,
        &[
            ("end-user", "test"),
            (
                "baggage",
                "userId=alice , serverNode=DF%2028;ttl=3, bad member,lane=blue,k=\"q\"",
            ),
        ],
    );
    assert_eq!(
        header(&out, "baggage"),
        Some("userId=alice,serverNode=DF%2028;ttl=3,lane=grey")
    );
    // The spec's limit of 64 members holds, our member included.
    let many: Vec<String> = (0..70).map(|i| format!("k{i}=v")).collect();
    let out = request(
        &mut h,
        &[("end-user", "test"), ("baggage", &many.join(","))],
    );
    let written = header(&out, "baggage").unwrap();
    assert_eq!(written.split(',').count(), 64);
    assert!(written.starts_with("k0=v,") && written.ends_with(",lane=grey"));
}

fn percentage_host(pct: u32) -> testhost::Host {
    host(&format!(
        r#"{{"mode":"gateway","lanes":["grey"],"gateway":{{"rules":[{{"lane":"grey","percentage":{pct},"hashBy":{{"header":"x-jwt-sub"}}}}]}}}}"#
    ))
}

fn grey_users(pct: u32, users: u64) -> Vec<bool> {
    let mut h = percentage_host(pct);
    (0..users)
        .map(|i| {
            let user = format!("user-{i}");
            header(&request(&mut h, &[("x-jwt-sub", &user)]), "x-grey") == Some("grey")
        })
        .collect()
}

#[test]
fn percentage_share_is_stable_and_monotone() {
    let at10 = grey_users(10, 100_000);
    let at30 = grey_users(30, 100_000);
    let n10 = at10.iter().filter(|g| **g).count();
    let n30 = at30.iter().filter(|g| **g).count();
    assert!((9_000..=11_000).contains(&n10), "10% gave {n10} of 100000");
    assert!((29_000..=31_000).contains(&n30), "30% gave {n30} of 100000");
    let moved_out = at10.iter().zip(&at30).filter(|(a, b)| **a && !**b).count();
    assert_eq!(
        moved_out, 0,
        "raising the share moved users out of the lane"
    );
    let at100 = grey_users(100, 10_000);
    assert!(at100.iter().all(|g| *g));
    // Never random: the same users again.
    assert_eq!(grey_users(30, 2_000), at30[..2_000]);
}

#[test]
fn percentage_without_key_stays_baseline() {
    let mut h = percentage_host(100);
    let out = request(&mut h, &[]);
    assert_eq!(header(&out, "x-grey"), None);
    assert_eq!(h.metric("grey_chain.gateway.baseline"), Some(1));
}

#[test]
fn bad_config_is_refused_naming_every_field() {
    let host = testhost::Host::load(testhost::dist("grey_chain")).unwrap();
    let err = host
        .config(r#"{"mode":"gateway","lanes":["grey"],"gateway":{"rules":[{"lane":"blue","percentage":120,"hashBy":{"header":"u"}}]}}"#)
        .err()
        .expect("refused");
    let logs = format!("{err:?}");
    assert!(
        logs.contains("gateway.rules[0].lane") && logs.contains("gateway.rules[0].percentage"),
        "{logs}"
    );
}

#[test]
fn repeated_headers_are_joined() {
    let mut h = host(RULES);
    // Cookies split over two headers (HTTP/2 crumbs) still match.
    let out = request(&mut h, &[("cookie", "a=1"), ("cookie", "lane=grey")]);
    assert_eq!(header(&out, "x-grey"), Some("grey"));
    // A duplicated trusted tag is not a lane.
    let mut t = host(r#"{"mode":"gateway","lanes":["grey"],"gateway":{"trustIncomingTag":true}}"#);
    let out = request(&mut t, &[("x-grey", "grey"), ("x-grey", "grey")]);
    assert_eq!(header(&out, "x-grey"), None);
    assert_eq!(t.metric("grey_chain.dropped_lanes"), Some(1));
}

/// A header value that is not UTF-8 must not reach the SDK's `String`
/// decoding (a panic kills the VM): unreadable lane headers are removed, other
/// ones read as absent, and the VM keeps serving.
#[test]
fn non_utf8_header_values_are_survived_and_never_a_lane() {
    let mut h = host(RULES);
    let out = request_bytes(&mut h, 0, &[("x-other", b"caf\xe9"), ("end-user", b"test")]);
    assert_eq!(header(&out, "x-grey"), Some("grey"));
    assert_eq!(header(&out, "baggage"), Some("lane=grey"));
    assert_eq!(header(&out, "x-other"), Some("caf\u{fffd}"), "left alone");

    let out = request_bytes(
        &mut h,
        0,
        &[("x-grey", b"grey\xe9"), ("baggage", b"lane=grey,x=\xe9")],
    );
    assert_eq!(header(&out, "x-grey"), None);
    assert_eq!(header(&out, "baggage"), None);

    let out = request_bytes(
        &mut h,
        0,
        &[("baggage", b"lane=gr\xe9y"), ("end-user", b"test")],
    );
    assert_eq!(header(&out, "baggage"), Some("lane=grey"));

    // A rule's header that is not UTF-8 reads as absent.
    let out = request_bytes(&mut h, 0, &[("end-user", b"t\xe9st")]);
    assert_eq!(header(&out, "x-grey"), None);

    assert_eq!(h.metric("grey_chain.gateway.spoofed_removed"), Some(2));
    let out = request(&mut h, &[("end-user", "test")]);
    assert_eq!(header(&out, "x-grey"), Some("grey"), "the VM still serves");
}
