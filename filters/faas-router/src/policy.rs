//! A route's `timeout` and `retries` (Istio's field names), checked once and
//! turned into the Envoy request headers the router filter reads
//! (`x-envoy-upstream-rq-timeout-ms`, `x-envoy-max-retries`,
//! `x-envoy-retry-on`, `x-envoy-retry-grpc-on`,
//! `x-envoy-retriable-status-codes`, `x-envoy-upstream-rq-per-try-timeout-ms`).
//!
//! Envoy honours those headers from clients it counts as internal, so every
//! client-sent copy is removed under `pathPrefix` ([`is_control_header`]):
//! only the table decides a faas route's timeout and retries.
//!
//! Modelled, not run here: Istio's translation of `HTTPRetry`
//! (`pilot/pkg/networking/core/route/retry`): gRPC items of `retryOn` go to
//! Envoy's gRPC retry-on, numbers become retriable status codes (and add
//! `retriable-status-codes`). As headers those are `x-envoy-retry-grpc-on`
//! and `x-envoy-retriable-status-codes`.

use crate::duration;
use filters_common::ConfigErrors;
use serde::Deserialize;
use std::time::Duration;

pub const TIMEOUT: &str = "x-envoy-upstream-rq-timeout-ms";
pub const MAX_RETRIES: &str = "x-envoy-max-retries";
pub const RETRY_ON: &str = "x-envoy-retry-on";
pub const RETRY_GRPC_ON: &str = "x-envoy-retry-grpc-on";
pub const RETRIABLE_STATUS_CODES: &str = "x-envoy-retriable-status-codes";
pub const PER_TRY_TIMEOUT: &str = "x-envoy-upstream-rq-per-try-timeout-ms";

/// Every header this module may set: a client's copies are removed from
/// every request under `pathPrefix`, whether or not its route names them.
pub const CONTROL_HEADERS: [&str; 6] = [
    TIMEOUT,
    MAX_RETRIES,
    RETRY_ON,
    RETRY_GRPC_ON,
    RETRIABLE_STATUS_CODES,
    PER_TRY_TIMEOUT,
];

/// Length bounds of [`CONTROL_HEADERS`] (a unit test checks them).
const SHORTEST_CONTROL: usize = RETRY_ON.len();
const LONGEST_CONTROL: usize = PER_TRY_TIMEOUT.len();

/// At most this many retries per route (Istio has no limit; 10 keeps one
/// slow function from multiplying its load by more).
pub const MAX_ATTEMPTS: u32 = 10;

/// Envoy's `x-envoy-retry-on` values (router filter documentation).
pub const HTTP_RETRY_ON: [&str; 11] = [
    "5xx",
    "gateway-error",
    "reset",
    "reset-before-request",
    "connect-failure",
    "envoy-ratelimited",
    "retriable-4xx",
    "refused-stream",
    "retriable-status-codes",
    "retriable-headers",
    "http3-post-connect-failure",
];

/// Envoy's `x-envoy-retry-grpc-on` values.
pub const GRPC_RETRY_ON: [&str; 5] = [
    "cancelled",
    "deadline-exceeded",
    "internal",
    "resource-exhausted",
    "unavailable",
];

/// `retries` as configured.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawRetries {
    attempts: Option<i64>,
    per_try_timeout: Option<String>,
    retry_on: Option<String>,
}

/// A route's checked timeout and retries, and the headers they give.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    pub timeout: Option<Duration>,
    pub retries: Option<Retries>,
    /// What a routed request gets, in this order; only what the route names.
    pub headers: Vec<(&'static str, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retries {
    pub attempts: u32,
    pub per_try_timeout: Option<Duration>,
    /// The `retryOn` items as configured (spaces trimmed), in order.
    pub retry_on: Vec<String>,
}

/// True for a header a client must not set on a faas request (any case:
/// proxy-wasm hands names lower-cased, tests may not).
pub fn is_control_header(name: &[u8]) -> bool {
    control_header_index(name).is_some()
}

/// The position of `name` in [`CONTROL_HEADERS`], if it is one.
pub fn control_header_index(name: &[u8]) -> Option<usize> {
    // Every request header passes here: most are out after two compares.
    if !(SHORTEST_CONTROL..=LONGEST_CONTROL).contains(&name.len())
        || !matches!(name.first(), Some(b'x' | b'X'))
    {
        return None;
    }
    CONTROL_HEADERS
        .iter()
        .position(|h| h.as_bytes().eq_ignore_ascii_case(name))
}

/// Checks `timeout` and `retries` of the route at `at` (`routes[3]`).
pub(crate) fn check(
    timeout: Option<&str>,
    retries: Option<&RawRetries>,
    at: &str,
    errors: &mut ConfigErrors,
) -> Policy {
    let mut policy = Policy::default();
    if let Some(t) = timeout {
        match duration::parse(t) {
            Ok(d) => {
                policy.timeout = Some(d);
                policy.headers.push((TIMEOUT, d.as_millis().to_string()));
            }
            Err(why) => errors.add(format!("{at}.timeout"), why),
        }
    }
    if let Some(r) = retries {
        policy.retries = check_retries(r, &format!("{at}.retries"), &mut policy.headers, errors);
    }
    policy
}

