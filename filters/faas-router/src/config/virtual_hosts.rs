//! The `hosts` of a virtual host: each a host or a leading wildcard, and no
//! host served twice.

use super::raw::RawVirtualHost;
use crate::hosts::HostIndex;
use filters_common::host_match::HostPattern;
use filters_common::ConfigErrors;

/// `virtualHosts[i].hosts[j]` of the first host equal to `pattern`, in
/// virtual host `vh` (or earlier in the same one, before `j`).
pub(super) fn first_holder(
    raw: &[RawVirtualHost],
    vh: usize,
    pattern: &HostPattern,
    at_vh: usize,
    at_j: usize,
) -> String {
    let hosts = raw
        .get(vh)
        .and_then(|v| v.hosts.as_deref())
        .unwrap_or_default();
    hosts
        .iter()
        .enumerate()
        .filter(|&(j, _)| vh != at_vh || j < at_j)
        .find(|(_, h)| HostPattern::parse(h).as_ref() == Ok(pattern))
        .map_or_else(
            || format!("virtualHosts[{vh}]"),
            |(j, _)| format!("virtualHosts[{vh}].hosts[{j}]"),
        )
}

/// Checks `virtualHosts[i].hosts` and adds them to `hosts`; returns them as
/// configured (none when missing).
pub(super) fn check_hosts<'r>(
    raw: &[RawVirtualHost],
    vh: &'r RawVirtualHost,
    i: usize,
    hosts: &mut HostIndex,
    errors: &mut ConfigErrors,
) -> &'r [String] {
    let at = format!("virtualHosts[{i}]");
    let given = vh.hosts.as_deref().unwrap_or_default();
    if vh.hosts.is_none() {
        errors.add(format!("{at}.hosts"), "is required");
    } else if given.is_empty() {
        errors.add(format!("{at}.hosts"), "needs at least one host");
    }
    for (j, raw_host) in given.iter().enumerate() {
        let field = format!("{at}.hosts[{j}]");
        match HostPattern::parse(raw_host) {
            Err(why) => errors.add(field, format!("{raw_host:?}: {why}")),
            Ok(HostPattern::Any) => errors.add(
                field,
                "\"*\" is every host: the top-level routes serve hosts no virtual host names",
            ),
            Ok(HostPattern::Prefix(_)) => errors.add(
                field,
                format!("{raw_host:?}: a wildcard may only start a host (*.example.com)"),
            ),
            Ok(pattern) => {
                if let Some(first) = hosts.add(&pattern, i) {
                    let first = first_holder(raw, first, &pattern, i, j);
                    errors.add(field, format!("{raw_host:?} is already served by {first}"));
                }
            }
        }
    }
    given
}
