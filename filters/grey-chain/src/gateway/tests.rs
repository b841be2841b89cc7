use super::*;
use crate::config::parse;
use crate::headers::MapHeaders;

fn cfg(trust: bool) -> Config {
    let json = format!(
        r#"{{"mode":"gateway","lanes":["grey","blue"],"gateway":{{"trustIncomingTag":{trust},"rules":[
          {{"lane":"grey","match":{{"header":{{"name":"end-user","exact":"test"}}}}}},
          {{"lane":"blue","match":{{"header":{{"name":"x-grey","present":true}}}}}}]}}}}"#
    );
    parse(json.as_bytes()).unwrap()
}

fn run(c: &Config, headers: &[(&str, &str)]) -> (Outcome, MapHeaders) {
    let mut h = MapHeaders::new(headers);
    let out = on_request(c, c.gateway.as_ref().unwrap(), &mut h);
    (out, h)
}

#[test]
fn tags_by_rule_and_writes_baggage() {
    let (out, h) = run(
        &cfg(false),
        &[("end-user", "test"), ("baggage", "userId=a")],
    );
    assert_eq!(
        out.decision,
        Decision::Rule {
            index: 0,
            lane: "grey".into()
        }
    );
    assert!(out.changed && !out.spoof_removed);
    assert_eq!(h.get("x-grey").as_deref(), Some("grey"));
    assert_eq!(h.get("baggage").as_deref(), Some("userId=a,lane=grey"));
}

#[test]
fn spoofed_tag_and_baggage_are_removed_before_deciding() {
    let (out, h) = run(
        &cfg(false),
        &[("x-grey", "grey"), ("baggage", "lane=grey,userId=a")],
    );
    assert_eq!(
        out.decision,
        Decision::Baseline,
        "rules never see the client's tag"
    );
    assert!(out.spoof_removed && out.changed);
    assert_eq!(h.get("x-grey"), None);
    assert_eq!(h.get("baggage").as_deref(), Some("userId=a"));
    let (_, h) = run(&cfg(false), &[("baggage", "lane=grey")]);
    assert_eq!(h.get("baggage"), None);
}

#[test]
fn untouched_request_is_unchanged() {
    let (out, h) = run(&cfg(false), &[("end-user", "x"), ("baggage", "a=1")]);
    assert_eq!(out.decision, Decision::Baseline);
    assert!(!out.changed);
    assert_eq!(h.get("baggage").as_deref(), Some("a=1"));
}

#[test]
fn trusted_incoming_lane_is_kept() {
    let (out, h) = run(&cfg(true), &[("x-grey", "blue")]);
    assert_eq!(out.decision, Decision::Trusted("blue".into()));
    assert_eq!(h.get("baggage").as_deref(), Some("lane=blue"));
    let (out, h) = run(&cfg(true), &[("baggage", "lane=grey")]);
    assert_eq!(out.decision, Decision::Trusted("grey".into()));
    assert_eq!(h.get("x-grey").as_deref(), Some("grey"));
    let (out, h) = run(&cfg(true), &[("x-grey", "purple"), ("end-user", "test")]);
    assert!(out.dropped);
    assert_eq!(
        out.decision,
        Decision::Rule {
            index: 0,
            lane: "grey".into()
        }
    );
    assert_eq!(h.get("x-grey").as_deref(), Some("grey"));
}

#[test]
fn non_utf8_lane_headers_are_removed_and_others_read_as_absent() {
    for trust in [false, true] {
        let c = cfg(trust);
        let mut h = MapHeaders::bytes(&[
            ("x-grey", b"grey\xe9"),
            ("baggage", b"lane=grey,x=\xe9"),
            ("x-other", b"\xe9"),
            ("end-user", b"test"),
        ]);
        let out = on_request(&c, c.gateway.as_ref().unwrap(), &mut h);
        assert_eq!(out.spoof_removed, !trust, "trust {trust}");
        assert_eq!(out.dropped, trust, "trust {trust}");
        assert_eq!(
            out.decision,
            Decision::Rule {
                index: 0,
                lane: "grey".into()
            },
            "an unrelated non-UTF-8 header does not stop the rules"
        );
        assert_eq!(h.get("x-grey").as_deref(), Some("grey"));
        assert_eq!(h.get("baggage").as_deref(), Some("lane=grey"));
        assert!(h.unreadable("x-other"), "unrelated headers are left alone");

        // No rule matches: the unreadable lane headers are gone all the same.
        let mut h = MapHeaders::bytes(&[("x-grey", b"\xff"), ("baggage", b"lane=\xff")]);
        let out = on_request(&c, c.gateway.as_ref().unwrap(), &mut h);
        assert_eq!(out.decision, Decision::Baseline);
        assert!(out.changed);
        for name in ["x-grey", "baggage"] {
            assert!(
                h.get(name).is_none() && !h.unreadable(name),
                "trust {trust}: {h:?}"
            );
        }
    }
    // A rule on a non-UTF-8 header sees it as absent.
    let c = cfg(false);
    let mut h = MapHeaders::bytes(&[("end-user", b"t\xe9st")]);
    let out = on_request(&c, c.gateway.as_ref().unwrap(), &mut h);
    assert_eq!(out.decision, Decision::Baseline);
    assert!(!out.changed && h.unreadable("end-user"));
}

#[test]
fn gateway_writes_the_sidecar_baggage_key_else_lane() {
    let rules = r#""gateway":{"rules":[{"lane":"grey","match":{"header":{"name":"end-user","exact":"test"}}}]}"#;
    let with_key = format!(
        r#"{{"mode":"gateway","lanes":["grey"],{rules},"sidecar":{{"baggageKey":"grey-lane"}}}}"#
    );
    let c = parse(with_key.as_bytes()).unwrap();
    let (_, h) = run(
        &c,
        &[("end-user", "test"), ("baggage", "lane=x,grey-lane=y")],
    );
    assert_eq!(h.get("baggage").as_deref(), Some("lane=x,grey-lane=grey"));
    let (out, h) = run(&c, &[("baggage", "grey-lane=grey")]);
    assert!(out.spoof_removed);
    assert_eq!(h.get("baggage"), None);

    let only_gateway = format!(r#"{{"mode":"gateway","lanes":["grey"],{rules}}}"#);
    let c = parse(only_gateway.as_bytes()).unwrap();
    let (_, h) = run(&c, &[("end-user", "test")]);
    assert_eq!(h.get("baggage").as_deref(), Some("lane=grey"));
}
