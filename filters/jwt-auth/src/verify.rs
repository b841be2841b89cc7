//! How a token is checked: its form (three strict base64url segments, JSON
//! objects, no `crit`), its signature against the rule's keys, then its time
//! claims and audience.

use crate::b64;
use crate::config::JwtRule;
use crate::crypto;
use crate::crypto::backend::Backend;
use crate::jwks::{Alg, Jwk, KeySet};
use serde_json::{Map, Value};

/// Why a token was refused. The names are the metric and response reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    Missing,
    Malformed,
    Signature,
    Expired,
    NotYetValid,
    Issuer,
    Audience,
    UnknownKid,
    JwksUnavailable,
    /// Not a token failure: the path cannot be normalized, so no rule can
    /// be chosen for it (400).
    BadPath,
    /// Not a token failure: keys are being fetched and `maxWaitingRequests`
    /// requests already wait for them (503).
    Busy,
}

impl Failure {
    pub fn name(self) -> &'static str {
        match self {
            Failure::Missing => "missing",
            Failure::Malformed => "malformed",
            Failure::Signature => "signature",
            Failure::Expired => "expired",
            Failure::NotYetValid => "not_yet_valid",
            Failure::Issuer => "issuer",
            Failure::Audience => "audience",
            Failure::UnknownKid => "unknown_kid",
            Failure::JwksUnavailable => "jwks_unavailable",
            Failure::BadPath => "bad_path",
            Failure::Busy => "busy",
        }
    }

    pub const ALL: [Failure; 11] = [
        Failure::Missing,
        Failure::Malformed,
        Failure::Signature,
        Failure::Expired,
        Failure::NotYetValid,
        Failure::Issuer,
        Failure::Audience,
        Failure::UnknownKid,
        Failure::JwksUnavailable,
        Failure::BadPath,
        Failure::Busy,
    ];
}

/// A token whose form is valid; the signature is not checked yet.
#[derive(Debug)]
pub struct Parsed<'a> {
    pub alg: Alg,
    pub kid: Option<String>,
    pub issuer: Option<String>,
    pub claims: Map<String, Value>,
    signing_input: &'a str,
    signature: Vec<u8>,
}

/// The time claims, kept with a cached token so a hit re-checks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Times {
    pub exp: Option<i64>,
    pub nbf: Option<i64>,
    pub iat: Option<i64>,
}

/// The last token header read, by its base64url segment: the tokens of one
/// issuer and key share one header, so most requests skip decoding it. Only
/// a header that passed every check is remembered.
#[derive(Debug, Default)]
pub struct HeaderMemo {
    segment: String,
    header: Option<(Alg, Option<String>)>,
}

/// Checks the form of a compact JWS. The JSON serialization, other segment
/// counts, padding and non-url base64 are all malformed. (The size limit is
/// the engine's, checked before the cache lookup.)
pub fn parse(token: &str) -> Result<Parsed<'_>, Failure> {
    parse_remembering(token, &mut HeaderMemo::default())
}

/// [`parse`], reading the header from `memo` when its segment is the one
/// remembered (and remembering it otherwise).
pub fn parse_remembering<'t>(token: &'t str, memo: &mut HeaderMemo) -> Result<Parsed<'t>, Failure> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Failure::Malformed);
    };
    let (alg, kid) = match &memo.header {
        Some(known) if memo.segment == h => known.clone(),
        _ => {
            let header = header(h)?;
            memo.segment = h.to_owned();
            memo.header = Some(header.clone());
            header
        }
    };
    let claims = object(p)?;
    let signature = b64::decode(s.as_bytes()).ok_or(Failure::Malformed)?;
    let issuer = match claims.get("iss") {
        None => None,
        Some(Value::String(i)) => Some(i.clone()),
        Some(_) => return Err(Failure::Malformed),
    };
    let signing_input = token
        .get(..h.len() + 1 + p.len())
        .ok_or(Failure::Malformed)?;
    Ok(Parsed {
        alg,
        kid,
        issuer,
        claims,
        signing_input,
        signature,
    })
}

/// The header's `alg` and `kid`, after its checks.
fn header(segment: &str) -> Result<(Alg, Option<String>), Failure> {
    let header = object(segment)?;
    // We understand no critical extension, so any `crit` is refused (RFC 7515 §4.1.11).
    if header.contains_key("crit") || header.contains_key("b64") {
        return Err(Failure::Malformed);
    }
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .and_then(Alg::from_name)
        .ok_or(Failure::Malformed)?;
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(k)) => Some(k.clone()),
        Some(_) => return Err(Failure::Malformed),
    };
    Ok((alg, kid))
}

fn object(segment: &str) -> Result<Map<String, Value>, Failure> {
    let bytes = b64::decode(segment.as_bytes()).ok_or(Failure::Malformed)?;
    // A repeated header or claim name is refused (RFC 7515 4 and RFC 7519 4
    // allow refusing or last-wins; refusing leaves nothing to disagree on).
    match filters_common::strict_json::from_slice(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(Failure::Malformed),
    }
}

/// Whether the token names a key the set does not have.
pub fn kid_unknown(token: &Parsed<'_>, keys: &KeySet) -> bool {
    token
        .kid
        .as_deref()
        .is_some_and(|kid| !keys.keys.iter().any(|k| k.kid.as_deref() == Some(kid)))
}

