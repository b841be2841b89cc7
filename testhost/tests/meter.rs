//! `Host::meter`: wasm instructions and host calls, deterministic.

mod common;

#[test]
fn a_callback_costs_instructions_and_host_calls_and_the_same_call_costs_the_same() {
    let mut host = common::host("");
    let cost = |host: &mut testhost::Host| {
        let before = host.meter();
        let _ = common::op(host, "get", &[("x-name", "x-name")]);
        host.meter() - before
    };
    let first = cost(&mut host);
    assert!(first.wasm_instructions > 0, "{first:?}");
    // At least: read x-op, read x-name, get the header, write x-seen and x-result.
    assert!(first.host_calls >= 4, "{first:?}");
    let second = cost(&mut host);
    assert_eq!(first.host_calls, second.host_calls);
}

#[test]
fn more_work_in_the_filter_reads_as_more_instructions() {
    let mut host = common::host("");
    let before = host.meter();
    let _ = common::op(&mut host, "get", &[("x-name", "x-name")]);
    let one = host.meter() - before;
    let before = host.meter();
    let headers: Vec<(String, String)> = (0..50)
        .map(|i| (format!("x-h{i}"), "v".repeat(40)))
        .collect();
    let refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let _ = common::op(&mut host, "headers", &refs);
    let many = host.meter() - before;
    assert!(
        many.wasm_instructions > one.wasm_instructions,
        "{one:?} vs {many:?}"
    );
}
