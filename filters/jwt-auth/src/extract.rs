//! Where a token is found in a request (headers, query parameters, cookies)
//! and how it is removed before the request goes upstream.
//!
//! A client can repeat a header, a cookie or a parameter. Envoy's jwt_authn
//! verifies the first; an upstream may read another. So every occurrence is
//! considered: occurrences that hold the same token are one token, two
//! different tokens at one location are refused as malformed, and removal
//! drops every occurrence.

use crate::config::Location;
use crate::verify::Failure;
use filters_common::{cookies, query};

/// The parts of a request the filter reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub scheme: String,
    pub authority: String,
    /// `:path` including the query.
    pub path: String,
    /// Lowercase names, in arrival order; only values that are UTF-8.
    pub headers: Vec<(String, String)>,
    /// Lowercase names of headers that had a value that is not UTF-8.
    pub non_utf8: Vec<String>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name`, in arrival order.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn has_non_utf8(&self, name: &str) -> bool {
        self.non_utf8.iter().any(|n| n == name)
    }

    /// Every `Cookie` header joined as one (HTTP/2 splits cookies into
    /// several headers; RFC 9113 §8.2.3 joins them with "; ").
    fn cookie_header(&self) -> Option<String> {
        let all: Vec<&str> = self.headers_named("cookie").collect();
        (!all.is_empty()).then(|| all.join("; "))
    }

    pub fn path_without_query(&self) -> &str {
        query::split_path(&self.path).0
    }
}

/// A token and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub token: String,
    pub location: Location,
}

/// The first token found at `locations`, in order. A header without the
/// configured prefix (e.g. `Authorization: Basic …`) holds no token.
/// `Err(Malformed)` when the location that decides holds two different
/// tokens, or is a header (or, for cookies, a `Cookie` header) whose value
/// is not UTF-8.
pub fn find(req: &Request, locations: &[Location]) -> Result<Option<Found>, Failure> {
    for loc in locations {
        let tokens = match loc {
            Location::Header { name, prefix } => {
                if req.has_non_utf8(name) {
                    return Err(Failure::Malformed);
                }
                req.headers_named(name)
                    .filter_map(|v| header_token(v, prefix))
                    .collect()
            }
            Location::Param(name) => match query::split_path(&req.path).1 {
                // An invalid escape holds no token, as before any decoding.
                Some(q) => params(q, name).filter_map(query::percent_decode).collect(),
                None => Vec::new(),
            },
            Location::Cookie(name) => {
                if req.has_non_utf8("cookie") {
                    return Err(Failure::Malformed);
                }
                match req.cookie_header() {
                    Some(c) => cookie_values(&c, name),
                    None => Vec::new(),
                }
            }
        };
        let mut tokens = tokens.into_iter().filter(|t| !t.is_empty());
        let Some(token) = tokens.next() else {
            continue;
        };
        if tokens.any(|t| t != token) {
            return Err(Failure::Malformed);
        }
        return Ok(Some(Found {
            token,
            location: loc.clone(),
        }));
    }
    Ok(None)
}

fn header_token(value: &str, prefix: &str) -> Option<String> {
    let head = value.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    Some(value.get(prefix.len()..)?.trim().to_string())
}

/// Raw values of every parameter `name` in a query.
fn params<'a>(query: &'a str, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    query.split('&').filter_map(move |pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then_some(v)
    })
}

/// Values of every cookie `name` in a `Cookie` header value.
fn cookie_values(header: &str, name: &str) -> Vec<String> {
    header
        .split(';')
        .filter_map(|pair| cookies::find_cookie(pair, name))
        .map(str::to_string)
        .collect()
}

/// How the request changes when the token is removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    Header(String),
    Path(String),
    /// The new `Cookie` header, replacing every `Cookie` header; `None`
    /// removes them.
    Cookie(Option<String>),
}

pub fn removal(req: &Request, loc: &Location) -> Removal {
    match loc {
        Location::Header { name, .. } => Removal::Header(name.clone()),
        Location::Param(name) => Removal::Path(query::remove_param(&req.path, name)),
        Location::Cookie(name) => Removal::Cookie(
            req.cookie_header()
                .and_then(|c| cookies::remove_cookie(&c, name)),
        ),
    }
}

/// The removals of tokens at several `locations` (REQUIRED rules' tokens):
/// the query parameters from one path and the cookies from one `Cookie`
/// value, so a later removal does not put back an earlier one.
pub fn removals(req: &Request, locations: &[&Location]) -> Vec<Removal> {
    let mut out = Vec::new();
    let mut path: Option<String> = None;
    let mut cookie: Option<Option<String>> = None;
    for loc in locations {
        match loc {
            Location::Header { name, .. } => out.push(Removal::Header(name.clone())),
            Location::Param(name) => {
                let from = path.as_deref().unwrap_or(&req.path);
                path = Some(query::remove_param(from, name));
            }
            Location::Cookie(name) => {
                let from = match cookie {
                    Some(c) => c,
                    None => req.cookie_header(),
                };
                cookie = Some(from.and_then(|c| cookies::remove_cookie(&c, name)));
            }
        }
    }
    out.extend(path.map(Removal::Path));
    out.extend(cookie.map(Removal::Cookie));
    out
}

#[cfg(test)]
mod tests;