fn check_retries(
    r: &RawRetries,
    at: &str,
    headers: &mut Vec<(&'static str, String)>,
    errors: &mut ConfigErrors,
) -> Option<Retries> {
    let attempts = match r.attempts {
        None => {
            errors.add(
                format!("{at}.attempts"),
                "is required (0 turns retries off)",
            );
            None
        }
        Some(n) => match u32::try_from(n) {
            Ok(n) if n <= MAX_ATTEMPTS => Some(n),
            _ => {
                errors.add(
                    format!("{at}.attempts"),
                    format!("{n} is outside 0..={MAX_ATTEMPTS}"),
                );
                None
            }
        },
    };
    let per_try_timeout = r.per_try_timeout.as_deref().and_then(|t| {
        duration::parse(t)
            .map_err(|why| errors.add(format!("{at}.perTryTimeout"), why))
            .ok()
    });
    let retry_on = r
        .retry_on
        .as_deref()
        .map(|list| check_retry_on(list, &format!("{at}.retryOn"), errors));
    if attempts == Some(0) {
        for (given, field) in [
            (r.per_try_timeout.is_some(), "perTryTimeout"),
            (r.retry_on.is_some(), "retryOn"),
        ] {
            if given {
                errors.add(
                    format!("{at}.{field}"),
                    "has no effect with attempts 0 (retries off)",
                );
            }
        }
    }
    let attempts = attempts?;
    headers.push((MAX_RETRIES, attempts.to_string()));
    let mut items = Vec::new();
    if let Some(on) = retry_on.flatten() {
        if !on.http.is_empty() {
            headers.push((RETRY_ON, on.http.join(",")));
        }
        if !on.grpc.is_empty() {
            headers.push((RETRY_GRPC_ON, on.grpc.join(",")));
        }
        if !on.codes.is_empty() {
            headers.push((RETRIABLE_STATUS_CODES, on.codes.join(",")));
        }
        items = on.items;
    }
    if let Some(d) = per_try_timeout {
        headers.push((PER_TRY_TIMEOUT, d.as_millis().to_string()));
    }
    Some(Retries {
        attempts,
        per_try_timeout,
        retry_on: items,
    })
}

/// `retryOn` sorted into Envoy's three headers.
struct RetryOn {
    items: Vec<String>,
    http: Vec<String>,
    grpc: Vec<String>,
    codes: Vec<String>,
}

/// Checks an Envoy retry-on list. `None` (after naming every bad item) when
/// an item is not one Envoy knows.
fn check_retry_on(list: &str, field: &str, errors: &mut ConfigErrors) -> Option<RetryOn> {
    let mut on = RetryOn {
        items: Vec::new(),
        http: Vec::new(),
        grpc: Vec::new(),
        codes: Vec::new(),
    };
    let mut ok = true;
    for item in list.split(',').map(str::trim) {
        if HTTP_RETRY_ON.contains(&item) {
            push_once(&mut on.http, item);
        } else if GRPC_RETRY_ON.contains(&item) {
            push_once(&mut on.grpc, item);
        } else if is_status_code(item) {
            push_once(&mut on.codes, item);
            push_once(&mut on.http, "retriable-status-codes");
        } else {
            let shown = if item.is_empty() {
                "an empty item"
            } else {
                item
            };
            errors.add(
                field.to_string(),
                format!(
                    "{shown:?} is not an Envoy retry-on value ({}; gRPC: {}; or an HTTP status code 100-599)",
                    HTTP_RETRY_ON.join(", "),
                    GRPC_RETRY_ON.join(", ")
                ),
            );
            ok = false;
            continue;
        }
        push_once(&mut on.items, item);
    }
    ok.then_some(on)
}

fn push_once(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|i| i == item) {
        list.push(item.to_string());
    }
}

