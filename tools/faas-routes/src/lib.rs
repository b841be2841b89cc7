//! The `faas-routes` CLI: checks a faas-router table the way the filter does
//! (the same `faas_router::config::parse`), for users' CI before they apply
//! manifests, and the migration commands (import, diff, merge, render) built
//! on that same parser. `check` prints the effective table in match order,
//! or every problem.

pub mod cli;
mod compare;
pub mod corpus;
pub mod destination;
pub mod diff;
mod dropped;
pub mod findings;
pub mod fragments;
pub mod import;
pub mod istio_model;
pub mod json_out;
pub mod parallel;
pub mod probes;
pub mod render;
mod table_entry;
pub mod table_side;
pub mod virtual_service;

use faas_router::config::{self, Backend, Config, HashBy};
use faas_router::router::{resolve, Outcome};
use faas_router::table::Kind;
use serde::Deserialize;
use std::io::Write;

pub use cli::USAGE;

/// Runs the CLI; returns the exit status.
pub fn run(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let rest = args.get(1..).unwrap_or(&[]);
    match args.first().map(String::as_str) {
        Some("import") => return cli::import_cmd(rest, out, err),
        Some("diff") => return cli::diff_cmd(rest, out, err),
        Some("merge") => return cli::merge_cmd(rest, out, err),
        Some("render") => return cli::render_cmd(rest, out, err),
        _ => {}
    }
    let (file, paths, host) = match parse_args(args) {
        Ok(a) => a,
        Err(msg) => {
            let _ = writeln!(err, "{msg}\n{USAGE}");
            return 2;
        }
    };
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) => {
            let _ = writeln!(err, "faas-routes: cannot read {file}: {e}");
            return 2;
        }
    };
    let configs = match load(&file, &text) {
        Ok(c) => c,
        Err(msg) => {
            let _ = writeln!(err, "faas-routes: {file}: {msg}");
            return 2;
        }
    };
    let mut status = 0;
    for (name, json) in configs {
        match config::parse(json.as_bytes()) {
            Ok(c) => {
                let _ = writeln!(out, "{name}: valid");
                let _ = print_table(&c, out);
                for p in &paths {
                    let _ = writeln!(out, "  {p} -> {}", probe(&c, host.as_deref(), p));
                }
            }
            Err(e) => {
                let _ = writeln!(err, "{name}: invalid, {} problem(s):", e.errors.len());
                for fe in &e.errors {
                    let _ = writeln!(err, "  {}: {}", fe.field, fe.message);
                }
                status = 1;
            }
        }
    }
    status
}

type CheckArgs = (String, Vec<String>, Option<String>);

fn parse_args(args: &[String]) -> Result<CheckArgs, String> {
    let mut it = args.iter();
    match it.next().map(String::as_str) {
        Some("check") => {}
        Some(other) => return Err(format!("unknown command {other:?}")),
        None => return Err("missing command".into()),
    }
    let mut file = None;
    let mut paths = Vec::new();
    let mut host = None;
    while let Some(a) = it.next() {
        if a == "--path" {
            paths.push(it.next().ok_or("--path needs a value")?.clone());
        } else if a == "--host" {
            host = Some(it.next().ok_or("--host needs a value")?.clone());
        } else if file.is_none() {
            file = Some(a.clone());
        } else {
            return Err(format!("unexpected argument {a:?}"));
        }
    }
    Ok((file.ok_or("missing CONFIG")?, paths, host))
}

