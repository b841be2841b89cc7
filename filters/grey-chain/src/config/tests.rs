use super::*;

const ISSUE_EXAMPLE: &str = r#"{
  "mode": "gateway",
  "tagHeader": "x-grey",
  "lanes": ["grey"],
  "gateway": {
    "rules": [
      {"lane": "grey", "match": {"header": {"name": "end-user", "exact": "test"}}},
      {"lane": "grey", "match": {"cookie": {"name": "lane", "exact": "grey"}}},
      {"lane": "grey", "match": {"header": {"name": "x-jwt-sub", "in": ["alice", "bob"]}}},
      {"lane": "grey", "percentage": 10, "hashBy": {"header": "x-jwt-sub"}}
    ],
    "trustIncomingTag": false
  },
  "sidecar": {
    "podLabel": {"key": "type", "value": "grey"},
    "correlation": {"headers": ["traceparent", "x-b3-traceid", "x-request-id"], "ttlSeconds": 60, "maxEntries": 50000},
    "baggageKey": "lane"
  }
}"#;

fn fields(json: &str) -> Vec<String> {
    parse(json.as_bytes())
        .unwrap_err()
        .errors
        .into_iter()
        .map(|e| e.field)
        .collect()
}

#[test]
fn issue_example_parses() {
    let c = parse(ISSUE_EXAMPLE.as_bytes()).unwrap();
    assert_eq!(c.mode, Mode::Gateway);
    assert_eq!(c.tag_header, "x-grey");
    let g = c.gateway.unwrap();
    assert_eq!(g.rules.len(), 4);
    assert_eq!(g.rules[3].percentage.as_ref().unwrap().threshold, 1000);
    assert_eq!(
        g.rules[3].percentage.as_ref().unwrap().hash_by,
        Source::Header("x-jwt-sub".into())
    );
    let s = c.sidecar.unwrap();
    assert_eq!(s.pod_label, Some(("type".into(), "grey".into())));
    assert_eq!(s.correlation.max_entries, 50_000);
}

