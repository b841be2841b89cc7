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

use crate::istio_model::{self, Dest, HostRules, Model, Uri};
use crate::probes;
use crate::table_side;
use crate::virtual_service::VirtualService;
use faas_router::config;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// One place where the import could not keep the VirtualServices' meaning.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    #[serde(rename = "virtualService")]
    pub virtual_service: String,
    pub kind: &'static str,
    pub field: String,
    pub detail: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}: {}: {}",
            self.virtual_service, self.kind, self.field, self.detail
        )
    }
}

/// The import's result: the pluginConfig JSON text and the findings.
#[derive(Debug)]
pub struct Imported {
    pub config: String,
    pub findings: Vec<Finding>,
}

/// A table route and where it came from.
#[derive(Debug, Clone)]
struct Entry {
    json: Value,
    vs: usize,
    /// The match it came from: `http[2].match[0]`.
    field: String,
    /// `http[2]`
    route_field: String,
    /// The extra regex for a prefix's longer names.
    extra: bool,
}

impl Entry {
    fn sort_key(&self) -> (String, String) {
        let (kind, pattern) = self
            .json
            .get("match")
            .and_then(Value::as_object)
            .and_then(|m| m.iter().next())
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
            .unwrap_or_default();
        (pattern, kind)
    }
    fn id(&self) -> String {
        let (pattern, kind) = self.sort_key();
        format!("{kind}:{pattern}")
    }
}

/// One table: the hosts it serves (empty: the top-level `routes`).
struct Group {
    hosts: Vec<String>,
    entries: Vec<Entry>,
}

struct Findings<'m> {
    model: &'m Model,
    list: BTreeSet<Finding>,
    /// One finding per VirtualService, kind and field.
    keys: HashSet<(usize, &'static str, String)>,
}

impl Findings<'_> {
    fn add(&mut self, vs: usize, kind: &'static str, field: &str, detail: String) {
        if !self.keys.insert((vs, kind, field.to_string())) {
            return;
        }
        let id = self
            .model
            .vss
            .get(vs)
            .map_or_else(String::new, VirtualService::id);
        self.list.insert(Finding {
            virtual_service: id,
            kind,
            field: field.to_string(),
            detail,
        });
    }
    fn name(&self, vs: usize) -> String {
        self.model
            .vss
            .get(vs)
            .map_or_else(String::new, VirtualService::id)
    }
}

/// Imports the VirtualServices under `path_prefix`.
pub fn import(vss: Vec<VirtualService>, path_prefix: &str) -> Result<Imported, String> {
    let model = istio_model::build(vss)?;
    let mut findings = Findings {
        model: &model,
        list: BTreeSet::new(),
        keys: HashSet::new(),
    };
    report_fields(&model, &mut findings);

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
    compare(&model, &groups, &config, &mut findings);
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

/// Fields the table has no place for, and routes it cannot hold.
fn report_fields(model: &Model, f: &mut Findings) {
    for (v, vs) in model.vss.iter().enumerate() {
        if !vs.gateway_bound() {
            f.add(
                v,
                "unsupported",
                "spec.gateways",
                "bound to no gateway (mesh: sidecars only): not imported".into(),
            );
            continue;
        }
        if vs.hosts.is_empty() {
            f.add(
                v,
                "unsupported",
                "spec.hosts",
                "no hosts: no request reaches it".into(),
            );
            continue;
        }
        for key in ["tcp", "tls"] {
            if vs
                .spec
                .get(key)
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty())
            {
                f.add(
                    v,
                    "dropped",
                    &format!("spec.{key}"),
                    format!("{key} routes are not HTTP paths"),
                );
            }
        }
        let http = vs.spec.get("http").and_then(Value::as_array);
        if http.is_none_or(|h| h.is_empty()) {
            f.add(
                v,
                "unsupported",
                "spec.http",
                "no http routes: nothing to import".into(),
            );
            continue;
        }
        for (i, route) in http.into_iter().flatten().enumerate() {
            let at = format!("http[{i}]");
            let Some(route) = route.as_object() else {
                continue;
            };
            for (k, val) in route {
                if val.is_null() {
                    continue;
                }
                match k.as_str() {
                    "match" | "route" | "timeout" | "retries" | "name" | "redirect"
                    | "directResponse" | "delegate" => {}
                    "rewrite" => {
                        for rk in val.as_object().into_iter().flatten().map(|(k, _)| k) {
                            if rk != "authority" && rk != "uri" {
                                f.add(
                                    v,
                                    "dropped",
                                    &format!("{at}.rewrite.{rk}"),
                                    "the table rewrites only a path prefix".into(),
                                );
                            }
                        }
                    }
                    other => f.add(
                        v,
                        "dropped",
                        &format!("{at}.{other}"),
                        format!("the table has no {other}"),
                    ),
                }
            }
            for (j, m) in route
                .get("match")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                if m.get("statPrefix").is_some_and(|p| !p.is_null()) {
                    f.add(
                        v,
                        "dropped",
                        &format!("{at}.match[{j}].statPrefix"),
                        "the table keeps its own per-service counters".into(),
                    );
                }
            }
            if let Some(r) = route.get("retries").and_then(Value::as_object) {
                for rk in r
                    .keys()
                    .filter(|k| !["attempts", "perTryTimeout", "retryOn"].contains(&k.as_str()))
                {
                    f.add(
                        v,
                        "dropped",
                        &format!("{at}.retries.{rk}"),
                        "the table's retries have attempts, perTryTimeout and retryOn".into(),
                    );
                }
            }
            let via_authority = route
                .get("rewrite")
                .and_then(|r| r.get("authority"))
                .is_some();
            for (k, d) in route
                .get("route")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let dat = format!("{at}.route[{k}]");
                if !via_authority
                    && d.pointer("/destination/subset")
                        .is_some_and(|s| !s.is_null())
                {
                    f.add(
                        v,
                        "dropped",
                        &format!("{dat}.destination.subset"),
                        "the table sends to the Knative service, not a subset".into(),
                    );
                }
                if d.get("headers").is_some_and(|s| !s.is_null()) {
                    f.add(
                        v,
                        "dropped",
                        &format!("{dat}.headers"),
                        "the table has no header edits".into(),
                    );
                }
            }
        }
    }
    for rules in model.hosts.values() {
        for rule in &rules.rules {
            if let Dest::Unsupported { field, why, .. } = &rule.dest {
                f.add(
                    rule.vs,
                    "unsupported",
                    field,
                    format!("{why}: not imported"),
                );
            }
            for m in &rule.matches {
                if let Some(c) = m.conditions.first() {
                    f.add(
                        rule.vs,
                        "dropped",
                        &format!("{}.{c}", m.field),
                        format!(
                            "the table matches paths only: this match ({}) is not imported; such requests go where the same path without {} goes",
                            m.conditions.join(", "),
                            m.conditions.join(", ")
                        ),
                    );
                } else if m.ignore_case && !matches!(m.uri, Uri::Regex(_) | Uri::Any) {
                    f.add(
                        rule.vs,
                        "dropped",
                        &format!("{}.ignoreUriCase", m.field),
                        format!(
                            "the table is case-sensitive: only {:?} in this case matches",
                            m.uri.pattern()
                        ),
                    );
                }
            }
        }
    }
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

/// Resolves every probe both ways; reports the paths that move.
fn compare(model: &Model, groups: &[Group], config: &config::Config, f: &mut Findings) {
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
