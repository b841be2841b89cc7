//! Builds the fixture filter (tests/fixture) for wasm32-wasip1 once per test
//! process; cargo's lock on its target dir serializes parallel processes.

#![allow(dead_code)]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use testhost::{Action, Host, Stream};

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

pub fn fixture() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let target = workspace().join("target/testhost-fixture");
            let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixture/Cargo.toml");
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let output = Command::new(cargo)
                .args(["build", "--quiet", "--release", "--target", "wasm32-wasip1"])
                .arg("--manifest-path")
                .arg(&manifest)
                .arg("--target-dir")
                .arg(&target)
                .env_remove("CARGO_TARGET_DIR")
                .env_remove("RUSTFLAGS")
                .output()
                .expect("running cargo to build the fixture filter");
            assert!(
                output.status.success(),
                "building the fixture filter failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
            target.join("wasm32-wasip1/release/testhost_fixture.wasm")
        })
        .clone()
}

/// The fixture, configured with `config` (lines of `key` or `key=value`).
pub fn host(config: &str) -> Host {
    Host::load(fixture()).unwrap().config(config).unwrap()
}

/// A new stream whose request headers ask the fixture for operation `op`.
pub fn op(host: &mut Host, op: &str, extra: &[(&str, &str)]) -> (Stream, Action) {
    let mut headers = vec![
        (":method", "GET"),
        (":path", "/p"),
        (":authority", "a.example"),
        ("x-op", op),
    ];
    headers.extend_from_slice(extra);
    let mut stream = host.stream();
    let action = stream.request_headers(&headers, true);
    (stream, action)
}

/// The message of the panic `f` must raise.
pub fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("the call should have panicked");
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload.downcast::<&str>().unwrap().to_string(),
    }
}
