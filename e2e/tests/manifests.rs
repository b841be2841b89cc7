//! The manifests themselves, on real Envoy: each overlay rendered by kustomize, turned into
//! one Envoy per modelled proxy the way istiod would (`release::istiod`, a model of istiod:
//! see its doc comments), with the built modules. Topology: the shared ingress pods
//! (listener 8080, and Knative's knative-local-gateway on 8081), the kfaas gateway, and
//! showroom-api → render-api with a normal and a grey pod each, every one with its sidecar;
//! Knative services and the JWKS server are stand-ins.
//!
//! Each item of issue 13's "What goes wrong today" has a test here that fails on the
//! manifests before it: (1) jwt-auth / grey-chain on 8081 and (2) the hard-coded
//! cluster-local-gateway: `a_faas_call_is_checked_and_laned_once`; (3) the first hop:
//! `a_grey_user_is_grey_from_the_first_hop`; (4) no lane decision on the kfaas gateway:
//! `a_spoofed_lane_is_ignored_at_both_entry_points`; (6) pull secrets, the JWKS cluster,
//! production's demo config: `production_has_no_demo_and_fetches_keys_through_the_anchor`;
//! (5) a token for every page of every host, no way to observe first:
//! `the_shared_ingress_demands_tokens_only_on_api_hosts`, `the_audit_component_...`;
//! and a plugin leaving a listener unprotected fails the check with its name.
//! `old_defect_*` and `the_old_first_hop_rule_splits_the_chain` put the old defects back
//! one at a time into today's overlays. `traffic_extensions_*` run the TrafficExtension
//! flavour (issue 14) through the same model: the same chains, the same answers;
//! `the_gateway_api_flavour_*` the kfaas entry point as a Gateway API Gateway + HTTPRoutes
//! with its plugins bound by targetRefs (`components/gateway-api`).

#[path = "manifests/mesh.rs"]
mod mesh;

use e2e::http;
use mesh::Running;
use release::{locate, render, validate};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU32, Ordering};

fn rendered(overlay: &str) -> Vec<Value> {
    rendered_dir(&format!("overlays/{overlay}"))
}

/// The TrafficExtension flavour of an overlay (`wasmplugins/traffic-extensions/<env>`,
/// generated from it by `make manifests`).
fn rendered_te(overlay: &str) -> Vec<Value> {
    rendered_dir(&format!("traffic-extensions/{overlay}"))
}

/// An overlay with the Gateway API component (`wasmplugins/components/gateway-api`).
fn rendered_gateway_api(overlay: &str) -> Vec<Value> {
    render::overlay_with_components(overlay, &["gateway-api"]).unwrap()
}

fn rendered_dir(dir: &str) -> Vec<Value> {
    let kubectl = locate::kubectl().unwrap();
    let dir = locate::workspace_root().join("wasmplugins").join(dir);
    render::documents(&render::kustomize(&kubectl, &dir).unwrap()).unwrap()
}

/// A fresh W3C traceparent per request, so no correlation entry carries over.
fn traceparent() -> String {
    static N: AtomicU32 = AtomicU32::new(1);
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!(
        "00-{:032x}-{:016x}-01",
        0xabc0_0000_u64 + u64::from(n) + (u64::from(std::process::id()) << 32),
        u64::from(n)
    )
}

const RENDER: &str = "render.faas-beta.svc.cluster.local";

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[test]
fn a_faas_call_is_checked_and_laned_once() {
    faas_call_checked_and_laned_once(&rendered("test"));
}

#[test]
fn traffic_extensions_check_and_lane_a_faas_call_once() {
    faas_call_checked_and_laned_once(&rendered_te("test"));
}

#[test]
fn the_gateway_api_flavour_checks_and_lanes_a_faas_call_once() {
    faas_call_checked_and_laned_once(&rendered_gateway_api("test"));
}

