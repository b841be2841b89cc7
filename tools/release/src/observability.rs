//! The shipped observability files (`wasmplugins/observability/`), checked by `release check`:
//! - `telemetry.yaml`: Istio's CRD schema and CEL rules (as every manifest), the access-log
//!   providers it selects defined in `istio-values.yaml`, and each tag it adds to Istio's
//!   metrics listed in `extraStatTags` there (otherwise Envoy folds the tag into the metric's
//!   name instead of making it a label);
//! - `alerts.yaml`: the PrometheusRule shape prometheus-operator accepts (no CRD here: the
//!   fields a rules file has, checked by hand), every metric it names one the filters or Istio
//!   export; `rules_file` is its `spec` as the plain rules file `promtool check rules` reads;
//! - `dashboard.json`: valid JSON, a Prometheus datasource variable that every panel and
//!   query uses, unique panel ids, and queries that name only exported metrics and use no
//!   dashboard variable but `$__rate_interval`.
//!
//! `expressions` lists every PromQL expression of the two, for tests that run them.

use crate::problem::Problem;
use crate::render::documents;
use crate::schema::Schemas;
use anyhow::{Context, Result};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

pub const DIR: &str = "wasmplugins/observability";
pub const TELEMETRY: &str = "wasmplugins/observability/telemetry.yaml";
pub const ALERTS: &str = "wasmplugins/observability/alerts.yaml";
pub const DASHBOARD: &str = "wasmplugins/observability/dashboard.json";

/// The metric families the filters export (the issue 20 metric contract) and the Istio
/// standard metrics the lane panels and alerts use, as Prometheus names them.
pub const FAMILIES: [&str; 11] = [
    "jwt_auth_requests",
    "jwt_auth_jwks_fetches",
    "jwt_auth_jwks_keys",
    "grey_chain_requests",
    "grey_chain_correlation_table_entries",
    "grey_chain_correlation_table_events",
    "faas_router_requests",
    "faas_router_routes",
    "istio_requests_total",
    "istio_request_duration_milliseconds_bucket",
    "istio_request_duration_milliseconds_count",
];

/// Labels Istio's stats filter already puts on its standard metrics: a tagOverride of one of
/// these needs no `extraStatTags` entry.
const ISTIO_STANDARD_LABELS: [&str; 25] = [
    "reporter",
    "source_workload",
    "source_workload_namespace",
    "source_principal",
    "source_app",
    "source_version",
    "source_cluster",
    "source_canonical_service",
    "source_canonical_revision",
    "destination_workload",
    "destination_workload_namespace",
    "destination_principal",
    "destination_app",
    "destination_version",
    "destination_service",
    "destination_service_name",
    "destination_service_namespace",
    "destination_cluster",
    "destination_canonical_service",
    "destination_canonical_revision",
    "request_protocol",
    "response_code",
    "grpc_response_status",
    "response_flags",
    "connection_security_policy",
];

/// Providers every Istio install has without an `extensionProviders` entry.
const BUILTIN_PROVIDERS: [&str; 3] = ["prometheus", "envoy", "stackdriver"];

fn problem(file: &str, field: &str, message: impl Into<String>) -> Problem {
    Problem {
        resource: file.into(),
        field: field.into(),
        message: message.into(),
    }
}

fn read(root: &Path, file: &str) -> Result<String> {
    let path = root.join(file);
    std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
}

/// Every problem of the three files under `root` (the workspace).
pub fn check(root: &Path, schemas: &Schemas) -> Result<Vec<Problem>> {
    let values = documents(&read(root, crate::proxy_config::VALUES)?)?
        .into_iter()
        .next()
        .unwrap_or(Value::Null);
    let mut problems = check_telemetry(&documents(&read(root, TELEMETRY)?)?, &values, schemas);
    problems.extend(check_alerts(&read(root, ALERTS)?));
    problems.extend(check_dashboard(&read(root, DASHBOARD)?));
    Ok(problems)
}

