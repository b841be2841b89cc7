//! The three real modules (`dist/*.wasm` from `make build`) in testhost, on
//! arbitrary paths and header lists: the whole proxy-wasm path (header map
//! in and out, the glue, the engines, local replies) that the native targets
//! skip. libFuzzer's coverage sees testhost and wasmtime only, not the code
//! inside the modules: this target is a property checker driven by mutation,
//! while the native targets do the coverage-guided search of the same logic.
//!
//! Input: first byte `f`: `f % 3` picks the module (jwt-auth, faas-router,
//! grey-chain), bit 2 (`f & 4`) makes jwt-auth's second line a claims object
//! minted into a valid HS256 token. Then lines: the `:path`, then
//! `name: value` request headers (values as raw bytes).
//!
//! Properties, besides no trap: a local reply is 4xx/5xx with a JSON body
//! naming an `error`; a forwarded request carries no header a module owns
//! with a client-chosen value — jwt-auth's claim headers only from a token
//! the reference HMAC verifier accepts (`x-jwt-sub` its `sub`), faas-router's
//! `x-faas-*` only naming a configured service (one copy) and, on a routed
//! request, Envoy's timeout/retry headers only as the route sets them,
//! grey-chain's `x-grey` only a configured lane (one copy).
#![no_main]

use hmac::{Hmac, KeyInit, Mac};
use jwt_auth::b64;
use libfuzzer_sys::fuzz_target;
use sha2::Sha256;
use std::cell::RefCell;
use std::time::{Duration, UNIX_EPOCH};
use testhost::{Action, Host};

const SECRET: &[u8; 32] = b"fuzz-hs256-secret-of-32-bytes!!!";
const NOW: u64 = 1_700_000_000;
const SERVICES: [&str; 4] = ["svc-a", "svc-b", "svc-c", "svc-d"];
const NAMESPACES: [&str; 1] = ["team"];
const CONTROL: [&str; 5] = [
    "x-envoy-max-retries",
    "x-envoy-retry-on",
    "x-envoy-retry-grpc-on",
    "x-envoy-retriable-status-codes",
    "x-envoy-upstream-rq-per-try-timeout-ms",
];

fn jwt_config() -> String {
    let jwks = serde_json::json!({"keys": [
        {"kty": "oct", "kid": "hs", "alg": "HS256", "k": b64::encode(SECRET)}
    ]});
    serde_json::json!({
        "jwtRules": [{
            "issuer": "https://auth.example.com",
            "jwks": jwks.to_string(),
            "outputClaimToHeaders": [{"header": "x-jwt-sub", "claim": "sub"}],
            "outputPayloadToHeader": "x-jwt-payload",
        }],
        "rules": [
            {"match": {"prefix": "/public"}, "requirement": "allow_missing"},
            {"match": {"exact": "/healthz"}, "requirement": "none"},
        ],
    })
    .to_string()
}

fn faas_config() -> String {
    serde_json::json!({"routes": [
        {"match": {"exact": "/faas/api/exact/x"}, "service": "svc-a", "namespace": "team", "timeout": "3s"},
        {"match": {"prefix": "/faas/api/pre/"}, "service": "svc-b", "namespace": "team", "timeout": "3s"},
        {"match": {"regex": "/faas/api/re/[a-z]+"}, "namespace": "team", "timeout": "3s",
         "split": [{"service": "svc-c", "weight": 50}, {"service": "svc-d", "weight": 50}],
         "hashBy": {"header": "x-user"}},
    ]})
    .to_string()
}

fn grey_config() -> String {
    serde_json::json!({
        "mode": "gateway",
        "lanes": ["grey"],
        "gateway": {"rules": [
            {"lane": "grey", "match": {"header": {"name": "end-user", "exact": "test"}}},
            {"lane": "grey", "match": {"cookie": {"name": "lane", "exact": "grey"}}},
            {"lane": "grey", "percentage": 30, "hashBy": {"header": "x-jwt-sub"}},
        ]},
    })
    .to_string()
}

thread_local! {
    static HOSTS: RefCell<Vec<Host>> = RefCell::new(
        [("jwt_auth", jwt_config()), ("faas_router", faas_config()), ("grey_chain", grey_config())]
            .into_iter()
            .map(|(name, config)| {
                let path = testhost::dist(name);
                let mut host = Host::load(&path)
                    .unwrap_or_else(|e| panic!("{}: {e:#} (run `make build` first)", path.display()));
                host.set_clock(UNIX_EPOCH + Duration::from_secs(NOW));
                assert!(host.configure(config), "{name}: the target's configuration is refused");
                host
            })
            .collect(),
    );
}

