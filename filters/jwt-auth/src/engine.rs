//! What the filter decides for one request, knowing nothing of proxy-wasm:
//! requirement, token, verification (cache first), outputs. Also holds the
//! keys per rule and the remote JWKS state the glue drives.

use crate::cache::{Entry, TokenCache};
use crate::config::{Config, JwtRule, KeySource, Location, Mode, Presence, Requirement};
use crate::crypto::backend::Backend;
use crate::extract::{self, Found, Removal, Request};
use crate::jwks::{self, KeySet};
use crate::remote::Remote;
use crate::requirement;
use crate::response::{self, Denial};
use crate::verify::{self, Failure};
use sha2::{Digest, Sha256};
use std::rc::Rc;

mod fetch;
mod metric;

pub use metric::{Metric, RequestOutcome, RequestResult};

/// Longest path (in bytes) an audit log line shows.
const AUDIT_LOG_PATH_BYTES: usize = 200;

/// At most `max` bytes of `s`, cut at a character boundary.
fn log_prefix(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

/// A change to the request on its way upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mutation {
    SetHeader(String, String),
    Remove(Removal),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Pass upstream after these changes.
    Continue(Vec<Mutation>),
    Deny(Denial),
    /// Audit mode: the request would have been refused for `reason`; it
    /// passes unchanged except that client copies of the output headers are
    /// removed (as on every request). `log` is for the operator, at info.
    Audit {
        reason: Failure,
        log: String,
    },
    /// Wait for rule `rule`'s JWKS (fetched by the root on its next tick).
    Wait {
        rule: usize,
    },
}

/// Log lines for the operator, with whether they are warnings.
pub type Logs = Vec<(bool, String)>;

struct RuleKeys {
    set: Option<KeySet>,
    /// Bumped whenever the keys change, so cached verifications made with
    /// older keys are not trusted.
    generation: u64,
    last_doc: Option<[u8; 32]>,
    remote: Option<Remote>,
}

pub struct Engine {
    config: Config,
    /// Which code verifies RSA and ECDSA (`use_backend`; the module's by default).
    backend: Backend,
    keys: Vec<RuleKeys>,
    cache: TokenCache,
    /// The last token header read (a first-seen token skips re-reading it).
    header_memo: verify::HeaderMemo,
    locations: Vec<Location>,
    /// `presence: REQUIRED` rules, each with its own token locations; when
    /// there are any, `optional_locations` are the other rules' locations.
    required: Rc<[(usize, Vec<Location>)]>,
    optional_locations: Rc<[Location]>,
    output_headers: Vec<String>,
    metrics: Vec<Metric>,
    /// The last decided request's outcome (`take_outcome`).
    outcome: Option<RequestOutcome>,
}

/// How a request that passes passed (its `RequestOutcome`); ignored for the
/// other decisions.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Passed {
    /// No requirement applied to it.
    Skipped,
    /// Its first valid token was rule `i`'s.
    Verified(usize),
    /// Allowed without a token, or not passed at all.
    Without,
}

enum Refusal {
    Fail(Failure),
    Wait { rule: usize },
}

impl From<Failure> for Refusal {
    fn from(f: Failure) -> Self {
        Refusal::Fail(f)
    }
}

