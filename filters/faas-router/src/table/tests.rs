use super::*;

fn table(routes: &[(Kind, &str)]) -> Table {
    let mut t = Table::new();
    for (i, (kind, p)) in routes.iter().enumerate() {
        match kind {
            Kind::Exact => t.add_exact(p, i),
            Kind::Prefix => t.add_prefix(p, i),
            Kind::Regex => t.add_regex(compile_regex(p).unwrap(), i),
        }
    }
    t
}

fn route(t: &Table, path: &str) -> Option<usize> {
    t.lookup(path).map(|h| h.route)
}

#[test]
fn prefix_matches_only_at_segment_boundaries() {
    let t = table(&[
        (Kind::Prefix, "/faas/api/saas/show"),
        (Kind::Prefix, "/faas/api/saas/showroom/"),
    ]);
    assert_eq!(route(&t, "/faas/api/saas/showroom/x"), Some(1));
    assert_eq!(route(&t, "/faas/api/saas/showroom/"), Some(1));
    assert_eq!(route(&t, "/faas/api/saas/show"), Some(0));
    assert_eq!(route(&t, "/faas/api/saas/show/x"), Some(0));
    assert_eq!(route(&t, "/faas/api/saas/shows"), None);
    assert_eq!(route(&t, "/faas/api/saas/showroom"), None);
}

#[test]
fn longest_prefix_wins_in_any_order() {
    let routes = [
        (Kind::Prefix, "/faas/api/"),
        (Kind::Prefix, "/faas/api/a/"),
        (Kind::Prefix, "/faas/api/a/b/"),
    ];
    let forward = table(&routes);
    let mut reversed = routes;
    reversed.reverse();
    let backward = table(&reversed);
    for (path, want) in [
        ("/faas/api/a/b/c", "/faas/api/a/b/"),
        ("/faas/api/a/c", "/faas/api/a/"),
        ("/faas/api/x", "/faas/api/"),
    ] {
        let f = routes[route(&forward, path).unwrap()].1;
        let b = reversed[route(&backward, path).unwrap()].1;
        assert_eq!((f, b), (want, want), "{path}");
    }
}

#[test]
fn exact_beats_regex_beats_prefix() {
    let t = table(&[
        (Kind::Prefix, "/faas/api/u/"),
        (Kind::Regex, "/faas/api/u/[a-z]+/profile"),
        (Kind::Exact, "/faas/api/u/me/profile"),
    ]);
    assert_eq!(
        t.lookup("/faas/api/u/me/profile").unwrap().kind,
        Kind::Exact
    );
    assert_eq!(route(&t, "/faas/api/u/bob/profile"), Some(1));
    assert_eq!(route(&t, "/faas/api/u/bob/profile/x"), Some(0));
    assert_eq!(route(&t, "/faas/api/u/b0b/profile"), Some(0));
}

#[test]
fn regexes_are_full_match_and_case_sensitive() {
    let t = table(&[(Kind::Regex, "/faas/api/r/[0-9]+")]);
    assert_eq!(route(&t, "/faas/api/r/12"), Some(0));
    assert_eq!(route(&t, "/faas/api/r/12/x"), None);
    assert_eq!(route(&t, "/x/faas/api/r/12"), None);
    assert_eq!(route(&t, "/FAAS/api/r/12"), None);
}

#[test]
fn overlapping_regexes_pick_the_smallest_pattern_in_any_order() {
    let a = (Kind::Regex, "/faas/api/r/.*");
    let b = (Kind::Regex, "/faas/api/r/[a-z]+");
    for routes in [[a, b], [b, a]] {
        let t = table(&routes);
        let hit = t.lookup("/faas/api/r/abc").unwrap();
        assert!(hit.ambiguous);
        assert_eq!(routes[hit.route].1, "/faas/api/r/.*");
        assert!(!t.lookup("/faas/api/r/1").unwrap().ambiguous);
    }
}

#[test]
fn regexes_sharing_a_directory_share_a_bucket() {
    let mut routes: Vec<(Kind, String)> = (0..20)
        .map(|i| (Kind::Regex, format!("/faas/api/(x{i}|y{i})/[a-z]+")))
        .collect();
    routes.push((Kind::Regex, "/faas/api/z/.*".into()));
    let refs: Vec<(Kind, &str)> = routes.iter().map(|(k, p)| (*k, p.as_str())).collect();
    let t = table(&refs);
    let bucket = |k: &str| t.buckets.get(Fnv::of(k.as_bytes()), k).map(Vec::len);
    assert_eq!(bucket("/faas/api/"), Some(20));
    assert_eq!(bucket("/faas/api/z/"), Some(1));
    assert_eq!(route(&t, "/faas/api/y7/abc"), Some(7));
    assert_eq!(route(&t, "/faas/api/x19/q"), Some(19));
    assert_eq!(route(&t, "/faas/api/z/q"), Some(20));
    assert_eq!(route(&t, "/faas/api/x1/Q"), None);
}

/// A client path of about 60 KB made of 29,000 segments.
fn long_path() -> String {
    format!("/faas/api/x/{}", "a/".repeat(29_000))
}

#[test]
fn regex_probes_are_bounded_by_the_table_not_the_path() {
    let t = table(&[(Kind::Regex, "/faas/api/u/[a-z]+/profile")]);
    let path = long_path();
    assert!(path.len() > 58_000);
    // Buckets "" and "/faas/api/u/" can only equal cuts of at most 4 `/`.
    let mut probed = Vec::new();
    t.regex_cuts(&path, |cut, _| probed.push(cut));
    assert!(probed.len() <= 5, "{} probes", probed.len());
    let hashed: usize = probed.iter().map(|c| c.len()).sum();
    assert!(hashed <= 5 * "/faas/api/u/".len(), "{hashed} bytes hashed");
    assert_eq!(route(&t, &path), None);
    assert_eq!(route(&t, "/faas/api/u/bob/profile"), Some(0));
}

