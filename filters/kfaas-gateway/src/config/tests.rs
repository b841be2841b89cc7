use super::*;

const JWT: &str = r#"{"jwtRules": [{"issuer": "https://auth.example.com",
    "jwks": "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"k\",\"alg\":\"HS256\",\"k\":\"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA\"}]}"}]}"#;
const GREY: &str = r#"{"mode": "gateway", "lanes": ["grey"], "gateway": {"rules": [
    {"lane": "grey", "match": {"header": {"name": "end-user", "exact": "test"}}}]}}"#;
const FAAS: &str =
    r#"{"routes": [{"match": {"prefix": "/faas/api/a/"}, "service": "a", "namespace": "ns"}]}"#;

fn fields(json: &str) -> Vec<String> {
    match parse(json.as_bytes()) {
        Ok(_) => Vec::new(),
        Err(e) => e.errors.into_iter().map(|f| f.field).collect(),
    }
}

#[test]
fn every_section_is_read_by_its_filter() {
    let json = format!(r#"{{"jwtAuth": {JWT}, "greyChain": {GREY}, "faasRouter": {FAAS}}}"#);
    let c = parse(json.as_bytes()).unwrap();
    assert_eq!(c.jwt_auth.unwrap().jwt_rules.len(), 1);
    assert_eq!(c.grey_chain.unwrap().lanes, ["grey"]);
    assert_eq!(c.faas_router.unwrap().routes.len(), 1);
}

#[test]
fn a_missing_or_null_section_switches_its_stage_off() {
    let c = parse(format!(r#"{{"faasRouter": {FAAS}, "jwtAuth": null}}"#).as_bytes()).unwrap();
    assert!(c.jwt_auth.is_none() && c.grey_chain.is_none() && c.faas_router.is_some());
    let c = parse(b"").unwrap();
    assert!(c.jwt_auth.is_none() && c.grey_chain.is_none() && c.faas_router.is_none());
}

#[test]
fn problems_are_named_under_their_section_every_one_at_once() {
    let json = r#"{"jwtAuth": {"jwtRules": [{"issuer": 3}]},
        "greyChain": {"mode": "gateway", "lanes": []},
        "faasRouter": {"routes": [{"match": {"prefix": "x"}, "service": "a", "namespace": "ns"}]},
        "luaLane": {}}"#;
    let f = fields(json);
    for want in [
        "luaLane",
        "jwtAuth.jwtRules[0].issuer",
        "greyChain.lanes",
        "faasRouter.routes[0].match.prefix",
    ] {
        assert!(f.iter().any(|x| x == want), "{want} not in {f:?}");
    }
}

#[test]
fn the_refusal_reads_like_the_filters_own_with_the_section_in_front() {
    let own = jwt_auth::config::parse(br#"{"jwtRules": [{"issuer": 3}]}"#).unwrap_err();
    let combined = parse(br#"{"jwtAuth": {"jwtRules": [{"issuer": 3}]}}"#).unwrap_err();
    assert_eq!(own.errors.len(), combined.errors.len());
    for (a, b) in own.errors.iter().zip(&combined.errors) {
        assert_eq!(format!("jwtAuth.{}", a.field), b.field);
        assert_eq!(a.message, b.message);
    }
}

#[test]
fn a_section_that_is_not_an_object_is_named() {
    assert_eq!(
        fields(r#"{"jwtAuth": [], "faasRouter": "x"}"#),
        ["jwtAuth", "faasRouter"]
    );
    assert_eq!(fields("[]"), ["(root)"]);
}

#[test]
fn grey_chain_runs_in_gateway_mode_only() {
    let json = r#"{"greyChain": {"mode": "sidecar", "lanes": ["grey"],
        "sidecar": {"podLabel": {"key": "type", "value": "grey"}}}}"#;
    assert_eq!(fields(json), ["greyChain.mode"]);
}

#[test]
fn a_key_named_twice_is_refused_in_any_section() {
    let json = r#"{"faasRouter": {"pathPrefix": "/a/", "pathPrefix": "/b/"}}"#;
    assert_eq!(fields(json), ["(root)"]);
}
