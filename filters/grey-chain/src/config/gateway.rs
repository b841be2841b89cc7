//! How a gateway rule is checked and compiled: its lane, its `match` (one
//! source, one test; regexes anchored) and its `percentage` with `hashBy`.

use super::model::{Matcher, Percentage, Rule, Source, Test};
use super::names::{check_match_header_name, check_query_name};
use super::raw::{RawMatch, RawRule};
use filters_common::http_token::is_token;
use filters_common::ConfigErrors;

fn compile_source(
    errors: &mut ConfigErrors,
    field: &str,
    header: Option<String>,
    cookie: Option<String>,
    query: Option<String>,
) -> Option<Source> {
    let given = usize::from(header.is_some())
        + usize::from(cookie.is_some())
        + usize::from(query.is_some());
    if given != 1 {
        errors.add(
            field,
            "exactly one of `header`, `cookie`, `query` is required",
        );
        return None;
    }
    if let Some(name) = header {
        check_match_header_name(errors, &format!("{field}.header"), &name);
        Some(Source::Header(name))
    } else if let Some(name) = cookie {
        if !is_token(&name) {
            errors.add(
                format!("{field}.cookie"),
                "must be a cookie name (an HTTP token)",
            );
        }
        Some(Source::Cookie(name))
    } else {
        let name = query.unwrap_or_default();
        check_query_name(errors, &format!("{field}.query"), &name);
        Some(Source::Query(name))
    }
}

fn compile_matcher(errors: &mut ConfigErrors, field: &str, raw: RawMatch) -> Option<Matcher> {
    let (kind, m) = match (raw.header, raw.cookie, raw.query) {
        (Some(m), None, None) => ("header", m),
        (None, Some(m), None) => ("cookie", m),
        (None, None, Some(m)) => ("query", m),
        _ => {
            errors.add(
                field,
                "exactly one of `header`, `cookie`, `query` is required",
            );
            return None;
        }
    };
    let f = format!("{field}.{kind}");
    let source = match kind {
        "header" => {
            check_match_header_name(errors, &format!("{f}.name"), &m.name);
            Source::Header(m.name)
        }
        "cookie" => {
            if !is_token(&m.name) {
                errors.add(format!("{f}.name"), "must be a cookie name (an HTTP token)");
            }
            Source::Cookie(m.name)
        }
        _ => {
            check_query_name(errors, &format!("{f}.name"), &m.name);
            Source::Query(m.name)
        }
    };
    let given = [
        m.exact.is_some(),
        m.prefix.is_some(),
        m.regex.is_some(),
        m.one_of.is_some(),
        m.present.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if given != 1 {
        errors.add(
            &f,
            "exactly one of `exact`, `prefix`, `regex`, `in`, `present` is required",
        );
        return None;
    }
    let test = if let Some(v) = m.exact {
        Test::Exact(v)
    } else if let Some(v) = m.prefix {
        if v.is_empty() {
            errors.add(format!("{f}.prefix"), "must not be empty (use `present`)");
        }
        Test::Prefix(v)
    } else if let Some(v) = m.regex {
        match filters_common::full_match_regex::full_match(&v) {
            Ok(re) => Test::Regex(re),
            Err(e) => {
                errors.add(format!("{f}.regex"), e);
                return None;
            }
        }
    } else if let Some(v) = m.one_of {
        if v.is_empty() {
            errors.add(format!("{f}.in"), "must list at least one value");
        }
        Test::In(v)
    } else {
        Test::Present(m.present.unwrap_or(true))
    };
    Some(Matcher { source, test })
}

pub(super) fn compile_rule(
    errors: &mut ConfigErrors,
    field: &str,
    lanes: &[String],
    raw: RawRule,
) -> Option<Rule> {
    if !lanes.contains(&raw.lane) {
        errors.add(
            format!("{field}.lane"),
            format!("`{}` is not one of `lanes`", raw.lane),
        );
    }
    if raw.matcher.is_none() && raw.percentage.is_none() {
        errors.add(field, "a rule needs `match`, `percentage`, or both");
    }
    let matcher = raw
        .matcher
        .and_then(|m| compile_matcher(errors, &format!("{field}.match"), m));
    let percentage = match (raw.percentage, raw.hash_by) {
        (None, None) => None,
        (None, Some(_)) => {
            errors.add(format!("{field}.hashBy"), "only allowed with `percentage`");
            None
        }
        (Some(_), None) => {
            errors.add(
                format!("{field}.hashBy"),
                "required with `percentage`: a stable key, never random",
            );
            None
        }
        (Some(p), Some(h)) => {
            let source = compile_source(
                errors,
                &format!("{field}.hashBy"),
                h.header,
                h.cookie,
                h.query,
            );
            if !(0.0..=100.0).contains(&p) {
                errors.add(format!("{field}.percentage"), "must be between 0 and 100");
                None
            } else {
                // Resolution 0.01 %; `as` is exact here: the value is in 0..=10000.
                let threshold = (p * 100.0).round() as u32;
                source.map(|hash_by| Percentage { threshold, hash_by })
            }
        }
    };
    Some(Rule {
        lane: raw.lane,
        matcher,
        percentage,
    })
}
