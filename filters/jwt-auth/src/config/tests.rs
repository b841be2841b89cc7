use super::*;
use crate::uri::split_uri;
use filters_common::host_match::HostPattern;

const JWKS: &str = r#"{\"keys\":[{\"kty\":\"oct\",\"k\":\"YS0zMi1ieXRlLWhtYWMtc2VjcmV0LWZvci10ZXN0cyE\",\"alg\":\"HS256\"}]}"#;

fn ok(json: &str) -> Config {
    parse(json.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

fn fields(json: &str) -> Vec<String> {
    parse(json.as_bytes())
        .err()
        .unwrap_or_else(|| panic!("accepted: {json}"))
        .errors
        .into_iter()
        .map(|e| e.field)
        .collect()
}

#[test]
fn defaults_follow_istio_and_envoy() {
    let c = ok(&format!(
        r#"{{"jwtRules":[{{"issuer":"i","jwks":"{JWKS}"}}]}}"#
    ));
    let r = &c.jwt_rules[0];
    assert_eq!(
        r.locations,
        vec![
            Location::Header {
                name: "authorization".into(),
                prefix: "Bearer ".into()
            },
            Location::Param("access_token".into())
        ]
    );
    assert_eq!(r.clock_skew_seconds, 60);
    assert!(r.require_expiration);
    assert!(!r.forward_original_token);
    assert_eq!(c.default_requirement, Requirement::Required);
    assert_eq!(c.max_token_bytes, 8192);
    assert_eq!(c.cache_max_entries, 10_000);
    assert!(matches!(&r.keys, KeySource::Inline(k) if k.keys.len() == 1));
}

#[test]
fn any_location_given_replaces_all_defaults() {
    let c = ok(&format!(
        r#"{{"jwtRules":[{{"issuer":"i","jwks":"{JWKS}","fromCookies":["token"]}}]}}"#
    ));
    assert_eq!(
        c.jwt_rules[0].locations,
        vec![Location::Cookie("token".into())]
    );
}

#[test]
fn full_example_is_accepted() {
    let c = ok(r#"{
      "jwtRules": [{
        "issuer": "https://auth.example.com",
        "audiences": ["kfaas"],
        "jwksUri": "http://jwks.auth.svc.cluster.local/keys",
        "jwksCluster": "outbound|80||jwks.auth.svc.cluster.local",
        "jwksCacheSeconds": 300,
        "fromHeaders": [{"name": "authorization", "prefix": "Bearer "}],
        "fromParams": ["access_token"],
        "fromCookies": ["token"],
        "outputPayloadToHeader": "x-jwt-payload",
        "outputClaimToHeaders": [{"header": "x-jwt-sub", "claim": "sub"}, {"header": "x-jwt-org", "claim": "org.id"}],
        "forwardOriginalToken": false,
        "clockSkewSeconds": 30,
        "requireExpiration": false
      }],
      "rules": [
        {"match": {"prefix": "/faas/api/public/"}, "requirement": "allow_missing"},
        {"match": {"exact": "/healthz"}, "requirement": "none"},
        {"match": {"regex": "/v[0-9]+/open"}, "requirement": "none"}
      ],
      "defaultRequirement": "allow_missing",
      "maxTokenBytes": 4096,
      "tokenCache": {"maxEntries": 5}
    }"#);
    let r = &c.jwt_rules[0];
    let KeySource::Remote(remote) = &r.keys else {
        panic!()
    };
    assert_eq!(remote.authority, "jwks.auth.svc.cluster.local");
    assert_eq!(remote.path, "/keys");
    assert_eq!(remote.cache_seconds, 300);
    assert_eq!(r.output_claim_to_headers[1].path, vec!["org", "id"]);
    assert_eq!(r.clock_skew_seconds, 30);
    assert!(!r.require_expiration);
    assert_eq!(c.rules.len(), 3);
    assert_eq!(c.default_requirement, Requirement::AllowMissing);
    assert_eq!(c.cache_max_entries, 5);
    assert_eq!(
        c.output_headers(),
        vec!["x-jwt-sub", "x-jwt-org", "x-jwt-payload"]
    );
}

#[test]
fn every_bad_field_is_named() {
    let got = fields(
        r#"{"jwtRules":[
          {"audiences":[""],"jwks":"{}","fromHeaders":[{"name":"X-Token"},{"name":"a b"}],
           "fromParams":[""],"fromCookies":["a;b"],
           "outputClaimToHeaders":[{"header":"x-sub","claim":"a..b"},{"header":"Host","claim":"s"}],
           "outputPayloadToHeader":"x-token"},
          {"issuer":"j","jwksUri":"ftp://x/keys","jwksCacheSeconds":0},
          {"issuer":"k","jwks":"{\"keys\":[]}","jwksUri":"http://a/b"},
          {"issuer":"k"}
        ],
        "rules":[{"match":{"prefix":"/a","exact":"/b"},"requirement":"none"},
                 {"match":{"regex":"("},"requirement":"required"}],
        "maxTokenBytes":0}"#,
    );
    assert_eq!(
        got,
        vec![
            "jwtRules[0].issuer",
            "jwtRules[0].audiences[0]",
            "jwtRules[0].jwks",
            "jwtRules[0].fromHeaders[0].name",
            "jwtRules[0].fromHeaders[1].name",
            "jwtRules[0].fromParams[0]",
            "jwtRules[0].fromCookies[0]",
            "jwtRules[0].outputClaimToHeaders[0].claim",
            "jwtRules[0].outputClaimToHeaders[1].header",
            "jwtRules[1].jwksCluster",
            "jwtRules[1].jwksCacheSeconds",
            "jwtRules[1].jwksUri",
            "jwtRules[2]",
            "jwtRules[3].issuer",
            "jwtRules[3].jwksCluster",
            "rules[0].match",
            "rules[1].match.regex",
            "maxTokenBytes",
        ]
    );
}

