//! How one `jwtRules[i]` entry (a token provider) is checked and compiled:
//! issuer, audiences, keys (inline JWKS or a remote one), where the token is
//! looked for, clock skew, the fetch timeout, space-delimited claims. Its output headers: `claim_headers`.

use super::claim_headers::{check_output_header, claim_headers};
use super::model::{
    DiscoveryTarget, JwtRule, KeySource, Location, Presence, RemoteJwks,
    DEFAULT_CLOCK_SKEW_SECONDS, DEFAULT_FETCH_TIMEOUT_MS, DEFAULT_JWKS_CACHE_SECONDS,
    MAX_CLOCK_SKEW_SECONDS, MAX_JWKS_CACHE_SECONDS,
};
use super::raw::{RawFromHeader, RawJwtRule};
use crate::jwks;
use crate::uri::{document_path, split_uri};
use filters_common::duration;
use filters_common::http_token::{check_header_name, is_token};
use filters_common::ConfigErrors;

pub(super) fn jwt_rule(mut r: RawJwtRule, at: &str, errors: &mut ConfigErrors) -> Option<JwtRule> {
    let before = errors.errors.len();
    let issuer = match r.issuer {
        Some(i) if !i.is_empty() => i,
        _ => {
            errors.add(format!("{at}.issuer"), "is required");
            String::new()
        }
    };
    for (i, a) in r.audiences.iter().enumerate() {
        if a.is_empty() {
            errors.add(format!("{at}.audiences[{i}]"), "must not be empty");
        }
    }
    if r.discovery_cluster.is_some()
        && (r.jwks.is_some() || r.jwks_uri.is_some() || r.jwks_uri_snake.is_some())
    {
        errors.add(
            format!("{at}.discoveryCluster"),
            "only used with OpenID Connect discovery (neither jwks, jwksUri nor jwks_uri)",
        );
    }
    let timeout_ms = fetch_timeout(r.timeout.as_deref(), at, errors);
    let given = [
        r.jwks.is_some(),
        r.jwks_uri.is_some(),
        r.jwks_uri_snake.is_some(),
    ];
    if given.iter().filter(|g| **g).count() > 1 {
        // Istio's CEL rule on the whole rule: at most one of the three.
        errors.add(at, "only one of jwks, jwksUri or jwks_uri can be set");
    }
    let uri_field = if r.jwks_uri.is_some() {
        "jwksUri"
    } else {
        "jwks_uri"
    };
    let keys = match (r.jwks, r.jwks_uri.or(r.jwks_uri_snake)) {
        _ if given.iter().filter(|g| **g).count() > 1 => None,
        (None, None) => {
            discovered(&issuer, at, r.jwks_cluster, r.jwks_cache_seconds, errors).map(|mut spec| {
                spec.discovery =
                    discovery_target(&issuer, r.discovery_cluster.take(), &spec, at, errors);
                spec.timeout_ms = timeout_ms;
                KeySource::Remote(spec)
            })
        }
        (Some(doc), None) => {
            if r.jwks_cluster.is_some() {
                errors.add(format!("{at}.jwksCluster"), "only used with jwksUri");
            }
            if r.jwks_cache_seconds.is_some() {
                errors.add(format!("{at}.jwksCacheSeconds"), "only used with jwksUri");
            }
            let (set, problems) = jwks::parse(doc.as_bytes());
            for p in &problems {
                errors.add(format!("{at}.jwks"), p.to_string());
            }
            problems.is_empty().then_some(KeySource::Inline(set))
        }
        (None, Some(uri)) => remote(
            at,
            uri_field,
            uri,
            r.jwks_cluster,
            r.jwks_cache_seconds,
            errors,
        )
        .map(|mut spec| {
            spec.timeout_ms = timeout_ms;
            KeySource::Remote(spec)
        }),
        (Some(_), Some(_)) => None,
    };
    for (i, c) in r.space_delimited_claims.iter().enumerate() {
        if c.is_empty() {
            errors.add(
                format!("{at}.spaceDelimitedClaims[{i}]"),
                "must not be empty",
            );
        }
    }
    let mut locations = Vec::new();
    let none_given =
        r.from_headers.is_none() && r.from_params.is_none() && r.from_cookies.is_none();
    let from_headers = match r.from_headers {
        Some(h) => h,
        None if none_given => vec![RawFromHeader {
            name: "authorization".into(),
            prefix: "Bearer ".into(),
        }],
        None => Vec::new(),
    };
    for (i, h) in from_headers.into_iter().enumerate() {
        check_header_name(&h.name, &format!("{at}.fromHeaders[{i}].name"), errors);
        locations.push(Location::Header {
            name: h.name,
            prefix: h.prefix,
        });
    }
    let from_params = match r.from_params {
        Some(p) => p,
        None if none_given => vec!["access_token".into()],
        None => Vec::new(),
    };
    for (i, p) in from_params.into_iter().enumerate() {
        if p.is_empty() || p.contains(['&', '=', '?', '#']) {
            errors.add(
                format!("{at}.fromParams[{i}]"),
                "must be a non-empty parameter name",
            );
        }
        locations.push(Location::Param(p));
    }
    for (i, c) in r.from_cookies.unwrap_or_default().into_iter().enumerate() {
        if !is_token(&c) {
            errors.add(
                format!("{at}.fromCookies[{i}]"),
                "must be a valid cookie name",
            );
        }
        locations.push(Location::Cookie(c));
    }
    if locations.is_empty() {
        errors.add(format!("{at}.fromHeaders"), "no token location left");
    }
    let token_headers: Vec<&str> = locations
        .iter()
        .filter_map(|l| match l {
            Location::Header { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    let output_claim_to_headers = claim_headers(
        r.output_claim_to_headers,
        &token_headers,
        &r.space_delimited_claims,
        at,
        errors,
    );
    if let Some(h) = &r.output_payload_to_header {
        check_output_header(
            h,
            &token_headers,
            &format!("{at}.outputPayloadToHeader"),
            errors,
        );
    }
    let clock_skew_seconds = r.clock_skew_seconds.unwrap_or(DEFAULT_CLOCK_SKEW_SECONDS);
    if clock_skew_seconds > MAX_CLOCK_SKEW_SECONDS {
        errors.add(
            format!("{at}.clockSkewSeconds"),
            format!("must be at most {MAX_CLOCK_SKEW_SECONDS}"),
        );
    }
    if errors.errors.len() != before {
        return None;
    }
    Some(JwtRule {
        issuer,
        audiences: r.audiences,
        keys: keys?,
        locations,
        output_payload_to_header: r.output_payload_to_header,
        output_claim_to_headers,
        presence: r.presence.unwrap_or(Presence::Optional),
        forward_original_token: r.forward_original_token,
        clock_skew_seconds,
        require_expiration: r.require_expiration.unwrap_or(true),
    })
}

fn remote(
    at: &str,
    uri_field: &str,
    uri: String,
    cluster: Option<String>,
    cache_seconds: Option<u64>,
    errors: &mut ConfigErrors,
) -> Option<RemoteJwks> {
    let cluster = match cluster {
        Some(c) if !c.is_empty() => Some(c),
        _ => {
            errors.add(
                format!("{at}.jwksCluster"),
                "is required with jwksUri (the Envoy cluster that serves it)",
            );
            None
        }
    };
    let cache_seconds = cache_seconds.unwrap_or(DEFAULT_JWKS_CACHE_SECONDS);
    if cache_seconds == 0 || cache_seconds > MAX_JWKS_CACHE_SECONDS {
        errors.add(
            format!("{at}.jwksCacheSeconds"),
            format!("must be between 1 and {MAX_JWKS_CACHE_SECONDS}"),
        );
    }
    let parsed = split_uri(&uri);
    if parsed.is_none() {
        errors.add(
            format!("{at}.{uri_field}"),
            "must be an absolute http:// or https:// URI with a host",
        );
    }
    let (authority, path) = parsed?;
    Some(RemoteJwks {
        cluster: cluster?,
        uri,
        authority,
        path,
        cache_seconds,
        timeout_ms: DEFAULT_FETCH_TIMEOUT_MS,
        discovery: None,
    })
}

/// A rule with neither `jwks` nor a URI: OpenID Connect discovery from the
/// issuer through `jwksCluster` (required then); the JWKS target is empty
/// until the discovery document names it.
fn discovered(
    issuer: &str,
    at: &str,
    cluster: Option<String>,
    cache_seconds: Option<u64>,
    errors: &mut ConfigErrors,
) -> Option<RemoteJwks> {
    let issuer_ok = split_uri(issuer).is_some_and(|(_, p)| !p.contains('?'));
    if !issuer.is_empty() && !issuer_ok {
        errors.add(
            format!("{at}.issuer"),
            "must be an http:// or https:// URL without a query for OpenID Connect discovery (or give jwks or jwksUri)",
        );
    }
    if cluster.as_deref().is_none_or(str::is_empty) {
        errors.add(
            format!("{at}.jwksCluster"),
            "is required for OpenID Connect discovery (a rule with neither jwks, jwksUri nor jwks_uri)",
        );
        return None;
    }
    let spec = remote(
        at,
        "jwksUri",
        "https://discovery.invalid/".into(),
        cluster,
        cache_seconds,
        errors,
    )?;
    issuer_ok.then_some(RemoteJwks {
        uri: String::new(),
        authority: String::new(),
        path: String::new(),
        ..spec
    })
}

fn discovery_target(
    issuer: &str,
    cluster: Option<String>,
    spec: &RemoteJwks,
    at: &str,
    errors: &mut ConfigErrors,
) -> Option<DiscoveryTarget> {
    if cluster.as_deref() == Some("") {
        errors.add(format!("{at}.discoveryCluster"), "must not be empty");
    }
    let (authority, path) = split_uri(issuer)?;
    Some(DiscoveryTarget {
        cluster: cluster.unwrap_or_else(|| spec.cluster.clone()),
        authority,
        path: document_path(&path),
    })
}

/// `timeout`: an Istio duration of at least 1 ms (whole milliseconds, as
/// Envoy's call timeout takes them); absent = 5 s.
fn fetch_timeout(timeout: Option<&str>, at: &str, errors: &mut ConfigErrors) -> u64 {
    let Some(t) = timeout else {
        return DEFAULT_FETCH_TIMEOUT_MS;
    };
    match duration::parse(t).map(|d| u64::try_from(d.as_millis())) {
        Ok(Ok(ms)) if ms >= 1 => ms,
        Ok(_) => {
            errors.add(format!("{at}.timeout"), "must be at least 1ms");
            DEFAULT_FETCH_TIMEOUT_MS
        }
        Err(why) => {
            errors.add(format!("{at}.timeout"), why);
            DEFAULT_FETCH_TIMEOUT_MS
        }
    }
}
