//! Which requirement applies to a request: the first rule whose match fits
//! the normalized path (without query) decides, else the default. CORS
//! preflights pass.
//!
//! Rules see the path as faas-router and upstreams do after normalization
//! (`/public/../a` is `/a`), so dot segments, `//` or escapes cannot steer a
//! request into a laxer rule. A path that cannot be normalized is refused.

use crate::config::{Config, PathMatch, Requirement};
use crate::extract::Request;
use filters_common::path::{self, PathError};

pub fn for_request(config: &Config, req: &Request) -> Result<Requirement, PathError> {
    if is_cors_preflight(req) {
        return Ok(Requirement::None);
    }
    if config.rules.is_empty() {
        return Ok(config.default_requirement);
    }
    let path = path::normalize(req.path_without_query())?;
    let path = path.as_str();
    Ok(config
        .rules
        .iter()
        .find(|r| match &r.matcher {
            PathMatch::Prefix(p) => path.starts_with(p.as_str()),
            PathMatch::Exact(e) => path == e,
            PathMatch::Regex(re) => re.is_match(path),
        })
        .map_or(config.default_requirement, |r| r.requirement))
}

/// OPTIONS with `Origin` and `Access-Control-Request-Method`.
pub fn is_cors_preflight(req: &Request) -> bool {
    req.method == "OPTIONS"
        && req.header("origin").is_some()
        && req.header("access-control-request-method").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        crate::config::parse(
            br#"{"jwtRules":[{"issuer":"i","jwks":"{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}"}],
            "rules":[
              {"match":{"prefix":"/faas/api/public/"},"requirement":"allow_missing"},
              {"match":{"exact":"/healthz"},"requirement":"none"},
              {"match":{"regex":"/v[0-9]+/open"},"requirement":"none"},
              {"match":{"prefix":"/"},"requirement":"required"}
            ],
            "defaultRequirement":"none"}"#,
        )
        .unwrap()
    }

    fn at(method: &str, path: &str, headers: &[(&str, &str)]) -> Requirement {
        try_at(method, path, headers).unwrap()
    }

    fn try_at(
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Result<Requirement, PathError> {
        let req = Request {
            method: method.into(),
            path: path.into(),
            headers: headers
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            ..Request::default()
        };
        for_request(&config(), &req)
    }

    #[test]
    fn first_matching_rule_decides_on_the_path_without_query() {
        assert_eq!(
            at("GET", "/faas/api/public/x", &[]),
            Requirement::AllowMissing
        );
        assert_eq!(at("GET", "/healthz", &[]), Requirement::None);
        assert_eq!(at("GET", "/healthz?x=1", &[]), Requirement::None);
        assert_eq!(at("GET", "/healthz/x", &[]), Requirement::Required);
        assert_eq!(at("GET", "/v2/open", &[]), Requirement::None);
        assert_eq!(at("GET", "/v2/open/more", &[]), Requirement::Required);
        assert_eq!(at("GET", "/x/v2/open", &[]), Requirement::Required);
        assert_eq!(at("GET", "/faas/api/private", &[]), Requirement::Required);
        assert_eq!(try_at("GET", "nothing", &[]), Err(PathError::NotOriginForm));
    }

    #[test]
    fn rules_match_the_normalized_path() {
        for bypass in [
            "/faas/api/public/../a/secret",
            "/faas/api/public/%2e%2e/a/secret",
            "/faas/api/public/%2E%2E/a/secret?x=/faas/api/public/",
            "/faas/api/public//../a/secret",
            "/faas/api/public/./../a/secret",
        ] {
            assert_eq!(at("GET", bypass, &[]), Requirement::Required, "{bypass}");
        }
        assert_eq!(
            at("GET", "/faas/api/x/../public/y", &[]),
            Requirement::AllowMissing
        );
        assert_eq!(
            at("GET", "/faas//api/public/%7Ey", &[]),
            Requirement::AllowMissing
        );
        assert_eq!(at("GET", "/./healthz", &[]), Requirement::None);
        assert_eq!(at("GET", "/healthz/.", &[]), Requirement::Required);
    }

    #[test]
    fn a_path_that_cannot_be_normalized_is_refused() {
        assert_eq!(
            try_at("GET", "/faas/api/public/..%2fa", &[]),
            Err(PathError::EncodedSlash)
        );
        assert_eq!(try_at("GET", "/../a", &[]), Err(PathError::AboveRoot));
        assert_eq!(
            try_at("GET", "/faas/api/public/..;/a", &[]),
            Err(PathError::DotSegmentWithParams)
        );
    }

    #[test]
    fn without_rules_the_path_is_not_judged() {
        let c = crate::config::parse(
            br#"{"jwtRules":[{"issuer":"i","jwks":"{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}"}],
            "defaultRequirement":"allow_missing"}"#,
        )
        .unwrap();
        let req = Request {
            path: "/a/..%2f..%2fb".into(),
            ..Request::default()
        };
        assert_eq!(for_request(&c, &req), Ok(Requirement::AllowMissing));
    }

    #[test]
    fn only_a_real_preflight_passes() {
        let pre = [
            ("origin", "https://x"),
            ("access-control-request-method", "POST"),
        ];
        assert_eq!(at("OPTIONS", "/a", &pre), Requirement::None);
        assert_eq!(at("OPTIONS", "/a", &pre[..1]), Requirement::Required);
        assert_eq!(at("GET", "/a", &pre), Requirement::Required);
    }
}