impl Engine {
    pub fn new(config: Config, now: i64) -> Self {
        let keys = config
            .jwt_rules
            .iter()
            .map(|r| match &r.keys {
                KeySource::Inline(set) => RuleKeys {
                    set: Some(set.clone()),
                    generation: 0,
                    last_doc: None,
                    remote: None,
                },
                KeySource::Remote(spec) => RuleKeys {
                    set: None,
                    generation: 0,
                    last_doc: None,
                    remote: Some(Remote::new(spec.clone(), now)),
                },
            })
            .collect();
        let mut locations: Vec<Location> = Vec::new();
        for l in config.jwt_rules.iter().flat_map(|r| &r.locations) {
            if !locations.contains(l) {
                locations.push(l.clone());
            }
        }
        let required: Vec<(usize, Vec<Location>)> = config
            .jwt_rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.presence == Presence::Required)
            .map(|(i, r)| (i, r.locations.clone()))
            .collect();
        let optional_locations = locations
            .iter()
            .filter(|l| !required.iter().any(|(_, ls)| ls.contains(l)))
            .cloned()
            .collect();
        Engine {
            cache: TokenCache::new(config.cache_max_entries, config.cache_max_bytes),
            header_memo: verify::HeaderMemo::default(),
            required: required.into(),
            optional_locations,
            output_headers: config.output_headers(),
            locations,
            keys,
            config,
            backend: Backend::module(),
            metrics: Vec::new(),
            outcome: None,
        }
    }

    /// Verifies RSA and ECDSA through `backend` from now on (the glue passes
    /// the self-test's choice once per configuration). Inline keys it cannot
    /// verify (ES512 without the host) are dropped; the keys each inline JWKS
    /// skipped are named in one info line per rule. An inline JWKS left with
    /// no usable key is an error naming `jwtRules[i].jwks`.
    pub fn use_backend(&mut self, backend: Backend) -> Result<Logs, String> {
        self.backend = backend;
        let mut logs = Logs::new();
        for (i, (rk, rule)) in self.keys.iter_mut().zip(&self.config.jwt_rules).enumerate() {
            let (Some(set), None) = (rk.set.as_mut(), &rk.remote) else {
                continue;
            };
            backend.keep_verifiable(set);
            if let Some(line) = set.skipped_line() {
                logs.push((
                    false,
                    format!("jwtRules[{i}].jwks for {}: {line}", rule.issuer),
                ));
            }
            if set.keys.is_empty() {
                return Err(format!(
                    "jwtRules[{i}].jwks: no key this filter can use with {}",
                    backend.describe()
                ));
            }
        }
        Ok(logs)
    }

    /// A fetched JWKS longer than this is refused unread (`maxJwksBytes`).
    pub fn max_jwks_bytes(&self) -> usize {
        self.config.max_jwks_bytes
    }

    /// Headers removed from every request before anything is decided.
    pub fn output_headers(&self) -> &[String] {
        &self.output_headers
    }

    /// Events counted since the last call.
    pub fn take_metrics(&mut self) -> Vec<Metric> {
        std::mem::take(&mut self.metrics)
    }

    /// Same, keeping the buffer (no allocation per request).
    pub fn drain_metrics(&mut self) -> std::vec::Drain<'_, Metric> {
        self.metrics.drain(..)
    }

    /// What to do with `req`. In audit mode a refusal becomes
    /// [`Decision::Audit`]: counted as `audit.<reason>` instead of
    /// `denied.<reason>`, the request passes.
    pub fn decide(&mut self, req: &Request, now: i64, may_wait: bool) -> Decision {
        let (decision, passed) = self.judge(req, now, may_wait);
        self.account(req, decision, passed)
    }

    /// The outcome of the last request decided (`None` while it waits for
    /// keys, or once taken).
    pub fn take_outcome(&mut self) -> Option<RequestOutcome> {
        self.outcome.take()
    }

    /// Keys currently loaded for rule `rule` (0: none yet).
    pub fn key_count(&self, rule: usize) -> usize {
        self.keys
            .get(rule)
            .and_then(|k| k.set.as_ref())
            .map_or(0, |s| s.keys.len())
    }

    /// The issuer of rule `rule`.
    pub fn issuer(&self, rule: usize) -> Option<&str> {
        self.config.jwt_rules.get(rule).map(|r| r.issuer.as_str())
    }

    /// For a request that would wait for keys while `maxWaitingRequests`
    /// others already do: 503 `busy` at once (in audit mode, passed and
    /// counted).
    pub fn busy(&mut self, req: &Request) -> Decision {
        let refusal = self.deny(Failure::Busy, req);
        self.account(req, refusal, Passed::Without)
    }

    pub fn max_waiting_requests(&self) -> usize {
        self.config.max_waiting_requests
    }

    /// Counts a decision and turns a refusal into an audit in audit mode.
    fn account(&mut self, req: &Request, decision: Decision, passed: Passed) -> Decision {
        let outcome = |result, reason| RequestOutcome {
            result,
            reason,
            rule: None,
        };
        self.outcome = match &decision {
            Decision::Deny(d) if self.config.mode == Mode::Audit => {
                Some(outcome(RequestResult::AuditDenied, d.reason.name()))
            }
            Decision::Deny(d) => Some(outcome(RequestResult::Denied, d.reason.name())),
            Decision::Audit { reason, .. } => {
                Some(outcome(RequestResult::AuditDenied, reason.name()))
            }
            Decision::Continue(_) => Some(match passed {
                Passed::Skipped => outcome(RequestResult::Skipped, "none"),
                Passed::Verified(rule) => RequestOutcome {
                    rule: Some(rule),
                    ..outcome(RequestResult::Allowed, "valid")
                },
                Passed::Without => outcome(RequestResult::Allowed, "none"),
            }),
            Decision::Wait { .. } => None,
        };
        match decision {
            Decision::Deny(d) if self.config.mode == Mode::Audit => {
                self.metrics.push(Metric::Audit(d.reason));
                let path = log_prefix(req.path_without_query(), AUDIT_LOG_PATH_BYTES);
                Decision::Audit {
                    reason: d.reason,
                    log: format!(
                        "audit: would refuse {} {}{path} with {} ({})",
                        req.method,
                        req.authority,
                        d.status,
                        d.reason.name()
                    ),
                }
            }
            Decision::Deny(d) => {
                self.metrics.push(Metric::Denied(d.reason));
                Decision::Deny(d)
            }
            other => other,
        }
    }

    /// The decision as enforce mode takes it.
    fn judge(&mut self, req: &Request, now: i64, may_wait: bool) -> (Decision, Passed) {
        let requirement = match requirement::for_request(&self.config, req) {
            Ok(r) => r,
            Err(e) => {
                return (
                    Decision::Deny(response::bad_path(e.reason())),
                    Passed::Without,
                )
            }
        };
        if requirement == Requirement::None {
            return (Decision::Continue(Vec::new()), Passed::Skipped);
        }
        if !self.required.is_empty() {
            return self.judge_all(req, requirement, now, may_wait);
        }
        let found = match extract::find(req, &self.locations) {
            Ok(Some(found)) => found,
            Ok(None) if requirement == Requirement::AllowMissing => {
                return (Decision::Continue(Vec::new()), Passed::Without);
            }
            Ok(None) => return (self.deny(Failure::Missing, req), Passed::Without),
            Err(f) => return (self.deny(f, req), Passed::Without),
        };
        match self.verify(&found, now, may_wait) {
            Ok(entry) => {
                self.metrics.push(Metric::Allowed);
                let outputs = self.outputs(req, &found, &entry);
                (Decision::Continue(outputs), Passed::Verified(entry.rule))
            }
            Err(Refusal::Fail(f)) => (self.deny(f, req), Passed::Without),
            Err(Refusal::Wait { rule }) => (Decision::Wait { rule }, Passed::Without),
        }
    }

    /// With `presence: REQUIRED` rules (Istio's `requires_all`): each such
    /// rule's token, from its own locations, must be present (unless the
    /// requirement is `allow_missing`) and valid, and be that rule's token;
    /// a token at the other rules' locations may be missing but, when
    /// present, must be valid. Every valid token writes its claim headers.
    fn judge_all(
        &mut self,
        req: &Request,
        requirement: Requirement,
        now: i64,
        may_wait: bool,
    ) -> (Decision, Passed) {
        let mut out = Vec::new();
        let mut first_rule = None;
        let mut removed = Vec::new();
        let required = Rc::clone(&self.required);
        let optional = Rc::clone(&self.optional_locations);
        let wanted = required
            .iter()
            .map(|(i, ls)| (Some(*i), ls.as_slice()))
            .chain(std::iter::once((None, &optional[..])));
        let mut refusal = None;
        for (rule, locations) in wanted {
            let found = match extract::find(req, locations) {
                Ok(Some(found)) => found,
                Ok(None) if rule.is_none() || requirement == Requirement::AllowMissing => continue,
                Ok(None) => {
                    refusal = Some(Refusal::Fail(Failure::Missing));
                    break;
                }
                Err(f) => {
                    refusal = Some(Refusal::Fail(f));
                    break;
                }
            };
            match self.verify(&found, now, may_wait) {
                Ok(entry) if rule.is_some_and(|i| i != entry.rule) => {
                    refusal = Some(Refusal::Fail(Failure::Issuer));
                    break;
                }
                Ok(entry) => {
                    first_rule = first_rule.or(Some(entry.rule));
                    let outputs = self.outputs(req, &found, &entry);
                    if outputs.iter().any(|m| matches!(m, Mutation::Remove(_))) {
                        removed.push(found.location);
                    }
                    out.extend(
                        outputs
                            .into_iter()
                            .filter(|m| !matches!(m, Mutation::Remove(_))),
                    );
                }
                Err(r) => {
                    refusal = Some(r);
                    break;
                }
            }
        }
        match refusal {
            Some(Refusal::Fail(f)) => (self.deny(f, req), Passed::Without),
            Some(Refusal::Wait { rule }) => (Decision::Wait { rule }, Passed::Without),
            None => {
                if first_rule.is_some() {
                    self.metrics.push(Metric::Allowed);
                }
                let removed: Vec<&Location> = removed.iter().collect();
                let removals = extract::removals(req, &removed);
                out.extend(removals.into_iter().map(Mutation::Remove));
                let passed = first_rule.map_or(Passed::Without, Passed::Verified);
                (Decision::Continue(out), passed)
            }
        }
    }

    fn deny(&self, f: Failure, req: &Request) -> Decision {
        let scheme = if req.scheme.is_empty() {
            "http"
        } else {
            &req.scheme
        };
        let realm = format!("{scheme}://{}{}", req.authority, req.path_without_query());
        Decision::Deny(response::deny(f, &realm))
    }

    fn rule(&self, i: usize) -> Result<&JwtRule, Failure> {
        self.config.jwt_rules.get(i).ok_or(Failure::Issuer)
    }

    fn verify(&mut self, found: &Found, now: i64, may_wait: bool) -> Result<Entry, Refusal> {
        // maxTokenBytes: refused before the cache sees it, so no lookup hashes an oversized token.
        if found.token.len() > self.config.max_token_bytes {
            return Err(Failure::Malformed.into());
        }
        if let Some(entry) = self.cache.get(&found.token, now) {
            let current = self.keys.get(entry.rule).map(|k| k.generation);
            if current == Some(entry.generation) {
                self.metrics.push(Metric::CacheHit);
                let rule = self.rule(entry.rule)?;
                if !rule.locations.contains(&found.location) {
                    return Err(Failure::Issuer.into());
                }
                verify::check_times(entry.times, rule, now)?;
                return Ok(entry);
            }
            self.cache.remove(&found.token);
        }
        self.metrics.push(Metric::CacheMiss);
        let parsed = verify::parse_remembering(&found.token, &mut self.header_memo)?;
        let index = self
            .config
            .jwt_rules
            .iter()
            .position(|r| Some(&r.issuer) == parsed.issuer.as_ref())
            .ok_or(Failure::Issuer)?;
        let rule = self.rule(index)?;
        if !rule.locations.contains(&found.location) {
            return Err(Failure::Issuer.into());
        }
        let skew = i64::try_from(rule.clock_skew_seconds).unwrap_or(i64::MAX);
        let rk = self.keys.get_mut(index).ok_or(Failure::Issuer)?;
        let Some(set) = &rk.set else {
            let wait = may_wait && rk.remote.as_mut().is_some_and(|r| r.wait_for_first(now));
            return Err(if wait {
                Refusal::Wait { rule: index }
            } else {
                Refusal::Fail(Failure::JwksUnavailable)
            });
        };
        // A kid no key carries, and no kid-less key verifies: refetch.
        if let Err(failure) = verify::signature_via(&self.backend, &parsed, set) {
            if verify::kid_unknown(&parsed, set)
                && may_wait
                && rk.remote.as_mut().is_some_and(|r| r.wait_for_kid(now))
            {
                return Err(Refusal::Wait { rule: index });
            }
            return Err(failure.into());
        }
        let generation = rk.generation;
        let rule = self.rule(index)?;
        let times = verify::times(&parsed.claims)?;
        verify::check_times(times, rule, now)?;
        verify::check_audience(&parsed.claims, rule)?;
        let entry = Entry {
            rule: index,
            generation,
            token: Rc::from(found.token.as_str()),
            claims: Rc::new(parsed.claims),
            times,
            valid_until: times.exp.map(|e| e.saturating_add(skew)),
        };
        self.cache.put(entry.clone());
        Ok(entry)
    }

    fn outputs(&self, req: &Request, found: &Found, entry: &Entry) -> Vec<Mutation> {
        let mut out = Vec::new();
        let Some(rule) = self.config.jwt_rules.get(entry.rule) else {
            return out;
        };
        for ch in &rule.output_claim_to_headers {
            let split = ch.space_delimited;
            if let Some(v) = crate::claims::header_value(&entry.claims, &ch.path, split) {
                out.push(Mutation::SetHeader(ch.header.clone(), v));
            }
        }
        if let Some(h) = &rule.output_payload_to_header {
            out.push(Mutation::SetHeader(
                h.clone(),
                entry.payload_b64().to_string(),
            ));
        }
        if !rule.forward_original_token {
            out.push(Mutation::Remove(extract::removal(req, &found.location)));
        }
        out
    }

    pub fn cached_tokens(&self) -> usize {
        self.cache.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_prefix_cuts_at_a_character_boundary() {
        assert_eq!(log_prefix("/abc", 200), "/abc");
        assert_eq!(log_prefix("/abc", 2), "/a");
        // 'é' is two bytes: a cut inside it keeps the byte before.
        assert_eq!(log_prefix("/é", 2), "/");
        assert_eq!(log_prefix("/é", 3), "/é");
        assert_eq!(log_prefix("", 0), "");
    }
}