fn faas_call_checked_and_laned_once(docs: &[Value]) {
    let mesh = Running::start(docs).unwrap();
    let auth = bearer(&mesh.token("alice"));
    let cases = [
        ("/faas/api/render", RENDER, "/faas/api/render"),
        (
            "/faas/api/u/alice/profile",
            "profile.faas-beta.svc.cluster.local",
            "/faas/api/u/alice/profile",
        ),
        (
            "/faas/api/saas/showroom/list",
            "saas-showroom.faas-alpha.svc.cluster.local",
            "/faas/api/saas/showroom/list",
        ),
        (
            "/faas/api/p/saas/virtual-showroom/a/b",
            "virtual-showroom.faas-alpha.svc.cluster.local",
            "/a/b",
        ),
    ];
    for (path, service, seen_path) in cases {
        let r = http::get(
            &mesh.url("kfaas-gateway", 8080, path),
            &[("authorization", &auth)],
        )
        .unwrap();
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        let seen = r.json().unwrap();
        assert_eq!(seen["upstream"], service, "{path}");
        assert_eq!(seen["path"], seen_path);
        assert_eq!(
            seen["authority"], service,
            "routed by authority on knative-local-gateway"
        );
        assert_eq!(seen["headers"]["x-jwt-sub"], "alice");
        assert!(seen["headers"].get("authorization").is_none(), "{seen}");
    }
    let n = cases.len() as u64;
    assert_eq!(mesh.jwt_checks("kfaas-gateway"), n);
    assert_eq!(mesh.lane_decisions("kfaas-gateway"), n);
    // The call crossed the ingress pods' 8081 listener: nothing ran there.
    assert_eq!(mesh.jwt_checks("istio-ingressgateway"), 0);
    assert_eq!(mesh.lane_decisions("istio-ingressgateway"), 0);
    let local = mesh.envoy("istio-ingressgateway").stats().unwrap();
    assert_eq!(
        local.get("http.istio-ingressgateway_8081.downstream_rq_2xx"),
        Some(&n),
        "every call went through knative-local-gateway"
    );

    // No token: refused at the kfaas gateway, no Knative service sees it.
    let hits = mesh.knative[RENDER].hits();
    let r = http::get(&mesh.url("kfaas-gateway", 8080, "/faas/api/render"), &[]).unwrap();
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(mesh.knative[RENDER].hits(), hits);
}

#[test]
fn a_spoofed_lane_is_ignored_at_both_entry_points() {
    let docs = rendered("test");
    let mesh = Running::start(&docs).unwrap();
    let auth = bearer(&mesh.token("bob"));
    // kfaas gateway: a client's own x-grey never reaches the Knative service; the cookie does.
    let faas = |headers: &[(&str, &str)]| {
        let mut all = vec![("authorization", auth.as_str())];
        all.extend_from_slice(headers);
        let r = http::get(&mesh.url("kfaas-gateway", 8080, "/faas/api/render"), &all).unwrap();
        assert_eq!(r.status, 200, "{}", r.body);
        r.json().unwrap()["headers"]["x-grey"].clone()
    };
    assert_eq!(
        faas(&[("x-grey", "grey")]),
        Value::Null,
        "spoofed at the kfaas gateway"
    );
    assert_eq!(
        faas(&[("x-grey", "grey"), ("x-grey", "grey")]),
        Value::Null,
        "twice"
    );
    assert_eq!(faas(&[("cookie", "lane=grey")]), json!("grey"));
    assert_eq!(
        mesh.count("kfaas-gateway", &["grey_chain.gateway.spoofed_removed"]),
        2
    );

    // Ingress: a spoofed lane (tag, tag twice, baggage member) gets the normal chain, every
    // hop, and a lane member in baggage does not survive to the sidecars either.
    let spoofs: [&[(&str, &str)]; 4] = [
        &[("x-grey", "grey")],
        &[("x-grey", "grey"), ("x-grey", "grey")],
        &[("baggage", "lane=grey")],
        &[("baggage", "k=v,lane=grey"), ("x-grey", "grey")],
    ];
    for spoof in spoofs {
        let mut headers = vec![("authorization", auth.as_str())];
        headers.extend_from_slice(spoof);
        let got = chain(&mesh, &headers);
        let want = ("showroom-api-normal", "", "render-api-normal", "");
        assert_eq!(
            (
                got.0.as_str(),
                got.1.as_str(),
                got.2.as_str(),
                got.3.as_str()
            ),
            want,
            "{spoof:?}"
        );
    }
    assert_eq!(
        mesh.count(
            "istio-ingressgateway",
            &["grey_chain.gateway.spoofed_removed"]
        ),
        4
    );
}

