//! How verified tokens are remembered: a bounded LRU per VM, keyed by the
//! token itself, holding the verified claims. A lookup hashes the token with
//! std's SipHash under a per-VM random key and then compares it whole, so a
//! hash collision can only miss, never return another token's entry. (It was
//! keyed by the token's SHA-256 before: that hash was about 40 % of a cache
//! hit's work.) Only verified tokens get in, each at most `maxTokenBytes`;
//! the key and the entry share one copy of the token. An entry is dropped
//! once its token has expired. The cache is bounded twice: by entries and by
//! bytes (`Entry::cost`, an estimate of what an entry holds), least recently
//! used first.

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
    /// What the entry holds, estimated: the token, the parsed claims (each
    /// JSON value's 32-byte slot, strings and keys with a 24-byte header) and
    /// a fixed 128 bytes of LRU bookkeeping.
    pub fn cost(&self) -> usize {
        fn value(v: &Value) -> usize {
            32 + match v {
                Value::String(s) => 24 + s.len(),
                Value::Array(a) => a.iter().map(value).sum(),
                Value::Object(m) => object(m),
                _ => 0,
            }
        }
        fn object(m: &Map<String, Value>) -> usize {
            m.iter().map(|(k, v)| 24 + k.len() + value(v)).sum()
        }
        128 + self.token.len() + object(&self.claims)
    }

    /// The payload segment as sent (base64url), for `outputPayloadToHeader`.
    pub fn payload_b64(&self) -> &str {
        self.token.split('.').nth(1).unwrap_or_default()
    }
}

pub struct TokenCache {
    lru: Option<LruCache<Rc<str>, Entry>>,
    max_bytes: usize,
    /// Sum of `Entry::cost` over the entries held.
    bytes: usize,
}

impl TokenCache {
    /// `max_entries` or `max_bytes` 0 disables the cache.
    pub fn new(max_entries: usize, max_bytes: usize) -> Self {
        TokenCache {
            lru: NonZeroUsize::new(max_entries)
                .filter(|_| max_bytes > 0)
                .map(LruCache::new),
            max_bytes,
            bytes: 0,
        }
    }

    /// Bytes held, by `Entry::cost`.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn get(&mut self, token: &str, now: i64) -> Option<Entry> {
        let lru = self.lru.as_mut()?;
        let entry = lru.get(token)?;
        if entry.valid_until.is_some_and(|t| now > t) {
            self.remove(token);
            return None;
        }
        Some(entry.clone())
    }

    /// Adds an entry, dropping the least recently used ones until it fits
    /// both bounds; an entry larger than `max_bytes` alone is not kept.
    pub fn put(&mut self, entry: Entry) {
        let Some(lru) = self.lru.as_mut() else {
            return;
        };
        let cost = entry.cost();
        if cost > self.max_bytes {
            return;
        }
        if let Some(old) = lru.pop(&*entry.token) {
            self.bytes = self.bytes.saturating_sub(old.cost());
        }
        while self.bytes + cost > self.max_bytes {
            let Some((_, old)) = lru.pop_lru() else {
                break;
            };
            self.bytes = self.bytes.saturating_sub(old.cost());
        }
        if let Some((_, evicted)) = lru.push(Rc::clone(&entry.token), entry) {
            self.bytes = self.bytes.saturating_sub(evicted.cost());
        }
        self.bytes += cost;
    }

    pub fn remove(&mut self, token: &str) {
        if let Some(old) = self.lru.as_mut().and_then(|lru| lru.pop(token)) {
            self.bytes = self.bytes.saturating_sub(old.cost());
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
        let mut c = TokenCache::new(2, 1 << 20);
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
        let mut c = TokenCache::new(10, 1 << 20);
        c.put(entry("a", Some(100)));
        assert!(c.get("a", 100).is_some());
        assert!(c.get("a", 101).is_none());
        assert_eq!(c.len(), 0);
    }

    #[test]
    fn only_the_same_token_hits() {
        let mut c = TokenCache::new(10, 1 << 20);
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
        for (entries, bytes) in [(0, 1 << 20), (10, 0)] {
            let mut c = TokenCache::new(entries, bytes);
            c.put(entry("a", None));
            assert!(c.get("a", 0).is_none());
            assert!(c.is_empty());
        }
    }

    /// Issue 15: 8 KiB tokens cannot hold more than `maxBytes`, whatever `maxEntries` allows.
    #[test]
    fn bounded_by_bytes_least_recently_used_first() {
        let token = |c: char| c.to_string().repeat(8192);
        let cost = entry(&token('a'), None).cost();
        let mut c = TokenCache::new(1000, 3 * cost);
        for ch in ['a', 'b', 'c'] {
            c.put(entry(&token(ch), None));
        }
        assert_eq!((c.len(), c.bytes()), (3, 3 * cost));
        assert!(c.get(&token('a'), 0).is_some());
        c.put(entry(&token('d'), None));
        assert_eq!((c.len(), c.bytes()), (3, 3 * cost));
        assert!(c.get(&token('b'), 0).is_none(), "least recently used went");
        assert!(c.get(&token('a'), 0).is_some());
        // The same token again replaces its entry without counting it twice.
        c.put(entry(&token('d'), None));
        assert_eq!(c.bytes(), 3 * cost);
        c.remove(&token('d'));
        assert_eq!((c.len(), c.bytes()), (2, 2 * cost));
        // Larger than the whole budget: not kept, nothing else dropped.
        c.put(entry(&"z".repeat(4 * cost), None));
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn claims_count_in_the_cost() {
        let mut claims = Map::new();
        claims.insert("groups".into(), Value::from(vec!["g".repeat(1000); 10]));
        let mut e = entry("t", None);
        let bare = e.cost();
        e.claims = Rc::new(claims);
        assert!(e.cost() >= bare + 10_000, "{} vs {bare}", e.cost());
    }
}
