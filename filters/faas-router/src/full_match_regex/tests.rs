use super::*;

#[test]
fn literal_prefixes_are_never_too_long() {
    let cases = [
        ("^/faas/api/u/[a-z0-9-]+/profile$", "/faas/api/u/"),
        ("/faas/api/(a|b)/x", "/faas/api/"),
        ("/faas/api/a|/other", ""),
        ("/faas/api/[|]x|y", ""),
        ("/faas/api/(a|b)|/x", ""),
        ("/faas/api/[a|b]", "/faas/api/"),
        ("/faas/api/ab*", "/faas/api/a"),
        ("/faas/api/ab?", "/faas/api/a"),
        ("/faas/api/ab{0,2}", "/faas/api/a"),
        ("/faas/api/ab+", "/faas/api/ab"),
        ("/faas/api/v1\\.0/x", "/faas/api/v1.0/x"),
        ("/faas/api/\\d+", "/faas/api/"),
        ("(?i)/faas/api/x", ""),
        (".*", ""),
        // `\<`, `\>` are word boundaries in regex-lite, not characters.
        ("/faas/api/\\<x/[a-z]+", "/faas/api/"),
        ("/faas/api/x\\>/y", "/faas/api/x"),
        // Syntax the alternation scan cannot follow: nothing claimed.
        ("/faas/api/[[:digit:](]|b", ""),
        ("(?x)/faas/api/ # (\n|/other", ""),
        ("/faas/api/x/(?ix)A # (\n|b", ""),
        ("/faas/api/(?:a|b)/x", "/faas/api/"),
    ];
    for (pattern, want) in cases {
        let got = compile_regex(pattern).unwrap().literal_prefix;
        assert_eq!(got, want, "{pattern}");
    }
    assert_eq!(bucket_key("/faas/api/u"), "/faas/api/");
}

#[test]
fn a_regex_matching_after_its_bucket_key_agrees_with_the_full_match() {
    let cases: [(&str, usize); 16] = [
        ("/faas/api/u/[a-z0-9-]+/profile", "/faas/api/u/".len()),
        ("^/faas/api/v1\\.0/x/[0-9]+$", "/faas/api/v1.0/x/".len()),
        ("/faas/api/x\\/y/[^/]+", "/faas/api/x/y/".len()),
        ("/faas/api/x/\\babc\\b", "/faas/api/x/".len()),
        ("/faas/api/x/(?i)ABC", "/faas/api/x/".len()),
        ("/faas/api/\\<x/[a-z]+", "/faas/api/".len()),
        ("/faas/api/[[:digit:](]|b", 0),
        ("/faas/api/x/a{0,2}", "/faas/api/x/".len()),
        ("/faas/api/(a|b)/x", "/faas/api/".len()),
        ("/faas/api/x/", "/faas/api/x/".len()), // the rest must be empty
        // Would mean something else alone: the full regex runs.
        ("/faas/api/x/^abc", 0),
        ("/faas/api/x/(?m)^abc", 0),
        ("/faas/api/x/\\Aabc", 0),
        ("/faas/api/x/+abc", 0),
        ("/faas/api/x/[a^]bc", 0),
        ("/faas/api/a|/faas/api/b", 0),
    ];
    let paths = [
        "/faas/api/u/bob-1/profile",
        "/faas/api/u//profile",
        "/faas/api/v1.0/x/42",
        "/faas/api/v1x0/x/42",
        "/faas/api/x/y/z",
        "/faas/api/x/y/z/",
        "/faas/api/x/abc",
        "/faas/api/x/ABC",
        "/faas/api/x/",
        "/faas/api/x/a",
        "/faas/api/x/aaa",
        "/faas/api/x//abc",
        "/faas/api/x/bc",
        "/faas/api/a/x",
        "/faas/api/b",
        "/faas/api/<x/abc",
        "/faas/api/x/abc",
        "/faas/api/7",
    ];
    for (pattern, skip) in cases {
        let c = compile_regex(pattern).unwrap();
        assert_eq!(c.matcher.skip, skip, "{pattern}");
        let full = anchored(pattern).unwrap();
        let key = bucket_key(&c.literal_prefix);
        for path in paths.iter().filter(|p| p.starts_with(key)) {
            let bucketed = c.matcher.regex.is_match(&path[c.matcher.skip..]);
            assert_eq!(bucketed, full.is_match(path), "{pattern} on {path}");
        }
    }
}

#[test]
fn bad_and_huge_regexes_are_refused() {
    assert!(compile_regex("/faas/api/(")
        .unwrap_err()
        .starts_with("invalid or too large regex"));
    assert!(compile_regex("/faas/api/\\p{Greek}").is_err());
    assert!(compile_regex("/faas/api/(a{1000}){1000}").is_err());
    assert!(compile_regex(&format!(
        "/faas/api/{}x{}",
        "(".repeat(100),
        ")".repeat(100)
    ))
    .is_err());
}
