//! grey-chain on real Envoy 1.40.

use e2e::{
    http, Direction, Envoy, EnvoyConfig, Listener, Routes, Upstream, UpstreamResponse, WasmFilter,
};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

const TP: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const TP_CHILD: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-01";
const TP_OTHER: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

fn sidecar_filter(name: &str) -> WasmFilter {
    sidecar_filter_pinned(name, None)
}

/// The sidecar WasmPlugin `name` as istiod renders it: filter name
/// `istio-system.<name>`, root id = `pluginName`, no vm_id; `direction` is
/// its `sidecar.direction` (the manifests pin one plugin per direction).
fn sidecar_filter_pinned(name: &str, direction: Option<&str>) -> WasmFilter {
    let mut sidecar =
        json!({"podLabel": {"key": "type", "value": "grey"}, "correlation": {"ttlSeconds": 60}});
    if let Some(d) = direction {
        sidecar["direction"] = d.into();
    }
    WasmFilter::new(name, "istio-system", e2e::dist("grey_chain"))
        .root_id("grey-chain")
        .config(&json!({"mode": "sidecar", "lanes": ["grey"], "sidecar": sidecar}))
}

/// One pod's sidecar: an inbound listener answering itself, an outbound
/// listener whose route tells which lane the request was sent to.
fn pod(label: &str, inbound_plugin: &str, outbound_plugin: &str) -> EnvoyConfig {
    pod_with(
        label,
        sidecar_filter(inbound_plugin).to_json(),
        sidecar_filter(outbound_plugin).to_json(),
    )
}

/// `pod` with the two HTTP filter entries given as Envoy JSON.
fn pod_with(label: &str, inbound: Value, outbound: Value) -> EnvoyConfig {
    let lane_routes = Routes::new()
        .route(json!({
            "match": {"prefix": "/", "headers": [{"name": "x-grey", "string_match": {"exact": "grey"}}]},
            "direct_response": {"status": 200, "body": {"inline_string": "grey"}}
        }))
        .direct("/", 200, "normal");
    EnvoyConfig::empty()
        .node_metadata(json!({"LABELS": {"type": label, "app": "svc"}}))
        .listener(
            Listener::new("inbound")
                .direction(Direction::Inbound)
                .native_filter(inbound)
                .direct_response(200, "app"),
        )
        .listener(
            Listener::new("outbound")
                .direction(Direction::Outbound)
                .native_filter(outbound)
                .routes(lane_routes),
        )
}

