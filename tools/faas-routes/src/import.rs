//! How VirtualServices become a faas-router table, and every place where
//! the table cannot keep their meaning (the findings).
//!
//! Per host, the routes are walked in Istio's order (see `istio_model`).
//! A match identical to an earlier one is a `duplicate` (older VirtualService
//! kept) or `shadowed`; so is a match an earlier route always takes first.
//! Matches with conditions besides the URI are left out (`dropped`), so
//! plain requests keep going where they go today. A prefix without a
//! trailing `/` also gets the regex `P[^/].*` for the longer names Istio's
//! plain string prefix captures, unless an older route lives under it. The
//! table is then checked by the filter's own parser: a field it refuses is
//! removed (`dropped`), a route it refuses is left out (`unsupported`).
//! Finally every probe path (see `probes`) is resolved both ways; each path
//! whose destination differs is reported (`semantics`).

pub use crate::findings::Finding;
use crate::findings::Findings;
use crate::istio_model::{self, Dest, HostRules, Uri};
use crate::table_entry::{Entry, Group};
use crate::virtual_service::VirtualService;
use crate::{compare, dropped};
use faas_router::config;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The import's result: the pluginConfig JSON text and the findings.
#[derive(Debug)]
pub struct Imported {
    pub config: String,
    pub findings: Vec<Finding>,
}

/// Imports the VirtualServices under `path_prefix`.
pub fn import(vss: Vec<VirtualService>, path_prefix: &str) -> Result<Imported, String> {
    let model = istio_model::build(vss)?;
    let mut findings = Findings::new(&model);
    dropped::report(&model, &mut findings);

    let mut per_host: BTreeMap<&str, Vec<Entry>> = BTreeMap::new();
    for (host, rules) in &model.hosts {
        per_host.insert(host, entries(rules, path_prefix, &mut findings));
    }
    let mut groups = group(per_host);
    let config = loop {
        let text = render(path_prefix, &groups);
        match config::parse(text.as_bytes()) {
            Ok(c) => break c,
            Err(errors) => {
                let mut removals: Vec<(usize, usize, Option<String>)> = Vec::new();
                let mut bad_hosts: Vec<(usize, usize)> = Vec::new();
                for e in &errors.errors {
                    // serde's position is in the generated text: meaningless here.
                    let message = e.message.split(" at line ").next().unwrap_or(&e.message);
                    if let Some((g, h)) = locate_host(&groups, &e.field) {
                        let host = groups
                            .get(g)
                            .and_then(|gr| gr.hosts.get(h))
                            .cloned()
                            .unwrap_or_default();
                        for (v, _) in model
                            .vss
                            .iter()
                            .enumerate()
                            .filter(|(_, vs)| vs.hosts.contains(&host))
                        {
                            findings.add(v, "unsupported", "spec.hosts", format!("host {host:?} is refused by the table ({message}): its routes are not imported"));
                        }
                        bad_hosts.push((g, h));
                        continue;
                    }
                    let Some((g, i, rest)) = locate(&groups, &e.field) else {
                        return Err(format!(
                            "the generated table was refused at {}: {} (please report this)",
                            e.field, e.message
                        ));
                    };
                    let Some(entry) = groups.get(g).and_then(|gr| gr.entries.get(i)) else {
                        continue;
                    };
                    let key = rest.split(['.', '[']).next().unwrap_or("").to_string();
                    let removable = ["timeout", "retries", "rewritePrefix"].contains(&key.as_str());
                    if removable {
                        let src = match key.as_str() {
                            "rewritePrefix" => format!("{}.rewrite.uri", entry.route_field),
                            _ => format!("{}.{key}", entry.route_field),
                        };
                        findings.add(
                            entry.vs,
                            "dropped",
                            &src,
                            format!("the table refuses it ({rest}: {message})"),
                        );
                        removals.push((g, i, Some(key)));
                    } else if entry.extra {
                        let p = entry.field.clone();
                        findings.add(
                            entry.vs,
                            "semantics",
                            &format!("{p}.uri.prefix"),
                            format!("the longer names this prefix captures in Istio cannot be kept ({message})"),
                        );
                        removals.push((g, i, None));
                    } else {
                        findings.add(
                            entry.vs,
                            "unsupported",
                            &entry.field,
                            format!("not imported: {rest}: {message}"),
                        );
                        removals.push((g, i, None));
                    }
                }
                if removals.is_empty() && bad_hosts.is_empty() {
                    return Err(
                        "the generated table was refused without a field (please report this)"
                            .into(),
                    );
                }
                removals.sort();
                removals.dedup();
                // Field removals first, then whole entries from the back.
                for (g, i, key) in removals.iter().rev() {
                    if let Some(entries) = groups.get_mut(*g).map(|gr| &mut gr.entries) {
                        match key {
                            Some(k) => {
                                if let Some(Value::Object(o)) =
                                    entries.get_mut(*i).map(|e| &mut e.json)
                                {
                                    o.remove(k);
                                }
                            }
                            None if *i < entries.len() => {
                                entries.remove(*i);
                            }
                            None => {}
                        }
                    }
                }
                bad_hosts.sort();
                bad_hosts.dedup();
                for (g, h) in bad_hosts.iter().rev() {
                    if let Some(gr) = groups.get_mut(*g) {
                        if *h < gr.hosts.len() {
                            gr.hosts.remove(*h);
                        }
                        // A virtual host left without hosts is gone (it is not the top level).
                        if gr.hosts.is_empty() {
                            gr.entries.clear();
                            gr.hosts.push(String::new());
                        }
                    }
                }
                groups.retain(|g| g.hosts.first().is_none_or(|h| !h.is_empty()));
                groups.retain(|g| !g.entries.is_empty() || g.hosts.is_empty());
            }
        }
    };
    compare::compare(&model, &groups, &config, &mut findings);
    Ok(Imported {
        config: render(path_prefix, &groups),
        findings: findings.list.into_iter().collect(),
    })
}

