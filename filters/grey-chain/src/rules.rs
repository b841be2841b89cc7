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
mod tests {
    use super::*;
    use crate::config::parse;
    use crate::headers::MapHeaders;

    fn rules(json_rules: &str) -> Vec<Rule> {
        let json = format!(
            r#"{{"mode":"gateway","lanes":["grey","blue"],"gateway":{{"rules":{json_rules}}}}}"#
        );
        parse(json.as_bytes()).unwrap().gateway.unwrap().rules
    }

    fn pick(rules: &[Rule], headers: &[(&str, &str)]) -> Option<(usize, String)> {
        decide(rules, &MapHeaders::new(headers)).map(|(i, l)| (i, l.to_string()))
    }

    #[test]
    fn header_tests() {
        let r = rules(
            r#"[{"lane":"grey","match":{"header":{"name":"end-user","exact":"test"}}},
                {"lane":"blue","match":{"header":{"name":"end-user","prefix":"qa-"}}},
                {"lane":"grey","match":{"header":{"name":"end-user","regex":"dev[0-9]+"}}},
                {"lane":"blue","match":{"header":{"name":"end-user","in":["alice","bob"]}}},
                {"lane":"grey","match":{"header":{"name":"x-canary","present":true}}}]"#,
        );
        assert_eq!(pick(&r, &[("end-user", "test")]), Some((0, "grey".into())));
        assert_eq!(pick(&r, &[("end-user", "Test")]), None);
        assert_eq!(pick(&r, &[("end-user", "qa-1")]), Some((1, "blue".into())));
        assert_eq!(pick(&r, &[("end-user", "dev42")]), Some((2, "grey".into())));
        assert_eq!(
            pick(&r, &[("end-user", "xdev42")]),
            None,
            "regex is anchored"
        );
        assert_eq!(pick(&r, &[("end-user", "bob")]), Some((3, "blue".into())));
        assert_eq!(pick(&r, &[("end-user", "bobby")]), None);
        assert_eq!(pick(&r, &[("x-canary", "")]), Some((4, "grey".into())));
        assert_eq!(pick(&r, &[]), None);
    }

    #[test]
    fn first_match_wins() {
        let r = rules(
            r#"[{"lane":"blue","match":{"header":{"name":"a","present":true}}},
                {"lane":"grey","match":{"header":{"name":"a","exact":"1"}}}]"#,
        );
        assert_eq!(pick(&r, &[("a", "1")]), Some((0, "blue".into())));
    }

    #[test]
    fn absent_test() {
        let r = rules(r#"[{"lane":"grey","match":{"cookie":{"name":"optout","present":false}}}]"#);
        assert_eq!(pick(&r, &[("cookie", "a=1")]), Some((0, "grey".into())));
        assert_eq!(pick(&r, &[]), Some((0, "grey".into())));
        assert_eq!(pick(&r, &[("cookie", "a=1; optout=1")]), None);
    }

    #[test]
    fn cookie_and_query() {
        let r = rules(
            r#"[{"lane":"grey","match":{"cookie":{"name":"lane","exact":"grey"}}},
                {"lane":"blue","match":{"query":{"name":"lane","in":["blue one"]}}}]"#,
        );
        assert_eq!(
            pick(&r, &[("cookie", "a=b; lane=grey")]),
            Some((0, "grey".into()))
        );
        assert_eq!(pick(&r, &[("cookie", "xlane=grey")]), None);
        assert_eq!(
            pick(&r, &[(":path", "/p?x=1&lane=blue%20one")]),
            Some((1, "blue".into()))
        );
        assert_eq!(
            pick(&r, &[(":path", "/p?lane=blue%zz")]),
            None,
            "bad escape is absent"
        );
        assert_eq!(pick(&r, &[(":path", "/p/lane=blue%20one")]), None);
    }

    #[test]
    fn percentage_share_and_monotone() {
        let at = |pct: u32| {
            rules(&format!(
                r#"[{{"lane":"grey","percentage":{pct},"hashBy":{{"header":"x-user"}}}}]"#
            ))
        };
        let (r10, r30, r100) = (at(10), at(30), at(100));
        let (mut n10, mut n30, mut n100) = (0, 0, 0);
        for i in 0..100_000 {
            let user = format!("user-{i}");
            let h = [("x-user", user.as_str())];
            let (a, b, c) = (
                pick(&r10, &h).is_some(),
                pick(&r30, &h).is_some(),
                pick(&r100, &h).is_some(),
            );
            assert!(!a || b, "{user} left the lane when the share grew");
            assert!(!b || c);
            n10 += usize::from(a);
            n30 += usize::from(b);
            n100 += usize::from(c);
        }
        assert!((9_000..=11_000).contains(&n10), "{n10}");
        assert!((29_000..=31_000).contains(&n30), "{n30}");
        assert_eq!(n100, 100_000);
        assert_eq!(pick(&at(0), &[("x-user", "user-1")]), None);
    }

    #[test]
    fn percentage_without_key_stays_baseline() {
        let r = rules(r#"[{"lane":"grey","percentage":100,"hashBy":{"cookie":"uid"}}]"#);
        assert_eq!(pick(&r, &[]), None);
        assert_eq!(pick(&r, &[("cookie", "uid=")]), None);
        assert_eq!(pick(&r, &[("cookie", "uid=7")]), Some((0, "grey".into())));
    }

    #[test]
    fn match_and_percentage_combine() {
        let r = rules(
            r#"[{"lane":"grey","match":{"header":{"name":"region","exact":"eu"}},"percentage":100,"hashBy":{"header":"x-user"}}]"#,
        );
        assert_eq!(
            pick(&r, &[("region", "eu"), ("x-user", "u")]),
            Some((0, "grey".into()))
        );
        assert_eq!(pick(&r, &[("region", "us"), ("x-user", "u")]), None);
        assert_eq!(pick(&r, &[("region", "eu")]), None);
    }
}