/// The chain a request to the web site takes: (first pod, its lane, second pod, its lane).
fn chain(mesh: &Running, headers: &[(&str, &str)]) -> (String, String, String, String) {
    let tp = traceparent();
    let mut all = vec![("host", "api.example.com"), ("traceparent", tp.as_str())];
    all.extend_from_slice(headers);
    let r = http::get(
        &mesh.url("istio-ingressgateway", 8080, "/showroom/home"),
        &all,
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    let c = r.json().unwrap();
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    (
        s(&c["pod"]),
        s(&c["lane"]),
        s(&c["next"]["pod"]),
        s(&c["next"]["lane"]),
    )
}

#[test]
fn a_grey_user_is_grey_from_the_first_hop() {
    // pre-release: the base rules (end-user, cookie) and the QA accounts.
    grey_from_the_first_hop(&rendered("pre-release"));
}

#[test]
fn traffic_extensions_keep_a_grey_user_grey_from_the_first_hop() {
    grey_from_the_first_hop(&rendered_te("pre-release"));
}

#[test]
fn the_gateway_api_flavour_keeps_a_grey_user_grey_by_service_per_version() {
    let docs = render::overlay_with_components("pre-release", &["gateway-api", "gateway-api-grey"])
        .unwrap();
    grey_from_the_first_hop(&docs);
}

fn grey_from_the_first_hop(docs: &[Value]) {
    let mesh = Running::start(docs).unwrap();
    let grey = |p: &str| {
        (
            format!("showroom-api-{p}"),
            if p == "grey" { "grey" } else { "" }.to_string(),
        )
    };
    let auth = bearer(&mesh.token("carol"));
    let qa = bearer(&mesh.token("qa-2"));
    for (case, headers, want) in [
        (
            "cookie",
            vec![("authorization", auth.as_str()), ("cookie", "lane=grey")],
            "grey",
        ),
        (
            "end-user",
            vec![("authorization", auth.as_str()), ("end-user", "test")],
            "grey",
        ),
        ("QA account", vec![("authorization", qa.as_str())], "grey"),
        (
            "normal user",
            vec![("authorization", auth.as_str())],
            "normal",
        ),
    ] {
        let (first, first_lane, second, second_lane) = chain(&mesh, &headers);
        assert_eq!((first, first_lane), grey(want), "{case}: first hop");
        assert_eq!(second, format!("render-api-{want}"), "{case}: second hop");
        assert_eq!(
            second_lane,
            if want == "grey" { "grey" } else { "" },
            "{case}"
        );
    }
    assert_eq!(mesh.lane_decisions("istio-ingressgateway"), 4);
    assert_eq!(mesh.jwt_checks("istio-ingressgateway"), 4);
    assert_eq!(mesh.lane_decisions("kfaas-gateway"), 0);
}

#[test]
fn production_has_no_demo_and_fetches_keys_through_the_anchor() {
    let docs = rendered("production");
    for d in docs.iter().filter(|d| d["kind"] == "WasmPlugin") {
        assert_eq!(
            d["spec"]["imagePullSecret"],
            "kfaas-wasm-pull",
            "{}",
            render::resource_name(d)
        );
    }
    let in_root: Vec<String> = docs
        .iter()
        .filter(|d| d["metadata"]["namespace"] == "istio-system")
        .map(render::resource_name)
        .collect();
    assert_eq!(
        in_root,
        [
            "WasmPlugin istio-system/grey-chain-gateway",
            "WasmPlugin istio-system/jwt-auth"
        ]
    );
    assert!(!docs
        .iter()
        .any(|d| d["metadata"]["namespace"] == "saas" && d["kind"] != "WasmPlugin"));

    let mesh = Running::start_only(&docs, Some(&["kfaas-gateway"])).unwrap();
    assert!(mesh.knative.is_empty(), "no example Knative service");
    let url = mesh.url("kfaas-gateway", 8080, "/faas/api/render");
    assert_eq!(http::get(&url, &[]).unwrap().status, 401);
    // A valid token passes jwt-auth (keys fetched through the cluster the jwks-cluster
    // VirtualService guarantees), then the empty table answers 404.
    let r = http::get(&url, &[("authorization", &bearer(&mesh.token("dave")))]).unwrap();
    assert_eq!(r.status, 404, "{}", r.body);
    assert!(r.body.contains("no_faas_route"), "{}", r.body);
    drop(mesh);

    // Without the anchor the gateway gets no JWKS cluster: every token is refused, and
    // the check names both jwt-auth plugins.
    let mut bare = docs.clone();
    bare.retain(|d| d["metadata"]["name"] != "jwks-cluster");
    let problems: Vec<String> = validate::check_mesh(&bare)
        .iter()
        .map(ToString::to_string)
        .collect();
    for ns in ["istio-system", "kfaas-system"] {
        assert!(
            problems
                .iter()
                .any(|p| p.contains(&format!("WasmPlugin {ns}/jwt-auth"))
                    && p.contains("jwksCluster")),
            "{problems:#?}"
        );
    }
    let mesh = Running::start_only(&bare, Some(&["kfaas-gateway"])).unwrap();
    let url = mesh.url("kfaas-gateway", 8080, "/faas/api/render");
    let r = http::get(&url, &[("authorization", &bearer(&mesh.token("dave")))]).unwrap();
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(r.json().unwrap()["reason"], "jwks_unavailable");
}

#[test]
fn a_plugin_that_leaves_a_listener_unprotected_fails_the_check_with_its_name() {
    let mut docs = rendered("test");
    assert_eq!(validate::check_mesh(&docs), []);
    let jwt = docs
        .iter_mut()
        .find(|d| {
            d["kind"] == "WasmPlugin"
                && d["metadata"]["namespace"] == "istio-system"
                && d["metadata"]["name"] == "jwt-auth"
        })
        .unwrap();
    jwt["spec"]["match"] = json!([{"mode": "SERVER", "ports": [{"number": 8080}]}]);
    let problems: Vec<String> = validate::check_mesh(&docs)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        problems.iter().any(
            |p| p.contains("Listener istio-system/istio-ingressgateway:8080")
                && p.contains("left unprotected")
                && p.contains("WasmPlugin istio-system/jwt-auth")
        ),
        "{problems:#?}"
    );
    // And what it would mean: the API host now lets a request without a token through.
    let mesh = Running::start_only(
        &docs,
        Some(&[
            "istio-ingressgateway",
            "showroom-api-normal",
            "render-api-normal",
        ]),
    )
    .unwrap();
    let r = http::get(
        &mesh.url("istio-ingressgateway", 8080, "/showroom/home"),
        &[("host", "api.example.com")],
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(mesh.jwt_checks("istio-ingressgateway"), 0);
}

fn plugin<'a>(docs: &'a mut [Value], ns: &str, name: &str) -> &'a mut Value {
    docs.iter_mut()
        .find(|d| {
            d["kind"] == "WasmPlugin"
                && d["metadata"]["namespace"] == ns
                && d["metadata"]["name"] == name
        })
        .unwrap_or_else(|| panic!("WasmPlugin {ns}/{name}"))
}

