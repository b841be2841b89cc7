//! How verified tokens are remembered: a bounded LRU per VM, keyed by the
//! token itself, holding the verified claims. A lookup hashes the token with
//! std's SipHash under a per-VM random key and then compares it whole, so a
//! hash collision can only miss, never return another token's entry. (It was
//! keyed by the token's SHA-256 before: that hash was about 40 % of a cache
//! hit's work.) Only verified tokens get in, each at most `maxTokenBytes`;
//! the key and the entry share one copy of the token. An entry is dropped
//! once its token has expired.

use crate::verify::Times;
use lru::LruCache;
use serde_json::{Map, Value};
use std::num::NonZeroUsize;
use std::rc::Rc;

#[derive(Debug, Clone)]
pub struct Entry {
    pub rule: usize,
    /// The rule's key generation when verified; a key change invalidates.
    pub generation: u64,
    pub claims: Rc<Map<String, Value>>,
    /// The token as sent; it is also the cache key (one allocation for both).
    pub token: Rc<str>,
    pub times: Times,
    /// Last second the token can be valid (exp + skew), if it expires.
    pub valid_until: Option<i64>,
}

impl Entry {
    /// The payload segment as sent (base64url), for `outputPayloadToHeader`.
    pub fn payload_b64(&self) -> &str {
        self.token.split('.').nth(1).unwrap_or_default()
    }
}

pub struct TokenCache {
    lru: Option<LruCache<Rc<str>, Entry>>,
}

impl TokenCache {
    /// `max_entries` 0 disables the cache.
    pub fn new(max_entries: usize) -> Self {
        TokenCache {
            lru: NonZeroUsize::new(max_entries).map(LruCache::new),
        }
    }

    pub fn get(&mut self, token: &str, now: i64) -> Option<Entry> {
        let lru = self.lru.as_mut()?;
        let entry = lru.get(token)?;
        if entry.valid_until.is_some_and(|t| now > t) {
            lru.pop(token);
            return None;
        }
        Some(entry.clone())
    }

    pub fn put(&mut self, entry: Entry) {
        if let Some(lru) = self.lru.as_mut() {
            lru.put(Rc::clone(&entry.token), entry);
        }
    }

    pub fn remove(&mut self, token: &str) {
        if let Some(lru) = self.lru.as_mut() {
            lru.pop(token);
        }
    }

    pub fn len(&self) -> usize {
        self.lru.as_ref().map_or(0, LruCache::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(token: &str, valid_until: Option<i64>) -> Entry {
        Entry {
            rule: 0,
            generation: 0,
            claims: Rc::new(Map::new()),
            token: Rc::from(token),
            times: Times::default(),
            valid_until,
        }
    }

    #[test]
    fn bounded_least_recently_used_first() {
        let mut c = TokenCache::new(2);
        c.put(entry("a", None));
        c.put(entry("b", None));
        assert!(c.get("a", 0).is_some());
        c.put(entry("c", None));
        assert_eq!(c.len(), 2);
        assert!(c.get("b", 0).is_none());
        assert!(c.get("a", 0).is_some());
        assert!(c.get("c", 0).is_some());
    }

    #[test]
    fn entry_never_outlives_the_token() {
        let mut c = TokenCache::new(10);
        c.put(entry("a", Some(100)));
        assert!(c.get("a", 100).is_some());
        assert!(c.get("a", 101).is_none());
        assert_eq!(c.len(), 0);
    }

    #[test]
    fn only_the_same_token_hits() {
        let mut c = TokenCache::new(10);
        c.put(entry("header.payload.sig", None));
        assert!(c.get("header.payload.sig", 0).is_some());
        assert!(c.get("header.payload.sih", 0).is_none());
        assert!(c.get("header.payload.sig.", 0).is_none());
        assert!(c.get("header.payload.si", 0).is_none());
        assert_eq!(
            c.get("header.payload.sig", 0).unwrap().payload_b64(),
            "payload"
        );
    }

    #[test]
    fn zero_disables() {
        let mut c = TokenCache::new(0);
        c.put(entry("a", None));
        assert!(c.get("a", 0).is_none());
        assert!(c.is_empty());
    }
}
