//! What an OpenID Connect discovery document must say before its `jwks_uri`
//! is used (OpenID Connect Discovery 1.0 §4.3): an object whose `issuer` is
//! exactly the rule's issuer and whose `jwks_uri` is an http(s) URI. The
//! answer is the JWKS target, or the reason the document is refused.

use crate::uri::split_uri;
use serde_json::Value;

/// Where the JWKS is: (URI, authority, path-and-query).
pub type JwksTarget = (String, String, String);

/// Checks a fetched discovery document (at most `max` bytes) for `issuer`.
pub fn jwks_target(body: &[u8], issuer: &str, max: usize) -> Result<JwksTarget, String> {
    if body.len() > max {
        return Err(format!(
            "document of {} bytes is over maxJwksBytes ({max})",
            body.len()
        ));
    }
    let doc =
        filters_common::strict_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    let doc = doc.as_object().ok_or("not a JSON object")?;
    match doc.get("issuer").and_then(Value::as_str) {
        Some(i) if i == issuer => {}
        Some(_) => return Err("its issuer is not the rule's issuer".into()),
        None => return Err("no issuer string".into()),
    }
    let uri = doc
        .get("jwks_uri")
        .and_then(Value::as_str)
        .ok_or("no jwks_uri string")?;
    let (authority, path) =
        split_uri(uri).ok_or("jwks_uri is not an absolute http:// or https:// URI")?;
    Ok((uri.to_string(), authority, path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uri::document_path;

    const ISS: &str = "https://auth.example.com/realms/a";

    fn check(doc: &str) -> Result<JwksTarget, String> {
        jwks_target(doc.as_bytes(), ISS, 4096)
    }

    #[test]
    fn a_good_document_names_the_jwks() {
        let t = check(
            r#"{"issuer":"https://auth.example.com/realms/a","jwks_uri":"https://keys.example.com/a/certs?x=1","other":[1]}"#,
        );
        assert_eq!(
            t,
            Ok((
                "https://keys.example.com/a/certs?x=1".into(),
                "keys.example.com".into(),
                "/a/certs?x=1".into()
            ))
        );
        assert_eq!(
            document_path("/realms/a/"),
            "/realms/a/.well-known/openid-configuration"
        );
        assert_eq!(document_path(""), "/.well-known/openid-configuration");
    }

    #[test]
    fn hostile_documents_are_refused_with_the_reason() {
        for (doc, why) in [
            (
                r#"{"issuer":"https://evil.example.com","jwks_uri":"https://k/j"}"#,
                "issuer is not",
            ),
            (
                r#"{"issuer":"https://auth.example.com/realms/a/","jwks_uri":"https://k/j"}"#,
                "issuer is not",
            ),
            (
                r#"{"issuer":"HTTPS://auth.example.com/realms/a","jwks_uri":"https://k/j"}"#,
                "issuer is not",
            ),
            (r#"{"jwks_uri":"https://k/j"}"#, "no issuer"),
            (r#"{"issuer":1,"jwks_uri":"https://k/j"}"#, "no issuer"),
            (
                r#"{"issuer":"https://auth.example.com/realms/a"}"#,
                "no jwks_uri",
            ),
            (
                r#"{"issuer":"https://auth.example.com/realms/a","jwks_uri":"file:///etc/passwd"}"#,
                "not an absolute",
            ),
            (
                r#"{"issuer":"https://auth.example.com/realms/a","jwks_uri":"https://u@k/j"}"#,
                "not an absolute",
            ),
            (
                r#"{"issuer":"https://auth.example.com/realms/a","issuer":"x","jwks_uri":"https://k/j"}"#,
                "not JSON",
            ),
            ("[]", "not a JSON object"),
            ("", "not JSON"),
        ] {
            let got = check(doc).err().unwrap_or_default();
            assert!(got.contains(why), "{doc}: {got}");
        }
        let big = format!(
            r#"{{"issuer":"{ISS}","jwks_uri":"https://k/j","pad":"{}"}}"#,
            "x".repeat(5000)
        );
        assert!(check(&big)
            .err()
            .unwrap_or_default()
            .contains("over maxJwksBytes"));
    }
}
