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

use filters_common::config_reader::{field, object, string};
use filters_common::duration;
use filters_common::ConfigErrors;
use serde_json::Value;
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
#[derive(Debug)]
pub(crate) struct RawRetries {
    attempts: Option<i64>,
    per_try_timeout: Option<String>,
    retry_on: Option<String>,
}

/// Reads `retries` as written at `at` (its shape only; [`check`] judges it).
pub(crate) fn read_retries(v: &Value, at: &str, e: &mut ConfigErrors) -> Option<RawRetries> {
    let m = object(v, at, &["attempts", "perTryTimeout", "retryOn"], e)?;
    Some(RawRetries {
        attempts: field(m, at, "attempts", e, |v| {
            v.as_i64().ok_or("must be an integer")
        }),
        per_try_timeout: field(m, at, "perTryTimeout", e, string),
        retry_on: field(m, at, "retryOn", e, string),
    })
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
mod tests;
