//! The configuration's shape as written: the pluginConfig JSON read into
//! plain structs, field by field (unknown fields, wrong types and missing
//! required fields named). Nothing is checked beyond the shape here.

use super::model::{Mode, Presence, Requirement};
use filters_common::config_reader::{
    boolean, document, field, list, object, required, string, strings, uint, Read,
};
use filters_common::ConfigErrors;
use serde_json::Value;

// The raw configuration is read from a `serde_json::Value` by hand (see
// `read`): serde derive with path tracking made up a sixth of the wasm module.
#[derive(Debug, Default)]
pub(super) struct RawConfig {
    pub(super) jwt_rules: Vec<RawJwtRule>,
    pub(super) rules: Vec<RawRequirementRule>,
    pub(super) default_requirement: Option<Requirement>,
    pub(super) max_token_bytes: Option<u64>,
    pub(super) max_jwks_bytes: Option<u64>,
    pub(super) max_waiting_requests: Option<u64>,
    pub(super) token_cache_max_entries: Option<u64>,
    pub(super) token_cache_max_bytes: Option<u64>,
    pub(super) mode: Option<Mode>,
}

#[derive(Debug, Default)]
pub(super) struct RawJwtRule {
    pub(super) issuer: Option<String>,
    pub(super) audiences: Vec<String>,
    pub(super) jwks: Option<String>,
    pub(super) jwks_uri: Option<String>,
    /// Istio's snake_case spelling of `jwksUri`; at most one of the three.
    pub(super) jwks_uri_snake: Option<String>,
    pub(super) timeout: Option<String>,
    pub(super) space_delimited_claims: Vec<String>,
    pub(super) presence: Option<Presence>,
    pub(super) discovery_cluster: Option<String>,
    pub(super) jwks_cluster: Option<String>,
    pub(super) jwks_cache_seconds: Option<u64>,
    pub(super) from_headers: Option<Vec<RawFromHeader>>,
    pub(super) from_params: Option<Vec<String>>,
    pub(super) from_cookies: Option<Vec<String>>,
    pub(super) output_payload_to_header: Option<String>,
    pub(super) output_claim_to_headers: Vec<RawClaimHeader>,
    pub(super) forward_original_token: bool,
    pub(super) clock_skew_seconds: Option<u64>,
    pub(super) require_expiration: Option<bool>,
}

#[derive(Debug)]
pub(super) struct RawFromHeader {
    pub(super) name: String,
    pub(super) prefix: String,
}

#[derive(Debug)]
pub(super) struct RawClaimHeader {
    pub(super) header: String,
    pub(super) claim: String,
}

#[derive(Debug)]
pub(super) struct RawRequirementRule {
    pub(super) matcher: RawMatch,
    pub(super) hosts: Option<Vec<String>>,
    pub(super) requirement: Requirement,
}

#[derive(Debug)]
pub(super) struct RawMatch {
    pub(super) prefix: Option<String>,
    pub(super) exact: Option<String>,
    pub(super) regex: Option<String>,
}

/// The structure of the configuration: objects with known fields only, each
/// value of its type. Every such problem is named; any of them stops the
/// checks that follow (they would only repeat it).
pub(super) fn read(json: &[u8]) -> Result<RawConfig, ConfigErrors> {
    let doc = document(json)?;
    let mut errors = ConfigErrors::new();
    let e = &mut errors;
    let mut raw = RawConfig::default();
    if let Some(m) = object(&doc, "", ROOT_FIELDS, e) {
        raw.jwt_rules = list(m, "", "jwtRules", e, read_jwt_rule).unwrap_or_default();
        raw.rules = list(m, "", "rules", e, read_requirement_rule).unwrap_or_default();
        raw.default_requirement = field(m, "", "defaultRequirement", e, requirement);
        raw.max_token_bytes = field(m, "", "maxTokenBytes", e, uint);
        raw.max_jwks_bytes = field(m, "", "maxJwksBytes", e, uint);
        raw.max_waiting_requests = field(m, "", "maxWaitingRequests", e, uint);
        raw.mode = field(m, "", "mode", e, mode);
        if let Some(v) = m.get("tokenCache").filter(|v| !v.is_null()) {
            if let Some(c) = object(v, "tokenCache", &["maxEntries", "maxBytes"], e) {
                raw.token_cache_max_entries = field(c, "tokenCache", "maxEntries", e, uint);
                raw.token_cache_max_bytes = field(c, "tokenCache", "maxBytes", e, uint);
            }
        }
    }
    errors.into_result(raw)
}

