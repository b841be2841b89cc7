//! A model of istio-agent's bootstrap generation, only as far as stats go: the `stats_config`
//! block istio-agent would write for a proxy whose ProxyConfig is `meshConfig.defaultConfig`
//! of `wasmplugins/observability/istio-values.yaml`, so an e2e Envoy exports the filters'
//! metrics as a real Istio proxy would.
//!
//! It is a model, not Istio. It follows istio's `pkg/bootstrap/config.go` (`getStatsOptions`)
//! and the template `tools/packaging/common/envoy_bootstrap.json`:
//! - `use_all_default_tags: false`;
//! - `stats_tags`: one `{"tag_name": t, "regex": "(t=\.=(.*?);\.;)"}` per ProxyConfig
//!   `extraStatTags` name (empty and repeated names dropped), after Istio's own fixed tags,
//!   of which only those that can touch `wasmcustom.*` names are kept here (`wasm_filter`,
//!   `component`, `cache`, `tag`: a real proxy has them too);
//! - `stats_matcher.inclusion_list`: the ProxyConfig `proxyStatsMatcher` prefixes, suffixes and
//!   regexps (`safe_regex`), plus what istio-agent always adds: the prefixes `reporter=`,
//!   `cluster_manager`, `listener_manager`, `server`, `cluster.xds-grpc`, `wasm`, `component`,
//!   `istio`; the suffixes `rbac.allowed`, `rbac.denied`, `shadow_allowed`, `shadow_denied`; the
//!   regexp `vhost\..*\.route\..*`.
//!
//! Not modelled: the `sidecar.istio.io/statsInclusion*` and `extraStatTags` pod annotations
//! (the ProxyConfig annotation `proxy.istio.io/config` is the same ProxyConfig and is what the
//! kfaas gateway uses), `{pod_ip}` substitution, histogram buckets, the other default tags.

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// Prefixes istio-agent always includes (`requiredEnvoyStatsMatcherInclusionPrefixes`, and the
/// template's fixed `reporter=`, `component`, `istio`).
const REQUIRED_PREFIXES: [&str; 8] = [
    "reporter=",
    "cluster_manager",
    "listener_manager",
    "server",
    "cluster.xds-grpc",
    "wasm",
    "component",
    "istio",
];
/// `rbacEnvoyStatsMatcherInclusionSuffix`.
const REQUIRED_SUFFIXES: [&str; 4] = [
    "rbac.allowed",
    "rbac.denied",
    "shadow_allowed",
    "shadow_denied",
];
/// `requiredEnvoyStatsMatcherInclusionRegexes`.
const REQUIRED_REGEXPS: [&str; 1] = [r"vhost\..*\.route\..*"];

/// The ProxyConfig fields this model reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyStats {
    pub inclusion_prefixes: Vec<String>,
    pub inclusion_suffixes: Vec<String>,
    pub inclusion_regexps: Vec<String>,
    pub extra_stat_tags: Vec<String>,
}

/// `wasmplugins/observability/istio-values.yaml` in this checkout.
pub fn istio_values_path() -> PathBuf {
    crate::workspace_root().join("wasmplugins/observability/istio-values.yaml")
}

