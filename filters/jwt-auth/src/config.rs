//! How the pluginConfig JSON becomes a compiled configuration: field names of
//! Istio's RequestAuthentication `jwtRules`, the rest after Envoy's
//! `jwt_authn`. Every bad field is named, not only the first.

use crate::jwks::{self, KeySet};
use filters_common::host_match::{parse_host_list, HostPattern};
use filters_common::ConfigErrors;
use serde_json::{Map, Value};

pub const DEFAULT_CLOCK_SKEW_SECONDS: u64 = 60;
/// Envoy's `remote_jwks.cache_duration` default (10 minutes).
pub const DEFAULT_JWKS_CACHE_SECONDS: u64 = 600;
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 8192;
pub const DEFAULT_CACHE_ENTRIES: usize = 10_000;
/// A day: more would make `exp`/`nbf` meaningless.
pub const MAX_CLOCK_SKEW_SECONDS: u64 = 86_400;
/// A week: keys rotated upstream must reach the filter.
pub const MAX_JWKS_CACHE_SECONDS: u64 = 7 * 86_400;
/// Envoy's default header size limit is 60 KiB; a token cannot exceed it.
pub const MAX_MAX_TOKEN_BYTES: usize = 65_536;
pub const MAX_CACHE_ENTRIES: usize = 1_000_000;

// The raw configuration is read from a `serde_json::Value` by hand (see
// `read`): serde derive with path tracking made up a sixth of the wasm module.
#[derive(Debug, Default)]
struct RawConfig {
    jwt_rules: Vec<RawJwtRule>,
    rules: Vec<RawRequirementRule>,
    default_requirement: Option<Requirement>,
    max_token_bytes: Option<u64>,
    token_cache_max_entries: Option<u64>,
    mode: Option<Mode>,
}

#[derive(Debug, Default)]
struct RawJwtRule {
    issuer: Option<String>,
    audiences: Vec<String>,
    jwks: Option<String>,
    jwks_uri: Option<String>,
    jwks_cluster: Option<String>,
    jwks_cache_seconds: Option<u64>,
    from_headers: Option<Vec<RawFromHeader>>,
    from_params: Option<Vec<String>>,
    from_cookies: Option<Vec<String>>,
    output_payload_to_header: Option<String>,
    output_claim_to_headers: Vec<RawClaimHeader>,
    forward_original_token: bool,
    clock_skew_seconds: Option<u64>,
    require_expiration: Option<bool>,
}

#[derive(Debug)]
struct RawFromHeader {
    name: String,
    prefix: String,
}

#[derive(Debug)]
struct RawClaimHeader {
    header: String,
    claim: String,
}

#[derive(Debug)]
struct RawRequirementRule {
    matcher: RawMatch,
    hosts: Option<Vec<String>>,
    requirement: Requirement,
}

#[derive(Debug)]
struct RawMatch {
    prefix: Option<String>,
    exact: Option<String>,
    regex: Option<String>,
}

/// What a request needs to pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// A valid token is required.
    Required,
    /// No token passes; a token that is present must be valid.
    AllowMissing,
    /// Not checked.
    None,
}

/// What the filter does with a request it would refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Refuse it (401/403/400/503).
    Enforce,
    /// Let it pass unchanged, count the reason (`jwt_auth.audit.<reason>`)
    /// and log it once at info: the "observe" step before enforcing.
    Audit,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Audit => "audit",
        }
    }
}

