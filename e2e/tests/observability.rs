//! What an operator sees, on a real Envoy and a real Prometheus: the three plugins of the kfaas
//! gateway (jwt-auth, grey-chain in gateway mode, faas-router) in one Envoy whose bootstrap
//! `stats_config` is the one istio-agent would generate from
//! `wasmplugins/observability/istio-values.yaml` (e2e/src/istio_agent.rs, a model), and an
//! access log in that file's `kfaas-access-log` format. Valid, expired and missing tokens,
//! grey and normal users, routed and unrouted paths; then `/stats/prometheus` carries the
//! labelled families with the expected labels and values (and, as on an Istio proxy, the
//! deprecated flat names too: istio-agent's own `wasm` prefix; `proxyStatsMatcher`'s regexps
//! alone select only the families), Prometheus scrapes them and answers PromQL on them, the access log lines carry the
//! filter state, and every expression of the shipped dashboard and alerts is accepted. The
//! combined kfaas-gateway module exports the same families.

use anyhow::{bail, Context, Result};
use e2e::bench::scenarios::jwt_auth::{claims, Key, ISSUER};
use e2e::istio_agent::{istio_values_path, ProxyStats};
use e2e::prometheus::{promtool_check_rules, SCRAPE_INTERVAL};
use e2e::{
    http, Direction, Envoy, EnvoyConfig, Listener, Prometheus, Upstream, UpstreamResponse,
    WasmFilter,
};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A second issuer whose JWKS never loads (its server answers 500): `jwks_keys` stays 0.
const BROKEN_ISSUER: &str = "https://broken.example.com";

fn jwt_auth() -> Value {
    json!({
        "jwtRules": [
            {"issuer": ISSUER, "audiences": ["kfaas"],
             "jwksUri": "http://jwks.local/keys", "jwksCluster": "jwks"},
            {"issuer": BROKEN_ISSUER,
             "jwksUri": "http://broken.local/keys", "jwksCluster": "broken"}],
        "rules": [{"match": {"prefix": "/faas/api/public/"}, "requirement": "allow_missing"},
                  {"match": {"exact": "/healthz"}, "requirement": "none"}]
    })
}

fn grey_chain() -> Value {
    json!({
        "mode": "gateway", "tagHeader": "x-grey", "lanes": ["grey"],
        "gateway": {"rules": [
            {"lane": "grey", "match": {"header": {"name": "end-user", "exact": "test"}}},
            {"lane": "grey", "match": {"cookie": {"name": "lane", "exact": "grey"}}}]}
    })
}

fn grey_chain_sidecar() -> Value {
    json!({"mode": "sidecar", "tagHeader": "x-grey", "lanes": ["grey"],
           "sidecar": {"direction": "inbound"}})
}

fn faas_router() -> Value {
    json!({
        "pathPrefix": "/faas/api/",
        "routes": [
            {"match": {"prefix": "/faas/api/saas/showroom/"}, "service": "saas-showroom", "namespace": "faas-alpha"},
            {"match": {"prefix": "/faas/api/public/"}, "service": "public", "namespace": "faas-alpha"},
            {"match": {"exact": "/faas/api/render"}, "service": "render", "namespace": "faas-beta"},
            {"match": {"regex": "^/faas/api/u/[a-z0-9-]+/profile$"}, "service": "profile", "namespace": "faas-beta"}
        ],
        "onNoMatch": "reject"
    })
}

/// `meshConfig.extensionProviders[name=kfaas-access-log]`'s text format.
fn access_log_format() -> Result<String> {
    let path = istio_values_path();
    let values: Value = serde_norway::from_str(&std::fs::read_to_string(&path)?)?;
    let providers = values["meshConfig"]["extensionProviders"]
        .as_array()
        .context("istio-values.yaml: no meshConfig.extensionProviders")?;
    providers
        .iter()
        .find(|p| p["name"] == "kfaas-access-log")
        .and_then(|p| p["envoyFileAccessLog"]["logFormat"]["text"].as_str())
        .map(str::to_string)
        .context("istio-values.yaml: no kfaas-access-log text format")
}

