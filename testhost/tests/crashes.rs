//! A panic or a trap in the filter fails the test with the filter's message;
//! a module importing what testhost does not provide does not load.

mod common;

use common::panic_message;
use testhost::Host;

#[test]
fn a_filter_panic_fails_the_call_with_its_message() {
    let mut host = common::host("");
    let message = panic_message(|| {
        common::op(&mut host, "panic", &[("x-msg", "the sky fell")]);
    });
    assert!(message.starts_with("filter panicked: "), "{message}");
    assert!(message.contains("fixture panic: the sky fell"), "{message}");
    assert!(message.contains("proxy_on_request_headers"), "{message}");
}

#[test]
fn the_vm_stays_dead_after_a_crash() {
    let mut host = common::host("");
    let _ = panic_message(|| {
        common::op(&mut host, "panic", &[("x-msg", "first")]);
    });
    let message = panic_message(|| {
        common::op(&mut host, "", &[]);
    });
    assert!(message.contains("crashed earlier"), "{message}");
    assert!(message.contains("fixture panic: first"), "{message}");
}

#[test]
fn a_trap_without_a_panic_names_the_trap() {
    let mut host = common::host("");
    let message = panic_message(|| {
        common::op(&mut host, "trap", &[]);
    });
    assert!(message.starts_with("filter trapped: "), "{message}");
    assert!(message.contains("unreachable"), "{message}");
}

#[test]
fn a_panic_in_on_configure_fails_config() {
    let host = Host::load(common::fixture()).unwrap();
    let message = panic_message(move || {
        let _ = host.config("panic_on_configure");
    });
    assert!(
        message.contains("fixture refuses to start: panic_on_configure"),
        "{message}"
    );
    assert!(message.contains("proxy_on_configure"), "{message}");
}

#[test]
fn proc_exit_fails_the_call() {
    let mut host = common::host("");
    let message = panic_message(|| {
        common::op(&mut host, "exit", &[]);
    });
    assert!(message.contains("proc_exit(3)"), "{message}");
}

#[test]
fn an_unknown_import_fails_to_load_naming_it() {
    let wasm = wat::parse_str(
        r#"(module
            (import "env" "proxy_log" (func (param i32 i32 i32) (result i32)))
            (import "env" "proxy_teleport" (func (param i32) (result i32)))
            (import "wasi_snapshot_preview1" "path_open" (func (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
            (memory (export "memory") 1)
            (func (export "proxy_abi_version_0_2_1")))"#,
    )
    .unwrap();
    let error = format!("{:#}", Host::from_bytes(&wasm).err().unwrap());
    assert!(error.contains("env.proxy_teleport"), "{error}");
    assert!(
        error.contains("wasi_snapshot_preview1.path_open"),
        "{error}"
    );
    assert!(!error.contains("env.proxy_log"), "{error}");
}

#[test]
fn a_module_without_the_abi_marker_is_refused() {
    let wasm = wat::parse_str(r#"(module (memory (export "memory") 1))"#).unwrap();
    let error = format!("{:#}", Host::from_bytes(&wasm).err().unwrap());
    assert!(error.contains("proxy_abi_version_0_2_1"), "{error}");
}

#[test]
fn a_wrongly_typed_host_function_import_fails_to_load() {
    let wasm = wat::parse_str(
        r#"(module
            (import "env" "proxy_log" (func (param i32) (result i32)))
            (func (export "proxy_abi_version_0_2_1")))"#,
    )
    .unwrap();
    let error = format!("{:#}", Host::from_bytes(&wasm).err().unwrap());
    assert!(error.contains("proxy_log"), "{error}");
}
