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
                | b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b'='
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
mod tests;
