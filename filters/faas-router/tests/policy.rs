//! faas-router on the built module (testhost): a route's `timeout` and
//! `retries` become Envoy's request headers; a client's copies of those
//! headers (every copy) are removed under `pathPrefix`; `virtualHosts`
//! pick the table by `:authority`.

// Test helpers (not only #[test] fns) may fail loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{host_with, request, CONTROL};
use testhost::{Action, Stream};

const CONFIG: &str = r#"{
  "onNoMatch": "passthrough",
  "routes": [
    {"match": {"prefix": "/faas/api/render/"}, "service": "render", "namespace": "faas-beta",
     "timeout": "15s", "retries": {"attempts": 3, "perTryTimeout": "5s", "retryOn": "5xx,connect-failure"}},
    {"match": {"prefix": "/faas/api/grpc/"}, "service": "grpc", "namespace": "faas-beta",
     "retries": {"attempts": 2, "retryOn": "unavailable,503,reset"}},
    {"match": {"prefix": "/faas/api/plain/"}, "service": "plain", "namespace": "faas-beta"}
  ],
  "virtualHosts": [
    {"hosts": ["faas-alpha-ksvc-gateway.kfaas-system.svc.cluster.local", "*.alpha.example.com"],
     "routes": [{"match": {"prefix": "/faas/api/render/"}, "service": "render", "namespace": "faas-alpha", "timeout": "1s"}]}
  ]
}"#;

/// A client that sets every control header, twice, with hostile values.
fn spoof() -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    for name in CONTROL {
        out.push((name, "999999"));
        out.push((name, "5xx,reset"));
    }
    out
}

/// Every copy of the control headers now on the request, in order.
fn control(s: &Stream) -> Vec<(String, String)> {
    s.request_headers_now()
        .into_iter()
        .filter(|(n, _)| CONTROL.contains(&n.as_str()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

#[test]
fn a_route_sets_only_the_headers_it_names() {
    let mut h = host_with(CONFIG);
    let (s, action) = request(&mut h, "/faas/api/render/x", &[]);
    assert_eq!(action, Action::Continue);
    assert_eq!(
        control(&s),
        pairs(&[
            ("x-envoy-upstream-rq-timeout-ms", "15000"),
            ("x-envoy-max-retries", "3"),
            ("x-envoy-retry-on", "5xx,connect-failure"),
            ("x-envoy-upstream-rq-per-try-timeout-ms", "5000"),
        ])
    );
    let (s, _) = request(&mut h, "/faas/api/grpc/x", &[]);
    assert_eq!(
        control(&s),
        pairs(&[
            ("x-envoy-max-retries", "2"),
            ("x-envoy-retry-on", "retriable-status-codes,reset"),
            ("x-envoy-retry-grpc-on", "unavailable"),
            ("x-envoy-retriable-status-codes", "503"),
        ])
    );
    let (s, _) = request(&mut h, "/faas/api/plain/x", &[]);
    assert_eq!(control(&s), []);
    assert_eq!(h.metric("faas_router.spoofed_headers_removed"), Some(0));
}

#[test]
fn every_client_copy_is_removed_under_the_prefix() {
    let mut h = host_with(CONFIG);
    // Routed with a policy: only the table's values remain, one copy each.
    let (s, _) = request(&mut h, "/faas/api/render/x", &spoof());
    assert_eq!(
        control(&s),
        pairs(&[
            ("x-envoy-upstream-rq-timeout-ms", "15000"),
            ("x-envoy-max-retries", "3"),
            ("x-envoy-retry-on", "5xx,connect-failure"),
            ("x-envoy-upstream-rq-per-try-timeout-ms", "5000"),
        ])
    );
    // Routed without a policy, passed through, rejected: none left.
    for path in ["/faas/api/plain/x", "/faas/api/nothing", "/faas/api/a%2Fb"] {
        let (s, _) = request(&mut h, path, &spoof());
        assert_eq!(control(&s), [], "{path}");
    }
    // Upper-case names from a client are the same headers.
    let (s, _) = request(
        &mut h,
        "/faas/api/plain/x",
        &[("X-Envoy-Max-Retries", "9"), ("x-envoy-max-retries", "8")],
    );
    assert_eq!(control(&s), [], "mixed case");
    assert_eq!(h.metric("faas_router.spoofed_headers_removed"), Some(5));
    assert!(h.foreign_calls().is_empty());
}

#[test]
fn outside_the_prefix_the_client_keeps_its_headers() {
    let mut h = host_with(CONFIG);
    let (s, action) = request(&mut h, "/other/service", &spoof());
    assert_eq!(action, Action::Continue);
    assert_eq!(control(&s).len(), 12);
    // `..` leaving the prefix: the normalized path decides, as for routing.
    let (s, _) = request(&mut h, "/faas/api/../other", &spoof());
    assert_eq!(control(&s).len(), 12);
    assert_eq!(h.metric("faas_router.spoofed_headers_removed"), Some(0));
}

#[test]
fn the_authority_picks_the_virtual_host_table() {
    let mut h = host_with(CONFIG);
    let seen = |h: &mut testhost::Host, authority: &str| {
        let mut s = h.stream();
        s.request_headers(
            &[
                (":method", "GET"),
                (":path", "/faas/api/render/x"),
                (":authority", authority),
                (":scheme", "http"),
            ],
            true,
        );
        (
            s.request_header(":authority").unwrap(),
            s.request_header("x-envoy-upstream-rq-timeout-ms"),
        )
    };
    let alpha = (
        "render.faas-alpha.svc.cluster.local".to_string(),
        Some("1000".to_string()),
    );
    assert_eq!(
        seen(
            &mut h,
            "faas-alpha-ksvc-gateway.kfaas-system.svc.cluster.local:8080"
        ),
        alpha
    );
    assert_eq!(seen(&mut h, "Fn.Alpha.Example.com"), alpha);
    let top = (
        "render.faas-beta.svc.cluster.local".to_string(),
        Some("15000".to_string()),
    );
    assert_eq!(seen(&mut h, "alpha.example.com"), top);
    assert_eq!(seen(&mut h, "gateway.example"), top);
}