impl ProxyStats {
    /// `meshConfig.defaultConfig` of Helm values for istiod.
    pub fn from_istio_values(path: &Path) -> Result<ProxyStats> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let values: Value = serde_norway::from_str(&text)
            .with_context(|| format!("parsing {} as YAML", path.display()))?;
        let Some(config) = values.pointer("/meshConfig/defaultConfig") else {
            bail!("{}: no meshConfig.defaultConfig", path.display());
        };
        Self::from_proxy_config(config)
            .with_context(|| format!("{}: meshConfig.defaultConfig", path.display()))
    }

    /// A ProxyConfig as JSON (its `proxyStatsMatcher` and `extraStatTags`).
    pub fn from_proxy_config(config: &Value) -> Result<ProxyStats> {
        let list = |v: Option<&Value>, field: &str| -> Result<Vec<String>> {
            match v {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|i| match i.as_str() {
                        Some(s) => Ok(s.to_string()),
                        None => bail!("{field}: {i} is not a string"),
                    })
                    .collect(),
                Some(other) => bail!("{field}: {other} is not a list"),
            }
        };
        let matcher = config.get("proxyStatsMatcher");
        let field = |name: &str| matcher.and_then(|m| m.get(name));
        Ok(ProxyStats {
            inclusion_prefixes: list(
                field("inclusionPrefixes"),
                "proxyStatsMatcher.inclusionPrefixes",
            )?,
            inclusion_suffixes: list(
                field("inclusionSuffixes"),
                "proxyStatsMatcher.inclusionSuffixes",
            )?,
            inclusion_regexps: list(
                field("inclusionRegexps"),
                "proxyStatsMatcher.inclusionRegexps",
            )?,
            extra_stat_tags: list(config.get("extraStatTags"), "extraStatTags")?,
        })
    }

    /// The bootstrap `stats_config` istio-agent would generate.
    pub fn stats_config(&self) -> Value {
        let mut tags = Vec::new();
        for tag in &self.extra_stat_tags {
            if tag.is_empty() || tags.contains(&tag.as_str()) {
                continue;
            }
            tags.push(tag.as_str());
        }
        let mut stats_tags: Vec<Value> = tags
            .iter()
            .map(|t| json!({"tag_name": t, "regex": format!(r"({t}=\.=(.*?);\.;)")}))
            .collect();
        for (name, regex) in [
            ("cache", r"(cache\.(.+?)\.)"),
            ("component", r"(component\.(.+?)\.)"),
            ("tag", r"(tag\.(.+?);\.)"),
            ("wasm_filter", r"(wasm_filter\.(.+?)\.)"),
        ] {
            stats_tags.push(json!({"tag_name": name, "regex": regex}));
        }
        let mut patterns: Vec<Value> = Vec::new();
        let prefixes = self
            .inclusion_prefixes
            .iter()
            .map(String::as_str)
            .chain(REQUIRED_PREFIXES);
        patterns.extend(prefixes.map(|p| json!({"prefix": p})));
        let suffixes = self
            .inclusion_suffixes
            .iter()
            .map(String::as_str)
            .chain(REQUIRED_SUFFIXES);
        patterns.extend(suffixes.map(|s| json!({"suffix": s})));
        let regexps = self
            .inclusion_regexps
            .iter()
            .map(String::as_str)
            .chain(REQUIRED_REGEXPS);
        patterns.extend(regexps.map(|r| json!({"safe_regex": {"regex": r}})));
        json!({
            "use_all_default_tags": false,
            "stats_tags": stats_tags,
            "stats_matcher": {"inclusion_list": {"patterns": patterns}},
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_tag_regex_per_extra_stat_tag_and_the_required_inclusions() {
        let config = json!({
            "proxyStatsMatcher": {"inclusionRegexps": [r"wasmcustom\.x\..*"]},
            "extraStatTags": ["lane", "", "lane", "result"],
        });
        let stats = ProxyStats::from_proxy_config(&config).map(|s| s.stats_config());
        let stats = stats.unwrap_or_default();
        assert_eq!(stats["stats_tags"][0]["regex"], r"(lane=\.=(.*?);\.;)");
        assert_eq!(stats["stats_tags"][1]["tag_name"], "result");
        assert_eq!(stats["stats_tags"][2]["tag_name"], "cache");
        let patterns = stats["stats_matcher"]["inclusion_list"]["patterns"].to_string();
        assert!(patterns.contains(r#"{"safe_regex":{"regex":"wasmcustom\\.x\\..*"}}"#));
        assert!(patterns.contains(r#"{"prefix":"wasm"}"#));
        assert!(patterns.contains(r#"{"suffix":"rbac.denied"}"#));
    }

    #[test]
    fn a_field_of_the_wrong_shape_is_an_error_naming_it() {
        let bad = json!({"proxyStatsMatcher": {"inclusionRegexps": "x"}});
        let e = ProxyStats::from_proxy_config(&bad).map(|_| ()).unwrap_err();
        assert!(e.to_string().contains("proxyStatsMatcher.inclusionRegexps"));
    }
}
