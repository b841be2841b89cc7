//! The compiled configuration: what the engine reads on every request, with
//! the defaults and the bounds the checks use.

use crate::jwks::KeySet;
use filters_common::host_match::HostPattern;

pub const DEFAULT_CLOCK_SKEW_SECONDS: u64 = 60;
/// Envoy's `remote_jwks.cache_duration` default (10 minutes).
pub const DEFAULT_JWKS_CACHE_SECONDS: u64 = 600;
/// `jwtRules[].timeout` default: Istio's (and Envoy's `http_uri.timeout` as Istio sets it), 5 s.
pub const DEFAULT_FETCH_TIMEOUT_MS: u64 = 5_000;
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 8192;
pub const DEFAULT_CACHE_ENTRIES: usize = 10_000;
/// A day: more would make `exp`/`nbf` meaningless.
pub const MAX_CLOCK_SKEW_SECONDS: u64 = 86_400;
/// A week: keys rotated upstream must reach the filter.
pub const MAX_JWKS_CACHE_SECONDS: u64 = 7 * 86_400;
/// Envoy's default header size limit is 60 KiB; a token cannot exceed it.
pub const MAX_MAX_TOKEN_BYTES: usize = 65_536;
/// `maxJwksBytes`: the largest JWKS document read, inline or fetched.
/// `maxWaitingRequests`: per VM, requests paused while their keys are fetched.
pub const DEFAULT_MAX_WAITING_REQUESTS: usize = 1024;
pub const MAX_MAX_WAITING_REQUESTS: usize = 65_536;
/// `tokenCache.maxBytes`: per VM, by `cache::Entry::cost`.
pub const DEFAULT_CACHE_BYTES: usize = 32 * 1024 * 1024;
pub const MAX_CACHE_BYTES: usize = 1024 * 1024 * 1024;
pub const DEFAULT_MAX_JWKS_BYTES: usize = 256 * 1024;
pub const MIN_MAX_JWKS_BYTES: usize = 1024;
pub const MAX_MAX_JWKS_BYTES: usize = 16 * 1024 * 1024;
pub const MAX_CACHE_ENTRIES: usize = 1_000_000;

/// What a request needs to pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// A valid token is required.
    Required,
    /// No token passes; a token that is present must be valid.
    AllowMissing,
    /// Not checked.
    None,
}

/// `jwtRules[].presence` (Istio's): whether this rule's own token must be
/// there wherever a token is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Any one rule's valid token satisfies a requirement (the default).
    Optional,
    /// This rule's token, from its own locations, must be present and valid
    /// wherever a token is required, besides every other REQUIRED rule's
    /// (Istio's `requires_all`); under `allow_missing` it may be missing.
    Required,
}

/// What the filter does with a request it would refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Refuse it (401/403/400/503).
    Enforce,
    /// Let it pass unchanged, count the reason (`jwt_auth.audit.<reason>`)
    /// and log it once at info: the "observe" step before enforcing.
    Audit,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Audit => "audit",
        }
    }
}

/// Where a token is looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Header { name: String, prefix: String },
    Param(String),
    Cookie(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimHeader {
    pub header: String,
    /// The dotted claim path, split.
    pub path: Vec<String>,
    /// The claim is listed in `spaceDelimitedClaims`: a string value is
    /// written as its space-separated values joined with `,`.
    pub space_delimited: bool,
}

#[derive(Debug, Clone)]
pub enum KeySource {
    Inline(KeySet),
    Remote(RemoteJwks),
}

/// Where an OpenID Connect discovery document is fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryTarget {
    pub cluster: String,
    pub authority: String,
    pub path: String,
}

/// A remote JWKS: `uri`, `authority` and `path` are empty until `discovery`
/// (a rule with neither `jwks` nor a URI) has named them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteJwks {
    pub uri: String,
    pub cluster: String,
    pub authority: String,
    pub path: String,
    pub cache_seconds: u64,
    /// `timeout`: how long one fetch may take, in milliseconds (≥ 1).
    pub timeout_ms: u64,
    pub discovery: Option<DiscoveryTarget>,
}

#[derive(Debug, Clone)]
pub struct JwtRule {
    pub issuer: String,
    pub audiences: Vec<String>,
    pub keys: KeySource,
    pub locations: Vec<Location>,
    pub output_payload_to_header: Option<String>,
    pub output_claim_to_headers: Vec<ClaimHeader>,
    pub presence: Presence,
    pub forward_original_token: bool,
    pub clock_skew_seconds: u64,
    pub require_expiration: bool,
}

pub use filters_common::path_match::PathMatch;

#[derive(Debug, Clone)]
pub struct RequirementRule {
    pub matcher: PathMatch,
    /// The rule applies only on these hosts; empty = every host (`hosts`
    /// absent: an empty configured list is refused).
    pub hosts: Vec<HostPattern>,
    pub requirement: Requirement,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub jwt_rules: Vec<JwtRule>,
    pub rules: Vec<RequirementRule>,
    pub default_requirement: Requirement,
    pub max_token_bytes: usize,
    pub max_jwks_bytes: usize,
    pub cache_max_entries: usize,
    pub cache_max_bytes: usize,
    pub max_waiting_requests: usize,
    pub mode: Mode,
}

impl Config {
    /// Every configured output header, removed from each request first.
    pub fn output_headers(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for rule in &self.jwt_rules {
            let names = rule
                .output_claim_to_headers
                .iter()
                .map(|c| &c.header)
                .chain(&rule.output_payload_to_header);
            for name in names {
                if !out.contains(name) {
                    out.push(name.clone());
                }
            }
        }
        out
    }
}
