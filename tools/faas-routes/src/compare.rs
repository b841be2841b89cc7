//! Which probe paths the imported table sends elsewhere than Istio does
//! (`semantics`), resolved both ways on every core.

use crate::findings::Findings;
use crate::istio_model::{HostRules, Model};
use crate::table_entry::Group;
use crate::{probes, table_side};
use faas_router::config;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Resolves every probe both ways; reports the paths that move.
pub(crate) fn compare(model: &Model, groups: &[Group], config: &config::Config, f: &mut Findings) {
    let unsupported: HashSet<(usize, String)> = f
        .list
        .iter()
        .filter(|x| x.kind == "unsupported")
        .filter_map(|x| {
            let v = model
                .vss
                .iter()
                .position(|vs| vs.id() == x.virtual_service)?;
            Some((v, x.field.split('.').next().unwrap_or("").to_string()))
        })
        .collect();
    let hosts: Vec<(&String, &HostRules)> = model.hosts.iter().collect();
    // Hosts are independent: compared on every core.
    let per_host = crate::parallel::map(&hosts, |(host, h)| {
        let mut moved: Vec<((usize, String), String)> = Vec::new();
        let group = groups
            .iter()
            .find(|g| g.hosts.contains(host))
            .or_else(|| groups.iter().find(|g| g.hosts.is_empty()));
        let sources: HashMap<String, (usize, String)> = group
            .into_iter()
            .flat_map(|g| &g.entries)
            .map(|e| (e.id(), (e.vs, e.field.clone())))
            .collect();
        let mut paths: BTreeSet<String> = BTreeSet::new();
        for rule in &h.rules {
            for m in &rule.matches {
                paths.extend(probes::of_match(m));
            }
        }
        for p in paths {
            let old = h.destination(&p);
            let (new, id) = table_side::destination(config, host, &p);
            if old == new {
                continue;
            }
            let owner = h
                .resolve(&p)
                .and_then(|(r, j)| {
                    let rule = h.rules.get(r)?;
                    Some((
                        rule.vs,
                        rule.matches.get(j)?.field.clone(),
                        rule.field.clone(),
                    ))
                })
                .or_else(|| {
                    let (vs, field) = sources.get(id.as_deref()?)?;
                    Some((*vs, field.clone(), String::new()))
                });
            let Some((vs, field, route_field)) = owner else {
                continue;
            };
            if unsupported.contains(&(vs, route_field)) {
                continue;
            }
            moved.push(((vs, field), format!("{p} ({old} -> {new})")));
        }
        moved
    });
    let mut moved: BTreeMap<(usize, String), Vec<String>> = BTreeMap::new();
    for (key, line) in per_host.into_iter().flatten() {
        moved.entry(key).or_default().push(line);
    }
    for ((vs, field), paths) in moved {
        let n = paths.len();
        let shown: Vec<&str> = paths.iter().take(4).map(String::as_str).collect();
        let more = if n > 4 {
            format!(", ... ({n} paths)")
        } else {
            String::new()
        };
        f.add(
            vs,
            "semantics",
            &field,
            format!("now elsewhere: {}{more}", shown.join(", ")),
        );
    }
}