#[test]
fn numbers_out_of_bounds_are_named() {
    let got = fields(&format!(
        r#"{{"jwtRules":[
          {{"issuer":"i","jwks":"{JWKS}","clockSkewSeconds":18446744073709551615}},
          {{"issuer":"j","jwksUri":"http://a/k","jwksCluster":"c","jwksCacheSeconds":604801}}
        ],
        "maxTokenBytes":65537,"tokenCache":{{"maxEntries":1000001}}}}"#
    ));
    assert_eq!(
        got,
        vec![
            "jwtRules[0].clockSkewSeconds",
            "jwtRules[1].jwksCacheSeconds",
            "maxTokenBytes",
            "tokenCache.maxEntries",
        ]
    );
    let c = ok(&format!(
        r#"{{"jwtRules":[
          {{"issuer":"i","jwks":"{JWKS}","clockSkewSeconds":86400}},
          {{"issuer":"j","jwksUri":"http://a/k","jwksCluster":"c","jwksCacheSeconds":604800}}
        ],
        "maxTokenBytes":65536,"tokenCache":{{"maxEntries":1000000}}}}"#
    ));
    assert_eq!(c.jwt_rules[0].clock_skew_seconds, 86_400);
    assert_eq!(c.max_token_bytes, 65_536);
    assert_eq!(c.cache_max_entries, 1_000_000);
}

/// Rules are matched on normalized paths: a prefix or exact pattern no normalized path can
/// equal would be a rule that silently never applies.
#[test]
fn rule_paths_that_could_never_match_are_refused() {
    let got = fields(&format!(
        r#"{{"jwtRules":[{{"issuer":"i","jwks":"{JWKS}"}}],
        "rules":[{{"match":{{"prefix":"/admin/../public"}},"requirement":"none"}},
                 {{"match":{{"exact":"/a//b"}},"requirement":"none"}},
                 {{"match":{{"prefix":"/admin;jsessionid=1"}},"requirement":"none"}},
                 {{"match":{{"exact":"/search?q=x"}},"requirement":"none"}},
                 {{"match":{{"prefix":"/%7Euser/"}},"requirement":"none"}},
                 {{"match":{{"prefix":"/~user/"}},"requirement":"none"}}]}}"#
    ));
    assert_eq!(
        got,
        vec![
            "rules[0].match.prefix",
            "rules[1].match.exact",
            "rules[2].match.prefix",
            "rules[3].match.exact",
            "rules[4].match.prefix"
        ]
    );
}

