//! How a normalized path finds its route: exact beats regex beats the longest
//! prefix, whatever the order of the table.
//!
//! Every lookup costs a few hash probes per path segment, not a scan of the
//! table: prefixes can only end at a segment boundary, so the candidates are
//! the path cut at each `/`. Regexes are bucketed by the literal text they
//! must start with (cut at its last `/`), found the same way; only the
//! regexes of those buckets run.

use regex_lite::{Regex, RegexBuilder};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Compiled program size allowed for one regex (`regex-lite`'s measure).
pub const REGEX_SIZE_LIMIT: usize = 64 * 1024;
/// Nesting depth allowed for one regex.
const NEST_LIMIT: u32 = 32;

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

/// A regex checked and ready, with the literal text every match starts with.
#[derive(Debug, Clone)]
pub struct CompiledRegex {
    matcher: BucketRegex,
    pub literal_prefix: String,
}

/// A regex in its bucket. Most patterns start with their bucket's key
/// (`/faas/api/u/[a-z]+/profile` in bucket `/faas/api/u/`), which every path
/// probed there starts with too: `regex` then matches only the rest of the
/// path (`skip` bytes later), sparing the regex engine the longest part.
#[derive(Debug, Clone)]
struct BucketRegex {
    /// As configured: the tie-break between matching regexes.
    pattern: Box<str>,
    skip: usize,
    regex: Regex,
}

/// Compiles a route regex with full-match semantics (`^(?:pattern)$`, as
/// Envoy and Istio do) and finds its literal prefix.
pub fn compile_regex(pattern: &str) -> Result<CompiledRegex, String> {
    let full = anchored(pattern)
        .map_err(|e| format!("invalid or too large regex: {}", one_line(&e.to_string())))?;
    let literal = literal_chars(pattern);
    let literal_prefix: String = literal.iter().map(|&(c, _)| c).collect();
    let key_len = bucket_key(&literal_prefix).len();
    // The source offset right after the key's last character.
    let tail = literal
        .iter()
        .scan(0, |len, &(c, end)| {
            *len += c.len_utf8();
            Some((*len, end))
        })
        .find(|&(len, _)| len == key_len && key_len > 0)
        .and_then(|(_, end)| pattern.get(end..))
        .filter(|rest| matches_alone(rest))
        .and_then(|rest| anchored(rest).ok());
    let (skip, regex) = match tail {
        Some(tail) => (key_len, tail),
        None => (0, full),
    };
    Ok(CompiledRegex {
        matcher: BucketRegex {
            pattern: pattern.into(),
            skip,
            regex,
        },
        literal_prefix,
    })
}

fn anchored(pattern: &str) -> Result<Regex, regex_lite::Error> {
    RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(REGEX_SIZE_LIMIT)
        .nest_limit(NEST_LIMIT)
        .build()
}

/// Whether `rest`, the pattern after a literal prefix ending in `/`, means
/// the same alone as after that prefix: it must not start with a
/// quantifier (which would apply to the `/`), nor hold a start anchor (`^`
/// outside `[^`, `\A`), which could match at its start alone but never
/// after a `/`. Word boundaries agree: `/` and the start are both non-word.
fn matches_alone(rest: &str) -> bool {
    if rest.starts_with(['*', '+', '?', '{']) {
        return false;
    }
    let mut prev = None;
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if chars.next() == Some('A') {
                    return false;
                }
                prev = None;
                continue;
            }
            '^' if prev != Some('[') => return false,
            _ => {}
        }
        prev = Some(c);
    }
    true
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The literal text every match of a valid `pattern` starts with; shorter
/// than the truth is fine, longer never. Stops at the first metacharacter,
/// or before a character a quantifier may repeat zero times; an
/// alternation outside any group means nothing is certain. Each character
/// comes with the offset in `pattern` right after its source (`\.` is two
/// bytes).
fn literal_chars(pattern: &str) -> Vec<(char, usize)> {
    if has_top_level_alternation(pattern) {
        return Vec::new();
    }
    let mut chars = pattern
        .char_indices()
        .skip(usize::from(pattern.starts_with('^')))
        .peekable();
    let mut out = Vec::new();
    while let Some((_, c)) = chars.next() {
        let literal = match c {
            '\\' => match chars.peek() {
                // Only escapes regex-lite reads as the character itself:
                // `\<` and `\>` are word boundaries, not `<` and `>`.
                Some(&(_, e)) if ESCAPED_LITERALS.contains(e) => {
                    chars.next();
                    e
                }
                _ => break,
            },
            '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$' => break,
            c => c,
        };
        let next = chars.peek().copied();
        if matches!(next, Some((_, '*' | '?' | '{'))) {
            break;
        }
        out.push((literal, next.map_or(pattern.len(), |(i, _)| i)));
    }
    out
}

