//! `make soak`: all three filters in one Envoy under a long hostile mix, then a "## Soak"
//! section in BENCHMARKS.md (`bench::soak`). Not part of `make test`.
//!
//! `soak [--requests N] [--out BENCHMARKS.md]` (default 1,000,000 requests). Exit status 0 when
//! the run met the bounds (Envoy RSS after warm-up grew < 10 %, no wasm VM created after the
//! start, no 5xx), 1 when it did not (the section is still written), 2 on a setup failure.

use anyhow::{bail, Context, Result};
use e2e::bench::soak;
use std::path::PathBuf;

fn main() {
    match run() {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("soak: {e:#}");
            std::process::exit(2);
        }
    }
}

fn run() -> Result<bool> {
    let mut requests: u64 = 1_000_000;
    let mut out = PathBuf::from("BENCHMARKS.md");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--requests" => {
                requests = args
                    .next()
                    .context("--requests needs a number")?
                    .parse()
                    .context("--requests needs a number")?
            }
            "--out" => out = args.next().context("--out needs a path")?.into(),
            "-h" | "--help" => {
                println!("soak [--requests N] [--out BENCHMARKS.md]");
                return Ok(true);
            }
            other => bail!("unknown argument {other:?} (try --help)"),
        }
    }
    let result = soak::run(requests)?;
    let section = result.markdown();
    print!("{section}");
    soak::splice_section(&out, "## Soak", &section)
        .with_context(|| format!("writing {}", out.display()))?;
    eprintln!("soak: section written to {}", out.display());
    Ok(result.passed())
}
