//! How a normalized path finds its route: exact beats regex beats the longest
//! prefix, whatever the order of the table.
//!
//! Every lookup costs a few hash probes per path segment, not a scan of the
//! table: prefixes can only end at a segment boundary, so the candidates are
//! the path cut at each `/`. Regexes are bucketed by the literal text they
//! must start with (cut at its last `/`), found the same way; only the
//! regexes of those buckets run.

use crate::full_match_regex::{bucket_key, BucketRegex};
use crate::prefix_index::{Fnv, Index};

pub use crate::full_match_regex::{compile_regex, CompiledRegex};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Exact,
    Prefix,
    Regex,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Exact => "exact",
            Kind::Prefix => "prefix",
            Kind::Regex => "regex",
        }
    }
}

/// The route a path matched. `ambiguous` is set when several regexes matched
/// and the one with the smallest pattern (byte order) was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub route: usize,
    pub kind: Kind,
    pub ambiguous: bool,
}

/// The compiled matching table.
#[derive(Debug, Default)]
pub struct Table {
    exact: Index<usize>,
    max_exact_len: usize,
    prefix: Index<usize>,
    max_prefix_len: usize,
    buckets: Index<Vec<(usize, BucketRegex)>>,
    /// Length and `/` count of the longest bucket key: no longer cut of a
    /// path can name a bucket, so the client's path length never sets the
    /// number of probes.
    max_bucket_len: usize,
    max_bucket_slashes: usize,
    regexes: usize,
}

impl Table {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a route; the caller has already refused duplicates.
    pub fn add_exact(&mut self, path: &str, route: usize) {
        self.max_exact_len = self.max_exact_len.max(path.len());
        self.exact.update(path, |r| *r = route);
    }

    pub fn add_prefix(&mut self, prefix: &str, route: usize) {
        self.max_prefix_len = self.max_prefix_len.max(prefix.len());
        self.prefix.update(prefix, |r| *r = route);
    }

    pub fn add_regex(&mut self, compiled: CompiledRegex, route: usize) {
        let key = bucket_key(&compiled.literal_prefix);
        self.max_bucket_len = self.max_bucket_len.max(key.len());
        self.max_bucket_slashes = self.max_bucket_slashes.max(slashes(key));
        self.buckets
            .update(key, |bucket| bucket.push((route, compiled.matcher)));
        self.regexes += 1;
    }

    pub fn len(&self) -> usize {
        self.exact.len + self.prefix.len + self.regexes
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Looks up a normalized path (no query).
    pub fn lookup(&self, path: &str) -> Option<Hit> {
        if path.len() <= self.max_exact_len {
            if let Some(&route) = self.exact.get(Fnv::of(path.as_bytes()), path) {
                return Some(Hit {
                    route,
                    kind: Kind::Exact,
                    ambiguous: false,
                });
            }
        }
        if let Some(hit) = self.lookup_regex(path) {
            return Some(hit);
        }
        self.lookup_prefix(path).map(|route| Hit {
            route,
            kind: Kind::Prefix,
            ambiguous: false,
        })
    }

    fn lookup_prefix(&self, path: &str) -> Option<usize> {
        let mut longest = None;
        self.prefix_candidates(path, |cut, hash| {
            if let Some(&route) = self.prefix.get(hash, cut) {
                longest = Some(route);
            }
        });
        longest
    }

    /// Calls `probe` with the keys `lookup_prefix` considers, shortest
    /// first, and their hashes: the path cut just before and just after each
    /// `/`, then the whole path — only cuts no longer than the longest
    /// prefix, so a long path costs no more probes. One pass hashes them all.
    fn prefix_candidates<'p>(&self, path: &'p str, mut probe: impl FnMut(&'p str, u64)) {
        let max = self.max_prefix_len;
        let mut hash = Fnv::new();
        for (i, &b) in path
            .as_bytes()
            .iter()
            .enumerate()
            .take(max.saturating_add(1))
        {
            if b == b'/' && i > 0 {
                if let Some(cut) = path.get(..i) {
                    probe(cut, hash.0);
                }
            }
            hash = hash.push(b);
            if b == b'/' && i < max {
                if let Some(cut) = path.get(..=i) {
                    probe(cut, hash.0);
                }
            }
        }
        if path.len() <= max && !path.ends_with('/') {
            probe(path, hash.0);
        }
    }

    fn lookup_regex(&self, path: &str) -> Option<Hit> {
        if self.regexes == 0 {
            return None;
        }
        let mut best: Option<(usize, &str)> = None;
        let mut matched = 0usize;
        self.regex_cuts(path, |cut, hash| {
            for (route, m) in self.buckets.get(hash, cut).into_iter().flatten() {
                if path
                    .get(m.skip..)
                    .is_some_and(|rest| m.regex.is_match(rest))
                {
                    matched += 1;
                    if best.is_none_or(|(_, b)| *m.pattern < *b) {
                        best = Some((*route, &*m.pattern));
                    }
                }
            }
        });
        best.map(|(route, _)| Hit {
            route,
            kind: Kind::Regex,
            ambiguous: matched > 1,
        })
    }

    /// Calls `probe` with the bucket keys `lookup_regex` probes and their
    /// hashes: `""`, then the path cut after each `/`, as long as a bucket
    /// key that long exists.
    fn regex_cuts<'p>(&self, path: &'p str, mut probe: impl FnMut(&'p str, u64)) {
        let mut hash = Fnv::new();
        probe("", hash.0);
        let mut slashes = 0;
        for (i, &b) in path.as_bytes().iter().enumerate().take(self.max_bucket_len) {
            hash = hash.push(b);
            if b == b'/' {
                slashes += 1;
                if slashes > self.max_bucket_slashes {
                    break;
                }
                if let Some(cut) = path.get(..=i) {
                    probe(cut, hash.0);
                }
            }
        }
    }
}

fn slashes(s: &str) -> usize {
    s.bytes().filter(|b| *b == b'/').count()
}

#[cfg(test)]
mod tests;
