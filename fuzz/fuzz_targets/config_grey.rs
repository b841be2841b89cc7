//! grey-chain's configuration parser: never panics; a refusal names its fields.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = grey_chain::config::parse(data) {
        assert!(!e.to_string().is_empty());
    }
});