fn outbound_lane(envoy: &Envoy, headers: &[(&str, &str)]) -> String {
    let r = http::get(&envoy.listener_url("outbound", "/next"), headers).unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

/// The inbound and outbound filter instances of one Envoy, configured like
/// istiod renders them (no vm_id), share one correlation table: one
/// CLIENT_AND_SERVER plugin on both listeners, two plugins with the same
/// configuration, and the manifests' two plugins (SERVER with
/// `sidecar.direction: inbound`, CLIENT with `outbound`: other names, other
/// configurations, so other root contexts). The control: give the outbound
/// filter a vm_id of its own (which istiod never does) and it does not see the
/// inbound's entries — shared data is keyed by vm_id.
#[test]
fn inbound_and_outbound_share_the_table() {
    let inbound = || sidecar_filter_pinned("grey-chain-sidecar-inbound", Some("inbound"));
    let outbound = || sidecar_filter_pinned("grey-chain-sidecar-outbound", Some("outbound"));
    let mut own_vm = outbound().to_json();
    own_vm["typed_config"]["config"]["vm_config"]["vm_id"] = "other".into();
    let cases = [
        (
            "one plugin",
            sidecar_filter("grey-chain").to_json(),
            sidecar_filter("grey-chain").to_json(),
            "grey",
        ),
        (
            "two plugins",
            sidecar_filter("grey-chain-in").to_json(),
            sidecar_filter("grey-chain-out").to_json(),
            "grey",
        ),
        (
            "the manifests' two pinned plugins",
            inbound().to_json(),
            outbound().to_json(),
            "grey",
        ),
        (
            "control: another vm_id",
            inbound().to_json(),
            own_vm,
            "normal",
        ),
    ];
    for (case, inbound, outbound, restored) in cases {
        let envoy = Envoy::start(pod_with("normal", inbound, outbound)).unwrap();
        assert_eq!(outbound_lane(&envoy, &[("traceparent", TP)]), "normal");
        let r = http::get(
            &envoy.listener_url("inbound", "/"),
            &[("x-grey", "grey"), ("traceparent", TP)],
        )
        .unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(
            outbound_lane(&envoy, &[("traceparent", TP_CHILD)]),
            restored,
            "{case}: the outbound listener's lane for the inbound's trace"
        );
        assert_eq!(
            outbound_lane(&envoy, &[("traceparent", TP_OTHER)]),
            "normal"
        );
        // `None` when the stat is missing: a misnamed metric must fail, not read 0.
        let stat = |name: &str| envoy.stat(&format!("wasmcustom.grey_chain.{name}"));
        let by_correlation = u64::from(restored == "grey");
        assert_eq!(
            stat("sidecar.outbound.by_correlation"),
            Some(by_correlation),
            "{case}"
        );
        assert_eq!(stat("sidecar.inbound.recorded"), Some(1), "{case}");
        assert_eq!(stat("sidecar.direction_mismatch"), Some(0), "{case}");
        if restored == "grey" {
            assert_eq!(stat("correlation.entries"), Some(1), "{case}");
        }
    }
}

/// Records the route Envoy picked before grey-chain ran (`h:metadata()`
/// resolves and caches it, as any earlier filter with per-route config does)
/// and returns it as `x-first-route`.
const LUA_CACHE_ROUTE: &str = r#"
function envoy_on_request(h)
  h:streamInfo():dynamicMetadata():set("e2e", "first", h:metadata():get("lane") or "none")
end
function envoy_on_response(h)
  local m = h:streamInfo():dynamicMetadata():get("e2e")
  h:headers():add("x-first-route", m and m["first"] or "unset")
end
"#;

/// The filter does not call `clear_route_cache` (a host call per tagged
/// request): Envoy re-selects the route by itself when an ABI 0.2.1 module
/// changes request headers, even when an earlier filter already resolved it.
#[test]
fn route_is_reselected_after_the_lane_is_set_without_clear_route_cache() {
    let lane_route = |lane: &str, headers: Value| {
        json!({
            "match": {"prefix": "/", "headers": headers},
            "metadata": {"filter_metadata": {"envoy.filters.http.lua": {"lane": lane}}},
            "direct_response": {"status": 200, "body": {"inline_string": lane}}
        })
    };
    let routes = Routes::new()
        .route(lane_route(
            "grey",
            json!([{"name": "x-grey", "string_match": {"exact": "grey"}}]),
        ))
        .route(lane_route("normal", json!([])));
    let lua = json!({
        "name": "envoy.filters.http.lua",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua",
            "default_source_code": {"inline_string": LUA_CACHE_ROUTE}
        }
    });
    let gateway = WasmFilter::new("grey-chain", "istio-system", e2e::dist("grey_chain"))
        .root_id("grey-chain")
        .config_json(GATEWAY_CONFIG);
    let outbound = sidecar_filter_pinned("grey-chain-sidecar-outbound", Some("outbound"));
    let envoy = Envoy::start(
        EnvoyConfig::empty()
            .node_metadata(json!({"LABELS": {"type": "grey"}}))
            .listener(
                Listener::new("gateway")
                    .native_filter(lua.clone())
                    .filter(gateway)
                    .routes(routes.clone()),
            )
            .listener(
                Listener::new("outbound")
                    .direction(Direction::Outbound)
                    .native_filter(lua)
                    .filter(outbound)
                    .routes(routes),
            ),
    )
    .unwrap();
    for (listener, headers) in [
        ("gateway", &[("end-user", "test")][..]),
        ("outbound", &[][..]),
    ] {
        let r = http::get(&envoy.listener_url(listener, "/"), headers).unwrap();
        assert_eq!(
            (r.status, r.body.as_str(), r.header("x-first-route")),
            (200, "grey", Some("normal")),
            "{listener}: the route resolved before the filter ran must be replaced"
        );
    }
}