const GATEWAYS: Option<&[&str]> = Some(&["istio-ingressgateway", "kfaas-gateway"]);

/// A FaaS call with `sub`'s token through the gateways of `docs`: (status, the headers the
/// function saw, jwt-auth checks and lane decisions on the ingress pods).
fn faas_call(docs: &[Value], sub: &str, headers: &[(&str, &str)]) -> (u16, Value, (u64, u64)) {
    let mesh = Running::start_only(docs, GATEWAYS).unwrap();
    let auth = bearer(&mesh.token(sub));
    let mut all = vec![("authorization", auth.as_str())];
    all.extend_from_slice(headers);
    let r = http::get(&mesh.url("kfaas-gateway", 8080, "/faas/api/render"), &all).unwrap();
    let seen = r
        .json()
        .map(|j| j["headers"].clone())
        .unwrap_or(Value::Null);
    let ingress = (
        mesh.jwt_checks("istio-ingressgateway"),
        mesh.lane_decisions("istio-ingressgateway"),
    );
    (r.status, seen, ingress)
}

/// `release check` reports a problem holding every one of `words`.
fn named(docs: &[Value], words: &[&str]) {
    let problems: Vec<String> = validate::check_mesh(docs)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        problems.iter().any(|p| words.iter().all(|w| p.contains(w))),
        "{words:?} not in {problems:#?}"
    );
}

// The old defects put back into today's overlays, one at a time: each breaks the FaaS call
// on real Envoy the way issue 13 describes, and `release check` names it.

