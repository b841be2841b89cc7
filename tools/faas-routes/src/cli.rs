//! The commands' arguments, files and exit statuses (0 fine, 1 findings or
//! changes, 2 bad usage or input).

use crate::import::{import, Finding};
use crate::virtual_service::{self, VirtualService};
use crate::{diff, istio_model};
use std::io::Write;

pub const USAGE: &str = "usage: faas-routes check CONFIG.json|wasmplugin.yaml [--path PATH]... [--host HOST]\n\
  faas-routes import [--prefix /faas/api/] VS.yaml... [--report FILE.json]\n\
  faas-routes diff --from VS.yaml... --to TABLE.json|wasmplugin.yaml [--paths FILE] [--path P]... [--host H]\n\
  faas-routes merge [--owners OWNERS.yaml] FRAGMENT.yaml... [--base CONFIG.json]\n\
  faas-routes render TABLE.json --into wasmplugin.yaml\n\
exit status: 0 fine, 1 findings / changes / fragments left out / invalid table, 2 usage or unreadable input";

/// Flags with values and the plain arguments, in order.
pub struct Args {
    pub values: Vec<(String, String)>,
    pub plain: Vec<String>,
}

impl Args {
    /// Splits `args`; `multi` flags take every following non-flag argument
    /// (`--from a.yaml b.yaml`), the others one value.
    pub fn parse(args: &[String], flags: &[&str], multi: &[&str]) -> Result<Args, String> {
        let mut values = Vec::new();
        let mut plain = Vec::new();
        let mut it = args.iter().peekable();
        while let Some(a) = it.next() {
            if a.starts_with("--") {
                if !flags.contains(&a.as_str()) && !multi.contains(&a.as_str()) {
                    return Err(format!("unknown option {a}"));
                }
                let v = it.next().ok_or_else(|| format!("{a} needs a value"))?;
                values.push((a.clone(), v.clone()));
                if multi.contains(&a.as_str()) {
                    while let Some(more) = it.next_if(|n| !n.starts_with("--")) {
                        values.push((a.clone(), more.clone()));
                    }
                }
            } else {
                plain.push(a.clone());
            }
        }
        Ok(Args { values, plain })
    }
    pub fn all(&self, flag: &str) -> Vec<String> {
        self.values
            .iter()
            .filter(|(f, _)| f == flag)
            .map(|(_, v)| v.clone())
            .collect()
    }
    pub fn one(&self, flag: &str) -> Result<Option<String>, String> {
        match self.all(flag).as_slice() {
            [] => Ok(None),
            [v] => Ok(Some(v.clone())),
            _ => Err(format!("{flag} given twice")),
        }
    }
}

pub fn read_file(file: &str) -> Result<String, String> {
    std::fs::read_to_string(file).map_err(|e| format!("cannot read {file}: {e}"))
}

/// Every VirtualService of the files.
pub fn read_vss(files: &[String]) -> Result<Vec<VirtualService>, String> {
    let mut all = Vec::new();
    for f in files {
        all.extend(virtual_service::read(f, &read_file(f)?)?);
    }
    Ok(all)
}

fn fail(err: &mut dyn Write, msg: &str) -> i32 {
    let _ = writeln!(err, "faas-routes: {msg}");
    2
}

pub fn import_cmd(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let a = match Args::parse(args, &["--prefix", "--report"], &[]) {
        Ok(a) => a,
        Err(e) => return fail(err, &format!("{e}\n{USAGE}")),
    };
    if a.plain.is_empty() {
        return fail(err, &format!("import needs VirtualService files\n{USAGE}"));
    }
    let run = || -> Result<(crate::import::Imported, Option<String>), String> {
        let prefix = a
            .one("--prefix")?
            .unwrap_or_else(|| faas_router::config::DEFAULT_PATH_PREFIX.into());
        let report = a.one("--report")?;
        Ok((import(read_vss(&a.plain)?, &prefix)?, report))
    };
    let (imported, report) = match run() {
        Ok(r) => r,
        Err(e) => return fail(err, &e),
    };
    let _ = out.write_all(imported.config.as_bytes());
    for f in &imported.findings {
        let _ = writeln!(err, "{f}");
    }
    if let Some(file) = report {
        if let Err(e) = write_report(&file, &imported.findings) {
            return fail(err, &e);
        }
    }
    i32::from(!imported.findings.is_empty())
}

fn write_report(file: &str, findings: &[Finding]) -> Result<(), String> {
    let text = serde_json::to_string_pretty(findings).map_err(|e| e.to_string())?;
    std::fs::write(file, text + "\n").map_err(|e| format!("cannot write {file}: {e}"))
}

