//! The harness proxies real traffic through a real Envoy.

use e2e::{
    http, Direction, Envoy, EnvoyConfig, Listener, Routes, Upstream, UpstreamResponse, WasmFilter,
};
use serde_json::json;
use std::sync::{Arc, OnceLock};

#[test]
fn echo_through_envoy() -> anyhow::Result<()> {
    let echo = Upstream::echo("svc-a")?;
    let envoy = Envoy::start(EnvoyConfig::new().route_to(&echo))?;

    let r = http::get(&envoy.url("/hello?x=1"), &[("x-test", "one")])?;
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json()?;
    assert_eq!(body["upstream"], "svc-a");
    assert_eq!(body["method"], "GET");
    assert_eq!(body["path"], "/hello?x=1");
    assert_eq!(body["authority"], format!("127.0.0.1:{}", envoy.port()));
    assert_eq!(body["headers"]["x-test"], "one");
    // Added by Envoy: the request really went through it.
    assert!(body["headers"]["x-request-id"].is_string(), "{body}");
    assert!(
        r.header("x-envoy-upstream-service-time").is_some(),
        "{:?}",
        r.headers
    );
    assert_eq!(echo.hits(), 1);

    let r = http::post(&envoy.url("/p"), &[("host", "svc.example.com")], b"payload")?;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()?["authority"], "svc.example.com");
    assert_eq!(r.json()?["method"], "POST");
    let seen = echo.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].body, b"payload");
    Ok(())
}

#[test]
fn stopped_upstream_gives_503_and_restart_recovers() -> anyhow::Result<()> {
    let echo = Upstream::echo("svc-a")?;
    let envoy = Envoy::start(EnvoyConfig::new().route_to(&echo))?;
    assert_eq!(http::get(&envoy.url("/before"), &[])?.status, 200);

    echo.stop();
    let r = http::get(&envoy.url("/during"), &[])?;
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(r.body.contains("upstream connect error"), "{}", r.body);

    echo.restart()?;
    let r = http::get(&envoy.url("/after"), &[])?;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()?["path"], "/after");
    let paths: Vec<String> = echo.requests().into_iter().map(|q| q.path).collect();
    assert_eq!(paths, ["/before", "/after"]);
    Ok(())
}

#[test]
fn no_route_is_envoys_404_and_stats_count_requests() -> anyhow::Result<()> {
    let envoy = Envoy::start(EnvoyConfig::new())?;
    assert_eq!(http::get(&envoy.url("/"), &[])?.status, 404);
    assert_eq!(http::get(&envoy.url("/"), &[])?.status, 404);
    assert_eq!(envoy.stat("http.main.downstream_rq_4xx"), Some(2));
    Ok(())
}

#[test]
fn direct_response_route() -> anyhow::Result<()> {
    let envoy = Envoy::start(EnvoyConfig::new().direct_response(201, "made here"))?;
    let r = http::get(&envoy.url("/x"), &[])?;
    assert_eq!((r.status, r.body.as_str()), (201, "made here"));
    Ok(())
}

/// With Envoy's default SO_REUSEPORT, the second Envoy would start on the first one's port and
/// take a share of its connections (once, that made two tests answer each other's requests).
#[test]
fn a_second_envoy_on_a_taken_port_fails_to_start() -> anyhow::Result<()> {
    let first = Envoy::start(EnvoyConfig::new().direct_response(200, "first"))?;
    let taken = first.port();
    let second = Envoy::start(EnvoyConfig::new().listener_json(json!({
        "name": "fixed",
        "address": {"socket_address": {"address": "127.0.0.1", "port_value": taken}},
        "filter_chains": [{"filters": [{
            "name": "envoy.filters.network.tcp_proxy",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
                "stat_prefix": "fixed", "cluster": "nowhere"
            }
        }]}]
    })));
    let err = format!("{:#}", second.err().expect("the port is taken"));
    assert!(err.contains("could not bind"), "{err}");
    for _ in 0..20 {
        assert_eq!(http::get(&first.url("/"), &[])?.body, "first");
    }
    Ok(())
}