/// Whether `key` is tried for `token` (google/jwt_verify_lib, inside Envoy's
/// jwt_authn): skipped only when both carry a `kid` and they differ, or when
/// the key cannot verify the token's `alg` (its own `alg` differs, or its
/// kind does not fit). A key without `kid` is tried for any token.
pub fn tried(token: &Parsed<'_>, key: &Jwk) -> bool {
    let kid_differs = matches!((&token.kid, &key.kid), (Some(t), Some(k)) if t != k);
    !kid_differs && key.accepts(token.alg)
}

/// Checks the signature with the module's own code (see [`signature_via`]).
pub fn signature(token: &Parsed<'_>, keys: &KeySet) -> Result<(), Failure> {
    signature_via(&Backend::module(), token, keys)
}

/// Checks the signature against every key [`tried`] for the token, through
/// `backend`. No key tried and a `kid` no key carries: `UnknownKid`; a kid
/// never falls back to a key with another kid.
pub fn signature_via(backend: &Backend, token: &Parsed<'_>, keys: &KeySet) -> Result<(), Failure> {
    let input = token.signing_input.as_bytes();
    let mut any = false;
    for key in keys.keys.iter().filter(|k| tried(token, k)) {
        any = true;
        if crypto::verify(backend, token.alg, key, input, &token.signature) {
            return Ok(());
        }
    }
    if !any && kid_unknown(token, keys) {
        Err(Failure::UnknownKid)
    } else {
        Err(Failure::Signature)
    }
}

/// Reads `exp`, `nbf`, `iat` (NumericDate: any JSON number, fractions dropped).
pub fn times(claims: &Map<String, Value>) -> Result<Times, Failure> {
    let read = |name: &str| -> Result<Option<i64>, Failure> {
        match claims.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
                .map(Some)
                .ok_or(Failure::Malformed),
            Some(_) => Err(Failure::Malformed),
        }
    };
    Ok(Times {
        exp: read("exp")?,
        nbf: read("nbf")?,
        iat: read("iat")?,
    })
}

/// Checks the time claims at `now` (seconds) with the rule's skew.
pub fn check_times(t: Times, rule: &JwtRule, now: i64) -> Result<(), Failure> {
    let skew = i64::try_from(rule.clock_skew_seconds).unwrap_or(i64::MAX);
    match t.exp {
        Some(exp) if now > exp.saturating_add(skew) => return Err(Failure::Expired),
        None if rule.require_expiration => return Err(Failure::Malformed),
        _ => {}
    }
    let future = |v: Option<i64>| v.is_some_and(|v| v > now.saturating_add(skew));
    if future(t.nbf) || future(t.iat) {
        return Err(Failure::NotYetValid);
    }
    Ok(())
}

/// Checks `aud` against the rule's audiences (empty list = not checked).
pub fn check_audience(claims: &Map<String, Value>, rule: &JwtRule) -> Result<(), Failure> {
    if rule.audiences.is_empty() {
        return Ok(());
    }
    let allowed = |v: &Value| {
        v.as_str()
            .is_some_and(|a| rule.audiences.iter().any(|r| r == a))
    };
    let ok = match claims.get("aud") {
        Some(Value::Array(list)) => list.iter().any(allowed),
        Some(v) => allowed(v),
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Failure::Audience)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::b64::encode;

    fn token(header: &str, claims: &str) -> String {
        format!(
            "{}.{}.c2ln",
            encode(header.as_bytes()),
            encode(claims.as_bytes())
        )
    }

    #[test]
    fn a_remembered_header_answers_only_for_its_own_segment() {
        let mut memo = HeaderMemo::default();
        let good = token(r#"{"alg":"RS256","kid":"k1"}"#, r#"{"iss":"a"}"#);
        let parsed = parse_remembering(&good, &mut memo).unwrap();
        assert_eq!(
            (parsed.alg, parsed.kid.as_deref()),
            (Alg::RS256, Some("k1"))
        );
        // Another header is read, not taken from the memo.
        for bad in [
            r#"{"alg":"RS256","kid":"k1","crit":["x"]}"#,
            r#"{"alg":"none","kid":"k1"}"#,
            r#"{"alg":"RS256","kid":7}"#,
            r#"{"alg":"RS256","alg":"HS256"}"#,
        ] {
            let t = token(bad, r#"{"iss":"a"}"#);
            assert_eq!(
                parse_remembering(&t, &mut memo).unwrap_err(),
                Failure::Malformed,
                "{bad}"
            );
            assert_eq!(parse(&t).unwrap_err(), Failure::Malformed, "{bad}");
        }
        let other = token(r#"{"alg":"ES256","kid":"k2"}"#, r#"{"iss":"b"}"#);
        let parsed = parse_remembering(&other, &mut memo).unwrap();
        assert_eq!(
            (parsed.alg, parsed.kid.as_deref()),
            (Alg::ES256, Some("k2"))
        );
        assert_eq!(parsed.issuer.as_deref(), Some("b"));
        // The remembered header does not excuse the rest of the token.
        let h = good.split('.').next().unwrap();
        for rest in ["e30", "e30.c2ln.x", "bm90IGpzb24.c2ln", "e30.c2l+"] {
            let t = format!("{h}.{rest}");
            assert_eq!(
                parse_remembering(&t, &mut memo).unwrap_err(),
                Failure::Malformed,
                "{t}"
            );
        }
        let again = parse_remembering(&good, &mut memo).unwrap();
        assert_eq!((again.alg, again.kid.as_deref()), (Alg::RS256, Some("k1")));
        assert_eq!(again.signing_input, good.rsplit_once('.').unwrap().0);
    }
}
