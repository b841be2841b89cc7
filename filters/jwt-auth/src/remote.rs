//! When a remote JWKS is fetched: at start, every `jwksCacheSeconds`, after a
//! failure (sooner while no keys were ever fetched), and for an unknown `kid`
//! at most once per 30 s. Plain state; the glue does the HTTP call.

use crate::config::RemoteJwks;

/// At most one unknown-kid refetch per rule in this many seconds.
pub const KID_REFETCH_SECONDS: i64 = 30;
/// Retry delay while no keys were ever fetched.
pub const RETRY_WITHOUT_KEYS_SECONDS: i64 = 5;
/// Retry delay after a failed refresh while the last good keys are used.
pub const RETRY_WITH_KEYS_SECONDS: i64 = 30;

#[derive(Debug, Clone)]
pub struct Remote {
    pub spec: RemoteJwks,
    pub in_flight: bool,
    /// A discovery document just named the JWKS: its first fetch is wanted
    /// and requests waiting for keys keep waiting for it.
    pub just_discovered: bool,
    /// A waiting request asked for a fetch; the next tick starts it.
    wanted: bool,
    next_fetch: i64,
    last_kid_refetch: Option<i64>,
    last_failure: Option<i64>,
}

impl Remote {
    pub fn new(spec: RemoteJwks, now: i64) -> Self {
        Remote {
            spec,
            in_flight: false,
            just_discovered: false,
            wanted: false,
            next_fetch: now,
            last_kid_refetch: None,
            last_failure: None,
        }
    }

    /// Whether a scheduled fetch should start now.
    pub fn due(&self, now: i64) -> bool {
        !self.in_flight && (self.wanted || now >= self.next_fetch)
    }

    pub fn start(&mut self) {
        self.in_flight = true;
        self.wanted = false;
        self.just_discovered = false;
    }

    /// Whether the JWKS URI is still to be discovered.
    pub fn discovering(&self) -> bool {
        self.spec.discovery.is_some() && self.spec.path.is_empty()
    }

    /// The discovery document named the JWKS: fetch it on the next tick.
    pub fn discovered(&mut self, uri: String, authority: String, path: String) {
        self.spec.uri = uri;
        self.spec.authority = authority;
        self.spec.path = path;
        self.in_flight = false;
        self.wanted = true;
        self.just_discovered = true;
    }

    pub fn succeeded(&mut self, now: i64) {
        self.in_flight = false;
        self.last_failure = None;
        let period = i64::try_from(self.spec.cache_seconds).unwrap_or(i64::MAX);
        self.next_fetch = now.saturating_add(period);
    }

    pub fn failed(&mut self, now: i64, have_keys: bool) {
        self.in_flight = false;
        self.last_failure = Some(now);
        let period = i64::try_from(self.spec.cache_seconds).unwrap_or(i64::MAX);
        let retry = if have_keys {
            RETRY_WITH_KEYS_SECONDS.min(period)
        } else {
            RETRY_WITHOUT_KEYS_SECONDS
        };
        self.next_fetch = now.saturating_add(retry);
    }

    /// No keys yet: may a request wait for them? `true` = wait (for the
    /// fetch in flight or one the next tick starts), `false` = a fetch just
    /// failed, answer now.
    pub fn wait_for_first(&mut self, now: i64) -> bool {
        if self.in_flight || self.wanted {
            return true;
        }
        if self
            .last_failure
            .is_some_and(|t| now < t + RETRY_WITHOUT_KEYS_SECONDS)
        {
            return false;
        }
        self.wanted = true;
        true
    }

    /// Unknown kid: may a request wait for a refetch? Same answers as
    /// `wait_for_first`; a new fetch at most once per `KID_REFETCH_SECONDS`.
    pub fn wait_for_kid(&mut self, now: i64) -> bool {
        if self.in_flight || self.wanted {
            return true;
        }
        if self
            .last_kid_refetch
            .is_some_and(|t| now < t + KID_REFETCH_SECONDS)
        {
            return false;
        }
        self.last_kid_refetch = Some(now);
        self.wanted = true;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote() -> Remote {
        Remote::new(
            RemoteJwks {
                uri: "http://j/keys".into(),
                cluster: "c".into(),
                authority: "j".into(),
                path: "/keys".into(),
                cache_seconds: 600,
                timeout_ms: 5_000,
                discovery: None,
            },
            1000,
        )
    }

    #[test]
    fn fetches_at_start_then_every_period() {
        let mut r = remote();
        assert!(r.due(1000));
        r.start();
        assert!(!r.due(1000));
        r.succeeded(1001);
        assert!(!r.due(1600));
        assert!(r.due(1601));
    }

    #[test]
    fn failures_retry_sooner_without_keys() {
        let mut r = remote();
        r.start();
        r.failed(1000, false);
        assert!(!r.due(1004));
        assert!(r.due(1005));
        r.start();
        r.failed(2000, true);
        assert!(!r.due(2029));
        assert!(r.due(2030));
    }

    #[test]
    fn waiting_for_first_keys() {
        let mut r = remote();
        r.start();
        assert!(r.wait_for_first(1000));
        r.failed(1001, false);
        assert!(!r.wait_for_first(1002));
        assert!(!r.due(1002));
        assert!(r.wait_for_first(1006));
        assert!(r.due(1006));
        r.start();
        assert!(!r.due(1006));
    }

    #[test]
    fn unknown_kid_refetch_at_most_once_per_30s() {
        let mut r = remote();
        r.succeeded(1000);
        assert!(!r.due(1010));
        assert!(r.wait_for_kid(1010));
        assert!(r.due(1010), "the next tick fetches");
        assert!(r.wait_for_kid(1010));
        r.start();
        r.succeeded(1011);
        assert!(!r.wait_for_kid(1020));
        assert!(!r.wait_for_kid(1039));
        assert!(r.wait_for_kid(1040));
    }
}
