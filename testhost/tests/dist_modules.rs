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