/// `name[N]rest` → (N, rest without a leading `.`).
fn index<'f>(field: &'f str, name: &str) -> Option<(usize, &'f str)> {
    let rest = field.strip_prefix(name)?.strip_prefix('[')?;
    let (n, rest) = rest.split_once(']')?;
    Some((n.parse().ok()?, rest.strip_prefix('.').unwrap_or(rest)))
}

/// The group of `virtualHosts[v]` (the groups with hosts, in order).
fn virtual_host(groups: &[Group], v: usize) -> Option<usize> {
    let mut with_hosts = groups
        .iter()
        .enumerate()
        .filter(|(_, g)| !g.hosts.is_empty());
    with_hosts.nth(v).map(|(g, _)| g)
}

/// `virtualHosts[1].hosts[2]` → (group, host).
fn locate_host(groups: &[Group], field: &str) -> Option<(usize, usize)> {
    let (v, rest) = index(field, "virtualHosts")?;
    let (h, _) = index(rest, "hosts")?;
    Some((virtual_host(groups, v)?, h))
}

/// `routes[3].x` or `virtualHosts[1].routes[3].x` → (group, entry, `x`).
fn locate(groups: &[Group], field: &str) -> Option<(usize, usize, String)> {
    if let Some((v, rest)) = index(field, "virtualHosts") {
        let (i, rest) = index(rest, "routes")?;
        return Some((virtual_host(groups, v)?, i, rest.to_string()));
    }
    let (i, rest) = index(field, "routes")?;
    let top = groups.iter().position(|g| g.hosts.is_empty())?;
    Some((top, i, rest.to_string()))
}

