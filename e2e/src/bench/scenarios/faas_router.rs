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
    route_config(native_table(n, None))
}

/// The native peer's table: one Envoy route per entry, ordered exact, regex,
/// longest prefix (first match wins), each forwarding to `backend` with
/// `prefix_rewrite` and `host_rewrite_literal` — or, with `direct`, answering
/// that `direct_response` itself (the match without the rewrite, which needs
/// a route action; for measuring the table with no upstream hop).
pub fn native_table(n: usize, direct: Option<&Value>) -> Vec<Value> {
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
    all.iter()
        .map(|e| {
            let m = match e.kind {
                "exact" => json!({"path": e.pattern}),
                "regex" => json!({"safe_regex": {"regex": e.pattern}}),
                _ => json!({"prefix": e.pattern}),
            };
            if let Some(d) = direct {
                return json!({"match": m, "direct_response": d});
            }
            let mut action = json!({
                "cluster": "backend",
                "host_rewrite_literal": format!("{}.{NAMESPACE}.svc.cluster.local", e.service),
            });
            if let Some(p) = e.rewrite {
                action["prefix_rewrite"] = p.into();
            }
            json!({"match": m, "route": action})
        })
        .collect()
}

/// One virtual host answering every domain with `routes`.
pub fn route_config(routes: Vec<Value>) -> Value {
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

/// Up to 500 request paths spread over the table, one per entry taken.
pub fn sample_paths(n: usize) -> Vec<String> {
    let all = entries(n);
    let step = (all.len() / 500).max(1);
    all.into_iter()
        .step_by(step)
        .map(|e| e.sample_path)
        .collect()
}

/// wrk script cycling through `sample_paths`.
fn lua(n: usize) -> String {
    let paths: Vec<String> = sample_paths(n).iter().map(|p| format!("{p:?}")).collect();
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
    all.extend([1_000, 10_000].into_iter().map(virtual_hosts_scenario));
    all
}

/// Tables the virtual-host scenario spreads its routes over.
const HOST_TABLES: usize = 10;

/// Which table entry `i` lives in (neighbouring entries in different tables,
/// every kind in every table); table 0 is the top-level `routes`.
fn host_table(i: usize) -> usize {
    (i / 10) % HOST_TABLES
}

/// The authority a request for table `t` carries: tables 1-5 are exact
/// hosts, 6-9 `*.` wildcards (so both lookups are measured); table 0's host
/// is named by no virtual host and gets the top-level routes.
fn table_authority(t: usize) -> String {
    if t <= 5 {
        format!("env{t}.faas.example")
    } else {
        format!("fn.env{t}.faas.example")
    }
}

/// The same `n` routes as one top-level table, or spread over the top level
/// and nine virtual hosts.
pub fn plugin_config_hosts(n: usize, spread: bool) -> String {
    let mut tables: Vec<Vec<Value>> = vec![Vec::new(); HOST_TABLES];
    for (i, e) in entries(n).into_iter().enumerate() {
        let mut r =
            json!({"match": {e.kind: e.pattern}, "service": e.service, "namespace": NAMESPACE});
        if let Some(p) = e.rewrite {
            r["rewritePrefix"] = p.into();
        }
        let t = if spread { host_table(i) } else { 0 };
        if let Some(table) = tables.get_mut(t) {
            table.push(r);
        }
    }
    let mut tables = tables.into_iter();
    let routes = tables.next().unwrap_or_default();
    // One table: no virtual host at all (an empty one would still take its host).
    let virtual_hosts: Vec<Value> = tables
        .filter(|_| spread)
        .enumerate()
        .map(|(k, routes)| {
            let t = k + 1;
            let host = if t <= 5 {
                table_authority(t)
            } else {
                format!("*.env{t}.faas.example")
            };
            json!({"hosts": [host], "routes": routes})
        })
        .collect();
    json!({"routes": routes, "virtualHosts": virtual_hosts}).to_string()
}

/// wrk script cycling through up to 500 (path, authority) pairs.
fn lua_hosts(n: usize) -> String {
    let all = entries(n);
    let step = (all.len() / 500).max(1);
    let requests: Vec<String> = all
        .iter()
        .enumerate()
        .step_by(step)
        .map(|(i, e)| {
            format!(
                "{{{:?}, {:?}}}",
                e.sample_path,
                table_authority(host_table(i))
            )
        })
        .collect();
    format!(
        "local reqs = {{{}}}\nlocal i = 0\nrequest = function()\n  i = i % #reqs + 1\n  return wrk.format(\"GET\", reqs[i][1], {{[\"Host\"] = reqs[i][2]}})\nend\n",
        requests.join(", ")
    )
}

/// Lookup cost with `virtualHosts`: the same `n` routes and requests (each
/// with its table's authority) in one table or spread over ten (top level
/// plus nine virtual hosts, exact and wildcard hosts). Direct response, as
/// the filter-only scenarios. Goal (issue 12): the same as one table.
fn virtual_hosts_scenario(n: usize) -> Scenario {
    let script = lua_hosts(n);
    let first_path = entries(n)
        .first()
        .map(|e| e.sample_path.clone())
        .unwrap_or_default();
    let routed = || {
        route_config(vec![json!({
            "match": {"prefix": "/", "headers": [{"name": "x-faas-service", "present_match": true}]},
            "direct_response": {"status": 200, "body": {"inline_string": "ok"}}
        })])
    };
    let plain = || EnvoyConfig::new().direct_response(200, "ok");
    let mut s = Scenario::new(
        "faas-router",
        &format!("{n} routes over {HOST_TABLES} virtual hosts, direct response"),
    )
    .notes(&format!(
        "{n} routes, the same requests with their table's authority: one top-level table, or spread over the top level and nine virtualHosts (5 exact hosts, 4 `*.` wildcards), {} routes each. Envoy answers 200 right after the filter; only routed requests match.",
        n / HOST_TABLES
    ))
    .variant(Variant::new(Kind::Baseline, "no filter", plain).path(&first_path).lua(&script))
    .variant(Variant::wasm_floor_with(plain).path(&first_path).lua(&script));
    for (name, spread) in [
        ("faas-router, one table (wasm)", false),
        ("faas-router, 10 host tables (wasm)", true),
    ] {
        let module = crate::dist("faas_router");
        let config = plugin_config_hosts(n, spread);
        let wasm = Variant::new(Kind::Wasm, name, move || {
            let f =
                WasmFilter::new("faas-router", "kfaas-system", &module).config_json(config.clone());
            EnvoyConfig::new().routes(routed()).filter(f)
        });
        s = s.variant(wasm.path(&first_path).lua(&script));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_tables_route_every_sample_with_its_authority() {
        let one = faas_router::config::parse(plugin_config_hosts(1_000, false).as_bytes()).unwrap();
        let ten = faas_router::config::parse(plugin_config_hosts(1_000, true).as_bytes()).unwrap();
        assert_eq!(ten.virtual_hosts.len(), HOST_TABLES - 1);
        assert_eq!(ten.routes.len(), 100);
        for (i, e) in entries(1_000).iter().enumerate() {
            let host = table_authority(host_table(i));
            for c in [&one, &ten] {
                match faas_router::router::resolve(c, Some(&host), &e.sample_path) {
                    faas_router::router::Outcome::Routed(r) => {
                        assert_eq!(r.target.service, e.service)
                    }
                    other => panic!("{host} {}: {other:?}", e.sample_path),
                }
            }
        }
    }

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
        assert_eq!(lua_hosts(10_000).matches("\"/faas/api/").count(), 500);
        assert_eq!(
            lua_hosts(1_000).matches("\"fn.env9.faas.example\"").count(),
            50
        );
        assert_eq!(lua(10).matches("\"/faas/api/").count(), 10);
    }
}
