//! How the lane travels in the W3C `baggage` header
//! (<https://www.w3.org/TR/baggage/>): members are read leniently (malformed
//! ones ignored), written back verbatim, and the spec's limits are kept.

use filters_common::http_token::is_token;
use filters_common::query::percent_decode;

/// The spec's limits on what a platform propagates.
pub const MAX_MEMBERS: usize = 64;
pub const MAX_BYTES: usize = 8192;

/// One well-formed list-member: its trimmed text, key and raw (encoded) value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member<'a> {
    pub text: &'a str,
    pub key: &'a str,
    pub value: &'a str,
}

fn trim_ows(s: &str) -> &str {
    s.trim_matches(|c| c == ' ' || c == '\t')
}

/// `baggage-octet`: printable US-ASCII except `"`, `,`, `;`, `\`.
fn is_value(s: &str) -> bool {
    s.bytes()
        .all(|b| matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E))
}

fn key_value(s: &str) -> Option<(&str, &str)> {
    let (k, v) = s.split_once('=')?;
    let (k, v) = (trim_ows(k), trim_ows(v));
    (is_token(k) && is_value(v)).then_some((k, v))
}

fn parse_member(text: &str) -> Option<Member<'_>> {
    let text = trim_ows(text);
    let mut parts = text.split(';');
    let (key, value) = key_value(parts.next()?)?;
    // property = key OWS "=" OWS value / key OWS
    let properties_ok = parts.all(|p| {
        let p = trim_ows(p);
        if p.contains('=') {
            key_value(p).is_some()
        } else {
            is_token(p)
        }
    });
    properties_ok.then_some(Member { text, key, value })
}

/// The well-formed members of a `baggage` value (several headers joined by `,`).
pub fn members(header: &str) -> impl Iterator<Item = Member<'_>> {
    header.split(',').filter_map(parse_member)
}

/// The decoded value of the first well-formed member `key`.
pub fn find(header: &str, key: &str) -> Option<String> {
    members(header)
        .find(|m| m.key == key)
        .and_then(|m| percent_decode(m.value))
}

/// Whether any member (well-formed or not) names `key`: then removing it changes the header.
pub fn mentions(header: &str, key: &str) -> bool {
    header.split(',').any(|m| {
        let m = trim_ows(m);
        m.split(['=', ';']).next().map(trim_ows) == Some(key)
    })
}

/// The well-formed members other than `key`, within the spec's limits once
/// `reserve` more bytes (and one more member, when `reserve` > 0) are added.
fn others<'a>(header: &'a str, key: &str, reserve: usize) -> Vec<&'a str> {
    let max_members = if reserve > 0 {
        MAX_MEMBERS - 1
    } else {
        MAX_MEMBERS
    };
    let mut bytes = reserve;
    let mut kept = Vec::new();
    for m in members(header).filter(|m| m.key != key) {
        let cost = m.text.len() + usize::from(bytes > 0);
        if kept.len() >= max_members || bytes + cost > MAX_BYTES {
            continue;
        }
        bytes += cost;
        kept.push(m.text);
    }
    kept
}

/// The `baggage` value without member `key`; `None` when nothing is left.
pub fn without(header: &str, key: &str) -> Option<String> {
    let kept = others(header, key, 0);
    (!kept.is_empty()).then(|| kept.join(","))
}

/// The `baggage` value with `key=value` (replacing any earlier `key`), other
/// well-formed members kept in order. `value` must be a valid baggage value.
pub fn with(header: Option<&str>, key: &str, value: &str) -> String {
    let mut ours = String::with_capacity(key.len() + 1 + value.len());
    ours.push_str(key);
    ours.push('=');
    ours.push_str(value);
    let Some(header) = header.filter(|h| !h.is_empty()) else {
        return ours;
    };
    let mut kept = others(header, key, ours.len());
    kept.push(&ours);
    kept.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_members_with_ows_and_properties() {
        let h = "userId=alice , lane = grey ;ttl=3;flag, other=%20x";
        assert_eq!(find(h, "lane").as_deref(), Some("grey"));
        assert_eq!(find(h, "userId").as_deref(), Some("alice"));
        assert_eq!(find(h, "other").as_deref(), Some(" x"));
        assert_eq!(find(h, "missing"), None);
    }

    #[test]
    fn malformed_members_are_ignored() {
        for h in [
            "lane",
            "lane=gr\"ey",
            "la ne=grey",
            "lane=grey;bad prop",
            "=grey",
            "lane=gr,ey",
        ] {
            assert_ne!(find(h, "lane").as_deref(), Some("grey"), "{h}");
        }
        assert_eq!(
            find("bad member, lane=grey", "lane").as_deref(),
            Some("grey")
        );
        assert_eq!(
            find("lane=gr\\ey,lane=grey", "lane").as_deref(),
            Some("grey")
        );
    }

    #[test]
    fn writes_keep_other_members_and_drop_malformed() {
        let h = "a=1;p=q, lane=blue, bad member ,b=2";
        assert_eq!(with(Some(h), "lane", "grey"), "a=1;p=q,b=2,lane=grey");
        assert_eq!(with(None, "lane", "grey"), "lane=grey");
        assert_eq!(without(h, "lane").as_deref(), Some("a=1;p=q,b=2"));
        assert_eq!(without("lane=grey", "lane"), None);
        assert_eq!(without("lane=x,lane=y", "lane"), None);
        assert!(mentions(h, "lane"));
        assert!(mentions("lane;x", "lane"));
        assert!(!mentions("lanes=1", "lane"));
    }

    #[test]
    fn limits_are_kept() {
        let many: Vec<String> = (0..100).map(|i| format!("k{i}=v")).collect();
        let out = with(Some(&many.join(",")), "lane", "grey");
        assert_eq!(out.split(',').count(), MAX_MEMBERS);
        assert!(out.ends_with("lane=grey"));
        assert!(out.starts_with("k0=v,k1=v"));

        let big = format!("a={},b={},c=1", "x".repeat(5000), "y".repeat(5000));
        let out = with(Some(&big), "lane", "grey");
        assert!(out.len() <= MAX_BYTES, "{}", out.len());
        assert!(out.contains("lane=grey") && out.contains("c=1") && !out.contains("yyy"));
    }
}
