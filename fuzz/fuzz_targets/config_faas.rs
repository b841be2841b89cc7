//! faas-router's configuration parser: never panics, and an accepted table
//! answers any path without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;

const PATHS: [&str; 5] = [
    "/",
    "/faas/api/",
    "/faas/api/render",
    "/faas/api/saas/showroom/x",
    "/x",
];

fuzz_target!(|data: &[u8]| {
    match faas_router::config::parse(data) {
        Ok(config) => {
            for path in PATHS {
                let _ = faas_router::router::resolve(&config, None, path);
                let _ = faas_router::router::resolve(&config, Some("a.example.com"), path);
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
