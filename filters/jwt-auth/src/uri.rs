//! The http(s) URIs jwt-auth fetches (`jwksUri`, an issuer's OpenID Connect
//! discovery document): split into what an Envoy http call needs.

/// `http(s)://authority/path?query` → (authority, path-and-query).
pub fn split_uri(uri: &str) -> Option<(String, String)> {
    let rest = uri
        .strip_prefix("http://")
        .or_else(|| uri.strip_prefix("https://"))?;
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (rest.get(..i)?, rest.get(i..)?),
        None => (rest, "/"),
    };
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_string()
    };
    let valid = !authority.is_empty()
        && !authority.contains('@')
        && authority.bytes().all(|b| b.is_ascii_graphic())
        && !path.contains('#')
        && path.bytes().all(|b| b.is_ascii_graphic());
    valid.then(|| (authority.to_string(), path))
}

/// The discovery document URL's path for `issuer`'s path part.
pub fn document_path(issuer_path: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer_path.trim_end_matches('/')
    )
}
