//! A configuration that drops `jwtAuth`, in the built module on testhost:
//! the requests that waited for keys go on through the later stages, and the
//! removed section's JWKS is fetched no more.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use serde_json::json;
use testhost::{Action, Host};

fn request(h: &mut Host, headers: &[(&str, &str)]) -> (Action, testhost::Stream) {
    let mut all = vec![
        (":method", "GET"),
        (":scheme", "https"),
        (":path", "/faas/api/hello"),
        (":authority", "api.example.com"),
    ];
    all.extend_from_slice(headers);
    let mut s = h.stream();
    let action = s.request_headers(&all, true);
    (action, s)
}

#[test]
fn dropping_jwt_auth_answers_waiting_requests_and_stops_fetching() {
    let grey = json!({"mode": "gateway", "tagHeader": "x-lane", "lanes": ["grey"],
                      "gateway": {"rules": [{"lane": "grey", "match": {"header": {"name": "end-user", "exact": "test"}}}]}});
    let with_jwt = json!({
        "jwtAuth": {"jwtRules": [{"issuer": "https://auth.example.com",
                                  "jwksUri": "https://keys.example.com/certs", "jwksCluster": "keys"}]},
        "greyChain": grey,
    });
    let mut h = Host::load(testhost::dist("kfaas_gateway"))
        .unwrap()
        .config(with_jwt.to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(h.http_calls().len(), 1, "the JWKS fetch");
    // Any well-formed token of the rule's issuer waits for the keys.
    let token = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2F1dGguZXhhbXBsZS5jb20ifQ.c2ln";
    let auth = format!("Bearer {token}");
    let (action, waiting) = request(&mut h, &[("authorization", &auth), ("end-user", "test")]);
    assert_eq!(action, Action::Pause);
    assert!(waiting.local_response().is_none() && !waiting.resumed());

    assert!(h.configure(json!({"greyChain": grey}).to_string()));
    assert!(waiting.resumed(), "answered by the new configuration");
    assert!(waiting.local_response().is_none());
    // The later stage ran on it: grey-chain tagged the lane.
    assert_eq!(waiting.request_header("x-lane").as_deref(), Some("grey"));

    assert_eq!(h.tick_period(), None, "the removed section's tick stopped");
    // The fetch still in flight is answered into nothing, and nothing follows it.
    let fetch = h.http_calls()[0].token;
    h.respond_http_call(fetch, 200, &[], br#"{"keys":[]}"#);
    assert!(h.http_calls().is_empty());
    assert_eq!(h.tick_period(), None);
    let (action, s) = request(&mut h, &[]);
    assert_eq!(action, Action::Continue, "no token needed any more");
    assert!(s.local_response().is_none());
}
