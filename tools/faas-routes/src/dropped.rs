//! Which parts of the VirtualServices the table has no place for: fields
//! (`dropped`, named by their path) and whole VirtualServices or routes it
//! cannot hold (`unsupported`: mesh-only, no hosts, no http, not toward a
//! cluster service).

use crate::findings::Findings;
use crate::istio_model::{Dest, Model, Uri};
use serde_json::Value;

/// Fields the table has no place for, and routes it cannot hold.
pub(crate) fn report(model: &Model, f: &mut Findings) {
    for (v, vs) in model.vss.iter().enumerate() {
        if !vs.gateway_bound() {
            f.add(
                v,
                "unsupported",
                "spec.gateways",
                "bound to no gateway (mesh: sidecars only): not imported".into(),
            );
            continue;
        }
        if vs.hosts.is_empty() {
            f.add(
                v,
                "unsupported",
                "spec.hosts",
                "no hosts: no request reaches it".into(),
            );
            continue;
        }
        for key in ["tcp", "tls"] {
            if vs
                .spec
                .get(key)
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty())
            {
                f.add(
                    v,
                    "dropped",
                    &format!("spec.{key}"),
                    format!("{key} routes are not HTTP paths"),
                );
            }
        }
        let http = vs.spec.get("http").and_then(Value::as_array);
        if http.is_none_or(|h| h.is_empty()) {
            f.add(
                v,
                "unsupported",
                "spec.http",
                "no http routes: nothing to import".into(),
            );
            continue;
        }
        for (i, route) in http.into_iter().flatten().enumerate() {
            let at = format!("http[{i}]");
            let Some(route) = route.as_object() else {
                continue;
            };
            for (k, val) in route {
                if val.is_null() {
                    continue;
                }
                match k.as_str() {
                    "match" | "route" | "timeout" | "retries" | "name" | "redirect"
                    | "directResponse" | "delegate" => {}
                    "rewrite" => {
                        for rk in val.as_object().into_iter().flatten().map(|(k, _)| k) {
                            if rk != "authority" && rk != "uri" {
                                f.add(
                                    v,
                                    "dropped",
                                    &format!("{at}.rewrite.{rk}"),
                                    "the table rewrites only a path prefix".into(),
                                );
                            }
                        }
                    }
                    other => f.add(
                        v,
                        "dropped",
                        &format!("{at}.{other}"),
                        format!("the table has no {other}"),
                    ),
                }
            }
            for (j, m) in route
                .get("match")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                if m.get("statPrefix").is_some_and(|p| !p.is_null()) {
                    f.add(
                        v,
                        "dropped",
                        &format!("{at}.match[{j}].statPrefix"),
                        "the table keeps its own per-service counters".into(),
                    );
                }
            }
            if let Some(r) = route.get("retries").and_then(Value::as_object) {
                for rk in r
                    .keys()
                    .filter(|k| !["attempts", "perTryTimeout", "retryOn"].contains(&k.as_str()))
                {
                    f.add(
                        v,
                        "dropped",
                        &format!("{at}.retries.{rk}"),
                        "the table's retries have attempts, perTryTimeout and retryOn".into(),
                    );
                }
            }
            let via_authority = route
                .get("rewrite")
                .and_then(|r| r.get("authority"))
                .is_some();
            for (k, d) in route
                .get("route")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let dat = format!("{at}.route[{k}]");
                if !via_authority
                    && d.pointer("/destination/subset")
                        .is_some_and(|s| !s.is_null())
                {
                    f.add(
                        v,
                        "dropped",
                        &format!("{dat}.destination.subset"),
                        "the table sends to the Knative service, not a subset".into(),
                    );
                }
                if d.get("headers").is_some_and(|s| !s.is_null()) {
                    f.add(
                        v,
                        "dropped",
                        &format!("{dat}.headers"),
                        "the table has no header edits".into(),
                    );
                }
            }
        }
    }
    for rules in model.hosts.values() {
        for rule in &rules.rules {
            if let Dest::Unsupported { field, why, .. } = &rule.dest {
                f.add(
                    rule.vs,
                    "unsupported",
                    field,
                    format!("{why}: not imported"),
                );
            }
            for m in &rule.matches {
                if let Some(c) = m.conditions.first() {
                    f.add(
                        rule.vs,
                        "dropped",
                        &format!("{}.{c}", m.field),
                        format!(
                            "the table matches paths only: this match ({}) is not imported; such requests go where the same path without {} goes",
                            m.conditions.join(", "),
                            m.conditions.join(", ")
                        ),
                    );
                } else if m.ignore_case && !matches!(m.uri, Uri::Regex(_) | Uri::Any) {
                    f.add(
                        rule.vs,
                        "dropped",
                        &format!("{}.ignoreUriCase", m.field),
                        format!(
                            "the table is case-sensitive: only {:?} in this case matches",
                            m.uri.pattern()
                        ),
                    );
                }
            }
        }
    }
}
