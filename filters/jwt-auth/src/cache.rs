//! How verified tokens are remembered: a bounded LRU per VM, keyed by the
//! SHA-256 of the token (so memory does not grow with token size), holding
//! the verified claims. An entry is dropped once its token has expired.

use crate::verify::Times;
use lru::LruCache;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::num::NonZeroUsize;
use std::rc::Rc;

#[derive(Debug, Clone)]
pub struct Entry {
    pub rule: usize,
    /// The rule's key generation when verified; a key change invalidates.
    pub generation: u64,
    pub claims: Rc<Map<String, Value>>,
    pub payload_b64: Rc<str>,
    pub times: Times,
    /// Last second the token can be valid (exp + skew), if it expires.
    pub valid_until: Option<i64>,
}

pub struct TokenCache {
    lru: Option<LruCache<[u8; 32], Entry>>,
}

pub type Key = [u8; 32];

pub fn key(token: &str) -> Key {
    Sha256::digest(token.as_bytes()).into()
}

impl TokenCache {
    /// `max_entries` 0 disables the cache.
    pub fn new(max_entries: usize) -> Self {
        TokenCache {
            lru: NonZeroUsize::new(max_entries).map(LruCache::new),
        }
    }

    pub fn get(&mut self, key: &Key, now: i64) -> Option<Entry> {
        let lru = self.lru.as_mut()?;
        let entry = lru.get(key)?;
        if entry.valid_until.is_some_and(|t| now > t) {
            lru.pop(key);
            return None;
        }
        Some(entry.clone())
    }

    pub fn put(&mut self, key: Key, entry: Entry) {
        if let Some(lru) = self.lru.as_mut() {
            lru.put(key, entry);
        }
    }

    pub fn remove(&mut self, key: &Key) {
        if let Some(lru) = self.lru.as_mut() {
            lru.pop(key);
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

    fn entry(valid_until: Option<i64>) -> Entry {
        Entry {
            rule: 0,
            generation: 0,
            claims: Rc::new(Map::new()),
            payload_b64: Rc::from("e30"),
            times: Times::default(),
            valid_until,
        }
    }

    #[test]
    fn bounded_least_recently_used_first() {
        let mut c = TokenCache::new(2);
        c.put(key("a"), entry(None));
        c.put(key("b"), entry(None));
        assert!(c.get(&key("a"), 0).is_some());
        c.put(key("c"), entry(None));
        assert_eq!(c.len(), 2);
        assert!(c.get(&key("b"), 0).is_none());
        assert!(c.get(&key("a"), 0).is_some());
        assert!(c.get(&key("c"), 0).is_some());
    }

    #[test]
    fn entry_never_outlives_the_token() {
        let mut c = TokenCache::new(10);
        c.put(key("a"), entry(Some(100)));
        assert!(c.get(&key("a"), 100).is_some());
        assert!(c.get(&key("a"), 101).is_none());
        assert_eq!(c.len(), 0);
    }

    #[test]
    fn zero_disables() {
        let mut c = TokenCache::new(0);
        c.put(key("a"), entry(None));
        assert!(c.get(&key("a"), 0).is_none());
        assert!(c.is_empty());
    }
}
