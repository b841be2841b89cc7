//! faas-router on the built module (testhost): headers, authority, path
//! rewrites, spoofed headers, rejections, splits, metrics, configuration.

// Test helpers (not only #[test] fns) may fail loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{host, host_with, request, CONFIG};
use testhost::{Action, Host, LogLevel};

#[test]
fn a_prefix_match_sets_service_headers_and_authority() {
    let mut h = host();
    let (s, action) = request(&mut h, "/faas/api/saas/showroom/list?page=2", &[]);
    assert_eq!(action, Action::Continue);
    assert_eq!(
        s.request_header("x-faas-service").as_deref(),
        Some("saas-showroom")
    );
    assert_eq!(
        s.request_header("x-faas-namespace").as_deref(),
        Some("faas-alpha")
    );
    assert_eq!(
        s.request_header("x-faas-route").as_deref(),
        Some("prefix:/faas/api/saas/showroom/")
    );
    assert_eq!(
        s.request_header(":authority").as_deref(),
        Some("saas-showroom.faas-alpha.svc.cluster.local")
    );
    assert_eq!(
        s.request_header(":path").as_deref(),
        Some("/faas/api/saas/showroom/list?page=2")
    );
    assert_eq!(
        s.request_header("x-envoy-original-path"),
        None,
        "path unchanged, nothing to keep"
    );
    // Envoy re-selects the route by itself (ABI 0.2.1): no foreign call.
    assert!(h.foreign_calls().is_empty());
}

#[test]
fn rewrite_prefix_keeps_the_query_and_the_original_path() {
    let mut h = host();
    let (s, _) = request(
        &mut h,
        "/faas/api/p/saas/virtual-showroom/rooms/7?view=3d&x=%2F",
        &[],
    );
    assert_eq!(
        s.request_header(":path").as_deref(),
        Some("/rooms/7?view=3d&x=%2F")
    );
    assert_eq!(
        s.request_header("x-envoy-original-path").as_deref(),
        Some("/faas/api/p/saas/virtual-showroom/rooms/7?view=3d&x=%2F")
    );
    assert_eq!(
        s.request_header("x-faas-service").as_deref(),
        Some("virtual-showroom")
    );
}

#[test]
fn exact_regex_and_prefix_precedence() {
    let mut h = host_with(
        r#"{"routes": [
          {"match": {"prefix": "/faas/api/u/"}, "service": "users", "namespace": "n"},
          {"match": {"regex": "/faas/api/u/[a-z]+/profile"}, "service": "profile", "namespace": "n"},
          {"match": {"exact": "/faas/api/u/me/profile"}, "service": "me", "namespace": "n"}
        ]}"#,
    );
    for (path, want) in [
        ("/faas/api/u/me/profile", "me"),
        ("/faas/api/u/bob/profile", "profile"),
        ("/faas/api/u/bob/profile/x", "users"),
        ("/faas/api/u/b0b/profile", "users"),
    ] {
        let (s, _) = request(&mut h, path, &[]);
        assert_eq!(
            s.request_header("x-faas-service").as_deref(),
            Some(want),
            "{path}"
        );
    }
}