/// Where a token is looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Header { name: String, prefix: String },
    Param(String),
    Cookie(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimHeader {
    pub header: String,
    /// The dotted claim path, split.
    pub path: Vec<String>,
}

#[derive(Debug, Clone)]
pub enum KeySource {
    Inline(KeySet),
    Remote(RemoteJwks),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteJwks {
    pub uri: String,
    pub cluster: String,
    pub authority: String,
    pub path: String,
    pub cache_seconds: u64,
}

#[derive(Debug, Clone)]
pub struct JwtRule {
    pub issuer: String,
    pub audiences: Vec<String>,
    pub keys: KeySource,
    pub locations: Vec<Location>,
    pub output_payload_to_header: Option<String>,
    pub output_claim_to_headers: Vec<ClaimHeader>,
    pub forward_original_token: bool,
    pub clock_skew_seconds: u64,
    pub require_expiration: bool,
}

#[derive(Debug, Clone)]
pub enum PathMatch {
    Prefix(String),
    Exact(String),
    Regex(regex_lite::Regex),
}

#[derive(Debug, Clone)]
pub struct RequirementRule {
    pub matcher: PathMatch,
    /// The rule applies only on these hosts; empty = every host (`hosts`
    /// absent: an empty configured list is refused).
    pub hosts: Vec<HostPattern>,
    pub requirement: Requirement,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub jwt_rules: Vec<JwtRule>,
    pub rules: Vec<RequirementRule>,
    pub default_requirement: Requirement,
    pub max_token_bytes: usize,
    pub cache_max_entries: usize,
    pub mode: Mode,
}

impl Config {
    /// Every configured output header, removed from each request first.
    pub fn output_headers(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for rule in &self.jwt_rules {
            let names = rule
                .output_claim_to_headers
                .iter()
                .map(|c| &c.header)
                .chain(&rule.output_payload_to_header);
            for name in names {
                if !out.contains(name) {
                    out.push(name.clone());
                }
            }
        }
        out
    }
}

pub fn parse(json: &[u8]) -> Result<Config, ConfigErrors> {
    let raw = read(json)?;
    let mut errors = ConfigErrors::new();
    if raw.jwt_rules.is_empty() {
        errors.add("jwtRules", "at least one rule is required");
    }
    let mut jwt_rules = Vec::new();
    for (i, r) in raw.jwt_rules.into_iter().enumerate() {
        if let Some(rule) = jwt_rule(r, &format!("jwtRules[{i}]"), &mut errors) {
            if jwt_rules.iter().any(|o: &JwtRule| o.issuer == rule.issuer) {
                errors.add(
                    format!("jwtRules[{i}].issuer"),
                    "another rule has the same issuer (the token's iss picks the rule)",
                );
            }
            jwt_rules.push(rule);
        }
    }
    let mut rules = Vec::new();
    for (i, r) in raw.rules.into_iter().enumerate() {
        let at = format!("rules[{i}].match");
        let m = r.matcher;
        let given = [m.prefix.is_some(), m.exact.is_some(), m.regex.is_some()];
        if given.iter().filter(|g| **g).count() != 1 {
            errors.add(at, "exactly one of prefix, exact, regex is required");
            continue;
        }
        // Rules are matched on the normalized path, which starts with '/'.
        let matcher = if let Some(p) = m.prefix {
            if !p.starts_with('/') {
                errors.add(format!("{at}.prefix"), "must start with '/'");
                continue;
            }
            PathMatch::Prefix(p)
        } else if let Some(e) = m.exact {
            if !e.starts_with('/') {
                errors.add(format!("{at}.exact"), "must start with '/'");
                continue;
            }
            PathMatch::Exact(e)
        } else if let Some(re) = m.regex {
            // The whole path must match, as in Envoy's safe_regex.
            match regex_lite::Regex::new(&format!("^(?:{re})$")) {
                Ok(r) => PathMatch::Regex(r),
                Err(e) => {
                    errors.add(format!("{at}.regex"), format!("invalid regex: {e}"));
                    continue;
                }
            }
        } else {
            continue;
        };
        let hosts = match r.hosts {
            None => Vec::new(),
            Some(list) if list.is_empty() => {
                errors.add(
                    format!("rules[{i}].hosts"),
                    "must not be empty (leave hosts out for a rule on every host)",
                );
                continue;
            }
            Some(list) => parse_host_list(&format!("rules[{i}].hosts"), &list, &mut errors),
        };
        rules.push(RequirementRule {
            matcher,
            hosts,
            requirement: r.requirement,
        });
    }
    let max_token_bytes = raw
        .max_token_bytes
        .map_or(Some(DEFAULT_MAX_TOKEN_BYTES), |n| usize::try_from(n).ok())
        .unwrap_or(usize::MAX);
    if max_token_bytes == 0 || max_token_bytes > MAX_MAX_TOKEN_BYTES {
        errors.add(
            "maxTokenBytes",
            format!("must be between 1 and {MAX_MAX_TOKEN_BYTES}"),
        );
    }
    let cache_max_entries = raw
        .token_cache_max_entries
        .map_or(Some(DEFAULT_CACHE_ENTRIES), |n| usize::try_from(n).ok())
        .unwrap_or(usize::MAX);
    if cache_max_entries > MAX_CACHE_ENTRIES {
        errors.add(
            "tokenCache.maxEntries",
            format!("must be at most {MAX_CACHE_ENTRIES} (0 disables the cache)"),
        );
    }
    let config = Config {
        jwt_rules,
        rules,
        default_requirement: raw.default_requirement.unwrap_or(Requirement::Required),
        max_token_bytes,
        cache_max_entries,
        mode: raw.mode.unwrap_or(Mode::Enforce),
    };
    errors.into_result(config)
}

fn jwt_rule(r: RawJwtRule, at: &str, errors: &mut ConfigErrors) -> Option<JwtRule> {
    let before = errors.errors.len();
    let issuer = match r.issuer {
        Some(i) if !i.is_empty() => i,
        _ => {
            errors.add(format!("{at}.issuer"), "is required");
            String::new()
        }
    };
    for (i, a) in r.audiences.iter().enumerate() {
        if a.is_empty() {
            errors.add(format!("{at}.audiences[{i}]"), "must not be empty");
        }
    }
    let keys = match (r.jwks, r.jwks_uri) {
        (Some(_), Some(_)) => {
            errors.add(
                format!("{at}.jwks"),
                "give either jwks or jwksUri, not both",
            );
            None
        }
        (None, None) => {
            errors.add(format!("{at}.jwks"), "one of jwks or jwksUri is required");
            None
        }
        (Some(doc), None) => {
            if r.jwks_cluster.is_some() {
                errors.add(format!("{at}.jwksCluster"), "only used with jwksUri");
            }
            if r.jwks_cache_seconds.is_some() {
                errors.add(format!("{at}.jwksCacheSeconds"), "only used with jwksUri");
            }
            let (set, problems) = jwks::parse(doc.as_bytes());
            for p in &problems {
                errors.add(format!("{at}.jwks"), p.to_string());
            }
            problems.is_empty().then_some(KeySource::Inline(set))
        }
        (None, Some(uri)) => remote(at, uri, r.jwks_cluster, r.jwks_cache_seconds, errors),
    };
    let mut locations = Vec::new();
    let none_given =
        r.from_headers.is_none() && r.from_params.is_none() && r.from_cookies.is_none();
    let from_headers = match r.from_headers {
        Some(h) => h,
        None if none_given => vec![RawFromHeader {
            name: "authorization".into(),
            prefix: "Bearer ".into(),
        }],
        None => Vec::new(),
    };
    for (i, h) in from_headers.into_iter().enumerate() {
        check_header_name(&h.name, &format!("{at}.fromHeaders[{i}].name"), errors);
        locations.push(Location::Header {
            name: h.name,
            prefix: h.prefix,
        });
    }
    let from_params = match r.from_params {
        Some(p) => p,
        None if none_given => vec!["access_token".into()],
        None => Vec::new(),
    };
    for (i, p) in from_params.into_iter().enumerate() {
        if p.is_empty() || p.contains(['&', '=', '?', '#']) {
            errors.add(
                format!("{at}.fromParams[{i}]"),
                "must be a non-empty parameter name",
            );
        }
        locations.push(Location::Param(p));
    }
    for (i, c) in r.from_cookies.unwrap_or_default().into_iter().enumerate() {
        if c.is_empty() || !c.bytes().all(is_tchar) {
            errors.add(
                format!("{at}.fromCookies[{i}]"),
                "must be a valid cookie name",
            );
        }
        locations.push(Location::Cookie(c));
    }
    if locations.is_empty() {
        errors.add(format!("{at}.fromHeaders"), "no token location left");
    }
    let token_headers: Vec<&str> = locations
        .iter()
        .filter_map(|l| match l {
            Location::Header { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    let mut output_claim_to_headers = Vec::new();
    for (i, c) in r.output_claim_to_headers.into_iter().enumerate() {
        let h_at = format!("{at}.outputClaimToHeaders[{i}]");
        check_output_header(&c.header, &token_headers, &format!("{h_at}.header"), errors);
        let path: Vec<String> = c.claim.split('.').map(str::to_string).collect();
        if path.iter().any(String::is_empty) {
            errors.add(
                format!("{h_at}.claim"),
                "must be a claim name or a dotted path",
            );
        }
        output_claim_to_headers.push(ClaimHeader {
            header: c.header,
            path,
        });
    }
    if let Some(h) = &r.output_payload_to_header {
        check_output_header(
            h,
            &token_headers,
            &format!("{at}.outputPayloadToHeader"),
            errors,
        );
    }
    let clock_skew_seconds = r.clock_skew_seconds.unwrap_or(DEFAULT_CLOCK_SKEW_SECONDS);
    if clock_skew_seconds > MAX_CLOCK_SKEW_SECONDS {
        errors.add(
            format!("{at}.clockSkewSeconds"),
            format!("must be at most {MAX_CLOCK_SKEW_SECONDS}"),
        );
    }
    if errors.errors.len() != before {
        return None;
    }
    Some(JwtRule {
        issuer,
        audiences: r.audiences,
        keys: keys?,
        locations,
        output_payload_to_header: r.output_payload_to_header,
        output_claim_to_headers,
        forward_original_token: r.forward_original_token,
        clock_skew_seconds,
        require_expiration: r.require_expiration.unwrap_or(true),
    })
}

fn remote(
    at: &str,
    uri: String,
    cluster: Option<String>,
    cache_seconds: Option<u64>,
    errors: &mut ConfigErrors,
) -> Option<KeySource> {
    let cluster = match cluster {
        Some(c) if !c.is_empty() => Some(c),
        _ => {
            errors.add(
                format!("{at}.jwksCluster"),
                "is required with jwksUri (the Envoy cluster that serves it)",
            );
            None
        }
    };
    let cache_seconds = cache_seconds.unwrap_or(DEFAULT_JWKS_CACHE_SECONDS);
    if cache_seconds == 0 || cache_seconds > MAX_JWKS_CACHE_SECONDS {
        errors.add(
            format!("{at}.jwksCacheSeconds"),
            format!("must be between 1 and {MAX_JWKS_CACHE_SECONDS}"),
        );
    }
    let parsed = split_uri(&uri);
    if parsed.is_none() {
        errors.add(
            format!("{at}.jwksUri"),
            "must be an absolute http:// or https:// URI with a host",
        );
    }
    let (authority, path) = parsed?;
    Some(KeySource::Remote(RemoteJwks {
        cluster: cluster?,
        uri,
        authority,
        path,
        cache_seconds,
    }))
}

/// The structure of the configuration: objects with known fields only, each
/// value of its type. Every such problem is named; any of them stops the
/// checks that follow (they would only repeat it).
fn read(json: &[u8]) -> Result<RawConfig, ConfigErrors> {
    let mut errors = ConfigErrors::new();
    let text = if json.iter().all(u8::is_ascii_whitespace) {
        &b"{}"[..]
    } else {
        json
    };
    let doc = match crate::strict_json::from_slice(text) {
        Ok(v) => v,
        Err(e) => {
            errors.add("(root)", e.to_string());
            return Err(errors);
        }
    };
    let e = &mut errors;
    let mut raw = RawConfig::default();
    if let Some(m) = object(&doc, "", ROOT_FIELDS, e) {
        raw.jwt_rules = list(m, "", "jwtRules", e, read_jwt_rule).unwrap_or_default();
        raw.rules = list(m, "", "rules", e, read_requirement_rule).unwrap_or_default();
        raw.default_requirement = field(m, "", "defaultRequirement", e, requirement);
        raw.max_token_bytes = field(m, "", "maxTokenBytes", e, uint);
        raw.mode = field(m, "", "mode", e, mode);
        if let Some(v) = m.get("tokenCache").filter(|v| !v.is_null()) {
            if let Some(c) = object(v, "tokenCache", &["maxEntries"], e) {
                raw.token_cache_max_entries = field(c, "tokenCache", "maxEntries", e, uint);
            }
        }
    }
    errors.into_result(raw)
}

const ROOT_FIELDS: &[&str] = &[
    "jwtRules",
    "rules",
    "defaultRequirement",
    "maxTokenBytes",
    "tokenCache",
    "mode",
];

const RULE_FIELDS: &[&str] = &[
    "issuer",
    "audiences",
    "jwks",
    "jwksUri",
    "jwksCluster",
    "jwksCacheSeconds",
    "fromHeaders",
    "fromParams",
    "fromCookies",
    "outputPayloadToHeader",
    "outputClaimToHeaders",
    "forwardOriginalToken",
    "clockSkewSeconds",
    "requireExpiration",
];

fn read_jwt_rule(v: &Value, at: &str, e: &mut ConfigErrors) -> Option<RawJwtRule> {
    let m = object(v, at, RULE_FIELDS, e)?;
    Some(RawJwtRule {
        issuer: field(m, at, "issuer", e, string),
        audiences: field(m, at, "audiences", e, strings).unwrap_or_default(),
        jwks: field(m, at, "jwks", e, string),
        jwks_uri: field(m, at, "jwksUri", e, string),
        jwks_cluster: field(m, at, "jwksCluster", e, string),
        jwks_cache_seconds: field(m, at, "jwksCacheSeconds", e, uint),
        from_headers: list(m, at, "fromHeaders", e, |v, at, e| {
            let h = object(v, at, &["name", "prefix"], e)?;
            let name = required(h, at, "name", e, string);
            let prefix = field(h, at, "prefix", e, string);
            Some(RawFromHeader {
                name: name?,
                prefix: prefix.unwrap_or_default(),
            })
        }),
        from_params: field(m, at, "fromParams", e, strings),
        from_cookies: field(m, at, "fromCookies", e, strings),
        output_payload_to_header: field(m, at, "outputPayloadToHeader", e, string),
        output_claim_to_headers: list(m, at, "outputClaimToHeaders", e, |v, at, e| {
            let c = object(v, at, &["header", "claim"], e)?;
            let header = required(c, at, "header", e, string);
            let claim = required(c, at, "claim", e, string);
            Some(RawClaimHeader {
                header: header?,
                claim: claim?,
            })
        })
        .unwrap_or_default(),
        forward_original_token: field(m, at, "forwardOriginalToken", e, boolean).unwrap_or(false),
        clock_skew_seconds: field(m, at, "clockSkewSeconds", e, uint),
        require_expiration: field(m, at, "requireExpiration", e, boolean),
    })
}

fn read_requirement_rule(v: &Value, at: &str, e: &mut ConfigErrors) -> Option<RawRequirementRule> {
    let m = object(v, at, &["match", "hosts", "requirement"], e)?;
    let requirement = required(m, at, "requirement", e, requirement);
    let hosts = field(m, at, "hosts", e, strings);
    let match_at = format!("{at}.match");
    let matcher = match m.get("match") {
        None => {
            e.add(match_at, "is required");
            None
        }
        Some(v) => object(v, &match_at, &["prefix", "exact", "regex"], e).map(|o| RawMatch {
            prefix: field(o, &match_at, "prefix", e, string),
            exact: field(o, &match_at, "exact", e, string),
            regex: field(o, &match_at, "regex", e, string),
        }),
    };
    Some(RawRequirementRule {
        matcher: matcher?,
        hosts,
        requirement: requirement?,
    })
}

/// A field reader: the value, or what it must be.
type Read<T> = Result<T, &'static str>;

fn requirement(v: &Value) -> Read<Requirement> {
    match v.as_str() {
        Some("required") => Ok(Requirement::Required),
        Some("allow_missing") => Ok(Requirement::AllowMissing),
        Some("none") => Ok(Requirement::None),
        _ => Err("must be one of required, allow_missing, none"),
    }
}

fn mode(v: &Value) -> Read<Mode> {
    match v.as_str() {
        Some("enforce") => Ok(Mode::Enforce),
        Some("audit") => Ok(Mode::Audit),
        _ => Err("must be one of enforce, audit"),
    }
}

fn string(v: &Value) -> Read<String> {
    v.as_str().map(str::to_string).ok_or("must be a string")
}

fn uint(v: &Value) -> Read<u64> {
    v.as_u64().ok_or("must be a non-negative integer")
}

fn boolean(v: &Value) -> Read<bool> {
    v.as_bool().ok_or("must be true or false")
}

fn strings(v: &Value) -> Read<Vec<String>> {
    let items = v.as_array().ok_or("must be a list of strings")?;
    items
        .iter()
        .map(|s| {
            s.as_str()
                .map(str::to_string)
                .ok_or("must be a list of strings")
        })
        .collect()
}

fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_string()
    } else {
        format!("{at}.{key}")
    }
}

/// `v` as an object, each field not in `known` named as unknown.
fn object<'v>(
    v: &'v Value,
    at: &str,
    known: &[&str],
    e: &mut ConfigErrors,
) -> Option<&'v Map<String, Value>> {
    let Some(m) = v.as_object() else {
        e.add(
            if at.is_empty() { "(root)" } else { at },
            "must be an object",
        );
        return None;
    };
    for k in m.keys().filter(|k| !known.contains(&k.as_str())) {
        e.add(
            join(at, k),
            format!("unknown field, expected one of {}", known.join(", ")),
        );
    }
    Some(m)
}

/// An optional field (absent or null: `None`), named when it has the wrong type.
fn field<T>(
    m: &Map<String, Value>,
    at: &str,
    key: &str,
    e: &mut ConfigErrors,
    read: impl Fn(&Value) -> Read<T>,
) -> Option<T> {
    let v = m.get(key).filter(|v| !v.is_null())?;
    read(v).map_err(|why| e.add(join(at, key), why)).ok()
}

fn required<T>(
    m: &Map<String, Value>,
    at: &str,
    key: &str,
    e: &mut ConfigErrors,
    read: impl Fn(&Value) -> Read<T>,
) -> Option<T> {
    if m.get(key).is_none_or(Value::is_null) {
        e.add(join(at, key), "is required");
        return None;
    }
    field(m, at, key, e, read)
}

/// A list of objects, each read at `key[i]`.
fn list<T>(
    m: &Map<String, Value>,
    at: &str,
    key: &str,
    e: &mut ConfigErrors,
    read: impl Fn(&Value, &str, &mut ConfigErrors) -> Option<T>,
) -> Option<Vec<T>> {
    let v = m.get(key).filter(|v| !v.is_null())?;
    let at = join(at, key);
    let Some(items) = v.as_array() else {
        e.add(at, "must be a list");
        return None;
    };
    let read: Vec<Option<T>> = items
        .iter()
        .enumerate()
        .map(|(i, v)| read(v, &format!("{at}[{i}]"), e))
        .collect();
    read.into_iter().collect()
}

/// `http(s)://authority/path?query` → (authority, path-and-query).
fn split_uri(uri: &str) -> Option<(String, String)> {
    let rest = uri
        .strip_prefix("http://")
        .or_else(|| uri.strip_prefix("https://"))?;
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (rest.get(..i)?, rest.get(i..)?),
        None => (rest, "/"),
    };
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_string()
    };
    let valid = !authority.is_empty()
        && !authority.contains('@')
        && authority.bytes().all(|b| b.is_ascii_graphic())
        && !path.contains('#')
        && path.bytes().all(|b| b.is_ascii_graphic());
    valid.then(|| (authority.to_string(), path))
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn check_header_name(name: &str, at: &str, errors: &mut ConfigErrors) -> bool {
    if name.is_empty() || !name.bytes().all(is_tchar) {
        errors.add(at, format!("{name:?} is not a valid header name"));
        false
    } else if name.bytes().any(|b| b.is_ascii_uppercase()) {
        errors.add(at, format!("{name:?} must be lowercase"));
        false
    } else {
        true
    }
}

