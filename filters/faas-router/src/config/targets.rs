//! The Knative services the routes name, each once, with its authority.

use super::route::Target;
use std::collections::HashMap;

/// Distinct (service, namespace) pairs, so metrics and authorities are built once.
pub(super) struct Targets<'a> {
    pub(super) cluster_domain: &'a str,
    pub(super) list: Vec<Target>,
    pub(super) index: HashMap<(String, String), usize>,
}

impl<'a> Targets<'a> {
    pub(super) fn new(cluster_domain: &'a str) -> Self {
        Targets {
            cluster_domain,
            list: Vec::new(),
            index: HashMap::new(),
        }
    }

    pub(super) fn id(&mut self, service: &str, namespace: &str) -> usize {
        let key = (service.to_string(), namespace.to_string());
        if let Some(&id) = self.index.get(&key) {
            return id;
        }
        let id = self.list.len();
        self.list.push(Target {
            service: service.into(),
            namespace: namespace.into(),
            authority: format!("{service}.{namespace}.{}", self.cluster_domain),
        });
        self.index.insert(key, id);
        id
    }
}
