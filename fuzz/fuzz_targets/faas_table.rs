//! faas-router's hashed route index against a brute-force reference: random
//! tables of exact, prefix and regex routes and random paths, where the
//! answer must be what `filters_common::path_match::PathMatch` says (exact
//! beats regex — smallest pattern first — beats the longest prefix). The same
//! property as `the_index_agrees_with_a_brute_force_reference` in
//! filters/faas-router/src/table/tests.rs, with the fuzzer choosing.
#![no_main]

use faas_router::table::{compile_regex, Kind, Table};
use filters_common::path_match::PathMatch;
use libfuzzer_sys::fuzz_target;

const SEGMENTS: [&str; 8] = ["a", "ab", "b", "a.b", "x-1", "faas", "api", "%3B"];
const REGEX_TAILS: [&str; 8] = [
    "/[a-b]+",
    ".*",
    "/.*",
    "(/ab)?",
    "/(a|ab)/.*",
    "[^/]*",
    "/x-[0-9]+",
    "/a.b",
];

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn next(&mut self, n: usize) -> Option<usize> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(usize::from(b) % n)
    }

    fn path(&mut self) -> Option<String> {
        let mut p = String::new();
        for _ in 0..=self.next(5)? {
            p.push('/');
            p.push_str(SEGMENTS[self.next(SEGMENTS.len())?]);
        }
        if self.next(3)? == 0 {
            p.push('/');
        }
        Some(p)
    }

    /// One of the fixed regex tails, or up to 16 printable bytes of the input.
    fn tail(&mut self) -> Option<String> {
        let i = self.next(REGEX_TAILS.len() + 1)?;
        if let Some(t) = REGEX_TAILS.get(i) {
            return Some((*t).to_string());
        }
        let len = self.next(17)?;
        let mut t = String::new();
        for _ in 0..len {
            t.push(char::from(0x20 + self.next(0x5f)? as u8));
        }
        Some(t)
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Bytes(data);
    let Some(count) = input.next(12) else {
        return;
    };
    let mut routes: Vec<(Kind, String)> = Vec::new();
    for _ in 0..=count {
        let (Some(kind), Some(p)) = (input.next(5), input.path()) else {
            return;
        };
        let route = match kind {
            0 => (Kind::Exact, p),
            1 | 2 => {
                let Some(tail) = input.tail() else {
                    return;
                };
                let base = if kind == 1 {
                    p.as_str()
                } else {
                    p.trim_end_matches('/')
                };
                (Kind::Regex, format!("{base}{tail}"))
            }
            _ => (Kind::Prefix, p),
        };
        if !routes.contains(&route) {
            routes.push(route);
        }
    }
    let mut table = Table::new();
    let mut kept: Vec<(Kind, String, PathMatch)> = Vec::new();
    for (kind, pattern) in routes {
        let reference = match kind {
            Kind::Exact => PathMatch::exact(&pattern),
            Kind::Prefix => PathMatch::prefix(&pattern),
            Kind::Regex => PathMatch::regex(&pattern),
        };
        let Ok(reference) = reference else {
            continue;
        };
        let i = kept.len();
        match kind {
            Kind::Exact => table.add_exact(&pattern, i),
            Kind::Prefix => table.add_prefix(&pattern, i),
            Kind::Regex => match compile_regex(&pattern) {
                Ok(compiled) => table.add_regex(compiled, i),
                Err(e) => panic!("{pattern:?}: the reference accepts it, the table not: {e}"),
            },
        }
        kept.push((kind, pattern, reference));
    }
    while let Some(path) = input.path() {
        let path = path.as_str();
        let fitting = |kind: Kind| {
            kept.iter()
                .enumerate()
                .filter(move |(_, (k, _, m))| *k == kind && m.fits(path))
        };
        let want = fitting(Kind::Exact)
            .next()
            .or_else(|| fitting(Kind::Regex).min_by_key(|(_, (_, p, _))| p.as_str()))
            .or_else(|| fitting(Kind::Prefix).max_by_key(|(_, (_, p, _))| p.len()))
            .map(|(i, _)| i);
        let got = table.lookup(path).map(|h| h.route);
        let table_text: Vec<_> = kept.iter().map(|(k, p, _)| (k.as_str(), p)).collect();
        assert_eq!(got, want, "{path} in {table_text:?}");
    }
});
