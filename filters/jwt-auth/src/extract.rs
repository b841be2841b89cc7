//! Where a token is found in a request (headers, query parameters, cookies)
//! and how it is removed before the request goes upstream.

use crate::config::Location;
use filters_common::{cookies, query};

/// The parts of a request the filter reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub scheme: String,
    pub authority: String,
    /// `:path` including the query.
    pub path: String,
    /// Lowercase names, in arrival order.
    pub headers: Vec<(String, String)>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
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
pub fn find(req: &Request, locations: &[Location]) -> Option<Found> {
    locations.iter().find_map(|loc| {
        let token = match loc {
            Location::Header { name, prefix } => {
                let value = req.header(name)?;
                let head = value.get(..prefix.len())?;
                if !head.eq_ignore_ascii_case(prefix) {
                    return None;
                }
                value.get(prefix.len()..)?.trim().to_string()
            }
            Location::Param(name) => {
                let q = query::split_path(&req.path).1?;
                query::percent_decode(query::find_param(q, name)?)?
            }
            Location::Cookie(name) => {
                cookies::find_cookie(req.header("cookie")?, name)?.to_string()
            }
        };
        (!token.is_empty()).then(|| Found {
            token,
            location: loc.clone(),
        })
    })
}

/// How the request changes when the token is removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    Header(String),
    Path(String),
    /// The new `Cookie` header; `None` removes it.
    Cookie(Option<String>),
}

pub fn removal(req: &Request, loc: &Location) -> Removal {
    match loc {
        Location::Header { name, .. } => Removal::Header(name.clone()),
        Location::Param(name) => Removal::Path(query::remove_param(&req.path, name)),
        Location::Cookie(name) => Removal::Cookie(
            req.header("cookie")
                .and_then(|c| cookies::remove_cookie(c, name)),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(path: &str, headers: &[(&str, &str)]) -> Request {
        Request {
            method: "GET".into(),
            scheme: "http".into(),
            authority: "a".into(),
            path: path.into(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn all() -> Vec<Location> {
        vec![
            Location::Header {
                name: "authorization".into(),
                prefix: "Bearer ".into(),
            },
            Location::Header {
                name: "x-token".into(),
                prefix: String::new(),
            },
            Location::Param("access_token".into()),
            Location::Cookie("token".into()),
        ]
    }

    #[test]
    fn finds_in_order_of_locations() {
        let r = req(
            "/a?access_token=p",
            &[("authorization", "Bearer h"), ("cookie", "token=c")],
        );
        assert_eq!(find(&r, &all()).unwrap().token, "h");
        let r = req(
            "/a?access_token=p",
            &[("authorization", "Basic h"), ("cookie", "token=c")],
        );
        assert_eq!(find(&r, &all()).unwrap().token, "p");
        let r = req("/a?x=1", &[("cookie", "a=b; token=c")]);
        assert_eq!(find(&r, &all()).unwrap().token, "c");
        let r = req("/a", &[("x-token", " t ")]);
        assert_eq!(find(&r, &all()).unwrap().token, "t");
        assert_eq!(
            find(&req("/a", &[("authorization", "bearer lower")]), &all())
                .unwrap()
                .token,
            "lower"
        );
    }

    #[test]
    fn empty_or_absent_is_no_token() {
        assert_eq!(
            find(&req("/a", &[("authorization", "Bearer ")]), &all()),
            None
        );
        assert_eq!(find(&req("/a?access_token=", &[]), &all()), None);
        assert_eq!(find(&req("/a", &[("authorization", "Bear")]), &all()), None);
        assert_eq!(find(&req("/a?access_token=%zz", &[]), &all()), None);
        assert_eq!(
            find(&req("/a", &[("authorization", "Beärer x")]), &all()),
            None
        );
    }

    #[test]
    fn removal_keeps_everything_else() {
        let r = req(
            "/a?b=1&access_token=t&c=2",
            &[("cookie", "a=1; token=t; b=2")],
        );
        assert_eq!(
            removal(&r, &all()[0]),
            Removal::Header("authorization".into())
        );
        assert_eq!(removal(&r, &all()[2]), Removal::Path("/a?b=1&c=2".into()));
        assert_eq!(
            removal(&r, &all()[3]),
            Removal::Cookie(Some("a=1; b=2".into()))
        );
        let r = req("/a", &[("cookie", "token=t")]);
        assert_eq!(removal(&r, &all()[3]), Removal::Cookie(None));
    }
}