#[test]
fn missing_module_is_a_start_error_with_envoys_log() {
    let f = WasmFilter::new("nope", "istio-system", "/nonexistent/nope.wasm").config_json("{}");
    let err = match Envoy::start(EnvoyConfig::new().filter(f)) {
        Ok(_) => panic!("Envoy started with a missing module"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("/nonexistent/nope.wasm"), "{err}");
}

/// A built module loads in Envoy in istiod's shape, and a request passes through it.
/// With the smallest config the filter accepts (`e2e::minimal_config`).
fn module_loads_and_passes_a_request(name: &str, module: &str) -> anyhow::Result<()> {
    let path = e2e::dist(module);
    assert!(
        path.exists(),
        "{} missing: run `make build`",
        path.display()
    );
    let echo = Upstream::echo("svc-a")?;
    let f = WasmFilter::new(name, "istio-system", &path).config_json(e2e::minimal_config(module));
    let filter_name = f.filter_name();
    let envoy = Envoy::start(EnvoyConfig::new().filter(f).route_to(&echo))?;

    let dump = http::get(&envoy.admin_url("/config_dump"), &[])?.body;
    assert!(
        dump.contains(&filter_name),
        "{filter_name} not in config_dump"
    );
    let r = http::get(&envoy.url("/probe"), &[])?;
    assert_eq!(r.status, 200, "{name}: {}", r.body);
    assert_eq!(r.json()?["path"], "/probe", "{name}");
    assert!(
        envoy
            .stat("wasm.envoy.wasm.runtime.v8.created")
            .unwrap_or(0)
            >= 1,
        "{name}: no V8 VM created"
    );
    Ok(())
}

#[test]
fn jwt_auth_module_loads() -> anyhow::Result<()> {
    module_loads_and_passes_a_request("jwt-auth", "jwt_auth")
}

#[test]
fn faas_router_module_loads() -> anyhow::Result<()> {
    module_loads_and_passes_a_request("faas-router", "faas_router")
}

#[test]
fn grey_chain_module_loads() -> anyhow::Result<()> {
    module_loads_and_passes_a_request("grey-chain", "grey_chain")
}

/// A filter refusing its configuration (FAIL_CLOSED, static config) stops Envoy from
/// starting, and the error carries the filter's own log line.
#[test]
fn refused_config_is_a_start_error_with_the_filters_reason() {
    let f =
        WasmFilter::new("grey-chain", "istio-system", e2e::dist("grey_chain")).config_json("{}");
    let err = match Envoy::start(EnvoyConfig::new().filter(f)) {
        Ok(_) => panic!("Envoy started although grey-chain got no `mode`"),
        Err(e) => format!("{e:#}"),
    };
    assert!(
        err.contains("Unable to create Wasm plugin istio-system.grey-chain"),
        "{err}"
    );
    assert!(
        err.contains("mode"),
        "the filter's reason is missing: {err}"
    );
}

/// A sidecar-like topology in one Envoy: inbound listener → app A, whose handler calls
/// its outbound listener forwarding only traceparent; outbound routes on a header to B's
/// grey or normal subset.
#[test]
fn multi_hop_topology_with_header_routing() -> anyhow::Result<()> {
    let outbound_port = Arc::new(OnceLock::<u16>::new());
    let port = Arc::clone(&outbound_port);
    let app_a = Upstream::custom("app-a", move |req| {
        let Some(p) = port.get() else {
            return UpstreamResponse::text(500, "outbound port not set");
        };
        let mut headers = vec![("host", "b.default.svc")];
        if let Some(tp) = req.header("traceparent") {
            headers.push(("traceparent", tp));
        }
        if let Some(lane) = req.header("x-lane") {
            headers.push(("x-lane", lane));
        }
        match http::get(&format!("http://127.0.0.1:{p}/from-a"), &headers) {
            Ok(r) => {
                UpstreamResponse::text(r.status, &r.body).header("content-type", "application/json")
            }
            Err(e) => UpstreamResponse::text(502, &format!("{e:#}")),
        }
    })?;
    let b_normal = Upstream::echo("b-normal")?;
    let b_grey = Upstream::echo("b-grey")?;
    let cfg = EnvoyConfig::empty()
        .node_metadata(json!({ "LABELS": { "app": "a", "type": "normal" } }))
        .upstream(&app_a)
        .upstream(&b_normal)
        .upstream(&b_grey)
        .listener(
            Listener::new("inbound")
                .direction(Direction::Inbound)
                .route_to_cluster("app-a"),
        )
        .listener(
            Listener::new("outbound")
                .direction(Direction::Outbound)
                .routes(
                    Routes::new()
                        .header_to_cluster("x-lane", "grey", "b-grey")
                        .to_cluster("/", "b-normal"),
                ),
        );
    let envoy = Envoy::start(cfg)?;
    outbound_port.get_or_init(|| envoy.listener_port("outbound").unwrap_or(0));

    let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let r = http::get(
        &envoy.listener_url("inbound", "/start"),
        &[("traceparent", tp)],
    )?;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()?["upstream"], "b-normal");
    assert_eq!(r.json()?["headers"]["traceparent"], tp);

    let r = http::get(
        &envoy.listener_url("inbound", "/start"),
        &[("x-lane", "grey")],
    )?;
    assert_eq!(r.json()?["upstream"], "b-grey");
    assert_eq!((b_normal.hits(), b_grey.hits(), app_a.hits()), (1, 1, 2));

    let dump = http::get(&envoy.admin_url("/config_dump"), &[])?.json()?;
    let text = dump.to_string();
    assert!(
        text.contains("\"traffic_direction\":\"OUTBOUND\""),
        "direction not applied"
    );
    assert!(text.contains("\"LABELS\""), "node metadata not applied");
    Ok(())
}

