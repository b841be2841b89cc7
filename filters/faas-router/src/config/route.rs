//! A checked route: the Knative services it sends to and how it picks one.

use crate::policy::Policy;
use crate::table::Kind;

/// One Knative service a route can send to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub service: String,
    pub namespace: String,
    /// `<service>.<namespace>.<clusterDomain>`
    pub authority: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashBy {
    Header(String),
    Cookie(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Service(usize),
    /// Targets with cumulative weights (last is 100), picked by `split.rs`.
    Split {
        choices: Vec<(u32, usize)>,
        hash_by: Option<HashBy>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub kind: Kind,
    pub pattern: String,
    /// `<kind>:<pattern>`, the value of the route header.
    pub id: String,
    pub backend: Backend,
    pub rewrite_prefix: Option<String>,
    /// `timeout` and `retries`, and the Envoy headers they give.
    pub policy: Policy,
}