/// The gateway: the three plugins, the bootstrap `stats_config`, the access log in `log`.
fn gateway(
    echo: &Upstream,
    jwks: &Upstream,
    broken: &Upstream,
    log: &Path,
    stats: Value,
) -> Result<Envoy> {
    // jwt-auth in audit mode on a second listener: refusals counted as `audit_denied`.
    let mut audit = jwt_auth();
    audit["mode"] = json!("audit");
    let access_log = json!([{
        "name": "envoy.access_loggers.file",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog",
            "path": log.display().to_string(),
            "log_format": {"text_format_source": {"inline_string": access_log_format()?}}
        }
    }]);
    let plugins = WasmFilter::kfaas_gateway_plugins(&jwt_auth(), &grey_chain(), &faas_router());
    Envoy::start(
        plugins
            .into_iter()
            .fold(EnvoyConfig::new(), |c, f| c.filter(f))
            .route_to(echo)
            .listener(
                Listener::new("audit")
                    .filter(WasmFilter::kfaas_gateway_plugin(
                        "jwt-auth-audit",
                        "jwt_auth",
                        &audit,
                    ))
                    .route_to_cluster(echo.name()),
            )
            // A sidecar's inbound listener: grey-chain records lanes in its correlation table.
            .listener(
                Listener::new("inbound")
                    .direction(Direction::Inbound)
                    .filter(WasmFilter::kfaas_gateway_plugin(
                        "grey-chain-inbound",
                        "grey_chain",
                        &grey_chain_sidecar(),
                    ))
                    .route_to_cluster(echo.name()),
            )
            .cluster("jwks", jwks.port())
            .cluster("broken", broken.port())
            .arg("--file-flush-interval-msec")
            .arg("100")
            .patch(move |b| {
                b["stats_config"] = stats.clone();
                for l in b["static_resources"]["listeners"]
                    .as_array_mut()
                    .into_iter()
                    .flatten()
                {
                    if l["name"] == "main" {
                        l["filter_chains"][0]["filters"][0]["typed_config"]["access_log"] =
                            access_log.clone();
                    }
                }
            }),
    )
}

