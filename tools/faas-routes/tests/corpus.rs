//! The 700-VirtualService corpus (src/corpus.rs): `diff --from corpus --to
//! imported` changes no path that the import did not report.

// Test helpers (not only #[test] fns) may fail loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::run;
use faas_routes::import::Finding;
use faas_routes::{corpus, istio_model, virtual_service};
use std::collections::BTreeSet;

#[test]
fn diff_changes_only_what_the_import_reported() {
    let text = corpus::generate(700);
    let dir = TempDir::new("faas-routes-corpus");
    let dir = &dir.0;
    let vs_file = dir.join("corpus.yaml");
    std::fs::write(&vs_file, &text).unwrap();
    let (vs, table, report) = (
        vs_file.to_str().unwrap(),
        dir.join("table.json"),
        dir.join("report.json"),
    );

    let (code, out, err) = run(&["import", vs, "--report", report.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    std::fs::write(&table, &out).unwrap();
    let findings: Vec<Finding> = {
        let v: Vec<serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        v.into_iter()
            .map(|f| Finding {
                virtual_service: f["virtualService"].as_str().unwrap().into(),
                kind: match f["kind"].as_str().unwrap() {
                    "dropped" => "dropped",
                    "semantics" => "semantics",
                    "duplicate" => "duplicate",
                    "shadowed" => "shadowed",
                    "unsupported" => "unsupported",
                    other => panic!("unknown kind {other}"),
                },
                field: f["field"].as_str().unwrap().into(),
                detail: f["detail"].as_str().unwrap().into(),
            })
            .collect()
    };
    let vss = virtual_service::read(vs, &text).unwrap();
    assert!(vss.len() >= 700, "{}", vss.len());
    let kinds: BTreeSet<&str> = findings.iter().map(|f| f.kind).collect();
    for k in ["dropped", "semantics", "duplicate", "shadowed"] {
        assert!(kinds.contains(k), "the corpus shows no {k} finding:\n{err}");
    }
    assert!(
        out.contains("\"split\"") && out.contains("\"timeout\"") && out.contains("\"retries\""),
        "{out}"
    );
    assert!(out.contains("\"virtualHosts\""), "{out}");

    // Every changed path: its old VirtualService has a finding, or a finding names the path.
    let reported: BTreeSet<&str> = findings
        .iter()
        .map(|f| f.virtual_service.as_str())
        .collect();
    let model = istio_model::build(vss).unwrap();
    let (code, out, err) = run(&["diff", "--from", vs, "--to", table.to_str().unwrap()]);
    assert!(code <= 1, "{err}");
    let last = out.lines().last().unwrap();
    let compared: usize = last.split(' ').next().unwrap().parse().unwrap();
    assert!(compared > 1800, "{last}");
    let mut changed = 0;
    for line in out.lines().filter(|l| l.contains(" -> ")) {
        changed += 1;
        let (host, rest) = line.split_once(' ').unwrap();
        let path = rest.split("  ").next().unwrap();
        let old_vs = model.hosts[host]
            .resolve(path)
            .map(|(r, _)| model.vss[model.hosts[host].rules[r].vs].id());
        let explained = old_vs.as_deref().is_some_and(|v| reported.contains(v))
            || findings
                .iter()
                .any(|f| f.detail.contains(&format!("{path} (")));
        assert!(explained, "not reported by the import: {line}");
    }
    assert!(last.ends_with(&format!(", {changed} changed")), "{last}");
}

#[test]
fn a_100k_line_file_imports() {
    let text = corpus::generate(5300);
    assert!(text.lines().count() > 100_000, "{}", text.lines().count());
    let dir = TempDir::new("faas-routes-corpus-big");
    let file = dir.0.join("big.yaml");
    std::fs::write(&file, &text).unwrap();
    let (code, out, err) = run(&["import", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(faas_router::config::parse(out.as_bytes()).is_ok());
    assert!(out.matches("{\"match\"").count() > 5300, "{}", out.len());
}

/// A directory of this test process, removed with everything in it when dropped (also when the
/// test fails): the corpora are megabytes each.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
