use super::*;

const ISSUE_EXAMPLE: &str = r#"{
      "pathPrefix": "/faas/api/",
      "clusterDomain": "svc.cluster.local",
      "routes": [
        {"match": {"prefix": "/faas/api/saas/showroom/"}, "service": "saas-showroom", "namespace": "faas-alpha"},
        {"match": {"prefix": "/faas/api/p/saas/virtual-showroom/"}, "service": "virtual-showroom", "namespace": "faas-alpha", "rewritePrefix": "/"},
        {"match": {"exact": "/faas/api/render"}, "service": "render", "namespace": "faas-beta"},
        {"match": {"regex": "^/faas/api/u/[a-z0-9-]+/profile$"}, "service": "profile", "namespace": "faas-beta"},
        {"match": {"prefix": "/faas/api/search/"}, "namespace": "faas-alpha",
         "split": [{"service": "search", "weight": 90}, {"service": "search-v2", "weight": 10}],
         "hashBy": {"header": "x-jwt-sub"}}
      ],
      "headers": {"service": "x-faas-service", "namespace": "x-faas-namespace", "route": "x-faas-route"},
      "rewriteAuthority": true,
      "onNoMatch": "reject"
    }"#;

fn errors(json: &str) -> Vec<(String, String)> {
    match parse(json.as_bytes()) {
        Ok(_) => vec![],
        Err(e) => e.errors.into_iter().map(|e| (e.field, e.message)).collect(),
    }
}

fn fields(json: &str) -> Vec<String> {
    errors(json).into_iter().map(|(f, _)| f).collect()
}

#[test]
fn issue_example_compiles() {
    let c = parse(ISSUE_EXAMPLE.as_bytes()).unwrap();
    assert_eq!(c.routes.len(), 5);
    assert_eq!(c.targets.len(), 6);
    assert_eq!(
        c.targets[0].authority,
        "saas-showroom.faas-alpha.svc.cluster.local"
    );
    assert_eq!(c.routes[3].id, "regex:^/faas/api/u/[a-z0-9-]+/profile$");
    assert_eq!(
        c.routes[4].backend,
        Backend::Split {
            choices: vec![(90, 4), (100, 5)],
            hash_by: Some(HashBy::Header("x-jwt-sub".into()))
        }
    );
}

