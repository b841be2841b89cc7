//! What a sidecar does: inbound, remember the request's lane under its trace
//! id; outbound, keep a carried lane, else restore the remembered one, else
//! the pod's own lane.

use crate::baggage;
use crate::config::{Config, Sidecar};
use crate::headers::Headers;
use crate::lane_headers::{remove_unreadable, strip_baggage_member, write_lane};
use crate::table::{Lookup, Recorded, Store, Table};
use crate::traceid;

/// The lane a request carries (tag first, then baggage). A lane not in
/// `lanes`, or a tag that is not UTF-8, is removed and reported as dropped. A
/// baggage header that is not UTF-8 is ignored (the application's business),
/// and replaced whole if a lane is written.
pub fn carried_lane(cfg: &Config, h: &mut dyn Headers) -> (Option<String>, bool) {
    let mut dropped = remove_unreadable(h, &[&cfg.tag_header]);
    if let Some(tag) = h.get(&cfg.tag_header) {
        if let Some(lane) = cfg.lane(&tag) {
            return (Some(lane.to_string()), false);
        }
        h.remove(&cfg.tag_header);
        dropped = true;
    }
    if let Some(member) = h
        .get("baggage")
        .and_then(|b| baggage::find(&b, &cfg.baggage_key))
    {
        if let Some(lane) = cfg.lane(&member) {
            return (Some(lane.to_string()), dropped);
        }
        strip_baggage_member(h, &cfg.baggage_key);
        dropped = true;
    }
    (None, dropped)
}

/// The trace id from the first configured correlation header with a valid one.
pub fn trace_id(sc: &Sidecar, h: &dyn Headers) -> Option<String> {
    sc.correlation.headers.iter().find_map(|name| {
        let value = h.get(name)?;
        traceid::extract(name, &value).map(str::to_string)
    })
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inbound {
    pub lane: Option<String>,
    /// Set when a lane was remembered (or found fresh) for a trace id.
    pub recorded: Option<Recorded>,
    /// A lane arrived without any usable trace id.
    pub unkeyed: bool,
    pub dropped: bool,
    pub changed: bool,
}

/// `now` (unix seconds) is asked only when a lane is recorded.
pub fn inbound(
    cfg: &Config,
    sc: &Sidecar,
    table: &Table,
    store: &mut dyn Store,
    h: &mut dyn Headers,
    now: impl FnOnce() -> u64,
) -> Inbound {
    let (lane, dropped) = carried_lane(cfg, h);
    let mut out = Inbound {
        dropped,
        changed: dropped,
        ..Inbound::default()
    };
    if let Some(lane) = &lane {
        match trace_id(sc, h) {
            Some(id) => out.recorded = Some(table.record(store, &id, lane, now())),
            None => out.unkeyed = true,
        }
    }
    out.lane = lane;
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The request already carried a valid lane.
    Kept,
    Correlation,
    PodLabel,
    Baseline,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbound {
    pub via: Via,
    pub lane: Option<String>,
    /// The trace's entry had expired and was not applied.
    pub expired: bool,
    pub dropped: bool,
    pub changed: bool,
}

/// `now` (unix seconds) is asked only when the trace has a table entry.
pub fn outbound(
    cfg: &Config,
    sc: &Sidecar,
    table: &Table,
    store: &dyn Store,
    h: &mut dyn Headers,
    now: impl FnOnce() -> u64,
    pod_lane: Option<&str>,
) -> Outbound {
    let (carried, dropped) = carried_lane(cfg, h);
    let mut out = Outbound {
        via: Via::Baseline,
        lane: None,
        expired: false,
        dropped,
        changed: dropped,
    };
    let mut chosen = carried.map(|l| (Via::Kept, l));
    if chosen.is_none() {
        if let Some(id) = trace_id(sc, h) {
            match table.lookup_at(store, &id, now) {
                Lookup::Hit(l) => match cfg.lane(&l) {
                    Some(l) => chosen = Some((Via::Correlation, l.to_string())),
                    None => out.dropped = true,
                },
                Lookup::Expired => out.expired = true,
                Lookup::Miss => {}
            }
        }
    }
    if chosen.is_none() {
        chosen = pod_lane.map(|l| (Via::PodLabel, l.to_string()));
    }
    if let Some((via, lane)) = chosen {
        if via == Via::Kept {
            // Carried already: only make sure the tag (what routes) is there.
            if h.get(&cfg.tag_header).as_deref() != Some(lane.as_str()) {
                h.set(&cfg.tag_header, &lane);
                out.changed = true;
            }
        } else {
            out.changed |= write_lane(cfg, h, &lane);
        }
        out.via = via;
        out.lane = Some(lane);
    }
    out
}

/// This pod's lane: `podLabel.value` when the pod's label `podLabel.key` equals it.
pub fn pod_lane(sc: &Sidecar, label_value: Option<&[u8]>) -> Option<String> {
    let (_, want) = sc.pod_label.as_ref()?;
    (label_value? == want.as_bytes()).then(|| want.clone())
}

#[cfg(test)]
mod tests;
