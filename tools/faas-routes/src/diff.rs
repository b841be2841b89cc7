//! Which paths change destination between the old VirtualServices (Istio's
//! rules, see `istio_model`) and a faas-router table (the filter's own
//! lookup): one line `PATH  OLD -> NEW` per changed path.

use crate::istio_model::{HostRules, Model};
use crate::probes;
use crate::table_side;
use faas_router::config::Config;
use filters_common::host_match::{request_host, HostPattern};
use std::collections::BTreeSet;

/// The comparison's result.
#[derive(Debug, Default)]
pub struct Diff {
    /// `PATH  OLD -> NEW` (prefixed by the host when several are compared).
    pub lines: Vec<String>,
    pub compared: usize,
    pub changed: usize,
}

/// Compares `paths` and the probes of every old match, for `host` or else
/// for every host of the VirtualServices.
pub fn diff(model: &Model, config: &Config, paths: &[String], host: Option<&str>) -> Diff {
    let hosts: Vec<(String, Option<&HostRules>)> = match host {
        Some(h) => {
            let h = request_host(h).into_owned();
            let rules = rules_for(model, &h);
            vec![(h, rules)]
        }
        None => model
            .hosts
            .iter()
            .map(|(h, r)| (h.clone(), Some(r)))
            .collect(),
    };
    let several = hosts.len() > 1;
    let mut out = Diff::default();
    for (host, rules) in hosts {
        let mut all: BTreeSet<String> = paths.iter().cloned().collect();
        for rule in rules.iter().flat_map(|r| &r.rules) {
            for m in &rule.matches {
                all.extend(probes::of_match(m));
            }
        }
        for p in all {
            out.compared += 1;
            let old = rules.map_or_else(|| "none".into(), |r| r.destination(&p));
            let (new, _) = table_side::destination(config, &host, &p);
            if old != new {
                out.changed += 1;
                let at = if several {
                    format!("{host} ")
                } else {
                    String::new()
                };
                out.lines.push(format!("{at}{p}  {old} -> {new}"));
            }
        }
    }
    out
}

/// The routes Istio uses for a request to `host`: the host's own, else a
/// wildcard host covering it (the longest), else `*`.
fn rules_for<'m>(model: &'m Model, host: &str) -> Option<&'m HostRules> {
    if let Some(r) = model.hosts.get(host) {
        return Some(r);
    }
    model
        .hosts
        .iter()
        .filter(|(h, _)| {
            h.as_str() != "*"
                && h.contains('*')
                && HostPattern::parse(h).is_ok_and(|p| p.covers(host))
        })
        .max_by_key(|(h, _)| h.len())
        .map(|(_, r)| r)
        .or_else(|| model.hosts.get("*"))
}
