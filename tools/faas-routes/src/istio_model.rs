//! Where Istio sends a path today, given the VirtualServices.
//!
//! A small **model** of istiod's behaviour (istiod cannot run here): the
//! VirtualServices bound to one host are merged oldest first
//! (`creationTimestamp`, then name, then namespace, as `pilot/pkg/model`'s
//! `sortConfigByCreationTime` sorts them) and their `http` routes are tried
//! in that order; the first route with a matching `match` entry wins. `uri.prefix` is a plain string prefix
//! (`/faas/api/saas/show` also matches `/faas/api/saas/showroom/x`), `exact`
//! is equality, `regex` is an RE2 full match (the `regex` crate,
//! `^(?:re)$`), `ignoreUriCase` lower-cases both sides of exact and prefix.
//! A route without `match` matches everything. Matches with conditions other
//! than the URI (headers, method, query parameters, ...) never match the
//! plain requests the tools resolve. Not modelled: the grouping per gateway
//! (VirtualServices of one host bound to different gateways are merged
//! here), `delegate`, and Envoy's virtual-host choice between several
//! wildcard hosts.

use crate::destination::{self, Service};
use crate::virtual_service::VirtualService;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// A URI condition.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Uri {
    Exact(String),
    Prefix(String),
    Regex(String),
    /// No `uri` (or no `match` at all): every path.
    Any,
}

impl Uri {
    pub fn kind(&self) -> &'static str {
        match self {
            Uri::Exact(_) => "exact",
            Uri::Prefix(_) => "prefix",
            Uri::Regex(_) => "regex",
            Uri::Any => "any",
        }
    }
    pub fn pattern(&self) -> &str {
        match self {
            Uri::Exact(p) | Uri::Prefix(p) | Uri::Regex(p) => p,
            Uri::Any => "",
        }
    }
}

/// One entry of a route's `match` list.
#[derive(Debug, Clone)]
pub struct RuleMatch {
    /// `http[2].match[0]` (or `http[2]` for a route without `match`).
    pub field: String,
    pub uri: Uri,
    pub ignore_case: bool,
    /// Other conditions, by field name (`headers`, `method`, ...).
    pub conditions: Vec<String>,
    /// The regex, compiled once (`^(?:re)$`).
    pub compiled: Option<regex::Regex>,
}

/// Where a route sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dest {
    /// Knative services with weights (one at 100 for a plain route).
    Services(Vec<(Service, u32)>),
    /// Not toward a cluster service (why, and the field).
    Unsupported {
        field: String,
        why: String,
        /// What diff shows for it: `redirect`, the gateway's host, ...
        shown: String,
    },
}

impl Dest {
    /// `<svc>.<ns>`, or the weighted services; `none` for no service.
    pub fn label(&self) -> String {
        match self {
            Dest::Services(s) => label(s),
            Dest::Unsupported { shown, .. } => shown.clone(),
        }
    }
}

/// `<svc>.<ns>`, or `a.ns 90% + b.ns 10%` (sorted, zero weights left out).
pub fn label(services: &[(Service, u32)]) -> String {
    let mut s: Vec<&(Service, u32)> = services.iter().filter(|(_, w)| *w > 0).collect();
    s.sort();
    match s.as_slice() {
        [] => "none".into(),
        [(one, _)] => format!("{}.{}", one.name, one.namespace),
        many => many
            .iter()
            .map(|(svc, w)| format!("{}.{} {w}%", svc.name, svc.namespace))
            .collect::<Vec<_>>()
            .join(" + "),
    }
}

/// One `http` route of a VirtualService.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Index into `Model::vss`.
    pub vs: usize,
    /// `http[i]`
    pub field: String,
    pub matches: Vec<RuleMatch>,
    pub dest: Dest,
}

