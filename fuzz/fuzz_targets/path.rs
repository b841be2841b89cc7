//! Path normalization: never panics, is idempotent, and its output is a
//! path it accepts unchanged.
#![no_main]

use filters_common::path::{normalize, normalize_request_path};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(once) = normalize(raw) {
        let twice = normalize(&once);
        assert_eq!(
            twice.as_ref(),
            Ok(&once),
            "normalize is not idempotent on {raw:?}"
        );
        assert!(once.starts_with('/'), "{raw:?} -> {once:?}");
        assert!(!once.contains("//"), "{raw:?} -> {once:?}");
    }
    if let Ok((path, query)) = normalize_request_path(raw) {
        assert_eq!(normalize(&path).as_ref(), Ok(&path));
        if let Some(q) = query {
            assert!(raw.ends_with(q));
        }
    }
});
