//! `faas-routes import` and `diff`: every finding kind and exit status,
//! through the CLI's `run` and (for exit codes) the built binary.

// Test helpers (not only #[test] fns) may fail loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{bin, run, write};
use serde_json::Value;

const HOST: &str = "faas-alpha-ksvc-gateway.kfaas-system.svc.cluster.local";

/// One seed-shaped VirtualService bound to the kfaas gateway.
fn vs(name: &str, created: &str, http: &str) -> String {
    format!(
        "apiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata:\n  name: {name}\n  namespace: kfaas-system\n  creationTimestamp: \"{created}\"\nspec:\n  hosts: [{HOST}]\n  gateways: [kfaas-system/kfaas-gateway]\n  http:\n{http}---\n"
    )
}

/// A VirtualService created on 2024-01-`day` with one route `uri` → `svc` (`name.ns`).
fn routed(name: &str, day: u32, uri: &str, svc: &str) -> String {
    vs(name, &format!("2024-01-{day:02}T00:00:00Z"), &to(uri, svc))
}

/// A route toward the local gateway with the function in rewrite.authority.
fn to(uri: &str, svc: &str) -> String {
    format!("  - match: [{{uri: {uri}}}]\n    rewrite: {{authority: {svc}.svc.cluster.local}}\n    route: [{{destination: {{host: knative-local-gateway.istio-system.svc.cluster.local}}}}]\n")
}

fn import(name: &str, text: &str) -> (i32, Value, String) {
    let p = write(name, text);
    let (code, out, err) = run(&["import", p.to_str().unwrap()]);
    let v = serde_json::from_str(&out).unwrap_or(Value::Null);
    (code, v, err)
}

#[test]
fn clean_import_exits_0_and_the_table_is_valid() {
    let text = routed("a", 1, "{prefix: /faas/api/saas/}", "saas.faas-alpha")
        + &routed("b", 2, "{exact: /faas/api/render}", "render.faas-beta");
    let (code, table, err) = import("clean.yaml", &text);
    assert_eq!(code, 0, "{err}");
    assert_eq!(err, "");
    assert_eq!(table["routes"].as_array().unwrap().len(), 2, "{table}");
    assert!(faas_router::config::parse(table.to_string().as_bytes()).is_ok());
    // The binary too, and the same output twice (deterministic).
    let p = write("clean.yaml", &text);
    let (code, out1, _) = bin(&["import", p.to_str().unwrap()]);
    let (_, out2, _) = bin(&["import", p.to_str().unwrap()]);
    assert_eq!((code, &out1), (0, &out2));
}