/// One series of `/stats/prometheus`.
#[derive(Debug, Clone, PartialEq)]
struct Series {
    family: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Parses Prometheus' text format as Envoy writes it (no escaped quotes in our values).
fn parse_exposition(text: &str) -> Vec<Series> {
    let mut out = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let Some((head, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(value) = value.parse::<f64>() else {
            continue;
        };
        let (family, labels) = match head.split_once('{') {
            Some((f, rest)) => (f, rest.trim_end_matches('}')),
            None => (head, ""),
        };
        let labels = labels
            .split("\",")
            .filter(|p| !p.is_empty())
            .filter_map(|p| {
                let (k, v) = p.split_once("=\"")?;
                Some((k.to_string(), v.trim_end_matches('"').to_string()))
            })
            .collect();
        out.push(Series {
            family: family.to_string(),
            labels,
            value,
        });
    }
    out
}

/// The value of `family{labels}` (exactly these labels), if exported.
fn value(series: &[Series], family: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let want: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    series
        .iter()
        .find(|s| s.family == family && s.labels == want)
        .map(|s| s.value)
}

struct Run {
    envoy: Envoy,
    /// Scraping the envoy (`run`); `None` when only Envoy is read (`traffic_only`).
    prometheus: Option<Prometheus>,
    log: PathBuf,
    _upstreams: [Upstream; 3],
    _dir: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Valid requests to the showroom route that `run` sends.
const VALID_SHOWROOM: usize = 3;
/// Requests with a valid token in all: the showroom ones, the two grey ones
/// (header, cookie), the profile and the no-route one.
const VALID_TOKENS: usize = VALID_SHOWROOM + 4;
/// Requests the gateway left in baseline: the showroom ones, the profile,
/// the public one, healthz and the no-route one.
const BASELINE_AT_GATEWAY: usize = VALID_SHOWROOM + 4;

/// Starts the gateway with the `stats_config` istio-agent would generate (the model) and
/// Prometheus (scraping before any traffic, so rates see the traffic), sends the corpus and
/// waits until Prometheus has scraped all of it.
fn run(name: &str) -> Result<Run> {
    let stats = ProxyStats::from_istio_values(&istio_values_path())?.stats_config();
    run_with(name, stats, true)
}

impl Run {
    fn prometheus(&self) -> &Prometheus {
        self.prometheus
            .as_ref()
            .unwrap_or_else(|| panic!("this run started no Prometheus"))
    }
}

/// `run` with these `stats_config`, and Prometheus only when `scrape`.
fn run_with(name: &str, stats: Value, scrape: bool) -> Result<Run> {
    let key = Key::generate("RS256", "k1")?;
    let doc = json!({"keys": [key.jwk()?]});
    let jwks = Upstream::custom("jwks", move |_| UpstreamResponse::json(200, &doc))?;
    let broken = Upstream::custom("broken", |_| UpstreamResponse::text(500, "down"))?;
    let echo = Upstream::echo("svc")?;
    let dir = std::env::temp_dir().join(format!("e2e-observability-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let dir = TempDir(dir);
    let log = dir.0.join("access.log");
    let envoy = gateway(&echo, &jwks, &broken, &log, stats)?;
    let prometheus = if scrape {
        let p = Prometheus::scraping(&[&envoy])?;
        p.wait_for("up{job=\"envoy\"} == 1", Duration::from_secs(30))?;
        Some(p)
    } else {
        None
    };

    let bearer =
        |sub: &str| -> Result<String> { Ok(format!("Bearer {}", key.token(&claims(sub))?)) };
    let alice = bearer("alice")?;
    let mut expired = claims("alice");
    expired["exp"] = json!(expired["iat"].as_i64().unwrap_or(0) - 3600);
    let expired = format!("Bearer {}", key.token(&expired)?);
    let get = |path: &str, headers: &[(&str, &str)], status: u16| -> Result<()> {
        let r = http::get(&envoy.url(path), headers)?;
        if r.status != status {
            bail!(
                "GET {path} {headers:?}: {} (want {status}): {}",
                r.status,
                r.body
            );
        }
        Ok(())
    };
    let showroom = "/faas/api/saas/showroom/cars";
    for _ in 0..VALID_SHOWROOM {
        get(showroom, &[("authorization", &alice)], 200)?;
    }
    get(
        showroom,
        &[("authorization", &alice), ("end-user", "test")],
        200,
    )?;
    get(
        "/faas/api/render",
        &[("authorization", &alice), ("cookie", "a=b; lane=grey")],
        200,
    )?;
    get(
        "/faas/api/u/bob-1/profile",
        &[("authorization", &alice)],
        200,
    )?;
    get(showroom, &[("authorization", &expired)], 401)?;
    get(showroom, &[], 401)?;
    get("/faas/api/public/logo.png", &[], 200)?;
    get("/healthz", &[], 200)?;
    get("/faas/api/nothing/here", &[("authorization", &alice)], 404)?;
    // Audit mode: the expired token passes, counted as a would-be refusal.
    let r = http::get(
        &envoy.listener_url("audit", showroom),
        &[("authorization", &expired)],
    )?;
    if r.status != 200 {
        bail!("audit listener: {} {}", r.status, r.body);
    }

    // A grey request reaching a sidecar with a trace context: recorded in the correlation table.
    let r = http::get(
        &envoy.listener_url("inbound", "/orders"),
        &[
            ("x-grey", "grey"),
            (
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ),
        ],
    )?;
    if r.status != 200 {
        bail!("inbound listener: {} {}", r.status, r.body);
    }

    // Everything scraped: the last request's counter is in Prometheus.
    if let Some(p) = &prometheus {
        p.wait_for(
            r#"faas_router_requests{outcome="no_route"} == 1"#,
            Duration::from_secs(30),
        )?;
        std::thread::sleep(SCRAPE_INTERVAL * 3);
    }
    Ok(Run {
        envoy,
        prometheus,
        log,
        _upstreams: [echo, jwks, broken],
        _dir: dir,
    })
}

#[test]
fn the_labelled_families_reach_prometheus_and_the_access_log_carries_the_filter_state() -> Result<()>
{
    let run = run("families")?;
    let text = http::get(&run.envoy.admin_url("/stats/prometheus"), &[])?.body;
    let ours: Vec<&str> = text
        .lines()
        .filter(|l| {
            ["jwt_auth", "grey_chain", "faas_router"]
                .iter()
                .any(|f| l.contains(f))
        })
        .collect();
    println!(
        "/stats/prometheus, the filters' lines:\n{}",
        ours.join("\n")
    );
    let series = parse_exposition(&text);
    let v = |family: &str, labels: &[(&str, &str)]| value(&series, family, labels);

    // jwt-auth
    let req = "jwt_auth_requests";
    let valid = VALID_TOKENS as f64;
    assert_eq!(
        v(req, &[("result", "allowed"), ("reason", "valid")]),
        Some(valid)
    );
    assert_eq!(
        v(req, &[("result", "allowed"), ("reason", "none")]),
        Some(1.0)
    );
    assert_eq!(
        v(req, &[("result", "skipped"), ("reason", "none")]),
        Some(1.0)
    );
    assert_eq!(
        v(req, &[("result", "denied"), ("reason", "expired")]),
        Some(1.0)
    );
    assert_eq!(
        v(req, &[("result", "denied"), ("reason", "missing")]),
        Some(1.0)
    );
    let fetches = "jwt_auth_jwks_fetches";
    assert!(v(fetches, &[("issuer_index", "0"), ("result", "success")]) >= Some(1.0));
    assert!(v(fetches, &[("issuer_index", "1"), ("result", "failure")]) >= Some(1.0));
    assert_eq!(v("jwt_auth_jwks_keys", &[("issuer_index", "0")]), Some(1.0));
    assert_eq!(v("jwt_auth_jwks_keys", &[("issuer_index", "1")]), Some(0.0));
    // grey-chain: only requests jwt-auth passed reach it.
    let grey = "grey_chain_requests";
    let at = |lane, decision| [("at", "gateway"), ("lane", lane), ("decision", decision)];
    assert_eq!(v(grey, &at("grey", "header")), Some(1.0));
    assert_eq!(v(grey, &at("grey", "cookie")), Some(1.0));
    let baseline = BASELINE_AT_GATEWAY as f64;
    assert_eq!(v(grey, &at("baseline", "baseline")), Some(baseline));
    // The sidecar's inbound listener: the incoming lane kept and recorded for its trace id.
    let inbound = [
        ("at", "inbound"),
        ("lane", "grey"),
        ("decision", "incoming"),
    ];
    assert_eq!(v(grey, &inbound), Some(1.0));
    let recorded = [("outcome", "recorded")];
    assert_eq!(
        v("grey_chain_correlation_table_events", &recorded),
        Some(1.0)
    );
    assert_eq!(v("grey_chain_correlation_table_entries", &[]), Some(1.0));
    // faas-router
    let faas = "faas_router_requests";
    let routed = |kind| [("outcome", "routed"), ("kind", kind), ("reason", "none")];
    let prefix = (VALID_SHOWROOM + 1 + 1) as f64; // + the grey user, public
    assert_eq!(v(faas, &routed("prefix")), Some(prefix));
    assert_eq!(v(faas, &routed("exact")), Some(1.0));
    assert_eq!(v(faas, &routed("regex")), Some(1.0));
    let no_route = [
        ("outcome", "no_route"),
        ("kind", "none"),
        ("reason", "none"),
    ];
    assert_eq!(v(faas, &no_route), Some(1.0));
    assert_eq!(v("faas_router_routes", &[]), Some(4.0));

    // Every series of a family carries the same label names.
    let families: [(&str, &[&str]); 7] = [
        ("jwt_auth_requests", &["reason", "result"]),
        ("jwt_auth_jwks_fetches", &["issuer_index", "result"]),
        ("jwt_auth_jwks_keys", &["issuer_index"]),
        ("grey_chain_requests", &["at", "decision", "lane"]),
        ("faas_router_requests", &["kind", "outcome", "reason"]),
        ("faas_router_routes", &[]),
        ("grey_chain_correlation_table_events", &["outcome"]),
    ];
    for s in &series {
        if let Some((_, labels)) = families.iter().find(|(f, _)| *f == s.family) {
            let names: Vec<&str> = s.labels.keys().map(String::as_str).collect();
            assert_eq!(&names, labels, "{s:?}");
        }
    }
    // On an Istio proxy the deprecated flat names are exported too: istio-agent always adds
    // the inclusion prefix `wasm` (for Envoy's `wasm.*` stats) and Envoy matches it as a plain
    // string prefix, so every `wasmcustom.*` stat passes (see
    // `the_stats_matcher_regexps_select_only_the_labelled_families` for istio-values.yaml's own).
    assert_eq!(v("faas_router_requests_faas_beta_render", &[]), Some(1.0));
    assert_eq!(v("jwt_auth_denied_expired", &[]), Some(1.0));

    // Prometheus scraped them.
    let by_reason = run
        .prometheus()
        .query("sum by (result, reason) (jwt_auth_requests)")?;
    let mut got: BTreeMap<(String, String), String> = BTreeMap::new();
    for r in by_reason["result"].as_array().into_iter().flatten() {
        let m = &r["metric"];
        got.insert(
            (
                m["result"].as_str().unwrap_or("").into(),
                m["reason"].as_str().unwrap_or("").into(),
            ),
            r["value"][1].as_str().unwrap_or("").into(),
        );
    }
    let key = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(
        got.get(&key("allowed", "valid")),
        Some(&VALID_TOKENS.to_string()),
        "{got:?}"
    );
    assert_eq!(
        got.get(&key("denied", "expired")).map(String::as_str),
        Some("1"),
        "{got:?}"
    );
    assert_eq!(
        got.get(&key("skipped", "none")).map(String::as_str),
        Some("1"),
        "{got:?}"
    );
    let lanes = run
        .prometheus()
        .query(r#"sum by (lane) (grey_chain_requests{at="gateway"})"#)?;
    let lanes: BTreeMap<String, String> = lanes["result"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["metric"]["lane"].as_str().unwrap_or("").to_string(),
                r["value"][1].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        lanes.get("grey").map(String::as_str),
        Some("2"),
        "{lanes:?}"
    );
    assert_eq!(
        lanes.get("baseline"),
        Some(&BASELINE_AT_GATEWAY.to_string()),
        "{lanes:?}"
    );

    // The access log: one line per request, the filter state in it.
    let log = std::fs::read_to_string(&run.log)?;
    println!("access log:\n{log}");
    let line = |needle: &str| -> Result<&str> {
        log.lines()
            .find(|l| l.contains(needle))
            .with_context(|| format!("no access log line with {needle:?} in:\n{log}"))
    };
    let render = line("GET /faas/api/render ")?;
    let issuer = format!("jwt_issuer={ISSUER}");
    for want in [
        "jwt_result=allowed",
        issuer.as_str(),
        "lane=grey",
        "faas_route=exact:/faas/api/render",
        "faas_service=render.faas-beta",
    ] {
        assert!(render.contains(want), "{want:?} not in {render}");
    }
    let profile = line("GET /faas/api/u/bob-1/profile ")?;
    assert!(
        profile.contains("lane=- "),
        "baseline has no lane: {profile}"
    );
    assert!(
        profile.contains("faas_service=profile.faas-beta"),
        "{profile}"
    );
    let denied = log
        .lines()
        .filter(|l| l.contains(" 401 "))
        .collect::<Vec<_>>();
    assert_eq!(denied.len(), 2, "{log}");
    for l in denied {
        assert!(
            l.contains("jwt_result=denied jwt_issuer=- lane=- faas_route=-"),
            "{l}"
        );
    }
    let healthz = line("GET /healthz ")?;
    assert!(healthz.contains("jwt_result=skipped"), "{healthz}");
    Ok(())
}

/// The inclusion regexps of istio-values.yaml's `proxyStatsMatcher` alone (without what
/// istio-agent adds) let the labelled families through and none of the flat names.
#[test]
fn the_stats_matcher_regexps_select_only_the_labelled_families() -> Result<()> {
    let proxy = ProxyStats::from_istio_values(&istio_values_path())?;
    let mut stats = proxy.stats_config();
    let ours: Vec<Value> = proxy
        .inclusion_regexps
        .iter()
        .map(|r| json!({"safe_regex": {"regex": r}}))
        .collect();
    stats["stats_matcher"] = json!({"inclusion_list": {"patterns": ours}});
    let run = run_with("matcher", stats, false)?;
    let text = http::get(&run.envoy.admin_url("/stats/prometheus"), &[])?.body;
    let series = parse_exposition(&text);
    let families: Vec<&str> = {
        let mut f: Vec<&str> = series
            .iter()
            .map(|s| s.family.as_str())
            .filter(|f| {
                ["jwt_auth_", "grey_chain_", "faas_router_"]
                    .iter()
                    .any(|p| f.starts_with(p))
            })
            .collect();
        f.dedup();
        f
    };
    assert_eq!(
        families,
        [
            "faas_router_requests",
            "grey_chain_correlation_table_events",
            "grey_chain_requests",
            "jwt_auth_jwks_fetches",
            "jwt_auth_requests",
            "faas_router_routes",
            "grey_chain_correlation_table_entries",
            "jwt_auth_jwks_keys",
        ],
        "{text}"
    );
    let all = run.envoy.stats()?;
    let flat: Vec<&String> = all
        .keys()
        .filter(|k| k.starts_with("wasmcustom.") && !k.contains(";.;"))
        .collect();
    assert_eq!(
        flat,
        [
            "wasmcustom.faas_router.routes",
            "wasmcustom.grey_chain.correlation_table_entries"
        ],
        "only these untagged stats are created"
    );
    Ok(())
}

/// Where the dashboard and alerts live: `wasmplugins/observability`, or
/// `$KFAAS_OBSERVABILITY_DIR`.
fn observability_dir() -> PathBuf {
    std::env::var_os("KFAAS_OBSERVABILITY_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| e2e::workspace_root().join("wasmplugins/observability"))
}

/// Every `expr` of a Grafana dashboard's panels (rows' panels included).
fn dashboard_exprs(dashboard: &Value) -> Vec<String> {
    fn walk(panels: &Value, out: &mut Vec<String>) {
        for p in panels.as_array().into_iter().flatten() {
            for t in p["targets"].as_array().into_iter().flatten() {
                if let Some(e) = t["expr"].as_str() {
                    out.push(e.to_string());
                }
            }
            walk(&p["panels"], out);
        }
    }
    let mut out = Vec::new();
    walk(&dashboard["panels"], &mut out);
    for row in dashboard["rows"].as_array().into_iter().flatten() {
        walk(&row["panels"], &mut out);
    }
    out
}

/// A Grafana expression as Prometheus takes it: `$__rate_interval`, `$__interval`, `$__range`
/// → `1m`; other template variables (`$lane`, `${lane}`) → `.*`.
fn grafana_to_promql(expr: &str) -> String {
    let mut out = String::new();
    let mut rest = expr;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, len) = if let Some(braced) = after.strip_prefix('{') {
            let end = braced.find('}').unwrap_or(braced.len());
            (&braced[..end], end + 2)
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], end)
        };
        out.push_str(if name.starts_with("__") { "1m" } else { ".*" });
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

/// The selectors of the filters' families in `expr`: `jwt_auth_…{…}` as written.
fn filter_selectors(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < expr.len() {
        let rest = &expr[i..];
        let start = ["jwt_auth_", "grey_chain_", "faas_router_"]
            .iter()
            .filter_map(|p| rest.find(p))
            .min();
        let Some(s) = start else { break };
        let from = &rest[s..];
        let mut end = from
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(from.len());
        if from[end..].starts_with('{') {
            end += from[end..].find('}').map_or(0, |e| e + 1);
        }
        out.push(from[..end].to_string());
        i += s + end.max(1);
    }
    out
}

#[test]
fn dashboard_and_alert_expressions() -> Result<()> {
    let dir = observability_dir();
    let (dashboard, alerts) = (dir.join("dashboard.json"), dir.join("alerts.yaml"));
    let dash: Value = serde_json::from_str(&std::fs::read_to_string(&dashboard)?)
        .with_context(|| format!("{} is not JSON", dashboard.display()))?;
    let dash_exprs = dashboard_exprs(&dash);
    assert!(!dash_exprs.is_empty(), "no expr in {}", dashboard.display());
    // The PrometheusRule (one or several YAML documents): its spec.groups, as promtool reads.
    let text = std::fs::read_to_string(&alerts)?;
    let mut groups = Vec::new();
    for doc in text.split("\n---").filter(|d| !d.trim().is_empty()) {
        let doc: Value = serde_norway::from_str(doc)
            .with_context(|| format!("{} is not YAML", alerts.display()))?;
        if doc["kind"] == "PrometheusRule" {
            groups.extend(
                doc["spec"]["groups"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .cloned(),
            );
        }
    }
    let alert_exprs: Vec<String> = groups
        .iter()
        .flat_map(|g| g["rules"].as_array().into_iter().flatten())
        .filter_map(|r| r["expr"].as_str().map(str::to_string))
        .collect();
    assert!(
        !alert_exprs.is_empty(),
        "no rule expr in {}",
        alerts.display()
    );

    let run = run("dashboard")?;
    let rules = run.log.with_file_name("rules.yaml");
    std::fs::write(&rules, serde_norway::to_string(&json!({"groups": groups}))?)?;
    println!("{}", promtool_check_rules(&rules)?);

    let mut problems = Vec::new();
    for (source, expr) in dash_exprs
        .iter()
        .map(|e| ("dashboard", e))
        .chain(alert_exprs.iter().map(|e| ("alerts", e)))
    {
        let promql = grafana_to_promql(expr);
        let data = match run.prometheus().query(&promql) {
            Ok(d) => d,
            Err(e) => {
                problems.push(format!("{source}: {e}"));
                continue;
            }
        };
        let empty = data["result"].as_array().is_none_or(Vec::is_empty);
        let selectors = filter_selectors(&promql);
        // A dashboard panel on the filters' metrics shows data after this traffic; an alert
        // may rightly be quiet, but every filter selector it reads must exist.
        if source == "dashboard" && !selectors.is_empty() && empty {
            problems.push(format!("{source}: no data for {promql:?}"));
        }
        for s in selectors {
            match run.prometheus().query(&s) {
                Ok(d) if d["result"].as_array().is_some_and(|r| !r.is_empty()) => {}
                Ok(_) => problems.push(format!("{source}: {s:?} (in {promql:?}) has no data")),
                Err(e) => problems.push(format!("{source}: {e}")),
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    Ok(())
}

#[test]
fn grafana_variables_and_filter_selectors_are_read_as_prometheus_would() {
    assert_eq!(
        grafana_to_promql(r#"sum(rate(x{lane=~"$lane"}[$__rate_interval])) / ${__range}"#),
        r#"sum(rate(x{lane=~".*"}[1m])) / 1m"#
    );
    assert_eq!(
        filter_selectors(
            r#"sum(rate(jwt_auth_requests{result="denied"}[1m])) > grey_chain_requests"#
        ),
        [
            r#"jwt_auth_requests{result="denied"}"#,
            "grey_chain_requests"
        ]
    );
}

/// The combined kfaas-gateway module runs the same stages: the same families.
#[test]
fn the_combined_module_exports_the_same_families() -> Result<()> {
    let key = Key::generate("RS256", "k1")?;
    let doc = json!({"keys": [key.jwk()?]});
    let jwks = Upstream::custom("jwks", move |_| UpstreamResponse::json(200, &doc))?;
    let broken = Upstream::custom("broken", |_| UpstreamResponse::text(500, "down"))?;
    let echo = Upstream::echo("svc")?;
    let stats = ProxyStats::from_istio_values(&istio_values_path())?.stats_config();
    let envoy = Envoy::start(
        EnvoyConfig::new()
            .filter(WasmFilter::kfaas_gateway_combined(
                &jwt_auth(),
                &grey_chain(),
                &faas_router(),
            ))
            .route_to(&echo)
            .cluster("jwks", jwks.port())
            .cluster("broken", broken.port())
            .patch(move |b| b["stats_config"] = stats.clone()),
    )?;
    let alice = format!("Bearer {}", key.token(&claims("alice"))?);
    let grey = [("authorization", alice.as_str()), ("end-user", "test")];
    let r = http::get(&envoy.url("/faas/api/render"), &grey)?;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = http::get(&envoy.url("/faas/api/render"), &[])?;
    assert_eq!(r.status, 401, "{}", r.body);
    let text = http::get(&envoy.admin_url("/stats/prometheus"), &[])?.body;
    let series = parse_exposition(&text);
    let v = |family: &str, labels: &[(&str, &str)]| value(&series, family, labels);
    let req = "jwt_auth_requests";
    assert_eq!(
        v(req, &[("result", "allowed"), ("reason", "valid")]),
        Some(1.0)
    );
    assert_eq!(
        v(req, &[("result", "denied"), ("reason", "missing")]),
        Some(1.0)
    );
    let lane = [("at", "gateway"), ("lane", "grey"), ("decision", "header")];
    assert_eq!(v("grey_chain_requests", &lane), Some(1.0));
    let routed = [("outcome", "routed"), ("kind", "exact"), ("reason", "none")];
    assert_eq!(v("faas_router_requests", &routed), Some(1.0));
    assert_eq!(v("jwt_auth_jwks_keys", &[("issuer_index", "0")]), Some(1.0));
    Ok(())
}