/// `listener_direction` and node metadata `LABELS` as Envoy 1.40 returns them.
#[test]
fn pod_label_seeds_the_lane_and_direction_is_read() {
    let envoy = Envoy::start(pod("grey", "grey-chain", "grey-chain")).unwrap();
    assert_eq!(outbound_lane(&envoy, &[]), "grey");
    assert_eq!(
        envoy.stat("wasmcustom.grey_chain.sidecar.outbound.by_pod_label"),
        Some(1)
    );
    // Inbound never seeds from the pod label.
    http::get(&envoy.listener_url("inbound", "/"), &[]).unwrap();
    assert_eq!(
        envoy
            .stat("wasmcustom.grey_chain.sidecar.unknown_direction")
            .unwrap_or(0),
        0
    );
    let normal = Envoy::start(pod("normal", "grey-chain", "grey-chain")).unwrap();
    assert_eq!(outbound_lane(&normal, &[]), "normal");
    // A lane not in `lanes` is dropped, not routed on.
    assert_eq!(outbound_lane(&normal, &[("x-grey", "purple")]), "normal");
    assert_eq!(normal.stat("wasmcustom.grey_chain.dropped_lanes"), Some(1));
}

type RawHeaders<'a> = &'a [(&'a str, &'a [u8])];

fn raw_get(port: u16, headers: RawHeaders) -> (u16, String) {
    e2e::http::raw_get(port, "/", headers).unwrap()
}

/// A header value that is not UTF-8 (HTTP allows bytes 0x80-0xFF) once
/// panicked the SDK's header decoding and killed the VM: with FAIL_CLOSED
/// every later request got a 503.
#[test]
fn non_utf8_header_values_neither_kill_the_vm_nor_pick_a_lane() {
    let gateway_filter = WasmFilter::new("grey-chain", "istio-system", e2e::dist("grey_chain"))
        .root_id("grey-chain")
        .config_json(GATEWAY_CONFIG)
        .fail_closed();
    let header = |name: &str, m: Value| json!({"name": name, "string_match": m});
    let routes = Routes::new()
        .route(json!({
            "match": {"prefix": "/", "headers": [
                header("x-grey", json!({"exact": "grey"})),
                header("baggage", json!({"exact": "lane=grey"}))]},
            "direct_response": {"status": 200, "body": {"inline_string": "grey"}}
        }))
        .route(json!({
            "match": {"prefix": "/", "headers": [{"name": "x-grey", "present_match": true}]},
            "direct_response": {"status": 200, "body": {"inline_string": "tag left"}}
        }))
        .route(json!({
            "match": {"prefix": "/", "headers": [{"name": "baggage", "present_match": true}]},
            "direct_response": {"status": 200, "body": {"inline_string": "baggage left"}}
        }))
        .direct("/", 200, "normal");
    let gateway = Envoy::start(
        EnvoyConfig::empty().listener(Listener::new("main").filter(gateway_filter).routes(routes)),
    )
    .unwrap();
    let port = gateway.port();
    let cases: [(RawHeaders, &str); 4] = [
        (&[("x-other", b"caf\xe9"), ("end-user", b"test")], "grey"),
        (
            &[("x-grey", b"grey\xe9"), ("baggage", b"lane=grey,x=\xe9")],
            "normal",
        ),
        (
            &[
                ("x-grey", b"grey"),
                ("baggage", b"lane=gr\xe9y"),
                ("end-user", b"test"),
            ],
            "grey",
        ),
        (&[("end-user", b"t\xe9st")], "normal"),
    ];
    for (headers, want) in cases {
        assert_eq!(
            raw_get(port, headers),
            (200, want.to_string()),
            "{headers:?}"
        );
        let r = http::get(&gateway.url("/"), &[("end-user", "test")]).unwrap();
        assert_eq!(
            (r.status, r.body.as_str()),
            (200, "grey"),
            "after {headers:?}"
        );
    }
    assert_eq!(
        gateway.stat("wasmcustom.grey_chain.gateway.spoofed_removed"),
        Some(2)
    );
    assert!(!gateway.log().contains("panicked"), "{}", gateway.log());

    // A sidecar drops an unreadable tag and goes on with the pod's lane.
    let envoy = Envoy::start(pod("grey", "grey-chain", "grey-chain")).unwrap();
    let port = envoy.listener_port("outbound").unwrap();
    assert_eq!(
        raw_get(port, &[("x-grey", b"bl\xe9")]),
        (200, "grey".to_string())
    );
    assert_eq!(envoy.stat("wasmcustom.grey_chain.dropped_lanes"), Some(1));
    assert_eq!(outbound_lane(&envoy, &[]), "grey");
}

// ---- a mesh: gateway → A → B → C (and A → D → C, D without a grey version) ----

