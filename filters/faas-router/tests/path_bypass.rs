//! The path-bypass corpus on the built module: every request that tries to
//! reach `admin` (or any other service) through a path the upstream might
//! read differently, with the outcome asserted.

// Test helpers (not only #[test] fns) may fail loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{host_with, outcome, Seen};

const TABLE: &str = r#"{"routes": [
  {"match": {"prefix": "/faas/api/saas/showroom/"}, "service": "saas-showroom", "namespace": "faas-alpha"},
  {"match": {"prefix": "/faas/api/admin/"}, "service": "admin", "namespace": "faas-ops"},
  {"match": {"exact": "/faas/api/render"}, "service": "render", "namespace": "faas-beta"}
]}"#;

fn to(service: &str, path: &str) -> Seen {
    let ns = match service {
        "saas-showroom" => "faas-alpha",
        "admin" => "faas-ops",
        _ => "faas-beta",
    };
    Seen::Forwarded {
        path: path.into(),
        authority: format!("{service}.{ns}.svc.cluster.local"),
        service: Some(service.into()),
    }
}

fn untouched(path: &str) -> Seen {
    Seen::Forwarded {
        path: path.into(),
        authority: "gateway.example".into(),
        service: None,
    }
}

fn bad(reason: &str) -> Seen {
    Seen::Local {
        status: 400,
        body: format!(r#"{{"error":"bad_path","reason":"{reason}"}}"#),
    }
}

fn none(normalized: &str) -> Seen {
    Seen::Local {
        status: 404,
        body: format!(r#"{{"error":"no_faas_route","path":"{normalized}"}}"#),
    }
}

#[test]
fn bypass_corpus() {
    let long_ok = format!("/faas/api/saas/showroom/{}", "a/".repeat(20_000));
    let long_dots = format!("/faas/api/saas/showroom/{}y", "x/../".repeat(10_000));
    let long_climb = format!("/faas/api/{}", "../".repeat(5_000));
    let corpus: Vec<(&str, Seen)> = vec![
        // encoded slashes and backslashes
        (
            "/faas/api/saas/showroom%2F..%2Fadmin/x",
            bad("encoded_slash"),
        ),
        ("/faas/api/saas/showroom/..%2fadmin/x", bad("encoded_slash")),
        (
            "/faas/api/saas/showroom/..%5Cadmin/x",
            bad("encoded_backslash"),
        ),
        (
            "/faas/api/saas/showroom/..%5cadmin/x",
            bad("encoded_backslash"),
        ),
        ("/faas/api/saas/showroom/..\\admin/x", bad("backslash")),
        (
            "/faas/api/saas/showroom%252F..%252Fadmin/x",
            none("/faas/api/saas/showroom%252F..%252Fadmin/x"),
        ),
        // dot segments, plain and encoded: resolved before matching, and the
        // resolved path is what the upstream receives
        (
            "/faas/api/saas/showroom/../admin/x",
            none("/faas/api/saas/admin/x"),
        ),
        (
            "/faas/api/saas/showroom/../../admin/x",
            to("admin", "/faas/api/admin/x"),
        ),
        (
            "/faas/api/saas/showroom/%2e%2e/%2e%2e/admin/x",
            to("admin", "/faas/api/admin/x"),
        ),
        (
            "/faas/api/saas/showroom/%2E./%2e%2E/admin/x",
            to("admin", "/faas/api/admin/x"),
        ),
        (
            "/faas/api/./saas/showroom/./x",
            to("saas-showroom", "/faas/api/saas/showroom/x"),
        ),
        (
            "/faas/api/saas/showroom/.",
            to("saas-showroom", "/faas/api/saas/showroom/"),
        ),
        (
            "/faas/api/admin/../saas/showroom/x",
            to("saas-showroom", "/faas/api/saas/showroom/x"),
        ),
        (
            "/faas/api/saas/showroom/%252e%252e/admin",
            to("saas-showroom", "/faas/api/saas/showroom/%252e%252e/admin"),
        ),
        (
            "/faas/api/../../etc/passwd",
            untouched("/faas/api/../../etc/passwd"),
        ),
        ("/faas/api/../../../etc/passwd", bad("above_root")),
        ("/../faas/api/render", bad("above_root")),
        (
            "/faas/api/saas/showroom/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/x",
            bad("above_root"),
        ),
        (
            "/other/../faas/api/render",
            to("render", "/faas/api/render"),
        ),
        // double slashes
        (
            "/faas/api//saas//showroom//x",
            to("saas-showroom", "/faas/api/saas/showroom/x"),
        ),
        ("//faas/api/render", to("render", "/faas/api/render")),
        ("/faas/api/saas/showroom", none("/faas/api/saas/showroom")),
        // mixed case: matching is case-sensitive, decoded escapes included
        ("/FAAS/API/render", untouched("/FAAS/API/render")),
        ("/faas/api/Render", none("/faas/api/Render")),
        (
            "/faas/api/saas/%53howroom/x",
            none("/faas/api/saas/Showroom/x"),
        ),
        (
            "/faas/api/saas/%73howroom/x",
            to("saas-showroom", "/faas/api/saas/showroom/x"),
        ),
        (
            "/faas/api/saas/showroom/%7e%7E",
            to("saas-showroom", "/faas/api/saas/showroom/~~"),
        ),
        (
            "/faas/api/saas/showroom/%c3%a9",
            to("saas-showroom", "/faas/api/saas/showroom/%C3%A9"),
        ),
        // overlong UTF-8 and broken escapes
        (
            "/faas/api/saas/showroom/%c0%ae%c0%ae/admin",
            bad("invalid_utf8"),
        ),
        (
            "/faas/api/saas/showroom/%e0%80%ae%e0%80%ae/admin",
            bad("invalid_utf8"),
        ),
        ("/faas/api/saas/showroom/%c0%af", bad("invalid_utf8")),
        (
            "/faas/api/saas/showroom/%u002e%u002e/admin",
            bad("bad_percent_encoding"),
        ),
        ("/faas/api/saas/showroom/%2", bad("bad_percent_encoding")),
        ("/faas/api/saas/showroom/%ZZ", bad("bad_percent_encoding")),
        // control characters, NUL, raw bytes
        ("/faas/api/saas/showroom/%00", bad("control_char")),
        (
            "/faas/api/saas/showroom/%0d%0aX-Faas-Service:%20admin",
            bad("control_char"),
        ),
        ("/faas/api/saas/showroom/a\tb", bad("control_char")),
        ("/faas/api/saas/showroom/a b", bad("invalid_char")),
        ("/faas/api/saas/showroom/caf\u{e9}", bad("invalid_char")),
        // `;` parameters (Tomcat drops them before mapping, Go keeps them): refused
        (
            "/faas/api/saas/showroom/..;/admin/x",
            bad("path_parameters"),
        ),
        ("/faas/api/saas/showroom/.;/x", bad("path_parameters")),
        (
            "/faas/api/saas/showroom;jsessionid=1/x",
            bad("path_parameters"),
        ),
        ("/faas/api/render;x=1", bad("path_parameters")),
        ("/faas/api/saas/showroom/a;b=c/x", bad("path_parameters")),
        (
            "/faas/api/saas/showroom/a%3Bb=c/x",
            to("saas-showroom", "/faas/api/saas/showroom/a%3Bb=c/x"),
        ),
        // query and fragment tricks: the query is never normalized or matched
        (
            "/faas/api/render?/../admin/x",
            to("render", "/faas/api/render?/../admin/x"),
        ),
        (
            "/faas/api/render?x=%2F..%2F#frag",
            to("render", "/faas/api/render?x=%2F..%2F#frag"),
        ),
        ("/faas/api/render#/../admin/x", bad("fragment")),
        (
            "/faas/api/render%23/../admin/x",
            to("admin", "/faas/api/admin/x"),
        ),
        (
            "/faas/api/render%3F/../../admin/x",
            untouched("/faas/api/render%3F/../../admin/x"),
        ),
        (
            "/faas/api/sa%3Fas/showroom/x",
            none("/faas/api/sa%3Fas/showroom/x"),
        ),
        // very long paths
        (long_ok.as_str(), to("saas-showroom", &long_ok)),
        (
            long_dots.as_str(),
            to("saas-showroom", "/faas/api/saas/showroom/y"),
        ),
        (long_climb.as_str(), bad("above_root")),
    ];
    let mut h = host_with(TABLE);
    let mut failures = Vec::new();
    for (path, want) in &corpus {
        let got = outcome(&mut h, path);
        if &got != want {
            let shown = |s: &str| {
                if s.len() > 120 {
                    format!("{}…", &s[..120])
                } else {
                    s.to_string()
                }
            };
            failures.push(format!(
                "{}\n   want {}\n   got  {}",
                shown(path),
                shown(&format!("{want:?}")),
                shown(&format!("{got:?}"))
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        corpus.len(),
        failures.join("\n")
    );
}