#[test]
fn spoofed_headers_are_removed_on_every_request() {
    let spoof = [
        ("x-faas-service", "admin"),
        ("x-faas-namespace", "kube-system"),
        ("x-faas-route", "evil"),
        ("x-faas-anything", "1"),
        ("x-envoy-original-path", "/admin"),
    ];
    let mut h = host();
    // Matched: replaced by ours; the unknown x-faas-* and original path gone.
    let (s, _) = request(&mut h, "/faas/api/render", &spoof);
    assert_eq!(
        s.request_header("x-faas-service").as_deref(),
        Some("render")
    );
    assert_eq!(
        s.request_header("x-faas-namespace").as_deref(),
        Some("faas-beta")
    );
    assert_eq!(
        s.request_header("x-faas-route").as_deref(),
        Some("exact:/faas/api/render")
    );
    assert_eq!(s.request_header("x-faas-anything"), None);
    assert_eq!(s.request_header("x-envoy-original-path"), None);
    // Outside the prefix, rejected, passed through: all removed.
    let mut pass =
        host_with(&CONFIG.replace(r#""onNoMatch": "reject""#, r#""onNoMatch": "passthrough""#));
    for (which, path) in [
        (0, "/other"),
        (0, "/faas/api/nothing"),
        (1, "/faas/api/nothing"),
    ] {
        let host = if which == 0 { &mut h } else { &mut pass };
        let (s, _) = request(host, path, &spoof);
        let ours: Vec<_> = s
            .request_headers_now()
            .into_iter()
            .filter(|(n, _)| n.starts_with("x-faas-") || n == "x-envoy-original-path")
            .collect();
        assert!(ours.is_empty(), "{path}: {ours:?}");
    }
    assert_eq!(h.metric("faas_router.spoofed_headers_removed"), Some(3));
    // Envoy re-selects the route by itself after the removals (ABI 0.2.1).
    assert!(h.foreign_calls().is_empty());
    assert!(pass.foreign_calls().is_empty());
}

#[test]
fn custom_header_names_are_set_and_their_spoofs_removed() {
    let mut h = host_with(
        r#"{"headers": {"service": "x-svc", "namespace": "x-ns", "route": "x-rt"}, "rewriteAuthority": false,
            "routes": [{"match": {"prefix": "/faas/api/a/"}, "service": "a", "namespace": "n"}]}"#,
    );
    let (s, _) = request(
        &mut h,
        "/faas/api/a/1",
        &[("x-svc", "evil"), ("x-rt", "evil")],
    );
    assert_eq!(s.request_header("x-svc").as_deref(), Some("a"));
    assert_eq!(s.request_header("x-ns").as_deref(), Some("n"));
    assert_eq!(
        s.request_header("x-rt").as_deref(),
        Some("prefix:/faas/api/a/")
    );
    assert_eq!(
        s.request_header(":authority").as_deref(),
        Some("gateway.example"),
        "rewriteAuthority false"
    );
    let (s, _) = request(&mut h, "/elsewhere", &[("x-svc", "evil"), ("x-ns", "evil")]);
    assert_eq!(
        (s.request_header("x-svc"), s.request_header("x-ns")),
        (None, None)
    );
}

#[test]
fn no_route_is_404_json_and_passthrough_leaves_it_alone() {
    let mut h = host();
    let (s, action) = request(&mut h, "/faas/api/./nothing//here?x=1", &[]);
    assert_eq!(action, Action::Pause);
    let r = s.local_response().unwrap();
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"error": "no_faas_route", "path": "/faas/api/nothing/here"})
    );
    assert_eq!(h.metric("faas_router.rejected.no_route"), Some(1));

    let mut pass =
        host_with(&CONFIG.replace(r#""onNoMatch": "reject""#, r#""onNoMatch": "passthrough""#));
    let (s, action) = request(&mut pass, "/faas/api/./nothing//here?x=1", &[]);
    assert_eq!(action, Action::Continue);
    assert!(s.local_response().is_none());
    assert_eq!(
        s.request_header(":path").as_deref(),
        Some("/faas/api/./nothing//here?x=1")
    );
    assert_eq!(
        s.request_header(":authority").as_deref(),
        Some("gateway.example")
    );
    assert_eq!(s.request_header("x-faas-service"), None);
    assert_eq!(pass.metric("faas_router.passthrough"), Some(1));
    assert!(pass.foreign_calls().is_empty());
}

#[test]
fn outside_the_prefix_nothing_is_touched() {
    let mut h = host();
    for path in [
        "/",
        "/faas/api",
        "/faas/apix/render",
        "/FAAS/API/render",
        "/static/app.js?v=1",
    ] {
        let (s, action) = request(&mut h, path, &[]);
        assert_eq!(action, Action::Continue, "{path}");
        assert_eq!(s.request_header(":path").as_deref(), Some(path));
        assert_eq!(
            s.request_header(":authority").as_deref(),
            Some("gateway.example")
        );
        assert_eq!(s.request_header("x-faas-service"), None);
    }
    assert!(h.foreign_calls().is_empty());
}

#[test]
fn bad_path_is_400_json_with_the_reason() {
    let mut h = host();
    let (s, action) = request(&mut h, "/faas/api/saas%2Fshowroom/x", &[]);
    assert_eq!(action, Action::Pause);
    let r = s.local_response().unwrap();
    assert_eq!(r.status, 400);
    let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"error": "bad_path", "reason": "encoded_slash"})
    );
    assert_eq!(h.metric("faas_router.rejected.encoded_slash"), Some(1));
}

fn service_for(h: &mut Host, path: &str, extra: &[(&str, &str)]) -> String {
    let (s, _) = request(h, path, extra);
    s.request_header("x-faas-service").unwrap()
}

#[test]
fn split_is_sticky_by_header_and_cookie() {
    let mut h = host();
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..100 {
        let user = format!("user-{i}");
        let a = service_for(&mut h, "/faas/api/search/q", &[("x-jwt-sub", &user)]);
        for _ in 0..3 {
            assert_eq!(
                service_for(&mut h, "/faas/api/search/other", &[("x-jwt-sub", &user)]),
                a,
                "{user}"
            );
        }
        seen.insert(a.clone());
        let cookie = format!("theme=dark; uid={user}; lang=zh");
        let c = service_for(&mut h, "/faas/api/cart/1", &[("cookie", &cookie)]);
        assert_eq!(
            service_for(&mut h, "/faas/api/cart/2", &[("cookie", &cookie)]),
            c
        );
        seen.insert(c);
    }
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        ["cart", "cart-v2", "search", "search-v2"]
    );
    // The authority follows the picked version.
    let (s, _) = request(&mut h, "/faas/api/search/q", &[("x-jwt-sub", "user-1")]);
    let svc = s.request_header("x-faas-service").unwrap();
    assert_eq!(
        s.request_header(":authority").unwrap(),
        format!("{svc}.faas-alpha.svc.cluster.local")
    );
}

