//! Which host a request is for, and whether a configured host pattern covers
//! it: one answer for every filter (jwt-auth `rules[].hosts`, faas-router
//! `virtualHosts[].hosts`).
//!
//! Patterns follow Envoy's virtual-host `domains`: an exact name, a suffix
//! wildcard `*.example.com` / `*-api.example.com` (the `*` stands for at least
//! one character, so `*.example.com` covers `a.b.example.com` but not
//! `example.com`), a prefix wildcard `api.*`, or `*` for every host. Matching
//! is ASCII case-insensitive. The request's authority loses its port (and an
//! IPv6 literal keeps its brackets) and one trailing dot before it is matched.

/// One configured host pattern, lower-cased at configuration time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostPattern {
    Any,
    Exact(String),
    /// `*<suffix>`: the host ends with the suffix and has at least one more byte.
    Suffix(String),
    /// `<prefix>*`: the host starts with the prefix and has at least one more byte.
    Prefix(String),
}

impl HostPattern {
    /// Parses one configured host; the error says what is wrong with it.
    pub fn parse(raw: &str) -> Result<HostPattern, String> {
        if raw.is_empty() {
            return Err("must not be empty".into());
        }
        if let Some(bad) = raw.chars().find(|c| {
            !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '*' | ':' | '[' | ']'))
        }) {
            return Err(format!("{bad:?} is not allowed in a host name"));
        }
        let lower = raw.to_ascii_lowercase();
        let stars = lower.matches('*').count();
        if stars > 1 {
            return Err("at most one `*`, at the start or the end".into());
        }
        if lower == "*" {
            return Ok(HostPattern::Any);
        }
        let pattern = if let Some(suffix) = lower.strip_prefix('*') {
            HostPattern::Suffix(suffix.to_string())
        } else if let Some(prefix) = lower.strip_suffix('*') {
            HostPattern::Prefix(prefix.to_string())
        } else if stars == 1 {
            return Err("`*` may only start or end a host pattern".into());
        } else {
            HostPattern::Exact(lower.strip_suffix('.').unwrap_or(&lower).to_string())
        };
        if let HostPattern::Exact(name) = &pattern {
            if name.contains(':') && !name.starts_with('[') {
                return Err(
                    "a port is not part of a host pattern (the request's port is ignored)".into(),
                );
            }
        }
        Ok(pattern)
    }

    /// True when `host` (already normalized by [`request_host`]) is covered.
    pub fn covers(&self, host: &str) -> bool {
        match self {
            HostPattern::Any => true,
            HostPattern::Exact(name) => host == name,
            HostPattern::Suffix(suffix) => {
                host.len() > suffix.len() && host.ends_with(suffix.as_str())
            }
            HostPattern::Prefix(prefix) => {
                host.len() > prefix.len() && host.starts_with(prefix.as_str())
            }
        }
    }
}

/// The host part of an `:authority` value, lower-cased, without port or one
/// trailing dot. `[::1]:8080` gives `[::1]`. Borrowed when nothing changes.
pub fn request_host(authority: &str) -> std::borrow::Cow<'_, str> {
    let without_port = if authority.starts_with('[') {
        match authority.find(']') {
            Some(end) => authority.get(..=end).unwrap_or(authority),
            None => authority,
        }
    } else {
        match authority.rfind(':') {
            Some(colon) => authority.get(..colon).unwrap_or(authority),
            None => authority,
        }
    };
    let trimmed = without_port.strip_suffix('.').unwrap_or(without_port);
    if trimmed.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(trimmed.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(trimmed)
    }
}

/// Parses a list of configured hosts, reporting each bad one as `<field>[i]`.
pub fn parse_host_list(
    field: &str,
    raw: &[String],
    errors: &mut crate::ConfigErrors,
) -> Vec<HostPattern> {
    let mut out = Vec::with_capacity(raw.len());
    for (i, host) in raw.iter().enumerate() {
        match HostPattern::parse(host) {
            Ok(p) => out.push(p),
            Err(why) => errors.add(format!("{field}[{i}]"), format!("{host:?}: {why}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covers(pattern: &str, authority: &str) -> bool {
        HostPattern::parse(pattern)
            .unwrap()
            .covers(&request_host(authority))
    }

    #[test]
    fn exact_names_ignore_case_port_and_trailing_dot() {
        assert!(covers("www.example.com", "WWW.Example.com:8443"));
        assert!(covers("www.example.com.", "www.example.com."));
        assert!(covers("WWW.example.com", "www.example.com"));
        assert!(!covers("www.example.com", "www.example.com.evil"));
        assert!(!covers("www.example.com", "xwww.example.com"));
    }

    #[test]
    fn suffix_wildcard_needs_at_least_one_character() {
        assert!(covers("*.example.com", "a.example.com"));
        assert!(covers("*.example.com", "a.b.example.com:80"));
        assert!(!covers("*.example.com", "example.com"));
        assert!(!covers("*.example.com", ".example.com"));
        assert!(covers("*-api.example.com", "x-api.example.com"));
        assert!(!covers("*.example.com", "evil-example.com"));
    }

    #[test]
    fn prefix_wildcard_and_any() {
        assert!(covers("api.*", "api.example.com"));
        assert!(!covers("api.*", "api."));
        assert!(covers("*", "anything:1"));
        assert!(covers("*", ""));
    }

    #[test]
    fn ipv6_literals_keep_brackets_lose_port() {
        assert_eq!(request_host("[::1]:8080"), "[::1]");
        assert_eq!(request_host("[::1]"), "[::1]");
        assert!(covers("[::1]", "[::1]:9"));
    }

    #[test]
    fn bad_patterns_are_refused_with_reason() {
        for bad in ["", "a*b.com", "*.*.com", "host:80", "a b", "ex/ample"] {
            assert!(HostPattern::parse(bad).is_err(), "{bad}");
        }
        let mut errors = crate::ConfigErrors::new();
        let hosts = vec![
            "ok.com".to_string(),
            "bad host".to_string(),
            "x:1".to_string(),
        ];
        let parsed = parse_host_list("rules[0].hosts", &hosts, &mut errors);
        assert_eq!(parsed.len(), 1);
        assert_eq!(
            errors.fields(),
            vec!["rules[0].hosts[1]", "rules[0].hosts[2]"]
        );
    }
}
