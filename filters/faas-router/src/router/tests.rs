use super::*;
use crate::config::parse;

#[test]
fn the_shortcut_agrees_with_the_full_normalization() {
    let segments = [
        "",
        ".",
        "..",
        "...",
        ".a",
        "a.",
        "..;x",
        ".;",
        "a;b",
        "%2e",
        "%2E%2e",
        "%41",
        "%2F",
        "%zz",
        "a b",
        "a\\b",
        "caf\u{e9}",
        "x#y",
        "~u",
        "a:b@c",
        "!$&'()*+,=",
        "\"",
        "<>",
    ];
    let mut checked = 0;
    for a in segments {
        for b in segments {
            for c in ["", "/", "?q=/../%2F", "/?"] {
                let raw = format!("/faas/{a}/{b}{c}");
                let full = normalize_request_path(&raw).map(|(p, q)| (Cow::Owned(p), q));
                assert_eq!(normalized(&raw), full, "{raw}");
                checked += 1;
            }
        }
    }
    assert!(checked > 2000);
    for raw in [
        "/",
        "//",
        "/faas/api/svc1/items/42?page=1",
        "/a/b/",
        "/a//b",
        "/a/./b",
    ] {
        let full = normalize_request_path(raw).map(|(p, q)| (Cow::Owned(p), q));
        assert_eq!(normalized(raw), full, "{raw}");
    }
    assert!(matches!(
        normalized("/faas/api/render?x"),
        Ok((Cow::Borrowed("/faas/api/render"), Some("x")))
    ));
}

const CONFIG: &str = r#"{"routes": [
        {"match": {"prefix": "/faas/api/saas/showroom/"}, "service": "saas-showroom", "namespace": "faas-alpha"},
        {"match": {"prefix": "/faas/api/p/saas/virtual-showroom/"}, "service": "virtual-showroom", "namespace": "faas-alpha", "rewritePrefix": "/"},
        {"match": {"exact": "/faas/api/render"}, "service": "render", "namespace": "faas-beta", "rewritePrefix": "/do/render"},
        {"match": {"regex": "^/faas/api/u/[a-z0-9-]+/profile$"}, "service": "profile", "namespace": "faas-beta"},
        {"match": {"prefix": "/faas/api/search/"}, "namespace": "faas-alpha",
         "split": [{"service": "search", "weight": 90}, {"service": "search-v2", "weight": 10}],
         "hashBy": {"header": "x-jwt-sub"}},
        {"match": {"prefix": "/faas/api/c"}, "namespace": "faas-alpha",
         "split": [{"service": "c1", "weight": 50}, {"service": "c2", "weight": 50}],
         "hashBy": {"cookie": "uid"}, "rewritePrefix": "/"}
    ]}"#;

fn config(json: &str) -> Config {
    parse(json.as_bytes()).unwrap()
}

const NO_HEADERS: [Header<'static>; 0] = [];

fn routed<'c>(c: &'c Config, path: &str) -> Routed<'c> {
    match decide(c, Some(path), NO_HEADERS, || 0) {
        Outcome::Routed(r) => r,
        other => panic!("{path}: {other:?}"),
    }
}

#[test]
fn routes_and_rewrites_keeping_the_query() {
    let c = config(CONFIG);
    let r = routed(&c, "/faas/api/saas/showroom/list?page=2");
    assert_eq!(
        r.target.authority,
        "saas-showroom.faas-alpha.svc.cluster.local"
    );
    assert_eq!(r.route.id, "prefix:/faas/api/saas/showroom/");
    assert_eq!(r.path, None);

    let r = routed(&c, "/faas/api/p/saas/virtual-showroom/a/b?x=1&y=/..");
    assert_eq!(r.target.service, "virtual-showroom");
    assert_eq!(r.path.as_deref(), Some("/a/b?x=1&y=/.."));

    let r = routed(&c, "/faas/api/render?q");
    assert_eq!(r.path.as_deref(), Some("/do/render?q"));
    assert_eq!(
        routed(&c, "/faas/api/u/bob-1/profile").target.service,
        "profile"
    );
}

#[test]
fn forwards_the_normalized_path() {
    let c = config(CONFIG);
    let r = routed(&c, "/faas/api/x/..//saas/%73howroom/./a?b");
    assert_eq!(r.target.service, "saas-showroom");
    assert_eq!(r.path.as_deref(), Some("/faas/api/saas/showroom/a?b"));
}

