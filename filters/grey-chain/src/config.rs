//! What a grey-chain configuration is, and how it is checked and compiled:
//! every bad field is named, the request path only does lookups.

use filters_common::{parse_config, ConfigErrors};
use regex_lite::Regex;
use serde::Deserialize;

pub const DEFAULT_TAG_HEADER: &str = "x-grey";
pub const DEFAULT_BAGGAGE_KEY: &str = "lane";
pub const DEFAULT_CORRELATION_HEADERS: [&str; 3] = ["traceparent", "x-b3-traceid", "x-request-id"];
pub const DEFAULT_TTL_SECONDS: u64 = 60;
pub const DEFAULT_MAX_ENTRIES: u64 = 50_000;
/// Upper bound of `maxEntries`: keeps the shared table's memory bounded (README).
pub const MAX_MAX_ENTRIES: u64 = 1_000_000;
pub const MAX_TTL_SECONDS: u64 = 86_400;
pub const MAX_LANE_LEN: usize = 63;
/// Percentages are resolved to 1/100 of a percent: a bucket out of 10 000.
pub const PERCENT_BUCKETS: u32 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Gateway,
    Sidecar,
}

/// The compiled configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub mode: Mode,
    pub tag_header: String,
    pub lanes: Vec<String>,
    /// `sidecar.baggageKey` (the gateway writes the same member).
    pub baggage_key: String,
    pub gateway: Option<Gateway>,
    pub sidecar: Option<Sidecar>,
}

impl Config {
    /// The configured lane equal to `name`, if any.
    pub fn lane(&self, name: &str) -> Option<&str> {
        self.lanes.iter().find(|l| *l == name).map(String::as_str)
    }
}

#[derive(Debug, Clone)]
pub struct Gateway {
    pub rules: Vec<Rule>,
    pub trust_incoming_tag: bool,
}

/// A rule applies when its `match` (if any) holds and the request's hash key
/// falls under its percentage (if any).
#[derive(Debug, Clone)]
pub struct Rule {
    pub lane: String,
    pub matcher: Option<Matcher>,
    pub percentage: Option<Percentage>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Header(String),
    Cookie(String),
    Query(String),
}

#[derive(Debug, Clone)]
pub struct Matcher {
    pub source: Source,
    pub test: Test,
}

#[derive(Debug, Clone)]
pub enum Test {
    Exact(String),
    Prefix(String),
    /// Anchored: the whole value must match, as Envoy's `safe_regex`.
    Regex(Regex),
    In(Vec<String>),
    /// `true`: the value is present; `false`: it is absent.
    Present(bool),
}

#[derive(Debug, Clone)]
pub struct Percentage {
    /// A request is in when its bucket (out of `PERCENT_BUCKETS`) is below this.
    pub threshold: u32,
    pub hash_by: Source,
}

#[derive(Debug, Clone)]
pub struct Sidecar {
    /// (label key, label value = lane) of pods that seed their lane.
    pub pod_label: Option<(String, String)>,
    /// `direction`: the listener direction asserted by the configuration
    /// (`None`: read per request). See `direction.rs`.
    pub direction: Option<crate::sidecar::Direction>,
    pub correlation: Correlation,
}

#[derive(Debug, Clone)]
pub struct Correlation {
    pub headers: Vec<String>,
    pub ttl_seconds: u64,
    pub max_entries: u32,
}