pub fn diff_cmd(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let a = match Args::parse(args, &["--to", "--paths", "--path", "--host"], &["--from"]) {
        Ok(a) if a.plain.is_empty() => a,
        Ok(a) => {
            return fail(
                err,
                &format!("unexpected argument {:?}\n{USAGE}", a.plain.first()),
            )
        }
        Err(e) => return fail(err, &format!("{e}\n{USAGE}")),
    };
    let run = || -> Result<diff::Diff, String> {
        let from = a.all("--from");
        if from.is_empty() {
            return Err("diff needs --from VS.yaml...".into());
        }
        let to = a
            .one("--to")?
            .ok_or("diff needs --to TABLE.json|wasmplugin.yaml")?;
        let model = istio_model::build(read_vss(&from)?)?;
        let config = load_table(&to)?;
        let mut paths = a.all("--path");
        if let Some(file) = a.one("--paths")? {
            paths.extend(
                read_file(&file)?
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(String::from),
            );
        }
        Ok(diff::diff(
            &model,
            &config,
            &paths,
            a.one("--host")?.as_deref(),
        ))
    };
    match run() {
        Ok(d) => {
            for l in &d.lines {
                let _ = writeln!(out, "{l}");
            }
            let _ = writeln!(out, "{} paths compared, {} changed", d.compared, d.changed);
            i32::from(d.changed > 0)
        }
        Err(e) => fail(err, &e),
    }
}

/// A table from a pluginConfig JSON file or the faas-router WasmPlugin of a
/// manifest, checked by the filter's parser.
pub fn load_table(file: &str) -> Result<faas_router::config::Config, String> {
    let text = read_file(file)?;
    let configs = crate::load(file, &text).map_err(|e| format!("{file}: {e}"))?;
    let [(name, json)] = configs.as_slice() else {
        return Err(format!(
            "{file}: holds {} faas-router configurations; give one",
            configs.len()
        ));
    };
    faas_router::config::parse(json.as_bytes()).map_err(|e| {
        let problems: Vec<String> = e
            .errors
            .iter()
            .map(|fe| format!("{}: {}", fe.field, fe.message))
            .collect();
        format!("{name}: invalid table: {}", problems.join("; "))
    })
}

pub fn merge_cmd(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let a = match Args::parse(args, &["--owners", "--base"], &[]) {
        Ok(a) => a,
        Err(e) => return fail(err, &format!("{e}\n{USAGE}")),
    };
    if a.plain.is_empty() {
        return fail(err, &format!("merge needs FRAGMENT files\n{USAGE}"));
    }
    let run = || -> Result<crate::fragments::Merged, String> {
        let owners = match a.one("--owners")? {
            Some(f) => Some(crate::fragments::read_owners(&f, &read_file(&f)?)?),
            None => None,
        };
        let base = match a.one("--base")? {
            Some(f) => {
                let configs = crate::load(&f, &read_file(&f)?).map_err(|e| format!("{f}: {e}"))?;
                let [(_, json)] = configs.as_slice() else {
                    return Err(format!(
                        "{f}: holds {} faas-router configurations; give one",
                        configs.len()
                    ));
                };
                serde_json::from_str(json)
                    .map_err(|e| format!("{f}:{}: not JSON: {e}", e.line()))?
            }
            None => serde_json::json!({}),
        };
        let mut fragments = Vec::new();
        for f in &a.plain {
            fragments.push((f.clone(), read_file(f)?));
        }
        crate::fragments::merge(&base, &fragments, owners.as_ref())
            .map_err(|e| format!("--base: {e}"))
    };
    match run() {
        Ok(m) => {
            let _ = out.write_all(crate::json_out::pretty(&m.config).as_bytes());
            for (file, problems) in &m.left_out {
                let _ = writeln!(err, "{file}: left out, {} problem(s):", problems.len());
                for p in problems {
                    let _ = writeln!(err, "  {p}");
                }
            }
            i32::from(!m.left_out.is_empty())
        }
        Err(e) => fail(err, &e),
    }
}

pub fn render_cmd(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let a = match Args::parse(args, &["--into"], &[]) {
        Ok(a) => a,
        Err(e) => return fail(err, &format!("{e}\n{USAGE}")),
    };
    let run = || -> Result<String, String> {
        let [table] = a.plain.as_slice() else {
            return Err(format!("render needs one TABLE.json\n{USAGE}"));
        };
        let into = a
            .one("--into")?
            .ok_or_else(|| format!("render needs --into wasmplugin.yaml\n{USAGE}"))?;
        let text = read_file(table)?;
        let config: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("{table}:{}: not JSON: {e}", e.line()))?;
        if let Err(e) = faas_router::config::parse(text.as_bytes()) {
            let p: Vec<String> = e
                .errors
                .iter()
                .map(|fe| format!("{}: {}", fe.field, fe.message))
                .collect();
            return Err(format!(
                "{table}: invalid table, not rendered: {}",
                p.join("; ")
            ));
        }
        let manifest = read_file(&into)?;
        let (rendered, n) = crate::render::render(&into, &manifest, &config)?;
        std::fs::write(&into, rendered).map_err(|e| format!("cannot write {into}: {e}"))?;
        Ok(format!(
            "{into}: pluginConfig of {n} faas-router WasmPlugin(s) replaced"
        ))
    };
    match run() {
        Ok(msg) => {
            let _ = writeln!(out, "{msg}");
            0
        }
        Err(e) => fail(err, &e),
    }
}
