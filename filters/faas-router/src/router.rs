//! What happens to one request: the decision the glue carries out, made
//! without proxy-wasm so every case is tested natively.

use crate::config::{Backend, Config, HashBy, OnNoMatch, Route, Target};
use crate::split;
use crate::table::Kind;
use filters_common::cookies::find_cookie;
use filters_common::path::{normalize_request_path, PathError};
use filters_common::query::split_path;
use std::borrow::Cow;

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome<'c> {
    /// No `:path`, or a path outside `pathPrefix`: nothing is changed.
    Untouched,
    /// Under `pathPrefix`, no route, `onNoMatch: passthrough`.
    Passthrough,
    /// Answer locally with a short JSON body.
    Reject {
        status: u32,
        /// Metric and log name of the reason.
        reason: &'static str,
        body: String,
    },
    Routed(Routed<'c>),
}

#[derive(Debug, PartialEq, Eq)]
pub struct Routed<'c> {
    pub route: &'c Route,
    pub target_id: usize,
    pub target: &'c Target,
    /// The new `:path` when it differs from the one received.
    pub path: Option<String>,
    /// Several regexes matched (see `table.rs` for the tie-break).
    pub ambiguous: bool,
    /// The `virtualHosts` entry whose table was used; `None`: top-level `routes`.
    pub virtual_host: Option<usize>,
}

/// `normalize_request_path`, without its copies when the path is already
/// normal, as nearly every request's is: only pchar bytes that need no
/// decoding, no empty segment but a trailing one, no segment starting with
/// `.` (so no `.`, `..`, `..;`). Such a path is its own normal form (unit
/// test against the full normalization); anything else takes the full one.
fn normalized(raw: &str) -> Result<(Cow<'_, str>, Option<&str>), PathError> {
    let (path, query) = split_path(raw);
    let bytes = path.as_bytes();
    let plain =
        bytes.first() == Some(&b'/') && bytes.iter().all(|&b| {
            matches!(b, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'/' | b'-' | b'.' | b'_' | b'~'
                | b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
                | b':' | b'@')
        }) && !bytes.windows(2).any(|w| w == b"//" || w == b"/.");
    if plain {
        return Ok((Cow::Borrowed(path), query));
    }
    let (path, query) = normalize_request_path(raw)?;
    Ok((Cow::Owned(path), query))
}

pub use filters_common::header_map::Header;

/// Decides for a request without `:authority`: the top-level `routes`.
/// See [`decide_for_host`].
pub fn decide<'c, 'h>(
    config: &'c Config,
    raw_path: Option<&str>,
    headers: impl IntoIterator<Item = Header<'h>>,
    random: impl FnOnce() -> u64,
) -> Outcome<'c> {
    decide_for_host(config, None, raw_path, headers, random)
}

/// Where a request for `authority` (as received, port and case ignored) and
/// `path` goes, without request headers: for tools. A split is reported with
/// the target a random draw of 0 gives; `route.backend` has all of them.
pub fn resolve<'c>(config: &'c Config, authority: Option<&str>, path: &str) -> Outcome<'c> {
    decide_for_host(config, authority, Some(path), [], || 0)
}

