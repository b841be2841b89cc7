//! The correlation table (trace id → lane) in proxy-wasm shared data, which
//! the inbound and outbound filter instances of one Envoy both see.
//!
//! Memory is bounded by construction: `maxEntries` entries live in
//! `maxEntries / WAYS` fixed buckets, one shared-data key each
//! (`grey-chain/t/<n>`). A trace id hashes to one bucket; a bucket holds at
//! most `WAYS` entries `<fingerprint>,<expiry>,<lane>` joined by `;`, the
//! fingerprint being a 64-bit hash of the trace id under another salt (so the
//! id, client-chosen and up to 128 bytes, is never stored). A full bucket
//! replaces an expired entry first, else the live entry closest to expiry
//! (evicted). Updates use the bucket's CAS so concurrent workers never lose
//! each other's entries. Shared data cannot be deleted in ABI 0.2.1: keys are
//! only ever overwritten, so the key count never exceeds the bucket count.

use filters_common::stable_hash::{stable_bucket, stable_hash};

/// Entries per bucket: a trace is lost to a collision only when `WAYS` other
/// live traces share its bucket.
pub const WAYS: u32 = 4;
const ATTEMPTS: usize = 4;
pub const ENTRIES_KEY: &str = "grey-chain/entries";

/// Shared data as the table needs it.
pub trait Store {
    /// The value and its CAS token; `None` when the key was never set.
    fn get(&self, key: &str) -> Option<(Vec<u8>, u32)>;
    /// Sets `value` if the key's CAS token is still `cas` (0: unconditionally).
    /// `false` when another writer came first.
    fn set(&mut self, key: &str, value: &[u8], cas: u32) -> bool;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Hit(String),
    /// The trace was recorded but its entry expired: it is not applied.
    Expired,
    Miss,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recorded {
    pub written: bool,
    /// A never-used slot was filled: the table grew by one entry.
    pub new_entry: bool,
    pub replaced_expired: bool,
    pub evicted: bool,
    /// The table's size after this write, when it grew.
    pub entries: Option<u64>,
}

/// One entry, borrowed from the bucket's bytes (or the lane being recorded):
/// a lookup allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry<'a> {
    fp: u64,
    expiry: u64,
    lane: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Table {
    ways: u32,
    buckets: u32,
    ttl: u64,
}

impl Table {
    pub fn new(max_entries: u32, ttl_seconds: u64) -> Self {
        let ways = WAYS.min(max_entries.max(1));
        Table {
            ways,
            buckets: (max_entries / ways).max(1),
            ttl: ttl_seconds,
        }
    }

    /// Entries the table can hold (≤ `maxEntries`).
    pub fn capacity(&self) -> u64 {
        u64::from(self.ways) * u64::from(self.buckets)
    }

    pub fn buckets(&self) -> u32 {
        self.buckets
    }

    pub fn bucket_key(bucket: u32) -> String {
        let mut key = b"grey-chain/t/".to_vec();
        push_decimal(&mut key, u64::from(bucket));
        String::from_utf8(key).unwrap_or_default()
    }

    fn locate(&self, trace_id: &str) -> (String, u64) {
        let bucket = stable_bucket("grey-chain/bucket", trace_id.as_bytes(), self.buckets);
        (
            Self::bucket_key(bucket),
            stable_hash("grey-chain/fp", trace_id.as_bytes()),
        )
    }

    pub fn lookup(&self, store: &dyn Store, trace_id: &str, now: u64) -> Lookup {
        self.lookup_at(store, trace_id, || now)
    }

    /// `lookup`, asking for the time only when the trace has an entry (a miss,
    /// the common case, then costs one host call less).
    pub fn lookup_at(
        &self,
        store: &dyn Store,
        trace_id: &str,
        now: impl FnOnce() -> u64,
    ) -> Lookup {
        let (key, fp) = self.locate(trace_id);
        let Some((value, _)) = store.get(&key) else {
            return Lookup::Miss;
        };
        let entry = find(&value, fp);
        match entry {
            Some(e) if e.expiry > now() => Lookup::Hit(e.lane.to_string()),
            Some(_) => Lookup::Expired,
            None => Lookup::Miss,
        }
    }

