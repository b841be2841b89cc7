//! What a grey-chain configuration looks like as JSON: its shape with the
//! defaults, read by hand with `filters_common::config_reader` (unknown
//! fields, wrong types, missing required fields and repeated keys are all
//! named, each with its path). Everything else is checked in the compiling
//! modules.

use super::model::{
    DEFAULT_BAGGAGE_KEY, DEFAULT_CORRELATION_HEADERS, DEFAULT_MAX_ENTRIES, DEFAULT_TAG_HEADER,
    DEFAULT_TTL_SECONDS,
};
use filters_common::config_reader::{
    boolean, document, field, list, object, required, section, string, strings, uint, Read,
};
use filters_common::ConfigErrors;
use serde_json::Value;

pub(super) struct RawConfig {
    pub(super) mode: RawMode,
    pub(super) tag_header: String,
    pub(super) lanes: Vec<String>,
    pub(super) gateway: Option<RawGateway>,
    pub(super) sidecar: Option<RawSidecar>,
}

#[derive(Clone, Copy)]
pub(super) enum RawMode {
    Gateway,
    Sidecar,
}

pub(super) struct RawGateway {
    pub(super) rules: Vec<RawRule>,
    pub(super) trust_incoming_tag: bool,
}

pub(super) struct RawRule {
    pub(super) lane: String,
    pub(super) matcher: Option<RawMatch>,
    pub(super) percentage: Option<f64>,
    pub(super) hash_by: Option<RawSource>,
}

pub(super) struct RawMatch {
    pub(super) header: Option<RawMatcher>,
    pub(super) cookie: Option<RawMatcher>,
    pub(super) query: Option<RawMatcher>,
}

pub(super) struct RawMatcher {
    pub(super) name: String,
    pub(super) exact: Option<String>,
    pub(super) prefix: Option<String>,
    pub(super) regex: Option<String>,
    pub(super) one_of: Option<Vec<String>>,
    pub(super) present: Option<bool>,
}

pub(super) struct RawSource {
    pub(super) header: Option<String>,
    pub(super) cookie: Option<String>,
    pub(super) query: Option<String>,
}

pub(super) struct RawSidecar {
    pub(super) pod_label: Option<RawPodLabel>,
    pub(super) direction: Option<RawDirection>,
    pub(super) correlation: RawCorrelation,
    pub(super) baggage_key: String,
}

#[derive(Clone, Copy)]
pub(super) enum RawDirection {
    Inbound,
    Outbound,
}

pub(super) struct RawPodLabel {
    pub(super) key: String,
    pub(super) value: String,
}

