//! grey-chain's header parsing: baggage members, and trace ids from
//! traceparent, b3 and x-b3-traceid. Properties: an extracted id is part of
//! the header value; after `without`/`with` the key is absent/present once.
#![no_main]

use grey_chain::{baggage, traceid};
use libfuzzer_sys::fuzz_target;

const ID_HEADERS: [&str; 4] = ["traceparent", "x-b3-traceid", "b3", "x-request-id"];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for name in ID_HEADERS {
        if let Some(id) = traceid::extract(name, text) {
            assert!(text.contains(id));
            assert!(!id.is_empty() && id.len() <= traceid::MAX_RAW_ID);
        }
    }
    if let Some(id) = traceid::from_traceparent(text) {
        assert_eq!(id.len(), 32);
    }

    let key = "lane";
    for m in baggage::members(text) {
        assert!(text.contains(m.text));
    }
    let _ = baggage::find(text, key);
    let _ = baggage::mentions(text, key);
    if let Some(rest) = baggage::without(text, key) {
        assert!(!baggage::mentions(&rest, key), "{key} still in {rest:?}");
        assert_eq!(baggage::find(&rest, key), None);
        assert!(rest.len() <= baggage::MAX_BYTES);
    }
    let with = baggage::with(Some(text), key, "grey");
    assert_eq!(
        baggage::find(&with, key).as_deref(),
        Some("grey"),
        "{with:?}"
    );
    assert_eq!(baggage::members(&with).filter(|m| m.key == key).count(), 1);
    assert!(with.len() <= baggage::MAX_BYTES);
    assert!(baggage::members(&with).count() <= baggage::MAX_MEMBERS);
});