#[test]
fn prefix_without_slash_rewrites_with_one_slash() {
    let c = config(CONFIG);
    assert_eq!(routed(&c, "/faas/api/c/x").path.as_deref(), Some("/x"));
    assert_eq!(routed(&c, "/faas/api/c").path.as_deref(), Some("/"));
    assert!(matches!(
        decide(&c, Some("/faas/api/cx"), NO_HEADERS, || 0),
        Outcome::Reject { status: 404, .. }
    ));
}

#[test]
fn split_follows_the_header_or_cookie() {
    let c = config(CONFIG);
    let pick = |path: &str, name: &'static str, value: &'static str| match decide(
        &c,
        Some(path),
        [(name.as_bytes(), value.as_bytes())],
        || panic!("a present key must not use randomness"),
    ) {
        Outcome::Routed(r) => r.target.service.clone(),
        other => panic!("{other:?}"),
    };
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..200 {
        let user: &'static str = Box::leak(format!("user-{i}").into_boxed_str());
        let a = pick("/faas/api/search/q", "x-jwt-sub", user);
        assert_eq!(pick("/faas/api/search/other", "x-jwt-sub", user), a);
        seen.insert(a);
        let cookie: &'static str = Box::leak(format!("a=1; uid={user}").into_boxed_str());
        seen.insert(pick("/faas/api/c/x", "cookie", cookie));
    }
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        ["c1", "c2", "search", "search-v2"]
    );
    // Without the key the random source decides.
    let low = decide(&c, Some("/faas/api/search/q"), NO_HEADERS, || 0);
    let high = decide(&c, Some("/faas/api/search/q"), NO_HEADERS, || u64::MAX);
    let service = |o: Outcome| match o {
        Outcome::Routed(r) => r.target.service.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        (service(low), service(high)),
        ("search".into(), "search-v2".into())
    );
}

#[test]
fn cookies_are_read_from_every_cookie_header() {
    let c = config(CONFIG);
    let service = |headers: &[(&str, &[u8])]| {
        let pairs: Vec<Header> = headers.iter().map(|(n, v)| (n.as_bytes(), *v)).collect();
        match decide(&c, Some("/faas/api/c/x"), pairs, || u64::MAX) {
            Outcome::Routed(r) => r.target.service.clone(),
            other => panic!("{other:?}"),
        }
    };
    // HTTP/2 sends one `cookie` header per cookie: the same choice as one
    // joined header, whichever header carries `uid`.
    for i in 0..100 {
        let uid = format!("uid=user-{i}");
        let joined = format!("a=1; {uid}; b=2");
        let want = service(&[("cookie", joined.as_bytes())]);
        let split = [
            ("cookie", b"a=1".as_slice()),
            ("x-other", b"uid=nope".as_slice()),
            ("cookie", uid.as_bytes()),
            ("cookie", b"b=2; uid=later".as_slice()),
        ];
        assert_eq!(service(&split), want, "{uid}");
    }
    // Unreadable as a whole (one header not UTF-8): no key, so random.
    let random_pick = service(&[]);
    let uid = (0..100)
        .map(|i| format!("uid=user-{i}"))
        .find(|uid| service(&[("cookie", uid.as_bytes())]) != random_pick)
        .unwrap();
    assert_eq!(
        service(&[("cookie", uid.as_bytes()), ("cookie", b"\xff")]),
        random_pick
    );
}

#[test]
fn no_match_rejects_or_passes_through() {
    let c = config(CONFIG);
    assert_eq!(
        decide(&c, Some("/faas/api/nothing/here?x=1"), NO_HEADERS, || 0),
        Outcome::Reject {
            status: 404,
            reason: "no_route",
            body: r#"{"error":"no_faas_route","path":"/faas/api/nothing/here"}"#.into()
        }
    );
    let pass = config(&CONFIG.replacen('{', r#"{"onNoMatch": "passthrough", "#, 1));
    assert_eq!(
        decide(&pass, Some("/faas/api/nothing"), NO_HEADERS, || 0),
        Outcome::Passthrough
    );
}

#[test]
fn the_404_body_is_valid_json_for_any_accepted_path() {
    let c = config(CONFIG);
    let Outcome::Reject { body, .. } = decide(&c, Some("/faas/api/a\"b'<>%22"), NO_HEADERS, || 0)
    else {
        panic!("not rejected");
    };
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["path"], "/faas/api/a\"b'<>%22");
}

#[test]
fn a_long_unmatched_path_is_echoed_truncated() {
    let c = config(CONFIG);
    let path = format!("/faas/api/x/{}", "a/".repeat(29_000));
    let Outcome::Reject { status, body, .. } = decide(&c, Some(&path), NO_HEADERS, || 0) else {
        panic!("not rejected");
    };
    assert_eq!(status, 404);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["path"], path[..MAX_ECHOED_PATH]);
    assert_eq!(v["truncated"], true);
    let short = "/faas/api/x/".to_string() + &"b".repeat(MAX_ECHOED_PATH - 12);
    let Outcome::Reject { body, .. } = decide(&c, Some(&short), NO_HEADERS, || 0) else {
        panic!("not rejected");
    };
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (v["path"].as_str(), v.get("truncated")),
        (Some(&*short), None)
    );
}