/// Punctuation that stands for itself after a backslash in regex-lite.
const ESCAPED_LITERALS: &str = "\\.+*?()|[]{}^$#&-~/";

/// Whether a `|` may apply to the whole pattern. Where this scan cannot
/// follow regex-lite's syntax exactly (the `x` flag with its `#` comments,
/// POSIX classes `[[:digit:]]`, any other `[` inside a class) the answer is
/// yes: no literal prefix is then claimed.
fn has_top_level_alternation(pattern: &str) -> bool {
    let verbose_flag = pattern.split("(?").skip(1).any(|after| {
        after
            .chars()
            .take_while(|c| c.is_ascii_alphabetic() || *c == '-')
            .any(|c| c == 'x')
    });
    if verbose_flag || pattern.contains("[:") {
        return true;
    }
    let (mut depth, mut in_class, mut escaped) = (0usize, false, false);
    let mut class_start = false;
    for c in pattern.chars() {
        if escaped {
            escaped = false;
            class_start = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            ']' if in_class && !class_start => in_class = false,
            '^' if class_start => continue,
            '[' if in_class => return true,
            _ if in_class => {}
            '[' => {
                in_class = true;
                class_start = true;
                continue;
            }
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            '|' if depth == 0 => return true,
            _ => {}
        }
        class_start = false;
    }
    false
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

/// FNV-1a, fed one byte at a time, so the hash of every cut of a path comes
/// out of one pass instead of rehashing each cut.
#[derive(Debug, Clone, Copy)]
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn push(self, b: u8) -> Self {
        Fnv((self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
    }

    fn of(bytes: &[u8]) -> u64 {
        bytes.iter().fold(Fnv::new(), |h, &b| h.push(b)).0
    }
}

type Entry<V> = (Box<str>, V);

/// Strings found by their `Fnv` hash. Keys come from the configuration;
/// a client only probes, so a fixed hash gives it nothing to flood.
#[derive(Debug)]
struct Index<V> {
    /// Keys of one hash: almost always one.
    map: HashMap<u64, Vec<Entry<V>>, BuildHasherDefault<Mix>>,
    len: usize,
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
    fn update(&mut self, key: &str, change: impl FnOnce(&mut V)) {
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
    fn get(&self, hash: u64, key: &str) -> Option<&V> {
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

fn slashes(s: &str) -> usize {
    s.bytes().filter(|b| *b == b'/').count()
}

/// A regex's bucket: its literal prefix cut after the last `/`.
fn bucket_key(literal_prefix: &str) -> &str {
    match literal_prefix.rfind('/') {
        Some(i) => literal_prefix.get(..=i).unwrap_or(""),
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(routes: &[(Kind, &str)]) -> Table {
        let mut t = Table::new();
        for (i, (kind, p)) in routes.iter().enumerate() {
            match kind {
                Kind::Exact => t.add_exact(p, i),
                Kind::Prefix => t.add_prefix(p, i),
                Kind::Regex => t.add_regex(compile_regex(p).unwrap(), i),
            }
        }
        t
    }

    fn route(t: &Table, path: &str) -> Option<usize> {
        t.lookup(path).map(|h| h.route)
    }

    #[test]
    fn prefix_matches_only_at_segment_boundaries() {
        let t = table(&[
            (Kind::Prefix, "/faas/api/saas/show"),
            (Kind::Prefix, "/faas/api/saas/showroom/"),
        ]);
        assert_eq!(route(&t, "/faas/api/saas/showroom/x"), Some(1));
        assert_eq!(route(&t, "/faas/api/saas/showroom/"), Some(1));
        assert_eq!(route(&t, "/faas/api/saas/show"), Some(0));
        assert_eq!(route(&t, "/faas/api/saas/show/x"), Some(0));
        assert_eq!(route(&t, "/faas/api/saas/shows"), None);
        assert_eq!(route(&t, "/faas/api/saas/showroom"), None);
    }

    #[test]
    fn longest_prefix_wins_in_any_order() {
        let routes = [
            (Kind::Prefix, "/faas/api/"),
            (Kind::Prefix, "/faas/api/a/"),
            (Kind::Prefix, "/faas/api/a/b/"),
        ];
        let forward = table(&routes);
        let mut reversed = routes;
        reversed.reverse();
        let backward = table(&reversed);
        for (path, want) in [
            ("/faas/api/a/b/c", "/faas/api/a/b/"),
            ("/faas/api/a/c", "/faas/api/a/"),
            ("/faas/api/x", "/faas/api/"),
        ] {
            let f = routes[route(&forward, path).unwrap()].1;
            let b = reversed[route(&backward, path).unwrap()].1;
            assert_eq!((f, b), (want, want), "{path}");
        }
    }

    #[test]
    fn exact_beats_regex_beats_prefix() {
        let t = table(&[
            (Kind::Prefix, "/faas/api/u/"),
            (Kind::Regex, "/faas/api/u/[a-z]+/profile"),
            (Kind::Exact, "/faas/api/u/me/profile"),
        ]);
        assert_eq!(
            t.lookup("/faas/api/u/me/profile").unwrap().kind,
            Kind::Exact
        );
        assert_eq!(route(&t, "/faas/api/u/bob/profile"), Some(1));
        assert_eq!(route(&t, "/faas/api/u/bob/profile/x"), Some(0));
        assert_eq!(route(&t, "/faas/api/u/b0b/profile"), Some(0));
    }

    #[test]
    fn regexes_are_full_match_and_case_sensitive() {
        let t = table(&[(Kind::Regex, "/faas/api/r/[0-9]+")]);
        assert_eq!(route(&t, "/faas/api/r/12"), Some(0));
        assert_eq!(route(&t, "/faas/api/r/12/x"), None);
        assert_eq!(route(&t, "/x/faas/api/r/12"), None);
        assert_eq!(route(&t, "/FAAS/api/r/12"), None);
    }

    #[test]
    fn overlapping_regexes_pick_the_smallest_pattern_in_any_order() {
        let a = (Kind::Regex, "/faas/api/r/.*");
        let b = (Kind::Regex, "/faas/api/r/[a-z]+");
        for routes in [[a, b], [b, a]] {
            let t = table(&routes);
            let hit = t.lookup("/faas/api/r/abc").unwrap();
            assert!(hit.ambiguous);
            assert_eq!(routes[hit.route].1, "/faas/api/r/.*");
            assert!(!t.lookup("/faas/api/r/1").unwrap().ambiguous);
        }
    }

    #[test]
    fn regexes_sharing_a_directory_share_a_bucket() {
        let mut routes: Vec<(Kind, String)> = (0..20)
            .map(|i| (Kind::Regex, format!("/faas/api/(x{i}|y{i})/[a-z]+")))
            .collect();
        routes.push((Kind::Regex, "/faas/api/z/.*".into()));
        let refs: Vec<(Kind, &str)> = routes.iter().map(|(k, p)| (*k, p.as_str())).collect();
        let t = table(&refs);
        let bucket = |k: &str| t.buckets.get(Fnv::of(k.as_bytes()), k).map(Vec::len);
        assert_eq!(bucket("/faas/api/"), Some(20));
        assert_eq!(bucket("/faas/api/z/"), Some(1));
        assert_eq!(route(&t, "/faas/api/y7/abc"), Some(7));
        assert_eq!(route(&t, "/faas/api/x19/q"), Some(19));
        assert_eq!(route(&t, "/faas/api/z/q"), Some(20));
        assert_eq!(route(&t, "/faas/api/x1/Q"), None);
    }

    #[test]
    fn literal_prefixes_are_never_too_long() {
        let cases = [
            ("^/faas/api/u/[a-z0-9-]+/profile$", "/faas/api/u/"),
            ("/faas/api/(a|b)/x", "/faas/api/"),
            ("/faas/api/a|/other", ""),
            ("/faas/api/[|]x|y", ""),
            ("/faas/api/(a|b)|/x", ""),
            ("/faas/api/[a|b]", "/faas/api/"),
            ("/faas/api/ab*", "/faas/api/a"),
            ("/faas/api/ab?", "/faas/api/a"),
            ("/faas/api/ab{0,2}", "/faas/api/a"),
            ("/faas/api/ab+", "/faas/api/ab"),
            ("/faas/api/v1\\.0/x", "/faas/api/v1.0/x"),
            ("/faas/api/\\d+", "/faas/api/"),
            ("(?i)/faas/api/x", ""),
            (".*", ""),
            // `\<`, `\>` are word boundaries in regex-lite, not characters.
            ("/faas/api/\\<x/[a-z]+", "/faas/api/"),
            ("/faas/api/x\\>/y", "/faas/api/x"),
            // Syntax the alternation scan cannot follow: nothing claimed.
            ("/faas/api/[[:digit:](]|b", ""),
            ("(?x)/faas/api/ # (\n|/other", ""),
            ("/faas/api/x/(?ix)A # (\n|b", ""),
            ("/faas/api/(?:a|b)/x", "/faas/api/"),
        ];
        for (pattern, want) in cases {
            let got = compile_regex(pattern).unwrap().literal_prefix;
            assert_eq!(got, want, "{pattern}");
        }
        assert_eq!(bucket_key("/faas/api/u"), "/faas/api/");
    }

    #[test]
    fn a_regex_matching_after_its_bucket_key_agrees_with_the_full_match() {
        let cases: [(&str, usize); 16] = [
            ("/faas/api/u/[a-z0-9-]+/profile", "/faas/api/u/".len()),
            ("^/faas/api/v1\\.0/x/[0-9]+$", "/faas/api/v1.0/x/".len()),
            ("/faas/api/x\\/y/[^/]+", "/faas/api/x/y/".len()),
            ("/faas/api/x/\\babc\\b", "/faas/api/x/".len()),
            ("/faas/api/x/(?i)ABC", "/faas/api/x/".len()),
            ("/faas/api/\\<x/[a-z]+", "/faas/api/".len()),
            ("/faas/api/[[:digit:](]|b", 0),
            ("/faas/api/x/a{0,2}", "/faas/api/x/".len()),
            ("/faas/api/(a|b)/x", "/faas/api/".len()),
            ("/faas/api/x/", "/faas/api/x/".len()), // the rest must be empty
            // Would mean something else alone: the full regex runs.
            ("/faas/api/x/^abc", 0),
            ("/faas/api/x/(?m)^abc", 0),
            ("/faas/api/x/\\Aabc", 0),
            ("/faas/api/x/+abc", 0),
            ("/faas/api/x/[a^]bc", 0),
            ("/faas/api/a|/faas/api/b", 0),
        ];
        let paths = [
            "/faas/api/u/bob-1/profile",
            "/faas/api/u//profile",
            "/faas/api/v1.0/x/42",
            "/faas/api/v1x0/x/42",
            "/faas/api/x/y/z",
            "/faas/api/x/y/z/",
            "/faas/api/x/abc",
            "/faas/api/x/ABC",
            "/faas/api/x/",
            "/faas/api/x/a",
            "/faas/api/x/aaa",
            "/faas/api/x//abc",
            "/faas/api/x/bc",
            "/faas/api/a/x",
            "/faas/api/b",
            "/faas/api/<x/abc",
            "/faas/api/x/abc",
            "/faas/api/7",
        ];
        for (pattern, skip) in cases {
            let c = compile_regex(pattern).unwrap();
            assert_eq!(c.matcher.skip, skip, "{pattern}");
            let full = anchored(pattern).unwrap();
            let key = bucket_key(&c.literal_prefix);
            for path in paths.iter().filter(|p| p.starts_with(key)) {
                let bucketed = c.matcher.regex.is_match(&path[c.matcher.skip..]);
                assert_eq!(bucketed, full.is_match(path), "{pattern} on {path}");
            }
        }
    }

    #[test]
    fn bad_and_huge_regexes_are_refused() {
        assert!(compile_regex("/faas/api/(")
            .unwrap_err()
            .starts_with("invalid or too large regex"));
        assert!(compile_regex("/faas/api/\\p{Greek}").is_err());
        assert!(compile_regex("/faas/api/(a{1000}){1000}").is_err());
        assert!(compile_regex(&format!(
            "/faas/api/{}x{}",
            "(".repeat(100),
            ")".repeat(100)
        ))
        .is_err());
    }

    /// A client path of about 60 KB made of 29,000 segments.
    fn long_path() -> String {
        format!("/faas/api/x/{}", "a/".repeat(29_000))
    }

    #[test]
    fn regex_probes_are_bounded_by_the_table_not_the_path() {
        let t = table(&[(Kind::Regex, "/faas/api/u/[a-z]+/profile")]);
        let path = long_path();
        assert!(path.len() > 58_000);
        // Buckets "" and "/faas/api/u/" can only equal cuts of at most 4 `/`.
        let mut probed = Vec::new();
        t.regex_cuts(&path, |cut, _| probed.push(cut));
        assert!(probed.len() <= 5, "{} probes", probed.len());
        let hashed: usize = probed.iter().map(|c| c.len()).sum();
        assert!(hashed <= 5 * "/faas/api/u/".len(), "{hashed} bytes hashed");
        assert_eq!(route(&t, &path), None);
        assert_eq!(route(&t, "/faas/api/u/bob/profile"), Some(0));
    }

    #[test]
    fn a_deep_regex_bucket_is_still_found() {
        let t = table(&[
            (Kind::Regex, "/faas/api/a/b/c/d/[0-9]+"),
            (Kind::Regex, "/faas/api/.*"),
        ]);
        let hit = t.lookup("/faas/api/a/b/c/d/42").unwrap();
        assert_eq!((hit.route, hit.ambiguous), (1, true));
        let t = table(&[(Kind::Regex, "/faas/api/a/b/c/d/[0-9]+")]);
        assert_eq!(route(&t, "/faas/api/a/b/c/d/42"), Some(0));
        assert_eq!(route(&t, "/faas/api/a/b/c/d/42/"), None);
    }

    #[test]
    fn prefix_probes_are_bounded_by_the_table_not_the_path() {
        let t = table(&[
            (Kind::Prefix, "/faas/api/x/"),
            (Kind::Prefix, "/faas/api/y/z"),
        ]);
        let path = long_path();
        let mut probed = Vec::new();
        t.prefix_candidates(&path, |cut, _| probed.push(cut));
        // At most two keys per `/` within the longest prefix (13 bytes, 4 `/`)
        // and the one just past it.
        assert!(probed.len() <= 2 * 5, "{} candidates", probed.len());
        assert_eq!(route(&t, &path), Some(0));
    }

    #[test]
    fn hashes_along_the_path_are_the_hashes_of_the_cuts() {
        let t = table(&[
            (Kind::Prefix, "/faas/api/a/b/c/d/e/"),
            (Kind::Regex, "/faas/api/a/b/c/[0-9]+"),
        ]);
        let path = "/faas/api/a/b/c/d/e/f";
        let (mut prefix, mut regex) = (Vec::new(), Vec::new());
        t.prefix_candidates(path, |cut, hash| prefix.push((cut, hash)));
        t.regex_cuts(path, |cut, hash| regex.push((cut, hash)));
        assert_eq!(prefix.len(), 2 * 8 - 1, "{prefix:?}");
        assert_eq!(regex.len(), 1 + 6, "{regex:?}");
        for (cut, hash) in prefix.into_iter().chain(regex) {
            assert_eq!(hash, Fnv::of(cut.as_bytes()), "{cut}");
        }
    }

    #[test]
    fn many_prefixes_stay_fast() {
        let routes: Vec<String> = (0..10_000).map(|i| format!("/faas/api/s{i}/")).collect();
        let refs: Vec<(Kind, &str)> = routes.iter().map(|p| (Kind::Prefix, p.as_str())).collect();
        let t = table(&refs);
        assert_eq!(route(&t, "/faas/api/s9999/a/b"), Some(9999));
        let long = format!("/faas/api/s1/{}", "x/".repeat(20_000));
        assert_eq!(route(&t, &long), Some(1));
    }
}
