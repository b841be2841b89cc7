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
    regex: Regex,
    pub literal_prefix: String,
}

/// Compiles a route regex with full-match semantics (`^(?:pattern)$`, as
/// Envoy and Istio do) and finds its literal prefix.
pub fn compile_regex(pattern: &str) -> Result<CompiledRegex, String> {
    let regex = RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(REGEX_SIZE_LIMIT)
        .nest_limit(NEST_LIMIT)
        .build()
        .map_err(|e| format!("invalid or too large regex: {}", one_line(&e.to_string())))?;
    Ok(CompiledRegex {
        regex,
        literal_prefix: literal_prefix(pattern),
    })
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The literal text every match of a valid `pattern` starts with; shorter
/// than the truth is fine, longer never. Stops at the first metacharacter,
/// or before a character a quantifier may repeat zero times; an
/// alternation outside any group means nothing is certain.
fn literal_prefix(pattern: &str) -> String {
    if has_top_level_alternation(pattern) {
        return String::new();
    }
    let mut chars = pattern
        .strip_prefix('^')
        .unwrap_or(pattern)
        .chars()
        .peekable();
    let mut out = String::new();
    while let Some(c) = chars.next() {
        let literal = match c {
            '\\' => match chars.peek() {
                Some(&e) if e.is_ascii_punctuation() => {
                    chars.next();
                    e
                }
                _ => break,
            },
            '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$' => break,
            c => c,
        };
        if matches!(chars.peek(), Some('*' | '?' | '{')) {
            break;
        }
        out.push(literal);
    }
    out
}

fn has_top_level_alternation(pattern: &str) -> bool {
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
    exact: HashMap<String, usize>,
    prefix: HashMap<String, usize>,
    max_prefix_len: usize,
    buckets: HashMap<String, Vec<(usize, Regex)>>,
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
        self.exact.insert(path.to_string(), route);
    }

    pub fn add_prefix(&mut self, prefix: &str, route: usize) {
        self.max_prefix_len = self.max_prefix_len.max(prefix.len());
        self.prefix.insert(prefix.to_string(), route);
    }

    pub fn add_regex(&mut self, compiled: CompiledRegex, route: usize) {
        let key = bucket_key(&compiled.literal_prefix).to_string();
        self.max_bucket_len = self.max_bucket_len.max(key.len());
        self.max_bucket_slashes = self.max_bucket_slashes.max(slashes(&key));
        self.buckets
            .entry(key)
            .or_default()
            .push((route, compiled.regex));
        self.regexes += 1;
    }

    pub fn len(&self) -> usize {
        self.exact.len() + self.prefix.len() + self.regexes
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Looks up a normalized path (no query).
    pub fn lookup(&self, path: &str) -> Option<Hit> {
        if let Some(&route) = self.exact.get(path) {
            return Some(Hit {
                route,
                kind: Kind::Exact,
                ambiguous: false,
            });
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
        self.prefix_candidates(path)
            .filter(|cut| !cut.is_empty() && cut.len() <= self.max_prefix_len)
            .find_map(|cut| self.prefix.get(cut).copied())
    }

    /// The keys `lookup_prefix` considers, longest first: the whole path,
    /// then the path cut after each `/` and just before it — only cuts no
    /// longer than the longest prefix, so a long path costs no more probes.
    fn prefix_candidates<'p>(&self, path: &'p str) -> impl Iterator<Item = &'p str> {
        let whole = (path.len() <= self.max_prefix_len).then_some(path);
        let cuts = slash_positions(path, self.max_prefix_len.saturating_add(1))
            .rev()
            .flat_map(move |i| [path.get(..=i), path.get(..i)].into_iter().flatten());
        whole.into_iter().chain(cuts)
    }

    fn lookup_regex(&self, path: &str) -> Option<Hit> {
        if self.buckets.is_empty() {
            return None;
        }
        let mut best: Option<(usize, &str)> = None;
        let mut matched = 0usize;
        for cut in self.regex_cuts(path) {
            let Some(bucket) = self.buckets.get(cut) else {
                continue;
            };
            for (route, regex) in bucket {
                if regex.is_match(path) {
                    matched += 1;
                    let pattern = user_pattern(regex);
                    if best.is_none_or(|(_, b)| pattern < b) {
                        best = Some((*route, pattern));
                    }
                }
            }
        }
        best.map(|(route, _)| Hit {
            route,
            kind: Kind::Regex,
            ambiguous: matched > 1,
        })
    }
}

impl Table {
    /// The bucket keys `lookup_regex` probes: `""`, then the path cut after
    /// each `/`, as long as a bucket key that long exists.
    fn regex_cuts<'p>(&self, path: &'p str) -> impl Iterator<Item = &'p str> {
        let cuts = slash_positions(path, self.max_bucket_len)
            .take(self.max_bucket_slashes)
            .filter_map(move |i| path.get(..=i));
        std::iter::once("").chain(cuts)
    }
}

/// Positions of `/` among the first `limit` bytes of `path`.
fn slash_positions(path: &str, limit: usize) -> impl DoubleEndedIterator<Item = usize> + '_ {
    let bytes = path.as_bytes();
    let head = bytes.get(..limit.min(bytes.len())).unwrap_or(bytes);
    head.iter()
        .enumerate()
        .filter(|(_, b)| **b == b'/')
        .map(|(i, _)| i)
}

fn slashes(s: &str) -> usize {
    s.bytes().filter(|b| *b == b'/').count()
}

/// The pattern as configured, without the anchoring `compile_regex` added.
fn user_pattern(regex: &Regex) -> &str {
    let s = regex.as_str();
    s.get(4..s.len().saturating_sub(2)).unwrap_or(s)
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
        assert_eq!(t.buckets.get("/faas/api/").map(Vec::len), Some(20));
        assert_eq!(t.buckets.get("/faas/api/z/").map(Vec::len), Some(1));
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
        ];
        for (pattern, want) in cases {
            let got = compile_regex(pattern).unwrap().literal_prefix;
            assert_eq!(got, want, "{pattern}");
        }
        assert_eq!(bucket_key("/faas/api/u"), "/faas/api/");
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
        let probed: Vec<&str> = t.regex_cuts(&path).collect();
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
        let probed: Vec<&str> = t.prefix_candidates(&path).collect();
        // At most two keys per `/` within the longest prefix (13 bytes, 4 `/`)
        // and the one just past it.
        assert!(probed.len() <= 2 * 5, "{} candidates", probed.len());
        assert_eq!(route(&t, &path), Some(0));
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