/// A cluster can point at one of the same Envoy's listeners (hop to hop).
#[test]
fn cluster_to_own_listener() -> anyhow::Result<()> {
    let echo = Upstream::echo("svc-z")?;
    let cfg = EnvoyConfig::new()
        .cluster_to_listener("hop", "second")
        .routes(Routes::new().to_cluster("/", "hop"))
        .upstream(&echo)
        .listener(Listener::new("second").route_to_cluster("svc-z"));
    let envoy = Envoy::start(cfg)?;
    let r = http::get(&envoy.url("/twice"), &[])?;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()?["upstream"], "svc-z");
    Ok(())
}

/// Envoy is killed when its handle is dropped, also while a test is panicking.
#[test]
fn envoy_is_killed_on_drop_and_on_panic() -> anyhow::Result<()> {
    let alive = |pid: u32| std::path::Path::new(&format!("/proc/{pid}")).exists();

    let envoy = Envoy::start(EnvoyConfig::new())?;
    let pid = envoy.pid();
    assert!(alive(pid));
    drop(envoy);
    assert!(!alive(pid), "Envoy {pid} survived drop");

    let (tx, rx) = std::sync::mpsc::channel();
    let panicked = std::thread::spawn(move || {
        let envoy = Envoy::start(EnvoyConfig::new()).unwrap();
        tx.send(envoy.pid()).unwrap();
        panic!("test failure while Envoy runs");
    })
    .join();
    assert!(panicked.is_err());
    let pid = rx.recv()?;
    assert!(!alive(pid), "Envoy {pid} survived a panic");

    // Started from a thread that ends while Envoy is still in use: Envoy must keep running.
    let envoy = std::thread::scope(|s| {
        s.spawn(|| Envoy::start(EnvoyConfig::new().direct_response(200, "up")))
            .join()
    })
    .map_err(|_| anyhow::anyhow!("start thread panicked"))??;
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(
        http::get(&envoy.url("/"), &[])?.body,
        "up",
        "Envoy died with its starting thread"
    );
    Ok(())
}