/// 1. Ingress plugins without `match.ports` also run on knative-local-gateway (8081): a
///    second check of a call whose token the kfaas gateway removed — with the old ingress
///    rules (`defaultRequirement: required`) a 401, with today's a stripped x-jwt-sub — and
///    a second lane decision that loses the lane of a QA account (pre-release: grey by
///    x-jwt-sub).
#[test]
fn old_defect_unscoped_ingress_plugins_check_and_lane_again() {
    let mut docs = rendered("pre-release");
    let (status, seen, ingress) = faas_call(&docs, "qa-1", &[]);
    assert_eq!(status, 200);
    assert_eq!(
        (&seen["x-jwt-sub"], &seen["x-grey"]),
        (&json!("qa-1"), &json!("grey"))
    );
    assert_eq!(ingress, (0, 0));
    for name in ["jwt-auth", "grey-chain-gateway"] {
        plugin(&mut docs, "istio-system", name)["spec"]
            .as_object_mut()
            .unwrap()
            .remove("match");
    }
    let (status, seen, ingress) = faas_call(&docs, "qa-1", &[]);
    assert_eq!(status, 200);
    // jwt-auth ran there (no token: allow_missing counts nothing, but it removed the
    // x-jwt-sub the kfaas gateway had set), and grey-chain decided again.
    assert_eq!(ingress.1, 1, "laned a second time on 8081");
    assert_eq!(
        (&seen["x-jwt-sub"], &seen["x-grey"]),
        (&Value::Null, &Value::Null),
        "{seen}"
    );
    named(
        &docs,
        &["WasmPlugin istio-system/jwt-auth", "knative-local-gateway"],
    );
    plugin(&mut docs, "istio-system", "jwt-auth")["spec"]["pluginConfig"]["defaultRequirement"] =
        "required".into();
    let (status, _, ingress) = faas_call(&docs, "qa-1", &[]);
    assert_eq!((status, ingress.0), (401, 1));
}

/// 2. The pre-0.19 name of Knative's local gateway: no such Service → 503.
#[test]
fn old_defect_cluster_local_gateway_is_a_503() {
    let mut docs = rendered("test");
    let vs = docs
        .iter_mut()
        .find(|d| d["metadata"]["name"] == "faas-api")
        .unwrap();
    for rule in vs["spec"]["http"].as_array_mut().unwrap() {
        rule["route"][0]["destination"]["host"] =
            "cluster-local-gateway.istio-system.svc.cluster.local".into();
    }
    let (status, _, _) = faas_call(&docs, "erin", &[]);
    assert_eq!(status, 503);
    named(
        &docs,
        &[
            "VirtualService kfaas-system/faas-api",
            "cluster-local-gateway",
        ],
    );
}

/// 4. No gateway-mode grey-chain on the kfaas gateway: a client's x-grey reaches the
///    function.
#[test]
fn old_defect_no_lane_decision_on_the_kfaas_gateway() {
    let mut docs = rendered("test");
    docs.retain(|d| {
        !(d["metadata"]["name"] == "grey-chain-gateway"
            && d["metadata"]["namespace"] == "kfaas-system")
    });
    let (status, seen, _) = faas_call(&docs, "erin", &[("x-grey", "grey")]);
    assert_eq!(status, 200);
    assert_eq!(seen["x-grey"], "grey");
    named(
        &docs,
        &[
            "Listener kfaas-system/kfaas-gateway:8080",
            "without a lane decision",
        ],
    );
}

/// 3. The old first-hop rule (the gateway VirtualService matching `end-user` itself) put
///    back: a user made grey by cookie gets a normal first service and grey later hops —
///    the mixed chain the shipped `x-grey` rule prevents.
#[test]
fn the_old_first_hop_rule_splits_the_chain() {
    let mut docs = rendered("test");
    let entry = docs
        .iter_mut()
        .find(|d| d["metadata"]["name"] == "showroom-api-entry")
        .unwrap();
    entry["spec"]["http"][0]["match"][0]["headers"] = json!({"end-user": {"exact": "test"}});
    let pods = [
        "istio-ingressgateway",
        "showroom-api-normal",
        "showroom-api-grey",
        "render-api-normal",
        "render-api-grey",
    ];
    let mesh = Running::start_only(&docs, Some(&pods)).unwrap();
    let auth = bearer(&mesh.token("frank"));
    let (first, _, second, _) = chain(&mesh, &[("authorization", &auth), ("cookie", "lane=grey")]);
    assert_eq!(
        (first.as_str(), second.as_str()),
        ("showroom-api-normal", "render-api-grey")
    );
}