/// Decides for a request. `authority` selects the table (a virtual host's,
/// else the top-level `routes`); `headers` are the request headers in order
/// (read only for a split's `hashBy`); `random` is used only for a split
/// whose key is absent.
pub fn decide_for_host<'c, 'h>(
    config: &'c Config,
    authority: Option<&str>,
    raw_path: Option<&str>,
    headers: impl IntoIterator<Item = Header<'h>>,
    random: impl FnOnce() -> u64,
) -> Outcome<'c> {
    // CONNECT has no `:path`; `OPTIONS *` is not a path: neither is ours.
    let Some(raw_path) = raw_path.filter(|p| p.starts_with('/')) else {
        return Outcome::Untouched;
    };
    let (path, query) = match normalized(raw_path) {
        Ok(p) => p,
        Err(e) => {
            return Outcome::Reject {
                status: 400,
                reason: e.reason(),
                body: format!(r#"{{"error":"bad_path","reason":"{}"}}"#, e.reason()),
            }
        }
    };
    if !path.starts_with(&config.path_prefix) {
        return Outcome::Untouched;
    }
    let table = config.table_for(authority);
    let Some(hit) = table.table.lookup(&path) else {
        return match config.on_no_match {
            OnNoMatch::Passthrough => Outcome::Passthrough,
            OnNoMatch::Reject => Outcome::Reject {
                status: 404,
                reason: "no_route",
                body: no_route_body(&path),
            },
        };
    };
    let Some(route) = table.routes.get(hit.route) else {
        return Outcome::Untouched;
    };
    let target_id = match &route.backend {
        Backend::Service(t) => Some(*t),
        Backend::Split { choices, hash_by } => {
            let headers = headers.into_iter();
            let key = match hash_by {
                Some(HashBy::Header(name)) => first_value(headers, name),
                Some(HashBy::Cookie(name)) => cookie(headers, name),
                None => None,
            };
            split::pick(choices, key.map(str::as_bytes), &route.id, random)
        }
    };
    let Some((target_id, target)) = target_id.and_then(|t| Some((t, config.targets.get(t)?)))
    else {
        return Outcome::Untouched;
    };
    let new_path = rewrite(route, &path);
    let unchanged = raw_path
        .strip_prefix(&*new_path)
        .is_some_and(|rest| match query {
            Some(q) => rest.strip_prefix('?') == Some(q),
            None => rest.is_empty(),
        });
    let path = (!unchanged).then(|| match query {
        Some(q) => format!("{new_path}?{q}"),
        None => new_path.into_owned(),
    });
    Outcome::Routed(Routed {
        route,
        target_id,
        target,
        path,
        ambiguous: hit.ambiguous,
        virtual_host: table.virtual_host,
    })
}

/// The first value of header `name`, if it is UTF-8.
fn first_value<'h>(mut headers: impl Iterator<Item = Header<'h>>, name: &str) -> Option<&'h str> {
    let (_, v) = headers.find(|(n, _)| *n == name.as_bytes())?;
    std::str::from_utf8(v).ok()
}

/// Cookie `name` from every `cookie` header, as if they were joined with
/// `"; "` (HTTP/2 sends one header per cookie, RFC 9113 §8.2.3): the first
/// one wins. A `cookie` header that is not UTF-8 makes the joined value
/// unreadable, so no key (as grey-chain reads it).
fn cookie<'h>(headers: impl Iterator<Item = Header<'h>>, name: &str) -> Option<&'h str> {
    let mut found = None;
    for (_, v) in headers.filter(|(n, _)| *n == b"cookie") {
        let v = std::str::from_utf8(v).ok()?;
        found = found.or_else(|| find_cookie(v, name));
    }
    found
}

/// At most this much of the path is echoed in a 404: the answer to a
/// 60 KB path stays short.
pub const MAX_ECHOED_PATH: usize = 256;