#[test]
fn rule_paths_must_start_with_a_slash() {
    let got = fields(&format!(
        r#"{{"jwtRules":[{{"issuer":"i","jwks":"{JWKS}"}}],
        "rules":[{{"match":{{"prefix":"faas"}},"requirement":"none"}},
                 {{"match":{{"exact":""}},"requirement":"none"}},
                 {{"match":{{"prefix":"/ok"}},"requirement":"none"}},
                 {{"match":{{"regex":"[a-"}},"requirement":"none"}}]}}"#
    ));
    assert_eq!(
        got,
        vec![
            "rules[0].match.prefix",
            "rules[1].match.exact",
            "rules[3].match.regex"
        ]
    );
}

/// The filters' one regex limit (`filters_common::full_match_regex`): a rule regex that would
/// compile to a huge or deeply nested program is refused, naming the field.
#[test]
fn huge_or_deep_rule_regexes_are_refused() {
    let deep = format!("/{}x{}", "(".repeat(40), ")".repeat(40));
    let got = fields(&format!(
        r#"{{"jwtRules":[{{"issuer":"i","jwks":"{JWKS}"}}],
        "rules":[{{"match":{{"regex":"/(a{{1000}}){{1000}}"}},"requirement":"none"}},
                 {{"match":{{"regex":"{deep}"}},"requirement":"none"}},
                 {{"match":{{"regex":"/v[0-9]{{1,3}}/.*"}},"requirement":"none"}}]}}"#
    ));
    assert_eq!(got, vec!["rules[0].match.regex", "rules[1].match.regex"]);
}

#[test]
fn output_header_may_not_be_a_token_header() {
    let got = fields(&format!(
        r#"{{"jwtRules":[{{"issuer":"i","jwks":"{JWKS}","outputPayloadToHeader":"authorization"}}]}}"#
    ));
    assert_eq!(got, vec!["jwtRules[0].outputPayloadToHeader"]);
}