/// The configurations in a file as JSON text, each with a display name.
/// JSON is the pluginConfig itself; YAML holds WasmPlugin documents.
pub fn load(file: &str, text: &str) -> Result<Vec<(String, String)>, String> {
    if !(file.ends_with(".yaml") || file.ends_with(".yml")) {
        return Ok(vec![(file.to_string(), text.to_string())]);
    }
    let mut plugins = Vec::new();
    for doc in serde_norway::Deserializer::from_str(text) {
        let value = serde_json::Value::deserialize(doc).map_err(|e| format!("not YAML: {e}"))?;
        // Istio 1.30's TrafficExtension keeps the plugin under spec.wasm.
        let spec = match value.get("kind").and_then(|k| k.as_str()) {
            Some("WasmPlugin") => "/spec",
            Some("TrafficExtension") => "/spec/wasm",
            _ => continue,
        };
        let name = value
            .pointer("/metadata/name")
            .and_then(|n| n.as_str())
            .unwrap_or("?")
            .to_string();
        let kind = value.get("kind").and_then(|k| k.as_str()).unwrap_or("");
        let url = value
            .pointer(&format!("{spec}/url"))
            .and_then(|n| n.as_str())
            .unwrap_or("");
        plugins.push((
            format!("{kind} {name}"),
            url.to_string(),
            value.pointer(&format!("{spec}/pluginConfig")).cloned(),
        ));
    }
    let is_ours = |name: &str, url: &str| {
        [name, url]
            .iter()
            .any(|s| s.contains("faas-router") || s.contains("faas_router"))
    };
    let ours: Vec<_> = if plugins.len() == 1 {
        plugins
    } else {
        plugins
            .into_iter()
            .filter(|(n, u, _)| is_ours(n, u))
            .collect()
    };
    if ours.is_empty() {
        return Err("no faas-router WasmPlugin or TrafficExtension found".into());
    }
    Ok(ours
        .into_iter()
        .map(|(name, _, cfg)| {
            let json = cfg.unwrap_or(serde_json::Value::Object(Default::default()));
            (name, json.to_string())
        })
        .collect())
}

/// The table in the order a request sees it: exact, then regex, then the
/// longest prefix first.
fn print_table(c: &Config, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "  pathPrefix {:?}, clusterDomain {:?}, onNoMatch {:?}, rewriteAuthority {}, headers {}/{}/{}",
        c.path_prefix, c.cluster_domain, c.on_no_match, c.rewrite_authority, c.headers.service, c.headers.namespace, c.headers.route
    )?;
    print_routes(c, &c.routes, "  ", out)?;
    for vh in &c.virtual_hosts {
        writeln!(out, "  virtual host {}:", vh.hosts.join(", "))?;
        print_routes(c, &vh.routes, "    ", out)?;
    }
    Ok(())
}

/// One table's routes in the order a request sees them.
fn print_routes(
    c: &Config,
    routes: &[faas_router::config::Route],
    indent: &str,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut routes: Vec<_> = routes.iter().collect();
    routes.sort_by(|a, b| {
        let rank = |k| match k {
            Kind::Exact => 0,
            Kind::Regex => 1,
            Kind::Prefix => 2,
        };
        (rank(a.kind), std::cmp::Reverse(a.pattern.len()), &a.pattern).cmp(&(
            rank(b.kind),
            std::cmp::Reverse(b.pattern.len()),
            &b.pattern,
        ))
    });
    writeln!(out, "{indent}{} routes:", routes.len())?;
    for r in routes {
        let target = |t: usize| c.targets.get(t).map_or("?", |t| t.authority.as_str());
        let to = match &r.backend {
            Backend::Service(t) => target(*t).to_string(),
            Backend::Split { choices, hash_by } => {
                let mut lower = 0;
                let parts: Vec<String> = choices
                    .iter()
                    .map(|&(upper, t)| {
                        let s = format!("{}% {}", upper - lower, target(t));
                        lower = upper;
                        s
                    })
                    .collect();
                let by = match hash_by {
                    Some(HashBy::Header(h)) => format!("header {h}"),
                    Some(HashBy::Cookie(k)) => format!("cookie {k}"),
                    None => "random".into(),
                };
                format!("split [{}] by {by}", parts.join(", "))
            }
        };
        let rewrite = r
            .rewrite_prefix
            .as_ref()
            .map(|p| format!(" (rewrite to {p})"))
            .unwrap_or_default();
        writeln!(
            out,
            "{indent}  {:<6} {} -> {to}{rewrite}",
            r.kind.as_str(),
            r.pattern
        )?;
    }
    Ok(())
}

/// Where `path` goes, for a request to `host` (its virtual host's table).
fn probe(c: &Config, host: Option<&str>, path: &str) -> String {
    match resolve(c, host, path) {
        Outcome::Untouched => "untouched (outside pathPrefix)".into(),
        Outcome::Passthrough => "no route, passed through".into(),
        Outcome::Reject { status, body, .. } => format!("{status} {body}"),
        Outcome::Routed(r) => format!(
            "{} via {}{}",
            r.target.authority,
            r.route.id,
            r.path.map(|p| format!(", path {p}")).unwrap_or_default()
        ),
    }
}
