//! What a refused request gets back: the status, `WWW-Authenticate` as
//! Envoy's jwt_authn writes it, and a short JSON body that never echoes the
//! token.

use crate::verify::Failure;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    pub status: u32,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub reason: Failure,
}

/// `realm` is `<scheme>://<authority><path without query>` (the query may
/// hold the token, so it is never written back).
pub fn deny(reason: Failure, realm: &str) -> Denial {
    let (status, error) = match reason {
        Failure::JwksUnavailable | Failure::Busy => (503, "service_unavailable"),
        Failure::Audience => (403, "forbidden"),
        _ => (401, "unauthorized"),
    };
    let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
    let realm = sanitize(realm);
    match reason {
        Failure::JwksUnavailable | Failure::Busy => {}
        Failure::Missing => headers.push((
            "www-authenticate".into(),
            format!("Bearer realm=\"{realm}\""),
        )),
        _ => headers.push((
            "www-authenticate".into(),
            format!("Bearer realm=\"{realm}\", error=\"invalid_token\""),
        )),
    }
    let body = format!(r#"{{"error":"{error}","reason":"{}"}}"#, reason.name());
    Denial {
        status,
        headers,
        body,
        reason,
    }
}

/// A path that cannot be normalized: 400 with the normalization reason.
pub fn bad_path(reason: &str) -> Denial {
    Denial {
        status: 400,
        headers: vec![("content-type".to_string(), "application/json".to_string())],
        body: format!(r#"{{"error":"bad_request","reason":"{reason}"}}"#),
        reason: Failure::BadPath,
    }
}

/// Keeps the realm a valid quoted-string: quotes, backslashes and anything
/// outside visible ASCII are percent-encoded.
fn sanitize(realm: &str) -> String {
    let mut out = String::with_capacity(realm.len());
    for b in realm.bytes() {
        if b.is_ascii_graphic() && b != b'"' && b != b'\\' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_challenges() {
        let d = deny(Failure::Missing, "http://a/b");
        assert_eq!(d.status, 401);
        assert!(d.headers.contains(&(
            "www-authenticate".into(),
            "Bearer realm=\"http://a/b\"".into()
        )));
        assert_eq!(d.body, r#"{"error":"unauthorized","reason":"missing"}"#);
        let d = deny(Failure::Expired, "http://a/b");
        assert!(d.headers.contains(&(
            "www-authenticate".into(),
            "Bearer realm=\"http://a/b\", error=\"invalid_token\"".into()
        )));
        assert_eq!(deny(Failure::Audience, "r").status, 403);
        let d = deny(Failure::JwksUnavailable, "r");
        assert_eq!(d.status, 503);
        assert!(d.headers.iter().all(|(n, _)| n != "www-authenticate"));
        assert_eq!(
            d.body,
            r#"{"error":"service_unavailable","reason":"jwks_unavailable"}"#
        );
    }

    #[test]
    fn bad_path_is_a_400_with_the_reason() {
        let d = bad_path("encoded_slash");
        assert_eq!(d.status, 400);
        assert_eq!(
            d.body,
            r#"{"error":"bad_request","reason":"encoded_slash"}"#
        );
        assert!(d.headers.iter().all(|(n, _)| n != "www-authenticate"));
    }

    #[test]
    fn realm_cannot_break_the_header() {
        let d = deny(Failure::Missing, "http://a/\"x\\ é");
        assert_eq!(d.headers[1].1, "Bearer realm=\"http://a/%22x%5C%20%C3%A9\"");
    }
}
