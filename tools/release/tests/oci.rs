//! `make oci` output: an OCI image layout per filter that Istio's fetcher unpacks to exactly
//! the module in dist/, byte-for-byte the same on every build.

use release::{locate, oci, FILTERS};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn tempdir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("release-oci-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every file of a layout, relative path → bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .to_string();
                out.push((rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// Runs the real CLI (`make oci` runs the same) into `out`.
fn release_oci(out: &Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_release"))
        .args(["oci", "--out"])
        .arg(out)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn layouts_unpack_like_istio_to_the_dist_modules() {
    let out = tempdir("unpack");
    release_oci(&out);
    for (image, module) in FILTERS {
        let layout = out.join(image);
        let (digest, wasm) = oci::read_layout_like_istio(&layout).unwrap();
        let dist =
            std::fs::read(locate::dist_module(&locate::dist_dir(), module).unwrap()).unwrap();
        assert!(
            wasm == dist,
            "{image}: unpacked module differs from dist/{module}.wasm"
        );
        assert_eq!(&wasm[..4], b"\0asm");

        let layout_file: Value =
            serde_json::from_slice(&std::fs::read(layout.join("oci-layout")).unwrap()).unwrap();
        assert_eq!(layout_file["imageLayoutVersion"], "1.0.0");
        let index: Value =
            serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
        let desc = &index["manifests"][0];
        assert_eq!(desc["digest"], format!("sha256:{digest}"));
        assert_eq!(
            desc["annotations"]["org.opencontainers.image.ref.name"],
            env!("CARGO_PKG_VERSION")
        );
        let manifest: Value = serde_json::from_slice(
            &std::fs::read(layout.join("blobs/sha256").join(&digest)).unwrap(),
        )
        .unwrap();
        assert_eq!(
            manifest["annotations"]["module.wasm.image/variant"],
            "compat"
        );
        assert_eq!(manifest["layers"].as_array().unwrap().len(), 1);
        assert_eq!(
            manifest["layers"][0]["mediaType"],
            "application/vnd.oci.image.layer.v1.tar+gzip"
        );
        // config, layer, manifest: no stray blobs.
        assert_eq!(
            std::fs::read_dir(layout.join("blobs/sha256"))
                .unwrap()
                .count(),
            3
        );
    }
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn two_builds_are_byte_for_byte_identical() {
    let (a, b) = (tempdir("a"), tempdir("b"));
    release_oci(&a);
    std::thread::sleep(std::time::Duration::from_millis(1100)); // a clock tick apart
    release_oci(&b);
    let (fa, fb) = (files(&a), files(&b));
    assert_eq!(
        fa.len(),
        FILTERS.len() * 5,
        "a layout of 5 files per filter"
    );
    assert!(
        fa == fb,
        "layouts differ between two builds of the same modules"
    );
    std::fs::remove_dir_all(a).unwrap();
    std::fs::remove_dir_all(b).unwrap();
}

#[test]
fn a_corrupted_blob_is_refused() {
    let out = tempdir("corrupt");
    release_oci(&out);
    let layout = out.join("jwt-auth");
    let index: Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let manifest_hex = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:")
        .to_string();
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(layout.join("blobs/sha256").join(&manifest_hex)).unwrap(),
    )
    .unwrap();
    let layer_hex = manifest["layers"][0]["digest"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:")
        .to_string();
    let layer_path = layout.join("blobs/sha256").join(&layer_hex);
    let mut layer = std::fs::read(&layer_path).unwrap();
    let last = layer.len() - 1;
    layer[last] ^= 1;
    std::fs::write(&layer_path, layer).unwrap();
    let err = oci::read_layout_like_istio(&layout)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&layer_hex) && err.contains("another digest"),
        "{err}"
    );
    std::fs::remove_dir_all(out).unwrap();
}
