//! A faas-router configuration, checked and compiled into lookup tables:
//! the top-level fields here; the shape as written in `raw.rs`, each question a
//! route raises in its own file below `config/`. Every problem is reported
//! with its field.

mod backend;
mod compile_table;
mod names;
mod raw;
mod route;
mod route_match;
mod targets;
mod virtual_hosts;

#[cfg(test)]
mod tests;

pub use names::is_dns_label;
pub use raw::{Headers, OnNoMatch, DEFAULT_CLUSTER_DOMAIN, DEFAULT_PATH_PREFIX};
pub use route::{Backend, HashBy, Route, Target};

use crate::hosts::HostIndex;
use crate::policy;
use crate::table::Table;
use compile_table::{compile_table, TableContext};
use filters_common::http_token::is_header_name;
use filters_common::path_match::check_path_pattern;
use filters_common::ConfigErrors;
use names::is_dns_subdomain;
use raw::RawConfig;
use targets::Targets;
use virtual_hosts::check_hosts;

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
    compile(raw::read(json)?)
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
        let given = check_hosts(&raw.virtual_hosts, vh, i, &mut hosts, &mut errors);
        let at = format!("virtualHosts[{i}]");
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

fn check_path_prefix(prefix: &str, errors: &mut ConfigErrors) {
    if !prefix.starts_with('/') || !prefix.ends_with('/') {
        errors.add("pathPrefix", "must start and end with /");
    } else if let Err(e) = check_path_pattern(prefix) {
        errors.add("pathPrefix", e);
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
