//! What one request costs the built module (testhost's meter: wasm
//! instructions and host calls), per path through the filter, at 10, 1,000
//! and 10,000 routes. Host calls are the contract asserted here: each is
//! about a microsecond in Envoy's V8, and the number per request must not
//! grow with the table. Instructions are printed
//! (`cargo nextest run -p faas-router --test cost --no-capture`), never
//! asserted.

// Test helpers (not only #[test] fns) may fail loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use serde_json::{json, Value};
use testhost::{Action, Host, Meter};

/// A table like the bench's (`e2e/src/bench/scenarios/faas_router.rs`):
/// 60% prefix (half with rewritePrefix), 20% exact, 20% regex, plus one
/// split by header and one by cookie.
fn table(n: usize) -> String {
    let mut routes: Vec<Value> = (0..n)
        .map(|i| {
            let base = format!("/faas/api/svc{i}/");
            let (kind, pattern) = match i % 10 {
                0..=5 => ("prefix", base.clone()),
                6 | 7 => ("exact", format!("{base}run")),
                _ => ("regex", format!("{base}u/[a-z0-9-]+/profile")),
            };
            let mut r = json!({"match": {kind: pattern}, "service": format!("svc-{i}"), "namespace": "faas-bench"});
            if i % 10 <= 5 && i % 2 == 0 {
                r["rewritePrefix"] = "/".into();
            }
            r
        })
        .collect();
    routes.push(
        json!({"match": {"prefix": "/faas/api/search/"}, "namespace": "faas-bench",
        "split": [{"service": "search", "weight": 90}, {"service": "search-v2", "weight": 10}],
        "hashBy": {"header": "x-jwt-sub"}}),
    );
    routes.push(
        json!({"match": {"prefix": "/faas/api/cart/"}, "namespace": "faas-bench",
        "split": [{"service": "cart", "weight": 50}, {"service": "cart-v2", "weight": 50}],
        "hashBy": {"cookie": "uid"}}),
    );
    routes.push(
        json!({"match": {"prefix": "/faas/api/policy/"}, "service": "policy", "namespace": "faas-bench",
        "timeout": "15s", "retries": {"attempts": 3, "perTryTimeout": "5s", "retryOn": "5xx,connect-failure"}}),
    );
    json!({ "routes": routes }).to_string()
}

/// The same table with nine virtual hosts besides (5 exact hosts, 4
/// wildcards), each with a few routes: every request pays the host lookup.
fn table_with_hosts(n: usize) -> String {
    let mut config: Value = serde_json::from_str(&table(n)).unwrap();
    config["virtualHosts"] = (1..10)
        .map(|t| {
            let host = if t <= 5 {
                format!("env{t}.faas.example")
            } else {
                format!("*.env{t}.faas.example")
            };
            json!({"hosts": [host], "routes": [
                {"match": {"prefix": "/faas/api/svc1/"}, "service": format!("env{t}-svc1"), "namespace": "faas-bench"}
            ]})
        })
        .collect();
    config.to_string()
}

/// The paths measured: name, path, extra headers, what must happen.
struct Case {
    name: &'static str,
    path: String,
    extra: Vec<(&'static str, &'static str)>,
    expect: Expect,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Routed,
    Local(u32),
    Untouched,
}

fn cases(n: usize) -> Vec<Case> {
    // Entries near the end of the table, so nothing depends on insertion order.
    let last = |rem: usize| (0..n).rev().find(|i| i % 10 == rem).unwrap();
    let case = |name, path: String, expect| Case {
        name,
        path,
        extra: Vec::new(),
        expect,
    };
    vec![
        case(
            "prefix",
            format!("/faas/api/svc{}/items/42?page=1", last(1)),
            Expect::Routed,
        ),
        case(
            "prefix+rewrite",
            format!("/faas/api/svc{}/items/42?page=1", last(0)),
            Expect::Routed,
        ),
        case(
            "exact",
            format!("/faas/api/svc{}/run", last(6)),
            Expect::Routed,
        ),
        case(
            "regex",
            format!("/faas/api/svc{0}/u/bob-{0}/profile", last(8)),
            Expect::Routed,
        ),
        Case {
            extra: vec![("x-jwt-sub", "user-17")],
            ..case(
                "split (header)",
                "/faas/api/search/q?x=1".into(),
                Expect::Routed,
            )
        },
        Case {
            extra: vec![("cookie", "a=1"), ("cookie", "uid=user-17; b=2")],
            ..case(
                "split (2 cookies)",
                "/faas/api/cart/items".into(),
                Expect::Routed,
            )
        },
        case(
            "miss (404)",
            "/faas/api/nothing/here?x=1".into(),
            Expect::Local(404),
        ),
        case(
            "outside prefix",
            "/static/app.js?v=3".into(),
            Expect::Untouched,
        ),
        Case {
            extra: vec![("x-faas-service", "evil"), ("x-envoy-original-path", "/x")],
            ..case(
                "prefix, 2 spoofed",
                format!("/faas/api/svc{}/items/42", last(1)),
                Expect::Routed,
            )
        },
        case(
            "timeout+retries",
            "/faas/api/policy/x".into(),
            Expect::Routed,
        ),
        Case {
            extra: vec![
                ("x-envoy-max-retries", "9"),
                ("x-envoy-upstream-rq-timeout-ms", "1"),
            ],
            ..case(
                "prefix, 2 x-envoy",
                format!("/faas/api/svc{}/items/42", last(1)),
                Expect::Routed,
            )
        },
    ]
}

