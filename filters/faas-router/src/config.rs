//! What a faas-router configuration may say, and how it is checked and
//! compiled into a lookup table. Every problem is reported with its field.

use crate::hosts::HostIndex;
use crate::policy::{self, Policy, RawRetries};
use crate::table::{compile_regex, Kind, Table};
use filters_common::host_match::HostPattern;
use filters_common::path::normalize;
use filters_common::{parse_config, ConfigErrors};
use serde::Deserialize;
use std::collections::HashMap;

pub const DEFAULT_PATH_PREFIX: &str = "/faas/api/";
pub const DEFAULT_CLUSTER_DOMAIN: &str = "svc.cluster.local";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawConfig {
    #[serde(default = "default_path_prefix")]
    path_prefix: String,
    #[serde(default = "default_cluster_domain")]
    cluster_domain: String,
    #[serde(default)]
    routes: Vec<RawRoute>,
    #[serde(default)]
    virtual_hosts: Vec<RawVirtualHost>,
    #[serde(default)]
    headers: RawHeaders,
    #[serde(default = "yes")]
    rewrite_authority: bool,
    #[serde(default)]
    on_no_match: OnNoMatch,
}

fn default_path_prefix() -> String {
    DEFAULT_PATH_PREFIX.into()
}
fn default_cluster_domain() -> String {
    DEFAULT_CLUSTER_DOMAIN.into()
}
fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawRoute {
    #[serde(rename = "match")]
    matcher: Option<RawMatch>,
    service: Option<String>,
    namespace: Option<String>,
    rewrite_prefix: Option<String>,
    split: Option<Vec<RawSplit>>,
    hash_by: Option<RawHashBy>,
    timeout: Option<String>,
    retries: Option<RawRetries>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVirtualHost {
    hosts: Option<Vec<String>>,
    #[serde(default)]
    routes: Vec<RawRoute>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatch {
    exact: Option<String>,
    prefix: Option<String>,
    regex: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSplit {
    service: String,
    weight: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHashBy {
    header: Option<String>,
    cookie: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Headers {
    #[serde(default = "default_service_header")]
    pub service: String,
    #[serde(default = "default_namespace_header")]
    pub namespace: String,
    #[serde(default = "default_route_header")]
    pub route: String,
}

type RawHeaders = Headers;

fn default_service_header() -> String {
    "x-faas-service".into()
}
fn default_namespace_header() -> String {
    "x-faas-namespace".into()
}
fn default_route_header() -> String {
    "x-faas-route".into()
}

impl Default for Headers {
    fn default() -> Self {
        Headers {
            service: default_service_header(),
            namespace: default_namespace_header(),
            route: default_route_header(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnNoMatch {
    #[default]
    Reject,
    Passthrough,
}

/// One Knative service a route can send to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub service: String,
    pub namespace: String,
    /// `<service>.<namespace>.<clusterDomain>`
    pub authority: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashBy {
    Header(String),
    Cookie(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Service(usize),
    /// Targets with cumulative weights (last is 100), picked by `split.rs`.
    Split {
        choices: Vec<(u32, usize)>,
        hash_by: Option<HashBy>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub kind: Kind,
    pub pattern: String,
    /// `<kind>:<pattern>`, the value of the route header.
    pub id: String,
    pub backend: Backend,
    pub rewrite_prefix: Option<String>,
    /// `timeout` and `retries`, and the Envoy headers they give.
    pub policy: Policy,
}

#[derive(Debug)]
pub struct Config {
    pub path_prefix: String,
    pub cluster_domain: String,
    pub headers: Headers,
    pub rewrite_authority: bool,
    pub on_no_match: OnNoMatch,
    /// The top-level table: every host no virtual host names.
    pub routes: Vec<Route>,
    /// Targets of every table (ids are shared by all tables).
    pub targets: Vec<Target>,
    pub table: Table,
    /// `virtualHosts`, in configuration order.
    pub virtual_hosts: Vec<VirtualHost>,
    /// Authority -> index in `virtual_hosts`.
    pub hosts: HostIndex,
}

/// One `virtualHosts` entry: its own table, checked on its own.
#[derive(Debug)]
pub struct VirtualHost {
    /// As configured.
    pub hosts: Vec<String>,
    pub routes: Vec<Route>,
    pub table: Table,
}

/// The table a request uses: `virtual_host` is its index in
/// `Config::virtual_hosts`, `None` for the top-level `routes`.
#[derive(Debug, Clone, Copy)]
pub struct RouteTable<'c> {
    pub virtual_host: Option<usize>,
    pub routes: &'c [Route],
    pub table: &'c Table,
}

impl Config {
    /// The table for a request's `:authority` (as received; port and case
    /// do not matter). No authority, or one no virtual host names: the
    /// top-level `routes`.
    pub fn table_for(&self, authority: Option<&str>) -> RouteTable<'_> {
        let vhost = authority.and_then(|a| self.hosts.find(a));
        match vhost.and_then(|v| Some((v, self.virtual_hosts.get(v)?))) {
            Some((v, vh)) => RouteTable {
                virtual_host: Some(v),
                routes: &vh.routes,
                table: &vh.table,
            },
            None => RouteTable {
                virtual_host: None,
                routes: &self.routes,
                table: &self.table,
            },
        }
    }

    /// Every route of every table.
    pub fn all_routes(&self) -> impl Iterator<Item = &Route> {
        self.routes
            .iter()
            .chain(self.virtual_hosts.iter().flat_map(|v| v.routes.iter()))
    }
}

/// Parses and checks a configuration; refuses it with every problem found.
pub fn parse(json: &[u8]) -> Result<Config, ConfigErrors> {
    // Plain serde first: tracking field paths slows a 10,000-route table
    // down noticeably, and they are only needed to name a failure.
    let raw: RawConfig = match serde_json::from_slice(json) {
        Ok(raw) => raw,
        Err(_) => parse_config(json)?,
    };
    compile(raw)
}

fn compile(raw: RawConfig) -> Result<Config, ConfigErrors> {
    let mut errors = ConfigErrors::new();
    check_path_prefix(&raw.path_prefix, &mut errors);
    if !is_dns_subdomain(&raw.cluster_domain) {
        errors.add("clusterDomain", "must be a DNS-1123 subdomain");
    }
    check_headers(&raw.headers, &mut errors);

    let mut targets = Targets::new(&raw.cluster_domain);
    let mut output_headers = vec![
        raw.headers.service.as_str(),
        raw.headers.namespace.as_str(),
        raw.headers.route.as_str(),
    ];
    output_headers.push("x-envoy-original-path");
    output_headers.extend(policy::CONTROL_HEADERS);
    let ctx = TableContext {
        path_prefix: &raw.path_prefix,
        output_headers: &output_headers,
    };
    let (routes, table) = compile_table(&raw.routes, "routes", &ctx, &mut targets, &mut errors);
    let mut hosts = HostIndex::new();
    let mut virtual_hosts = Vec::with_capacity(raw.virtual_hosts.len());
    for (i, vh) in raw.virtual_hosts.iter().enumerate() {
        let at = format!("virtualHosts[{i}]");
        let given = vh.hosts.as_deref().unwrap_or_default();
        if vh.hosts.is_none() {
            errors.add(format!("{at}.hosts"), "is required");
        } else if given.is_empty() {
            errors.add(format!("{at}.hosts"), "needs at least one host");
        }
        for (j, raw_host) in given.iter().enumerate() {
            let field = format!("{at}.hosts[{j}]");
            match HostPattern::parse(raw_host) {
                Err(why) => errors.add(field, format!("{raw_host:?}: {why}")),
                Ok(HostPattern::Any) => errors.add(
                    field,
                    "\"*\" is every host: the top-level routes serve hosts no virtual host names",
                ),
                Ok(HostPattern::Prefix(_)) => errors.add(
                    field,
                    format!("{raw_host:?}: a wildcard may only start a host (*.example.com)"),
                ),
                Ok(pattern) => {
                    if let Some(first) = hosts.add(&pattern, i) {
                        let first = first_holder(&raw.virtual_hosts, first, &pattern, i, j);
                        errors.add(field, format!("{raw_host:?} is already served by {first}"));
                    }
                }
            }
        }
        let (routes, table) = compile_table(
            &vh.routes,
            &format!("{at}.routes"),
            &ctx,
            &mut targets,
            &mut errors,
        );
        virtual_hosts.push(VirtualHost {
            hosts: given.to_vec(),
            routes,
            table,
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let targets = targets.list;
    errors.into_result(Config {
        path_prefix: raw.path_prefix,
        cluster_domain: raw.cluster_domain,
        headers: raw.headers,
        rewrite_authority: raw.rewrite_authority,
        on_no_match: raw.on_no_match,
        routes,
        targets,
        table,
        virtual_hosts,
        hosts,
    })
}

/// `virtualHosts[i].hosts[j]` of the first host equal to `pattern`, in
/// virtual host `vh` (or earlier in the same one, before `j`).
fn first_holder(
    raw: &[RawVirtualHost],
    vh: usize,
    pattern: &HostPattern,
    at_vh: usize,
    at_j: usize,
) -> String {
    let hosts = raw
        .get(vh)
        .and_then(|v| v.hosts.as_deref())
        .unwrap_or_default();
    hosts
        .iter()
        .enumerate()
        .filter(|&(j, _)| vh != at_vh || j < at_j)
        .find(|(_, h)| HostPattern::parse(h).as_ref() == Ok(pattern))
        .map_or_else(
            || format!("virtualHosts[{vh}]"),
            |(j, _)| format!("virtualHosts[{vh}].hosts[{j}]"),
        )
}

/// What every table is checked against.
struct TableContext<'a> {
    path_prefix: &'a str,
    /// Headers the filter writes or removes: not usable as `hashBy`.
    output_headers: &'a [&'a str],
}

/// Checks one table (top-level `routes` or a virtual host's) on its own;
/// `base` names it in errors (`routes`, `virtualHosts[1].routes`).
fn compile_table(
    raw: &[RawRoute],
    base: &str,
    ctx: &TableContext,
    targets: &mut Targets,
    errors: &mut ConfigErrors,
) -> (Vec<Route>, Table) {
    let mut routes = Vec::with_capacity(raw.len());
    let mut table = Table::new();
    let mut seen: HashMap<(Kind, String), usize> = HashMap::new();
    for (i, r) in raw.iter().enumerate() {
        let at = format!("{base}[{i}]");
        let Some((kind, pattern)) = check_match(r.matcher.as_ref(), ctx.path_prefix, &at, errors)
        else {
            continue;
        };
        let backend = check_backend(r, &at, ctx.output_headers, targets, errors);
        let rewrite_prefix =
            check_rewrite(r.rewrite_prefix.as_deref(), kind, &pattern, &at, errors);
        let policy = policy::check(r.timeout.as_deref(), r.retries.as_ref(), &at, errors);
        let field = format!("{at}.match.{}", kind.as_str());
        if let Some(first) = seen.get(&(kind, pattern.clone())) {
            errors.add(field.clone(), format!("duplicates {base}[{first}]"));
        } else {
            seen.insert((kind, pattern.clone()), i);
        }
        match kind {
            Kind::Exact => table.add_exact(&pattern, i),
            Kind::Prefix => table.add_prefix(&pattern, i),
            Kind::Regex => match compile_regex(&pattern) {
                Ok(compiled) => {
                    if !compiled.literal_prefix.starts_with(ctx.path_prefix) {
                        errors.add(
                            field,
                            format!(
                                "must start with the literal pathPrefix {:?}",
                                ctx.path_prefix
                            ),
                        );
                    }
                    table.add_regex(compiled, i);
                }
                Err(e) => errors.add(field, e),
            },
        }
        if let Some(backend) = backend {
            routes.push(Route {
                id: format!("{}:{pattern}", kind.as_str()),
                kind,
                pattern,
                backend,
                rewrite_prefix,
                policy,
            });
        }
    }
    check_shadowed(&seen, base, errors);
    (routes, table)
}

fn check_path_prefix(prefix: &str, errors: &mut ConfigErrors) {
    if !prefix.starts_with('/') || !prefix.ends_with('/') {
        errors.add("pathPrefix", "must start and end with /");
    } else if normalize(prefix).as_deref() != Ok(prefix) {
        errors.add("pathPrefix", "must be a normalized path");
    }
}

fn check_headers(h: &Headers, errors: &mut ConfigErrors) {
    let names = [
        ("service", &h.service),
        ("namespace", &h.namespace),
        ("route", &h.route),
    ];
    for (i, (field, name)) in names.iter().enumerate() {
        if !is_header_name(name) {
            errors.add(
                format!("headers.{field}"),
                "must be a lower-case HTTP header name",
            );
        } else if names.iter().take(i).any(|(_, other)| other == name) {
            errors.add(
                format!("headers.{field}"),
                "must differ from the other headers",
            );
        }
    }
}

/// Returns the match kind and its pattern; `None` when it cannot be used.
fn check_match(
    m: Option<&RawMatch>,
    path_prefix: &str,
    at: &str,
    errors: &mut ConfigErrors,
) -> Option<(Kind, String)> {
    let Some(m) = m else {
        errors.add(format!("{at}.match"), "is required");
        return None;
    };
    let given: Vec<(Kind, &String)> = [
        (Kind::Exact, m.exact.as_ref()),
        (Kind::Prefix, m.prefix.as_ref()),
        (Kind::Regex, m.regex.as_ref()),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect();
    let [(kind, pattern)] = given.as_slice() else {
        errors.add(
            format!("{at}.match"),
            "needs exactly one of exact, prefix, regex",
        );
        return None;
    };
    let field = format!("{at}.match.{}", kind.as_str());
    if *kind == Kind::Regex {
        if !pattern.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            errors.add(
                field,
                "must be printable ASCII (it is sent in the route header)",
            );
            return None;
        }
    } else {
        if normalize(pattern).as_ref() != Ok(*pattern) {
            errors.add(
                field,
                "must be a normalized path (no ., .., //, query or invalid characters)",
            );
        } else if !pattern.starts_with(path_prefix) {
            errors.add(field, format!("is outside pathPrefix {path_prefix:?}"));
        }
    }
    Some((*kind, (*pattern).clone()))
}

fn check_backend(
    r: &RawRoute,
    at: &str,
    output_headers: &[&str],
    targets: &mut Targets,
    errors: &mut ConfigErrors,
) -> Option<Backend> {
    let namespace = match &r.namespace {
        Some(ns) if is_dns_label(ns) => Some(ns.as_str()),
        Some(_) => {
            errors.add(format!("{at}.namespace"), "must be a DNS-1123 label");
            None
        }
        None => {
            errors.add(format!("{at}.namespace"), "is required");
            None
        }
    };
    let hash_by = r
        .hash_by
        .as_ref()
        .and_then(|h| check_hash_by(h, at, output_headers, errors));
    match (&r.service, &r.split) {
        (Some(service), None) => {
            if r.hash_by.is_some() {
                errors.add(format!("{at}.hashBy"), "only applies to a split");
            }
            if !is_dns_label(service) {
                errors.add(format!("{at}.service"), "must be a DNS-1123 label");
                return None;
            }
            Some(Backend::Service(targets.id(service, namespace?)))
        }
        (None, Some(split)) => {
            let mut choices = Vec::with_capacity(split.len());
            let mut total = 0u32;
            let mut ok = true;
            for (j, s) in split.iter().enumerate() {
                if !is_dns_label(&s.service) {
                    errors.add(
                        format!("{at}.split[{j}].service"),
                        "must be a DNS-1123 label",
                    );
                    ok = false;
                } else if split.iter().take(j).any(|o| o.service == s.service) {
                    errors.add(
                        format!("{at}.split[{j}].service"),
                        "appears twice in the split",
                    );
                    ok = false;
                }
                total = total.saturating_add(s.weight);
                if let Some(ns) = namespace.filter(|_| ok) {
                    choices.push((total, targets.id(&s.service, ns)));
                }
            }
            if total != 100 {
                errors.add(
                    format!("{at}.split"),
                    format!("weights must sum to 100, not {total}"),
                );
                ok = false;
            }
            (ok && namespace.is_some()).then_some(Backend::Split { choices, hash_by })
        }
        (Some(_), Some(_)) => {
            errors.add(format!("{at}.service"), "service and split are exclusive");
            None
        }
        (None, None) => {
            errors.add(format!("{at}.service"), "needs service or split");
            None
        }
    }
}

fn check_hash_by(
    h: &RawHashBy,
    at: &str,
    output_headers: &[&str],
    errors: &mut ConfigErrors,
) -> Option<HashBy> {
    let field = format!("{at}.hashBy");
    match (&h.header, &h.cookie) {
        (Some(name), None) => {
            if !is_header_name(name) {
                errors.add(
                    format!("{field}.header"),
                    "must be a lower-case HTTP header name",
                );
            } else if output_headers.contains(&name.as_str()) || name.starts_with("x-faas-") {
                errors.add(
                    format!("{field}.header"),
                    "is removed from every request by this filter",
                );
            } else {
                return Some(HashBy::Header(name.clone()));
            }
            None
        }
        (None, Some(name)) => {
            if name.is_empty() || !name.bytes().all(is_token_byte) {
                errors.add(format!("{field}.cookie"), "must be a cookie name");
                return None;
            }
            Some(HashBy::Cookie(name.clone()))
        }
        _ => {
            errors.add(field, "needs exactly one of header, cookie");
            None
        }
    }
}

fn check_rewrite(
    rewrite: Option<&str>,
    kind: Kind,
    pattern: &str,
    at: &str,
    errors: &mut ConfigErrors,
) -> Option<String> {
    let rewrite = rewrite?;
    let field = format!("{at}.rewritePrefix");
    if kind == Kind::Regex {
        errors.add(field, "needs a prefix or exact match");
    } else if normalize(rewrite).as_deref() != Ok(rewrite) {
        errors.add(field, "must be a normalized path starting with /");
    } else if kind == Kind::Prefix && pattern.ends_with('/') && !rewrite.ends_with('/') {
        errors.add(field, "must end with / like the prefix it replaces");
    } else {
        return Some(rewrite.to_string());
    }
    None
}

/// Prefix routes that can never be chosen. A prefix matches unboundedly many
/// paths, so exact routes and longer prefixes can cover all of them only in
/// one case: a prefix `P` without a trailing `/` matches `P` and `P/...`; with
/// an exact route `P` and a prefix route `P/`, both are taken by others.
/// (Regexes are not analysed: overlap between regexes is undecidable here.)
fn check_shadowed(seen: &HashMap<(Kind, String), usize>, base: &str, errors: &mut ConfigErrors) {
    let mut shadowed: Vec<(usize, String)> = seen
        .iter()
        .filter(|((kind, p), _)| *kind == Kind::Prefix && !p.ends_with('/'))
        .filter_map(|((_, p), &i)| {
            let exact = seen.get(&(Kind::Exact, p.clone()))?;
            let slash = seen.get(&(Kind::Prefix, format!("{p}/")))?;
            Some((i, format!("is fully shadowed by {base}[{exact}] (exact {p:?}) and {base}[{slash}] (prefix \"{p}/\")")))
        })
        .collect();
    shadowed.sort();
    for (i, msg) in shadowed {
        errors.add(format!("{base}[{i}].match.prefix"), msg);
    }
}

/// Distinct (service, namespace) pairs, so metrics and authorities are built once.
struct Targets<'a> {
    cluster_domain: &'a str,
    list: Vec<Target>,
    index: HashMap<(String, String), usize>,
}

impl<'a> Targets<'a> {
    fn new(cluster_domain: &'a str) -> Self {
        Targets {
            cluster_domain,
            list: Vec::new(),
            index: HashMap::new(),
        }
    }

    fn id(&mut self, service: &str, namespace: &str) -> usize {
        let key = (service.to_string(), namespace.to_string());
        if let Some(&id) = self.index.get(&key) {
            return id;
        }
        let id = self.list.len();
        self.list.push(Target {
            service: service.into(),
            namespace: namespace.into(),
            authority: format!("{service}.{namespace}.{}", self.cluster_domain),
        });
        self.index.insert(key, id);
        id
    }
}

/// RFC 1123 label as Kubernetes names services and namespaces.
pub fn is_dns_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b.first() != Some(&b'-')
        && b.last() != Some(&b'-')
}

fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_dns_label)
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_header_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| is_token_byte(b) && !b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUE_EXAMPLE: &str = r#"{
      "pathPrefix": "/faas/api/",
      "clusterDomain": "svc.cluster.local",
      "routes": [
        {"match": {"prefix": "/faas/api/saas/showroom/"}, "service": "saas-showroom", "namespace": "faas-alpha"},
        {"match": {"prefix": "/faas/api/p/saas/virtual-showroom/"}, "service": "virtual-showroom", "namespace": "faas-alpha", "rewritePrefix": "/"},
        {"match": {"exact": "/faas/api/render"}, "service": "render", "namespace": "faas-beta"},
        {"match": {"regex": "^/faas/api/u/[a-z0-9-]+/profile$"}, "service": "profile", "namespace": "faas-beta"},
        {"match": {"prefix": "/faas/api/search/"}, "namespace": "faas-alpha",
         "split": [{"service": "search", "weight": 90}, {"service": "search-v2", "weight": 10}],
         "hashBy": {"header": "x-jwt-sub"}}
      ],
      "headers": {"service": "x-faas-service", "namespace": "x-faas-namespace", "route": "x-faas-route"},
      "rewriteAuthority": true,
      "onNoMatch": "reject"
    }"#;

    fn errors(json: &str) -> Vec<(String, String)> {
        match parse(json.as_bytes()) {
            Ok(_) => vec![],
            Err(e) => e.errors.into_iter().map(|e| (e.field, e.message)).collect(),
        }
    }

    fn fields(json: &str) -> Vec<String> {
        errors(json).into_iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn issue_example_compiles() {
        let c = parse(ISSUE_EXAMPLE.as_bytes()).unwrap();
        assert_eq!(c.routes.len(), 5);
        assert_eq!(c.targets.len(), 6);
        assert_eq!(
            c.targets[0].authority,
            "saas-showroom.faas-alpha.svc.cluster.local"
        );
        assert_eq!(c.routes[3].id, "regex:^/faas/api/u/[a-z0-9-]+/profile$");
        assert_eq!(
            c.routes[4].backend,
            Backend::Split {
                choices: vec![(90, 4), (100, 5)],
                hash_by: Some(HashBy::Header("x-jwt-sub".into()))
            }
        );
    }

    #[test]
    fn defaults() {
        let c = parse(
            br#"{"routes":[{"match":{"prefix":"/faas/api/a/"},"service":"a","namespace":"n"}]}"#,
        )
        .unwrap();
        assert_eq!(c.path_prefix, "/faas/api/");
        assert_eq!(c.cluster_domain, "svc.cluster.local");
        assert_eq!(c.headers, Headers::default());
        assert_eq!(c.headers.service, "x-faas-service");
        assert!(c.rewrite_authority);
        assert_eq!(c.on_no_match, OnNoMatch::Reject);
        assert!(parse(b"").unwrap().routes.is_empty());
    }

    #[test]
    fn unknown_fields_are_named() {
        assert_eq!(
            fields(r#"{"routes":[{"match":{"prefx":"/faas/api/a/"}}]}"#),
            ["routes[0].match.prefx"]
        );
        assert_eq!(fields(r#"{"onNoMatch":"drop"}"#), ["onNoMatch"]);
        assert_eq!(fields(r#"{"headers":{"svc":"x"}}"#), ["headers.svc"]);
    }

    #[test]
    fn every_problem_is_listed() {
        let json = r#"{
          "pathPrefix": "/faas/api",
          "clusterDomain": "Bad_Domain",
          "headers": {"service": "X-Faas-Service", "namespace": "x-faas-route"},
          "routes": [
            {"match": {}, "service": "a", "namespace": "n"},
            {"match": {"prefix": "/faas/api/a/", "exact": "/faas/api/a"}, "service": "a", "namespace": "n"},
            {"match": {"prefix": "/faas/api/b/"}, "service": "B_svc", "namespace": "n"},
            {"match": {"prefix": "/faas/api/c/"}, "service": "c", "namespace": "-n"},
            {"match": {"prefix": "/faas/api/d/"}, "service": "d"},
            {"match": {"prefix": "/faas/api/e/"}, "namespace": "n"},
            {"match": {"prefix": "/faas/api/f/"}, "namespace": "n", "service": "f", "split": [{"service":"f","weight":100}]},
            {"match": {"prefix": "/faas/api/g/"}, "namespace": "n", "split": [{"service":"g","weight":60},{"service":"g2","weight":30}]},
            {"match": {"prefix": "/faas/api/h/"}, "namespace": "n", "split": [{"service":"h","weight":50},{"service":"h","weight":50}]},
            {"match": {"regex": "/faas/api/(unclosed"}, "service": "i", "namespace": "n"},
            {"match": {"regex": "/faas/api/(a{1000}){1000}"}, "service": "j", "namespace": "n"},
            {"match": {"regex": "/other/.*"}, "service": "k", "namespace": "n"},
            {"match": {"prefix": "/other/"}, "service": "l", "namespace": "n"},
            {"match": {"exact": "/faas/api/m/../x"}, "service": "m", "namespace": "n"},
            {"match": {"prefix": "/faas/api/o/"}, "service": "o", "namespace": "n", "hashBy": {"header": "x-user"}},
            {"match": {"prefix": "/faas/api/p/"}, "namespace": "n", "split": [{"service":"p","weight":100}], "hashBy": {}},
            {"match": {"prefix": "/faas/api/q/"}, "namespace": "n", "split": [{"service":"q","weight":100}], "hashBy": {"header": "x-faas-user"}},
            {"match": {"regex": "/faas/api/r/.*"}, "service": "r", "namespace": "n", "rewritePrefix": "/"},
            {"match": {"prefix": "/faas/api/s/"}, "service": "s", "namespace": "n", "rewritePrefix": "/v2"},
            {"match": {"prefix": "/faas/api/t/"}, "service": "t", "namespace": "n", "rewritePrefix": "v2/"}
          ]
        }"#;
        let got = fields(json);
        let want = [
            "pathPrefix",
            "clusterDomain",
            "headers.service",
            "headers.route",
            "routes[0].match",
            "routes[1].match",
            "routes[2].service",
            "routes[3].namespace",
            "routes[4].namespace",
            "routes[5].service",
            "routes[6].service",
            "routes[7].split",
            "routes[8].split[1].service",
            "routes[9].match.regex",
            "routes[10].match.regex",
            "routes[11].match.regex",
            "routes[12].match.prefix",
            "routes[13].match.exact",
            "routes[14].hashBy",
            "routes[15].hashBy",
            "routes[16].hashBy.header",
            "routes[17].rewritePrefix",
            "routes[18].rewritePrefix",
            "routes[19].rewritePrefix",
        ];
        assert_eq!(got, want, "{:#?}", errors(json));
    }

    #[test]
    fn duplicates_are_named_with_the_first_route() {
        let json = r#"{"routes":[
          {"match":{"prefix":"/faas/api/a/"},"service":"a","namespace":"n"},
          {"match":{"exact":"/faas/api/a/"},"service":"a","namespace":"n"},
          {"match":{"prefix":"/faas/api/a/"},"service":"b","namespace":"n"},
          {"match":{"regex":"/faas/api/x/.*"},"service":"a","namespace":"n"},
          {"match":{"regex":"/faas/api/x/.*"},"service":"b","namespace":"n"}
        ]}"#;
        assert_eq!(
            errors(json),
            [
                (
                    "routes[2].match.prefix".to_string(),
                    "duplicates routes[0]".to_string()
                ),
                (
                    "routes[4].match.regex".to_string(),
                    "duplicates routes[3]".to_string()
                ),
            ]
        );
    }

    #[test]
    fn fully_shadowed_prefix_is_refused_partly_shadowed_is_not() {
        let base = r#"{"match":{"prefix":"/faas/api/a"},"service":"a","namespace":"n"},
                      {"match":{"prefix":"/faas/api/a/"},"service":"b","namespace":"n"}"#;
        assert!(errors(&format!(r#"{{"routes":[{base}]}}"#)).is_empty());
        let json = format!(
            r#"{{"routes":[{base},{{"match":{{"exact":"/faas/api/a"}},"service":"c","namespace":"n"}}]}}"#
        );
        let got = errors(&json);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, "routes[0].match.prefix");
        assert!(
            got[0].1.contains("routes[2]") && got[0].1.contains("routes[1]"),
            "{}",
            got[0].1
        );
    }

    #[test]
    fn custom_path_prefix_bounds_routes() {
        let json = r#"{"pathPrefix":"/fn/","routes":[
          {"match":{"prefix":"/fn/a/"},"service":"a","namespace":"n"},
          {"match":{"prefix":"/faas/api/a/"},"service":"a","namespace":"n"}]}"#;
        assert_eq!(fields(json), ["routes[1].match.prefix"]);
    }

    #[test]
    fn timeout_and_retries_are_kept_and_checked() {
        let c = parse(
            br#"{"routes":[{"match":{"prefix":"/faas/api/render/"},"service":"render","namespace":"faas-beta",
              "timeout":"15s","retries":{"attempts":3,"perTryTimeout":"5s","retryOn":"5xx,connect-failure"}}]}"#,
        )
        .unwrap();
        let p = &c.routes[0].policy;
        assert_eq!(p.timeout, Some(std::time::Duration::from_secs(15)));
        assert_eq!(p.retries.as_ref().unwrap().attempts, 3);
        assert_eq!(p.headers.len(), 4);
        let json = r#"{"routes":[
          {"match":{"prefix":"/faas/api/a/"},"service":"a","namespace":"n","timeout":"0s"},
          {"match":{"prefix":"/faas/api/b/"},"service":"b","namespace":"n","retries":{"attempts":11,"retryOn":"5xx,nope"}},
          {"match":{"prefix":"/faas/api/c/"},"service":"c","namespace":"n","retries":{"attempts":1,"perTryTimeout":"-2s"}}
        ]}"#;
        assert_eq!(
            fields(json),
            [
                "routes[0].timeout",
                "routes[1].retries.attempts",
                "routes[1].retries.retryOn",
                "routes[2].retries.perTryTimeout"
            ]
        );
        assert_eq!(
            fields(
                r#"{"routes":[{"match":{"prefix":"/faas/api/a/"},"service":"a","namespace":"n","retries":{"attempts":1,"tries":2}}]}"#
            ),
            ["routes[0].retries.tries"]
        );
    }

    #[test]
    fn a_policy_header_is_no_hash_key() {
        let json = r#"{"routes":[{"match":{"prefix":"/faas/api/a/"},"namespace":"n",
          "split":[{"service":"a","weight":100}],"hashBy":{"header":"x-envoy-max-retries"}}]}"#;
        assert_eq!(fields(json), ["routes[0].hashBy.header"]);
    }

    const HOSTS: &str = r#"{
      "routes": [{"match":{"prefix":"/faas/api/a/"},"service":"a","namespace":"faas-prod"}],
      "virtualHosts": [
        {"hosts": ["faas-alpha-ksvc-gateway.kfaas-system.svc.cluster.local", "*.alpha.example.com"],
         "routes": [{"match":{"prefix":"/faas/api/a/"},"service":"a","namespace":"faas-alpha","timeout":"1s"}]},
        {"hosts": ["faas-beta-ksvc-gateway.kfaas-system.svc.cluster.local"],
         "routes": [{"match":{"prefix":"/faas/api/a/"},"service":"a","namespace":"faas-beta"},
                    {"match":{"exact":"/faas/api/b"},"service":"b","namespace":"faas-beta"}]}
      ]
    }"#;

    #[test]
    fn virtual_hosts_have_their_own_tables() {
        let c = parse(HOSTS.as_bytes()).unwrap();
        assert_eq!(c.virtual_hosts.len(), 2);
        let ns = |authority: Option<&str>| {
            let t = c.table_for(authority);
            let hit = t.table.lookup("/faas/api/a/x").unwrap();
            let Backend::Service(id) = t.routes[hit.route].backend else {
                panic!()
            };
            (t.virtual_host, c.targets[id].namespace.clone())
        };
        assert_eq!(ns(None), (None, "faas-prod".into()));
        assert_eq!(ns(Some("other.example.com")), (None, "faas-prod".into()));
        assert_eq!(
            ns(Some(
                "FAAS-alpha-ksvc-gateway.kfaas-system.svc.cluster.local:80"
            )),
            (Some(0), "faas-alpha".into())
        );
        assert_eq!(
            ns(Some("x.alpha.example.com")),
            (Some(0), "faas-alpha".into())
        );
        assert_eq!(ns(Some("alpha.example.com")), (None, "faas-prod".into()));
        assert_eq!(
            ns(Some(
                "faas-beta-ksvc-gateway.kfaas-system.svc.cluster.local"
            )),
            (Some(1), "faas-beta".into())
        );
        assert_eq!(c.all_routes().count(), 4);
        // Targets are shared: service a in three namespaces, b once.
        assert_eq!(c.targets.len(), 4);
    }

    #[test]
    fn virtual_host_errors_are_named() {
        let json = r#"{
          "routes": [{"match":{"prefix":"/faas/api/a/"},"service":"a","namespace":"n"}],
          "virtualHosts": [
            {"hosts": ["a.example.com", "*.example.com", "A.example.com."],
             "routes": [{"match":{"prefix":"/faas/api/a/"},"service":"a","namespace":"n"},
                        {"match":{"prefix":"/faas/api/a/"},"service":"b","namespace":"n"}]},
            {"hosts": ["b.example.com", "a.example.com", "*", "api.*", "bad host", "*.EXAMPLE.com"],
             "routes": [{"match":{"prefix":"/faas/api/x/"},"service":"x","namespace":"n"},
                        {"match":{"prefix":"/faas/api/b"},"service":"B","namespace":"n"},
                        {"match":{"prefix":"/faas/api/c"},"service":"c","namespace":"n"},
                        {"match":{"prefix":"/other/"},"service":"c","namespace":"n","timeout":"1"}]},
            {"routes": []},
            {"hosts": [], "routez": []}
          ]
        }"#;
        let got = errors(json);
        let fields: Vec<&str> = got.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            ["virtualHosts[3].routez"],
            "serde stops at the unknown field: {got:?}"
        );
        let json = json.replace(r#", "routez": []"#, "");
        let got = errors(&json);
        let fields: Vec<&str> = got.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "virtualHosts[0].hosts[2]",
                "virtualHosts[0].routes[1].match.prefix",
                "virtualHosts[1].hosts[1]",
                "virtualHosts[1].hosts[2]",
                "virtualHosts[1].hosts[3]",
                "virtualHosts[1].hosts[4]",
                "virtualHosts[1].hosts[5]",
                "virtualHosts[1].routes[1].service",
                "virtualHosts[1].routes[3].match.prefix",
                "virtualHosts[1].routes[3].timeout",
                "virtualHosts[2].hosts",
                "virtualHosts[3].hosts",
            ],
            "{got:#?}"
        );
        let msg = |f: &str| &got.iter().find(|(g, _)| g == f).unwrap().1;
        assert!(msg("virtualHosts[0].hosts[2]").contains("virtualHosts[0].hosts[0]"));
        assert!(msg("virtualHosts[1].hosts[1]").contains("virtualHosts[0].hosts[0]"));
        assert!(msg("virtualHosts[1].hosts[5]").contains("virtualHosts[0].hosts[1]"));
        assert_eq!(
            msg("virtualHosts[0].routes[1].match.prefix"),
            "duplicates virtualHosts[0].routes[0]"
        );
    }

    #[test]
    fn each_table_is_checked_on_its_own() {
        // The same prefix in two tables is no duplicate; a shadowed prefix
        // is judged within its table only.
        let json = r#"{
          "routes": [{"match":{"prefix":"/faas/api/a"},"service":"a","namespace":"n"},
                     {"match":{"exact":"/faas/api/a"},"service":"a","namespace":"n"}],
          "virtualHosts": [{"hosts": ["h"],
             "routes": [{"match":{"prefix":"/faas/api/a/"},"service":"a","namespace":"n"},
                        {"match":{"prefix":"/faas/api/a"},"service":"a","namespace":"n"}]}]
        }"#;
        assert!(errors(json).is_empty(), "{:?}", errors(json));
        let shadowed = json.replace(
            r#"{"match":{"prefix":"/faas/api/a"},"service":"a","namespace":"n"}]}]"#,
            r#"{"match":{"prefix":"/faas/api/a"},"service":"a","namespace":"n"},
               {"match":{"exact":"/faas/api/a"},"service":"a","namespace":"n"}]}]"#,
        );
        let got = errors(&shadowed);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, "virtualHosts[0].routes[1].match.prefix");
        assert!(
            got[0].1.contains("virtualHosts[0].routes[2]"),
            "{}",
            got[0].1
        );
    }
}