#[test]
fn outside_the_prefix_nothing_happens() {
    let c = config(CONFIG);
    for p in [
        "/",
        "/faas/api",
        "/faas/apix/render",
        "/FAAS/api/render",
        "/other/faas/api/render",
        "*",
    ] {
        assert_eq!(
            decide(&c, Some(p), NO_HEADERS, || 0),
            Outcome::Untouched,
            "{p}"
        );
    }
    assert_eq!(decide(&c, None, NO_HEADERS, || 0), Outcome::Untouched);
}

#[test]
fn bad_paths_are_400_with_the_reason() {
    let c = config(CONFIG);
    assert_eq!(
        decide(&c, Some("/faas/api/saas%2Fshowroom/x"), NO_HEADERS, || 0),
        Outcome::Reject {
            status: 400,
            reason: "encoded_slash",
            body: r#"{"error":"bad_path","reason":"encoded_slash"}"#.into()
        }
    );
}

#[test]
fn the_authority_picks_the_table() {
    let c = config(
        r#"{"routes": [{"match": {"prefix": "/faas/api/a/"}, "service": "a", "namespace": "prod"}],
                "onNoMatch": "passthrough",
                "virtualHosts": [{"hosts": ["alpha.example.com", "*.alpha.example.com"],
                  "routes": [{"match": {"prefix": "/faas/api/a/"}, "service": "a", "namespace": "alpha", "timeout": "1s"},
                             {"match": {"exact": "/faas/api/only-alpha"}, "service": "o", "namespace": "alpha"}]}]}"#,
    );
    let target = |authority: Option<&str>, path: &str| match resolve(&c, authority, path) {
        Outcome::Routed(r) => format!(
            "{}.{} {:?} {}",
            r.target.service,
            r.target.namespace,
            r.virtual_host,
            r.route.policy.headers.len()
        ),
        other => format!("{other:?}"),
    };
    assert_eq!(target(None, "/faas/api/a/x"), "a.prod None 0");
    assert_eq!(
        target(Some("Alpha.Example.com:8080"), "/faas/api/a/x"),
        "a.alpha Some(0) 1"
    );
    assert_eq!(
        target(Some("x.alpha.example.com"), "/faas/api/a/x"),
        "a.alpha Some(0) 1"
    );
    assert_eq!(
        target(Some("beta.example.com"), "/faas/api/a/x"),
        "a.prod None 0"
    );
    assert_eq!(
        target(Some("alpha.example.com"), "/faas/api/only-alpha"),
        "o.alpha Some(0) 0"
    );
    // A host's table is the whole answer: no fallback to the top level.
    assert_eq!(
        target(Some("alpha.example.com"), "/faas/api/b/x"),
        "Passthrough"
    );
    assert_eq!(target(None, "/faas/api/only-alpha"), "Passthrough");
    assert_eq!(target(Some("alpha.example.com"), "/elsewhere"), "Untouched");
}

/// The corpus jwt-auth's rules are tested with too (`filters/common/testdata`): both
/// filters place every path under the same rule or refuse it for the same reason.
#[test]
fn the_shared_path_corpus() {
    let config = parse(
        br#"{"routes": [
          {"match": {"prefix": "/faas/api/admin"}, "service": "admin", "namespace": "ops"},
          {"match": {"prefix": "/faas/api/public"}, "service": "public", "namespace": "web"}
        ], "onNoMatch": "passthrough"}"#,
    )
    .unwrap();
    let corpus = include_str!("../../../common/testdata/path_corpus.txt");
    let mut checked = 0;
    for line in corpus.lines().filter(|l| !l.starts_with('#')) {
        let (path, want) = line.split_once('\t').unwrap();
        let got = match decide(&config, Some(path), [], || 0) {
            Outcome::Routed(r) => r.target.service.clone(),
            Outcome::Reject {
                status: 400,
                reason,
                ..
            } => format!("refused:{reason}"),
            Outcome::Untouched | Outcome::Passthrough => "other".to_string(),
            other => panic!("{path}: {other:?}"),
        };
        assert_eq!(got, want, "{path}");
        checked += 1;
    }
    assert!(checked > 40);
}
