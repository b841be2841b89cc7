use super::*;

fn config() -> Config {
    crate::config::parse(
        br#"{"jwtRules":[{"issuer":"i","jwks":"{\"keys\":[{\"kty\":\"oct\",\"k\":\"YS0zMi1ieXRlLWhtYWMtc2VjcmV0LWZvci10ZXN0cyE\"}]}"}],
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

fn try_at(method: &str, path: &str, headers: &[(&str, &str)]) -> Result<Requirement, PathError> {
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

/// Compatibility note in the README: before, `prefix` was a plain string prefix.
#[test]
fn a_prefix_ends_at_a_segment_boundary() {
    let c = crate::config::parse(
        br#"{"jwtRules":[{"issuer":"i","jwks":"{\"keys\":[{\"kty\":\"oct\",\"k\":\"YS0zMi1ieXRlLWhtYWMtc2VjcmV0LWZvci10ZXN0cyE\"}]}"}],
        "rules":[{"match":{"prefix":"/public"},"requirement":"none"}],
        "defaultRequirement":"required"}"#,
    )
    .unwrap();
    let at = |path: &str| {
        let req = Request {
            path: path.into(),
            ..Request::default()
        };
        for_request(&c, &req)
    };
    assert_eq!(at("/public"), Ok(Requirement::None));
    assert_eq!(at("/public/"), Ok(Requirement::None));
    assert_eq!(at("/public/a?b"), Ok(Requirement::None));
    assert_eq!(at("/publicity/admin"), Ok(Requirement::Required));
    assert_eq!(at("/publicX"), Ok(Requirement::Required));
}

/// Tomcat serves `/admin;x/secret` as `/admin/secret`; Go keeps `admin;x` as the segment
/// name: a raw `;` is refused wherever a rule needs the path, never matched either way.
#[test]
fn path_parameters_are_refused() {
    for p in [
        "/faas/api/public;x/../a",
        "/admin;x/secret",
        "/healthz;jsessionid=1",
    ] {
        assert_eq!(try_at("GET", p, &[]), Err(PathError::PathParameters), "{p}");
    }
    assert_eq!(at("GET", "/healthz?a;b", &[]), Requirement::None);
    assert_eq!(
        at("GET", "/faas/api/public/a%3Bb", &[]),
        Requirement::AllowMissing
    );
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
        Err(PathError::PathParameters)
    );
}

#[test]
fn without_rules_the_path_is_not_judged() {
    let c = crate::config::parse(
        br#"{"jwtRules":[{"issuer":"i","jwks":"{\"keys\":[{\"kty\":\"oct\",\"k\":\"YS0zMi1ieXRlLWhtYWMtc2VjcmV0LWZvci10ZXN0cyE\"}]}"}],
        "defaultRequirement":"allow_missing"}"#,
    )
    .unwrap();
    let req = Request {
        path: "/a/..%2f..%2fb".into(),
        ..Request::default()
    };
    assert_eq!(for_request(&c, &req), Ok(Requirement::AllowMissing));
}

fn hosts_config() -> Config {
    crate::config::parse(
        br#"{"jwtRules":[{"issuer":"i","jwks":"{\"keys\":[{\"kty\":\"oct\",\"k\":\"YS0zMi1ieXRlLWhtYWMtc2VjcmV0LWZvci10ZXN0cyE\"}]}"}],
        "rules":[
          {"match":{"prefix":"/health"},"requirement":"none"},
          {"match":{"prefix":"/api/"},"hosts":["api.example.com","*.api.example.com"],"requirement":"required"},
          {"match":{"prefix":"/"},"hosts":["www.example.com"],"requirement":"allow_missing"}
        ],
        "defaultRequirement":"none"}"#,
    )
    .unwrap()
}

fn on(authority: &str, path: &str) -> Result<Requirement, PathError> {
    let req = Request {
        method: "GET".into(),
        authority: authority.into(),
        path: path.into(),
        ..Request::default()
    };
    for_request(&hosts_config(), &req)
}