#[test]
fn split_reads_the_cookie_from_every_cookie_header() {
    // HTTP/2 clients send one `cookie` header per cookie (RFC 9113 §8.2.3):
    // `uid` in a later header picks what one joined header picks (a missed
    // `uid` would pick at random: 100 agreements by chance are 2^-100).
    let mut h = host();
    let mut followed = std::collections::BTreeSet::new();
    for i in 0..100 {
        let uid = format!("uid=user-{i}");
        let joined = format!("theme=dark; {uid}; lang=zh");
        let want = service_for(&mut h, "/faas/api/cart/1", &[("cookie", &joined)]);
        let got = service_for(
            &mut h,
            "/faas/api/cart/1",
            &[
                ("cookie", "theme=dark"),
                ("cookie", &uid),
                ("cookie", "lang=zh"),
            ],
        );
        assert_eq!(got, want, "{uid}");
        followed.insert(got);
    }
    assert_eq!(followed.len(), 2, "both versions reached: {followed:?}");
}

#[test]
fn split_without_a_key_is_random_by_weight() {
    let mut h = host();
    let mut v2 = 0;
    for _ in 0..2_000 {
        if service_for(&mut h, "/faas/api/search/q", &[]) == "search-v2" {
            v2 += 1;
        }
    }
    // 10% of 2,000 = 200; six standard deviations is ±80.
    assert!((120..=280).contains(&v2), "{v2}");
}

#[test]
fn metrics_count_requests_per_service_and_rejects_by_reason() {
    let mut h = host();
    for p in [
        "/faas/api/render",
        "/faas/api/render?x",
        "/faas/api/saas/showroom/",
        "/faas/api/%zz",
        "/faas/api/..%2f",
        "/faas/api/x",
    ] {
        request(&mut h, p, &[]);
    }
    assert_eq!(h.metric("faas_router.requests.faas-beta.render"), Some(2));
    assert_eq!(
        h.metric("faas_router.requests.faas-alpha.saas-showroom"),
        Some(1)
    );
    assert_eq!(
        h.metric("faas_router.requests.faas-beta.profile"),
        None,
        "defined on first use"
    );
    assert_eq!(
        h.metric("faas_router.rejected.bad_percent_encoding"),
        Some(1)
    );
    assert_eq!(h.metric("faas_router.rejected.encoded_slash"), Some(1));
    assert_eq!(h.metric("faas_router.rejected.no_route"), Some(1));
    assert_eq!(h.metric("faas_router.routes"), Some(6));
}

#[test]
fn bad_configuration_is_refused_naming_every_field_in_one_line() {
    let h = Host::load(testhost::dist("faas_router")).unwrap();
    let bad = r#"{"routes": [
      {"match": {"prefix": "/faas/api/a/"}, "service": "A", "namespace": "n"},
      {"match": {"prefix": "/other/"}, "service": "b", "namespace": "n"},
      {"match": {"regex": "/faas/api/("}, "service": "c", "namespace": "n"},
      {"match": {"prefix": "/faas/api/d/"}, "namespace": "n", "split": [{"service": "d", "weight": 50}]}
    ]}"#;
    let refused = h.config(bad).err().expect("must be refused");
    let errors: Vec<&String> = refused
        .logs
        .iter()
        .filter(|(l, _)| *l >= LogLevel::Error)
        .map(|(_, m)| m)
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    for field in [
        "routes[0].service",
        "routes[1].match.prefix",
        "routes[2].match.regex",
        "routes[3].split",
    ] {
        assert!(errors[0].contains(field), "{field} not in {}", errors[0]);
    }
    let h = Host::load(testhost::dist("faas_router")).unwrap();
    assert!(
        h.config(r#"{"routes": [], "pathprefix": "/x/"}"#).is_err(),
        "unknown field"
    );
}

#[test]
fn load_is_logged_once_and_reconfiguration_swaps_the_table() {
    let mut h = host();
    let info = h.logs_at(LogLevel::Info);
    assert!(
        info.iter()
            .any(|l| l.contains("loaded 6 routes (1 exact, 4 prefix, 1 regex) to 8 services in")),
        "{info:?}"
    );
    assert!(h.configure(r#"{"routes": [{"match": {"exact": "/faas/api/render"}, "service": "render-v9", "namespace": "n"}]}"#));
    assert_eq!(service_for(&mut h, "/faas/api/render", &[]), "render-v9");
    // A refused reconfiguration keeps the previous table.
    assert!(!h.configure(r#"{"routes": [{"match": {"exact": "/faas/api/render"}, "service": "BAD", "namespace": "n"}]}"#));
    assert_eq!(service_for(&mut h, "/faas/api/render", &[]), "render-v9");
}
