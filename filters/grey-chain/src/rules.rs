//! How the gateway's rules pick a lane: first match wins; a percentage rule
//! hashes a stable key so a user stays on one side of the split.

use crate::config::{Matcher, Percentage, Rule, Source, Test, PERCENT_BUCKETS};
use crate::headers::Headers;
use filters_common::cookies::find_cookie;
use filters_common::query::{find_param, percent_decode, split_path};
use filters_common::stable_hash::stable_bucket;

/// The value a source names in this request. Query values are percent-decoded;
/// a value that does not decode is treated as absent.
pub fn read(source: &Source, req: &dyn Headers) -> Option<String> {
    match source {
        Source::Header(name) => req.get(name),
        Source::Cookie(name) => {
            let header = req.get("cookie")?;
            find_cookie(&header, name).map(str::to_string)
        }
        Source::Query(name) => {
            let path = req.get(":path")?;
            let (_, query) = split_path(&path);
            percent_decode(find_param(query?, name)?)
        }
    }
}

fn matches(m: &Matcher, req: &dyn Headers) -> bool {
    let value = read(&m.source, req);
    match (&m.test, value) {
        (Test::Present(want), v) => v.is_some() == *want,
        (_, None) => false,
        (Test::Exact(e), Some(v)) => v == *e,
        (Test::Prefix(p), Some(v)) => v.starts_with(p.as_str()),
        (Test::Regex(re), Some(v)) => re.is_match(&v),
        (Test::In(list), Some(v)) => list.contains(&v),
    }
}

/// The bucket of `key` for `lane`, out of `PERCENT_BUCKETS`. The salt is the
/// lane only — never the percentage — so raising the share only adds users.
pub fn bucket(lane: &str, key: &[u8]) -> u32 {
    stable_bucket(lane, key, PERCENT_BUCKETS)
}

fn in_percentage(p: &Percentage, lane: &str, req: &dyn Headers) -> bool {
    // No key (or an empty one): the request stays baseline.
    match read(&p.hash_by, req) {
        Some(key) if !key.is_empty() => bucket(lane, key.as_bytes()) < p.threshold,
        _ => false,
    }
}

/// The first rule that applies: (its index, its lane).
pub fn decide<'c>(rules: &'c [Rule], req: &dyn Headers) -> Option<(usize, &'c str)> {
    rules.iter().enumerate().find_map(|(i, rule)| {
        let matched = rule.matcher.as_ref().is_none_or(|m| matches(m, req));
        let in_share = matched
            && rule
                .percentage
                .as_ref()
                .is_none_or(|p| in_percentage(p, &rule.lane, req));
        in_share.then_some((i, rule.lane.as_str()))
    })
}

#[cfg(test)]
mod tests;