/// The table routes of one host, in Istio's order.
fn entries(h: &HostRules, path_prefix: &str, f: &mut Findings) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut seen: HashMap<(Uri, bool), (usize, String)> = HashMap::new();
    let mut earlier_paths: BTreeSet<String> = BTreeSet::new();
    let mut ord = 0usize;
    for rule in &h.rules {
        for m in &rule.matches {
            let this = ord;
            ord += 1;
            if !m.conditions.is_empty() {
                continue;
            }
            let Dest::Services(services) = &rule.dest else {
                continue;
            };
            let uri = match &m.uri {
                Uri::Any => Uri::Prefix(path_prefix.to_string()),
                u => u.clone(),
            };
            let older = |o: usize| {
                let (r, j) = h.at(o)?;
                let r = h.rules.get(r)?;
                Some((r.vs, r.matches.get(j)?.field.clone()))
            };
            if let Some((vs, field)) = seen.get(&(uri.clone(), m.ignore_case)) {
                if *vs != rule.vs {
                    let name = f.name(*vs);
                    f.add(rule.vs, "duplicate", &m.field, format!("same match as the older {name} ({field}), which is kept as Istio serves it"));
                } else {
                    f.add(
                        rule.vs,
                        "shadowed",
                        &m.field,
                        format!("same match as {field} above: never reached"),
                    );
                }
                continue;
            }
            seen.insert((uri.clone(), m.ignore_case), (rule.vs, m.field.clone()));
            let first = match &uri {
                Uri::Exact(p) => h.first(p).filter(|&o| o < this),
                Uri::Prefix(p) => h.earliest_covering_prefix(p).filter(|&o| o < this),
                // Every match starts with the literal start: an older prefix
                // covering it takes them all (a sound, partial check).
                Uri::Regex(re) => h
                    .earliest_covering_prefix(&istio_model::literal_start(re))
                    .filter(|&o| o < this),
                Uri::Any => None,
            };
            if let Some((vs, field)) = first.and_then(older) {
                let name = f.name(vs);
                f.add(
                    rule.vs,
                    "shadowed",
                    &m.field,
                    format!("never reached in Istio: {name} {field} matches first"),
                );
                continue;
            }
            let route_field = rule.field.clone();
            let Some(json) = route_json(&uri, services, &rule.field, rule.vs, f) else {
                continue;
            };
            let entry = Entry {
                json,
                vs: rule.vs,
                field: m.field.clone(),
                route_field: route_field.clone(),
                extra: false,
            };
            if let Uri::Prefix(p) = &uri {
                if !p.ends_with('/') {
                    let lives_under = earlier_paths
                        .range(p.clone()..)
                        .take_while(|q| q.starts_with(p.as_str()))
                        .any(|q| {
                            q.get(p.len()..)
                                .is_some_and(|rest| !rest.starts_with('/') && !rest.is_empty())
                        });
                    if !lives_under {
                        let mut extra = entry.clone();
                        if let Some(o) = extra.json.as_object_mut() {
                            o.insert(
                                "match".into(),
                                json!({"regex": format!("{}[^/].*", regex::escape(p))}),
                            );
                            if o.remove("rewritePrefix").is_some() {
                                f.add(
                                    rule.vs,
                                    "semantics",
                                    &format!("{}.rewrite.uri", rule.field),
                                    format!("the longer names {p}... reach the service without the rewrite (the table rewrites no regex route)"),
                                );
                            }
                        }
                        extra.extra = true;
                        out.push(extra);
                    }
                }
            }
            if let Uri::Exact(p) | Uri::Prefix(p) = &uri {
                earlier_paths.insert(p.clone());
            }
            out.push(entry);
        }
    }
    out
}