    /// Remembers `trace_id → lane` until `now + ttl`. A fresh identical entry
    /// (more than half its TTL left) is not rewritten.
    pub fn record(&self, store: &mut dyn Store, trace_id: &str, lane: &str, now: u64) -> Recorded {
        let (key, fp) = self.locate(trace_id);
        let expiry = now.saturating_add(self.ttl);
        for _ in 0..ATTEMPTS {
            let (value, cas) = store.get(&key).unwrap_or_default();
            let mut entries: Vec<Entry> = decode(&value).take(self.ways as usize).collect();
            let mut out = Recorded::default();
            let fresh = Entry { fp, expiry, lane };
            if let Some(e) = entries.iter_mut().find(|e| e.fp == fp) {
                if e.lane == lane && e.expiry >= now.saturating_add(self.ttl / 2) {
                    return out;
                }
                *e = fresh;
            } else if entries.len() < self.ways as usize {
                entries.push(fresh);
                out.new_entry = true;
            } else if let Some(victim) = entries.iter_mut().min_by_key(|e| e.expiry) {
                if victim.expiry > now {
                    out.evicted = true;
                } else {
                    out.replaced_expired = true;
                }
                *victim = fresh;
            }
            if store.set(&key, &encode(&entries), cas) {
                // A first write (CAS 0) is unconditional: two workers creating
                // the same bucket at once can overwrite each other, so check
                // that ours survived and merge again if not.
                if cas == 0 && !self.holds(store, &key, fp) {
                    continue;
                }
                out.written = true;
                if out.new_entry {
                    out.entries = bump_entries(store);
                }
                return out;
            }
        }
        Recorded::default()
    }
}

impl Table {
    fn holds(&self, store: &dyn Store, key: &str, fp: u64) -> bool {
        store
            .get(key)
            .is_some_and(|(value, _)| find(&value, fp).is_some())
    }
}

/// Counts filled slots in shared data (so every worker's gauge agrees).
fn bump_entries(store: &mut dyn Store) -> Option<u64> {
    for _ in 0..ATTEMPTS {
        let (n, cas) = match store.get(ENTRIES_KEY) {
            Some((v, cas)) => (std::str::from_utf8(&v).ok()?.parse::<u64>().ok()?, cas),
            None => (0, 0),
        };
        if store.set(ENTRIES_KEY, (n + 1).to_string().as_bytes(), cas) {
            return Some(n + 1);
        }
    }
    None
}

/// The table's size as counted in shared data.
pub fn entries(store: &dyn Store) -> u64 {
    store
        .get(ENTRIES_KEY)
        .and_then(|(v, _)| std::str::from_utf8(&v).ok()?.parse().ok())
        .unwrap_or(0)
}

/// `<fp as 16 hex digits>,<expiry>,<lane>` joined by `;`, written byte by
/// byte: `format!` costs the filter thousands of wasm instructions per bucket.
fn encode(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * 40);
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            out.push(b';');
        }
        for shift in (0..16).rev() {
            let digit = (e.fp >> (shift * 4)) & 0xf;
            out.push(digit_char(digit));
        }
        out.push(b',');
        push_decimal(&mut out, e.expiry);
        out.push(b',');
        out.extend_from_slice(e.lane.as_bytes());
    }
    out
}

/// The lowercase digit of `d` (< 16).
fn digit_char(d: u64) -> u8 {
    let d = (d & 0xf) as u8;
    if d < 10 {
        b'0' + d
    } else {
        b'a' + d - 10
    }
}

fn push_decimal(out: &mut Vec<u8>, n: u64) {
    let start = out.len();
    let mut n = n;
    loop {
        out.push(digit_char(n % 10));
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if let Some(digits) = out.get_mut(start..) {
        digits.reverse();
    }
}

/// The bucket's entries; malformed ones (which only another version could
/// write) are skipped. Parsed byte by byte: `str::split` and `parse` cost the
/// filter thousands of wasm instructions per bucket.
fn decode(value: &[u8]) -> impl Iterator<Item = Entry<'_>> {
    value.split(|b| *b == b';').filter_map(entry)
}

/// The entry of fingerprint `fp`: only its fingerprint is parsed of the others.
fn find(value: &[u8], fp: u64) -> Option<Entry<'_>> {
    value
        .split(|b| *b == b';')
        .filter(|e| number(e, 16).is_some_and(|(f, _)| f == fp))
        .find_map(entry)
}

fn entry(text: &[u8]) -> Option<Entry<'_>> {
    let (fp, rest) = number(text, 16)?;
    let (expiry, lane) = number(rest, 10)?;
    let lane = std::str::from_utf8(lane).ok()?;
    Some(Entry { fp, expiry, lane })
}

/// The number (lowercase digits in `radix` 10 or 16) before the first `,`
/// of `field`, and what follows that comma. At most 16 digits: no overflow
/// to check (a checked multiply is a 128-bit one in wasm, on every digit).
fn number(field: &[u8], radix: u64) -> Option<(u64, &[u8])> {
    let mut n: u64 = 0;
    for (i, c) in field.iter().enumerate() {
        let digit = match c {
            b',' if i > 0 => return Some((n, field.get(i + 1..)?)),
            _ if i >= 16 => return None,
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' if radix == 16 => c - b'a' + 10,
            _ => return None,
        };
        n = n.wrapping_mul(radix).wrapping_add(u64::from(digit));
    }
    None
}

/// An in-memory `Store` with Envoy's CAS semantics, for the native tests.
#[cfg(test)]
#[derive(Default)]
pub struct MemStore(pub std::collections::HashMap<String, (Vec<u8>, u32)>);

#[cfg(test)]
impl Store for MemStore {
    fn get(&self, key: &str) -> Option<(Vec<u8>, u32)> {
        self.0.get(key).cloned()
    }
    fn set(&mut self, key: &str, value: &[u8], cas: u32) -> bool {
        let current = self.0.get(key).map_or(0, |(_, c)| *c);
        if cas != 0 && cas != current {
            return false;
        }
        self.0
            .insert(key.to_string(), (value.to_vec(), current + 1));
        true
    }
}

#[cfg(test)]
mod tests;