const GATEWAY_CONFIG: &str = r#"{
  "mode": "gateway", "lanes": ["grey"],
  "gateway": {"rules": [
    {"lane": "grey", "match": {"header": {"name": "end-user", "exact": "test"}}},
    {"lane": "grey", "percentage": 30, "hashBy": {"header": "x-user"}}
  ]}
}"#;

/// An app that calls the next hop named by the first path segment through its
/// sidecar's outbound listener, forwarding only `traceparent` (as an
/// OpenTelemetry-instrumented app does), and reports the chain it saw.
fn app(svc: &'static str, version: &'static str, outbound: Arc<OnceLock<String>>) -> Upstream {
    Upstream::custom(&format!("{svc}-{version}"), move |req| {
        let path = req.path.trim_start_matches('/');
        let (next, rest) = path.split_once('/').unwrap_or((path, ""));
        let downstream = match (next.is_empty(), outbound.get()) {
            (false, Some(base)) => {
                let mut headers = vec![("host", next)];
                if let Some(tp) = req.header("traceparent") {
                    headers.push(("traceparent", tp));
                }
                match http::get(&format!("{base}/{rest}"), &headers) {
                    Ok(r) => r.json().unwrap_or_else(|_| json!({"error": r.status, "body": r.body})),
                    Err(e) => json!({"error": e.to_string()}),
                }
            }
            _ => Value::Null,
        };
        UpstreamResponse::json(
            200,
            &json!({"hop": format!("{svc}:{version}"), "tag": req.header("x-grey"), "next": downstream}),
        )
    })
    .unwrap()
}

struct Pod {
    _app: Upstream,
    envoy: Envoy,
}