/// With virtual hosts: the top level (no host matches), an exact host, a
/// wildcard host.
fn host_cases(n: usize) -> Vec<Case> {
    let prefix = cases(n).into_iter().next().unwrap();
    let with = |name, authority: &'static str, path: &str| Case {
        name,
        path: path.into(),
        extra: vec![(":authority", authority)],
        expect: Expect::Routed,
    };
    vec![
        Case {
            name: "vhosts: top level",
            ..prefix
        },
        with("vhosts: exact", "env3.faas.example", "/faas/api/svc1/x"),
        with(
            "vhosts: wildcard",
            "fn.env9.faas.example:443",
            "/faas/api/svc1/x",
        ),
    ]
}

/// Headers a real client request carries besides the path.
const COMMON: [(&str, &str); 7] = [
    (":method", "GET"),
    (":authority", "kfaas-gateway.example"),
    (":scheme", "https"),
    ("user-agent", "wrk/4.2"),
    ("accept", "*/*"),
    ("x-request-id", "6f1b2c3d-8e9f-4a5b-9c7d-1e2f3a4b5c6d"),
    ("x-forwarded-for", "10.0.0.7"),
];

/// One request through a fresh stream, measured after a warm-up request on
/// the same path (the first use of a target defines its counter, once per VM).
fn measure(host: &mut Host, case: &Case) -> Meter {
    let run = |host: &mut Host| {
        let mut headers: Vec<(&str, &str)> = COMMON
            .iter()
            .filter(|(n, _)| !case.extra.iter().any(|(e, _)| e == n))
            .copied()
            .collect();
        headers.push((":path", &case.path));
        headers.extend_from_slice(&case.extra);
        let before = host.meter();
        let mut s = host.stream();
        let action = s.request_headers(&headers, true);
        let cost = host.meter() - before;
        let got = match (action, s.local_response()) {
            (Action::Pause, Some(r)) => Expect::Local(r.status),
            (Action::Continue, None) if s.request_header("x-faas-service").is_some() => {
                Expect::Routed
            }
            (Action::Continue, None) => Expect::Untouched,
            other => panic!("{}: {other:?}", case.name),
        };
        assert_eq!(got, case.expect, "{} {}", case.name, case.path);
        s.finish();
        cost
    };
    run(host);
    run(host)
}

/// Host calls per request, per case: the glue's whole budget.
/// prefix (no rewrite): read the map, 3 headers, `:authority`, 1 counter
/// = 6 (no `clear_route_cache`: Envoy re-selects the route itself for ABI
/// 0.2.1 modules); a rewrite adds `:path` and
/// `x-envoy-original-path`; a 404 is the read, the counter and the local
/// response; outside the prefix only the read.
fn budget(name: &str) -> u64 {
    // Issue 20: a routed request also counts `faas_router_requests` and sets the filter
    // state `faas_router.route` and `faas_router.service` (+3); a refused one counts (+1).
    match name {
        "prefix" | "exact" | "regex" | "split (header)" | "split (2 cookies)" => 9,
        "prefix+rewrite" => 11,
        "miss (404)" => 4,
        "outside prefix" => 1,
        // The spoofed copies are removed (2) and counted (1).
        "prefix, 2 spoofed" | "prefix, 2 x-envoy" => 12,
        // + one header per field the route names (4 here).
        "timeout+retries" => 13,
        "vhosts: top level" | "vhosts: exact" | "vhosts: wildcard" => 9,
        other => panic!("no budget for {other}"),
    }
}

/// The bench's wasm floor (grey-chain with nothing to decide), for scale.
fn floor() -> Option<Meter> {
    const FLOOR_CONFIG: &str =
        r#"{"mode":"gateway","tagHeader":"x-wasm-floor","lanes":["floor"],"gateway":{}}"#;
    let host = Host::load(testhost::dist("grey_chain")).ok()?;
    let mut host = host.config(FLOOR_CONFIG).ok()?;
    let case = Case {
        name: "floor",
        path: "/faas/api/svc1/items/42?page=1".into(),
        extra: Vec::new(),
        expect: Expect::Untouched,
    };
    Some(measure(&mut host, &case))
}

#[test]
fn host_calls_per_request_stay_within_budget_at_any_table_size() {
    let mut report = String::from("routes  case                 host_calls  wasm_instructions\n");
    if let Some(m) = floor() {
        report.push_str(&format!(
            "     -  {:<20} {:>10}  {:>17}\n",
            "wasm floor (bench)", m.host_calls, m.wasm_instructions
        ));
    }
    let mut failures = Vec::new();
    for n in [10, 1_000, 10_000] {
        let mut plain = common::host_with(&table(n));
        let mut with_hosts = common::host_with(&table_with_hosts(n));
        let runs = cases(n)
            .into_iter()
            .map(|c| (false, c))
            .chain(host_cases(n).into_iter().map(|c| (true, c)));
        for (vhosts, case) in runs {
            let host = if vhosts { &mut with_hosts } else { &mut plain };
            let m = measure(host, &case);
            report.push_str(&format!(
                "{n:>6}  {:<20} {:>10}  {:>17}\n",
                case.name, m.host_calls, m.wasm_instructions
            ));
            if m.host_calls > budget(case.name) {
                failures.push(format!(
                    "{n} routes, {}: {} host calls, budget {}",
                    case.name,
                    m.host_calls,
                    budget(case.name)
                ));
            }
        }
    }
    println!("{report}");
    assert!(failures.is_empty(), "{failures:#?}\n{report}");
}
