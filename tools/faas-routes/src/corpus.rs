//! A generated corpus of VirtualServices shaped like the seeds': one per
//! function in `kfaas-system`, per-environment hosts
//! (`faas-<env>-ksvc-gateway.kfaas-system.svc.cluster.local`), bound to the
//! kfaas gateway or Knative's local gateway, prefix (with and without a
//! trailing `/`), exact and regex matches, `rewrite.authority` toward
//! `knative-local-gateway.istio-system.svc.cluster.local`, weighted
//! destinations, timeouts, retries, grey header matches, copies created
//! later (duplicates), a few routes under an older prefix (shadowed) and
//! older longer names under a newer prefix without `/` (semantics).
//! Deterministic: the same `n` gives the same text. For tests and the bench.

use std::fmt::Write;

pub const ENVIRONMENTS: [&str; 3] = ["alpha", "beta", "gamma"];
pub const LOCAL_GATEWAY: &str = "knative-local-gateway.istio-system.svc.cluster.local";

/// The gateway host of an environment.
pub fn host(env: &str) -> String {
    format!("faas-{env}-ksvc-gateway.kfaas-system.svc.cluster.local")
}

/// `n` functions' VirtualServices (about `n * 1.05` documents) as one
/// multi-document YAML text.
pub fn generate(n: usize) -> String {
    let mut out = String::with_capacity(n * 700);
    for i in 0..n {
        function(&mut out, i);
    }
    out
}

fn timestamp(hours: usize) -> String {
    let (days, h) = (hours / 24, hours % 24);
    let (month, day) = (1 + (days / 28) % 12, 1 + days % 28);
    let year = 2021 + days / (28 * 12);
    format!("{year}-{month:02}-{day:02}T{h:02}:00:00Z")
}

fn function(out: &mut String, i: usize) {
    let env = ENVIRONMENTS
        .get(i % ENVIRONMENTS.len())
        .copied()
        .unwrap_or("alpha");
    let ns = format!("faas-{env}");
    let team = i % 20;
    let svc = format!("f{i}");
    let uri = match i % 10 {
        0..=5 => format!("{{prefix: /faas/api/t{team}/f{i}/}}"),
        6 | 7 => format!("{{prefix: /faas/api/t{team}/f{i}}}"),
        8 => format!("{{exact: /faas/api/t{team}/f{i}/run}}"),
        _ => format!("{{regex: '/faas/api/t{team}/f{i}/[a-z0-9-]+/item'}}"),
    };
    let mut http = String::new();
    if i.is_multiple_of(11) {
        // Grey: end-user: test to the grey subset first, as the seeds' gateway rules.
        let _ = write!(
            http,
            "  - match:\n    - uri: {uri}\n      headers: {{end-user: {{exact: test}}}}\n    route:\n    - destination: {{host: {svc}.{ns}.svc.cluster.local, subset: grey}}\n"
        );
    }
    let _ = write!(http, "  - match:\n    - uri: {uri}\n");
    if i % 7 == 3 {
        let _ = write!(
            http,
            "    route:\n    - destination: {{host: {svc}.{ns}.svc.cluster.local}}\n      weight: 90\n    - destination: {{host: {svc}-v2.{ns}.svc.cluster.local}}\n      weight: 10\n"
        );
    } else {
        let _ = write!(
            http,
            "    rewrite: {{authority: {svc}.{ns}.svc.cluster.local}}\n    route:\n    - destination: {{host: {LOCAL_GATEWAY}}}\n"
        );
    }
    if i.is_multiple_of(5) {
        http.push_str("    timeout: 15s\n");
    }
    if i.is_multiple_of(6) {
        http.push_str(
            "    retries: {attempts: 3, perTryTimeout: 5s, retryOn: \"5xx,connect-failure\"}\n",
        );
    }
    let gateway = if i.is_multiple_of(2) {
        "kfaas-system/kfaas-gateway"
    } else {
        "knative-serving/knative-local-gateway"
    };
    vs(out, &format!("fn-{i}"), &timestamp(i), env, gateway, &http);
    if i % 50 == 7 {
        // A copy created later by another team: Istio serves the older one.
        let copy = http.replace(
            &format!("authority: {svc}."),
            &format!("authority: {svc}-copy."),
        );
        vs(
            out,
            &format!("fn-{i}-copy"),
            &timestamp(i + 5000),
            env,
            gateway,
            &copy,
        );
    }
    if i % 101 == 50 {
        long_and_short(out, i, env, gateway);
    }
    if i % 97 == 1 {
        // A route under this function's (older) prefix: never reached in Istio.
        let deep = format!(
            "  - match:\n    - uri: {{prefix: /faas/api/t{team}/f{i}/deep/}}\n    rewrite: {{authority: {svc}-deep.{ns}.svc.cluster.local}}\n    route:\n    - destination: {{host: {LOCAL_GATEWAY}}}\n"
        );
        vs(
            out,
            &format!("fn-{i}-deep"),
            &timestamp(i + 9000),
            env,
            gateway,
            &deep,
        );
    }
}

/// An older longer name under a newer prefix without `/`: Istio sends the
/// longer name to the older route, plain-prefix names (`g7x`) to the newer.
fn long_and_short(out: &mut String, i: usize, env: &str, gateway: &str) {
    let ns = format!("faas-{env}");
    let team = i % 20;
    for (name, uri, at) in [
        ("long", format!("/faas/api/t{team}/g{i}room/"), i),
        ("short", format!("/faas/api/t{team}/g{i}"), i + 7000),
    ] {
        let http = format!(
            "  - match:\n    - uri: {{prefix: {uri}}}\n    rewrite: {{authority: g{i}-{name}.{ns}.svc.cluster.local}}\n    route:\n    - destination: {{host: {LOCAL_GATEWAY}}}\n"
        );
        vs(
            out,
            &format!("fn-{i}-{name}"),
            &timestamp(at),
            env,
            gateway,
            &http,
        );
    }
}

fn vs(out: &mut String, name: &str, created: &str, env: &str, gateway: &str, http: &str) {
    let _ = write!(
        out,
        "apiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata:\n  name: {name}\n  namespace: kfaas-system\n  creationTimestamp: \"{created}\"\nspec:\n  hosts:\n  - {}\n  gateways:\n  - {gateway}\n  http:\n{http}---\n",
        host(env)
    );
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn corpus_reads_back() {
        let text = generate(120);
        let vss = crate::virtual_service::read("corpus.yaml", &text).unwrap();
        assert!(vss.len() > 120, "{}", vss.len());
        assert_eq!(generate(120), text);
        assert_eq!(timestamp(25), "2021-01-02T01:00:00Z");
    }
}