const ROOT_FIELDS: &[&str] = &[
    "jwtRules",
    "rules",
    "defaultRequirement",
    "maxTokenBytes",
    "maxJwksBytes",
    "maxWaitingRequests",
    "tokenCache",
    "mode",
];

const RULE_FIELDS: &[&str] = &[
    "issuer",
    "audiences",
    "jwks",
    "jwksUri",
    "jwks_uri",
    "timeout",
    "spaceDelimitedClaims",
    "presence",
    "discoveryCluster",
    "jwksCluster",
    "jwksCacheSeconds",
    "fromHeaders",
    "fromParams",
    "fromCookies",
    "outputPayloadToHeader",
    "outputClaimToHeaders",
    "forwardOriginalToken",
    "clockSkewSeconds",
    "requireExpiration",
];

fn read_jwt_rule(v: &Value, at: &str, e: &mut ConfigErrors) -> Option<RawJwtRule> {
    let m = object(v, at, RULE_FIELDS, e)?;
    Some(RawJwtRule {
        issuer: field(m, at, "issuer", e, string),
        audiences: field(m, at, "audiences", e, strings).unwrap_or_default(),
        jwks: field(m, at, "jwks", e, string),
        jwks_uri: field(m, at, "jwksUri", e, string),
        jwks_uri_snake: field(m, at, "jwks_uri", e, string),
        timeout: field(m, at, "timeout", e, string),
        space_delimited_claims: field(m, at, "spaceDelimitedClaims", e, strings)
            .unwrap_or_default(),
        presence: field(m, at, "presence", e, presence),
        discovery_cluster: field(m, at, "discoveryCluster", e, string),
        jwks_cluster: field(m, at, "jwksCluster", e, string),
        jwks_cache_seconds: field(m, at, "jwksCacheSeconds", e, uint),
        from_headers: list(m, at, "fromHeaders", e, |v, at, e| {
            let h = object(v, at, &["name", "prefix"], e)?;
            let name = required(h, at, "name", e, string);
            let prefix = field(h, at, "prefix", e, string);
            Some(RawFromHeader {
                name: name?,
                prefix: prefix.unwrap_or_default(),
            })
        }),
        from_params: field(m, at, "fromParams", e, strings),
        from_cookies: field(m, at, "fromCookies", e, strings),
        output_payload_to_header: field(m, at, "outputPayloadToHeader", e, string),
        output_claim_to_headers: list(m, at, "outputClaimToHeaders", e, |v, at, e| {
            let c = object(v, at, &["header", "claim"], e)?;
            let header = required(c, at, "header", e, string);
            let claim = required(c, at, "claim", e, string);
            Some(RawClaimHeader {
                header: header?,
                claim: claim?,
            })
        })
        .unwrap_or_default(),
        forward_original_token: field(m, at, "forwardOriginalToken", e, boolean).unwrap_or(false),
        clock_skew_seconds: field(m, at, "clockSkewSeconds", e, uint),
        require_expiration: field(m, at, "requireExpiration", e, boolean),
    })
}

fn read_requirement_rule(v: &Value, at: &str, e: &mut ConfigErrors) -> Option<RawRequirementRule> {
    let m = object(v, at, &["match", "hosts", "requirement"], e)?;
    let requirement = required(m, at, "requirement", e, requirement);
    let hosts = field(m, at, "hosts", e, strings);
    let match_at = format!("{at}.match");
    let matcher = match m.get("match") {
        None => {
            e.add(match_at, "is required");
            None
        }
        Some(v) => object(v, &match_at, &["prefix", "exact", "regex"], e).map(|o| RawMatch {
            prefix: field(o, &match_at, "prefix", e, string),
            exact: field(o, &match_at, "exact", e, string),
            regex: field(o, &match_at, "regex", e, string),
        }),
    };
    Some(RawRequirementRule {
        matcher: matcher?,
        hosts,
        requirement: requirement?,
    })
}

fn requirement(v: &Value) -> Read<Requirement> {
    match v.as_str() {
        Some("required") => Ok(Requirement::Required),
        Some("allow_missing") => Ok(Requirement::AllowMissing),
        Some("none") => Ok(Requirement::None),
        _ => Err("must be one of required, allow_missing, none"),
    }
}

fn mode(v: &Value) -> Read<Mode> {
    match v.as_str() {
        Some("enforce") => Ok(Mode::Enforce),
        Some("audit") => Ok(Mode::Audit),
        _ => Err("must be one of enforce, audit"),
    }
}

fn presence(v: &Value) -> Read<Presence> {
    match v.as_str() {
        Some("OPTIONAL") => Ok(Presence::Optional),
        Some("REQUIRED") => Ok(Presence::Required),
        _ => Err("must be one of OPTIONAL, REQUIRED"),
    }
}