#[test]
fn a_rule_with_hosts_applies_only_on_those_hosts_and_its_paths() {
    // Host and path must both fit.
    assert_eq!(on("api.example.com", "/api/x"), Ok(Requirement::Required));
    assert_eq!(
        on("API.Example.COM:8443", "/api/x"),
        Ok(Requirement::Required)
    );
    assert_eq!(on("api.example.com.", "/api/x"), Ok(Requirement::Required));
    assert_eq!(
        on("eu.api.example.com", "/api/x"),
        Ok(Requirement::Required)
    );
    assert_eq!(on("api.example.com", "/web"), Ok(Requirement::None));
    // Another host: the rule is skipped, the next one or the default decides.
    assert_eq!(
        on("www.example.com", "/api/x"),
        Ok(Requirement::AllowMissing)
    );
    assert_eq!(on("shop.example.com", "/api/x"), Ok(Requirement::None));
    assert_eq!(on("api.example.com.evil", "/api/x"), Ok(Requirement::None));
    assert_eq!(on("", "/api/x"), Ok(Requirement::None));
    // A rule without hosts still applies everywhere, first match first.
    assert_eq!(on("api.example.com", "/health"), Ok(Requirement::None));
    // The path is normalized before the match on every host.
    assert_eq!(
        on("api.example.com", "/health/../api/x"),
        Ok(Requirement::Required)
    );
}

#[test]
fn a_bad_path_is_refused_only_where_a_rule_needs_it() {
    let bad = "/api/..%2fx";
    assert_eq!(on("api.example.com", bad), Err(PathError::EncodedSlash));
    // The first rule has no hosts, so every host needs the path.
    assert_eq!(on("shop.example.com", bad), Err(PathError::EncodedSlash));
    let c = crate::config::parse(
        br#"{"jwtRules":[{"issuer":"i","jwks":"{\"keys\":[{\"kty\":\"oct\",\"k\":\"YS0zMi1ieXRlLWhtYWMtc2VjcmV0LWZvci10ZXN0cyE\"}]}"}],
        "rules":[{"match":{"prefix":"/"},"hosts":["api.example.com"],"requirement":"required"}],
        "defaultRequirement":"none"}"#,
    )
    .unwrap();
    let req = Request {
        authority: "www.example.com".into(),
        path: bad.into(),
        ..Request::default()
    };
    assert_eq!(for_request(&c, &req), Ok(Requirement::None));
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

/// The corpus faas-router's table is tested with too (`filters/common/testdata`): both
/// filters place every path under the same rule or refuse it for the same reason.
#[test]
fn the_shared_path_corpus() {
    let c = crate::config::parse(
        br#"{"jwtRules":[{"issuer":"i","jwks":"{\"keys\":[{\"kty\":\"oct\",\"k\":\"YS0zMi1ieXRlLWhtYWMtc2VjcmV0LWZvci10ZXN0cyE\"}]}"}],
        "rules":[{"match":{"prefix":"/faas/api/admin"},"requirement":"required"},
                 {"match":{"prefix":"/faas/api/public"},"requirement":"none"}],
        "defaultRequirement":"allow_missing"}"#,
    )
    .unwrap();
    let corpus = include_str!("../../../common/testdata/path_corpus.txt");
    let mut checked = 0;
    for line in corpus.lines().filter(|l| !l.starts_with('#')) {
        let (path, want) = line.split_once('\t').unwrap();
        let req = Request {
            path: path.into(),
            ..Request::default()
        };
        let got = match for_request(&c, &req) {
            Ok(Requirement::Required) => "admin".to_string(),
            Ok(Requirement::None) => "public".to_string(),
            Ok(Requirement::AllowMissing) => "other".to_string(),
            Err(e) => format!("refused:{}", e.reason()),
        };
        assert_eq!(got, want, "{path}");
        checked += 1;
    }
    assert!(checked > 40);
}