/// 5. On the shared ingress a token is required on the API host only: a page of another
///    host passes without one (here: no route, Envoy's 404 — not jwt-auth's 401), a token
///    sent there is still verified.
#[test]
fn the_shared_ingress_demands_tokens_only_on_api_hosts() {
    let docs = rendered("test");
    let pods = [
        "istio-ingressgateway",
        "showroom-api-normal",
        "render-api-normal",
    ];
    let mesh = Running::start_only(&docs, Some(&pods)).unwrap();
    let get = |host: &str, headers: &[(&str, &str)]| {
        let mut all = vec![("host", host)];
        all.extend_from_slice(headers);
        http::get(
            &mesh.url("istio-ingressgateway", 8080, "/showroom/home"),
            &all,
        )
        .unwrap()
    };
    assert_eq!(get("api.example.com", &[]).status, 401);
    assert_eq!(
        get("API.example.com:80", &[]).status,
        401,
        "case and port do not matter"
    );
    let page = get("www.example.com", &[]);
    assert_eq!(page.status, 404, "{}", page.body);
    assert!(!page.body.contains("unauthorized"), "{}", page.body);
    let forged = bearer(&mesh.forged_token("mallory"));
    assert_eq!(
        get("www.example.com", &[("authorization", &forged)]).status,
        401
    );
    assert_eq!(mesh.count("istio-ingressgateway", &["jwt_auth.denied."]), 3);
}

/// The jwt-audit component (the migration's "observe" step): a request jwt-auth would refuse
/// passes unchanged and is counted per reason; claim headers still come only from a valid
/// token, a client's own x-jwt-sub is still removed.
#[test]
fn the_audit_component_lets_bad_tokens_through_and_counts_them() {
    let kubectl = locate::kubectl().unwrap();
    let root = locate::workspace_root().join("wasmplugins");
    let text = render::kustomize_with(
        &kubectl,
        &root.join("overlays/test"),
        &[&root.join("components/jwt-audit")],
    )
    .unwrap();
    let docs = render::documents(&text).unwrap();
    assert_eq!(validate::check_mesh(&docs), []);
    let mesh =
        Running::start_only(&docs, Some(&["istio-ingressgateway", "kfaas-gateway"])).unwrap();
    let forged = bearer(&mesh.forged_token("mallory"));
    let r = http::get(
        &mesh.url("kfaas-gateway", 8080, "/faas/api/render"),
        &[("authorization", &forged), ("x-jwt-sub", "admin")],
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    let seen = r.json().unwrap();
    assert_eq!(seen["upstream"], RENDER);
    assert!(seen["headers"].get("x-jwt-sub").is_none(), "{seen}");
    let r = http::get(&mesh.url("kfaas-gateway", 8080, "/faas/api/render"), &[]).unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    let audit = |reason: &str| {
        mesh.envoy("kfaas-gateway")
            .stat(&format!("wasmcustom.jwt_auth.audit.{reason}"))
    };
    assert_eq!(audit("signature"), Some(1));
    assert_eq!(audit("missing"), Some(1));
    assert_eq!(mesh.count("kfaas-gateway", &["jwt_auth.denied."]), 0);
    // A valid token still yields its claims.
    let r = http::get(
        &mesh.url("kfaas-gateway", 8080, "/faas/api/render"),
        &[("authorization", &bearer(&mesh.token("grace")))],
    )
    .unwrap();
    assert_eq!(r.json().unwrap()["headers"]["x-jwt-sub"], "grace");
}

/// The root README's "Install on Istio" applies only what these tests run: the three
/// overlays (and their TrafficExtension flavour), and the components tested here and in
/// tools/release.
#[test]
fn the_readme_installs_what_these_tests_apply() {
    let readme = std::fs::read_to_string(locate::workspace_root().join("README.md")).unwrap();
    let section = readme
        .split("### Install on Istio")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("README has an \"Install on Istio\" section");
    let applied: Vec<&str> = section
        .split("kubectl apply -k ")
        .skip(1)
        .filter_map(|s| s.split_whitespace().next())
        .map(|s| s.trim_end_matches('`'))
        .collect();
    // The WasmPlugin overlay, and its TrafficExtension flavour (`traffic_extensions_*` here).
    assert_eq!(
        applied,
        [
            "wasmplugins/overlays/production",
            "wasmplugins/traffic-extensions/production"
        ]
    );
    for overlay in ["test", "pre-release", "production"] {
        assert!(
            section.contains(&format!("wasmplugins/overlays/{overlay}")),
            "{overlay}"
        );
    }
    for component in ["jwt-audit", "knative-pre-0.19"] {
        assert!(
            section.contains(&format!("components/{component}")),
            "{component}"
        );
        assert!(locate::workspace_root()
            .join("wasmplugins/components")
            .join(component)
            .join("kustomization.yaml")
            .is_file());
    }
    assert!(section.contains("kfaas-wasm-pull"));
}