fn no_route_body(path: &str) -> String {
    let end = (0..=MAX_ECHOED_PATH.min(path.len()))
        .rev()
        .find(|&i| path.is_char_boundary(i))
        .unwrap_or(0);
    let shown = json_escape(path.get(..end).unwrap_or(""));
    if end < path.len() {
        format!(r#"{{"error":"no_faas_route","path":"{shown}","truncated":true}}"#)
    } else {
        format!(r#"{{"error":"no_faas_route","path":"{shown}"}}"#)
    }
}

/// A normalized path is printable ASCII; only `"` needs escaping in JSON
/// (a backslash was refused), both are escaped anyway.
fn json_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Applies `rewritePrefix`: a prefix route replaces the matched prefix, an
/// exact route the whole path. One `/` joins the two when a prefix without a
/// trailing `/` is rewritten to one with it.
fn rewrite<'p>(route: &'p Route, path: &'p str) -> Cow<'p, str> {
    let Some(to) = &route.rewrite_prefix else {
        return Cow::Borrowed(path);
    };
    match route.kind {
        Kind::Exact => Cow::Borrowed(to),
        Kind::Prefix => {
            let rest = path.get(route.pattern.len()..).unwrap_or("");
            Cow::Owned(match rest.strip_prefix('/') {
                Some(tail) if to.ends_with('/') => format!("{to}{tail}"),
                _ => format!("{to}{rest}"),
            })
        }
        Kind::Regex => Cow::Borrowed(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;

    #[test]
    fn the_shortcut_agrees_with_the_full_normalization() {
        let segments = [
            "",
            ".",
            "..",
            "...",
            ".a",
            "a.",
            "..;x",
            ".;",
            "a;b",
            "%2e",
            "%2E%2e",
            "%41",
            "%2F",
            "%zz",
            "a b",
            "a\\b",
            "caf\u{e9}",
            "x#y",
            "~u",
            "a:b@c",
            "!$&'()*+,=",
            "\"",
            "<>",
        ];
        let mut checked = 0;
        for a in segments {
            for b in segments {
                for c in ["", "/", "?q=/../%2F", "/?"] {
                    let raw = format!("/faas/{a}/{b}{c}");
                    let full = normalize_request_path(&raw).map(|(p, q)| (Cow::Owned(p), q));
                    assert_eq!(normalized(&raw), full, "{raw}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 2000);
        for raw in [
            "/",
            "//",
            "/faas/api/svc1/items/42?page=1",
            "/a/b/",
            "/a//b",
            "/a/./b",
        ] {
            let full = normalize_request_path(raw).map(|(p, q)| (Cow::Owned(p), q));
            assert_eq!(normalized(raw), full, "{raw}");
        }
        assert!(matches!(
            normalized("/faas/api/render?x"),
            Ok((Cow::Borrowed("/faas/api/render"), Some("x")))
        ));
    }

    const CONFIG: &str = r#"{"routes": [
        {"match": {"prefix": "/faas/api/saas/showroom/"}, "service": "saas-showroom", "namespace": "faas-alpha"},
        {"match": {"prefix": "/faas/api/p/saas/virtual-showroom/"}, "service": "virtual-showroom", "namespace": "faas-alpha", "rewritePrefix": "/"},
        {"match": {"exact": "/faas/api/render"}, "service": "render", "namespace": "faas-beta", "rewritePrefix": "/do/render"},
        {"match": {"regex": "^/faas/api/u/[a-z0-9-]+/profile$"}, "service": "profile", "namespace": "faas-beta"},
        {"match": {"prefix": "/faas/api/search/"}, "namespace": "faas-alpha",
         "split": [{"service": "search", "weight": 90}, {"service": "search-v2", "weight": 10}],
         "hashBy": {"header": "x-jwt-sub"}},
        {"match": {"prefix": "/faas/api/c"}, "namespace": "faas-alpha",
         "split": [{"service": "c1", "weight": 50}, {"service": "c2", "weight": 50}],
         "hashBy": {"cookie": "uid"}, "rewritePrefix": "/"}
    ]}"#;

    fn config(json: &str) -> Config {
        parse(json.as_bytes()).unwrap()
    }

    const NO_HEADERS: [Header<'static>; 0] = [];

    fn routed<'c>(c: &'c Config, path: &str) -> Routed<'c> {
        match decide(c, Some(path), NO_HEADERS, || 0) {
            Outcome::Routed(r) => r,
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn routes_and_rewrites_keeping_the_query() {
        let c = config(CONFIG);
        let r = routed(&c, "/faas/api/saas/showroom/list?page=2");
        assert_eq!(
            r.target.authority,
            "saas-showroom.faas-alpha.svc.cluster.local"
        );
        assert_eq!(r.route.id, "prefix:/faas/api/saas/showroom/");
        assert_eq!(r.path, None);

        let r = routed(&c, "/faas/api/p/saas/virtual-showroom/a/b?x=1&y=/..");
        assert_eq!(r.target.service, "virtual-showroom");
        assert_eq!(r.path.as_deref(), Some("/a/b?x=1&y=/.."));

        let r = routed(&c, "/faas/api/render?q");
        assert_eq!(r.path.as_deref(), Some("/do/render?q"));
        assert_eq!(
            routed(&c, "/faas/api/u/bob-1/profile").target.service,
            "profile"
        );
    }

    #[test]
    fn forwards_the_normalized_path() {
        let c = config(CONFIG);
        let r = routed(&c, "/faas/api/x/..//saas/%73howroom/./a?b");
        assert_eq!(r.target.service, "saas-showroom");
        assert_eq!(r.path.as_deref(), Some("/faas/api/saas/showroom/a?b"));
    }

    #[test]
    fn prefix_without_slash_rewrites_with_one_slash() {
        let c = config(CONFIG);
        assert_eq!(routed(&c, "/faas/api/c/x").path.as_deref(), Some("/x"));
        assert_eq!(routed(&c, "/faas/api/c").path.as_deref(), Some("/"));
        assert!(matches!(
            decide(&c, Some("/faas/api/cx"), NO_HEADERS, || 0),
            Outcome::Reject { status: 404, .. }
        ));
    }

    #[test]
    fn split_follows_the_header_or_cookie() {
        let c = config(CONFIG);
        let pick = |path: &str, name: &'static str, value: &'static str| match decide(
            &c,
            Some(path),
            [(name.as_bytes(), value.as_bytes())],
            || panic!("a present key must not use randomness"),
        ) {
            Outcome::Routed(r) => r.target.service.clone(),
            other => panic!("{other:?}"),
        };
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..200 {
            let user: &'static str = Box::leak(format!("user-{i}").into_boxed_str());
            let a = pick("/faas/api/search/q", "x-jwt-sub", user);
            assert_eq!(pick("/faas/api/search/other", "x-jwt-sub", user), a);
            seen.insert(a);
            let cookie: &'static str = Box::leak(format!("a=1; uid={user}").into_boxed_str());
            seen.insert(pick("/faas/api/c/x", "cookie", cookie));
        }
        assert_eq!(
            seen.into_iter().collect::<Vec<_>>(),
            ["c1", "c2", "search", "search-v2"]
        );
        // Without the key the random source decides.
        let low = decide(&c, Some("/faas/api/search/q"), NO_HEADERS, || 0);
        let high = decide(&c, Some("/faas/api/search/q"), NO_HEADERS, || u64::MAX);
        let service = |o: Outcome| match o {
            Outcome::Routed(r) => r.target.service.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            (service(low), service(high)),
            ("search".into(), "search-v2".into())
        );
    }

    #[test]
    fn cookies_are_read_from_every_cookie_header() {
        let c = config(CONFIG);
        let service = |headers: &[(&str, &[u8])]| {
            let pairs: Vec<Header> = headers.iter().map(|(n, v)| (n.as_bytes(), *v)).collect();
            match decide(&c, Some("/faas/api/c/x"), pairs, || u64::MAX) {
                Outcome::Routed(r) => r.target.service.clone(),
                other => panic!("{other:?}"),
            }
        };
        // HTTP/2 sends one `cookie` header per cookie: the same choice as one
        // joined header, whichever header carries `uid`.
        for i in 0..100 {
            let uid = format!("uid=user-{i}");
            let joined = format!("a=1; {uid}; b=2");
            let want = service(&[("cookie", joined.as_bytes())]);
            let split = [
                ("cookie", b"a=1".as_slice()),
                ("x-other", b"uid=nope".as_slice()),
                ("cookie", uid.as_bytes()),
                ("cookie", b"b=2; uid=later".as_slice()),
            ];
            assert_eq!(service(&split), want, "{uid}");
        }
        // Unreadable as a whole (one header not UTF-8): no key, so random.
        let random_pick = service(&[]);
        let uid = (0..100)
            .map(|i| format!("uid=user-{i}"))
            .find(|uid| service(&[("cookie", uid.as_bytes())]) != random_pick)
            .unwrap();
        assert_eq!(
            service(&[("cookie", uid.as_bytes()), ("cookie", b"\xff")]),
            random_pick
        );
    }

    #[test]
    fn no_match_rejects_or_passes_through() {
        let c = config(CONFIG);
        assert_eq!(
            decide(&c, Some("/faas/api/nothing/here?x=1"), NO_HEADERS, || 0),
            Outcome::Reject {
                status: 404,
                reason: "no_route",
                body: r#"{"error":"no_faas_route","path":"/faas/api/nothing/here"}"#.into()
            }
        );
        let pass = config(&CONFIG.replacen('{', r#"{"onNoMatch": "passthrough", "#, 1));
        assert_eq!(
            decide(&pass, Some("/faas/api/nothing"), NO_HEADERS, || 0),
            Outcome::Passthrough
        );
    }

    #[test]
    fn the_404_body_is_valid_json_for_any_accepted_path() {
        let c = config(CONFIG);
        let Outcome::Reject { body, .. } =
            decide(&c, Some("/faas/api/a\"b'<>%22"), NO_HEADERS, || 0)
        else {
            panic!("not rejected");
        };
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["path"], "/faas/api/a\"b'<>%22");
    }

    #[test]
    fn a_long_unmatched_path_is_echoed_truncated() {
        let c = config(CONFIG);
        let path = format!("/faas/api/x/{}", "a/".repeat(29_000));
        let Outcome::Reject { status, body, .. } = decide(&c, Some(&path), NO_HEADERS, || 0) else {
            panic!("not rejected");
        };
        assert_eq!(status, 404);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["path"], path[..MAX_ECHOED_PATH]);
        assert_eq!(v["truncated"], true);
        let short = "/faas/api/x/".to_string() + &"b".repeat(MAX_ECHOED_PATH - 12);
        let Outcome::Reject { body, .. } = decide(&c, Some(&short), NO_HEADERS, || 0) else {
            panic!("not rejected");
        };
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            (v["path"].as_str(), v.get("truncated")),
            (Some(&*short), None)
        );
    }

    #[test]
    fn outside_the_prefix_nothing_happens() {
        let c = config(CONFIG);
        for p in [
            "/",
            "/faas/api",
            "/faas/apix/render",
            "/FAAS/api/render",
            "/other/faas/api/render",
            "*",
        ] {
            assert_eq!(
                decide(&c, Some(p), NO_HEADERS, || 0),
                Outcome::Untouched,
                "{p}"
            );
        }
        assert_eq!(decide(&c, None, NO_HEADERS, || 0), Outcome::Untouched);
    }

    #[test]
    fn bad_paths_are_400_with_the_reason() {
        let c = config(CONFIG);
        assert_eq!(
            decide(&c, Some("/faas/api/saas%2Fshowroom/x"), NO_HEADERS, || 0),
            Outcome::Reject {
                status: 400,
                reason: "encoded_slash",
                body: r#"{"error":"bad_path","reason":"encoded_slash"}"#.into()
            }
        );
    }

    #[test]
    fn the_authority_picks_the_table() {
        let c = config(
            r#"{"routes": [{"match": {"prefix": "/faas/api/a/"}, "service": "a", "namespace": "prod"}],
                "onNoMatch": "passthrough",
                "virtualHosts": [{"hosts": ["alpha.example.com", "*.alpha.example.com"],
                  "routes": [{"match": {"prefix": "/faas/api/a/"}, "service": "a", "namespace": "alpha", "timeout": "1s"},
                             {"match": {"exact": "/faas/api/only-alpha"}, "service": "o", "namespace": "alpha"}]}]}"#,
        );
        let target = |authority: Option<&str>, path: &str| match resolve(&c, authority, path) {
            Outcome::Routed(r) => format!(
                "{}.{} {:?} {}",
                r.target.service,
                r.target.namespace,
                r.virtual_host,
                r.route.policy.headers.len()
            ),
            other => format!("{other:?}"),
        };
        assert_eq!(target(None, "/faas/api/a/x"), "a.prod None 0");
        assert_eq!(
            target(Some("Alpha.Example.com:8080"), "/faas/api/a/x"),
            "a.alpha Some(0) 1"
        );
        assert_eq!(
            target(Some("x.alpha.example.com"), "/faas/api/a/x"),
            "a.alpha Some(0) 1"
        );
        assert_eq!(
            target(Some("beta.example.com"), "/faas/api/a/x"),
            "a.prod None 0"
        );
        assert_eq!(
            target(Some("alpha.example.com"), "/faas/api/only-alpha"),
            "o.alpha Some(0) 0"
        );
        // A host's table is the whole answer: no fallback to the top level.
        assert_eq!(
            target(Some("alpha.example.com"), "/faas/api/b/x"),
            "Passthrough"
        );
        assert_eq!(target(None, "/faas/api/only-alpha"), "Passthrough");
        assert_eq!(target(Some("alpha.example.com"), "/elsewhere"), "Untouched");
    }
}