#[test]
fn unknown_fields_wrong_types_and_duplicates_are_refused() {
    assert_eq!(
        fields(r#"{"jwtRules":[{"issuer":"i","jwk":"x"}]}"#),
        vec!["jwtRules[0].jwk"]
    );
    assert_eq!(
        fields(r#"{"jwtRules":[{"issuer":5}]}"#),
        vec!["jwtRules[0].issuer"]
    );
    assert_eq!(
        fields(r#"{"defaultRequirement":"maybe"}"#),
        vec!["defaultRequirement"]
    );
    assert_eq!(
        fields(r#"{"tokenCache":{"size":1}}"#),
        vec!["tokenCache.size"]
    );
    assert_eq!(fields("{}"), vec!["jwtRules"]);
    assert_eq!(
        fields(&format!(
            r#"{{"jwtRules":[{{"issuer":"i","jwks":"{JWKS}"}},{{"issuer":"i","jwks":"{JWKS}"}}]}}"#
        )),
        vec!["jwtRules[1].issuer"]
    );
}

#[test]
fn every_structural_problem_is_named_with_its_path() {
    let got = parse(
        br#"{"jwtRules":[{"issuer":"i","audiences":"kfaas","fromHeaders":[{"prefix":"B "}],
              "outputClaimToHeaders":[{"header":"x-a","claim":1,"x":0}],"requireExpiration":"yes"}],
             "rules":[{"requirement":"none"},{"match":{"prefix":"/","path":"/"},"requirement":"all"}],
             "maxTokenBytes":-1,"tokenCache":[]}"#,
    )
    .unwrap_err();
    assert_eq!(
        got.fields(),
        vec![
            "jwtRules[0].audiences",
            "jwtRules[0].fromHeaders[0].name",
            "jwtRules[0].outputClaimToHeaders[0].x",
            "jwtRules[0].outputClaimToHeaders[0].claim",
            "jwtRules[0].requireExpiration",
            "rules[0].match",
            "rules[1].requirement",
            "rules[1].match.path",
            "maxTokenBytes",
            "tokenCache",
        ]
    );
    let text = got.to_string();
    assert!(text.contains("jwtRules[0].audiences: must be a list of strings"));
    assert!(text.contains("rules[1].requirement: must be one of required, allow_missing, none"));
    assert!(text.contains("maxTokenBytes: must be a non-negative integer"));
    assert!(text.contains("rules[1].match.path: unknown field"));
}

#[test]
fn not_json_or_not_an_object_is_named_as_the_root() {
    for bad in [&b"[]"[..], b"{", b"{} {}", b"null"] {
        assert_eq!(parse(bad).unwrap_err().fields(), vec!["(root)"]);
    }
    // An empty configuration is `{}`: it lacks rules, nothing else.
    assert_eq!(parse(b" \n").unwrap_err().fields(), vec!["jwtRules"]);
}

#[test]
fn null_is_an_absent_field() {
    let c = ok(&format!(
        r#"{{"jwtRules":[{{"issuer":"i","jwks":"{JWKS}","clockSkewSeconds":null}}],"defaultRequirement":null,"tokenCache":null}}"#
    ));
    assert_eq!(c.jwt_rules[0].clock_skew_seconds, 60);
    assert_eq!(c.default_requirement, Requirement::Required);
    assert_eq!(c.cache_max_entries, DEFAULT_CACHE_ENTRIES);
}

#[test]
fn a_field_given_twice_is_refused_not_last_wins() {
    let got = parse(
        format!(
            r#"{{"jwtRules":[{{"issuer":"i","jwks":"{JWKS}"}}],"defaultRequirement":"required","defaultRequirement":"none"}}"#
        )
        .as_bytes(),
    )
    .unwrap_err();
    assert_eq!(got.fields(), vec!["(root)"]);
    assert!(
        got.to_string()
            .contains("duplicate key `defaultRequirement`"),
        "{got}"
    );
}

#[test]
fn small_rsa_keys_are_refused_at_configuration() {
    // A 1024-bit modulus.
    let n = crate::b64::encode(&[0xc3; 128]);
    let got = parse(
        format!(
            r#"{{"jwtRules":[{{"issuer":"i","jwks":"{{\"keys\":[{{\"kty\":\"RSA\",\"n\":\"{n}\",\"e\":\"AQAB\"}}]}}"}}]}}"#
        )
        .as_bytes(),
    )
    .unwrap_err();
    assert_eq!(got.fields(), vec!["jwtRules[0].jwks"]);
    assert!(
        got.to_string()
            .contains("keys[0].n: RSA modulus of 1024 bits is too small"),
        "{got}"
    );
}

#[test]
fn rule_hosts_are_compiled_and_bad_ones_named() {
    let c = ok(&format!(
        r#"{{"jwtRules":[{{"issuer":"i","jwks":"{JWKS}"}}],
        "rules":[{{"match":{{"prefix":"/"}},"hosts":["WWW.example.com","*.example.com"],"requirement":"required"}},
                 {{"match":{{"prefix":"/"}},"requirement":"none"}}]}}"#
    ));
    assert_eq!(
        c.rules[0].hosts,
        vec![
            HostPattern::Exact("www.example.com".into()),
            HostPattern::Suffix(".example.com".into())
        ]
    );
    assert!(c.rules[1].hosts.is_empty(), "absent = every host");
    let got = fields(&format!(
        r#"{{"jwtRules":[{{"issuer":"i","jwks":"{JWKS}"}}],
        "rules":[{{"match":{{"prefix":"/"}},"hosts":["ok.com","bad host","a.com:80","*.*.com"],"requirement":"required"}},
                 {{"match":{{"prefix":"/"}},"hosts":[],"requirement":"required"}},
                 {{"match":{{"prefix":"x"}},"hosts":["a*b"],"requirement":"required"}}]}}"#
    ));
    assert_eq!(
        got,
        vec![
            "rules[0].hosts[1]",
            "rules[0].hosts[2]",
            "rules[0].hosts[3]",
            "rules[1].hosts",
            "rules[2].match.prefix",
        ]
    );
    let err = parse(
        format!(
            r#"{{"jwtRules":[{{"issuer":"i","jwks":"{JWKS}"}}],"rules":[{{"match":{{"prefix":"/"}},"hosts":[],"requirement":"none"}}]}}"#
        )
        .as_bytes(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("rules[0].hosts: must not be empty"), "{err}");
    assert_eq!(
        fields(
            r#"{"jwtRules":[{"issuer":"i"}],"rules":[{"match":{"prefix":"/"},"hosts":"a.com","requirement":"none"}]}"#
        ),
        vec!["rules[0].hosts"]
    );
}

