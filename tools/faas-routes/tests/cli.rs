//! Runs the built `faas-routes` binary on files, as a user's CI would.

// Test helpers (not only #[test] fns) may fail loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::Command;

fn run(file_name: &str, content: &str, extra: &[&str]) -> (i32, String, String) {
    let dir = std::env::temp_dir().join(format!(
        "faas-routes-test-{}-{file_name}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(file_name);
    std::fs::write(&path, content).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_faas-routes"))
        .arg("check")
        .arg(&path)
        .args(extra)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

const GOOD: &str = r#"{"routes": [
  {"match": {"prefix": "/faas/api/saas/"}, "service": "saas", "namespace": "faas-alpha"},
  {"match": {"prefix": "/faas/api/saas/showroom/"}, "service": "saas-showroom", "namespace": "faas-alpha", "rewritePrefix": "/"},
  {"match": {"exact": "/faas/api/render"}, "service": "render", "namespace": "faas-beta"},
  {"match": {"regex": "/faas/api/u/[a-z]+/profile"}, "service": "profile", "namespace": "faas-beta"},
  {"match": {"prefix": "/faas/api/search/"}, "namespace": "faas-alpha",
   "split": [{"service": "search", "weight": 90}, {"service": "search-v2", "weight": 10}], "hashBy": {"cookie": "uid"}}
]}"#;

#[test]
fn valid_json_prints_the_table_in_match_order() {
    let (code, out, err) = run(
        "c.json",
        GOOD,
        &[
            "--path",
            "/faas/api/saas/showroom/a?x=1",
            "--path",
            "/faas/api/%2F",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].ends_with("c.json: valid"), "{out}");
    assert!(lines[2].contains("5 routes"), "{out}");
    let order: Vec<&str> = lines[3..8]
        .iter()
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(
        order,
        [
            "/faas/api/render",
            "/faas/api/u/[a-z]+/profile",
            "/faas/api/saas/showroom/",
            "/faas/api/search/",
            "/faas/api/saas/"
        ]
    );
    assert!(out.contains("split [90% search.faas-alpha.svc.cluster.local, 10% search-v2.faas-alpha.svc.cluster.local] by cookie uid"), "{out}");
    assert!(out.contains("/faas/api/saas/showroom/a?x=1 -> saas-showroom.faas-alpha.svc.cluster.local via prefix:/faas/api/saas/showroom/, path /a?x=1"), "{out}");
    assert!(
        out.contains(r#"/faas/api/%2F -> 400 {"error":"bad_path","reason":"encoded_slash"}"#),
        "{out}"
    );
}

#[test]
fn invalid_config_lists_every_problem_and_exits_1() {
    let bad = r#"{"routes": [
      {"match": {"prefix": "/faas/api/a/"}, "service": "A", "namespace": "n"},
      {"match": {"prefix": "/faas/api/a/"}, "service": "b", "namespace": "n"},
      {"match": {"regex": "/faas/api/("}, "service": "c", "namespace": "n"}
    ]}"#;
    let (code, out, err) = run("bad.json", bad, &[]);
    assert_eq!(code, 1);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("invalid, 3 problem(s)"), "{err}");
    for field in [
        "routes[0].service:",
        "routes[1].match.prefix: duplicates routes[0]",
        "routes[2].match.regex:",
    ] {
        assert!(err.contains(field), "{field} missing in {err}");
    }
}

#[test]
fn reads_the_faas_router_wasmplugin_from_a_manifest() {
    let yaml = r#"
apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata: {name: jwt-auth, namespace: istio-system}
spec: {url: "oci://example/jwt-auth:1", pluginConfig: {anything: 1}}
---
apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata:
  name: faas-router
  namespace: kfaas-system
spec:
  url: oci://example/faas-router:1
  pluginConfig:
    onNoMatch: passthrough
    routes:
      - match: {prefix: /faas/api/a/}
        service: a
        namespace: faas-alpha
      - match: {exact: /faas/api/a}
        service: a-root
        namespace: faas-alpha
      - match: {prefix: /faas/api/a}
        service: a-all
        namespace: faas-alpha
"#;
    let (code, _out, err) = run("plugins.yaml", yaml, &[]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("WasmPlugin faas-router: invalid, 1 problem(s)"),
        "{err}"
    );
    assert!(
        err.contains("routes[2].match.prefix: is fully shadowed"),
        "{err}"
    );
    assert!(!err.contains("jwt-auth"), "{err}");

    let fixed = yaml.replace("      - match: {prefix: /faas/api/a}\n        service: a-all\n        namespace: faas-alpha\n", "");
    let (code, out, err) = run("plugins.yaml", &fixed, &["--path", "/faas/api/zzz"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("WasmPlugin faas-router: valid"), "{out}");
    assert!(
        out.contains("/faas/api/zzz -> no route, passed through"),
        "{out}"
    );
}

#[test]
fn usage_and_unreadable_input_exit_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_faas-routes"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage: faas-routes check"));
    let out = Command::new(env!("CARGO_BIN_EXE_faas-routes"))
        .args(["check", "/nonexistent/x.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let (code, _, err) = run("none.yaml", "kind: Service\n", &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no faas-router WasmPlugin or TrafficExtension found"),
        "{err}"
    );
    let (code, _, err) = run("syntax.json", "{", &[]);
    assert_eq!(code, 1);
    assert!(err.contains("(root)") || err.contains("invalid"), "{err}");
}
