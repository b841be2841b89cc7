//! What the engine counts; the glue maps each to a proxy-wasm counter.

use crate::verify::Failure;

/// Counted events; the glue maps them to proxy-wasm counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Allowed,
    Denied(Failure),
    /// Audit mode: would have been denied for this reason, passed instead.
    Audit(Failure),
    CacheHit,
    CacheMiss,
    JwksFetchSuccess,
    JwksFetchFailure,
    /// An OpenID Connect discovery document was refused (or not fetched).
    DiscoveryFailure,
}

impl Metric {
    /// The counter name without the `jwt_auth.` prefix.
    pub fn name(self) -> String {
        match self {
            Metric::Allowed => "allowed".into(),
            Metric::Denied(f) => format!("denied.{}", f.name()),
            Metric::Audit(f) => format!("audit.{}", f.name()),
            Metric::CacheHit => "cache.hit".into(),
            Metric::CacheMiss => "cache.miss".into(),
            Metric::JwksFetchSuccess => "jwks_fetch.success".into(),
            Metric::JwksFetchFailure => "jwks_fetch.failure".into(),
            Metric::DiscoveryFailure => "discovery.failure".into(),
        }
    }

    /// This metric's position in `all()`.
    pub fn index(self) -> usize {
        match self {
            Metric::Allowed => 0,
            Metric::Denied(f) => 1 + failure_index(f),
            Metric::CacheHit => 1 + Failure::ALL.len(),
            Metric::CacheMiss => 2 + Failure::ALL.len(),
            Metric::JwksFetchSuccess => 3 + Failure::ALL.len(),
            Metric::JwksFetchFailure => 4 + Failure::ALL.len(),
            Metric::Audit(f) => 5 + Failure::ALL.len() + failure_index(f),
            Metric::DiscoveryFailure => 5 + 2 * Failure::ALL.len(),
        }
    }

    pub fn all() -> Vec<Metric> {
        let mut all = vec![Metric::Allowed];
        all.extend(Failure::ALL.iter().map(|f| Metric::Denied(*f)));
        all.extend([
            Metric::CacheHit,
            Metric::CacheMiss,
            Metric::JwksFetchSuccess,
            Metric::JwksFetchFailure,
        ]);
        all.extend(Failure::ALL.iter().map(|f| Metric::Audit(*f)));
        all.push(Metric::DiscoveryFailure);
        all
    }
}

fn failure_index(f: Failure) -> usize {
    Failure::ALL.iter().position(|x| *x == f).unwrap_or(0)
}

/// The `result` label of `jwt_auth_requests` (and the filter state
/// `wasm.jwt_auth.result`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestResult {
    Allowed,
    Denied,
    /// Audit mode: would have been denied, passed.
    AuditDenied,
    /// The request's path needs no token (no requirement applies).
    Skipped,
}

impl RequestResult {
    pub fn name(self) -> &'static str {
        match self {
            RequestResult::Allowed => "allowed",
            RequestResult::Denied => "denied",
            RequestResult::AuditDenied => "audit_denied",
            RequestResult::Skipped => "skipped",
        }
    }
}

/// What one request came to, for the labelled family and the filter state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestOutcome {
    pub result: RequestResult,
    /// The `reason` label: the failure's name for denied and audit_denied,
    /// `valid` for allowed with a verified token, `none` otherwise.
    pub reason: &'static str,
    /// The rule (issuer index) of the first verified token.
    pub rule: Option<usize>,
}
