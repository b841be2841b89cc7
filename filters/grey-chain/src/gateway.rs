//! What the gateway does to a request: drop a client-sent lane (unless
//! trusted), decide the lane by the rules, and write it as the tag header and
//! the baggage member.

use crate::baggage;
use crate::config::{Config, Gateway};
use crate::headers::Headers;
use crate::lane_headers::{remove_unreadable, strip_baggage_member, write_lane};
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
mod tests;
