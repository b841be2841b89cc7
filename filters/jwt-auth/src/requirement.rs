//! Which requirement applies to a request: the first rule whose `hosts`
//! cover the request's host (no `hosts`: every host) and whose match fits
//! the normalized path (without query) decides, else the default. CORS
//! preflights pass.
//!
//! Rules see the path as faas-router and upstreams do after normalization
//! (`/public/../a` is `/a`), so dot segments, `//` or escapes cannot steer a
//! request into a laxer rule; a prefix ends at a segment boundary, as in
//! faas-router (`filters_common::path_match`). A path that cannot be normalized is refused,
//! but only when a rule for the request's host needs the path: on a host no
//! rule names, the default decides without it.
//!
//! The host is the `:authority` without port, lower-cased, one trailing dot
//! removed (`filters_common::host_match::request_host`).

use crate::config::{Config, Requirement, RequirementRule};
use crate::extract::Request;
use filters_common::host_match::request_host;
use filters_common::path::{self, PathError};

pub fn for_request(config: &Config, req: &Request) -> Result<Requirement, PathError> {
    if is_cors_preflight(req) {
        return Ok(Requirement::None);
    }
    let host = request_host(&req.authority);
    let mut normalized: Option<String> = None;
    for rule in config.rules.iter().filter(|r| on_host(r, &host)) {
        let path = match &normalized {
            Some(p) => p,
            None => normalized.insert(path::normalize(req.path_without_query())?),
        };
        if rule.matcher.fits(path) {
            return Ok(rule.requirement);
        }
    }
    Ok(config.default_requirement)
}

/// True when the rule applies on `host` (already normalized).
fn on_host(rule: &RequirementRule, host: &str) -> bool {
    rule.hosts.is_empty() || rule.hosts.iter().any(|p| p.covers(host))
}

/// OPTIONS with `Origin` and `Access-Control-Request-Method`.
pub fn is_cors_preflight(req: &Request) -> bool {
    req.method == "OPTIONS"
        && req.header("origin").is_some()
        && req.header("access-control-request-method").is_some()
}

#[cfg(test)]
mod tests;
