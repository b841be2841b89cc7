//! Where the faas-router table sends a path: the filter's own decision
//! (`faas_router::router::resolve`, with its choice of virtual host), read
//! as `<svc>.<ns>` or `none`.

use crate::destination::Service;
use crate::istio_model::label;
use faas_router::config::{Backend, Config};
use faas_router::router::{resolve, Outcome};

/// The destination label and the route id (`<kind>:<pattern>`) for `path`
/// requested with authority `host`.
pub fn destination(config: &Config, host: &str, path: &str) -> (String, Option<String>) {
    let Outcome::Routed(r) = resolve(config, Some(host), path) else {
        return ("none".into(), None);
    };
    let service = |t: usize| {
        config.targets.get(t).map(|t| Service {
            name: t.service.clone(),
            namespace: t.namespace.clone(),
        })
    };
    let weighted: Vec<(Service, u32)> = match &r.route.backend {
        Backend::Service(t) => service(*t).map(|s| (s, 100)).into_iter().collect(),
        Backend::Split { choices, .. } => {
            let mut lower = 0;
            choices
                .iter()
                .filter_map(|&(upper, t)| {
                    let w = upper - lower;
                    lower = upper;
                    service(t).map(|s| (s, w))
                })
                .collect()
        }
    };
    (label(&weighted), Some(r.route.id.clone()))
}
