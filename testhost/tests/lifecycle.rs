//! Root context: on_vm_start, on_configure, refusals, reconfiguration,
//! plugin and VM configuration buffers.

mod common;

use testhost::{Host, LogLevel};

#[test]
fn config_reaches_on_configure_through_the_plugin_configuration_buffer() {
    let host = common::host("tick_ms=250");
    assert!(host
        .logs_at(LogLevel::Info)
        .contains(&"fixture: configured with \"tick_ms=250\"".to_owned()));
    // on_configure stored the config in shared data: the buffer held exactly it.
    assert_eq!(
        host.shared_data("fixture.config").unwrap().0,
        b"tick_ms=250"
    );
}

#[test]
fn vm_config_reaches_on_vm_start() {
    let mut host = Host::load(common::fixture()).unwrap();
    host.set_vm_config("vm-settings");
    let host = host.config("").unwrap();
    assert!(host
        .logs_at(LogLevel::Info)
        .contains(&"fixture: vm config \"vm-settings\"".to_owned()));
}

#[test]
fn a_refused_config_is_an_error_carrying_the_logs() {
    let refused = match Host::load(common::fixture()).unwrap().config("refuse") {
        Err(refused) => refused,
        Ok(_) => panic!("the fixture accepted a config it refuses"),
    };
    assert!(refused
        .logs
        .contains(&(LogLevel::Error, "fixture: refusing config".to_owned())));
    assert!(refused.logged("refusing config"));
    assert!(refused.to_string().contains("refusing config"));
}

#[test]
fn on_vm_start_returning_false_refuses_too() {
    let mut host = Host::load(common::fixture()).unwrap();
    host.set_vm_config("refuse_vm");
    let refused = host.config("").err().expect("on_vm_start refused");
    assert!(refused.logged("vm config \"refuse_vm\""));
    assert!(
        !refused.logged("configured with"),
        "on_configure must not run"
    );
}

#[test]
fn configure_reconfigures_a_running_root() {
    let mut host = common::host("");
    assert!(!host.configure("refuse"));
    assert!(host.configure("tick_ms=5"));
    assert_eq!(
        host.tick_period(),
        Some(std::time::Duration::from_millis(5))
    );
}

#[test]
fn streams_need_a_started_root() {
    let message = common::panic_message(|| {
        let mut host = Host::load(common::fixture()).unwrap();
        host.stream();
    });
    assert!(message.contains("before stream()"), "{message}");
}

#[test]
fn a_missing_module_file_says_to_build_first() {
    let error = Host::load("/nonexistent/filter.wasm").err().unwrap();
    assert!(format!("{error:#}").contains("make build"), "{error:#}");
}
