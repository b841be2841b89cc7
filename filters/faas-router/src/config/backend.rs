//! Which Knative services a route sends to: `service` or `split`, its
//! `namespace`, and the `hashBy` key of a split.

use super::names::is_dns_label;
use super::raw::{RawHashBy, RawRoute};
use super::route::{Backend, HashBy};
use super::targets::Targets;
use filters_common::http_token::{is_header_name, is_token};
use filters_common::ConfigErrors;

pub(super) fn check_backend(
    r: &RawRoute,
    at: &str,
    output_headers: &[&str],
    targets: &mut Targets,
    errors: &mut ConfigErrors,
) -> Option<Backend> {
    let namespace = match &r.namespace {
        Some(ns) if is_dns_label(ns) => Some(ns.as_str()),
        Some(_) => {
            errors.add(format!("{at}.namespace"), "must be a DNS-1123 label");
            None
        }
        None => {
            errors.add(format!("{at}.namespace"), "is required");
            None
        }
    };
    let hash_by = r
        .hash_by
        .as_ref()
        .and_then(|h| check_hash_by(h, at, output_headers, errors));
    match (&r.service, &r.split) {
        (Some(service), None) => {
            if r.hash_by.is_some() {
                errors.add(format!("{at}.hashBy"), "only applies to a split");
            }
            if !is_dns_label(service) {
                errors.add(format!("{at}.service"), "must be a DNS-1123 label");
                return None;
            }
            Some(Backend::Service(targets.id(service, namespace?)))
        }
        (None, Some(split)) => {
            let mut choices = Vec::with_capacity(split.len());
            let mut total = 0u32;
            let mut ok = true;
            for (j, s) in split.iter().enumerate() {
                if !is_dns_label(&s.service) {
                    errors.add(
                        format!("{at}.split[{j}].service"),
                        "must be a DNS-1123 label",
                    );
                    ok = false;
                } else if split.iter().take(j).any(|o| o.service == s.service) {
                    errors.add(
                        format!("{at}.split[{j}].service"),
                        "appears twice in the split",
                    );
                    ok = false;
                }
                total = total.saturating_add(s.weight);
                if let Some(ns) = namespace.filter(|_| ok) {
                    choices.push((total, targets.id(&s.service, ns)));
                }
            }
            if total != 100 {
                errors.add(
                    format!("{at}.split"),
                    format!("weights must sum to 100, not {total}"),
                );
                ok = false;
            }
            (ok && namespace.is_some()).then_some(Backend::Split { choices, hash_by })
        }
        (Some(_), Some(_)) => {
            errors.add(format!("{at}.service"), "service and split are exclusive");
            None
        }
        (None, None) => {
            errors.add(format!("{at}.service"), "needs service or split");
            None
        }
    }
}

pub(super) fn check_hash_by(
    h: &RawHashBy,
    at: &str,
    output_headers: &[&str],
    errors: &mut ConfigErrors,
) -> Option<HashBy> {
    let field = format!("{at}.hashBy");
    match (&h.header, &h.cookie) {
        (Some(name), None) => {
            if !is_header_name(name) {
                errors.add(
                    format!("{field}.header"),
                    "must be a lower-case HTTP header name",
                );
            } else if output_headers.contains(&name.as_str()) || name.starts_with("x-faas-") {
                errors.add(
                    format!("{field}.header"),
                    "is removed from every request by this filter",
                );
            } else {
                return Some(HashBy::Header(name.clone()));
            }
            None
        }
        (None, Some(name)) => {
            if !is_token(name) {
                errors.add(format!("{field}.cookie"), "must be a cookie name");
                return None;
            }
            Some(HashBy::Cookie(name.clone()))
        }
        _ => {
            errors.add(field, "needs exactly one of header, cookie");
            None
        }
    }
}