#[test]
fn defaults() {
    let c = parse(br#"{"mode":"sidecar","lanes":["grey"],"sidecar":{}}"#).unwrap();
    assert_eq!(c.tag_header, "x-grey");
    assert_eq!(c.baggage_key, "lane");
    let s = c.sidecar.unwrap();
    assert_eq!(
        s.correlation.headers,
        vec!["traceparent", "x-b3-traceid", "x-request-id"]
    );
    assert_eq!(s.correlation.ttl_seconds, 60);
    assert_eq!(s.correlation.max_entries, 50_000);
    assert_eq!(s.pod_label, None);
    assert_eq!(s.direction, None);
    let g = parse(br#"{"mode":"gateway","lanes":["grey"],"gateway":{}}"#).unwrap();
    assert_eq!(g.baggage_key, "lane");
    assert!(!g.gateway.unwrap().trust_incoming_tag);
}

#[test]
fn sidecar_direction_pin() {
    use crate::direction::Direction;
    let pin = |d: &str| {
        let json =
            format!(r#"{{"mode":"sidecar","lanes":["grey"],"sidecar":{{"direction":{d}}}}}"#);
        parse(json.as_bytes()).map(|c| c.sidecar.unwrap().direction)
    };
    assert_eq!(pin(r#""inbound""#).unwrap(), Some(Direction::Inbound));
    assert_eq!(pin(r#""outbound""#).unwrap(), Some(Direction::Outbound));
    for bad in [r#""INBOUND""#, r#""both""#, "1"] {
        let json =
            format!(r#"{{"mode":"sidecar","lanes":["grey"],"sidecar":{{"direction":{bad}}}}}"#);
        assert_eq!(fields(&json), vec!["sidecar.direction"], "{bad}");
    }
}

#[test]
fn unknown_fields_are_named() {
    assert_eq!(
        fields(r#"{"mode":"gateway","lanes":["grey"],"gateway":{"rulez":[]}}"#),
        vec!["gateway.rulez"]
    );
    assert_eq!(
        fields(
            r#"{"mode":"gateway","lanes":["grey"],"gateway":{"rules":[{"lane":"grey","match":{"header":{"name":"a","exakt":"b"}}}]}}"#
        ),
        vec!["gateway.rules[0].match.header.exakt"]
    );
    assert_eq!(
        fields(r#"{"mode":"ingress","lanes":["grey"]}"#),
        vec!["mode"]
    );
    assert_eq!(fields(r#"{"lanes":["grey"]}"#), vec!["mode"]);
}

/// The shared hand reader (`filters_common::config_reader`): every shape problem is named at
/// once, each with its path, and a key named twice is refused (it used to keep one silently
/// only where serde saw a map; now nowhere).
#[test]
fn every_shape_problem_is_named_and_repeated_keys_are_refused() {
    assert_eq!(
        fields(
            r#"{"mode":"gateway","lanes":"grey","tagHeader":7,"gateway":{"rules":[{"percentage":"x"},{"lane":"grey","hashBy":{"headr":"a"}}],"trustIncomingTag":1},"sidecar":{"correlation":{"ttlSeconds":-1}}}"#
        ),
        vec![
            "tagHeader",
            "lanes",
            "gateway.rules[0].lane",
            "gateway.rules[0].percentage",
            "gateway.rules[1].hashBy.headr",
            "gateway.trustIncomingTag",
            "sidecar.correlation.ttlSeconds"
        ]
    );
    let err =
        parse(br#"{"mode":"gateway","lanes":["grey"],"gateway":{},"mode":"sidecar"}"#).unwrap_err();
    assert_eq!(err.fields(), vec!["(root)"]);
    assert!(err.to_string().contains("mode"), "{err}");
}

/// One regex limit for every filter (`filters_common::full_match_regex`): grey-chain used to
/// allow 1 MiB programs and any nesting.
#[test]
fn huge_or_deep_regexes_are_refused() {
    let deep = format!("{}x{}", "(".repeat(40), ")".repeat(40));
    let json = format!(
        r#"{{"mode":"gateway","tagHeader":"x-grey","lanes":["grey"],"gateway":{{"rules":[
        {{"lane":"grey","match":{{"header":{{"name":"a","regex":"(a{{1000}}){{100}}"}}}}}},
        {{"lane":"grey","match":{{"header":{{"name":"a","regex":"{deep}"}}}}}},
        {{"lane":"grey","match":{{"header":{{"name":"a","regex":"[a-z]{{1,64}}"}}}}}}]}}}}"#
    );
    assert_eq!(
        fields(&json),
        vec![
            "gateway.rules[0].match.header.regex",
            "gateway.rules[1].match.header.regex"
        ]
    );
}

#[test]
fn every_bad_field_is_named() {
    let json = r#"{
      "mode": "sidecar", "tagHeader": "X-Grey", "lanes": ["grey", "bad lane", "grey"],
      "gateway": {"rules": [
        {"lane": "blue", "match": {"header": {"name": "a", "exact": "b"}}},
        {"lane": "grey", "match": {"header": {"name": "a", "regex": "("}}},
        {"lane": "grey", "percentage": 101, "hashBy": {"header": "x"}},
        {"lane": "grey", "percentage": 5},
        {"lane": "grey", "match": {"header": {"name": "a", "exact": "b", "prefix": "c"}}},
        {"lane": "grey", "match": {"header": {"name": "a", "exact": "b"}, "cookie": {"name": "c", "present": true}}},
        {"lane": "grey"},
        {"lane": "grey", "match": {"cookie": {"name": "a b", "in": []}}},
        {"lane": "grey", "match": {"query": {"name": "a=b", "prefix": ""}}},
        {"lane": "grey", "percentage": 5, "hashBy": {"header": "x", "cookie": "y"}},
        {"lane": "grey", "match": {"header": {"name": "a", "exact": "b"}}, "hashBy": {"header": "x"}}
      ]},
      "sidecar": {
        "podLabel": {"key": "", "value": "blue"},
        "correlation": {"headers": ["Traceparent"], "ttlSeconds": 0, "maxEntries": 2000000},
        "baggageKey": "la ne"
      }
    }"#;
    let got = fields(json);
    for want in [
        "tagHeader",
        "lanes[1]",
        "lanes[2]",
        "gateway.rules[0].lane",
        "gateway.rules[1].match.header.regex",
        "gateway.rules[2].percentage",
        "gateway.rules[3].hashBy",
        "gateway.rules[4].match.header",
        "gateway.rules[5].match",
        "gateway.rules[6]",
        "gateway.rules[7].match.cookie.name",
        "gateway.rules[7].match.cookie.in",
        "gateway.rules[8].match.query.name",
        "gateway.rules[8].match.query.prefix",
        "gateway.rules[9].hashBy",
        "gateway.rules[10].hashBy",
        "sidecar.podLabel.key",
        "sidecar.podLabel.value",
        "sidecar.correlation.headers[0]",
        "sidecar.correlation.ttlSeconds",
        "sidecar.correlation.maxEntries",
        "sidecar.baggageKey",
    ] {
        assert!(got.iter().any(|f| f == want), "{want} missing from {got:?}");
    }
}

#[test]
fn mode_sections_are_required() {
    assert_eq!(
        fields(r#"{"mode":"gateway","lanes":["grey"]}"#),
        vec!["gateway"]
    );
    assert_eq!(
        fields(r#"{"mode":"sidecar","lanes":["grey"],"gateway":{}}"#),
        vec!["sidecar"]
    );
    assert_eq!(
        fields(r#"{"mode":"sidecar","lanes":[],"sidecar":{}}"#),
        vec!["lanes"]
    );
}

#[test]
fn tag_header_conflicts() {
    assert_eq!(
        fields(r#"{"mode":"gateway","tagHeader":"baggage","lanes":["g"],"gateway":{}}"#),
        vec!["tagHeader"]
    );
    assert_eq!(
        fields(r#"{"mode":"sidecar","tagHeader":"x-request-id","lanes":["g"],"sidecar":{}}"#),
        vec!["tagHeader"]
    );
}

#[test]
fn lane_names() {
    assert!(is_lane_name("grey"));
    assert!(is_lane_name("v2.1-canary_a"));
    for bad in [
        "",
        "-grey",
        "gr ey",
        "gr,ey",
        "gr;ey",
        "grey|x",
        "gré",
        &"a".repeat(64),
    ] {
        assert!(!is_lane_name(bad), "{bad}");
    }
}

#[test]
fn regex_is_anchored_and_fractional_percentages_resolve() {
    let c = parse(
        br#"{"mode":"gateway","lanes":["g"],"gateway":{"rules":[
          {"lane":"g","match":{"header":{"name":":authority","regex":"a+"}}},
          {"lane":"g","percentage":12.34,"hashBy":{"cookie":"uid"}}]}}"#,
    )
    .unwrap();
    let rules = c.gateway.unwrap().rules;
    let Some(Matcher {
        test: Test::Regex(re),
        ..
    }) = &rules[0].matcher
    else {
        panic!()
    };
    assert!(re.is_match("aaa"));
    assert!(!re.is_match("baaa"));
    assert_eq!(rules[1].percentage.as_ref().unwrap().threshold, 1234);
}
