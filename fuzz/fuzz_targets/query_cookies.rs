//! Query and cookie reading: never panics; removing a parameter or cookie
//! leaves none of that name to find.
#![no_main]

use filters_common::cookies::{find_cookie, remove_cookie};
use filters_common::query::{find_param, percent_decode, remove_param, split_path};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The first line is the name, the rest the path or the Cookie header.
    let (name, value) = text.split_once('\n').unwrap_or(("lane", text));

    let (path, query) = split_path(value);
    assert!(!path.contains('?'));
    if let Some(q) = query {
        if let Some(v) = find_param(q, name) {
            let _ = percent_decode(v);
        }
    }
    let removed = remove_param(value, name);
    if let (_, Some(q)) = split_path(&removed) {
        assert_eq!(find_param(q, name), None, "{name:?} still in {removed:?}");
    }
    assert!(removed.starts_with(path));

    if let Some(v) = find_cookie(value, name) {
        assert!(value.contains(v));
    }
    if let Some(rest) = remove_cookie(value, name) {
        assert_eq!(find_cookie(&rest, name), None, "{name:?} still in {rest:?}");
    }
    if let Some(decoded) = percent_decode(value) {
        assert!(decoded.len() <= value.len());
    }
});
