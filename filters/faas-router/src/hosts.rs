//! Which `virtualHosts` table a request's authority selects. Hosts are
//! matched with `filters_common::host_match` (port removed, case ignored);
//! an exact name beats a wildcard, a longer wildcard beats a shorter one (as
//! Envoy picks among virtual-host domains). Exact names are one hash probe;
//! the few wildcards are scanned longest first.

use crate::prefix_index::Mix;
use filters_common::host_match::{request_host, HostPattern};
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// Hosts of every virtual host, pointing at its index in `virtualHosts`.
#[derive(Debug, Clone, Default)]
pub struct HostIndex {
    /// FNV + SplitMix (`table::Mix`): a host probe costs far less than
    /// std's SipHash in wasm.
    exact: HashMap<String, usize, BuildHasherDefault<Mix>>,
    /// Suffix wildcards (`*.alpha.example.com`), longest suffix first.
    wildcards: Vec<(String, usize)>,
}

impl HostIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a parsed pattern. Returns the virtual host already holding the
    /// same pattern, if any (the pattern is then not added).
    /// `Any` and prefix wildcards are refused by the configuration before.
    pub fn add(&mut self, pattern: &HostPattern, vhost: usize) -> Option<usize> {
        match pattern {
            HostPattern::Exact(name) => {
                if let Some(&first) = self.exact.get(name) {
                    return Some(first);
                }
                self.exact.insert(name.clone(), vhost);
            }
            HostPattern::Suffix(suffix) => {
                // The request's trailing dot is dropped: drop the pattern's too.
                let suffix = suffix.strip_suffix('.').unwrap_or(suffix);
                if let Some(&(_, first)) = self.wildcards.iter().find(|(s, _)| s == suffix) {
                    return Some(first);
                }
                let at = self
                    .wildcards
                    .iter()
                    .position(|(s, _)| s.len() < suffix.len())
                    .unwrap_or(self.wildcards.len());
                self.wildcards.insert(at, (suffix.to_string(), vhost));
            }
            HostPattern::Any | HostPattern::Prefix(_) => {}
        }
        None
    }

    pub fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.wildcards.is_empty()
    }

    /// The virtual host serving `authority` (as received: port and case are
    /// handled here), or `None` for the top-level routes.
    pub fn find(&self, authority: &str) -> Option<usize> {
        if self.is_empty() {
            return None;
        }
        let host = request_host(authority);
        if let Some(&v) = self.exact.get(host.as_ref()) {
            return Some(v);
        }
        self.wildcards
            .iter()
            .find(|(suffix, _)| host.len() > suffix.len() && host.ends_with(suffix.as_str()))
            .map(|&(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(hosts: &[(&str, usize)]) -> HostIndex {
        let mut i = HostIndex::new();
        for (h, v) in hosts {
            assert_eq!(i.add(&HostPattern::parse(h).unwrap(), *v), None, "{h}");
        }
        i
    }

    #[test]
    fn exact_then_longest_wildcard() {
        let i = index(&[
            ("faas-alpha-ksvc-gateway.kfaas-system.svc.cluster.local", 0),
            ("*.example.com", 1),
            ("*.alpha.example.com", 2),
            ("api.alpha.example.com", 3),
        ]);
        assert_eq!(
            i.find("FAAS-alpha-ksvc-gateway.kfaas-system.svc.cluster.local:8080"),
            Some(0)
        );
        assert_eq!(i.find("x.example.com"), Some(1));
        assert_eq!(i.find("x.alpha.example.com"), Some(2));
        assert_eq!(i.find("a.b.alpha.example.com."), Some(2));
        let mut dotted = HostIndex::new();
        dotted.add(&HostPattern::parse("*.dot.example.").unwrap(), 7);
        assert_eq!(dotted.find("a.dot.example"), Some(7));
        assert_eq!(dotted.find("a.dot.example.:80"), Some(7));
        assert_eq!(i.find("api.alpha.example.com:443"), Some(3));
        assert_eq!(i.find("alpha.example.com"), Some(1));
        assert_eq!(i.find("example.com"), None);
        assert_eq!(i.find("other"), None);
        assert_eq!(i.find(""), None);
    }

    #[test]
    fn the_same_host_twice_names_the_first_holder() {
        let mut i = index(&[("a.example.com", 0), ("*.example.com", 1)]);
        let again = |p: &str| HostPattern::parse(p).unwrap();
        assert_eq!(i.add(&again("A.example.com."), 2), Some(0));
        assert_eq!(i.add(&again("*.EXAMPLE.com"), 3), Some(1));
        assert_eq!(i.add(&again("*.example.com."), 4), Some(1));
        assert_eq!(i.find("a.example.com"), Some(0));
    }
}
