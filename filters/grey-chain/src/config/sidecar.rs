//! How the sidecar section is checked and compiled: the pod label, the pinned
//! direction, the correlation headers and the table's bounds, the baggage key.

use super::model::{Correlation, Sidecar, MAX_MAX_ENTRIES, MAX_TTL_SECONDS};
use super::names::check_header_name;
use super::raw::{RawDirection, RawSidecar};
use crate::direction::Direction;
use filters_common::http_token::is_header_name;
use filters_common::ConfigErrors;

pub(super) fn compile_sidecar(
    errors: &mut ConfigErrors,
    lanes: &[String],
    raw: RawSidecar,
) -> (Sidecar, String) {
    if !is_header_name(&raw.baggage_key) {
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
        RawDirection::Inbound => Direction::Inbound,
        RawDirection::Outbound => Direction::Outbound,
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
