//! What a compiled grey-chain configuration is: the plain data the request
//! path reads, and the limits the checks hold it to.

use crate::direction::Direction;
use regex_lite::Regex;

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

impl Rule {
    /// The rule kind (the `decision` label of `grey_chain_requests`): where
    /// its `match` reads (`header`, `cookie`, `query`), else `percentage`,
    /// else `all` (a rule with neither takes every request).
    pub fn kind(&self) -> &'static str {
        match (&self.matcher, &self.percentage) {
            (Some(m), _) => match m.source {
                Source::Header(_) => "header",
                Source::Cookie(_) => "cookie",
                Source::Query(_) => "query",
            },
            (None, Some(_)) => "percentage",
            (None, None) => "all",
        }
    }
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
    pub direction: Option<Direction>,
    pub correlation: Correlation,
}

#[derive(Debug, Clone)]
pub struct Correlation {
    pub headers: Vec<String>,
    pub ttl_seconds: u64,
    pub max_entries: u32,
}
