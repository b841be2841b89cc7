//! The real filter modules (dist/*.wasm from `make build`) import only
//! env.proxy_* and wasi_snapshot_preview1.*, and load in testhost.

use wasmparser::{Parser, Payload, TypeRef};

const FILTERS: [&str; 3] = ["jwt_auth", "faas_router", "grey_chain"];

fn module(name: &str) -> Vec<u8> {
    let path = testhost::dist(name);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}: run `make build` first", path.display()))
}

#[test]
fn real_modules_import_only_proxy_and_wasi_functions() {
    for name in FILTERS {
        let wasm = module(name);
        let mut imports = Vec::new();
        for payload in Parser::new(0).parse_all(&wasm) {
            if let Payload::ImportSection(section) = payload.unwrap() {
                for import in section.into_imports() {
                    let import = import.unwrap();
                    imports.push((import.module.to_owned(), import.name.to_owned(), import.ty));
                }
            }
        }
        assert!(
            !imports.is_empty(),
            "{name} imports nothing: not a proxy-wasm module?"
        );
        for (module, field, ty) in &imports {
            let allowed = (module == "env" && field.starts_with("proxy_"))
                || module == "wasi_snapshot_preview1";
            assert!(allowed, "{name}.wasm imports {module}.{field}");
            assert!(
                matches!(ty, TypeRef::Func(_)),
                "{name}.wasm imports a non-function {module}.{field}"
            );
        }
    }
}

#[test]
fn real_modules_load() {
    for name in FILTERS {
        testhost::Host::load(testhost::dist(name)).unwrap_or_else(|e| panic!("{name}: {e:#}"));
    }
}

/// The filters rely on Envoy re-selecting the route after they change
/// request headers, which Envoy does only for ABI 0.2.1 modules (see
/// filters/common/src/host.rs). A module exporting another ABI needs the
/// `clear_route_cache` foreign function called after every header change.
#[test]
fn real_modules_export_abi_0_2_1_only() {
    for name in FILTERS {
        let wasm = module(name);
        let mut abis = Vec::new();
        for payload in Parser::new(0).parse_all(&wasm) {
            if let Payload::ExportSection(section) = payload.unwrap() {
                for export in section {
                    let export = export.unwrap();
                    if export.name.starts_with("proxy_abi_version_") {
                        abis.push(export.name.to_owned());
                    }
                }
            }
        }
        assert_eq!(
            abis,
            ["proxy_abi_version_0_2_1"],
            "{name}.wasm: Envoy clears the route cache after header changes only for ABI 0.2.1; \
             with another ABI the filters must call the clear_route_cache foreign function"
        );
    }
}
