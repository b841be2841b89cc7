//! How `rules[i]` (which paths on which hosts need what) is checked and
//! compiled: exactly one of prefix, exact, regex (`filters_common::path_match`:
//! prefixes end at a segment boundary, regexes match the whole path), and an
//! optional non-empty host list.

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
    let (kind, compiled) = if let Some(p) = m.prefix {
        ("prefix", PathMatch::prefix(&p))
    } else if let Some(e) = m.exact {
        ("exact", PathMatch::exact(&e))
    } else if let Some(re) = m.regex {
        ("regex", PathMatch::regex(&re))
    } else {
        return None;
    };
    let matcher = match compiled {
        Ok(matcher) => matcher,
        Err(e) => {
            errors.add(format!("{at}.{kind}"), e);
            return None;
        }
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
