//! Where a route applies: its `match` (exact, prefix or regex under
//! `pathPrefix`), its `rewritePrefix`, and prefixes others fully shadow.

use super::raw::RawMatch;
use crate::table::Kind;
use filters_common::path_match::check_path_pattern;
use filters_common::ConfigErrors;
use std::collections::HashMap;

/// Returns the match kind and its pattern; `None` when it cannot be used.
pub(super) fn check_match(
    m: Option<&RawMatch>,
    path_prefix: &str,
    at: &str,
    errors: &mut ConfigErrors,
) -> Option<(Kind, String)> {
    let Some(m) = m else {
        errors.add(format!("{at}.match"), "is required");
        return None;
    };
    let given: Vec<(Kind, &String)> = [
        (Kind::Exact, m.exact.as_ref()),
        (Kind::Prefix, m.prefix.as_ref()),
        (Kind::Regex, m.regex.as_ref()),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect();
    let [(kind, pattern)] = given.as_slice() else {
        errors.add(
            format!("{at}.match"),
            "needs exactly one of exact, prefix, regex",
        );
        return None;
    };
    let field = format!("{at}.match.{}", kind.as_str());
    if *kind == Kind::Regex {
        if !pattern.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            errors.add(
                field,
                "must be printable ASCII (it is sent in the route header)",
            );
            return None;
        }
    } else {
        if let Err(e) = check_path_pattern(pattern) {
            errors.add(field, e);
        } else if !pattern.starts_with(path_prefix) {
            errors.add(field, format!("is outside pathPrefix {path_prefix:?}"));
        }
    }
    Some((*kind, (*pattern).clone()))
}

pub(super) fn check_rewrite(
    rewrite: Option<&str>,
    kind: Kind,
    pattern: &str,
    at: &str,
    errors: &mut ConfigErrors,
) -> Option<String> {
    let rewrite = rewrite?;
    let field = format!("{at}.rewritePrefix");
    if kind == Kind::Regex {
        errors.add(field, "needs a prefix or exact match");
    } else if let Err(e) = check_path_pattern(rewrite) {
        errors.add(field, e);
    } else if kind == Kind::Prefix && pattern.ends_with('/') && !rewrite.ends_with('/') {
        errors.add(field, "must end with / like the prefix it replaces");
    } else {
        return Some(rewrite.to_string());
    }
    None
}

/// Prefix routes that can never be chosen. A prefix matches unboundedly many
/// paths, so exact routes and longer prefixes can cover all of them only in
/// one case: a prefix `P` without a trailing `/` matches `P` and `P/...`; with
/// an exact route `P` and a prefix route `P/`, both are taken by others.
/// (Regexes are not analysed: overlap between regexes is undecidable here.)
pub(super) fn check_shadowed(
    seen: &HashMap<(Kind, String), usize>,
    base: &str,
    errors: &mut ConfigErrors,
) {
    let mut shadowed: Vec<(usize, String)> = seen
        .iter()
        .filter(|((kind, p), _)| *kind == Kind::Prefix && !p.ends_with('/'))
        .filter_map(|((_, p), &i)| {
            let exact = seen.get(&(Kind::Exact, p.clone()))?;
            let slash = seen.get(&(Kind::Prefix, format!("{p}/")))?;
            Some((i, format!("is fully shadowed by {base}[{exact}] (exact {p:?}) and {base}[{slash}] (prefix \"{p}/\")")))
        })
        .collect();
    shadowed.sort();
    for (i, msg) in shadowed {
        errors.add(format!("{base}[{i}].match.prefix"), msg);
    }
}