fn is_status_code(item: &str) -> bool {
    item.len() == 3
        && item.bytes().all(|b| b.is_ascii_digit())
        && item.parse::<u16>().is_ok_and(|c| (100..=599).contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(timeout: Option<&str>, retries: Option<&str>) -> Result<Policy, Vec<String>> {
        let raw: Option<RawRetries> = retries.map(|r| serde_json::from_str(r).unwrap());
        let mut errors = ConfigErrors::new();
        let p = check(timeout, raw.as_ref(), "routes[0]", &mut errors);
        if errors.is_empty() {
            Ok(p)
        } else {
            Err(errors
                .errors
                .into_iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect())
        }
    }

    fn headers(p: &Policy) -> Vec<(&str, &str)> {
        p.headers.iter().map(|(n, v)| (*n, v.as_str())).collect()
    }

    #[test]
    fn only_what_the_route_names() {
        assert!(policy(None, None).unwrap().headers.is_empty());
        let p = policy(Some("15s"), None).unwrap();
        assert_eq!(headers(&p), [(TIMEOUT, "15000")]);
        assert_eq!(p.timeout, Some(Duration::from_secs(15)));
        let p = policy(None, Some(r#"{"attempts": 3}"#)).unwrap();
        assert_eq!(headers(&p), [(MAX_RETRIES, "3")]);
    }

    #[test]
    fn the_issue_example() {
        let p = policy(
            Some("15s"),
            Some(r#"{"attempts": 3, "perTryTimeout": "5s", "retryOn": "5xx,connect-failure"}"#),
        )
        .unwrap();
        assert_eq!(
            headers(&p),
            [
                (TIMEOUT, "15000"),
                (MAX_RETRIES, "3"),
                (RETRY_ON, "5xx,connect-failure"),
                (PER_TRY_TIMEOUT, "5000"),
            ]
        );
        assert_eq!(
            p.retries,
            Some(Retries {
                attempts: 3,
                per_try_timeout: Some(Duration::from_secs(5)),
                retry_on: vec!["5xx".into(), "connect-failure".into()],
            })
        );
    }

    #[test]
    fn grpc_items_and_status_codes_go_to_their_headers() {
        let p = policy(
            None,
            Some(r#"{"attempts": 2, "retryOn": " unavailable , 503,reset,cancelled,409,503"}"#),
        )
        .unwrap();
        assert_eq!(
            headers(&p),
            [
                (MAX_RETRIES, "2"),
                (RETRY_ON, "retriable-status-codes,reset"),
                (RETRY_GRPC_ON, "unavailable,cancelled"),
                (RETRIABLE_STATUS_CODES, "503,409"),
            ]
        );
        let only_grpc = policy(None, Some(r#"{"attempts": 1, "retryOn": "internal"}"#)).unwrap();
        assert_eq!(
            headers(&only_grpc),
            [(MAX_RETRIES, "1"), (RETRY_GRPC_ON, "internal")]
        );
    }

    #[test]
    fn attempts_zero_turns_retries_off() {
        let p = policy(None, Some(r#"{"attempts": 0}"#)).unwrap();
        assert_eq!(headers(&p), [(MAX_RETRIES, "0")]);
        let e = policy(
            None,
            Some(r#"{"attempts": 0, "perTryTimeout": "1s", "retryOn": "5xx"}"#),
        )
        .unwrap_err();
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[0].starts_with("routes[0].retries.perTryTimeout: has no effect"));
        assert!(e[1].starts_with("routes[0].retries.retryOn: has no effect"));
    }

    #[test]
    fn refusals_are_named() {
        let cases = [
            (
                Some("0s"),
                None,
                "routes[0].timeout: \"0s\" must be positive",
            ),
            (
                Some("-1s"),
                None,
                "routes[0].timeout: \"-1s\" must be positive",
            ),
            (Some("15"), None, "routes[0].timeout: \"15\" needs a unit"),
            (
                None,
                Some(r#"{}"#),
                "routes[0].retries.attempts: is required",
            ),
            (
                None,
                Some(r#"{"attempts": 11}"#),
                "routes[0].retries.attempts: 11 is outside 0..=10",
            ),
            (
                None,
                Some(r#"{"attempts": -1}"#),
                "routes[0].retries.attempts: -1 is outside",
            ),
            (
                None,
                Some(r#"{"attempts": 1, "perTryTimeout": "fast"}"#),
                "routes[0].retries.perTryTimeout: \"fast\"",
            ),
            (
                None,
                Some(r#"{"attempts": 1, "retryOn": "5xx,oops"}"#),
                "routes[0].retries.retryOn: \"oops\" is not an Envoy retry-on value",
            ),
            (
                None,
                Some(r#"{"attempts": 1, "retryOn": "5xx,"}"#),
                "routes[0].retries.retryOn: \"an empty item\"",
            ),
            (
                None,
                Some(r#"{"attempts": 1, "retryOn": "600"}"#),
                "routes[0].retries.retryOn: \"600\"",
            ),
            (
                None,
                Some(r#"{"attempts": 1, "retryOn": "5XX"}"#),
                "routes[0].retries.retryOn: \"5XX\"",
            ),
        ];
        for (timeout, retries, want) in cases {
            let e = policy(timeout, retries).unwrap_err();
            assert_eq!(e.len(), 1, "{e:?}");
            assert!(
                e[0].starts_with(want),
                "{} does not start with {want}",
                e[0]
            );
        }
        assert!(
            serde_json::from_str::<RawRetries>(r#"{"attempts": 1, "retryon": "5xx"}"#).is_err()
        );
    }

    #[test]
    fn control_headers_in_any_case() {
        for h in CONTROL_HEADERS {
            assert!(is_control_header(h.as_bytes()));
            assert!(is_control_header(h.to_ascii_uppercase().as_bytes()));
        }
        assert!(!is_control_header(b"x-envoy-original-path"));
        assert!(!is_control_header(b"x-envoy-max-retries-x"));
        let lengths: Vec<usize> = CONTROL_HEADERS.iter().map(|h| h.len()).collect();
        assert_eq!(lengths.iter().min(), Some(&SHORTEST_CONTROL));
        assert_eq!(lengths.iter().max(), Some(&LONGEST_CONTROL));
    }
}