#[test]
fn defaults() {
    let c =
        parse(br#"{"routes":[{"match":{"prefix":"/faas/api/a/"},"service":"a","namespace":"n"}]}"#)
            .unwrap();
    assert_eq!(c.path_prefix, "/faas/api/");
    assert_eq!(c.cluster_domain, "svc.cluster.local");
    assert_eq!(c.headers, Headers::default());
    assert_eq!(c.headers.service, "x-faas-service");
    assert!(c.rewrite_authority);
    assert_eq!(c.on_no_match, OnNoMatch::Reject);
    assert!(parse(b"").unwrap().routes.is_empty());
}

#[test]
fn unknown_fields_are_named() {
    assert_eq!(
        fields(r#"{"routes":[{"match":{"prefx":"/faas/api/a/"}}]}"#),
        ["routes[0].match.prefx"]
    );
    assert_eq!(fields(r#"{"onNoMatch":"drop"}"#), ["onNoMatch"]);
    assert_eq!(fields(r#"{"headers":{"svc":"x"}}"#), ["headers.svc"]);
}

#[test]
fn every_problem_is_listed() {
    let json = r#"{
          "pathPrefix": "/faas/api",
          "clusterDomain": "Bad_Domain",
          "headers": {"service": "X-Faas-Service", "namespace": "x-faas-route"},
          "routes": [
            {"match": {}, "service": "a", "namespace": "n"},
            {"match": {"prefix": "/faas/api/a/", "exact": "/faas/api/a"}, "service": "a", "namespace": "n"},
            {"match": {"prefix": "/faas/api/b/"}, "service": "B_svc", "namespace": "n"},
            {"match": {"prefix": "/faas/api/c/"}, "service": "c", "namespace": "-n"},
            {"match": {"prefix": "/faas/api/d/"}, "service": "d"},
            {"match": {"prefix": "/faas/api/e/"}, "namespace": "n"},
            {"match": {"prefix": "/faas/api/f/"}, "namespace": "n", "service": "f", "split": [{"service":"f","weight":100}]},
            {"match": {"prefix": "/faas/api/g/"}, "namespace": "n", "split": [{"service":"g","weight":60},{"service":"g2","weight":30}]},
            {"match": {"prefix": "/faas/api/h/"}, "namespace": "n", "split": [{"service":"h","weight":50},{"service":"h","weight":50}]},
            {"match": {"regex": "/faas/api/(unclosed"}, "service": "i", "namespace": "n"},
            {"match": {"regex": "/faas/api/(a{1000}){1000}"}, "service": "j", "namespace": "n"},
            {"match": {"regex": "/other/.*"}, "service": "k", "namespace": "n"},
            {"match": {"prefix": "/other/"}, "service": "l", "namespace": "n"},
            {"match": {"exact": "/faas/api/m/../x"}, "service": "m", "namespace": "n"},
            {"match": {"prefix": "/faas/api/o/"}, "service": "o", "namespace": "n", "hashBy": {"header": "x-user"}},
            {"match": {"prefix": "/faas/api/p/"}, "namespace": "n", "split": [{"service":"p","weight":100}], "hashBy": {}},
            {"match": {"prefix": "/faas/api/q/"}, "namespace": "n", "split": [{"service":"q","weight":100}], "hashBy": {"header": "x-faas-user"}},
            {"match": {"regex": "/faas/api/r/.*"}, "service": "r", "namespace": "n", "rewritePrefix": "/"},
            {"match": {"prefix": "/faas/api/s/"}, "service": "s", "namespace": "n", "rewritePrefix": "/v2"},
            {"match": {"prefix": "/faas/api/t/"}, "service": "t", "namespace": "n", "rewritePrefix": "v2/"}
          ]
        }"#;
    let got = fields(json);
    let want = [
        "pathPrefix",
        "clusterDomain",
        "headers.service",
        "headers.route",
        "routes[0].match",
        "routes[1].match",
        "routes[2].service",
        "routes[3].namespace",
        "routes[4].namespace",
        "routes[5].service",
        "routes[6].service",
        "routes[7].split",
        "routes[8].split[1].service",
        "routes[9].match.regex",
        "routes[10].match.regex",
        "routes[11].match.regex",
        "routes[12].match.prefix",
        "routes[13].match.exact",
        "routes[14].hashBy",
        "routes[15].hashBy",
        "routes[16].hashBy.header",
        "routes[17].rewritePrefix",
        "routes[18].rewritePrefix",
        "routes[19].rewritePrefix",
    ];
    assert_eq!(got, want, "{:#?}", errors(json));
}

#[test]
fn duplicates_are_named_with_the_first_route() {
    let json = r#"{"routes":[
          {"match":{"prefix":"/faas/api/a/"},"service":"a","namespace":"n"},
          {"match":{"exact":"/faas/api/a/"},"service":"a","namespace":"n"},
          {"match":{"prefix":"/faas/api/a/"},"service":"b","namespace":"n"},
          {"match":{"regex":"/faas/api/x/.*"},"service":"a","namespace":"n"},
          {"match":{"regex":"/faas/api/x/.*"},"service":"b","namespace":"n"}
        ]}"#;
    assert_eq!(
        errors(json),
        [
            (
                "routes[2].match.prefix".to_string(),
                "duplicates routes[0]".to_string()
            ),
            (
                "routes[4].match.regex".to_string(),
                "duplicates routes[3]".to_string()
            ),
        ]
    );
}

#[test]
fn fully_shadowed_prefix_is_refused_partly_shadowed_is_not() {
    let base = r#"{"match":{"prefix":"/faas/api/a"},"service":"a","namespace":"n"},
                      {"match":{"prefix":"/faas/api/a/"},"service":"b","namespace":"n"}"#;
    assert!(errors(&format!(r#"{{"routes":[{base}]}}"#)).is_empty());
    let json = format!(
        r#"{{"routes":[{base},{{"match":{{"exact":"/faas/api/a"}},"service":"c","namespace":"n"}}]}}"#
    );
    let got = errors(&json);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "routes[0].match.prefix");
    assert!(
        got[0].1.contains("routes[2]") && got[0].1.contains("routes[1]"),
        "{}",
        got[0].1
    );
}

#[test]
fn custom_path_prefix_bounds_routes() {
    let json = r#"{"pathPrefix":"/fn/","routes":[
          {"match":{"prefix":"/fn/a/"},"service":"a","namespace":"n"},
          {"match":{"prefix":"/faas/api/a/"},"service":"a","namespace":"n"}]}"#;
    assert_eq!(fields(json), ["routes[1].match.prefix"]);
}

#[test]
fn timeout_and_retries_are_kept_and_checked() {
    let c = parse(
            br#"{"routes":[{"match":{"prefix":"/faas/api/render/"},"service":"render","namespace":"faas-beta",
              "timeout":"15s","retries":{"attempts":3,"perTryTimeout":"5s","retryOn":"5xx,connect-failure"}}]}"#,
        )
        .unwrap();
    let p = &c.routes[0].policy;
    assert_eq!(p.timeout, Some(std::time::Duration::from_secs(15)));
    assert_eq!(p.retries.as_ref().unwrap().attempts, 3);
    assert_eq!(p.headers.len(), 4);
    let json = r#"{"routes":[
          {"match":{"prefix":"/faas/api/a/"},"service":"a","namespace":"n","timeout":"0s"},
          {"match":{"prefix":"/faas/api/b/"},"service":"b","namespace":"n","retries":{"attempts":11,"retryOn":"5xx,nope"}},
          {"match":{"prefix":"/faas/api/c/"},"service":"c","namespace":"n","retries":{"attempts":1,"perTryTimeout":"-2s"}}
        ]}"#;
    assert_eq!(
        fields(json),
        [
            "routes[0].timeout",
            "routes[1].retries.attempts",
            "routes[1].retries.retryOn",
            "routes[2].retries.perTryTimeout"
        ]
    );
    assert_eq!(
        fields(
            r#"{"routes":[{"match":{"prefix":"/faas/api/a/"},"service":"a","namespace":"n","retries":{"attempts":1,"tries":2}}]}"#
        ),
        ["routes[0].retries.tries"]
    );
}