/// Telemetry resources against the schemas and the values file.
pub fn check_telemetry(docs: &[Value], values: &Value, schemas: &Schemas) -> Vec<Problem> {
    let mut problems = crate::validate::check_resources(docs, schemas);
    let providers: BTreeSet<&str> = values["meshConfig"]["extensionProviders"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str())
        .chain(BUILTIN_PROVIDERS)
        .collect();
    let tags: BTreeSet<&str> = values["meshConfig"]["defaultConfig"]["extraStatTags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    for doc in docs.iter().filter(|d| d["kind"] == "Telemetry") {
        let resource = crate::render::resource_name(doc);
        for section in ["accessLogging", "metrics"] {
            for (i, entry) in doc["spec"][section]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                for (j, p) in entry["providers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    let name = p["name"].as_str().unwrap_or_default();
                    if !providers.contains(name) {
                        problems.push(problem(
                            &resource,
                            &format!("spec.{section}[{i}].providers[{j}].name"),
                            format!(
                                "{name:?} is neither built in nor in meshConfig.extensionProviders of {}",
                                crate::proxy_config::VALUES
                            ),
                        ));
                    }
                }
            }
        }
        for (i, metrics) in doc["spec"]["metrics"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            for (j, o) in metrics["overrides"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                for (tag, how) in o["tagOverrides"].as_object().into_iter().flatten() {
                    if how["operation"] == "REMOVE"
                        || ISTIO_STANDARD_LABELS.contains(&tag.as_str())
                        || tags.contains(tag.as_str())
                    {
                        continue;
                    }
                    problems.push(problem(
                        &resource,
                        &format!("spec.metrics[{i}].overrides[{j}].tagOverrides.{tag}"),
                        format!(
                            "a new label needs {tag:?} in meshConfig.defaultConfig.extraStatTags of {} (else Envoy folds it into the metric name)",
                            crate::proxy_config::VALUES
                        ),
                    ));
                }
            }
        }
    }
    problems
}

/// The `spec` of the PrometheusRule in `alerts_yaml` as a plain rules file
/// (`groups:`), what `promtool check rules` and a Prometheus without the operator read.
pub fn rules_file(alerts_yaml: &str) -> Result<String> {
    let docs = documents(alerts_yaml)?;
    let spec = docs
        .first()
        .map(|d| d["spec"].clone())
        .context("no document")?;
    Ok(serde_norway::to_string(&spec)?)
}

/// A Prometheus duration: one or more `<number><unit>`.
fn is_duration(s: &str) -> bool {
    let mut rest = s;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        let Some(unit) = ["ms", "s", "m", "h", "d", "w", "y"]
            .into_iter()
            .find(|u| rest.starts_with(u))
        else {
            return false;
        };
        rest = &rest[unit.len()..];
    }
    true
}

const RULE_FIELDS: [&str; 7] = [
    "alert",
    "record",
    "expr",
    "for",
    "keep_firing_for",
    "labels",
    "annotations",
];

