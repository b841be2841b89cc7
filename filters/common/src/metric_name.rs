//! Tagged stat names: how a labelled metric family is spelled for Envoy.
//!
//! A proxy-wasm module can only define flat names. Envoy turns parts of a
//! name into tags (Prometheus labels) with the bootstrap's `stats_tags`
//! regexes; istio-agent generates `(<tag>=\.=(.*?);\.;)` for every ProxyConfig
//! `extraStatTags` name. So `jwt_auth.result=.=denied;.;reason=.=expired;.;requests`
//! is shown by `/stats/prometheus` as `jwt_auth_requests{result="denied",reason="expired"}`
//! (Envoy drops the `wasmcustom.` namespace it puts in front of Wasm metrics).
//! The tags come before the family name so the family has no trailing `_`.
//!
//! A value must not break those regexes: a `;` could end it early, a `=`
//! could start a new tag, and Prometheus label values are best kept plain. Every
//! character outside `[A-Za-z0-9_.-]` is written as `_` ([`tag_value`]); an empty
//! value is written `none`. Tag and family names are the filters' own constants,
//! checked by [`tagged`].

use std::cell::RefCell;

/// The value as it goes into a stat name: characters outside
/// `[A-Za-z0-9_.-]` become `_`, empty becomes `none`.
pub fn tag_value(value: &str) -> String {
    if value.is_empty() {
        return "none".to_string();
    }
    value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A tag or family name: lower-case ASCII letters, digits and `_`, not empty.
fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// `<filter>.<tag>=.=<value>;.;…<family>`, values through [`tag_value`];
/// `None` when `filter`, `family` or a tag name is not a plain name
/// (lower-case letters, digits, `_`) or `tags` and `values` differ in length.
pub fn tagged(filter: &str, tags: &[&str], values: &[&str], family: &str) -> Option<String> {
    if !is_name(filter) || !is_name(family) || tags.len() != values.len() {
        return None;
    }
    let mut name = String::with_capacity(filter.len() + family.len() + 1 + 24 * tags.len());
    name.push_str(filter);
    name.push('.');
    for (tag, value) in tags.iter().zip(values) {
        if !is_name(tag) {
            return None;
        }
        name.push_str(tag);
        name.push_str("=.=");
        name.push_str(&tag_value(value));
        name.push_str(";.;");
    }
    name.push_str(family);
    Some(name)
}

/// Label values of one defined combination, in the order of the tags.
type Values = Box<[Box<str>]>;

/// One labelled family: the metric of each label-value combination defined
/// on first use and cached (`T`: the host's metric handle). A lookup compares
/// the values with the cached ones and allocates nothing; the name is built
/// only the first time a combination is seen. Label sets are small (the
/// filters use closed sets, and lane names and issuer indexes from the
/// configuration), so a linear search is the cheap one.
#[derive(Debug)]
pub struct Family<T> {
    filter: &'static str,
    family: &'static str,
    tags: &'static [&'static str],
    defined: RefCell<Vec<(Values, T)>>,
}

impl<T: Copy> Family<T> {
    pub fn new(filter: &'static str, tags: &'static [&'static str], family: &'static str) -> Self {
        Family {
            filter,
            family,
            tags,
            defined: RefCell::new(Vec::new()),
        }
    }

    /// The metric for `values` (in the order of the tags), defined with
    /// `define(name)` the first time; `None` when `values` does not fit the
    /// tags (or the family is being defined re-entrantly).
    pub fn get(&self, values: &[&str], define: impl FnOnce(&str) -> T) -> Option<T> {
        let mut defined = self.defined.try_borrow_mut().ok()?;
        let found = defined.iter().find(|(v, _)| {
            v.len() == values.len() && v.iter().zip(values).all(|(a, b)| &**a == *b)
        });
        if let Some((_, metric)) = found {
            return Some(*metric);
        }
        let name = tagged(self.filter, self.tags, values, self.family)?;
        let metric = define(&name);
        defined.push((values.iter().map(|v| Box::from(*v)).collect(), metric));
        Some(metric)
    }

    /// How many combinations are defined.
    pub fn len(&self) -> usize {
        self.defined.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_come_before_the_family() {
        assert_eq!(
            tagged(
                "jwt_auth",
                &["result", "reason"],
                &["denied", "expired"],
                "requests"
            )
            .as_deref(),
            Some("jwt_auth.result=.=denied;.;reason=.=expired;.;requests")
        );
        assert_eq!(
            tagged("grey_chain", &[], &[], "correlation_table_entries").as_deref(),
            Some("grey_chain.correlation_table_entries")
        );
    }

    #[test]
    fn values_that_would_break_the_tag_regex_are_escaped() {
        assert_eq!(tag_value("a;.;b"), "a_._b");
        assert_eq!(tag_value("x=.=y"), "x_._y");
        assert_eq!(tag_value("grey lane\"}"), "grey_lane__");
        assert_eq!(tag_value("ünï"), "_n_");
        assert_eq!(tag_value(""), "none");
        assert_eq!(tag_value("canary-2.v1_x"), "canary-2.v1_x");
        let name = tagged("grey_chain", &["lane"], &["a;.;decision=.=x"], "requests");
        assert_eq!(
            name.as_deref(),
            Some("grey_chain.lane=.=a_._decision_._x;.;requests")
        );
        // Exactly one `;.;` per tag: the lazy regex `(lane=\.=(.*?);\.;)` takes the whole value.
        assert_eq!(name.map(|n| n.matches(";.;").count()), Some(1));
    }

    #[test]
    fn bad_names_and_lengths_are_refused() {
        assert_eq!(tagged("jwt_auth", &["result"], &[], "requests"), None);
        assert_eq!(tagged("jwt_auth", &["Result"], &["x"], "requests"), None);
        assert_eq!(tagged("jwt-auth", &["result"], &["x"], "requests"), None);
        assert_eq!(tagged("jwt_auth", &["result"], &["x"], ""), None);
        assert_eq!(tagged("jwt_auth", &["re;sult"], &["x"], "requests"), None);
    }

    #[test]
    fn a_family_defines_each_combination_once() {
        let family: Family<usize> = Family::new("f", &["a", "b"], "requests");
        let mut names = Vec::new();
        let mut define = |n: &str| {
            names.push(n.to_string());
            names.len()
        };
        assert_eq!(family.get(&["x", "y"], &mut define), Some(1));
        assert_eq!(family.get(&["x", "z"], &mut define), Some(2));
        assert_eq!(family.get(&["x", "y"], &mut define), Some(1));
        assert_eq!(family.get(&["x"], &mut define), None);
        assert_eq!(family.len(), 2);
        assert_eq!(
            names,
            ["f.a=.=x;.;b=.=y;.;requests", "f.a=.=x;.;b=.=z;.;requests"]
        );
    }
}
