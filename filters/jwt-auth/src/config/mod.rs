//! How the pluginConfig JSON becomes a compiled configuration: field names of
//! Istio's RequestAuthentication `jwtRules`, the rest after Envoy's
//! `jwt_authn`. Every bad field is named, not only the first.
//!
//! Code map: `raw` reads the JSON's shape (with `filters_common::config_reader`);
//! `provider` compiles each `jwtRules[i]`, `claim_headers` its output
//! headers; `rules` compiles `rules[i]`; `model` is the compiled form; this
//! file puts them together and checks the top-level fields.

mod claim_headers;
mod model;
mod provider;
mod raw;
mod rules;
#[cfg(test)]
mod tests;

use filters_common::config_reader::limit;
use filters_common::ConfigErrors;
pub use model::{
    ClaimHeader, Config, DiscoveryTarget, JwtRule, KeySource, Location, Mode, PathMatch, Presence,
    RemoteJwks, Requirement, RequirementRule, DEFAULT_CACHE_BYTES, DEFAULT_CACHE_ENTRIES,
    DEFAULT_CLOCK_SKEW_SECONDS, DEFAULT_FETCH_TIMEOUT_MS, DEFAULT_JWKS_CACHE_SECONDS,
    DEFAULT_MAX_JWKS_BYTES, DEFAULT_MAX_TOKEN_BYTES, DEFAULT_MAX_WAITING_REQUESTS, MAX_CACHE_BYTES,
    MAX_CACHE_ENTRIES, MAX_CLOCK_SKEW_SECONDS, MAX_JWKS_CACHE_SECONDS, MAX_MAX_JWKS_BYTES,
    MAX_MAX_TOKEN_BYTES, MAX_MAX_WAITING_REQUESTS, MIN_MAX_JWKS_BYTES,
};
use provider::jwt_rule;
use rules::requirement_rule;

pub fn parse(json: &[u8]) -> Result<Config, ConfigErrors> {
    let raw = raw::read(json)?;
    let mut errors = ConfigErrors::new();
    if raw.jwt_rules.is_empty() {
        errors.add("jwtRules", "at least one rule is required");
    }
    let e = &mut errors;
    let max_jwks_bytes = limit(
        raw.max_jwks_bytes,
        DEFAULT_MAX_JWKS_BYTES,
        MIN_MAX_JWKS_BYTES..=MAX_MAX_JWKS_BYTES,
        "maxJwksBytes",
        format!("must be between {MIN_MAX_JWKS_BYTES} and {MAX_MAX_JWKS_BYTES}"),
        e,
    );
    let mut jwt_rules = Vec::new();
    for (i, r) in raw.jwt_rules.into_iter().enumerate() {
        if let (Some(len), Some(max)) = (r.jwks.as_ref().map(String::len), max_jwks_bytes) {
            if len > max {
                errors.add(
                    format!("jwtRules[{i}].jwks"),
                    format!("is {len} bytes, over maxJwksBytes ({max})"),
                );
                continue;
            }
        }
        if let Some(rule) = jwt_rule(r, &format!("jwtRules[{i}]"), &mut errors) {
            if jwt_rules.iter().any(|o: &JwtRule| o.issuer == rule.issuer) {
                errors.add(
                    format!("jwtRules[{i}].issuer"),
                    "another rule has the same issuer (the token's iss picks the rule)",
                );
            }
            jwt_rules.push(rule);
        }
    }
    let mut rules = Vec::new();
    for (i, r) in raw.rules.into_iter().enumerate() {
        if let Some(rule) = requirement_rule(r, i, &mut errors) {
            rules.push(rule);
        }
    }
    let e = &mut errors;
    let max_token_bytes = limit(
        raw.max_token_bytes,
        DEFAULT_MAX_TOKEN_BYTES,
        1..=MAX_MAX_TOKEN_BYTES,
        "maxTokenBytes",
        format!("must be between 1 and {MAX_MAX_TOKEN_BYTES}"),
        e,
    );
    let cache_max_entries = limit(
        raw.token_cache_max_entries,
        DEFAULT_CACHE_ENTRIES,
        0..=MAX_CACHE_ENTRIES,
        "tokenCache.maxEntries",
        format!("must be at most {MAX_CACHE_ENTRIES} (0 disables the cache)"),
        e,
    );
    let cache_max_bytes = limit(
        raw.token_cache_max_bytes,
        DEFAULT_CACHE_BYTES,
        0..=MAX_CACHE_BYTES,
        "tokenCache.maxBytes",
        format!("must be at most {MAX_CACHE_BYTES} (0 disables the cache)"),
        e,
    );
    let max_waiting_requests = limit(
        raw.max_waiting_requests,
        DEFAULT_MAX_WAITING_REQUESTS,
        0..=MAX_MAX_WAITING_REQUESTS,
        "maxWaitingRequests",
        format!("must be at most {MAX_MAX_WAITING_REQUESTS} (0: never wait for keys)"),
        e,
    );
    let config = Config {
        jwt_rules,
        rules,
        default_requirement: raw.default_requirement.unwrap_or(Requirement::Required),
        max_token_bytes: max_token_bytes.unwrap_or(DEFAULT_MAX_TOKEN_BYTES),
        max_jwks_bytes: max_jwks_bytes.unwrap_or(DEFAULT_MAX_JWKS_BYTES),
        cache_max_entries: cache_max_entries.unwrap_or(DEFAULT_CACHE_ENTRIES),
        cache_max_bytes: cache_max_bytes.unwrap_or(DEFAULT_CACHE_BYTES),
        max_waiting_requests: max_waiting_requests.unwrap_or(DEFAULT_MAX_WAITING_REQUESTS),
        mode: raw.mode.unwrap_or(Mode::Enforce),
    };
    errors.into_result(config)
}