fn check_output_header(name: &str, token_headers: &[&str], at: &str, errors: &mut ConfigErrors) {
    if !check_header_name(name, at, errors) {
        return;
    }
    if matches!(
        name,
        "host" | "connection" | "content-length" | "transfer-encoding" | "te" | "upgrade"
    ) {
        errors.add(at, format!("{name:?} cannot be an output header"));
    } else if token_headers.contains(&name) {
        errors.add(at, format!("{name:?} is also a token header"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JWKS: &str = r#"{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\",\"alg\":\"HS256\"}]}"#;

    fn ok(json: &str) -> Config {
        parse(json.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn fields(json: &str) -> Vec<String> {
        parse(json.as_bytes())
            .err()
            .unwrap_or_else(|| panic!("accepted: {json}"))
            .errors
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn defaults_follow_istio_and_envoy() {
        let c = ok(&format!(
            r#"{{"jwtRules":[{{"issuer":"i","jwks":"{JWKS}"}}]}}"#
        ));
        let r = &c.jwt_rules[0];
        assert_eq!(
            r.locations,
            vec![
                Location::Header {
                    name: "authorization".into(),
                    prefix: "Bearer ".into()
                },
                Location::Param("access_token".into())
            ]
        );
        assert_eq!(r.clock_skew_seconds, 60);
        assert!(r.require_expiration);
        assert!(!r.forward_original_token);
        assert_eq!(c.default_requirement, Requirement::Required);
        assert_eq!(c.max_token_bytes, 8192);
        assert_eq!(c.cache_max_entries, 10_000);
        assert!(matches!(&r.keys, KeySource::Inline(k) if k.keys.len() == 1));
    }

    #[test]
    fn any_location_given_replaces_all_defaults() {
        let c = ok(&format!(
            r#"{{"jwtRules":[{{"issuer":"i","jwks":"{JWKS}","fromCookies":["token"]}}]}}"#
        ));
        assert_eq!(
            c.jwt_rules[0].locations,
            vec![Location::Cookie("token".into())]
        );
    }

    #[test]
    fn full_example_is_accepted() {
        let c = ok(r#"{
          "jwtRules": [{
            "issuer": "https://auth.example.com",
            "audiences": ["kfaas"],
            "jwksUri": "http://jwks.auth.svc.cluster.local/keys",
            "jwksCluster": "outbound|80||jwks.auth.svc.cluster.local",
            "jwksCacheSeconds": 300,
            "fromHeaders": [{"name": "authorization", "prefix": "Bearer "}],
            "fromParams": ["access_token"],
            "fromCookies": ["token"],
            "outputPayloadToHeader": "x-jwt-payload",
            "outputClaimToHeaders": [{"header": "x-jwt-sub", "claim": "sub"}, {"header": "x-jwt-org", "claim": "org.id"}],
            "forwardOriginalToken": false,
            "clockSkewSeconds": 30,
            "requireExpiration": false
          }],
          "rules": [
            {"match": {"prefix": "/faas/api/public/"}, "requirement": "allow_missing"},
            {"match": {"exact": "/healthz"}, "requirement": "none"},
            {"match": {"regex": "/v[0-9]+/open"}, "requirement": "none"}
          ],
          "defaultRequirement": "allow_missing",
          "maxTokenBytes": 4096,
          "tokenCache": {"maxEntries": 5}
        }"#);
        let r = &c.jwt_rules[0];
        let KeySource::Remote(remote) = &r.keys else {
            panic!()
        };
        assert_eq!(remote.authority, "jwks.auth.svc.cluster.local");
        assert_eq!(remote.path, "/keys");
        assert_eq!(remote.cache_seconds, 300);
        assert_eq!(r.output_claim_to_headers[1].path, vec!["org", "id"]);
        assert_eq!(r.clock_skew_seconds, 30);
        assert!(!r.require_expiration);
        assert_eq!(c.rules.len(), 3);
        assert_eq!(c.default_requirement, Requirement::AllowMissing);
        assert_eq!(c.cache_max_entries, 5);
        assert_eq!(
            c.output_headers(),
            vec!["x-jwt-sub", "x-jwt-org", "x-jwt-payload"]
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let got = fields(
            r#"{"jwtRules":[
              {"audiences":[""],"jwks":"{}","fromHeaders":[{"name":"X-Token"},{"name":"a b"}],
               "fromParams":[""],"fromCookies":["a;b"],
               "outputClaimToHeaders":[{"header":"x-sub","claim":"a..b"},{"header":"Host","claim":"s"}],
               "outputPayloadToHeader":"x-token"},
              {"issuer":"j","jwksUri":"ftp://x/keys","jwksCacheSeconds":0},
              {"issuer":"k","jwks":"{\"keys\":[]}","jwksUri":"http://a/b"},
              {"issuer":"k"}
            ],
            "rules":[{"match":{"prefix":"/a","exact":"/b"},"requirement":"none"},
                     {"match":{"regex":"("},"requirement":"required"}],
            "maxTokenBytes":0}"#,
        );
        assert_eq!(
            got,
            vec![
                "jwtRules[0].issuer",
                "jwtRules[0].audiences[0]",
                "jwtRules[0].jwks",
                "jwtRules[0].fromHeaders[0].name",
                "jwtRules[0].fromHeaders[1].name",
                "jwtRules[0].fromParams[0]",
                "jwtRules[0].fromCookies[0]",
                "jwtRules[0].outputClaimToHeaders[0].claim",
                "jwtRules[0].outputClaimToHeaders[1].header",
                "jwtRules[1].jwksCluster",
                "jwtRules[1].jwksCacheSeconds",
                "jwtRules[1].jwksUri",
                "jwtRules[2].jwks",
                "jwtRules[3].jwks",
                "rules[0].match",
                "rules[1].match.regex",
                "maxTokenBytes",
            ]
        );
    }

    #[test]
    fn numbers_out_of_bounds_are_named() {
        let got = fields(&format!(
            r#"{{"jwtRules":[
              {{"issuer":"i","jwks":"{JWKS}","clockSkewSeconds":18446744073709551615}},
              {{"issuer":"j","jwksUri":"http://a/k","jwksCluster":"c","jwksCacheSeconds":604801}}
            ],
            "maxTokenBytes":65537,"tokenCache":{{"maxEntries":1000001}}}}"#
        ));
        assert_eq!(
            got,
            vec![
                "jwtRules[0].clockSkewSeconds",
                "jwtRules[1].jwksCacheSeconds",
                "maxTokenBytes",
                "tokenCache.maxEntries",
            ]
        );
        let c = ok(&format!(
            r#"{{"jwtRules":[
              {{"issuer":"i","jwks":"{JWKS}","clockSkewSeconds":86400}},
              {{"issuer":"j","jwksUri":"http://a/k","jwksCluster":"c","jwksCacheSeconds":604800}}
            ],
            "maxTokenBytes":65536,"tokenCache":{{"maxEntries":1000000}}}}"#
        ));
        assert_eq!(c.jwt_rules[0].clock_skew_seconds, 86_400);
        assert_eq!(c.max_token_bytes, 65_536);
        assert_eq!(c.cache_max_entries, 1_000_000);
    }

    #[test]
    fn rule_paths_must_start_with_a_slash() {
        let got = fields(&format!(
            r#"{{"jwtRules":[{{"issuer":"i","jwks":"{JWKS}"}}],
            "rules":[{{"match":{{"prefix":"faas"}},"requirement":"none"}},
                     {{"match":{{"exact":""}},"requirement":"none"}},
                     {{"match":{{"prefix":"/ok"}},"requirement":"none"}},
                     {{"match":{{"regex":"[a-"}},"requirement":"none"}}]}}"#
        ));
        assert_eq!(
            got,
            vec![
                "rules[0].match.prefix",
                "rules[1].match.exact",
                "rules[3].match.regex"
            ]
        );
    }

    #[test]
    fn output_header_may_not_be_a_token_header() {
        let got = fields(&format!(
            r#"{{"jwtRules":[{{"issuer":"i","jwks":"{JWKS}","outputPayloadToHeader":"authorization"}}]}}"#
        ));
        assert_eq!(got, vec!["jwtRules[0].outputPayloadToHeader"]);
    }

    #[test]
    fn unknown_fields_wrong_types_and_duplicates_are_refused() {
        assert_eq!(
            fields(r#"{"jwtRules":[{"issuer":"i","jwk":"x"}]}"#),
            vec!["jwtRules[0].jwk"]
        );
        assert_eq!(
            fields(r#"{"jwtRules":[{"issuer":5}]}"#),
            vec!["jwtRules[0].issuer"]
        );
        assert_eq!(
            fields(r#"{"defaultRequirement":"maybe"}"#),
            vec!["defaultRequirement"]
        );
        assert_eq!(
            fields(r#"{"tokenCache":{"size":1}}"#),
            vec!["tokenCache.size"]
        );
        assert_eq!(fields("{}"), vec!["jwtRules"]);
        assert_eq!(
            fields(&format!(
                r#"{{"jwtRules":[{{"issuer":"i","jwks":"{JWKS}"}},{{"issuer":"i","jwks":"{JWKS}"}}]}}"#
            )),
            vec!["jwtRules[1].issuer"]
        );
    }

    #[test]
    fn every_structural_problem_is_named_with_its_path() {
        let got = parse(
            br#"{"jwtRules":[{"issuer":"i","audiences":"kfaas","fromHeaders":[{"prefix":"B "}],
                  "outputClaimToHeaders":[{"header":"x-a","claim":1,"x":0}],"requireExpiration":"yes"}],
                 "rules":[{"requirement":"none"},{"match":{"prefix":"/","path":"/"},"requirement":"all"}],
                 "maxTokenBytes":-1,"tokenCache":[]}"#,
        )
        .unwrap_err();
        assert_eq!(
            got.fields(),
            vec![
                "jwtRules[0].audiences",
                "jwtRules[0].fromHeaders[0].name",
                "jwtRules[0].outputClaimToHeaders[0].x",
                "jwtRules[0].outputClaimToHeaders[0].claim",
                "jwtRules[0].requireExpiration",
                "rules[0].match",
                "rules[1].requirement",
                "rules[1].match.path",
                "maxTokenBytes",
                "tokenCache",
            ]
        );
        let text = got.to_string();
        assert!(text.contains("jwtRules[0].audiences: must be a list of strings"));
        assert!(text.contains("rules[1].requirement: must be one of required, allow_missing, none"));
        assert!(text.contains("maxTokenBytes: must be a non-negative integer"));
        assert!(text.contains("rules[1].match.path: unknown field"));
    }

    #[test]
    fn not_json_or_not_an_object_is_named_as_the_root() {
        for bad in [&b"[]"[..], b"{", b"{} {}", b"null"] {
            assert_eq!(parse(bad).unwrap_err().fields(), vec!["(root)"]);
        }
        // An empty configuration is `{}`: it lacks rules, nothing else.
        assert_eq!(parse(b" \n").unwrap_err().fields(), vec!["jwtRules"]);
    }

    #[test]
    fn null_is_an_absent_field() {
        let c = ok(&format!(
            r#"{{"jwtRules":[{{"issuer":"i","jwks":"{JWKS}","clockSkewSeconds":null}}],"defaultRequirement":null,"tokenCache":null}}"#
        ));
        assert_eq!(c.jwt_rules[0].clock_skew_seconds, 60);
        assert_eq!(c.default_requirement, Requirement::Required);
        assert_eq!(c.cache_max_entries, DEFAULT_CACHE_ENTRIES);
    }

    #[test]
    fn a_field_given_twice_is_refused_not_last_wins() {
        let got = parse(
            format!(
                r#"{{"jwtRules":[{{"issuer":"i","jwks":"{JWKS}"}}],"defaultRequirement":"required","defaultRequirement":"none"}}"#
            )
            .as_bytes(),
        )
        .unwrap_err();
        assert_eq!(got.fields(), vec!["(root)"]);
        assert!(
            got.to_string()
                .contains("duplicate key `defaultRequirement`"),
            "{got}"
        );
    }

    #[test]
    fn small_rsa_keys_are_refused_at_configuration() {
        // A 1024-bit modulus.
        let n = crate::b64::encode(&[0xc3; 128]);
        let got = parse(
            format!(
                r#"{{"jwtRules":[{{"issuer":"i","jwks":"{{\"keys\":[{{\"kty\":\"RSA\",\"n\":\"{n}\",\"e\":\"AQAB\"}}]}}"}}]}}"#
            )
            .as_bytes(),
        )
        .unwrap_err();
        assert_eq!(got.fields(), vec!["jwtRules[0].jwks"]);
        assert!(
            got.to_string()
                .contains("keys[0].n: RSA modulus of 1024 bits is too small"),
            "{got}"
        );
    }

    #[test]
    fn rule_hosts_are_compiled_and_bad_ones_named() {
        let c = ok(&format!(
            r#"{{"jwtRules":[{{"issuer":"i","jwks":"{JWKS}"}}],
            "rules":[{{"match":{{"prefix":"/"}},"hosts":["WWW.example.com","*.example.com"],"requirement":"required"}},
                     {{"match":{{"prefix":"/"}},"requirement":"none"}}]}}"#
        ));
        assert_eq!(
            c.rules[0].hosts,
            vec![
                HostPattern::Exact("www.example.com".into()),
                HostPattern::Suffix(".example.com".into())
            ]
        );
        assert!(c.rules[1].hosts.is_empty(), "absent = every host");
        let got = fields(&format!(
            r#"{{"jwtRules":[{{"issuer":"i","jwks":"{JWKS}"}}],
            "rules":[{{"match":{{"prefix":"/"}},"hosts":["ok.com","bad host","a.com:80","*.*.com"],"requirement":"required"}},
                     {{"match":{{"prefix":"/"}},"hosts":[],"requirement":"required"}},
                     {{"match":{{"prefix":"x"}},"hosts":["a*b"],"requirement":"required"}}]}}"#
        ));
        assert_eq!(
            got,
            vec![
                "rules[0].hosts[1]",
                "rules[0].hosts[2]",
                "rules[0].hosts[3]",
                "rules[1].hosts",
                "rules[2].match.prefix",
            ]
        );
        let err = parse(
            format!(
                r#"{{"jwtRules":[{{"issuer":"i","jwks":"{JWKS}"}}],"rules":[{{"match":{{"prefix":"/"}},"hosts":[],"requirement":"none"}}]}}"#
            )
            .as_bytes(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("rules[0].hosts: must not be empty"), "{err}");
        assert_eq!(
            fields(
                r#"{"jwtRules":[{"issuer":"i"}],"rules":[{"match":{"prefix":"/"},"hosts":"a.com","requirement":"none"}]}"#
            ),
            vec!["rules[0].hosts"]
        );
    }

    #[test]
    fn mode_defaults_to_enforce_and_unknown_modes_are_refused() {
        let base = format!(r#""jwtRules":[{{"issuer":"i","jwks":"{JWKS}"}}]"#);
        assert_eq!(ok(&format!("{{{base}}}")).mode, Mode::Enforce);
        assert_eq!(
            ok(&format!(r#"{{{base},"mode":"enforce"}}"#)).mode,
            Mode::Enforce
        );
        assert_eq!(
            ok(&format!(r#"{{{base},"mode":"audit"}}"#)).mode,
            Mode::Audit
        );
        for bad in [r#""Audit""#, r#""observe""#, "true", "1"] {
            let err = parse(format!(r#"{{{base},"mode":{bad}}}"#).as_bytes()).unwrap_err();
            assert_eq!(err.fields(), vec!["mode"], "{bad}");
            assert!(
                err.to_string()
                    .contains("mode: must be one of enforce, audit"),
                "{err}"
            );
        }
    }

    #[test]
    fn uri_split() {
        assert_eq!(
            split_uri("https://a.b:8443/x/y?z=1"),
            Some(("a.b:8443".into(), "/x/y?z=1".into()))
        );
        assert_eq!(split_uri("http://a"), Some(("a".into(), "/".into())));
        assert_eq!(split_uri("http://a?x"), Some(("a".into(), "/?x".into())));
        assert_eq!(split_uri("http:///x"), None);
        assert_eq!(split_uri("http://u@a/x"), None);
        assert_eq!(split_uri("a/x"), None);
    }
}