#[test]
fn plain_string_prefix_gets_a_regex_for_longer_names() {
    let text = routed(
        "show",
        1,
        "{prefix: /faas/api/saas/show}",
        "show.faas-alpha",
    );
    let (code, table, err) = import("show.yaml", &text);
    assert_eq!(code, 0, "{err}");
    let patterns: Vec<String> = table["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["match"].to_string())
        .collect();
    assert_eq!(
        patterns,
        [
            r#"{"prefix":"/faas/api/saas/show"}"#,
            r#"{"regex":"/faas/api/saas/show[^/].*"}"#
        ]
    );
}

#[test]
fn every_finding_kind_is_reported_with_its_field() {
    let text = routed("room", 1, "{prefix: /faas/api/saas/showroom/}", "room.faas-alpha")
        // newer, shorter, without '/': Istio sends showroomX and showX to it; the table
        // cannot without taking showroom/ too -> semantics
        + &routed("show", 2, "{prefix: /faas/api/saas/show}", "show.faas-alpha")
        // same match as an older VS -> duplicate
        + &routed("show-copy", 3, "{prefix: /faas/api/saas/show}", "copy.faas-alpha")
        // under an older prefix -> shadowed
        + &routed("deep", 4, "{prefix: /faas/api/saas/showroom/a/}", "deep.faas-alpha")
        // header match and corsPolicy -> dropped; destination gateway without authority -> unsupported
        + &vs("grey", "2024-01-05T00:00:00Z", "  - match: [{uri: {exact: /faas/api/grey}, headers: {end-user: {exact: test}}}]\n    route: [{destination: {host: grey.faas-beta.svc.cluster.local, subset: grey}}]\n  - match: [{uri: {exact: /faas/api/grey}}]\n    corsPolicy: {allowOrigins: [{exact: x}]}\n    route: [{destination: {host: grey.faas-beta.svc.cluster.local}}]\n  - match: [{uri: {exact: /faas/api/gw}}]\n    route: [{destination: {host: knative-local-gateway.istio-system.svc.cluster.local}}]\n")
        + "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: tcp-only, namespace: kfaas-system}\nspec:\n  hosts: [x]\n  gateways: [g]\n  tcp: [{route: [{destination: {host: db}}]}]\n---\n"
        + "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: no-hosts, namespace: kfaas-system}\nspec:\n  gateways: [g]\n  http: [{route: [{destination: {host: a.faas-alpha.svc.cluster.local}}]}]\n---\n"
        + "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: mesh, namespace: kfaas-system}\nspec:\n  hosts: [a.faas-alpha.svc.cluster.local]\n  http: [{route: [{destination: {host: a.faas-alpha.svc.cluster.local}}]}]\n";
    let p = write("kinds.yaml", &text);
    let report = write("kinds-report.json", "");
    let (code, out, err) = run(&[
        "import",
        p.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    let lines: Vec<&str> = err.lines().collect();
    let has = |prefix: &str| {
        assert!(
            lines.iter().any(|l| l.starts_with(prefix)),
            "no {prefix:?} in\n{err}"
        )
    };
    has("kfaas-system/show: semantics: http[0].match[0]: now elsewhere: /faas/api/saas/showx (show.faas-alpha -> none)");
    has("kfaas-system/show-copy: duplicate: http[0].match[0]: same match as the older kfaas-system/show (http[0].match[0])");
    has("kfaas-system/deep: shadowed: http[0].match[0]: never reached in Istio: kfaas-system/room http[0].match[0] matches first");
    has("kfaas-system/grey: dropped: http[0].match[0].headers: ");
    has("kfaas-system/grey: dropped: http[0].route[0].destination.subset: ");
    has("kfaas-system/grey: dropped: http[1].corsPolicy: ");
    has("kfaas-system/grey: unsupported: http[2].route[0].destination.host: ");
    has("kfaas-system/tcp-only: unsupported: spec.http: no http routes");
    has("kfaas-system/tcp-only: dropped: spec.tcp: ");
    has("kfaas-system/no-hosts: unsupported: spec.hosts: no hosts");
    has("kfaas-system/mesh: unsupported: spec.gateways: bound to no gateway (mesh: sidecars only)");
    // The report holds the same findings as JSON.
    let r: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r.len(), lines.len());
    assert_eq!(
        r[0].as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>(),
        ["detail", "field", "kind", "virtualService"]
    );
    // What was imported keeps Istio's destinations for plain requests.
    let table: Value = serde_json::from_str(&out).unwrap();
    let routes = table["routes"].to_string();
    assert!(
        routes.contains(
            r#"{"match":{"exact":"/faas/api/grey"},"namespace":"faas-beta","service":"grey"}"#
        ),
        "{routes}"
    );
    assert!(
        !routes.contains("deep") && !routes.contains("copy") && !routes.contains("/faas/api/gw"),
        "{routes}"
    );
    assert!(
        !routes.contains("show[^/]"),
        "the regex would take showroom/ from the older VS: {routes}"
    );
}

#[test]
fn table_order_differs_from_istio_order_is_semantics() {
    // An older prefix takes /faas/api/u/x in Istio; the table prefers the newer regex.
    let text = routed("u", 1, "{prefix: /faas/api/u/}", "u.faas-beta")
        + &routed("re", 2, "{regex: '/faas/api/(u|v)/[a-z]+'}", "re.faas-beta")
        // an exact path an older regex takes: never reached
        + &routed("me", 3, "{exact: /faas/api/v/me}", "me.faas-beta");
    let (code, _, err) = import("order.yaml", &text);
    assert_eq!(code, 1);
    assert!(
        err.contains("kfaas-system/u: semantics: http[0].match[0]: now elsewhere: /faas/api/u/a (u.faas-beta -> re.faas-beta), /faas/api/u/x (u.faas-beta -> re.faas-beta)"),
        "{err}"
    );
    assert!(
        err.contains(
            "kfaas-system/me: shadowed: http[0].match[0]: never reached in Istio: kfaas-system/re"
        ),
        "{err}"
    );
}

#[test]
fn list_json_and_api_versions_are_read() {
    let list = format!(
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: networking.istio.io/v1alpha3\n  kind: VirtualService\n  metadata: {{name: a, namespace: kfaas-system}}\n  spec:\n    hosts: [{HOST}]\n    gateways: [g]\n    http: [{{match: [{{uri: {{prefix: /faas/api/a/}}}}], route: [{{destination: {{host: a.faas-alpha.svc.cluster.local}}}}]}}]\n"
    );
    let (code, table, err) = import("list.yaml", &list);
    assert_eq!(code, 0, "{err}");
    assert_eq!(table["routes"][0]["service"], "a");
    let json = r#"{"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": "b", "namespace": "n"},
      "spec": {"hosts": ["h"], "gateways": ["g"], "http": [{"route": [{"destination": {"host": "b.faas-alpha.svc.cluster.local"}}]}]}}"#;
    let (code, table, err) = import("one.json", json);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        table["routes"][0]["match"]["prefix"], "/faas/api/",
        "a route without match takes everything"
    );
}

