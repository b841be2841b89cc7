//! grey-chain benchmarks (owned by the grey-chain engineer; this is the starting point).

use crate::bench::{Scenario, Variant};

pub fn scenarios() -> Vec<Scenario> {
    vec![Scenario::new("grey-chain", "module loaded, minimal config")
        .notes("Starting point: the filter with its minimal config (`e2e::minimal_config`). To be replaced by gateway and sidecar lane scenarios against a Lua filter.")
        .variant(Variant::baseline())
        .variant(Variant::wasm("grey-chain", "grey_chain", crate::minimal_config("grey_chain")))]
}