/// The PrometheusRule shape of `alerts.yaml`'s text.
pub fn check_alerts(text: &str) -> Vec<Problem> {
    let file = ALERTS;
    let docs = match documents(text) {
        Ok(d) => d,
        Err(e) => return vec![problem(file, "(file)", format!("not YAML: {e:#}"))],
    };
    let [doc] = docs.as_slice() else {
        return vec![problem(
            file,
            "(file)",
            "must hold exactly one PrometheusRule",
        )];
    };
    let mut p = Vec::new();
    if doc["apiVersion"] != "monitoring.coreos.com/v1" || doc["kind"] != "PrometheusRule" {
        p.push(problem(
            file,
            "kind",
            "must be apiVersion monitoring.coreos.com/v1, kind PrometheusRule",
        ));
    }
    for field in ["name", "namespace"] {
        if doc["metadata"][field].as_str().is_none_or(str::is_empty) {
            p.push(problem(file, &format!("metadata.{field}"), "missing"));
        }
    }
    let groups = doc["spec"]["groups"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    if groups.is_empty() {
        p.push(problem(file, "spec.groups", "no rule group"));
    }
    let mut group_names = BTreeSet::new();
    for (g, group) in groups.iter().enumerate() {
        let at = format!("spec.groups[{g}]");
        match group["name"].as_str() {
            Some(n) if !n.is_empty() => {
                if !group_names.insert(n) {
                    p.push(problem(file, &format!("{at}.name"), format!("{n:?} twice")));
                }
            }
            _ => p.push(problem(file, &format!("{at}.name"), "missing")),
        }
        let rules = group["rules"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        if rules.is_empty() {
            p.push(problem(file, &format!("{at}.rules"), "no rule"));
        }
        for (r, rule) in rules.iter().enumerate() {
            let at = format!("{at}.rules[{r}]");
            for key in rule.as_object().into_iter().flatten().map(|(k, _)| k) {
                if !RULE_FIELDS.contains(&key.as_str()) {
                    p.push(problem(file, &format!("{at}.{key}"), "unknown rule field"));
                }
            }
            if rule["alert"].is_string() == rule["record"].is_string() {
                p.push(problem(file, &at, "set exactly one of alert and record"));
            }
            match rule["expr"].as_str() {
                Some(e) if !e.trim().is_empty() => {
                    for m in unknown_metrics(e) {
                        p.push(problem(
                            file,
                            &format!("{at}.expr"),
                            format!("{m}: no filter or Istio exports this metric"),
                        ));
                    }
                }
                _ => p.push(problem(file, &format!("{at}.expr"), "missing")),
            }
            for key in ["for", "keep_firing_for"] {
                if let Some(d) = rule.get(key) {
                    if !d.as_str().is_some_and(is_duration) {
                        p.push(problem(file, &format!("{at}.{key}"), "not a duration"));
                    }
                }
            }
            for key in ["labels", "annotations"] {
                let Some(map) = rule.get(key) else { continue };
                let strings = map
                    .as_object()
                    .is_some_and(|m| m.values().all(Value::is_string));
                if !strings {
                    p.push(problem(
                        file,
                        &format!("{at}.{key}"),
                        "must map names to strings",
                    ));
                }
            }
        }
    }
    p
}

/// Names in `expr` that look like one of ours or Istio's metrics and are not exported.
fn unknown_metrics(expr: &str) -> Vec<String> {
    let mut unknown = Vec::new();
    let mut word = String::new();
    let mut in_string = false;
    for c in expr.chars().chain([' ']) {
        if c == '"' {
            in_string = !in_string;
        }
        if !in_string && (c.is_ascii_alphanumeric() || c == '_' || c == ':') {
            word.push(c);
            continue;
        }
        let ours = ["jwt_auth_", "grey_chain_", "faas_router_", "istio_"]
            .iter()
            .any(|p| word.starts_with(p));
        if ours && !FAMILIES.contains(&word.as_str()) && !unknown.contains(&word) {
            unknown.push(word.clone());
        }
        word.clear();
    }
    unknown
}

/// Every query of the dashboard as (panel title, expr).
fn dashboard_queries(dashboard: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack: Vec<&Value> = dashboard["panels"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    while let Some(panel) = stack.pop() {
        stack.extend(panel["panels"].as_array().into_iter().flatten());
        for t in panel["targets"].as_array().into_iter().flatten() {
            out.push((
                panel["title"].as_str().unwrap_or_default().to_string(),
                t["expr"].as_str().unwrap_or_default().to_string(),
            ));
        }
    }
    out
}

/// The dashboard's shape (see the module comment).
pub fn check_dashboard(text: &str) -> Vec<Problem> {
    let file = DASHBOARD;
    let dashboard: Value = match serde_json::from_str(text) {
        Ok(d) => d,
        Err(e) => return vec![problem(file, "(file)", format!("not JSON: {e}"))],
    };
    let mut p = Vec::new();
    for field in ["title", "uid"] {
        if dashboard[field].as_str().is_none_or(str::is_empty) {
            p.push(problem(file, field, "missing"));
        }
    }
    let variable = dashboard["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|v| v["type"] == "datasource" && v["query"] == "prometheus")
        .and_then(|v| v["name"].as_str());
    let Some(variable) = variable else {
        p.push(problem(
            file,
            "templating.list",
            "no Prometheus datasource variable (type datasource, query prometheus)",
        ));
        return p;
    };
    let uid = format!("${{{variable}}}");
    let mut ids = BTreeSet::new();
    let mut stack: Vec<(String, &Value)> = dashboard["panels"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, v)| (format!("panels[{i}]"), v))
        .collect();
    if stack.is_empty() {
        p.push(problem(file, "panels", "no panel"));
    }
    while let Some((at, panel)) = stack.pop() {
        stack.extend(
            panel["panels"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
                .map(|(i, v)| (format!("{at}.panels[{i}]"), v)),
        );
        match panel["id"].as_u64() {
            Some(id) if ids.insert(id) => {}
            _ => p.push(problem(file, &format!("{at}.id"), "missing or not unique")),
        }
        if panel["type"] == "row" {
            continue;
        }
        if panel["datasource"]["uid"] != uid.as_str() {
            p.push(problem(
                file,
                &format!("{at}.datasource.uid"),
                format!("must be {uid:?} (the datasource variable)"),
            ));
        }
        let targets = panel["targets"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        if targets.is_empty() {
            p.push(problem(file, &format!("{at}.targets"), "no query"));
        }
        for (i, t) in targets.iter().enumerate() {
            let at = format!("{at}.targets[{i}]");
            if t["datasource"]["uid"] != uid.as_str() {
                p.push(problem(
                    file,
                    &format!("{at}.datasource.uid"),
                    format!("must be {uid:?}"),
                ));
            }
            let expr = t["expr"].as_str().unwrap_or_default();
            if expr.trim().is_empty() {
                p.push(problem(file, &format!("{at}.expr"), "missing"));
            }
            let without = expr.replace("$__rate_interval", "");
            if without.contains('$') {
                p.push(problem(
                    file,
                    &format!("{at}.expr"),
                    "uses a dashboard variable other than $__rate_interval",
                ));
            }
            for m in unknown_metrics(expr) {
                p.push(problem(
                    file,
                    &format!("{at}.expr"),
                    format!("{m}: no filter or Istio exports this metric"),
                ));
            }
        }
    }
    p
}

/// Every PromQL expression of `dashboard.json` (with `$__rate_interval` as it stands) and
/// `alerts.yaml` under `root`, as (where, expr).
pub fn expressions(root: &Path) -> Result<Vec<(String, String)>> {
    let dashboard: Value = serde_json::from_str(&read(root, DASHBOARD)?)?;
    let mut out: Vec<(String, String)> = dashboard_queries(&dashboard)
        .into_iter()
        .map(|(title, e)| (format!("{DASHBOARD}: {title}"), e))
        .collect();
    let alerts = documents(&read(root, ALERTS)?)?;
    for group in alerts
        .first()
        .map(|d| d["spec"]["groups"].clone())
        .and_then(|g| g.as_array().cloned())
        .unwrap_or_default()
    {
        for rule in group["rules"].as_array().into_iter().flatten() {
            let name = rule["alert"].as_str().or(rule["record"].as_str());
            out.push((
                format!("{ALERTS}: {}", name.unwrap_or("?")),
                rule["expr"].as_str().unwrap_or_default().to_string(),
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        for ok in ["10m", "1h30m", "500ms", "2d"] {
            assert!(is_duration(ok), "{ok}");
        }
        for bad in ["", "10", "m", "1.5h", "10 m"] {
            assert!(!is_duration(bad), "{bad}");
        }
    }

    #[test]
    fn metric_names_outside_strings_are_checked() {
        assert_eq!(
            unknown_metrics(
                r#"sum(rate(jwt_auth_request{reason="istio_x"}[5m])) / istio_requests_total"#
            ),
            ["jwt_auth_request"]
        );
        assert!(unknown_metrics("histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket[1m])))").is_empty());
    }

    #[test]
    fn alerts_shape_names_each_field() {
        let text = "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: a}\nspec:\n  groups:\n  - name: g\n    rules:\n    - alert: A\n      record: B\n      expr: faas_router_request > 0\n      for: ten\n      labels: {n: 1}\n      typo: x\n";
        let fields: Vec<String> = check_alerts(text).into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                "metadata.namespace",
                "spec.groups[0].rules[0].typo",
                "spec.groups[0].rules[0]",
                "spec.groups[0].rules[0].expr",
                "spec.groups[0].rules[0].for",
                "spec.groups[0].rules[0].labels",
            ]
        );
    }

    #[test]
    fn dashboard_shape_names_each_field() {
        assert_eq!(check_dashboard("{")[0].field, "(file)");
        let d = r#"{"title": "t", "uid": "u",
            "templating": {"list": [{"name": "ds", "type": "datasource", "query": "prometheus"}]},
            "panels": [{"id": 1, "type": "timeseries", "datasource": {"uid": "${ds}"},
                "targets": [{"datasource": {"uid": "x"}, "expr": "rate(jwt_auth_requests[$interval])"}]}]}"#;
        let fields: Vec<String> = check_dashboard(d).into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                "panels[0].targets[0].datasource.uid",
                "panels[0].targets[0].expr"
            ]
        );
    }
}