fn mint(claims: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        b64::encode(br#"{"alg":"HS256","kid":"hs"}"#),
        b64::encode(claims)
    );
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(SECRET).expect("key");
    m.update(input.as_bytes());
    format!("{input}.{}", b64::encode(&m.finalize().into_bytes()))
}

/// The claims of a bearer token the reference HMAC verifier accepts.
fn reference_claims(authorization: &str) -> Option<serde_json::Value> {
    let token = authorization.get(7..)?.trim();
    let (input, sig) = token.rsplit_once('.')?;
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(SECRET).ok()?;
    m.update(input.as_bytes());
    m.verify_slice(&b64::decode(sig.as_bytes())?).ok()?;
    serde_json::from_slice(&b64::decode(input.split_once('.')?.1.as_bytes())?).ok()
}

fn as_claim_value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let module = usize::from(flags % 3);
    let mut lines = rest.split(|&b| b == b'\n');
    let path = String::from_utf8_lossy(lines.next().unwrap_or(b"/")).into_owned();
    let mut headers: Vec<(String, Vec<u8>)> = vec![
        (":method".into(), b"GET".to_vec()),
        (":scheme".into(), b"https".to_vec()),
        (":authority".into(), b"api.example.com".to_vec()),
        (":path".into(), path.into_bytes()),
    ];
    if module == 0 && flags & 4 != 0 {
        let token = mint(lines.next().unwrap_or(b"{}"));
        headers.push((
            "authorization".into(),
            format!("Bearer {token}").into_bytes(),
        ));
    }
    for line in lines.take(64) {
        let at = line.iter().position(|&b| b == b':').unwrap_or(line.len());
        let name = String::from_utf8_lossy(&line[..at])
            .trim()
            .to_ascii_lowercase();
        let value = line.get(at + 1..).unwrap_or_default();
        headers.push((name, value.trim_ascii().to_vec()));
    }
    HOSTS.with(|hosts| {
        let mut hosts = hosts.borrow_mut();
        let mut stream = hosts[module].stream();
        let given: Vec<(&str, &[u8])> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_slice()))
            .collect();
        let action = stream.request_headers_bytes(&given, true);
        if let Some(reply) = stream.local_response() {
            assert!((400..600).contains(&reply.status), "reply {}", reply.status);
            let body: serde_json::Value = serde_json::from_slice(&reply.body)
                .unwrap_or_else(|e| panic!("reply body is not JSON ({e}): {:?}", reply.body));
            assert!(body.get("error").is_some(), "reply names no error: {body}");
        } else {
            assert_eq!(action, Action::Continue, "paused without a reply");
            let out = |name: &str| stream.request_header_all(name);
            match module {
                0 => check_jwt(&out),
                1 => check_faas(&out),
                _ => check_grey(&out),
            }
        }
        stream.finish();
    });
});

fn check_jwt(out: &dyn Fn(&str) -> Vec<String>) {
    let verified: Vec<serde_json::Value> = out("authorization")
        .iter()
        .filter_map(|a| reference_claims(a))
        .collect();
    let subs = out("x-jwt-sub");
    if !out("x-jwt-payload").is_empty() || !subs.is_empty() {
        assert!(
            !verified.is_empty(),
            "claim headers without a verified token"
        );
    }
    assert!(subs.len() <= 1, "x-jwt-sub in {} copies", subs.len());
    for sub in &subs {
        assert!(
            verified
                .iter()
                .any(|c| c.get("sub").map(as_claim_value).as_ref() == Some(sub)),
            "x-jwt-sub {sub:?} is no verified token's sub"
        );
    }
}

fn check_faas(out: &dyn Fn(&str) -> Vec<String>) {
    let service = out("x-faas-service");
    let namespace = out("x-faas-namespace");
    assert!(
        service.len() <= 1 && namespace.len() <= 1,
        "{service:?} {namespace:?}"
    );
    assert!(
        service.iter().all(|s| SERVICES.contains(&s.as_str())),
        "{service:?}"
    );
    assert!(
        namespace.iter().all(|n| NAMESPACES.contains(&n.as_str())),
        "{namespace:?}"
    );
    if !service.is_empty() {
        assert_eq!(out("x-envoy-upstream-rq-timeout-ms"), ["3000"]);
        for h in CONTROL {
            assert!(
                out(h).is_empty(),
                "{h} survives on a routed request: {:?}",
                out(h)
            );
        }
    }
}

fn check_grey(out: &dyn Fn(&str) -> Vec<String>) {
    let lane = out("x-grey");
    assert!(
        lane.len() <= 1 && lane.iter().all(|l| l == "grey"),
        "x-grey {lane:?}"
    );
}