#[test]
fn mode_defaults_to_enforce_and_unknown_modes_are_refused() {
    let base = format!(r#""jwtRules":[{{"issuer":"i","jwks":"{JWKS}"}}]"#);
    assert_eq!(ok(&format!("{{{base}}}")).mode, Mode::Enforce);
    assert_eq!(
        ok(&format!(r#"{{{base},"mode":"enforce"}}"#)).mode,
        Mode::Enforce
    );
    assert_eq!(
        ok(&format!(r#"{{{base},"mode":"audit"}}"#)).mode,
        Mode::Audit
    );
    for bad in [r#""Audit""#, r#""observe""#, "true", "1"] {
        let err = parse(format!(r#"{{{base},"mode":{bad}}}"#).as_bytes()).unwrap_err();
        assert_eq!(err.fields(), vec!["mode"], "{bad}");
        assert!(
            err.to_string()
                .contains("mode: must be one of enforce, audit"),
            "{err}"
        );
    }
}

#[test]
fn uri_split() {
    assert_eq!(
        split_uri("https://a.b:8443/x/y?z=1"),
        Some(("a.b:8443".into(), "/x/y?z=1".into()))
    );
    assert_eq!(split_uri("http://a"), Some(("a".into(), "/".into())));
    assert_eq!(split_uri("http://a?x"), Some(("a".into(), "/?x".into())));
    assert_eq!(split_uri("http:///x"), None);
    assert_eq!(split_uri("http://u@a/x"), None);
    assert_eq!(split_uri("a/x"), None);
}

/// Issue 15: `maxJwksBytes` bounds inline documents at configure time (and fetched ones, see
/// tests/native_engine.rs); a JWKS of more than 1,000 keys is refused whole.
#[test]
fn oversized_inline_jwks_are_refused_naming_the_field() {
    let key = r#"{\"kty\":\"oct\",\"k\":\"YS0zMi1ieXRlLWhtYWMtc2VjcmV0LWZvci10ZXN0cyE\"}"#;
    let many = vec![key; 1001].join(",");
    let big = format!(r#"{{\"keys\":[{key}],\"x\":\"{}\"}}"#, "y".repeat(2000));
    let got = fields(&format!(
        r#"{{"jwtRules":[{{"issuer":"a","jwks":"{{\"keys\":[{many}]}}"}},
                        {{"issuer":"b","jwks":"{big}"}},
                        {{"issuer":"c","jwks":"{JWKS}"}}],
           "maxJwksBytes":1024}}"#
    ));
    assert_eq!(got, vec!["jwtRules[0].jwks", "jwtRules[1].jwks"]);
    assert_eq!(
        ok(&format!(
            r#"{{"jwtRules":[{{"issuer":"c","jwks":"{JWKS}"}}]}}"#
        ))
        .max_jwks_bytes,
        256 * 1024
    );
    for bad in ["0", "1023", "16777217"] {
        let got = fields(&format!(
            r#"{{"jwtRules":[{{"issuer":"c","jwks":"{JWKS}"}}],"maxJwksBytes":{bad}}}"#
        ));
        assert_eq!(got, vec!["maxJwksBytes"], "{bad}");
    }
}

#[test]
fn token_cache_max_bytes_defaults_to_32_mib_and_is_bounded() {
    let c = ok(&format!(
        r#"{{"jwtRules":[{{"issuer":"c","jwks":"{JWKS}"}}]}}"#
    ));
    assert_eq!(c.cache_max_bytes, 32 * 1024 * 1024);
    let c = ok(&format!(
        r#"{{"jwtRules":[{{"issuer":"c","jwks":"{JWKS}"}}],"tokenCache":{{"maxBytes":0}}}}"#
    ));
    assert_eq!(c.cache_max_bytes, 0);
    let got = fields(&format!(
        r#"{{"jwtRules":[{{"issuer":"c","jwks":"{JWKS}"}}],"tokenCache":{{"maxBytes":1073741825}}}}"#
    ));
    assert_eq!(got, vec!["tokenCache.maxBytes"]);
}

/// Istio's `jwtRules` fields: `jwks_uri`, `timeout`, `spaceDelimitedClaims`.
#[test]
fn istio_jwks_uri_timeout_and_space_delimited_claims() {
    let c = ok(r#"{"jwtRules":[{
        "issuer": "i",
        "jwks_uri": "https://keys.example.com/jwks",
        "jwksCluster": "keys",
        "timeout": "1.5s",
        "spaceDelimitedClaims": ["scope", "org.roles"],
        "outputClaimToHeaders": [{"header": "x-scope", "claim": "scope"},
                                 {"header": "x-roles", "claim": "org.roles"},
                                 {"header": "x-sub", "claim": "sub"}]
    }]}"#);
    let r = &c.jwt_rules[0];
    let KeySource::Remote(remote) = &r.keys else {
        panic!("jwks_uri is a remote JWKS")
    };
    assert_eq!(remote.uri, "https://keys.example.com/jwks");
    assert_eq!(remote.authority, "keys.example.com");
    assert_eq!(remote.timeout_ms, 1500);
    let split: Vec<bool> = r
        .output_claim_to_headers
        .iter()
        .map(|h| h.space_delimited)
        .collect();
    assert_eq!(split, vec![true, true, false]);
    // Defaults: 5 s, nothing split.
    let c = ok(
        r#"{"jwtRules":[{"issuer":"i","jwksUri":"http://k/j","jwksCluster":"k",
        "outputClaimToHeaders":[{"header":"x-scope","claim":"scope"}]}]}"#,
    );
    let KeySource::Remote(remote) = &c.jwt_rules[0].keys else {
        panic!("remote")
    };
    assert_eq!(remote.timeout_ms, DEFAULT_FETCH_TIMEOUT_MS);
    assert!(!c.jwt_rules[0].output_claim_to_headers[0].space_delimited);
    // 1 ms is the least; a timeout with an inline JWKS is accepted (Istio does).
    let c = ok(
        r#"{"jwtRules":[{"issuer":"i","jwks_uri":"http://k/j","jwksCluster":"k","timeout":"1ms"}]}"#,
    );
    let KeySource::Remote(remote) = &c.jwt_rules[0].keys else {
        panic!("remote")
    };
    assert_eq!(remote.timeout_ms, 1);
    ok(&format!(
        r#"{{"jwtRules":[{{"issuer":"i","jwks":"{JWKS}","timeout":"2s"}}]}}"#
    ));
}