#[test]
fn a_policy_header_is_no_hash_key() {
    let json = r#"{"routes":[{"match":{"prefix":"/faas/api/a/"},"namespace":"n",
          "split":[{"service":"a","weight":100}],"hashBy":{"header":"x-envoy-max-retries"}}]}"#;
    assert_eq!(fields(json), ["routes[0].hashBy.header"]);
}

const HOSTS: &str = r#"{
      "routes": [{"match":{"prefix":"/faas/api/a/"},"service":"a","namespace":"faas-prod"}],
      "virtualHosts": [
        {"hosts": ["faas-alpha-ksvc-gateway.kfaas-system.svc.cluster.local", "*.alpha.example.com"],
         "routes": [{"match":{"prefix":"/faas/api/a/"},"service":"a","namespace":"faas-alpha","timeout":"1s"}]},
        {"hosts": ["faas-beta-ksvc-gateway.kfaas-system.svc.cluster.local"],
         "routes": [{"match":{"prefix":"/faas/api/a/"},"service":"a","namespace":"faas-beta"},
                    {"match":{"exact":"/faas/api/b"},"service":"b","namespace":"faas-beta"}]}
      ]
    }"#;

#[test]
fn virtual_hosts_have_their_own_tables() {
    let c = parse(HOSTS.as_bytes()).unwrap();
    assert_eq!(c.virtual_hosts.len(), 2);
    let ns = |authority: Option<&str>| {
        let t = c.table_for(authority);
        let hit = t.table.lookup("/faas/api/a/x").unwrap();
        let Backend::Service(id) = t.routes[hit.route].backend else {
            panic!()
        };
        (t.virtual_host, c.targets[id].namespace.clone())
    };
    assert_eq!(ns(None), (None, "faas-prod".into()));
    assert_eq!(ns(Some("other.example.com")), (None, "faas-prod".into()));
    assert_eq!(
        ns(Some(
            "FAAS-alpha-ksvc-gateway.kfaas-system.svc.cluster.local:80"
        )),
        (Some(0), "faas-alpha".into())
    );
    assert_eq!(
        ns(Some("x.alpha.example.com")),
        (Some(0), "faas-alpha".into())
    );
    assert_eq!(ns(Some("alpha.example.com")), (None, "faas-prod".into()));
    assert_eq!(
        ns(Some(
            "faas-beta-ksvc-gateway.kfaas-system.svc.cluster.local"
        )),
        (Some(1), "faas-beta".into())
    );
    assert_eq!(c.all_routes().count(), 4);
    // Targets are shared: service a in three namespaces, b once.
    assert_eq!(c.targets.len(), 4);
}

