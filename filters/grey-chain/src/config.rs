//! What a grey-chain configuration is, and how it is checked and compiled:
//! every bad field is named, the request path only does lookups.
//!
//! `model` is the compiled data, `raw` the JSON shape, `names` the allowed
//! names, `gateway` / `sidecar` the checks of each section; `parse` here puts
//! them together.

mod gateway;
mod model;
mod names;
mod raw;
mod sidecar;

pub use model::*;
pub use names::is_lane_name;

use filters_common::ConfigErrors;
use gateway::compile_rule;
use names::check_header_name;
use raw::{RawConfig, RawMode};
use sidecar::compile_sidecar;

/// Parses and checks a configuration, reporting every bad field.
pub fn parse(json: &[u8]) -> Result<Config, ConfigErrors> {
    let raw: RawConfig = raw::read(json)?;
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
mod tests;