/// The routes of one host in Istio's order, indexed for lookups.
#[derive(Debug, Default)]
pub struct HostRules {
    pub rules: Vec<Rule>,
    /// `(rule, match)` by ordinal: the first-match order.
    order: Vec<(usize, usize)>,
    exact: HashMap<String, usize>,
    exact_nocase: HashMap<String, usize>,
    prefix: HashMap<String, usize>,
    prefix_nocase: HashMap<String, usize>,
    /// Regexes by their literal start.
    regex: HashMap<String, Vec<(usize, regex::Regex)>>,
    any: Option<usize>,
    prefix_lengths: Vec<usize>,
}

/// All VirtualServices, their routes grouped per host.
#[derive(Debug, Default)]
pub struct Model {
    pub vss: Vec<VirtualService>,
    /// Routes per host (lower-case, as written in `spec.hosts`).
    pub hosts: BTreeMap<String, HostRules>,
}

/// Reads the routes of the VirtualServices and orders them as Istio does.
/// Fails on a malformed field (named with the file and line).
pub fn build(mut vss: Vec<VirtualService>) -> Result<Model, String> {
    vss.sort_by(|a, b| {
        (&a.created, &a.name, &a.namespace).cmp(&(&b.created, &b.name, &b.namespace))
    });
    let mut hosts: BTreeMap<String, HostRules> = BTreeMap::new();
    for (v, vs) in vss.iter().enumerate() {
        let rules = rules_of(v, vs).map_err(|(field, msg)| {
            format!("{}:{}: {}: {field}: {msg}", vs.file, vs.line, vs.id())
        })?;
        if !vs.gateway_bound() {
            continue;
        }
        for host in &vs.hosts {
            let h = hosts.entry(host.clone()).or_default();
            h.rules.extend(rules.iter().cloned());
        }
    }
    for h in hosts.values_mut() {
        h.index().map_err(|e| e.to_string())?;
    }
    Ok(Model { vss, hosts })
}

type FieldError = (String, String);

fn rules_of(v: usize, vs: &VirtualService) -> Result<Vec<Rule>, FieldError> {
    let Some(Value::Array(http)) = vs.spec.get("http") else {
        return Ok(Vec::new());
    };
    http.iter()
        .enumerate()
        .map(|(i, route)| {
            let field = format!("http[{i}]");
            if !route.is_object() {
                return Err((field, "must be an object".into()));
            }
            Ok(Rule {
                vs: v,
                matches: matches_of(&field, route)?,
                dest: dest_of(&field, route, &vs.namespace)?,
                field,
            })
        })
        .collect()
}

fn matches_of(at: &str, route: &Value) -> Result<Vec<RuleMatch>, FieldError> {
    let list = match route.get("match") {
        Some(Value::Array(l)) if !l.is_empty() => l,
        // No match list (or an empty one): every path.
        None | Some(Value::Null) | Some(Value::Array(_)) => {
            return Ok(vec![RuleMatch {
                field: at.to_string(),
                uri: Uri::Any,
                ignore_case: false,
                conditions: Vec::new(),
                compiled: None,
            }])
        }
        Some(_) => return Err((format!("{at}.match"), "must be a list".into())),
    };
    list.iter()
        .enumerate()
        .map(|(j, m)| {
            let field = format!("{at}.match[{j}]");
            let Value::Object(m) = m else {
                return Err((field, "must be an object".into()));
            };
            let uri = match m.get("uri") {
                None | Some(Value::Null) => Uri::Any,
                Some(Value::Object(u)) => {
                    let mut kinds = u.iter().filter(|(_, v)| !v.is_null());
                    match (kinds.next(), kinds.next()) {
                        (Some((k, Value::String(p))), None) => match k.as_str() {
                            "exact" => Uri::Exact(p.clone()),
                            "prefix" => Uri::Prefix(p.clone()),
                            "regex" => Uri::Regex(p.clone()),
                            other => {
                                return Err((
                                    format!("{field}.uri.{other}"),
                                    "is not exact, prefix or regex".into(),
                                ))
                            }
                        },
                        _ => {
                            return Err((
                                format!("{field}.uri"),
                                "needs exactly one of exact, prefix, regex (a string)".into(),
                            ))
                        }
                    }
                }
                Some(_) => return Err((format!("{field}.uri"), "must be an object".into())),
            };
            let compiled = match &uri {
                Uri::Regex(re) => Some(compile(re).map_err(|e| (format!("{field}.uri.regex"), e))?),
                _ => None,
            };
            let ignore_case = m
                .get("ignoreUriCase")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let conditions = m
                .iter()
                .filter(|(k, v)| {
                    !v.is_null()
                        && !matches!(k.as_str(), "uri" | "ignoreUriCase" | "name" | "statPrefix")
                })
                .map(|(k, _)| k.clone())
                .collect();
            Ok(RuleMatch {
                field,
                uri,
                ignore_case,
                conditions,
                compiled,
            })
        })
        .collect()
}

