//! The configuration as written: the serde model with its field names and
//! defaults, before any check. Unknown fields are refused here.

use crate::policy::RawRetries;
use serde::Deserialize;

pub const DEFAULT_PATH_PREFIX: &str = "/faas/api/";
pub const DEFAULT_CLUSTER_DOMAIN: &str = "svc.cluster.local";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawConfig {
    #[serde(default = "default_path_prefix")]
    pub(super) path_prefix: String,
    #[serde(default = "default_cluster_domain")]
    pub(super) cluster_domain: String,
    #[serde(default)]
    pub(super) routes: Vec<RawRoute>,
    #[serde(default)]
    pub(super) virtual_hosts: Vec<RawVirtualHost>,
    #[serde(default)]
    pub(super) headers: RawHeaders,
    #[serde(default = "yes")]
    pub(super) rewrite_authority: bool,
    #[serde(default)]
    pub(super) on_no_match: OnNoMatch,
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
pub(super) struct RawRoute {
    #[serde(rename = "match")]
    pub(super) matcher: Option<RawMatch>,
    pub(super) service: Option<String>,
    pub(super) namespace: Option<String>,
    pub(super) rewrite_prefix: Option<String>,
    pub(super) split: Option<Vec<RawSplit>>,
    pub(super) hash_by: Option<RawHashBy>,
    pub(super) timeout: Option<String>,
    pub(super) retries: Option<RawRetries>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVirtualHost {
    pub(super) hosts: Option<Vec<String>>,
    #[serde(default)]
    pub(super) routes: Vec<RawRoute>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMatch {
    pub(super) exact: Option<String>,
    pub(super) prefix: Option<String>,
    pub(super) regex: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSplit {
    pub(super) service: String,
    pub(super) weight: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHashBy {
    pub(super) header: Option<String>,
    pub(super) cookie: Option<String>,
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

pub(super) type RawHeaders = Headers;

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
