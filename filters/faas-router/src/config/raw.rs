//! The configuration as written: its shape, field names and defaults,
//! before any check, read by hand with `filters_common::config_reader`
//! (unknown fields, repeated keys and wrong types refused, all at once,
//! each named with its path).

use crate::policy::{read_retries, RawRetries};
use filters_common::config_reader::{
    boolean, document, field, list, object, required, section, string, strings, Read,
};
use filters_common::ConfigErrors;
use serde_json::Value;

pub const DEFAULT_PATH_PREFIX: &str = "/faas/api/";
pub const DEFAULT_CLUSTER_DOMAIN: &str = "svc.cluster.local";

#[derive(Debug)]
pub(super) struct RawConfig {
    pub(super) path_prefix: String,
    pub(super) cluster_domain: String,
    pub(super) routes: Vec<RawRoute>,
    pub(super) virtual_hosts: Vec<RawVirtualHost>,
    pub(super) headers: Headers,
    pub(super) rewrite_authority: bool,
    pub(super) on_no_match: OnNoMatch,
}

#[derive(Debug)]
pub(super) struct RawRoute {
    pub(super) matcher: Option<RawMatch>,
    pub(super) service: Option<String>,
    pub(super) namespace: Option<String>,
    pub(super) rewrite_prefix: Option<String>,
    pub(super) split: Option<Vec<RawSplit>>,
    pub(super) hash_by: Option<RawHashBy>,
    pub(super) timeout: Option<String>,
    pub(super) retries: Option<RawRetries>,
}

#[derive(Debug)]
pub(super) struct RawVirtualHost {
    pub(super) hosts: Option<Vec<String>>,
    pub(super) routes: Vec<RawRoute>,
}

#[derive(Debug, Default)]
pub(super) struct RawMatch {
    pub(super) exact: Option<String>,
    pub(super) prefix: Option<String>,
    pub(super) regex: Option<String>,
}

#[derive(Debug)]
pub(super) struct RawSplit {
    pub(super) service: String,
    pub(super) weight: u32,
}

#[derive(Debug)]
pub(super) struct RawHashBy {
    pub(super) header: Option<String>,
    pub(super) cookie: Option<String>,
}

/// The headers the filter writes for the upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Headers {
    pub service: String,
    pub namespace: String,
    pub route: String,
}

impl Default for Headers {
    fn default() -> Self {
        Headers {
            service: "x-faas-service".into(),
            namespace: "x-faas-namespace".into(),
            route: "x-faas-route".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OnNoMatch {
    #[default]
    Reject,
    Passthrough,
}

const FIELDS: [&str; 7] = [
    "pathPrefix",
    "clusterDomain",
    "routes",
    "virtualHosts",
    "headers",
    "rewriteAuthority",
    "onNoMatch",
];

/// Reads the pluginConfig JSON (empty: `{}`) into its shape.
pub(super) fn read(json: &[u8]) -> Result<RawConfig, ConfigErrors> {
    let doc = document(json)?;
    let mut errors = ConfigErrors::new();
    let e = &mut errors;
    let Some(m) = object(&doc, "", &FIELDS, e) else {
        return Err(errors);
    };
    let raw = RawConfig {
        path_prefix: field(m, "", "pathPrefix", e, string)
            .unwrap_or_else(|| DEFAULT_PATH_PREFIX.into()),
        cluster_domain: field(m, "", "clusterDomain", e, string)
            .unwrap_or_else(|| DEFAULT_CLUSTER_DOMAIN.into()),
        routes: list(m, "", "routes", e, read_route).unwrap_or_default(),
        virtual_hosts: list(m, "", "virtualHosts", e, read_virtual_host).unwrap_or_default(),
        headers: section(m, "", "headers", e, read_headers)
            .flatten()
            .unwrap_or_default(),
        rewrite_authority: field(m, "", "rewriteAuthority", e, boolean).unwrap_or(true),
        on_no_match: field(m, "", "onNoMatch", e, on_no_match).unwrap_or_default(),
    };
    errors.into_result(raw)
}

fn on_no_match(v: &Value) -> Read<OnNoMatch> {
    match v.as_str() {
        Some("reject") => Ok(OnNoMatch::Reject),
        Some("passthrough") => Ok(OnNoMatch::Passthrough),
        _ => Err("must be \"reject\" or \"passthrough\""),
    }
}

fn read_headers(v: &Value, at: &str, e: &mut ConfigErrors) -> Option<Headers> {
    let m = object(v, at, &["service", "namespace", "route"], e)?;
    let default = Headers::default();
    Some(Headers {
        service: field(m, at, "service", e, string).unwrap_or(default.service),
        namespace: field(m, at, "namespace", e, string).unwrap_or(default.namespace),
        route: field(m, at, "route", e, string).unwrap_or(default.route),
    })
}

fn read_virtual_host(v: &Value, at: &str, e: &mut ConfigErrors) -> Option<RawVirtualHost> {
    let m = object(v, at, &["hosts", "routes"], e)?;
    Some(RawVirtualHost {
        hosts: field(m, at, "hosts", e, strings),
        routes: list(m, at, "routes", e, read_route).unwrap_or_default(),
    })
}

const ROUTE_FIELDS: [&str; 8] = [
    "match",
    "service",
    "namespace",
    "rewritePrefix",
    "split",
    "hashBy",
    "timeout",
    "retries",
];

fn read_route(v: &Value, at: &str, e: &mut ConfigErrors) -> Option<RawRoute> {
    let m = object(v, at, &ROUTE_FIELDS, e)?;
    Some(RawRoute {
        matcher: section(m, at, "match", e, read_match)?,
        service: field(m, at, "service", e, string),
        namespace: field(m, at, "namespace", e, string),
        rewrite_prefix: field(m, at, "rewritePrefix", e, string),
        split: list(m, at, "split", e, read_split),
        hash_by: section(m, at, "hashBy", e, read_hash_by)?,
        timeout: field(m, at, "timeout", e, string),
        retries: section(m, at, "retries", e, read_retries)?,
    })
}

fn read_match(v: &Value, at: &str, e: &mut ConfigErrors) -> Option<RawMatch> {
    let m = object(v, at, &["exact", "prefix", "regex"], e)?;
    Some(RawMatch {
        exact: field(m, at, "exact", e, string),
        prefix: field(m, at, "prefix", e, string),
        regex: field(m, at, "regex", e, string),
    })
}

fn read_split(v: &Value, at: &str, e: &mut ConfigErrors) -> Option<RawSplit> {
    let m = object(v, at, &["service", "weight"], e)?;
    let service = required(m, at, "service", e, string);
    let weight = required(m, at, "weight", e, |v| {
        v.as_u64()
            .and_then(|w| u32::try_from(w).ok())
            .ok_or("must be an integer from 0 to 4294967295")
    });
    Some(RawSplit {
        service: service?,
        weight: weight?,
    })
}

fn read_hash_by(v: &Value, at: &str, e: &mut ConfigErrors) -> Option<RawHashBy> {
    let m = object(v, at, &["header", "cookie"], e)?;
    Some(RawHashBy {
        header: field(m, at, "header", e, string),
        cookie: field(m, at, "cookie", e, string),
    })
}
