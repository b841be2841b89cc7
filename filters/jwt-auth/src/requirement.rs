//! Which requirement applies to a request: the first rule whose match fits
//! the path (without query) decides, else the default. CORS preflights pass.

use crate::config::{Config, PathMatch, Requirement};
use crate::extract::Request;

pub fn for_request(config: &Config, req: &Request) -> Requirement {
    if is_cors_preflight(req) {
        return Requirement::None;
    }
    let path = req.path_without_query();
    config
        .rules
        .iter()
        .find(|r| match &r.matcher {
            PathMatch::Prefix(p) => path.starts_with(p.as_str()),
            PathMatch::Exact(e) => path == e,
            PathMatch::Regex(re) => re.is_match(path),
        })
        .map_or(config.default_requirement, |r| r.requirement)
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
        assert_eq!(at("GET", "nothing", &[]), Requirement::None);
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
