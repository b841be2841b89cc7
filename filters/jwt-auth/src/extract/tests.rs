use super::*;

fn req(path: &str, headers: &[(&str, &str)]) -> Request {
    Request {
        method: "GET".into(),
        scheme: "http".into(),
        authority: "a".into(),
        path: path.into(),
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        non_utf8: Vec::new(),
    }
}

fn all() -> Vec<Location> {
    vec![
        Location::Header {
            name: "authorization".into(),
            prefix: "Bearer ".into(),
        },
        Location::Header {
            name: "x-token".into(),
            prefix: String::new(),
        },
        Location::Param("access_token".into()),
        Location::Cookie("token".into()),
    ]
}

#[test]
fn finds_in_order_of_locations() {
    let r = req(
        "/a?access_token=p",
        &[("authorization", "Bearer h"), ("cookie", "token=c")],
    );
    assert_eq!(find(&r, &all()).unwrap().unwrap().token, "h");
    let r = req(
        "/a?access_token=p",
        &[("authorization", "Basic h"), ("cookie", "token=c")],
    );
    assert_eq!(find(&r, &all()).unwrap().unwrap().token, "p");
    let r = req("/a?x=1", &[("cookie", "a=b; token=c")]);
    assert_eq!(find(&r, &all()).unwrap().unwrap().token, "c");
    let r = req("/a", &[("x-token", " t ")]);
    assert_eq!(find(&r, &all()).unwrap().unwrap().token, "t");
    assert_eq!(
        find(&req("/a", &[("authorization", "bearer lower")]), &all())
            .unwrap()
            .unwrap()
            .token,
        "lower"
    );
}

#[test]
fn empty_or_absent_is_no_token() {
    assert_eq!(
        find(&req("/a", &[("authorization", "Bearer ")]), &all()),
        Ok(None)
    );
    assert_eq!(find(&req("/a?access_token=", &[]), &all()), Ok(None));
    assert_eq!(
        find(&req("/a", &[("authorization", "Bear")]), &all()),
        Ok(None)
    );
    assert_eq!(find(&req("/a?access_token=%zz", &[]), &all()), Ok(None));
    assert_eq!(
        find(&req("/a", &[("authorization", "Beärer x")]), &all()),
        Ok(None)
    );
}

#[test]
fn removal_keeps_everything_else() {
    let r = req(
        "/a?b=1&access_token=t&c=2",
        &[("cookie", "a=1; token=t; b=2")],
    );
    assert_eq!(
        removal(&r, &all()[0]),
        Removal::Header("authorization".into())
    );
    assert_eq!(removal(&r, &all()[2]), Removal::Path("/a?b=1&c=2".into()));
    assert_eq!(
        removal(&r, &all()[3]),
        Removal::Cookie(Some("a=1; b=2".into()))
    );
    let r = req("/a", &[("cookie", "token=t")]);
    assert_eq!(removal(&r, &all()[3]), Removal::Cookie(None));
}

#[test]
fn every_cookie_header_is_read_and_rewritten_as_one() {
    let r = req("/a", &[("cookie", "a=1"), ("cookie", "token=t; b=2")]);
    assert_eq!(find(&r, &all()[3..]).unwrap().unwrap().token, "t");
    assert_eq!(
        removal(&r, &all()[3]),
        Removal::Cookie(Some("a=1; b=2".into()))
    );
}

#[test]
fn two_different_tokens_at_one_location_are_malformed() {
    let forged = [
        req("/a", &[("cookie", "a=1"), ("cookie", "token=x; token=y")]),
        req("/a", &[("cookie", "token=x"), ("cookie", "token=y")]),
        req(
            "/a",
            &[("authorization", "Bearer x"), ("authorization", "Bearer y")],
        ),
        req("/a", &[("x-token", "x"), ("x-token", "y")]),
        req("/a?access_token=x&access_token=y", &[]),
    ];
    for r in &forged {
        assert_eq!(find(r, &all()), Err(Failure::Malformed), "{r:?}");
    }
    // The same token twice is one token; a value without the prefix
    // holds none.
    let same = req(
        "/a",
        &[
            ("authorization", "Bearer x"),
            ("authorization", "Basic y"),
            ("authorization", "Bearer x"),
        ],
    );
    assert_eq!(find(&same, &all()).unwrap().unwrap().token, "x");
}

#[test]
fn a_token_location_that_is_not_utf8_is_malformed() {
    let mut r = req("/a", &[("cookie", "token=c")]);
    r.non_utf8.push("authorization".into());
    assert_eq!(find(&r, &all()), Err(Failure::Malformed));
    let mut r = req("/a", &[("authorization", "Bearer h")]);
    r.non_utf8.push("cookie".into());
    r.non_utf8.push("x-other".into());
    // The first location decides before cookies are looked at.
    assert_eq!(find(&r, &all()).unwrap().unwrap().token, "h");
    assert_eq!(find(&r, &all()[3..]), Err(Failure::Malformed));
    r.non_utf8.retain(|n| n == "x-other");
    assert_eq!(find(&r, &all()[3..]), Ok(None));
}
