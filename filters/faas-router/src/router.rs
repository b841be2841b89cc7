//! What happens to one request: the decision the glue carries out, made
//! without proxy-wasm so every case is tested natively.

use crate::config::{Backend, Config, HashBy, OnNoMatch, Route, Target};
use crate::split;
use crate::table::Kind;
use filters_common::cookies::find_cookie;
use filters_common::path::normalize_request_path;

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
}

/// Decides for a request. `header` returns a request header by lower-case
/// name (`cookie` with every cookie); `random` is used only for a split
/// whose key is absent.
pub fn decide<'c, 'h>(
    config: &'c Config,
    raw_path: Option<&str>,
    header: impl Fn(&str) -> Option<&'h str>,
    random: impl FnOnce() -> u64,
) -> Outcome<'c> {
    // CONNECT has no `:path`; `OPTIONS *` is not a path: neither is ours.
    let Some(raw_path) = raw_path.filter(|p| p.starts_with('/')) else {
        return Outcome::Untouched;
    };
    let (path, query) = match normalize_request_path(raw_path) {
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
    let Some(hit) = config.table.lookup(&path) else {
        return match config.on_no_match {
            OnNoMatch::Passthrough => Outcome::Passthrough,
            OnNoMatch::Reject => Outcome::Reject {
                status: 404,
                reason: "no_route",
                body: no_route_body(&path),
            },
        };
    };
    let Some(route) = config.routes.get(hit.route) else {
        return Outcome::Untouched;
    };
    let target_id = match &route.backend {
        Backend::Service(t) => Some(*t),
        Backend::Split { choices, hash_by } => {
            let key = match hash_by {
                Some(HashBy::Header(name)) => header(name),
                Some(HashBy::Cookie(name)) => header("cookie").and_then(|c| find_cookie(c, name)),
                None => None,
            };
            split::pick(choices, key.map(str::as_bytes), &route.id, random)
        }
    };
    let Some((target_id, target)) = target_id.and_then(|t| Some((t, config.targets.get(t)?)))
    else {
        return Outcome::Untouched;
    };
    let mut new_path = rewrite(route, &path);
    if let Some(q) = query {
        new_path.push('?');
        new_path.push_str(q);
    }
    Outcome::Routed(Routed {
        route,
        target_id,
        target,
        path: (new_path != raw_path).then_some(new_path),
        ambiguous: hit.ambiguous,
    })
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
fn rewrite(route: &Route, path: &str) -> String {
    let Some(to) = &route.rewrite_prefix else {
        return path.to_string();
    };
    match route.kind {
        Kind::Exact => to.clone(),
        Kind::Prefix => {
            let rest = path.get(route.pattern.len()..).unwrap_or("");
            match rest.strip_prefix('/') {
                Some(tail) if to.ends_with('/') => format!("{to}{tail}"),
                _ => format!("{to}{rest}"),
            }
        }
        Kind::Regex => path.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;

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

    fn no_headers(_: &str) -> Option<&'static str> {
        None
    }

    fn routed<'c>(c: &'c Config, path: &str) -> Routed<'c> {
        match decide(c, Some(path), no_headers, || 0) {
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
            decide(&c, Some("/faas/api/cx"), no_headers, || 0),
            Outcome::Reject { status: 404, .. }
        ));
    }

    #[test]
    fn split_follows_the_header_or_cookie() {
        let c = config(CONFIG);
        let pick = |path: &str, name: &'static str, value: &'static str| match decide(
            &c,
            Some(path),
            move |h| (h == name).then_some(value),
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
        let low = decide(&c, Some("/faas/api/search/q"), no_headers, || 0);
        let high = decide(&c, Some("/faas/api/search/q"), no_headers, || u64::MAX);
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
    fn no_match_rejects_or_passes_through() {
        let c = config(CONFIG);
        assert_eq!(
            decide(&c, Some("/faas/api/nothing/here?x=1"), no_headers, || 0),
            Outcome::Reject {
                status: 404,
                reason: "no_route",
                body: r#"{"error":"no_faas_route","path":"/faas/api/nothing/here"}"#.into()
            }
        );
        let pass = config(&CONFIG.replacen('{', r#"{"onNoMatch": "passthrough", "#, 1));
        assert_eq!(
            decide(&pass, Some("/faas/api/nothing"), no_headers, || 0),
            Outcome::Passthrough
        );
    }

    #[test]
    fn the_404_body_is_valid_json_for_any_accepted_path() {
        let c = config(CONFIG);
        let Outcome::Reject { body, .. } =
            decide(&c, Some("/faas/api/a\"b'<>%22"), no_headers, || 0)
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
        let Outcome::Reject { status, body, .. } = decide(&c, Some(&path), no_headers, || 0) else {
            panic!("not rejected");
        };
        assert_eq!(status, 404);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["path"], path[..MAX_ECHOED_PATH]);
        assert_eq!(v["truncated"], true);
        let short = "/faas/api/x/".to_string() + &"b".repeat(MAX_ECHOED_PATH - 12);
        let Outcome::Reject { body, .. } = decide(&c, Some(&short), no_headers, || 0) else {
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
                decide(&c, Some(p), no_headers, || 0),
                Outcome::Untouched,
                "{p}"
            );
        }
        assert_eq!(decide(&c, None, no_headers, || 0), Outcome::Untouched);
    }

    #[test]
    fn bad_paths_are_400_with_the_reason() {
        let c = config(CONFIG);
        assert_eq!(
            decide(&c, Some("/faas/api/saas%2Fshowroom/x"), no_headers, || 0),
            Outcome::Reject {
                status: 400,
                reason: "encoded_slash",
                body: r#"{"error":"bad_path","reason":"encoded_slash"}"#.into()
            }
        );
    }
}
