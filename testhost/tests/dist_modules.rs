//! The real filter modules (dist/*.wasm from `make build`) import only
//! env.proxy_* and wasi_snapshot_preview1.*, and load in testhost.

use wasmparser::{Parser, Payload, TypeRef};

const FILTERS: [&str; 4] = ["jwt_auth", "faas_router", "grey_chain", "kfaas_gateway"];

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

/// jwt-auth's RSA row (filters/jwt-auth/src/montgomery.rs) is fast in V8
/// only as `i64x2.extmul`; if LLVM hoists the splats' zero-extension out of
/// the loop it emits `i64x2.mul` instead, several instructions in V8 x64
/// (the row then runs about 1.5× slower). Only that row uses SIMD.
#[test]
fn jwt_auth_multiplies_with_extmul_not_i64x2_mul() {
    use wasmparser::Operator;
    let wasm = module("jwt_auth");
    let (mut extmul, mut mul) = (0, 0);
    for payload in Parser::new(0).parse_all(&wasm) {
        if let Payload::CodeSectionEntry(body) = payload.unwrap() {
            let mut ops = body.get_operators_reader().unwrap();
            while !ops.eof() {
                match ops.read().unwrap() {
                    Operator::I64x2ExtMulLowI32x4U | Operator::I64x2ExtMulHighI32x4U => extmul += 1,
                    Operator::I64x2Mul => mul += 1,
                    _ => {}
                }
            }
        }
    }
    assert!(
        extmul >= 4,
        "jwt_auth.wasm: {extmul} i64x2.extmul, expected the RSA row's 4"
    );
    assert_eq!(
        mul, 0,
        "jwt_auth.wasm: i64x2.mul found; see montgomery.rs add_row"
    );
}

/// `Host::memory_bytes` reads the module's linear memory: whole wasm pages,
/// and more of them once a large configuration is held.
#[test]
fn memory_bytes_counts_pages_and_grows_with_a_large_configuration() {
    let memory_after = |config: &str| {
        let host = testhost::Host::load(testhost::dist("faas_router"))
            .unwrap()
            .config(config)
            .unwrap_or_else(|e| panic!("{e}"));
        host.memory_bytes()
    };
    let empty = memory_after(r#"{"routes": []}"#);
    let routes: Vec<String> = (0..5_000)
        .map(|i| format!(r#"{{"match": {{"prefix": "/faas/api/fn{i}/"}}, "service": "fn-{i}", "namespace": "faas"}}"#))
        .collect();
    let large = memory_after(&format!(r#"{{"routes": [{}]}}"#, routes.join(",")));
    assert!(empty > 0 && empty % 65_536 == 0, "{empty}");
    assert!(large % 65_536 == 0, "{large}");
    assert!(
        large > empty,
        "5,000 routes in {large} bytes, none in {empty}"
    );
}

/// Every filter refuses a bad configuration through `filters_common::host::read_configuration`:
/// one error line `<filter>: configuration refused: …` naming the bad field.
#[test]
fn every_module_refuses_a_bad_configuration_with_one_line_naming_the_field() {
    for (name, filter) in [
        ("jwt_auth", "jwt-auth"),
        ("faas_router", "faas-router"),
        ("grey_chain", "grey-chain"),
    ] {
        let host = testhost::Host::load(testhost::dist(name)).unwrap();
        let refused = match host.config(r#"{"notAField": 1}"#) {
            Ok(_) => panic!("{name} accepted an unknown field"),
            Err(refused) => refused,
        };
        let errors: Vec<&String> = refused
            .logs
            .iter()
            .filter(|(level, _)| *level == testhost::LogLevel::Error)
            .map(|(_, line)| line)
            .collect();
        assert_eq!(errors.len(), 1, "{name}: {errors:?}");
        let prefix = format!("{filter}: configuration refused: ");
        assert!(errors[0].starts_with(&prefix), "{name}: {}", errors[0]);
        assert!(errors[0].contains("notAField"), "{name}: {}", errors[0]);
    }
}
