//! How `rules[i]` (which paths on which hosts need what) is checked and
//! compiled: exactly one of prefix, exact, regex (whole-path, as Envoy's
//! safe_regex), and an optional non-empty host list.

use super::model::{PathMatch, RequirementRule};
use super::raw::RawRequirementRule;
use filters_common::host_match::parse_host_list;
use filters_common::ConfigErrors;

/// `rules[i]` compiled, or `None` with its problems named.
pub(super) fn requirement_rule(
    r: RawRequirementRule,
    i: usize,
    errors: &mut ConfigErrors,
) -> Option<RequirementRule> {
    let at = format!("rules[{i}].match");
    let m = r.matcher;
    let given = [m.prefix.is_some(), m.exact.is_some(), m.regex.is_some()];
    if given.iter().filter(|g| **g).count() != 1 {
        errors.add(at, "exactly one of prefix, exact, regex is required");
        return None;
    }
    // Rules are matched on the normalized path, which starts with '/'.
    let matcher = if let Some(p) = m.prefix {
        if !p.starts_with('/') {
            errors.add(format!("{at}.prefix"), "must start with '/'");
            return None;
        }
        PathMatch::Prefix(p)
    } else if let Some(e) = m.exact {
        if !e.starts_with('/') {
            errors.add(format!("{at}.exact"), "must start with '/'");
            return None;
        }
        PathMatch::Exact(e)
    } else if let Some(re) = m.regex {
        match filters_common::full_match_regex::full_match(&re) {
            Ok(r) => PathMatch::Regex(r),
            Err(e) => {
                errors.add(format!("{at}.regex"), e);
                return None;
            }
        }
    } else {
        return None;
    };
    let hosts = match r.hosts {
        None => Vec::new(),
        Some(list) if list.is_empty() => {
            errors.add(
                format!("rules[{i}].hosts"),
                "must not be empty (leave hosts out for a rule on every host)",
            );
            return None;
        }
        Some(list) => parse_host_list(&format!("rules[{i}].hosts"), &list, errors),
    };
    Some(RequirementRule {
        matcher,
        hosts,
        requirement: r.requirement,
    })
}
