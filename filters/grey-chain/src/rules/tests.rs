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