fn dest_of(at: &str, route: &Value, vs_namespace: &str) -> Result<Dest, FieldError> {
    for kind in ["redirect", "directResponse", "delegate"] {
        if route.get(kind).is_some_and(|v| !v.is_null()) {
            return Ok(Dest::Unsupported {
                field: format!("{at}.{kind}"),
                why: format!("{kind} is not a route to a cluster service"),
                shown: kind.to_string(),
            });
        }
    }
    if let Some(a) = route.pointer("/rewrite/authority").and_then(Value::as_str) {
        return Ok(match destination::from_authority(a) {
            Some(s) => Dest::Services(vec![(s, 100)]),
            None => Dest::Unsupported {
                field: format!("{at}.rewrite.authority"),
                why: format!("{a:?} is not <service>.<namespace>.svc.cluster.local"),
                shown: format!("authority {a}"),
            },
        });
    }
    let Some(Value::Array(list)) = route.get("route") else {
        return Ok(Dest::Unsupported {
            field: format!("{at}.route"),
            why: "no destination".into(),
            shown: "none".into(),
        });
    };
    let mut out: Vec<(Service, u32)> = Vec::new();
    for (k, d) in list.iter().enumerate() {
        let field = format!("{at}.route[{k}]");
        let host = d
            .pointer("/destination/host")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                (
                    format!("{field}.destination.host"),
                    "is required".to_string(),
                )
            })?;
        let weight = match d.get("weight") {
            None | Some(Value::Null) if list.len() == 1 => 100,
            None | Some(Value::Null) => 0,
            Some(w) => w
                .as_u64()
                .and_then(|w| u32::try_from(w).ok())
                .ok_or_else(|| {
                    (
                        format!("{field}.weight"),
                        "must be a non-negative integer".to_string(),
                    )
                })?,
        };
        match destination::from_host(host, vs_namespace) {
            // Subsets of one service (normal/grey) are one Knative service.
            Some(s) => match out.iter_mut().find(|(o, _)| *o == s) {
                Some((_, w)) => *w = w.saturating_add(weight),
                None => out.push((s, weight)),
            },
            None => {
                return Ok(Dest::Unsupported {
                    field: format!("{field}.destination.host"),
                    why: format!(
                        "{host:?} is not a Knative service (a gateway routes by the request's authority; set rewrite.authority)"
                    ),
                    shown: host.to_string(),
                })
            }
        }
    }
    if out.is_empty() {
        return Ok(Dest::Unsupported {
            field: format!("{at}.route"),
            why: "no destination".into(),
            shown: "none".into(),
        });
    }
    Ok(Dest::Services(out))
}

fn compile(re: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(&format!("^(?:{re})$")).map_err(|e| {
        let e = e.to_string();
        format!("invalid regex: {}", e.lines().last().unwrap_or(&e))
    })
}

/// The literal text every match of `re` starts with (conservative: stops at
/// the first special character, drops a literal a quantifier applies to,
/// and is empty for a pattern with `|` anywhere).
pub fn literal_start(re: &str) -> String {
    if re.contains('|') {
        return String::new();
    }
    let re = re.strip_prefix('^').unwrap_or(re);
    let mut out = String::new();
    for c in re.chars() {
        if "\\.+*?()[]{}^$".contains(c) {
            if "?*{".contains(c) {
                out.pop();
            }
            break;
        }
        out.push(c);
    }
    out
}