#[test]
fn bad_input_exits_2_naming_file_and_line() {
    let good = routed("a", 1, "{prefix: /faas/api/a/}", "a.faas-alpha");
    let p = write("broken.yaml", &format!("{good}apiVersion: x\nkind: [\n"));
    let (code, out, err) = bin(&["import", p.to_str().unwrap()]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("broken.yaml:17: not YAML"), "{err}");
    let p = write(
        "kind.yaml",
        &format!(
            "{good}apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {{name: g}}\n"
        ),
    );
    let (code, _, err) = bin(&["import", p.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("kind.yaml:15: kind: \"Gateway\" is not a VirtualService"),
        "{err}"
    );
    let p = write(
        "field.yaml",
        &vs("a", "", "  - match: [{uri: {prefix: 3}}]\n"),
    );
    let (code, _, err) = bin(&["import", p.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("field.yaml:1: kfaas-system/a: http[0].match[0].uri: needs exactly one of"),
        "{err}"
    );
    let (code, _, err) = bin(&["import", "/nonexistent.yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read /nonexistent.yaml"), "{err}");
    let (code, _, err) = bin(&["import"]);
    assert_eq!(code, 2);
    assert!(err.contains("usage"), "{err}");
    let (code, _, _) = bin(&["import", "--bogus", "x"]);
    assert_eq!(code, 2);
}

#[test]
fn a_100k_line_file_broken_at_its_end_names_the_line() {
    let one = routed("a", 1, "{prefix: /faas/api/a/}", "a.faas-alpha");
    let per = one.lines().count();
    let mut text = String::new();
    for i in 0..(100_000 / per) {
        text.push_str(&one.replace("name: a\n", &format!("name: a{i}\n")));
    }
    let last_doc = text.lines().count() + 1;
    text.push_str("kind: VirtualService\nspec: {http: [\n");
    let (code, _, err) = import("big.yaml", &text);
    assert_eq!(code, 2);
    let line: usize = err
        .split("big.yaml:")
        .nth(1)
        .unwrap()
        .split(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((last_doc..=last_doc + 2).contains(&line), "{err}");
    assert!(err.contains("not YAML"), "{err}");
}

#[test]
fn diff_prints_changed_paths_and_exits_by_result() {
    let text = routed(
        "show",
        1,
        "{prefix: /faas/api/saas/show}",
        "show.faas-alpha",
    ) + &routed("r", 2, "{exact: /faas/api/render}", "render.faas-beta");
    let from = write("diff-vs.yaml", &text);
    let good = write(
        "good.json",
        r#"{"routes": [
      {"match": {"prefix": "/faas/api/saas/show"}, "service": "show", "namespace": "faas-alpha"},
      {"match": {"regex": "/faas/api/saas/show[^/].*"}, "service": "show", "namespace": "faas-alpha"},
      {"match": {"exact": "/faas/api/render"}, "service": "render", "namespace": "faas-beta"}]}"#,
    );
    let (code, out, err) = bin(&[
        "diff",
        "--from",
        from.to_str().unwrap(),
        "--to",
        good.to_str().unwrap(),
    ]);
    assert_eq!(
        (code, out.as_str()),
        (0, "4 paths compared, 0 changed\n"),
        "{err}"
    );
    let naive = write(
        "naive.json",
        r#"{"routes": [
      {"match": {"prefix": "/faas/api/saas/show"}, "service": "show", "namespace": "faas-alpha"},
      {"match": {"exact": "/faas/api/render"}, "service": "render-v2", "namespace": "faas-beta"}]}"#,
    );
    let paths = write("paths.txt", "/faas/api/saas/showroom/a\n\n# comment\n");
    let (code, out, err) = bin(&[
        "diff",
        "--from",
        from.to_str().unwrap(),
        "--to",
        naive.to_str().unwrap(),
        "--paths",
        paths.to_str().unwrap(),
        "--path",
        "/faas/api/other",
    ]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        out,
        "/faas/api/render  render.faas-beta -> render-v2.faas-beta\n\
         /faas/api/saas/showroom/a  show.faas-alpha -> none\n\
         /faas/api/saas/showx  show.faas-alpha -> none\n\
         6 paths compared, 3 changed\n"
    );
    let (code, out, _) = bin(&[
        "diff",
        "--from",
        from.to_str().unwrap(),
        "--to",
        naive.to_str().unwrap(),
        "--host",
        "other.example.com",
        "--path",
        "/faas/api/render",
    ]);
    // No VirtualService serves that host; the table's top-level routes serve every host.
    assert_eq!(
        (code, out.as_str()),
        (
            1,
            "/faas/api/render  none -> render-v2.faas-beta\n1 paths compared, 1 changed\n"
        )
    );
    let bad = write("bad.json", r#"{"routes": [{"match": {"prefx": "/a"}}]}"#);
    let (code, _, err) = bin(&[
        "diff",
        "--from",
        from.to_str().unwrap(),
        "--to",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("routes[0].match"), "{err}");
    let (code, _, _) = bin(&["diff", "--to", good.to_str().unwrap()]);
    assert_eq!(code, 2);
}

/// `vs` with another host.
fn vs_on(host: &str, name: &str, created: &str, http: &str) -> String {
    vs(name, created, http).replace(HOST, host)
}

#[test]
fn timeouts_retries_and_hosts_are_kept() {
    let beta = "faas-beta-ksvc-gateway.kfaas-system.svc.cluster.local";
    let policy = "    timeout: 15s\n    retries: {attempts: 2, perTryTimeout: 5s, retryOn: \"5xx,connect-failure\", retryRemoteLocalities: true}\n";
    let text = vs("a", "2024-01-01T00:00:00Z", &(to("{prefix: /faas/api/a/}", "a.faas-alpha") + policy))
        + &vs_on(beta, "b", "2024-01-01T00:00:00Z", &to("{prefix: /faas/api/a/}", "a.faas-beta"))
        // a timeout the table refuses: the field is left out and named
        + &vs_on(beta, "c", "2024-01-02T00:00:00Z", &(to("{exact: /faas/api/c}", "c.faas-beta") + "    timeout: 15 seconds\n"));
    let p = write("hosts.yaml", &text);
    let (code, out, err) = run(&["import", p.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        err,
        "kfaas-system/a: dropped: http[0].retries.retryRemoteLocalities: the table's retries have attempts, perTryTimeout and retryOn\n\
         kfaas-system/c: dropped: http[0].timeout: the table refuses it (timeout: \"15 seconds\" is not a duration like 250ms, 15s, 1m)\n",
    );
    let table: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(table["routes"], serde_json::json!([]));
    let vh = table["virtualHosts"].as_array().unwrap();
    assert_eq!(vh.len(), 2, "{out}");
    assert_eq!(vh[0]["hosts"], serde_json::json!([HOST]));
    assert_eq!(
        vh[0]["routes"][0],
        serde_json::json!({"match": {"prefix": "/faas/api/a/"}, "service": "a", "namespace": "faas-alpha",
          "timeout": "15s", "retries": {"attempts": 2, "perTryTimeout": "5s", "retryOn": "5xx,connect-failure"}})
    );
    assert_eq!(vh[1]["routes"][0]["namespace"], "faas-beta");
    assert!(vh[1]["routes"][1].get("timeout").is_none(), "{out}");
    // diff picks the table by host, as the filter does.
    let table_file = write("hosts.json", &out);
    let (code, out, _) = run(&[
        "diff",
        "--from",
        p.to_str().unwrap(),
        "--to",
        table_file.to_str().unwrap(),
    ]);
    assert_eq!((code, out.as_str()), (0, "7 paths compared, 0 changed\n"));
    let (code, out, _) = run(&[
        "diff",
        "--from",
        p.to_str().unwrap(),
        "--to",
        table_file.to_str().unwrap(),
        "--host",
        &format!("{beta}:80"),
        "--path",
        "/faas/api/a/x",
    ]);
    assert_eq!((code, out.as_str()), (0, "4 paths compared, 0 changed\n"));
}

#[test]
fn a_rewrite_on_a_prefix_without_slash_is_semantics_for_longer_names() {
    let http = "  - match: [{uri: {prefix: /faas/api/p/show}}]\n    rewrite: {uri: /show, authority: show.faas-alpha.svc.cluster.local}\n    route: [{destination: {host: knative-local-gateway.istio-system.svc.cluster.local}}]\n";
    let (code, table, err) = import("rewrite.yaml", &vs("rw", "2024-01-01T00:00:00Z", http));
    assert_eq!(code, 1, "{err}");
    assert_eq!(err, "kfaas-system/rw: semantics: http[0].rewrite.uri: the longer names /faas/api/p/show... reach the service without the rewrite (the table rewrites no regex route)\n");
    assert_eq!(table["routes"][0]["rewritePrefix"], "/show");
    assert!(table["routes"][1].get("rewritePrefix").is_none());
}

#[test]
fn check_shows_virtual_hosts_and_probes_by_host() {
    let table = write(
        "vh.json",
        r#"{"virtualHosts": [{"hosts": ["beta.example"], "routes": [
          {"match": {"prefix": "/faas/api/a/"}, "service": "a", "namespace": "faas-beta"}]}],
          "routes": [{"match": {"prefix": "/faas/api/a/"}, "service": "a", "namespace": "faas-alpha"}]}"#,
    );
    let t = table.to_str().unwrap();
    let (code, out, err) = run(&[
        "check",
        t,
        "--path",
        "/faas/api/a/x",
        "--host",
        "BETA.example:80",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("  virtual host beta.example:\n    1 routes:\n      prefix /faas/api/a/ -> a.faas-beta.svc.cluster.local\n"), "{out}");
    assert!(
        out.ends_with("  /faas/api/a/x -> a.faas-beta.svc.cluster.local via prefix:/faas/api/a/\n"),
        "{out}"
    );
    let (_, out, _) = run(&["check", t, "--path", "/faas/api/a/x"]);
    assert!(
        out.ends_with(
            "  /faas/api/a/x -> a.faas-alpha.svc.cluster.local via prefix:/faas/api/a/\n"
        ),
        "{out}"
    );
}