/// Next hops of a pod: (service, normal pod's inbound port, grey pod's inbound port).
type Hops = Vec<(&'static str, u16, Option<u16>)>;

/// The outbound routes the manifests give every sidecar: per destination
/// service, `x-grey: grey` → its grey subset where it exists, else normal.
fn outbound_routes(hops: &Hops) -> Value {
    let vhosts: Vec<Value> = hops
        .iter()
        .map(|(svc, _, grey)| {
            let mut routes = Vec::new();
            if grey.is_some() {
                routes.push(json!({
                    "match": {"prefix": "/", "headers": [{"name": "x-grey", "string_match": {"exact": "grey"}}]},
                    "route": {"cluster": format!("{svc}-grey")}
                }));
            }
            routes.push(json!({"match": {"prefix": "/"}, "route": {"cluster": format!("{svc}-normal")}}));
            json!({"name": svc, "domains": [svc, format!("{svc}:*")], "routes": routes})
        })
        .collect();
    json!({"name": "outbound", "virtual_hosts": vhosts})
}

fn with_clusters(mut cfg: EnvoyConfig, hops: &Hops) -> EnvoyConfig {
    for (svc, normal, grey) in hops {
        cfg = cfg.cluster(&format!("{svc}-normal"), *normal);
        if let Some(g) = grey {
            cfg = cfg.cluster(&format!("{svc}-grey"), *g);
        }
    }
    cfg
}

fn start_pod(svc: &'static str, version: &'static str, hops: &Hops) -> Pod {
    let outbound = Arc::new(OnceLock::new());
    let app = app(svc, version, outbound.clone());
    let cfg = EnvoyConfig::empty()
        .node_id(&format!("{svc}-{version}"))
        .node_metadata(json!({"LABELS": {"app": svc, "type": version}}))
        .cluster("app", app.port())
        .listener(
            Listener::new("inbound")
                .direction(Direction::Inbound)
                .filter(sidecar_filter("grey-chain"))
                .route_to_cluster("app"),
        )
        .listener(
            Listener::new("outbound")
                .direction(Direction::Outbound)
                .filter(sidecar_filter("grey-chain"))
                .routes(outbound_routes(hops)),
        );
    let envoy = Envoy::start(with_clusters(cfg, hops)).unwrap();
    let _ = outbound.set(format!(
        "http://127.0.0.1:{}",
        envoy.listener_port("outbound").unwrap()
    ));
    Pod { _app: app, envoy }
}

fn inbound(pod: &Pod) -> u16 {
    pod.envoy.listener_port("inbound").unwrap()
}

/// Starts the pods of one layer in parallel (2 cores: Envoy start is mostly waiting).
fn start_layer(pods: &[(&'static str, &'static str)], hops: &Hops) -> Vec<Pod> {
    std::thread::scope(|s| {
        let handles: Vec<_> = pods
            .iter()
            .map(|(svc, v)| s.spawn(move || start_pod(svc, v, hops)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

struct Mesh {
    gateway: Envoy,
    pods: Vec<Pod>,
}

impl Mesh {
    fn start() -> Mesh {
        let c = start_layer(&[("c", "normal"), ("c", "grey")], &vec![]);
        let to_c: Hops = vec![("c", inbound(&c[0]), Some(inbound(&c[1])))];
        let bd = start_layer(&[("b", "normal"), ("b", "grey"), ("d", "normal")], &to_c);
        let to_bd: Hops = vec![
            ("b", inbound(&bd[0]), Some(inbound(&bd[1]))),
            ("d", inbound(&bd[2]), None),
        ];
        let a = start_layer(&[("a", "normal"), ("a", "grey")], &to_bd);
        let to_a: Hops = vec![("a", inbound(&a[0]), Some(inbound(&a[1])))];
        let gateway_filter = WasmFilter::new("grey-chain", "istio-system", e2e::dist("grey_chain"))
            .root_id("grey-chain")
            .config_json(GATEWAY_CONFIG);
        let cfg = EnvoyConfig::empty().listener(
            Listener::new("main")
                .filter(gateway_filter)
                .routes(outbound_routes(&to_a)),
        );
        let gateway = Envoy::start(with_clusters(cfg, &to_a)).unwrap();
        let pods = c.into_iter().chain(bd).chain(a).collect();
        Mesh { gateway, pods }
    }

    fn pod(&self, name: &str) -> &Envoy {
        let i = [
            "c-normal", "c-grey", "b-normal", "b-grey", "d-normal", "a-normal", "a-grey",
        ]
        .iter()
        .position(|n| *n == name)
        .unwrap();
        &self.pods[i].envoy
    }

    /// Calls `path` (the hops after A) through the gateway with a fresh trace;
    /// returns "svc:version" of every hop, in order.
    fn chain(&self, path: &str, headers: &[(&str, &str)]) -> Vec<String> {
        let tp = fresh_traceparent();
        let mut all = vec![("host", "a"), ("traceparent", tp.as_str())];
        all.extend_from_slice(headers);
        let r = http::get(&self.gateway.url(path), &all).unwrap();
        assert_eq!(r.status, 200, "{}", r.body);
        let mut hops = Vec::new();
        let mut node = r.json().unwrap();
        while let Some(hop) = node.get("hop").and_then(Value::as_str) {
            hops.push(hop.to_string());
            node = node["next"].clone();
        }
        assert!(node.is_null(), "a hop failed: {node}");
        hops
    }
}

static TRACE: AtomicU64 = AtomicU64::new(1);

fn fresh_traceparent() -> String {
    let n = TRACE.fetch_add(1, Ordering::Relaxed);
    format!(
        "00-{:016x}{:016x}-00f067aa0ba902b7-01",
        u64::from(std::process::id()),
        n
    )
}

fn all(version: &str, svcs: &[&str]) -> Vec<String> {
    svcs.iter().map(|s| format!("{s}:{version}")).collect()
}

#[test]
fn lanes_hold_across_the_whole_chain() {
    let mesh = Mesh::start();

    // end-user: test is grey at every hop; everyone else normal.
    assert_eq!(
        mesh.chain("/b/c", &[("end-user", "test")]),
        all("grey", &["a", "b", "c"])
    );
    assert_eq!(
        mesh.chain("/b/c", &[("end-user", "someone")]),
        all("normal", &["a", "b", "c"])
    );
    assert_eq!(mesh.chain("/b/c", &[]), all("normal", &["a", "b", "c"]));

    // A service without a grey version: that hop is normal, the next one grey
    // again — only the correlation table in D's sidecar can do that.
    assert_eq!(
        mesh.chain("/d/c", &[("end-user", "test")]),
        vec!["a:grey", "d:normal", "c:grey"]
    );
    assert!(
        mesh.pod("d-normal")
            .stat("wasmcustom.grey_chain.sidecar.outbound.by_correlation")
            .unwrap_or(0)
            >= 1
    );
    assert_eq!(
        mesh.chain("/d/c", &[("end-user", "x")]),
        vec!["a:normal", "d:normal", "c:normal"]
    );

    // A client-sent tag (or baggage lane) at the gateway has no effect.
    let spoofed = [("x-grey", "grey"), ("baggage", "lane=grey")];
    assert_eq!(
        mesh.chain("/b/c", &spoofed),
        all("normal", &["a", "b", "c"])
    );
    assert_eq!(
        mesh.chain("/d/c", &spoofed),
        all("normal", &["a", "d", "c"])
    );
    assert!(
        mesh.gateway
            .stat("wasmcustom.grey_chain.gateway.spoofed_removed")
            .unwrap_or(0)
            >= 2
    );

    concurrent_chains_never_cross_lanes(&mesh);
}

#[test]
fn rollout_share_is_stable_and_whole_chain() {
    let mesh = Mesh::start();
    let users: Vec<String> = (0..120).map(|i| format!("user-{i}")).collect();
    let run = || -> BTreeSet<String> {
        users
            .iter()
            .filter(|u| {
                let hops = mesh.chain("/b/c", &[("x-user", u.as_str())]);
                let grey = hops[0].ends_with(":grey");
                let want = all(if grey { "grey" } else { "normal" }, &["a", "b", "c"]);
                assert_eq!(hops, want, "{u} crossed lanes");
                grey
            })
            .cloned()
            .collect()
    };
    let first = run();
    assert!(
        (20..=55).contains(&first.len()),
        "30% of 120 users gave {}",
        first.len()
    );
    assert_eq!(run(), first, "the same users are grey on repeat");
}

/// Many chains at once, each with its own trace id, grey and normal mixed
/// (one mesh per test keeps the Envoy count reasonable on 2 cores).
fn concurrent_chains_never_cross_lanes(mesh: &Mesh) {
    std::thread::scope(|s| {
        for t in 0..6 {
            s.spawn(move || {
                for i in 0..15 {
                    let grey = (t + i) % 2 == 0;
                    let user = if grey { "test" } else { "other" };
                    let path = if i % 3 == 0 { "/d/c" } else { "/b/c" };
                    let hops = mesh.chain(path, &[("end-user", user)]);
                    let want: Vec<String> = match (grey, path) {
                        (true, "/d/c") => vec!["a:grey".into(), "d:normal".into(), "c:grey".into()],
                        (true, _) => all("grey", &["a", "b", "c"]),
                        (false, "/d/c") => all("normal", &["a", "d", "c"]),
                        (false, _) => all("normal", &["a", "b", "c"]),
                    };
                    assert_eq!(hops, want, "thread {t} request {i}");
                }
            });
        }
    });
}

/// Repeated copies of the tag and `baggage` (2 and 3): a client-sent lane
/// survives in no copy, the lane the gateway writes arrives once, with the
/// members of every baggage copy.
#[test]
fn repeated_tag_and_baggage_copies_reach_the_upstream_as_one_header() {
    let echo = Upstream::echo("app").unwrap();
    let filter = WasmFilter::new("grey-chain", "istio-system", e2e::dist("grey_chain"))
        .root_id("grey-chain")
        .config_json(GATEWAY_CONFIG)
        .fail_closed();
    let envoy = Envoy::start(EnvoyConfig::new().filter(filter).route_to(&echo)).unwrap();
    for copies in [2, 3] {
        let lanes = ["grey", "blue", "grey"];
        let baggage: Vec<String> = (0..copies)
            .map(|i| format!("m{i}={i},lane={}", lanes[i]))
            .collect();
        let mut headers: Vec<(&str, &str)> =
            lanes[..copies].iter().map(|l| ("x-grey", *l)).collect();
        headers.extend(baggage.iter().map(|b| ("baggage", b.as_str())));
        let own: Vec<String> = (0..copies).map(|i| format!("m{i}={i}")).collect();
        let own = own.join(",");
        for (user, tag, want_baggage) in [
            ("test", vec!["grey"], format!("{own},lane=grey")),
            ("someone", vec![], own.clone()),
        ] {
            let mut all = headers.clone();
            all.push(("end-user", user));
            let r = http::get(&envoy.url("/x"), &all).unwrap();
            assert_eq!(r.status, 200, "{}", r.body);
            let seen = echo.requests().pop().expect("reached the upstream");
            assert_eq!(seen.header_all("x-grey"), tag, "{copies} copies, {user}");
            assert_eq!(
                seen.header_all("baggage"),
                [want_baggage.as_str()],
                "{copies} copies, {user}"
            );
        }
    }
    assert_eq!(
        envoy.stat("wasmcustom.grey_chain.gateway.spoofed_removed"),
        Some(4)
    );
}
