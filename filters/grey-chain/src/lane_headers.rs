//! How the lane is written to and removed from a request's headers: the tag
//! header and the W3C baggage member, the edits the gateway and the sidecars
//! share.

use crate::baggage;
use crate::config::Config;
use crate::headers::Headers;

/// Sets the tag and baggage member to `lane`; `true` if anything changed.
pub fn write_lane(cfg: &Config, h: &mut dyn Headers, lane: &str) -> bool {
    let mut changed = false;
    if h.get(&cfg.tag_header).as_deref() != Some(lane) {
        h.set(&cfg.tag_header, lane);
        changed = true;
    }
    let bag = h.get("baggage");
    let has_member = bag
        .as_deref()
        .and_then(|b| baggage::find(b, &cfg.baggage_key))
        .is_some_and(|v| v == lane);
    if !has_member {
        h.set(
            "baggage",
            &baggage::with(bag.as_deref(), &cfg.baggage_key, lane),
        );
        changed = true;
    }
    changed
}

/// Removes the baggage member `key`; `true` if the header changed.
pub fn strip_baggage_member(h: &mut dyn Headers, key: &str) -> bool {
    let Some(bag) = h.get("baggage") else {
        return false;
    };
    if !baggage::mentions(&bag, key) {
        return false;
    }
    match baggage::without(&bag, key) {
        Some(rest) => h.set("baggage", &rest),
        None => h.remove("baggage"),
    }
    true
}

/// Removes each of `names` whose value is not UTF-8: such a tag or baggage
/// header can carry no valid lane, yet a lenient consumer behind us (an
/// application's baggage library) might still read one in it. `true` if any
/// was removed.
pub fn remove_unreadable(h: &mut dyn Headers, names: &[&str]) -> bool {
    let mut removed = false;
    for name in names {
        if h.unreadable(name) {
            h.remove(name);
            removed = true;
        }
    }
    removed
}