#[test]
fn a_deep_regex_bucket_is_still_found() {
    let t = table(&[
        (Kind::Regex, "/faas/api/a/b/c/d/[0-9]+"),
        (Kind::Regex, "/faas/api/.*"),
    ]);
    let hit = t.lookup("/faas/api/a/b/c/d/42").unwrap();
    assert_eq!((hit.route, hit.ambiguous), (1, true));
    let t = table(&[(Kind::Regex, "/faas/api/a/b/c/d/[0-9]+")]);
    assert_eq!(route(&t, "/faas/api/a/b/c/d/42"), Some(0));
    assert_eq!(route(&t, "/faas/api/a/b/c/d/42/"), None);
}

#[test]
fn prefix_probes_are_bounded_by_the_table_not_the_path() {
    let t = table(&[
        (Kind::Prefix, "/faas/api/x/"),
        (Kind::Prefix, "/faas/api/y/z"),
    ]);
    let path = long_path();
    let mut probed = Vec::new();
    t.prefix_candidates(&path, |cut, _| probed.push(cut));
    // At most two keys per `/` within the longest prefix (13 bytes, 4 `/`)
    // and the one just past it.
    assert!(probed.len() <= 2 * 5, "{} candidates", probed.len());
    assert_eq!(route(&t, &path), Some(0));
}

#[test]
fn hashes_along_the_path_are_the_hashes_of_the_cuts() {
    let t = table(&[
        (Kind::Prefix, "/faas/api/a/b/c/d/e/"),
        (Kind::Regex, "/faas/api/a/b/c/[0-9]+"),
    ]);
    let path = "/faas/api/a/b/c/d/e/f";
    let (mut prefix, mut regex) = (Vec::new(), Vec::new());
    t.prefix_candidates(path, |cut, hash| prefix.push((cut, hash)));
    t.regex_cuts(path, |cut, hash| regex.push((cut, hash)));
    assert_eq!(prefix.len(), 2 * 8 - 1, "{prefix:?}");
    assert_eq!(regex.len(), 1 + 6, "{regex:?}");
    for (cut, hash) in prefix.into_iter().chain(regex) {
        assert_eq!(hash, Fnv::of(cut.as_bytes()), "{cut}");
    }
}

#[test]
fn many_prefixes_stay_fast() {
    let routes: Vec<String> = (0..10_000).map(|i| format!("/faas/api/s{i}/")).collect();
    let refs: Vec<(Kind, &str)> = routes.iter().map(|p| (Kind::Prefix, p.as_str())).collect();
    let t = table(&refs);
    assert_eq!(route(&t, "/faas/api/s9999/a/b"), Some(9999));
    let long = format!("/faas/api/s1/{}", "x/".repeat(20_000));
    assert_eq!(route(&t, &long), Some(1));
}

/// The index against the plain definition (`filters_common::path_match`, the meaning jwt-auth's
/// rules use too): exact, else the smallest matching regex pattern, else the longest covering
/// prefix — on pseudo-random tables and paths over a small alphabet, so they collide often.
#[test]
fn the_index_agrees_with_a_brute_force_reference() {
    use filters_common::path_match::PathMatch;
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let segments = ["a", "ab", "b", "a.b", "x-1"];
    let random_path = |next: &mut dyn FnMut(usize) -> usize| {
        let mut p = String::new();
        for _ in 0..=next(4) {
            p.push('/');
            p.push_str(segments[next(segments.len())]);
        }
        if next(3) == 0 {
            p.push('/');
        }
        p
    };
    for _ in 0..300 {
        let mut routes: Vec<(Kind, String)> = Vec::new();
        for _ in 0..1 + next(8) {
            let p = random_path(&mut next);
            let route = match next(5) {
                0 => (Kind::Exact, p),
                1 => (Kind::Regex, format!("{p}/[a-b]+")),
                2 => (Kind::Regex, format!("{}.*", p.trim_end_matches('/'))),
                _ => (Kind::Prefix, p),
            };
            if !routes.contains(&route) {
                routes.push(route);
            }
        }
        let pairs: Vec<(Kind, &str)> = routes.iter().map(|(k, p)| (*k, p.as_str())).collect();
        let t = table(&pairs);
        let matchers: Vec<PathMatch> = routes
            .iter()
            .map(|(k, p)| match k {
                Kind::Exact => PathMatch::exact(p).unwrap(),
                Kind::Prefix => PathMatch::prefix(p).unwrap(),
                Kind::Regex => PathMatch::regex(p).unwrap(),
            })
            .collect();
        for _ in 0..40 {
            let path = random_path(&mut next);
            let (routes, matchers, path_ref) = (&routes, &matchers, &path);
            let fitting = |kind: Kind| {
                (0..routes.len())
                    .filter(move |&i| routes[i].0 == kind && matchers[i].fits(path_ref))
            };
            let want = fitting(Kind::Exact)
                .next()
                .or_else(|| fitting(Kind::Regex).min_by_key(|&i| routes[i].1.as_str()))
                .or_else(|| fitting(Kind::Prefix).max_by_key(|&i| routes[i].1.len()));
            assert_eq!(route(&t, &path), want, "{path} in {routes:?}");
        }
    }
}
