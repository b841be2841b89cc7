//! Which paths to compare: derived from every match of the old
//! VirtualServices — each exact path; each prefix alone, with a following
//! segment and with a longer name (`/a/show`, `/a/show/x`, `/a/showx`); for
//! a regex, a sample path it matches (one per top-level alternative).

use crate::istio_model::{RuleMatch, Uri};
use regex_syntax::hir::{Class, Hir, HirKind};

/// Probe paths for one match of a route (its regex compiled once).
pub fn of_match(m: &RuleMatch) -> Vec<String> {
    match (&m.uri, &m.compiled) {
        (Uri::Regex(re), Some(full)) => samples_with(re, full),
        (uri, _) => of(uri),
    }
}

/// Probe paths for one URI match.
pub fn of(uri: &Uri) -> Vec<String> {
    match uri {
        Uri::Exact(p) => vec![p.clone()],
        Uri::Prefix(p) if p.ends_with('/') => vec![p.clone(), format!("{p}x"), format!("{p}x/y")],
        Uri::Prefix(p) => vec![p.clone(), format!("{p}/x"), format!("{p}x")],
        Uri::Regex(re) => samples(re),
        Uri::Any => Vec::new(),
    }
}

/// Sample strings matching `re`, one per alternative (at most 8; each
/// checked against the regex itself).
pub fn samples(re: &str) -> Vec<String> {
    match regex::Regex::new(&format!("^(?:{re})$")) {
        Ok(full) => samples_with(re, &full),
        Err(_) => Vec::new(),
    }
}

/// `samples`, checked against `full` (`^(?:re)$`, already compiled).
pub fn samples_with(re: &str, full: &regex::Regex) -> Vec<String> {
    let Ok(hir) = regex_syntax::Parser::new().parse(re) else {
        return Vec::new();
    };
    let mut out: Vec<String> = sample(&hir, 0)
        .into_iter()
        .filter(|s| full.is_match(s))
        .collect();
    out.sort();
    out.dedup();
    out
}

const MAX_SAMPLES: usize = 8;
const MAX_LEN: usize = 4096;

fn sample(h: &Hir, depth: usize) -> Vec<String> {
    if depth > 64 {
        return vec![String::new()];
    }
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => vec![String::new()],
        HirKind::Literal(l) => vec![String::from_utf8_lossy(&l.0).into_owned()],
        HirKind::Class(Class::Unicode(c)) => {
            let has = |ch: char| c.ranges().iter().any(|r| r.start() <= ch && ch <= r.end());
            let first = c.ranges().first().map(|r| r.start());
            let pick = ['a', '0'].into_iter().find(|&ch| has(ch)).or(first);
            vec![pick.map(String::from).unwrap_or_default()]
        }
        HirKind::Class(Class::Bytes(c)) => {
            vec![c
                .ranges()
                .first()
                .map(|r| char::from(r.start()).to_string())
                .unwrap_or_default()]
        }
        HirKind::Repetition(r) => {
            let one = sample(&r.sub, depth + 1);
            // Nested counted repetitions multiply: keep a sample short (one
            // that no longer matches is dropped by the caller's check).
            let times = r.min.clamp(1, 16) as usize;
            one.into_iter()
                .map(|s| {
                    if s.len() * times > MAX_LEN {
                        s
                    } else {
                        s.repeat(times)
                    }
                })
                .collect()
        }
        HirKind::Capture(c) => sample(&c.sub, depth + 1),
        HirKind::Concat(list) => {
            let mut acc = vec![String::new()];
            for part in list {
                let next = sample(part, depth + 1);
                acc = acc
                    .iter()
                    .flat_map(|a| next.iter().map(move |n| format!("{a}{n}")))
                    .take(MAX_SAMPLES)
                    .collect();
            }
            acc
        }
        HirKind::Alternation(list) => list
            .iter()
            .flat_map(|a| sample(a, depth + 1))
            .take(MAX_SAMPLES)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_repetitions_stay_short() {
        let s = samples("/faas/api/((((((x{16}){16}){16}){16}){16}){16})");
        assert!(s.iter().all(|p| p.len() < 10_000), "{s:?}");
    }

    #[test]
    fn probes() {
        assert_eq!(
            of(&Uri::Prefix("/a/show".into())),
            ["/a/show", "/a/show/x", "/a/showx"]
        );
        assert_eq!(
            samples("/faas/api/u/[a-z0-9-]+/profile"),
            ["/faas/api/u/a/profile"]
        );
        assert_eq!(
            samples("/faas/api/(v1|v2)/x|/faas/api/z\\d{2}"),
            ["/faas/api/v1/x", "/faas/api/v2/x", "/faas/api/z00"]
        );
    }
}
