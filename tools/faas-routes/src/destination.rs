//! Which Knative service a VirtualService route sends to: the one named by
//! `rewrite.authority` (`<svc>.<ns>.svc.cluster.local`, the seeds' pattern
//! toward the cluster-local gateway) or by a destination host of that form.

/// A Knative service.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Service {
    pub name: String,
    pub namespace: String,
}

/// Namespaces whose hosts are gateways, not Knative services.
const GATEWAY_NAMESPACES: [&str; 2] = ["istio-system", "knative-serving"];

/// The service a `rewrite.authority` names: only the full cluster form
/// `<svc>.<ns>.svc.cluster.local` (an optional `:port` is ignored).
pub fn from_authority(authority: &str) -> Option<Service> {
    let host = authority.split(':').next().unwrap_or(authority);
    let rest = host.to_ascii_lowercase();
    let rest = rest.strip_suffix(".svc.cluster.local")?;
    let (name, namespace) = rest.split_once('.')?;
    service(name, namespace)
}

/// The service a `destination.host` names: `<svc>.<ns>.svc.cluster.local`,
/// `<svc>.<ns>.svc`, `<svc>.<ns>` or a short `<svc>` in the VirtualService's
/// own namespace (Istio's reading of short names). Gateways (hosts in
/// istio-system or knative-serving) are not services.
pub fn from_host(host: &str, vs_namespace: &str) -> Option<Service> {
    let host = host.to_ascii_lowercase();
    let rest = host
        .strip_suffix(".svc.cluster.local")
        .or_else(|| host.strip_suffix(".svc"))
        .unwrap_or(&host);
    match rest.split_once('.') {
        Some((name, namespace)) => service(name, namespace),
        None => service(rest, vs_namespace),
    }
}

fn service(name: &str, namespace: &str) -> Option<Service> {
    let label = |s: &str| {
        !s.is_empty()
            && s.len() <= 63
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
    };
    (label(name) && label(namespace) && !GATEWAY_NAMESPACES.contains(&namespace)).then(|| Service {
        name: name.to_string(),
        namespace: namespace.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(n: &str, ns: &str) -> Option<Service> {
        Some(Service {
            name: n.into(),
            namespace: ns.into(),
        })
    }

    #[test]
    fn forms() {
        assert_eq!(
            from_authority("saas.faas-alpha.svc.cluster.local"),
            svc("saas", "faas-alpha")
        );
        assert_eq!(
            from_authority("saas.faas-alpha.svc.cluster.local:80"),
            svc("saas", "faas-alpha")
        );
        assert_eq!(from_authority("saas.faas-alpha"), None);
        assert_eq!(
            from_authority("knative-local-gateway.istio-system.svc.cluster.local"),
            None
        );
        assert_eq!(
            from_host("saas.faas-alpha.svc", "x"),
            svc("saas", "faas-alpha")
        );
        assert_eq!(from_host("saas", "faas-beta"), svc("saas", "faas-beta"));
        assert_eq!(from_host("a.b.c.example.com", "x"), None);
        assert_eq!(
            from_host("cluster-local-gateway.istio-system.svc.cluster.local", "x"),
            None
        );
    }
}
