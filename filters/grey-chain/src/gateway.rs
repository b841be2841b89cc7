//! What the gateway does to a request: drop a client-sent lane (unless
//! trusted), decide the lane by the rules, and write it as the tag header and
//! the baggage member.

use crate::baggage;
use crate::config::{Config, Gateway};
use crate::headers::Headers;
use crate::rules;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Rule `index` put the request in `lane`.
    Rule {
        index: usize,
        lane: String,
    },
    /// `trustIncomingTag` kept the lane the request came with.
    Trusted(String),
    Baseline,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub decision: Decision,
    /// A client-sent tag or baggage lane member was removed.
    pub spoof_removed: bool,
    /// An incoming lane that is not in `lanes` was removed.
    pub dropped: bool,
    /// Headers changed: the route must be re-selected.
    pub changed: bool,
}

/// Sets the tag and baggage member to `lane`; `true` if anything changed.
pub fn write_lane(cfg: &Config, h: &mut dyn Headers, lane: &str) -> bool {
    let mut changed = false;
    if h.get(&cfg.tag_header).as_deref() != Some(lane) {
        h.set(&cfg.tag_header, lane);
        changed = true;
    }
    let bag = h.get("baggage");
    let has_member = bag
        .as_deref()
        .and_then(|b| baggage::find(b, &cfg.baggage_key))
        .is_some_and(|v| v == lane);
    if !has_member {
        h.set(
            "baggage",
            &baggage::with(bag.as_deref(), &cfg.baggage_key, lane),
        );
        changed = true;
    }
    changed
}

/// Removes the baggage member `key`; `true` if the header changed.
pub fn strip_baggage_member(h: &mut dyn Headers, key: &str) -> bool {
    let Some(bag) = h.get("baggage") else {
        return false;
    };
    if !baggage::mentions(&bag, key) {
        return false;
    }
    match baggage::without(&bag, key) {
        Some(rest) => h.set("baggage", &rest),
        None => h.remove("baggage"),
    }
    true
}

/// Removes each of `names` whose value is not UTF-8: such a tag or baggage
/// header can carry no valid lane, yet a lenient consumer behind us (an
/// application's baggage library) might still read one in it. `true` if any
/// was removed.
pub fn remove_unreadable(h: &mut dyn Headers, names: &[&str]) -> bool {
    let mut removed = false;
    for name in names {
        if h.unreadable(name) {
            h.remove(name);
            removed = true;
        }
    }
    removed
}

fn trusted_lane(cfg: &Config, h: &mut dyn Headers, out: &mut Outcome) -> Option<String> {
    if remove_unreadable(h, &[&cfg.tag_header, "baggage"]) {
        out.dropped = true;
        out.changed = true;
    }
    if let Some(tag) = h.get(&cfg.tag_header) {
        if let Some(lane) = cfg.lane(&tag) {
            return Some(lane.to_string());
        }
        h.remove(&cfg.tag_header);
        out.dropped = true;
        out.changed = true;
    }
    let member = h
        .get("baggage")
        .and_then(|b| baggage::find(&b, &cfg.baggage_key));
    if let Some(member) = member {
        if let Some(lane) = cfg.lane(&member) {
            return Some(lane.to_string());
        }
        strip_baggage_member(h, &cfg.baggage_key);
        out.dropped = true;
        out.changed = true;
    }
    None
}

pub fn on_request(cfg: &Config, gw: &Gateway, h: &mut dyn Headers) -> Outcome {
    let mut out = Outcome {
        decision: Decision::Baseline,
        spoof_removed: false,
        dropped: false,
        changed: false,
    };
    if gw.trust_incoming_tag {
        if let Some(lane) = trusted_lane(cfg, h, &mut out) {
            out.changed |= write_lane(cfg, h, &lane);
            out.decision = Decision::Trusted(lane);
            return out;
        }
    } else {
        out.spoof_removed = remove_unreadable(h, &[&cfg.tag_header, "baggage"]);
        if h.get(&cfg.tag_header).is_some() {
            h.remove(&cfg.tag_header);
            out.spoof_removed = true;
        }
        out.spoof_removed |= strip_baggage_member(h, &cfg.baggage_key);
        out.changed = out.spoof_removed;
    }
    if let Some((index, lane)) = rules::decide(&gw.rules, h) {
        out.changed |= write_lane(cfg, h, lane);
        out.decision = Decision::Rule {
            index,
            lane: lane.to_string(),
        };
    }
    out
}

#[cfg(test)]
mod tests {
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
}
