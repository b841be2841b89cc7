//! Strings found by hash along a path: FNV-1a fed one byte at a time, so
//! every cut of a path is hashed in one pass, and the hasher that spreads it.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// FNV-1a, fed one byte at a time, so the hash of every cut of a path comes
/// out of one pass instead of rehashing each cut.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv(pub(crate) u64);

impl Fnv {
    pub(crate) fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    pub(crate) fn push(self, b: u8) -> Self {
        Fnv((self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
    }

    pub(crate) fn of(bytes: &[u8]) -> u64 {
        bytes.iter().fold(Fnv::new(), |h, &b| h.push(b)).0
    }
}

type Entry<V> = (Box<str>, V);

/// Strings found by their `Fnv` hash. Keys come from the configuration;
/// a client only probes, so a fixed hash gives it nothing to flood.
#[derive(Debug)]
pub(crate) struct Index<V> {
    /// Keys of one hash: almost always one.
    map: HashMap<u64, Vec<Entry<V>>, BuildHasherDefault<Mix>>,
    pub(crate) len: usize,
    /// Bit `n % 64` is set when a key of length `n` exists: most cuts of a
    /// path are skipped without a probe.
    lengths: u64,
}

impl<V> Default for Index<V> {
    fn default() -> Self {
        Index {
            map: HashMap::default(),
            len: 0,
            lengths: 0,
        }
    }
}

impl<V: Default> Index<V> {
    /// Changes the value of `key`, starting from `V::default()`.
    pub(crate) fn update(&mut self, key: &str, change: impl FnOnce(&mut V)) {
        let slot = self.map.entry(Fnv::of(key.as_bytes())).or_default();
        match slot.iter_mut().find(|(k, _)| **k == *key) {
            Some((_, v)) => change(v),
            None => {
                let mut v = V::default();
                change(&mut v);
                slot.push((key.into(), v));
                self.len += 1;
                self.lengths |= length_bit(key);
            }
        }
    }
}

impl<V> Index<V> {
    /// `hash` is `Fnv::of(key)`, computed by the caller along the path.
    pub(crate) fn get(&self, hash: u64, key: &str) -> Option<&V> {
        if self.lengths & length_bit(key) == 0 {
            return None;
        }
        self.map
            .get(&hash)?
            .iter()
            .find(|(k, _)| **k == *key)
            .map(|(_, v)| v)
    }
}

fn length_bit(key: &str) -> u64 {
    1 << (key.len() % 64)
}

/// Spreads an FNV hash over all 64 bits (hashbrown takes the top 7 bits as
/// a tag) with the SplitMix64 finisher. Also the virtual hosts' hasher
/// (`hosts.rs`): keys come from the configuration, clients only probe.
#[derive(Default)]
pub(crate) struct Mix(u64);

impl Hasher for Mix {
    fn write(&mut self, bytes: &[u8]) {
        self.0 = bytes.iter().fold(Fnv(self.0), |h, &b| h.push(b)).0;
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn finish(&self) -> u64 {
        let h = (self.0 ^ (self.0 >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        let h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        h ^ (h >> 31)
    }
}
