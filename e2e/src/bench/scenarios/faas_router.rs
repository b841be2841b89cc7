//! faas-router benchmarks: tables of 10, 100, 1,000 and 10,000 routes (60%
//! prefix, half of them with rewritePrefix; 20% exact; 20% regex) against
//! Envoy without the filter and against a native route table doing the same
//! mapping (one route per entry with `prefix_rewrite` and
//! `host_rewrite_literal`, ordered exact, regex, longest prefix).
//!
//! Every variant forwards to a second listener of the same Envoy answering
//! 200, so all pay the same upstream hop and the native table's rewrites
//! really happen. wrk cycles through paths spread over the whole table.
//!
//! That hop makes each request pass through Envoy twice (~240 µs of CPU per
//! request here), which buries a few µs of filter work in run-to-run noise.
//! The "direct response (filter only)" scenarios measure the filter alone:
//! the same tables and traffic, Envoy answering right after the filter, as
//! the other filters' scenarios do.

use crate::bench::{Kind, Scenario, Variant};
use crate::{EnvoyConfig, Listener, WasmFilter};
use serde_json::{json, Value};

const NAMESPACE: &str = "faas-bench";

/// One table entry: kind, pattern, service, rewrite, and a path it serves.
struct Entry {
    kind: &'static str,
    pattern: String,
    service: String,
    rewrite: Option<&'static str>,
    sample_path: String,
}

fn entries(n: usize) -> Vec<Entry> {
    (0..n)
        .map(|i| {
            let service = format!("svc-{i}");
            let base = format!("/faas/api/svc{i}/");
            match i % 10 {
                0..=5 => Entry {
                    kind: "prefix",
                    pattern: base.clone(),
                    service,
                    rewrite: (i % 2 == 0).then_some("/"),
                    sample_path: format!("{base}items/42?page=1"),
                },
                6 | 7 => Entry {
                    kind: "exact",
                    pattern: format!("{base}run"),
                    service,
                    rewrite: None,
                    sample_path: format!("{base}run"),
                },
                _ => Entry {
                    kind: "regex",
                    pattern: format!("{base}u/[a-z0-9-]+/profile"),
                    service,
                    rewrite: None,
                    sample_path: format!("{base}u/bob-{i}/profile"),
                },
            }
        })
        .collect()
}

/// The filter's pluginConfig for the table.
pub fn plugin_config(n: usize) -> String {
    let routes: Vec<Value> = entries(n)
        .into_iter()
        .map(|e| {
            let mut r =
                json!({"match": {e.kind: e.pattern}, "service": e.service, "namespace": NAMESPACE});
            if let Some(p) = e.rewrite {
                r["rewritePrefix"] = p.into();
            }
            r
        })
        .collect();
    json!({ "routes": routes }).to_string()
}

fn native_routes(n: usize) -> Value {
    let mut all = entries(n);
    let rank = |k: &str| match k {
        "exact" => 0,
        "regex" => 1,
        _ => 2,
    };
    all.sort_by(|a, b| {
        (rank(a.kind), std::cmp::Reverse(a.pattern.len()))
            .cmp(&(rank(b.kind), std::cmp::Reverse(b.pattern.len())))
    });
    let routes: Vec<Value> = all
        .iter()
        .map(|e| {
            let m = match e.kind {
                "exact" => json!({"path": e.pattern}),
                "regex" => json!({"safe_regex": {"regex": e.pattern}}),
                _ => json!({"prefix": e.pattern}),
            };
            let mut action = json!({
                "cluster": "backend",
                "host_rewrite_literal": format!("{}.{NAMESPACE}.svc.cluster.local", e.service),
            });
            if let Some(p) = e.rewrite {
                action["prefix_rewrite"] = p.into();
            }
            json!({"match": m, "route": action})
        })
        .collect();
    route_config(routes)
}

fn route_config(routes: Vec<Value>) -> Value {
    json!({"name": "local", "virtual_hosts": [{"name": "all", "domains": ["*"], "routes": routes}]})
}

/// `main` (what wrk hits) forwarding to `backend`, which answers 200.
fn envoy(main_routes: Value, filter: Option<WasmFilter>) -> EnvoyConfig {
    let mut cfg = EnvoyConfig::new()
        .routes(main_routes)
        .listener(Listener::new("backend").direct_response(200, "ok"))
        .cluster_to_listener("backend", "backend");
    if let Some(f) = filter {
        cfg = cfg.filter(f);
    }
    cfg
}

/// wrk script cycling through up to 500 paths spread over the table.
fn lua(n: usize) -> String {
    let all = entries(n);
    let step = (all.len() / 500).max(1);
    let paths: Vec<String> = all
        .iter()
        .step_by(step)
        .map(|e| format!("{:?}", e.sample_path))
        .collect();
    format!(
        "local paths = {{{}}}\nlocal i = 0\nrequest = function()\n  i = i % #paths + 1\n  return wrk.format(\"GET\", paths[i])\nend\n",
        paths.join(", ")
    )
}

