//! faas-router's decision for a raw `:path` (`router::resolve`: normalization
//! with its fast path for already-normal paths, the table, prefix rewrites).
//! Properties: a path that does not normalize is refused with 400 and the
//! normalization's reason; one that does gets the same answer as its normal
//! form (same route, target and upstream `:path`); the upstream `:path` is
//! itself normal.
#![no_main]

use faas_router::config::Config;
use faas_router::router::{resolve, Outcome};
use filters_common::path::{normalize, normalize_request_path};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let json = br#"{"pathPrefix": "/faas/api/", "routes": [
            {"match": {"prefix": "/faas/api/saas/showroom/"}, "service": "saas-showroom", "namespace": "faas-alpha"},
            {"match": {"prefix": "/faas/api/p/saas/virtual-showroom/"}, "service": "virtual-showroom", "namespace": "faas-alpha", "rewritePrefix": "/"},
            {"match": {"prefix": "/faas/api/s/"}, "service": "s", "namespace": "n", "rewritePrefix": "/v2/"},
            {"match": {"exact": "/faas/api/render"}, "service": "render", "namespace": "faas-beta"},
            {"match": {"regex": "/faas/api/r/.*"}, "service": "r", "namespace": "n"},
            {"match": {"regex": "^/faas/api/u/[a-z0-9-]+/profile$"}, "service": "profile", "namespace": "faas-beta"}],
          "onNoMatch": "reject"}"#;
        faas_router::config::parse(json).expect("the target's config")
    })
}

/// What an outcome means upstream: the variant, the route and target, the `:path`.
fn meaning(outcome: &Outcome<'_>, raw: &str) -> String {
    match outcome {
        Outcome::Routed(r) => format!(
            "routed {:?} {} {}",
            r.route as *const _,
            r.target_id,
            r.path.as_deref().unwrap_or(raw)
        ),
        Outcome::Reject { status, reason, .. } => format!("reject {status} {reason}"),
        other => format!("{other:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let config = config();
    let outcome = resolve(config, None, raw);
    if !raw.starts_with('/') {
        assert_eq!(outcome, Outcome::Untouched);
        return;
    }
    match normalize_request_path(raw) {
        Err(e) => match &outcome {
            Outcome::Reject { status, reason, .. } => {
                assert_eq!((*status, *reason), (400, e.reason()), "{raw:?}");
            }
            other => panic!("{raw:?} does not normalize ({e}) but got {other:?}"),
        },
        Ok((path, query)) => {
            let normal = match query {
                Some(q) => format!("{path}?{q}"),
                None => path,
            };
            let again = resolve(config, None, &normal);
            assert_eq!(
                meaning(&outcome, raw),
                meaning(&again, &normal),
                "{raw:?} and its normal form {normal:?}"
            );
            if let Outcome::Routed(r) = &outcome {
                let upstream = r.path.as_deref().unwrap_or(raw);
                let (p, _) = filters_common::query::split_path(upstream);
                assert_eq!(normalize(p).as_deref(), Ok(p), "{raw:?} -> {upstream:?}");
            }
        }
    }
});
