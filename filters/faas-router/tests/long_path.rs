//! A client controls the path length (Envoy accepts ~60 KB of headers): a
//! long path must be routed or refused like a short one, with a short answer.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{host, host_with, outcome, Seen};

/// About 60 KB: 29,000 one-letter segments.
fn long_tail() -> String {
    "a/".repeat(29_000)
}

#[test]
fn a_60_kb_unmatched_path_is_a_short_404() {
    let one_regex = r#"{"routes": [
        {"match": {"regex": "/faas/api/u/[a-z]+/profile"}, "service": "profile", "namespace": "faas-beta"}
    ]}"#;
    for mut h in [host(), host_with(one_regex)] {
        let path = format!("/faas/api/x/{}", long_tail());
        assert!(path.len() > 58_000);
        let Seen::Local { status, body } = outcome(&mut h, &path) else {
            panic!("forwarded");
        };
        assert_eq!(status, 404);
        assert!(body.len() < 400, "{} byte body", body.len());
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["error"], "no_faas_route");
        assert_eq!(v["truncated"], true);
        assert!(path.starts_with(v["path"].as_str().unwrap()));
        assert_eq!(h.metric("faas_router.rejected.no_route"), Some(1));
    }
}

#[test]
fn a_60_kb_path_under_a_route_is_forwarded_whole() {
    let mut h = host();
    let path = format!("/faas/api/saas/showroom/{}", long_tail());
    assert_eq!(
        outcome(&mut h, &path),
        Seen::Forwarded {
            path: path.clone(),
            authority: "saas-showroom.faas-alpha.svc.cluster.local".into(),
            service: Some("saas-showroom".into()),
        }
    );
    // Inside the regex route's bucket, but not a match: the regex runs once.
    let path = format!("/faas/api/u/{}", long_tail());
    assert!(matches!(
        outcome(&mut h, &path),
        Seen::Local { status: 404, .. }
    ));
}