fn scenario(n: usize) -> Scenario {
    let script = lua(n);
    let first_path = entries(n)
        .first()
        .map(|e| e.sample_path.clone())
        .unwrap_or_default();
    let config = plugin_config(n);
    let module = crate::dist("faas_router");
    let wasm = Variant::new(Kind::Wasm, "faas-router (wasm)", move || {
        let f = WasmFilter::new("faas-router", "kfaas-system", &module).config_json(config.clone());
        let fixed = route_config(vec![json!({
            "match": {"prefix": "/", "headers": [{"name": "x-faas-service", "present_match": true}]},
            "route": {"cluster": "backend"}
        })]);
        envoy(fixed, Some(f))
    });
    let native = Variant::new(Kind::Native, "native route table", move || {
        envoy(native_routes(n), None)
    });
    let plain = || {
        envoy(
            route_config(vec![
                json!({"match": {"prefix": "/"}, "route": {"cluster": "backend"}}),
            ]),
            None,
        )
    };
    let baseline = Variant::new(Kind::Baseline, "no filter", plain);
    // What any proxy-wasm filter costs on this same listener and route.
    let floor = Variant::wasm_floor_with(plain);
    Scenario::new("faas-router", &format!("{n} routes"))
        .notes(&format!(
            "{n} routes (60% prefix, half with rewritePrefix; 20% exact; 20% regex). wrk cycles through paths spread over the table. Every variant forwards to a second listener answering 200. The wasm floor is an empty proxy-wasm filter on the same listener and route: what any wasm filter costs in this Envoy. The native table is one Envoy route per entry (prefix_rewrite + host_rewrite_literal), first match wins."
        ))
        .variant(baseline.path(&first_path).lua(&script))
        .variant(floor.path(&first_path).lua(&script))
        .variant(native.path(&first_path).lua(&script))
        .variant(wasm.path(&first_path).lua(&script))
}

/// The filter alone: Envoy answers every request itself right after it (a
/// `direct_response` route), as the other filters' scenarios do, so the
/// ~240 µs of the forwarding scenarios' second hop does not bury the
/// filter's few µs. The wasm variant's only route requires `x-faas-service`
/// (set by the filter; the route is re-selected after it), so a request the
/// filter did not route would be a 404 and fail the bench's check.
fn direct_scenario(n: usize) -> Scenario {
    let script = lua(n);
    let first_path = entries(n)
        .first()
        .map(|e| e.sample_path.clone())
        .unwrap_or_default();
    let direct = |headers: Value| {
        let mut m = json!({"prefix": "/"});
        if !headers.is_null() {
            m["headers"] = headers;
        }
        route_config(vec![json!({
            "match": m,
            "direct_response": {"status": 200, "body": {"inline_string": "ok"}}
        })])
    };
    let plain = move || EnvoyConfig::new().routes(direct(Value::Null));
    let mut s = Scenario::new("faas-router", &format!("{n} routes, direct response (filter only)"))
        .notes(&format!(
            "{n} routes as above, but Envoy answers 200 itself right after the filter (direct_response): no second hop, so the filter's own cost is not buried in the ~240 µs of forwarding. The wasm variant's route requires x-faas-service, so only routed requests get the 200. No native peer here (a native route table needs a route action to rewrite)."
        ))
        .variant(Variant::new(Kind::Baseline, "no filter", plain).path(&first_path).lua(&script))
        .variant(Variant::wasm_floor_with(plain).path(&first_path).lua(&script));
    let modules = std::iter::once(("faas-router (wasm)".to_owned(), crate::dist("faas_router")))
        .chain(
            extra_modules()
                .into_iter()
                .map(|(label, path)| (format!("faas-router {label} (wasm)"), path)),
        );
    for (name, module) in modules {
        let config = plugin_config(n);
        let wasm = Variant::new(Kind::Wasm, &name, move || {
            let f =
                WasmFilter::new("faas-router", "kfaas-system", &module).config_json(config.clone());
            EnvoyConfig::new()
                .routes(direct(
                    json!([{"name": "x-faas-service", "present_match": true}]),
                ))
                .filter(f)
        });
        s = s.variant(wasm.path(&first_path).lua(&script));
    }
    s
}

/// Other builds of the module to measure side by side with
/// `dist/faas_router.wasm` in the direct-response scenarios (before/after a
/// change): `BENCH_FAAS_ROUTER_MODULES="label=path.wasm,…"`.
fn extra_modules() -> Vec<(String, std::path::PathBuf)> {
    crate::bench::extra_modules("BENCH_FAAS_ROUTER_MODULES")
}

pub fn scenarios() -> Vec<Scenario> {
    let mut all: Vec<Scenario> = [10, 100, 1_000, 10_000].into_iter().map(scenario).collect();
    all.extend([10, 1_000, 10_000].into_iter().map(direct_scenario));
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_table_orders_exact_regex_then_prefix() {
        let native = native_routes(10);
        let routes = native["virtual_hosts"][0]["routes"].as_array().unwrap();
        let kinds: Vec<&str> = routes
            .iter()
            .map(|r| {
                r["match"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .next()
                    .unwrap()
                    .as_str()
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "path",
                "path",
                "safe_regex",
                "safe_regex",
                "prefix",
                "prefix",
                "prefix",
                "prefix",
                "prefix",
                "prefix"
            ]
        );
        let rewritten = routes
            .iter()
            .filter(|r| r["route"]["prefix_rewrite"] == "/")
            .count();
        assert_eq!(rewritten, 3);
        assert_eq!(lua(10_000).matches("\"/faas/api/").count(), 500);
        assert_eq!(lua(10).matches("\"/faas/api/").count(), 10);
    }
}
