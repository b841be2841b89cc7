use super::*;

fn policy(timeout: Option<&str>, retries: Option<&str>) -> Result<Policy, Vec<String>> {
    let mut errors = ConfigErrors::new();
    let raw: Option<RawRetries> = retries.and_then(|r| {
        read_retries(
            &serde_json::from_str(r).unwrap(),
            "routes[0].retries",
            &mut errors,
        )
    });
    let p = check(timeout, raw.as_ref(), "routes[0]", &mut errors);
    if errors.is_empty() {
        Ok(p)
    } else {
        Err(errors
            .errors
            .into_iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect())
    }
}

fn headers(p: &Policy) -> Vec<(&str, &str)> {
    p.headers.iter().map(|(n, v)| (*n, v.as_str())).collect()
}

#[test]
fn only_what_the_route_names() {
    assert!(policy(None, None).unwrap().headers.is_empty());
    let p = policy(Some("15s"), None).unwrap();
    assert_eq!(headers(&p), [(TIMEOUT, "15000")]);
    assert_eq!(p.timeout, Some(Duration::from_secs(15)));
    let p = policy(None, Some(r#"{"attempts": 3}"#)).unwrap();
    assert_eq!(headers(&p), [(MAX_RETRIES, "3")]);
}

#[test]
fn the_issue_example() {
    let p = policy(
        Some("15s"),
        Some(r#"{"attempts": 3, "perTryTimeout": "5s", "retryOn": "5xx,connect-failure"}"#),
    )
    .unwrap();
    assert_eq!(
        headers(&p),
        [
            (TIMEOUT, "15000"),
            (MAX_RETRIES, "3"),
            (RETRY_ON, "5xx,connect-failure"),
            (PER_TRY_TIMEOUT, "5000"),
        ]
    );
    assert_eq!(
        p.retries,
        Some(Retries {
            attempts: 3,
            per_try_timeout: Some(Duration::from_secs(5)),
            retry_on: vec!["5xx".into(), "connect-failure".into()],
        })
    );
}

#[test]
fn grpc_items_and_status_codes_go_to_their_headers() {
    let p = policy(
        None,
        Some(r#"{"attempts": 2, "retryOn": " unavailable , 503,reset,cancelled,409,503"}"#),
    )
    .unwrap();
    assert_eq!(
        headers(&p),
        [
            (MAX_RETRIES, "2"),
            (RETRY_ON, "retriable-status-codes,reset"),
            (RETRY_GRPC_ON, "unavailable,cancelled"),
            (RETRIABLE_STATUS_CODES, "503,409"),
        ]
    );
    let only_grpc = policy(None, Some(r#"{"attempts": 1, "retryOn": "internal"}"#)).unwrap();
    assert_eq!(
        headers(&only_grpc),
        [(MAX_RETRIES, "1"), (RETRY_GRPC_ON, "internal")]
    );
}

#[test]
fn attempts_zero_turns_retries_off() {
    let p = policy(None, Some(r#"{"attempts": 0}"#)).unwrap();
    assert_eq!(headers(&p), [(MAX_RETRIES, "0")]);
    let e = policy(
        None,
        Some(r#"{"attempts": 0, "perTryTimeout": "1s", "retryOn": "5xx"}"#),
    )
    .unwrap_err();
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(e[0].starts_with("routes[0].retries.perTryTimeout: has no effect"));
    assert!(e[1].starts_with("routes[0].retries.retryOn: has no effect"));
}

#[test]
fn refusals_are_named() {
    let cases = [
        (
            Some("0s"),
            None,
            "routes[0].timeout: \"0s\" must be positive",
        ),
        (
            Some("-1s"),
            None,
            "routes[0].timeout: \"-1s\" must be positive",
        ),
        (Some("15"), None, "routes[0].timeout: \"15\" needs a unit"),
        (
            None,
            Some(r#"{}"#),
            "routes[0].retries.attempts: is required",
        ),
        (
            None,
            Some(r#"{"attempts": 11}"#),
            "routes[0].retries.attempts: 11 is outside 0..=10",
        ),
        (
            None,
            Some(r#"{"attempts": -1}"#),
            "routes[0].retries.attempts: -1 is outside",
        ),
        (
            None,
            Some(r#"{"attempts": 1, "perTryTimeout": "fast"}"#),
            "routes[0].retries.perTryTimeout: \"fast\"",
        ),
        (
            None,
            Some(r#"{"attempts": 1, "retryOn": "5xx,oops"}"#),
            "routes[0].retries.retryOn: \"oops\" is not an Envoy retry-on value",
        ),
        (
            None,
            Some(r#"{"attempts": 1, "retryOn": "5xx,"}"#),
            "routes[0].retries.retryOn: \"an empty item\"",
        ),
        (
            None,
            Some(r#"{"attempts": 1, "retryOn": "600"}"#),
            "routes[0].retries.retryOn: \"600\"",
        ),
        (
            None,
            Some(r#"{"attempts": 1, "retryOn": "5XX"}"#),
            "routes[0].retries.retryOn: \"5XX\"",
        ),
    ];
    for (timeout, retries, want) in cases {
        let e = policy(timeout, retries).unwrap_err();
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].starts_with(want),
            "{} does not start with {want}",
            e[0]
        );
    }
    let e = policy(None, Some(r#"{"attempts": 1, "retryon": "5xx"}"#)).unwrap_err();
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("routes[0].retries.retryon: unknown field"),
        "{e:?}"
    );
}

#[test]
fn control_headers_in_any_case() {
    for h in CONTROL_HEADERS {
        assert!(is_control_header(h.as_bytes()));
        assert!(is_control_header(h.to_ascii_uppercase().as_bytes()));
    }
    assert!(!is_control_header(b"x-envoy-original-path"));
    assert!(!is_control_header(b"x-envoy-max-retries-x"));
    let lengths: Vec<usize> = CONTROL_HEADERS.iter().map(|h| h.len()).collect();
    assert_eq!(lengths.iter().min(), Some(&SHORTEST_CONTROL));
    assert_eq!(lengths.iter().max(), Some(&LONGEST_CONTROL));
}
