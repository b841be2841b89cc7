//! How teams' route fragments become one table: each fragment is checked
//! alone (the filter's parser, plus OWNERS: the path prefixes and namespaces
//! its team may use); a bad one is left out and named with its problems; a
//! fragment whose routes collide with an earlier one (as the parser sees it:
//! duplicates, a prefix left fully shadowed) is left out naming both files.

use faas_router::config;
use faas_router::table::compile_regex;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// `teams: {saas: {prefixes: [...], namespaces: [...]}}`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Owners {
    pub teams: BTreeMap<String, Team>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Team {
    #[serde(default)]
    pub prefixes: Vec<String>,
    #[serde(default)]
    pub namespaces: Vec<String>,
}

/// Reads OWNERS (YAML or JSON).
pub fn read_owners(file: &str, text: &str) -> Result<Owners, String> {
    let de = serde_norway::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        format!("{file}: {path}: {}", e.into_inner())
    })
}

/// The merged table and the fragments left out, each with its reasons.
#[derive(Debug)]
pub struct Merged {
    pub config: Value,
    pub left_out: Vec<(String, Vec<String>)>,
}

/// A fragment's routes, or why it cannot be read.
fn read_fragment(text: &str) -> Result<(String, Vec<Value>), Vec<String>> {
    let value: Value =
        serde_norway::from_str(text).map_err(|e| vec![format!("not YAML or JSON: {e}")])?;
    let Value::Object(map) = value else {
        return Err(vec!["must be an object {team, routes}".into()]);
    };
    let mut problems = Vec::new();
    for k in map.keys().filter(|k| *k != "team" && *k != "routes") {
        problems.push(format!("{k}: unknown field, expected team or routes"));
    }
    let team = match map.get("team") {
        Some(Value::String(t)) => t.clone(),
        _ => {
            problems.push("team: required, a string".into());
            String::new()
        }
    };
    let routes = match map.get("routes") {
        Some(Value::Array(r)) => r.clone(),
        _ => {
            problems.push("routes: required, a list".into());
            Vec::new()
        }
    };
    if problems.is_empty() {
        Ok((team, routes))
    } else {
        Err(problems)
    }
}

/// `base` with its routes replaced.
fn with_routes(base: &Map<String, Value>, routes: &[Value]) -> Value {
    let mut c = base.clone();
    c.insert("routes".into(), Value::Array(routes.to_vec()));
    Value::Object(c)
}

fn problems_of(config: &Value) -> Vec<(String, String)> {
    match config::parse(config.to_string().as_bytes()) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .errors
            .iter()
            .map(|fe| {
                let msg = fe.message.split(" at line ").next().unwrap_or(&fe.message);
                (fe.field.clone(), msg.to_string())
            })
            .collect(),
    }
}

/// The routes of `team` that leave its prefixes or namespaces.
fn ownership(team: &str, routes: &[Value], owners: &Owners) -> Vec<String> {
    let Some(t) = owners.teams.get(team) else {
        return vec![format!("team: {team:?} is not in OWNERS")];
    };
    let mut out = Vec::new();
    for (i, r) in routes.iter().enumerate() {
        let m = r.get("match");
        let text = |k: &str| m.and_then(|m| m.get(k)).and_then(Value::as_str);
        let (field, start) = if let Some(p) = text("exact").or(text("prefix")) {
            let k = if text("exact").is_some() {
                "exact"
            } else {
                "prefix"
            };
            (k, Some(p.to_string()))
        } else if let Some(re) = text("regex") {
            ("regex", compile_regex(re).ok().map(|c| c.literal_prefix))
        } else {
            continue;
        };
        if let Some(start) = start {
            if !t.prefixes.iter().any(|p| start.starts_with(p.as_str())) {
                out.push(format!(
                    "routes[{i}].match.{field}: {start:?} is outside team {team}'s prefixes {:?}",
                    t.prefixes
                ));
            }
        }
        if let Some(ns) = r.get("namespace").and_then(Value::as_str) {
            if !t.namespaces.iter().any(|n| n == ns) {
                out.push(format!(
                    "routes[{i}].namespace: {ns:?} is not one of team {team}'s namespaces {:?}",
                    t.namespaces
                ));
            }
        }
    }
    out
}

/// Merges `fragments` (file name, text) onto `base` (a pluginConfig).
pub fn merge(
    base: &Value,
    fragments: &[(String, String)],
    owners: Option<&Owners>,
) -> Result<Merged, String> {
    let Value::Object(base) = base else {
        return Err("the base must be a JSON object (a pluginConfig)".into());
    };
    let base_routes: Vec<Value> = base
        .get("routes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let base_problems = problems_of(&Value::Object(base.clone()));
    if !base_problems.is_empty() {
        let p: Vec<String> = base_problems
            .iter()
            .map(|(f, m)| format!("{f}: {m}"))
            .collect();
        return Err(format!("the base is invalid: {}", p.join("; ")));
    }
    // Which file each merged route came from.
    let mut routes = base_routes.clone();
    let mut source: Vec<String> = vec!["the base".to_string(); base_routes.len()];
    let mut left_out = Vec::new();
    for (file, text) in fragments {
        let (team, frag) = match read_fragment(text) {
            Ok(f) => f,
            Err(p) => {
                left_out.push((file.clone(), p));
                continue;
            }
        };
        let mut problems: Vec<String> = problems_of(&with_routes(base, &frag))
            .into_iter()
            .map(|(f, m)| format!("{f}: {m}"))
            .collect();
        if let Some(o) = owners {
            problems.extend(ownership(&team, &frag, o));
        }
        if !problems.is_empty() {
            left_out.push((file.clone(), problems));
            continue;
        }
        let mut candidate = routes.clone();
        candidate.extend(frag.iter().cloned());
        let collisions = problems_of(&with_routes(base, &candidate));
        if collisions.is_empty() {
            source.extend(std::iter::repeat_n(file.clone(), frag.len()));
            routes = candidate;
            continue;
        }
        let mut with: BTreeSet<String> = BTreeSet::new();
        let mut detail = Vec::new();
        for (field, msg) in &collisions {
            for i in route_indexes(&format!("{field} {msg}")) {
                if let Some(s) = source.get(i) {
                    with.insert(s.clone());
                }
            }
            detail.push(format!("{}: {msg}", renumber(field, routes.len())));
        }
        let with: Vec<String> = with.into_iter().collect();
        left_out.push((
            file.clone(),
            vec![format!(
                "collides with {} (the fragment given later is left out): {}",
                if with.is_empty() {
                    "the merged table".to_string()
                } else {
                    with.join(", ")
                },
                detail.join("; ")
            )],
        ));
    }
    Ok(Merged {
        config: with_routes(base, &routes),
        left_out,
    })
}

/// Every `routes[N]` index in a text.
fn route_indexes(text: &str) -> Vec<usize> {
    text.split("routes[")
        .skip(1)
        .filter_map(|s| s.split(']').next()?.parse().ok())
        .collect()
}

/// A merged-table field as the fragment's own (`routes[12]` → `routes[2]`
/// when the fragment starts at 10); earlier routes keep their number.
fn renumber(field: &str, start: usize) -> String {
    match route_indexes(field).first() {
        Some(&i) if i >= start => field.replacen(
            &format!("routes[{i}]"),
            &format!("routes[{}]", i - start),
            1,
        ),
        _ => field.to_string(),
    }
}
