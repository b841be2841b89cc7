//! `faas-routes import` time for 10,000 VirtualServices (goal: under a
//! second): the generated corpus (`faas_routes::corpus`, seed-shaped: three
//! environments' hosts, prefix/exact/regex, weights, timeouts, retries,
//! duplicates, grey header matches) read from YAML and imported in-process,
//! as the CLI does, median of a few runs. No Envoy involved.

use std::fmt::Write;
use std::time::{Duration, Instant};

/// How many functions give at least `vss` VirtualServices.
fn functions_for(vss: usize) -> usize {
    let mut n = vss * 95 / 100;
    while count(&faas_routes::corpus::generate(n)) < vss {
        n += 50;
    }
    n
}

fn count(text: &str) -> usize {
    text.matches("\nkind: VirtualService\n").count()
}

/// One measurement: read + import times, and what came out.
pub struct ImportRun {
    pub read: Duration,
    pub import: Duration,
    pub routes: usize,
    pub findings: usize,
}

/// Reads and imports `text` once.
pub fn run_once(text: &str) -> anyhow::Result<ImportRun> {
    let t0 = Instant::now();
    let vss =
        faas_routes::virtual_service::read("corpus.yaml", text).map_err(anyhow::Error::msg)?;
    let t1 = Instant::now();
    let imported = faas_routes::import::import(vss, "/faas/api/").map_err(anyhow::Error::msg)?;
    let t2 = Instant::now();
    let routes = imported.config.matches("{\"match\"").count();
    Ok(ImportRun {
        read: t1 - t0,
        import: t2 - t1,
        routes,
        findings: imported.findings.len(),
    })
}

/// The markdown section for BENCHMARKS.md.
pub fn section(vss: usize, rounds: usize) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "## faas-routes import\n");
    let n = functions_for(vss);
    let text = faas_routes::corpus::generate(n);
    let docs = count(&text);
    let mut runs = Vec::new();
    for _ in 0..rounds.max(1) {
        match run_once(&text) {
            Ok(r) => runs.push(r),
            Err(e) => {
                let _ = writeln!(md, "not measured: {e:#}\n");
                return md;
            }
        }
    }
    runs.sort_by_key(|r| r.read + r.import);
    let Some(mid) = runs.get(runs.len() / 2) else {
        return md;
    };
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let _ = writeln!(
        md,
        "{docs} VirtualServices ({} lines, {:.1} MB of YAML, `faas_routes::corpus`) → {} table routes, {} findings. Median of {} runs, in-process (release build):\n",
        text.lines().count(),
        text.len() as f64 / 1e6,
        mid.routes,
        mid.findings,
        runs.len()
    );
    let _ = writeln!(md, "| step | ms |\n|---|---|");
    let _ = writeln!(md, "| read YAML | {:.0} |", ms(mid.read));
    let _ = writeln!(
        md,
        "| import (Istio order, table, filter's parser, probe comparison) | {:.0} |",
        ms(mid.import)
    );
    let _ = writeln!(
        md,
        "| **total** (goal < 1000) | **{:.0}** |\n",
        ms(mid.read + mid.import)
    );
    md
}