impl HostRules {
    fn index(&mut self) -> Result<(), String> {
        for (r, rule) in self.rules.iter().enumerate() {
            for (m, rm) in rule.matches.iter().enumerate() {
                let ord = self.order.len();
                self.order.push((r, m));
                if !rm.conditions.is_empty() {
                    continue;
                }
                match &rm.uri {
                    Uri::Exact(p) if rm.ignore_case => {
                        self.exact_nocase
                            .entry(p.to_ascii_lowercase())
                            .or_insert(ord);
                    }
                    Uri::Exact(p) => {
                        self.exact.entry(p.clone()).or_insert(ord);
                    }
                    Uri::Prefix(p) if rm.ignore_case => {
                        self.prefix_nocase
                            .entry(p.to_ascii_lowercase())
                            .or_insert(ord);
                        self.prefix_lengths.push(p.len());
                    }
                    Uri::Prefix(p) => {
                        self.prefix.entry(p.clone()).or_insert(ord);
                        self.prefix_lengths.push(p.len());
                    }
                    Uri::Regex(re) => {
                        let compiled = match &rm.compiled {
                            Some(c) => c.clone(),
                            None => compile(re)?,
                        };
                        let start = literal_start(re);
                        self.prefix_lengths.push(start.len());
                        self.regex.entry(start).or_default().push((ord, compiled));
                    }
                    Uri::Any => {
                        self.any.get_or_insert(ord);
                    }
                }
            }
        }
        self.prefix_lengths.sort_unstable();
        self.prefix_lengths.dedup();
        Ok(())
    }

    /// The first match for `path` (without query): `(rule, match)` indexes.
    pub fn resolve(&self, path: &str) -> Option<(usize, usize)> {
        self.first(path).and_then(|o| self.at(o))
    }

    /// `(rule, match)` of a match ordinal.
    pub fn at(&self, ordinal: usize) -> Option<(usize, usize)> {
        self.order.get(ordinal).copied()
    }

    /// The ordinal of the first match for `path` (without query).
    pub fn first(&self, path: &str) -> Option<usize> {
        let path = path.split('?').next().unwrap_or(path);
        let mut best = self.any.unwrap_or(usize::MAX);
        let lower = path.to_ascii_lowercase();
        let take = |best: &mut usize, o: Option<&usize>| {
            if let Some(&o) = o {
                *best = (*best).min(o);
            }
        };
        take(&mut best, self.exact.get(path));
        take(&mut best, self.exact_nocase.get(&lower));
        for &len in &self.prefix_lengths {
            let (Some(cut), Some(cut_lower)) = (path.get(..len), lower.get(..len)) else {
                continue;
            };
            take(&mut best, self.prefix.get(cut));
            take(&mut best, self.prefix_nocase.get(cut_lower));
            if let Some(list) = self.regex.get(cut) {
                for (ord, re) in list {
                    if *ord < best && re.is_match(path) {
                        best = *ord;
                    }
                }
            }
        }
        (best != usize::MAX).then_some(best)
    }

    /// The earliest prefix (or catch-all) that covers every path `prefix`
    /// covers: a shorter or equal plain prefix, as a match ordinal.
    pub fn earliest_covering_prefix(&self, prefix: &str) -> Option<usize> {
        let mut best = self.any;
        for &len in &self.prefix_lengths {
            if let Some(&o) = prefix.get(..len).and_then(|cut| self.prefix.get(cut)) {
                best = Some(best.map_or(o, |b| b.min(o)));
            }
        }
        best
    }