#[test]
fn a_host_the_table_refuses_is_unsupported_not_an_internal_error() {
    let text = routed("a", 1, "{prefix: /faas/api/a/}", "a.faas-alpha")
        + &vs_on(
            "faas.*.example.com",
            "b",
            "2024-01-01T00:00:00Z",
            &to("{prefix: /faas/api/b/}", "b.faas-beta"),
        );
    let (code, table, err) = import("badhost.yaml", &text);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("\nkfaas-system/b: unsupported: spec.hosts: host \"faas.*.example.com\" is refused by the table ("), "{err}");
    assert!(err.starts_with("kfaas-system/b: semantics: http[0].match[0]: now elsewhere: /faas/api/b/ (b.faas-beta -> none)"), "{err}");
    let vh = table["virtualHosts"].as_array().unwrap();
    assert_eq!(vh.len(), 1, "{table}");
    assert_eq!(vh[0]["hosts"], serde_json::json!([HOST]));
}

#[test]
fn routes_outside_the_prefix_are_unsupported() {
    let text = routed("a", 1, "{prefix: /faas/api/saas/a/}", "a.faas-alpha")
        + &routed("r", 2, "{exact: /faas/api/render}", "render.faas-beta");
    let p = write("prefix.yaml", &text);
    let (code, out, err) = run(&["import", "--prefix", "/faas/api/saas/", p.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.starts_with("kfaas-system/r: unsupported: http[0].match[0]: not imported: match.exact: is outside pathPrefix \"/faas/api/saas/\""),
        "{err}"
    );
    let table: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(table["pathPrefix"], "/faas/api/saas/");
    assert_eq!(table["routes"].as_array().unwrap().len(), 1, "{out}");
}

#[test]
fn grey_subsets_of_one_service_are_one_service() {
    // The seeds' grey release: the same host, subsets normal and grey, 50/50.
    let http = "  - match: [{uri: {prefix: /faas/api/render/}, statPrefix: render}]\n    route:\n    - destination: {host: render.faas-beta.svc.cluster.local, subset: normal}\n      weight: 50\n    - destination: {host: render.faas-beta.svc.cluster.local, subset: grey}\n      weight: 50\n";
    let (code, table, err) = import("subsets.yaml", &vs("grey", "2024-01-01T00:00:00Z", http));
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        err,
        "kfaas-system/grey: dropped: http[0].match[0].statPrefix: the table keeps its own per-service counters\n\
         kfaas-system/grey: dropped: http[0].route[0].destination.subset: the table sends to the Knative service, not a subset\n\
         kfaas-system/grey: dropped: http[0].route[1].destination.subset: the table sends to the Knative service, not a subset\n"
    );
    assert_eq!(
        table["routes"][0],
        serde_json::json!({"match": {"prefix": "/faas/api/render/"}, "service": "render", "namespace": "faas-beta"})
    );
}

#[test]
fn import_render_diff_round_trip_through_a_manifest() {
    let text = routed("a", 1, "{prefix: /faas/api/a/}", "a.faas-alpha")
        + &routed("b", 2, "{regex: '/faas/api/b/[0-9]+'}", "b.faas-beta");
    let vs_file = write("round.yaml", &text);
    let (code, table, err) = run(&["import", vs_file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let table_file = write("round.json", &table);
    let manifest = write(
        "round-wasmplugin.yaml",
        "apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nmetadata:\n  name: faas-router\nspec:\n  url: oci://x/faas-router:1\n  pluginConfig: {}\n",
    );
    let (code, _, err) = bin(&[
        "render",
        table_file.to_str().unwrap(),
        "--into",
        manifest.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = bin(&[
        "diff",
        "--from",
        vs_file.to_str().unwrap(),
        "--to",
        manifest.to_str().unwrap(),
    ]);
    assert_eq!(
        (code, out.as_str()),
        (0, "4 paths compared, 0 changed\n"),
        "{err}"
    );
}
