//! `make bench`: every registered scenario, then BENCHMARKS.md.
//!
//! `bench [--out BENCHMARKS.md] [--only <filter or scenario substring>]`
//! `--only kfaas-gateway`: the whole gateway chain (three plugins, the combined module, the native chain).
//! Environment: BENCH_ROUNDS (3), BENCH_SECONDS (4), BENCH_CONNECTIONS (10), BENCH_STARTS (3);
//! BENCH_GREY_CHAIN_MODULES / BENCH_FAAS_ROUTER_MODULES / BENCH_JWT_AUTH_MODULES="label=path.wasm,…"
//! add other builds of that filter side by side.
//! Each round also records the Envoy process's CPU time per request (`bench::cpu`).
//! After the scenarios: `faas-routes import` time for 10k VirtualServices (`bench::import`) and
//! faas-router's memory per VM at 10k routes (`bench::memory`; `--only "faas-router memory"`).

use anyhow::{bail, Context, Result};
use e2e::bench::{self, report, scenarios, ScenarioResult, Settings};
use std::path::PathBuf;

fn main() -> Result<()> {
    let mut out = PathBuf::from("BENCHMARKS.md");
    let mut only: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => out = args.next().context("--out needs a path")?.into(),
            "--only" => only = Some(args.next().context("--only needs a name")?),
            "-h" | "--help" => {
                println!("bench [--out BENCHMARKS.md] [--only <filter or scenario substring>]");
                return Ok(());
            }
            other => bail!("unknown argument {other:?} (try --help)"),
        }
    }
    let settings = Settings::from_env();
    let machine = report::Machine::probe();
    eprintln!(
        "bench: {} CPUs ({}), Envoy {}, {} rounds × {} s, {} connections",
        machine.nproc,
        machine.cpu,
        machine.envoy,
        settings.rounds,
        settings.seconds,
        settings.connections
    );

    let mut results = Vec::new();
    for s in scenarios::all() {
        if let Some(o) = &only {
            if !s.filter.contains(o.as_str()) && !s.name.contains(o.as_str()) {
                continue;
            }
        }
        eprintln!("{} / {}", s.filter, s.name);
        let outcome = bench::run(&s, &settings);
        if let Err(e) = &outcome {
            let why = format!("{e:#}");
            eprintln!(
                "  not measured: {}",
                why.lines().take(3).collect::<Vec<_>>().join("\n  ")
            );
        }
        results.push(ScenarioResult {
            filter: s.filter.clone(),
            name: s.name.clone(),
            notes: s.notes.clone(),
            outcome,
        });
    }

    let modules: Vec<(String, Option<u64>)> = e2e::FILTERS
        .iter()
        .map(|(_, m)| *m)
        .chain(std::iter::once("kfaas_gateway"))
        .map(|m| {
            let size = std::fs::metadata(e2e::dist(m)).ok().map(|md| md.len());
            (format!("{m}.wasm"), size)
        })
        .collect();
    let mut md = report::render(&machine, &settings, &results, &modules);
    if only
        .as_deref()
        .is_none_or(|o| "faas-routes import".contains(o))
    {
        eprintln!("faas-routes / import 10k VirtualServices");
        md.push_str(&bench::import::section(10_000, settings.rounds));
    }
    if only
        .as_deref()
        .is_none_or(|o| "faas-router memory".contains(o))
    {
        eprintln!("faas-router / memory per VM at 10k routes");
        md.push_str(&bench::memory::section(10_000));
    }
    std::fs::write(&out, &md).with_context(|| format!("writing {}", out.display()))?;
    eprintln!("wrote {}", out.display());
    Ok(())
}