    /// Where `path` goes, as `<svc>.<ns>` or `none`.
    pub fn destination(&self, path: &str) -> String {
        self.resolve(path)
            .and_then(|(r, _)| self.rules.get(r))
            .map_or_else(|| "none".into(), |r| r.dest.label())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::virtual_service::read;

    fn vs(name: &str, created: &str, http: &str) -> String {
        format!("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: {name}, namespace: kfaas-system, creationTimestamp: \"{created}\"}}\nspec:\n  hosts: [h]\n  gateways: [g]\n  http: {http}\n---\n")
    }

    #[test]
    fn oldest_first_plain_prefix_first_match() {
        let text = vs("show", "2024-02-01T00:00:00Z", "[{match: [{uri: {prefix: /faas/api/saas/show}}], route: [{destination: {host: show.faas-alpha.svc.cluster.local}}]}]")
            + &vs("room", "2024-01-01T00:00:00Z", "[{match: [{uri: {prefix: /faas/api/saas/showroom/}}], route: [{destination: {host: room.faas-alpha.svc.cluster.local}}]}]")
            + &vs("re", "2024-03-01T00:00:00Z", "[{match: [{uri: {regex: '/faas/api/u/[a-z]+'}, ignoreUriCase: true}], rewrite: {authority: u.faas-beta.svc.cluster.local}, route: [{destination: {host: knative-local-gateway.istio-system.svc.cluster.local}}]}]")
            + &vs("hdr", "2023-03-01T00:00:00Z", "[{match: [{uri: {exact: /faas/api/u/x}, headers: {end-user: {exact: test}}}], route: [{destination: {host: grey.faas-beta.svc.cluster.local}}]}]");
        let m = build(read("f", &text).unwrap()).unwrap();
        let h = &m.hosts["h"];
        assert_eq!(
            h.destination("/faas/api/saas/showroom/x"),
            "room.faas-alpha"
        );
        assert_eq!(h.destination("/faas/api/saas/showroomy"), "show.faas-alpha");
        assert_eq!(h.destination("/faas/api/saas/show"), "show.faas-alpha");
        assert_eq!(h.destination("/faas/api/u/x?q"), "u.faas-beta");
        assert_eq!(h.destination("/faas/api/u/x/y"), "none");
        assert_eq!(h.destination("/faas/api/other"), "none");
    }

    /// Same creation second: istiod orders by name, then namespace (not
    /// namespace first), so `a` in `zz` wins over `b` in `aa`.
    #[test]
    fn same_second_orders_by_name_then_namespace() {
        let one = |name: &str, ns: &str, svc: &str| {
            format!("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: {name}, namespace: {ns}, creationTimestamp: \"2024-01-01T00:00:00Z\"}}\nspec:\n  hosts: [h]\n  gateways: [kfaas-system/g]\n  http: [{{match: [{{uri: {{prefix: /faas/api/}}}}], route: [{{destination: {{host: {svc}.faas-alpha.svc.cluster.local}}}}]}}]\n---\n")
        };
        let text = one("b", "aa", "second") + &one("a", "zz", "first");
        let m = build(read("f", &text).unwrap()).unwrap();
        assert_eq!(m.hosts["h"].destination("/faas/api/x"), "first.faas-alpha");
    }

    #[test]
    fn literal_starts() {
        assert_eq!(literal_start("^/faas/api/u/[a-z]+"), "/faas/api/u/");
        assert_eq!(literal_start("/faas/api/ab?c"), "/faas/api/a");
        assert_eq!(literal_start("/faas/api/(a|b)"), "");
    }

    #[test]
    fn bad_fields_are_named() {
        let text = vs("x", "", "[{match: [{uri: {prefx: /a}}]}]");
        assert_eq!(
            build(read("f", &text).unwrap()).unwrap_err(),
            "f:1: kfaas-system/x: http[0].match[0].uri.prefx: is not exact, prefix or regex"
        );
        let text = vs("x", "", "[{match: [{uri: {regex: '('}}]}]");
        assert!(build(read("f", &text).unwrap())
            .unwrap_err()
            .contains("http[0].match[0].uri.regex: invalid regex"));
    }
}