pub(super) struct RawCorrelation {
    pub(super) headers: Vec<String>,
    pub(super) ttl_seconds: u64,
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

/// Reads the pluginConfig JSON (empty: `{}`) into its shape.
pub(super) fn read(json: &[u8]) -> Result<RawConfig, ConfigErrors> {
    let doc = document(json)?;
    let mut errors = ConfigErrors::new();
    let e = &mut errors;
    let Some(m) = object(
        &doc,
        "",
        &["mode", "tagHeader", "lanes", "gateway", "sidecar"],
        e,
    ) else {
        return Err(errors);
    };
    let mode = required(m, "", "mode", e, |v| match v.as_str() {
        Some("gateway") => Ok(RawMode::Gateway),
        Some("sidecar") => Ok(RawMode::Sidecar),
        _ => Err("must be \"gateway\" or \"sidecar\""),
    });
    let tag_header = field(m, "", "tagHeader", e, string).unwrap_or_else(default_tag_header);
    let lanes = required(m, "", "lanes", e, strings);
    let gateway = section(m, "", "gateway", e, read_gateway);
    let sidecar = section(m, "", "sidecar", e, read_sidecar);
    match (mode, lanes) {
        (Some(mode), Some(lanes)) if errors.is_empty() => Ok(RawConfig {
            mode,
            tag_header,
            lanes,
            gateway: gateway.flatten(),
            sidecar: sidecar.flatten(),
        }),
        _ => Err(errors),
    }
}

fn read_gateway(v: &Value, at: &str, e: &mut ConfigErrors) -> Option<RawGateway> {
    let m = object(v, at, &["rules", "trustIncomingTag"], e)?;
    Some(RawGateway {
        rules: list(m, at, "rules", e, read_rule).unwrap_or_default(),
        trust_incoming_tag: field(m, at, "trustIncomingTag", e, boolean).unwrap_or(false),
    })
}

fn read_rule(v: &Value, at: &str, e: &mut ConfigErrors) -> Option<RawRule> {
    let m = object(v, at, &["lane", "match", "percentage", "hashBy"], e)?;
    let lane = required(m, at, "lane", e, string);
    let matcher = section(m, at, "match", e, read_match);
    let percentage = field(m, at, "percentage", e, number);
    let hash_by = section(m, at, "hashBy", e, read_source);
    Some(RawRule {
        lane: lane?,
        matcher: matcher?,
        percentage,
        hash_by: hash_by?,
    })
}

fn number(v: &Value) -> Read<f64> {
    v.as_f64().ok_or("must be a number")
}

fn read_match(v: &Value, at: &str, e: &mut ConfigErrors) -> Option<RawMatch> {
    let m = object(v, at, &["header", "cookie", "query"], e)?;
    let one = |key: &str, e: &mut ConfigErrors| section(m, at, key, e, read_matcher);
    Some(RawMatch {
        header: one("header", e)?,
        cookie: one("cookie", e)?,
        query: one("query", e)?,
    })
}

fn read_matcher(v: &Value, at: &str, e: &mut ConfigErrors) -> Option<RawMatcher> {
    let m = object(
        v,
        at,
        &["name", "exact", "prefix", "regex", "in", "present"],
        e,
    )?;
    let name = required(m, at, "name", e, string);
    Some(RawMatcher {
        name: name?,
        exact: field(m, at, "exact", e, string),
        prefix: field(m, at, "prefix", e, string),
        regex: field(m, at, "regex", e, string),
        one_of: field(m, at, "in", e, strings),
        present: field(m, at, "present", e, boolean),
    })
}

fn read_source(v: &Value, at: &str, e: &mut ConfigErrors) -> Option<RawSource> {
    let m = object(v, at, &["header", "cookie", "query"], e)?;
    Some(RawSource {
        header: field(m, at, "header", e, string),
        cookie: field(m, at, "cookie", e, string),
        query: field(m, at, "query", e, string),
    })
}

fn read_sidecar(v: &Value, at: &str, e: &mut ConfigErrors) -> Option<RawSidecar> {
    let known = ["podLabel", "direction", "correlation", "baggageKey"];
    let m = object(v, at, &known, e)?;
    let pod_label = section(m, at, "podLabel", e, |v, at, e| {
        let p = object(v, at, &["key", "value"], e)?;
        let key = required(p, at, "key", e, string);
        let value = required(p, at, "value", e, string);
        Some(RawPodLabel {
            key: key?,
            value: value?,
        })
    });
    let direction = field(m, at, "direction", e, |v| match v.as_str() {
        Some("inbound") => Ok(RawDirection::Inbound),
        Some("outbound") => Ok(RawDirection::Outbound),
        _ => Err("must be \"inbound\" or \"outbound\""),
    });
    let correlation = section(m, at, "correlation", e, |v, at, e| {
        let c = object(v, at, &["headers", "ttlSeconds", "maxEntries"], e)?;
        Some(RawCorrelation {
            headers: field(c, at, "headers", e, strings)
                .unwrap_or_else(default_correlation_headers),
            ttl_seconds: field(c, at, "ttlSeconds", e, uint).unwrap_or(DEFAULT_TTL_SECONDS),
            max_entries: field(c, at, "maxEntries", e, uint).unwrap_or(DEFAULT_MAX_ENTRIES),
        })
    });
    Some(RawSidecar {
        pod_label: pod_label?,
        direction,
        correlation: correlation?.unwrap_or_default(),
        baggage_key: field(m, at, "baggageKey", e, string).unwrap_or_else(default_baggage_key),
    })
}