fn route_json(
    uri: &Uri,
    services: &[(crate::destination::Service, u32)],
    at: &str,
    vs: usize,
    f: &mut Findings,
) -> Option<Value> {
    let spec = f.model.vss.get(vs)?.spec.get("http")?.as_array()?;
    let i: usize = at.strip_prefix("http[")?.strip_suffix(']')?.parse().ok()?;
    let route = spec.get(i)?;
    let mut o = Map::new();
    o.insert("match".into(), json!({ uri.kind(): uri.pattern() }));
    let namespaces: BTreeSet<&str> = services.iter().map(|(s, _)| s.namespace.as_str()).collect();
    match (services, namespaces.len()) {
        ([(s, _)], _) => {
            o.insert("service".into(), json!(s.name));
            o.insert("namespace".into(), json!(s.namespace));
        }
        (many, 1) => {
            o.insert("namespace".into(), json!(namespaces.first()));
            let split: Vec<Value> = many
                .iter()
                .map(|(s, w)| json!({"service": s.name, "weight": w}))
                .collect();
            o.insert("split".into(), Value::Array(split));
        }
        _ => {
            f.add(
                vs,
                "unsupported",
                &format!("{at}.route"),
                "a split across namespaces: the table splits within one namespace; not imported"
                    .into(),
            );
            return None;
        }
    }
    if let Some(uri_rewrite) = route.pointer("/rewrite/uri").and_then(Value::as_str) {
        o.insert("rewritePrefix".into(), json!(uri_rewrite));
    }
    if let Some(t) = route.get("timeout").filter(|t| !t.is_null()) {
        o.insert("timeout".into(), t.clone());
    }
    if let Some(Value::Object(r)) = route.get("retries") {
        let kept: Map<String, Value> = r
            .iter()
            .filter(|(k, _)| ["attempts", "perTryTimeout", "retryOn"].contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        o.insert("retries".into(), Value::Object(kept));
    }
    Some(Value::Object(o))
}

/// Hosts with the same routes share one table; the `*` host's (or, with a
/// single table, the only one) is the top-level `routes`.
fn group(per_host: BTreeMap<&str, Vec<Entry>>) -> Vec<Group> {
    let mut by_routes: BTreeMap<String, Group> = BTreeMap::new();
    for (host, mut entries) in per_host {
        if entries.is_empty() {
            continue;
        }
        entries.sort_by_key(Entry::sort_key);
        let key = entries
            .iter()
            .map(|e| e.json.to_string())
            .collect::<Vec<_>>()
            .join("\n");
        by_routes
            .entry(key)
            .or_insert_with(|| Group {
                hosts: Vec::new(),
                entries,
            })
            .hosts
            .push(host.to_string());
    }
    let mut groups: Vec<Group> = by_routes.into_values().collect();
    if groups.len() <= 1 {
        if let Some(g) = groups.first_mut() {
            g.hosts.clear();
        }
    } else if let Some(g) = groups.iter_mut().find(|g| g.hosts.iter().any(|h| h == "*")) {
        g.hosts.clear();
    } else {
        groups.push(Group {
            hosts: Vec::new(),
            entries: Vec::new(),
        });
    }
    groups.sort_by(|a, b| a.hosts.cmp(&b.hosts));
    groups
}

/// The pluginConfig JSON: one route a line, deterministic order (the
/// layout of `json_out::pretty`, written straight from the entries).
fn render(path_prefix: &str, groups: &[Group]) -> String {
    let routes = |entries: &[Entry], indent: &str| {
        if entries.is_empty() {
            return "[]".to_string();
        }
        let lines: Vec<String> = entries
            .iter()
            .map(|e| format!("{indent}  {}", e.json))
            .collect();
        format!("[\n{}\n{indent}]", lines.join(",\n"))
    };
    let mut out = format!(
        "{{\n  \"pathPrefix\": {},\n  \"routes\": ",
        json!(path_prefix)
    );
    let top = groups.iter().find(|g| g.hosts.is_empty());
    out.push_str(&routes(top.map_or(&[][..], |g| &g.entries), "  "));
    let vhosts: Vec<String> = groups
        .iter()
        .filter(|g| !g.hosts.is_empty())
        .map(|g| {
            format!(
                "    {{\"hosts\": {}, \"routes\": {}}}",
                json!(g.hosts),
                routes(&g.entries, "    ")
            )
        })
        .collect();
    if !vhosts.is_empty() {
        out.push_str(&format!(
            ",\n  \"virtualHosts\": [\n{}\n  ]",
            vhosts.join(",\n")
        ));
    }
    out.push_str("\n}\n");
    out
}