// ---- the JSON shape ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawConfig {
    mode: RawMode,
    #[serde(default = "default_tag_header")]
    tag_header: String,
    lanes: Vec<String>,
    #[serde(default)]
    gateway: Option<RawGateway>,
    #[serde(default)]
    sidecar: Option<RawSidecar>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum RawMode {
    Gateway,
    Sidecar,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawGateway {
    #[serde(default)]
    rules: Vec<RawRule>,
    #[serde(default)]
    trust_incoming_tag: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawRule {
    lane: String,
    #[serde(default, rename = "match")]
    matcher: Option<RawMatch>,
    #[serde(default)]
    percentage: Option<f64>,
    #[serde(default)]
    hash_by: Option<RawSource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatch {
    header: Option<RawMatcher>,
    cookie: Option<RawMatcher>,
    query: Option<RawMatcher>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatcher {
    name: String,
    exact: Option<String>,
    prefix: Option<String>,
    regex: Option<String>,
    #[serde(rename = "in")]
    one_of: Option<Vec<String>>,
    present: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    header: Option<String>,
    cookie: Option<String>,
    query: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawSidecar {
    #[serde(default)]
    pod_label: Option<RawPodLabel>,
    #[serde(default)]
    direction: Option<RawDirection>,
    #[serde(default)]
    correlation: RawCorrelation,
    #[serde(default = "default_baggage_key")]
    baggage_key: String,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum RawDirection {
    Inbound,
    Outbound,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPodLabel {
    key: String,
    value: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawCorrelation {
    #[serde(default = "default_correlation_headers")]
    headers: Vec<String>,
    #[serde(default = "default_ttl")]
    ttl_seconds: u64,
    #[serde(default = "default_max_entries")]
    max_entries: u64,
}

impl Default for RawCorrelation {
    fn default() -> Self {
        RawCorrelation {
            headers: default_correlation_headers(),
            ttl_seconds: DEFAULT_TTL_SECONDS,
            max_entries: DEFAULT_MAX_ENTRIES,
        }
    }
}

fn default_tag_header() -> String {
    DEFAULT_TAG_HEADER.to_string()
}
fn default_baggage_key() -> String {
    DEFAULT_BAGGAGE_KEY.to_string()
}
fn default_correlation_headers() -> Vec<String> {
    DEFAULT_CORRELATION_HEADERS
        .iter()
        .map(|s| s.to_string())
        .collect()
}
fn default_ttl() -> u64 {
    DEFAULT_TTL_SECONDS
}
fn default_max_entries() -> u64 {
    DEFAULT_MAX_ENTRIES
}

// ---- checks ----

/// RFC 9110 `tchar`.
pub fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

pub fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

/// A lane travels in a header value, a baggage value and the shared table:
/// letters, digits, `.`, `_`, `-`, starting with a letter or digit.
pub fn is_lane_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphanumeric())
        && s.len() <= MAX_LANE_LEN
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
}

fn check_header_name(errors: &mut ConfigErrors, field: &str, name: &str) {
    if !is_token(name) || name.bytes().any(|b| b.is_ascii_uppercase()) {
        errors.add(field, "must be a lowercase HTTP header name");
    }
}

/// Rule matchers may also read the pseudo-headers `:authority`, `:path`, `:method`.
fn check_match_header_name(errors: &mut ConfigErrors, field: &str, name: &str) {
    match name.strip_prefix(':') {
        Some("authority" | "path" | "method" | "scheme") => {}
        _ => check_header_name(errors, field, name),
    }
}

fn check_query_name(errors: &mut ConfigErrors, field: &str, name: &str) {
    if name.is_empty()
        || name
            .bytes()
            .any(|b| matches!(b, b'&' | b'=' | b'#' | b'?') || !b.is_ascii_graphic())
    {
        errors.add(
            field,
            "must be a non-empty query parameter name without & = # ?",
        );
    }
}

fn compile_source(
    errors: &mut ConfigErrors,
    field: &str,
    header: Option<String>,
    cookie: Option<String>,
    query: Option<String>,
) -> Option<Source> {
    let given = usize::from(header.is_some())
        + usize::from(cookie.is_some())
        + usize::from(query.is_some());
    if given != 1 {
        errors.add(
            field,
            "exactly one of `header`, `cookie`, `query` is required",
        );
        return None;
    }
    if let Some(name) = header {
        check_match_header_name(errors, &format!("{field}.header"), &name);
        Some(Source::Header(name))
    } else if let Some(name) = cookie {
        if !is_token(&name) {
            errors.add(
                format!("{field}.cookie"),
                "must be a cookie name (an HTTP token)",
            );
        }
        Some(Source::Cookie(name))
    } else {
        let name = query.unwrap_or_default();
        check_query_name(errors, &format!("{field}.query"), &name);
        Some(Source::Query(name))
    }
}

fn compile_matcher(errors: &mut ConfigErrors, field: &str, raw: RawMatch) -> Option<Matcher> {
    let (kind, m) = match (raw.header, raw.cookie, raw.query) {
        (Some(m), None, None) => ("header", m),
        (None, Some(m), None) => ("cookie", m),
        (None, None, Some(m)) => ("query", m),
        _ => {
            errors.add(
                field,
                "exactly one of `header`, `cookie`, `query` is required",
            );
            return None;
        }
    };
    let f = format!("{field}.{kind}");
    let source = match kind {
        "header" => {
            check_match_header_name(errors, &format!("{f}.name"), &m.name);
            Source::Header(m.name)
        }
        "cookie" => {
            if !is_token(&m.name) {
                errors.add(format!("{f}.name"), "must be a cookie name (an HTTP token)");
            }
            Source::Cookie(m.name)
        }
        _ => {
            check_query_name(errors, &format!("{f}.name"), &m.name);
            Source::Query(m.name)
        }
    };
    let given = [
        m.exact.is_some(),
        m.prefix.is_some(),
        m.regex.is_some(),
        m.one_of.is_some(),
        m.present.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if given != 1 {
        errors.add(
            &f,
            "exactly one of `exact`, `prefix`, `regex`, `in`, `present` is required",
        );
        return None;
    }
    let test = if let Some(v) = m.exact {
        Test::Exact(v)
    } else if let Some(v) = m.prefix {
        if v.is_empty() {
            errors.add(format!("{f}.prefix"), "must not be empty (use `present`)");
        }
        Test::Prefix(v)
    } else if let Some(v) = m.regex {
        match regex_lite::RegexBuilder::new(&format!("^(?:{v})$"))
            .size_limit(1 << 20)
            .build()
        {
            Ok(re) => Test::Regex(re),
            Err(e) => {
                errors.add(format!("{f}.regex"), format!("does not compile: {e}"));
                return None;
            }
        }
    } else if let Some(v) = m.one_of {
        if v.is_empty() {
            errors.add(format!("{f}.in"), "must list at least one value");
        }
        Test::In(v)
    } else {
        Test::Present(m.present.unwrap_or(true))
    };
    Some(Matcher { source, test })
}

fn compile_rule(
    errors: &mut ConfigErrors,
    field: &str,
    lanes: &[String],
    raw: RawRule,
) -> Option<Rule> {
    if !lanes.contains(&raw.lane) {
        errors.add(
            format!("{field}.lane"),
            format!("`{}` is not one of `lanes`", raw.lane),
        );
    }
    if raw.matcher.is_none() && raw.percentage.is_none() {
        errors.add(field, "a rule needs `match`, `percentage`, or both");
    }
    let matcher = raw
        .matcher
        .and_then(|m| compile_matcher(errors, &format!("{field}.match"), m));
    let percentage = match (raw.percentage, raw.hash_by) {
        (None, None) => None,
        (None, Some(_)) => {
            errors.add(format!("{field}.hashBy"), "only allowed with `percentage`");
            None
        }
        (Some(_), None) => {
            errors.add(
                format!("{field}.hashBy"),
                "required with `percentage`: a stable key, never random",
            );
            None
        }
        (Some(p), Some(h)) => {
            let source = compile_source(
                errors,
                &format!("{field}.hashBy"),
                h.header,
                h.cookie,
                h.query,
            );
            if !(0.0..=100.0).contains(&p) {
                errors.add(format!("{field}.percentage"), "must be between 0 and 100");
                None
            } else {
                // Resolution 0.01 %; `as` is exact here: the value is in 0..=10000.
                let threshold = (p * 100.0).round() as u32;
                source.map(|hash_by| Percentage { threshold, hash_by })
            }
        }
    };
    Some(Rule {
        lane: raw.lane,
        matcher,
        percentage,
    })
}

fn compile_sidecar(
    errors: &mut ConfigErrors,
    lanes: &[String],
    raw: RawSidecar,
) -> (Sidecar, String) {
    if !is_token(&raw.baggage_key) || raw.baggage_key.bytes().any(|b| b.is_ascii_uppercase()) {
        errors.add(
            "sidecar.baggageKey",
            "must be a lowercase baggage key (an HTTP token)",
        );
    }
    let pod_label = raw.pod_label.map(|p| {
        if p.key.is_empty() {
            errors.add("sidecar.podLabel.key", "must not be empty");
        }
        if !lanes.contains(&p.value) {
            errors.add(
                "sidecar.podLabel.value",
                format!("`{}` is not one of `lanes`", p.value),
            );
        }
        (p.key, p.value)
    });
    let c = raw.correlation;
    if c.headers.is_empty() {
        errors.add(
            "sidecar.correlation.headers",
            "must list at least one header",
        );
    }
    for (i, h) in c.headers.iter().enumerate() {
        check_header_name(errors, &format!("sidecar.correlation.headers[{i}]"), h);
    }
    if !(1..=MAX_TTL_SECONDS).contains(&c.ttl_seconds) {
        errors.add(
            "sidecar.correlation.ttlSeconds",
            format!("must be between 1 and {MAX_TTL_SECONDS}"),
        );
    }
    if !(1..=MAX_MAX_ENTRIES).contains(&c.max_entries) {
        errors.add(
            "sidecar.correlation.maxEntries",
            format!("must be between 1 and {MAX_MAX_ENTRIES}"),
        );
    }
    let direction = raw.direction.map(|d| match d {
        RawDirection::Inbound => crate::sidecar::Direction::Inbound,
        RawDirection::Outbound => crate::sidecar::Direction::Outbound,
    });
    let sidecar = Sidecar {
        pod_label,
        direction,
        correlation: Correlation {
            headers: c.headers,
            ttl_seconds: c.ttl_seconds,
            max_entries: u32::try_from(c.max_entries.clamp(1, MAX_MAX_ENTRIES)).unwrap_or(1),
        },
    };
    (sidecar, raw.baggage_key)
}

/// Parses and checks a configuration, reporting every bad field.
pub fn parse(json: &[u8]) -> Result<Config, ConfigErrors> {
    let raw: RawConfig = parse_config(json)?;
    let mut errors = ConfigErrors::new();

    check_header_name(&mut errors, "tagHeader", &raw.tag_header);
    if raw.tag_header == "baggage" {
        errors.add(
            "tagHeader",
            "must not be `baggage`, which carries the lane as a member",
        );
    }
    if raw.lanes.is_empty() {
        errors.add("lanes", "must list at least one lane");
    }
    for (i, lane) in raw.lanes.iter().enumerate() {
        if !is_lane_name(lane) {
            errors.add(
                format!("lanes[{i}]"),
                "must be 1-63 letters, digits, `.`, `_`, `-`, starting with a letter or digit",
            );
        }
        if raw
            .lanes
            .get(..i)
            .is_some_and(|before| before.contains(lane))
        {
            errors.add(format!("lanes[{i}]"), format!("`{lane}` is listed twice"));
        }
    }

    let mode = match raw.mode {
        RawMode::Gateway => Mode::Gateway,
        RawMode::Sidecar => Mode::Sidecar,
    };
    if mode == Mode::Gateway && raw.gateway.is_none() {
        errors.add("gateway", "required when `mode` is `gateway`");
    }
    if mode == Mode::Sidecar && raw.sidecar.is_none() {
        errors.add("sidecar", "required when `mode` is `sidecar`");
    }

    let gateway = raw.gateway.map(|g| {
        let rules = g
            .rules
            .into_iter()
            .enumerate()
            .filter_map(|(i, r)| {
                compile_rule(&mut errors, &format!("gateway.rules[{i}]"), &raw.lanes, r)
            })
            .collect();
        Gateway {
            rules,
            trust_incoming_tag: g.trust_incoming_tag,
        }
    });
    let (sidecar, baggage_key) = match raw.sidecar {
        Some(s) => {
            let (s, key) = compile_sidecar(&mut errors, &raw.lanes, s);
            (Some(s), key)
        }
        None => (None, DEFAULT_BAGGAGE_KEY.to_string()),
    };
    if sidecar
        .as_ref()
        .is_some_and(|s| s.correlation.headers.contains(&raw.tag_header))
    {
        errors.add("tagHeader", "must not also be a correlation header");
    }

    errors.into_result(Config {
        mode,
        tag_header: raw.tag_header,
        lanes: raw.lanes,
        baggage_key,
        gateway,
        sidecar,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUE_EXAMPLE: &str = r#"{
      "mode": "gateway",
      "tagHeader": "x-grey",
      "lanes": ["grey"],
      "gateway": {
        "rules": [
          {"lane": "grey", "match": {"header": {"name": "end-user", "exact": "test"}}},
          {"lane": "grey", "match": {"cookie": {"name": "lane", "exact": "grey"}}},
          {"lane": "grey", "match": {"header": {"name": "x-jwt-sub", "in": ["alice", "bob"]}}},
          {"lane": "grey", "percentage": 10, "hashBy": {"header": "x-jwt-sub"}}
        ],
        "trustIncomingTag": false
      },
      "sidecar": {
        "podLabel": {"key": "type", "value": "grey"},
        "correlation": {"headers": ["traceparent", "x-b3-traceid", "x-request-id"], "ttlSeconds": 60, "maxEntries": 50000},
        "baggageKey": "lane"
      }
    }"#;

    fn fields(json: &str) -> Vec<String> {
        parse(json.as_bytes())
            .unwrap_err()
            .errors
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn issue_example_parses() {
        let c = parse(ISSUE_EXAMPLE.as_bytes()).unwrap();
        assert_eq!(c.mode, Mode::Gateway);
        assert_eq!(c.tag_header, "x-grey");
        let g = c.gateway.unwrap();
        assert_eq!(g.rules.len(), 4);
        assert_eq!(g.rules[3].percentage.as_ref().unwrap().threshold, 1000);
        assert_eq!(
            g.rules[3].percentage.as_ref().unwrap().hash_by,
            Source::Header("x-jwt-sub".into())
        );
        let s = c.sidecar.unwrap();
        assert_eq!(s.pod_label, Some(("type".into(), "grey".into())));
        assert_eq!(s.correlation.max_entries, 50_000);
    }

    #[test]
    fn defaults() {
        let c = parse(br#"{"mode":"sidecar","lanes":["grey"],"sidecar":{}}"#).unwrap();
        assert_eq!(c.tag_header, "x-grey");
        assert_eq!(c.baggage_key, "lane");
        let s = c.sidecar.unwrap();
        assert_eq!(
            s.correlation.headers,
            vec!["traceparent", "x-b3-traceid", "x-request-id"]
        );
        assert_eq!(s.correlation.ttl_seconds, 60);
        assert_eq!(s.correlation.max_entries, 50_000);
        assert_eq!(s.pod_label, None);
        assert_eq!(s.direction, None);
        let g = parse(br#"{"mode":"gateway","lanes":["grey"],"gateway":{}}"#).unwrap();
        assert_eq!(g.baggage_key, "lane");
        assert!(!g.gateway.unwrap().trust_incoming_tag);
    }

    #[test]
    fn sidecar_direction_pin() {
        use crate::sidecar::Direction;
        let pin = |d: &str| {
            let json =
                format!(r#"{{"mode":"sidecar","lanes":["grey"],"sidecar":{{"direction":{d}}}}}"#);
            parse(json.as_bytes()).map(|c| c.sidecar.unwrap().direction)
        };
        assert_eq!(pin(r#""inbound""#).unwrap(), Some(Direction::Inbound));
        assert_eq!(pin(r#""outbound""#).unwrap(), Some(Direction::Outbound));
        for bad in [r#""INBOUND""#, r#""both""#, "1"] {
            let json =
                format!(r#"{{"mode":"sidecar","lanes":["grey"],"sidecar":{{"direction":{bad}}}}}"#);
            assert_eq!(fields(&json), vec!["sidecar.direction"], "{bad}");
        }
    }

    #[test]
    fn unknown_fields_are_named() {
        assert_eq!(
            fields(r#"{"mode":"gateway","lanes":["grey"],"gateway":{"rulez":[]}}"#),
            vec!["gateway.rulez"]
        );
        assert_eq!(
            fields(
                r#"{"mode":"gateway","lanes":["grey"],"gateway":{"rules":[{"lane":"grey","match":{"header":{"name":"a","exakt":"b"}}}]}}"#
            ),
            vec!["gateway.rules[0].match.header.exakt"]
        );
        assert_eq!(
            fields(r#"{"mode":"ingress","lanes":["grey"]}"#),
            vec!["mode"]
        );
        assert_eq!(fields(r#"{"lanes":["grey"]}"#), vec!["(root)"]);
    }

    #[test]
    fn every_bad_field_is_named() {
        let json = r#"{
          "mode": "sidecar", "tagHeader": "X-Grey", "lanes": ["grey", "bad lane", "grey"],
          "gateway": {"rules": [
            {"lane": "blue", "match": {"header": {"name": "a", "exact": "b"}}},
            {"lane": "grey", "match": {"header": {"name": "a", "regex": "("}}},
            {"lane": "grey", "percentage": 101, "hashBy": {"header": "x"}},
            {"lane": "grey", "percentage": 5},
            {"lane": "grey", "match": {"header": {"name": "a", "exact": "b", "prefix": "c"}}},
            {"lane": "grey", "match": {"header": {"name": "a", "exact": "b"}, "cookie": {"name": "c", "present": true}}},
            {"lane": "grey"},
            {"lane": "grey", "match": {"cookie": {"name": "a b", "in": []}}},
            {"lane": "grey", "match": {"query": {"name": "a=b", "prefix": ""}}},
            {"lane": "grey", "percentage": 5, "hashBy": {"header": "x", "cookie": "y"}},
            {"lane": "grey", "match": {"header": {"name": "a", "exact": "b"}}, "hashBy": {"header": "x"}}
          ]},
          "sidecar": {
            "podLabel": {"key": "", "value": "blue"},
            "correlation": {"headers": ["Traceparent"], "ttlSeconds": 0, "maxEntries": 2000000},
            "baggageKey": "la ne"
          }
        }"#;
        let got = fields(json);
        for want in [
            "tagHeader",
            "lanes[1]",
            "lanes[2]",
            "gateway.rules[0].lane",
            "gateway.rules[1].match.header.regex",
            "gateway.rules[2].percentage",
            "gateway.rules[3].hashBy",
            "gateway.rules[4].match.header",
            "gateway.rules[5].match",
            "gateway.rules[6]",
            "gateway.rules[7].match.cookie.name",
            "gateway.rules[7].match.cookie.in",
            "gateway.rules[8].match.query.name",
            "gateway.rules[8].match.query.prefix",
            "gateway.rules[9].hashBy",
            "gateway.rules[10].hashBy",
            "sidecar.podLabel.key",
            "sidecar.podLabel.value",
            "sidecar.correlation.headers[0]",
            "sidecar.correlation.ttlSeconds",
            "sidecar.correlation.maxEntries",
            "sidecar.baggageKey",
        ] {
            assert!(got.iter().any(|f| f == want), "{want} missing from {got:?}");
        }
    }

    #[test]
    fn mode_sections_are_required() {
        assert_eq!(
            fields(r#"{"mode":"gateway","lanes":["grey"]}"#),
            vec!["gateway"]
        );
        assert_eq!(
            fields(r#"{"mode":"sidecar","lanes":["grey"],"gateway":{}}"#),
            vec!["sidecar"]
        );
        assert_eq!(
            fields(r#"{"mode":"sidecar","lanes":[],"sidecar":{}}"#),
            vec!["lanes"]
        );
    }

    #[test]
    fn tag_header_conflicts() {
        assert_eq!(
            fields(r#"{"mode":"gateway","tagHeader":"baggage","lanes":["g"],"gateway":{}}"#),
            vec!["tagHeader"]
        );
        assert_eq!(
            fields(r#"{"mode":"sidecar","tagHeader":"x-request-id","lanes":["g"],"sidecar":{}}"#),
            vec!["tagHeader"]
        );
    }

    #[test]
    fn lane_names() {
        assert!(is_lane_name("grey"));
        assert!(is_lane_name("v2.1-canary_a"));
        for bad in [
            "",
            "-grey",
            "gr ey",
            "gr,ey",
            "gr;ey",
            "grey|x",
            "gré",
            &"a".repeat(64),
        ] {
            assert!(!is_lane_name(bad), "{bad}");
        }
    }

    #[test]
    fn regex_is_anchored_and_fractional_percentages_resolve() {
        let c = parse(
            br#"{"mode":"gateway","lanes":["g"],"gateway":{"rules":[
              {"lane":"g","match":{"header":{"name":":authority","regex":"a+"}}},
              {"lane":"g","percentage":12.34,"hashBy":{"cookie":"uid"}}]}}"#,
        )
        .unwrap();
        let rules = c.gateway.unwrap().rules;
        let Some(Matcher {
            test: Test::Regex(re),
            ..
        }) = &rules[0].matcher
        else {
            panic!()
        };
        assert!(re.is_match("aaa"));
        assert!(!re.is_match("baaa"));
        assert_eq!(rules[1].percentage.as_ref().unwrap().threshold, 1234);
    }
}
