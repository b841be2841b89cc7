//! One table (the top-level `routes` or a virtual host's): each route
//! checked, and compiled into the lookup `Table`.

use super::backend::check_backend;
use super::raw::RawRoute;
use super::route::Route;
use super::route_match::{check_match, check_rewrite, check_shadowed};
use super::targets::Targets;
use crate::policy;
use crate::table::{compile_regex, Kind, Table};
use filters_common::ConfigErrors;
use std::collections::HashMap;

/// What every table is checked against.
pub(super) struct TableContext<'a> {
    pub(super) path_prefix: &'a str,
    /// Headers the filter writes or removes: not usable as `hashBy`.
    pub(super) output_headers: &'a [&'a str],
}

/// Checks one table (top-level `routes` or a virtual host's) on its own;
/// `base` names it in errors (`routes`, `virtualHosts[1].routes`).
pub(super) fn compile_table(
    raw: &[RawRoute],
    base: &str,
    ctx: &TableContext,
    targets: &mut Targets,
    errors: &mut ConfigErrors,
) -> (Vec<Route>, Table) {
    let mut routes = Vec::with_capacity(raw.len());
    let mut table = Table::new();
    let mut seen: HashMap<(Kind, String), usize> = HashMap::new();
    for (i, r) in raw.iter().enumerate() {
        let at = format!("{base}[{i}]");
        let Some((kind, pattern)) = check_match(r.matcher.as_ref(), ctx.path_prefix, &at, errors)
        else {
            continue;
        };
        let backend = check_backend(r, &at, ctx.output_headers, targets, errors);
        let rewrite_prefix =
            check_rewrite(r.rewrite_prefix.as_deref(), kind, &pattern, &at, errors);
        let policy = policy::check(r.timeout.as_deref(), r.retries.as_ref(), &at, errors);
        let field = format!("{at}.match.{}", kind.as_str());
        if let Some(first) = seen.get(&(kind, pattern.clone())) {
            errors.add(field.clone(), format!("duplicates {base}[{first}]"));
        } else {
            seen.insert((kind, pattern.clone()), i);
        }
        match kind {
            Kind::Exact => table.add_exact(&pattern, i),
            Kind::Prefix => table.add_prefix(&pattern, i),
            Kind::Regex => match compile_regex(&pattern) {
                Ok(compiled) => {
                    if !compiled.literal_prefix.starts_with(ctx.path_prefix) {
                        errors.add(
                            field,
                            format!(
                                "must start with the literal pathPrefix {:?}",
                                ctx.path_prefix
                            ),
                        );
                    }
                    table.add_regex(compiled, i);
                }
                Err(e) => errors.add(field, e),
            },
        }
        if let Some(backend) = backend {
            routes.push(Route {
                id: format!("{}:{pattern}", kind.as_str()),
                kind,
                pattern,
                backend,
                rewrite_prefix,
                policy,
            });
        }
    }
    check_shadowed(&seen, base, errors);
    (routes, table)
}
