//! Repeated copies of the headers faas-router owns (`x-faas-*`, the
//! configured names, `x-envoy-original-path`, Envoy's timeout/retry headers)
//! or reads (`cookie`) through the built module, under both replace
//! semantics testhost models: Envoy's (replace removes every copy) and hosts
//! whose replace sets only the first copy. What leaves must be the same on
//! both: no client value of an owned header survives, each header the
//! filter sets leaves exactly once.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{host, host_with, request, CONTROL};
use testhost::{Action, ReplaceSemantics};

const OWNED: [&str; 5] = [
    "x-faas-service",
    "x-faas-namespace",
    "x-faas-route",
    "x-faas-other",
    "x-envoy-original-path",
];

const POLICY: &str = r#"{"routes": [
  {"match": {"prefix": "/faas/api/render/"}, "service": "render", "namespace": "faas-beta",
   "timeout": "15s", "retries": {"attempts": 3, "retryOn": "5xx"}}]}"#;

/// `copies` copies of each of `names`, each with a value of its own.
fn spoofs(names: &[&'static str], copies: usize) -> Vec<(&'static str, &'static str)> {
    let values = ["/spoofed-0", "/spoofed-1", "/spoofed-2"];
    names
        .iter()
        .flat_map(|n| values.iter().take(copies).map(move |v| (*n, *v)))
        .collect()
}

#[test]
fn owned_headers_leave_once_with_our_values() {
    for semantics in ReplaceSemantics::ALL {
        for copies in [2, 3] {
            let at = format!("{semantics:?}, {copies} copies");
            let mut h = host();
            h.set_replace_semantics(semantics);
            let path = "/faas/api/p/saas/virtual-showroom/a?x=1";
            let headers = spoofs(&OWNED, copies);
            let (s, action) = request(&mut h, path, &headers);
            assert_eq!(action, Action::Continue, "{at}");
            assert_eq!(
                s.request_header_all("x-faas-service"),
                ["virtual-showroom"],
                "{at}"
            );
            assert_eq!(
                s.request_header_all("x-faas-namespace"),
                ["faas-alpha"],
                "{at}"
            );
            assert_eq!(s.request_header_all("x-faas-route").len(), 1, "{at}");
            assert!(s.request_header_all("x-faas-other").is_empty(), "{at}");
            assert_eq!(
                s.request_header_all("x-envoy-original-path"),
                [path],
                "{at}"
            );
            assert_eq!(s.request_header_all(":path"), ["/a?x=1"], "{at}");
            assert_eq!(
                s.request_header_all(":authority"),
                ["virtual-showroom.faas-alpha.svc.cluster.local"],
                "{at}"
            );
            // Not routed: every copy gone, none added.
            let (s, _) = request(&mut h, "/faas/api/nothing", &headers);
            for name in OWNED {
                assert!(s.request_header_all(name).is_empty(), "{name}: {at}");
            }
            assert_eq!(h.metric("faas_router.spoofed_headers_removed"), Some(2));
        }
    }
}

#[test]
fn control_headers_leave_once_with_the_table_values() {
    for semantics in ReplaceSemantics::ALL {
        for copies in [2, 3] {
            let at = format!("{semantics:?}, {copies} copies");
            let mut h = host_with(POLICY);
            h.set_replace_semantics(semantics);
            let headers = spoofs(&CONTROL, copies);
            let (s, _) = request(&mut h, "/faas/api/render/x", &headers);
            assert_eq!(s.request_header_all(CONTROL[0]), ["15000"], "{at}");
            assert_eq!(s.request_header_all(CONTROL[1]), ["3"], "{at}");
            assert_eq!(s.request_header_all(CONTROL[2]), ["5xx"], "{at}");
            for name in &CONTROL[3..] {
                assert!(s.request_header_all(name).is_empty(), "{name}: {at}");
            }
        }
    }
}

#[test]
fn repeated_cookie_headers_are_read_together_and_passed_on_as_sent() {
    for semantics in ReplaceSemantics::ALL {
        for copies in [2, 3] {
            let at = format!("{semantics:?}, {copies} copies");
            let mut h = host();
            h.set_replace_semantics(semantics);
            let cookies: Vec<String> = (0..copies - 1)
                .map(|i| format!("c{i}=v{i}"))
                .chain(["uid=user-7".to_string()])
                .collect();
            let joined = cookies.join("; ");
            let (one, _) = request(&mut h, "/faas/api/cart/1", &[("cookie", &joined)]);
            let split: Vec<(&str, &str)> = cookies.iter().map(|c| ("cookie", c.as_str())).collect();
            let (s, _) = request(&mut h, "/faas/api/cart/1", &split);
            // The split is sticky on `uid` wherever it is.
            assert_eq!(
                s.request_header_all("x-faas-service"),
                one.request_header_all("x-faas-service"),
                "{at}"
            );
            assert_eq!(s.request_header_all("cookie"), cookies, "{at}");
        }
    }
}
