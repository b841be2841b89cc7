//! What a grey-chain configuration looks like as JSON: the serde shape with its
//! defaults. Unknown fields are refused here; everything else is checked in
//! the compiling modules.

use super::model::{
    DEFAULT_BAGGAGE_KEY, DEFAULT_CORRELATION_HEADERS, DEFAULT_MAX_ENTRIES, DEFAULT_TAG_HEADER,
    DEFAULT_TTL_SECONDS,
};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawConfig {
    pub(super) mode: RawMode,
    #[serde(default = "default_tag_header")]
    pub(super) tag_header: String,
    pub(super) lanes: Vec<String>,
    #[serde(default)]
    pub(super) gateway: Option<RawGateway>,
    #[serde(default)]
    pub(super) sidecar: Option<RawSidecar>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub(super) enum RawMode {
    Gateway,
    Sidecar,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawGateway {
    #[serde(default)]
    pub(super) rules: Vec<RawRule>,
    #[serde(default)]
    pub(super) trust_incoming_tag: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawRule {
    pub(super) lane: String,
    #[serde(default, rename = "match")]
    pub(super) matcher: Option<RawMatch>,
    #[serde(default)]
    pub(super) percentage: Option<f64>,
    #[serde(default)]
    pub(super) hash_by: Option<RawSource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMatch {
    pub(super) header: Option<RawMatcher>,
    pub(super) cookie: Option<RawMatcher>,
    pub(super) query: Option<RawMatcher>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMatcher {
    pub(super) name: String,
    pub(super) exact: Option<String>,
    pub(super) prefix: Option<String>,
    pub(super) regex: Option<String>,
    #[serde(rename = "in")]
    pub(super) one_of: Option<Vec<String>>,
    pub(super) present: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    pub(super) header: Option<String>,
    pub(super) cookie: Option<String>,
    pub(super) query: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawSidecar {
    #[serde(default)]
    pub(super) pod_label: Option<RawPodLabel>,
    #[serde(default)]
    pub(super) direction: Option<RawDirection>,
    #[serde(default)]
    pub(super) correlation: RawCorrelation,
    #[serde(default = "default_baggage_key")]
    pub(super) baggage_key: String,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub(super) enum RawDirection {
    Inbound,
    Outbound,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPodLabel {
    pub(super) key: String,
    pub(super) value: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawCorrelation {
    #[serde(default = "default_correlation_headers")]
    pub(super) headers: Vec<String>,
    #[serde(default = "default_ttl")]
    pub(super) ttl_seconds: u64,
    #[serde(default = "default_max_entries")]
    pub(super) max_entries: u64,
}

impl Default for RawCorrelation {
    fn default() -> Self {
        RawCorrelation {
            headers: default_correlation_headers(),
            ttl_seconds: DEFAULT_TTL_SECONDS,
            max_entries: DEFAULT_MAX_ENTRIES,
        }
    }
}

fn default_tag_header() -> String {
    DEFAULT_TAG_HEADER.to_string()
}
fn default_baggage_key() -> String {
    DEFAULT_BAGGAGE_KEY.to_string()
}
fn default_correlation_headers() -> Vec<String> {
    DEFAULT_CORRELATION_HEADERS
        .iter()
        .map(|s| s.to_string())
        .collect()
}
fn default_ttl() -> u64 {
    DEFAULT_TTL_SECONDS
}
fn default_max_entries() -> u64 {
    DEFAULT_MAX_ENTRIES
}