#[test]
fn istio_field_values_are_refused_by_name() {
    // Wrong types are shape errors: they stop the value checks.
    let got = fields(
        r#"{"jwtRules":[
          {"issuer":"a","jwks_uri":"http://k/j","jwksCluster":"k","timeout":5},
          {"issuer":"b","jwks_uri":"http://k/j","jwksCluster":"k","spaceDelimitedClaims":"scope"},
          {"issuer":"c","jwks_uri":"http://k/j","jwksCluster":"k","timeout":"0s"}
        ]}"#,
    );
    assert_eq!(
        got,
        vec!["jwtRules[0].timeout", "jwtRules[1].spaceDelimitedClaims"]
    );
    for bad in [r#""required""#, r#""""#, "true"] {
        let got = fields(&format!(
            r#"{{"jwtRules":[{{"issuer":"i","jwks":"{JWKS}","presence":{bad}}}]}}"#
        ));
        assert_eq!(got, vec!["jwtRules[0].presence"], "{bad}");
    }
    for (given, want) in [
        ("OPTIONAL", Presence::Optional),
        ("REQUIRED", Presence::Required),
    ] {
        let c = ok(&format!(
            r#"{{"jwtRules":[{{"issuer":"i","jwks":"{JWKS}","presence":"{given}"}}]}}"#
        ));
        assert_eq!(c.jwt_rules[0].presence, want);
    }
    let got = fields(
        r#"{"jwtRules":[
          {"issuer":"a","jwks":"{}","jwksUri":"http://k/j","jwks_uri":"http://k/j"},
          {"issuer":"b","jwksUri":"http://k/j","jwks_uri":"http://k/j","jwksCluster":"k"},
          {"issuer":"c","jwks_uri":"ftp://k/j","jwksCluster":"k","timeout":"0s"},
          {"issuer":"d","jwks_uri":"http://k/j","jwksCluster":"k","timeout":"100us"},
          {"issuer":"e","jwks_uri":"http://k/j","jwksCluster":"k","timeout":"-1s"},
          {"issuer":"f","jwks_uri":"http://k/j","jwksCluster":"k","timeout":"5"},
          {"issuer":"h","jwks_uri":"http://k/j","spaceDelimitedClaims":["scope",""]}
        ]}"#,
    );
    assert_eq!(
        got,
        vec![
            "jwtRules[0]",
            "jwtRules[1]",
            "jwtRules[2].timeout",
            "jwtRules[2].jwks_uri",
            "jwtRules[3].timeout",
            "jwtRules[4].timeout",
            "jwtRules[5].timeout",
            "jwtRules[6].jwksCluster",
            "jwtRules[6].spaceDelimitedClaims[1]",
        ]
    );
}
