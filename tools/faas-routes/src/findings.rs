//! What the import reports: one finding per VirtualService, kind and field,
//! in a stable order.

use crate::istio_model::Model;
use crate::virtual_service::VirtualService;
use serde::Serialize;
use std::collections::{BTreeSet, HashSet};

/// One place where the import could not keep the VirtualServices' meaning.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    #[serde(rename = "virtualService")]
    pub virtual_service: String,
    pub kind: &'static str,
    pub field: String,
    pub detail: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}: {}: {}",
            self.virtual_service, self.kind, self.field, self.detail
        )
    }
}

/// The findings gathered so far.
pub(crate) struct Findings<'m> {
    pub(crate) model: &'m Model,
    pub(crate) list: BTreeSet<Finding>,
    /// One finding per VirtualService, kind and field.
    keys: HashSet<(usize, &'static str, String)>,
}

impl Findings<'_> {
    pub(crate) fn add(&mut self, vs: usize, kind: &'static str, field: &str, detail: String) {
        if !self.keys.insert((vs, kind, field.to_string())) {
            return;
        }
        let id = self
            .model
            .vss
            .get(vs)
            .map_or_else(String::new, VirtualService::id);
        self.list.insert(Finding {
            virtual_service: id,
            kind,
            field: field.to_string(),
            detail,
        });
    }
    pub(crate) fn name(&self, vs: usize) -> String {
        self.model
            .vss
            .get(vs)
            .map_or_else(String::new, VirtualService::id)
    }
}

impl<'m> Findings<'m> {
    pub(crate) fn new(model: &'m Model) -> Self {
        Findings {
            model,
            list: BTreeSet::new(),
            keys: HashSet::new(),
        }
    }
}
