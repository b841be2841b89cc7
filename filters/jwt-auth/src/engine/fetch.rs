//! The remote key sources the glue drives: which fetch is due, where it
//! goes, and what a fetched JWKS or discovery document changes.

use super::*;

impl Engine {
    /// Remote rules whose scheduled fetch is due; each is marked in flight.
    pub fn due_fetches(&mut self, now: i64) -> Vec<usize> {
        let mut due = Vec::new();
        for (i, k) in self.keys.iter_mut().enumerate() {
            if let Some(r) = k.remote.as_mut().filter(|r| r.due(now)) {
                r.start();
                due.push(i);
            }
        }
        due
    }

    /// (cluster, authority, path) of rule `i`'s JWKS, or of its OpenID
    /// Connect discovery document while the JWKS URI is not known.
    pub fn fetch_target(&self, i: usize) -> Option<(&str, &str, &str)> {
        let r = self.keys.get(i)?.remote.as_ref()?;
        match &r.spec.discovery {
            Some(d) if r.discovering() => Some((&d.cluster, &d.authority, &d.path)),
            _ => Some((&r.spec.cluster, &r.spec.authority, &r.spec.path)),
        }
    }

    /// A discovery document just named rule `i`'s JWKS: requests waiting
    /// for its keys keep waiting for the JWKS fetch.
    pub fn keys_pending(&self, i: usize) -> bool {
        self.keys
            .get(i)
            .and_then(|k| k.remote.as_ref())
            .is_some_and(|r| r.just_discovered)
    }

    /// Rule `i`'s discovery document arrived (or not): its `jwks_uri` is
    /// used only when it passes `discovery::jwks_target`; else the reason
    /// is logged, counted, and discovery retried like a failed fetch.
    fn discovery_done(&mut self, i: usize, now: i64, result: Result<&[u8], String>) -> Logs {
        let issuer = self.rule(i).map(|r| r.issuer.clone()).unwrap_or_default();
        let max = self.config.max_jwks_bytes;
        let Some(remote) = self.keys.get_mut(i).and_then(|k| k.remote.as_mut()) else {
            return Logs::new();
        };
        let from = remote
            .spec
            .discovery
            .as_ref()
            .map(|d| format!("http://{}{}", d.authority, d.path))
            .unwrap_or_default();
        match result.and_then(|body| crate::discovery::jwks_target(body, &issuer, max)) {
            Ok((uri, authority, path)) => {
                let line = format!("jwtRules[{i}] {issuer}: OpenID Connect discovery names {uri}");
                remote.discovered(uri, authority, path);
                vec![(false, line)]
            }
            Err(why) => {
                remote.failed(now, false);
                self.metrics.push(Metric::DiscoveryFailure);
                vec![(
                    true,
                    format!(
                        "jwtRules[{i}] {issuer}: OpenID Connect discovery document from {from} refused, its keys not used: {why}"
                    ),
                )]
            }
        }
    }

    /// How long one fetch of rule `i`'s JWKS may take (`timeout`), in ms.
    pub fn fetch_timeout_ms(&self, i: usize) -> u64 {
        self.keys
            .get(i)
            .and_then(|k| k.remote.as_ref())
            .map_or(crate::config::DEFAULT_FETCH_TIMEOUT_MS, |r| {
                r.spec.timeout_ms
            })
    }

    /// A fetch of rule `i`'s JWKS ended: `Ok(body)` of a 200, or why not.
    /// A failed or malformed answer keeps the last good keys.
    pub fn fetch_done(&mut self, i: usize, now: i64, result: Result<&[u8], String>) -> Logs {
        let discovering = self
            .keys
            .get(i)
            .and_then(|k| k.remote.as_ref())
            .is_some_and(Remote::discovering);
        if discovering {
            return self.discovery_done(i, now, result);
        }
        let mut logs = Logs::new();
        let issuer = self.rule(i).map(|r| r.issuer.clone()).unwrap_or_default();
        let Some(rk) = self.keys.get_mut(i) else {
            return logs;
        };
        let Some(remote) = rk.remote.as_mut() else {
            return logs;
        };
        let uri = remote.spec.uri.clone();
        let last = rk.last_doc;
        let max = self.config.max_jwks_bytes;
        let backend = self.backend;
        let outcome = result.and_then(|body| {
            if body.len() > max {
                return Err(format!(
                    "JWKS of {} bytes is over maxJwksBytes ({max})",
                    body.len()
                ));
            }
            let digest: [u8; 32] = Sha256::digest(body).into();
            // Unchanged: keep the parsed keys (building EC tables takes ms).
            if last == Some(digest) {
                return Ok(None);
            }
            let (mut set, problems) = jwks::parse(body);
            backend.keep_verifiable(&mut set);
            for p in &problems {
                logs.push((true, format!("JWKS {uri} for {issuer}: {p}")));
            }
            if let Some(line) = set.skipped_line() {
                logs.push((false, format!("JWKS {uri} for {issuer}: {line}")));
            }
            if set.keys.is_empty() {
                Err("no usable key".to_string())
            } else {
                Ok(Some((set, digest)))
            }
        });
        match outcome {
            Ok(None) => {
                remote.succeeded(now);
                self.metrics.push(Metric::JwksFetchSuccess);
            }
            Ok(Some((set, digest))) => {
                remote.succeeded(now);
                let first = rk.set.is_none();
                logs.push((
                    false,
                    format!(
                        "JWKS {uri} for {issuer}: {} {} key(s)",
                        if first { "loaded" } else { "updated to" },
                        set.keys.len()
                    ),
                ));
                rk.set = Some(set);
                rk.last_doc = Some(digest);
                rk.generation += 1;
                self.metrics.push(Metric::JwksFetchSuccess);
            }
            Err(why) => {
                remote.failed(now, rk.set.is_some());
                let kept = if rk.set.is_some() {
                    "keeping the last good keys"
                } else {
                    "no keys yet"
                };
                logs.push((
                    true,
                    format!("JWKS {uri} for {issuer} failed: {why}; {kept}"),
                ));
                self.metrics.push(Metric::JwksFetchFailure);
            }
        }
        logs
    }
}