#[test]
fn virtual_host_errors_are_named() {
    let json = r#"{
          "routes": [{"match":{"prefix":"/faas/api/a/"},"service":"a","namespace":"n"}],
          "virtualHosts": [
            {"hosts": ["a.example.com", "*.example.com", "A.example.com."],
             "routes": [{"match":{"prefix":"/faas/api/a/"},"service":"a","namespace":"n"},
                        {"match":{"prefix":"/faas/api/a/"},"service":"b","namespace":"n"}]},
            {"hosts": ["b.example.com", "a.example.com", "*", "api.*", "bad host", "*.EXAMPLE.com"],
             "routes": [{"match":{"prefix":"/faas/api/x/"},"service":"x","namespace":"n"},
                        {"match":{"prefix":"/faas/api/b"},"service":"B","namespace":"n"},
                        {"match":{"prefix":"/faas/api/c"},"service":"c","namespace":"n"},
                        {"match":{"prefix":"/other/"},"service":"c","namespace":"n","timeout":"1"}]},
            {"routes": []},
            {"hosts": [], "routez": []}
          ]
        }"#;
    let got = errors(json);
    let fields: Vec<&str> = got.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        fields,
        ["virtualHosts[3].routez"],
        "shape problems are named before any check runs: {got:?}"
    );
    let json = json.replace(r#", "routez": []"#, "");
    let got = errors(&json);
    let fields: Vec<&str> = got.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        fields,
        [
            "virtualHosts[0].hosts[2]",
            "virtualHosts[0].routes[1].match.prefix",
            "virtualHosts[1].hosts[1]",
            "virtualHosts[1].hosts[2]",
            "virtualHosts[1].hosts[3]",
            "virtualHosts[1].hosts[4]",
            "virtualHosts[1].hosts[5]",
            "virtualHosts[1].routes[1].service",
            "virtualHosts[1].routes[3].match.prefix",
            "virtualHosts[1].routes[3].timeout",
            "virtualHosts[2].hosts",
            "virtualHosts[3].hosts",
        ],
        "{got:#?}"
    );
    let msg = |f: &str| &got.iter().find(|(g, _)| g == f).unwrap().1;
    assert!(msg("virtualHosts[0].hosts[2]").contains("virtualHosts[0].hosts[0]"));
    assert!(msg("virtualHosts[1].hosts[1]").contains("virtualHosts[0].hosts[0]"));
    assert!(msg("virtualHosts[1].hosts[5]").contains("virtualHosts[0].hosts[1]"));
    assert_eq!(
        msg("virtualHosts[0].routes[1].match.prefix"),
        "duplicates virtualHosts[0].routes[0]"
    );
}

#[test]
fn each_table_is_checked_on_its_own() {
    // The same prefix in two tables is no duplicate; a shadowed prefix
    // is judged within its table only.
    let json = r#"{
          "routes": [{"match":{"prefix":"/faas/api/a"},"service":"a","namespace":"n"},
                     {"match":{"exact":"/faas/api/a"},"service":"a","namespace":"n"}],
          "virtualHosts": [{"hosts": ["h"],
             "routes": [{"match":{"prefix":"/faas/api/a/"},"service":"a","namespace":"n"},
                        {"match":{"prefix":"/faas/api/a"},"service":"a","namespace":"n"}]}]
        }"#;
    assert!(errors(json).is_empty(), "{:?}", errors(json));
    let shadowed = json.replace(
        r#"{"match":{"prefix":"/faas/api/a"},"service":"a","namespace":"n"}]}]"#,
        r#"{"match":{"prefix":"/faas/api/a"},"service":"a","namespace":"n"},
               {"match":{"exact":"/faas/api/a"},"service":"a","namespace":"n"}]}]"#,
    );
    let got = errors(&shadowed);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "virtualHosts[0].routes[1].match.prefix");
    assert!(
        got[0].1.contains("virtualHosts[0].routes[2]"),
        "{}",
        got[0].1
    );
}
