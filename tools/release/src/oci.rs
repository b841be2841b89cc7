//! OCI image layouts of the filters in the "compat" variant of the Wasm image spec, the one
//! Istio's image fetcher takes first: one `tar+gzip` layer holding `plugin.wasm`.
//! Every byte is a function of the module alone (fixed tar header fields, gzip header without
//! time or name, fixed JSON field order), so the same module always gives the same digest —
//! the digest the WasmPlugin manifests pin.

use anyhow::{bail, ensure, Context, Result};
use flate2::{read::GzDecoder, Compression, GzBuilder};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::Path;

pub const LAYER_MEDIA_TYPE: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.image.config.v1+json";
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
pub const INDEX_MEDIA_TYPE: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_MANIFEST_MEDIA_TYPE: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const VARIANT_ANNOTATION: &str = "module.wasm.image/variant";
pub const WASM_FILE: &str = "plugin.wasm";

/// One image: its blobs (config, layer, manifest) and the layout's index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// Hex sha256 of the manifest: what `WasmPlugin.spec.sha256` pins for an OCI url.
    pub manifest_digest: String,
    pub blobs: Vec<(String, Vec<u8>)>,
    pub index: Vec<u8>,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn descriptor(media_type: &str, bytes: &[u8]) -> Value {
    json!({
        "mediaType": media_type,
        "digest": format!("sha256:{}", sha256_hex(bytes)),
        "size": bytes.len(),
    })
}

/// A tar with one regular file, `plugin.wasm`, owned by 0:0, mode 0644, mtime 0.
pub fn layer_tar(wasm: &[u8]) -> Result<Vec<u8>> {
    let mut header = tar::Header::new_ustar();
    header.set_path(WASM_FILE)?;
    header.set_size(wasm.len() as u64);
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    let mut builder = tar::Builder::new(Vec::new());
    builder.append(&header, wasm)?;
    Ok(builder.into_inner()?)
}

/// gzip with mtime 0, no file name and OS "unknown", so only the content decides the bytes.
pub fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(Vec::new(), Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

/// The image of one module. `name` and `tag` go into annotations of the layout's index only,
/// so the manifest digest depends on the module bytes and nothing else.
pub fn build_image(name: &str, tag: &str, wasm: &[u8]) -> Result<Image> {
    let tar = layer_tar(wasm)?;
    let layer = gzip(&tar)?;
    let config = serde_json::to_vec(&json!({
        "architecture": "wasm",
        "os": "wasip1",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{}", sha256_hex(&tar))]},
    }))?;
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": descriptor(CONFIG_MEDIA_TYPE, &config),
        "layers": [descriptor(LAYER_MEDIA_TYPE, &layer)],
        "annotations": {VARIANT_ANNOTATION: "compat"},
    }))?;
    let mut manifest_desc = descriptor(MANIFEST_MEDIA_TYPE, &manifest);
    manifest_desc["annotations"] = json!({
        "org.opencontainers.image.ref.name": tag,
        "org.opencontainers.image.title": name,
    });
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": INDEX_MEDIA_TYPE,
        "manifests": [manifest_desc],
    }))?;
    Ok(Image {
        manifest_digest: sha256_hex(&manifest),
        blobs: vec![
            (sha256_hex(&config), config),
            (sha256_hex(&layer), layer),
            (sha256_hex(&manifest), manifest),
        ],
        index,
    })
}

/// Writes the image as an OCI image layout, replacing whatever was in `dir`.
pub fn write_layout(dir: &Path, image: &Image) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs)?;
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    std::fs::write(dir.join("index.json"), &image.index)?;
    for (digest, bytes) in &image.blobs {
        std::fs::write(blobs.join(digest), bytes)?;
    }
    Ok(())
}

/// A blob of the layout, checked against its descriptor's digest and size.
fn read_blob(dir: &Path, desc: &Value) -> Result<Vec<u8>> {
    let digest = desc["digest"]
        .as_str()
        .context("descriptor without digest")?;
    let hex = digest
        .strip_prefix("sha256:")
        .with_context(|| format!("unsupported digest {digest}"))?;
    ensure!(
        hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
        "malformed digest {digest}"
    );
    let bytes = std::fs::read(dir.join("blobs/sha256").join(hex))
        .with_context(|| format!("blob {digest} missing"))?;
    ensure!(
        sha256_hex(&bytes) == hex,
        "blob {digest} has another digest"
    );
    ensure!(
        desc["size"].as_u64() == Some(bytes.len() as u64),
        "blob {digest} size differs from its descriptor"
    );
    Ok(bytes)
}

/// What Istio's fetcher takes from a compat image: the last layer, which must be an OCI
/// tar+gzip layer, and in it the first file whose base name is `plugin.wasm`.
/// Returns the manifest digest (hex) and the module.
pub fn read_layout_like_istio(dir: &Path) -> Result<(String, Vec<u8>)> {
    let index: Value = serde_json::from_slice(&std::fs::read(dir.join("index.json"))?)?;
    let manifests = index["manifests"]
        .as_array()
        .context("index.json: no manifests")?;
    ensure!(
        manifests.len() == 1,
        "index.json: expected one manifest, found {}",
        manifests.len()
    );
    let manifest_bytes = read_blob(dir, &manifests[0])?;
    let manifest: Value = serde_json::from_slice(&manifest_bytes)?;
    if manifest["mediaType"] == DOCKER_MANIFEST_MEDIA_TYPE {
        bail!("docker manifest: this tool writes and reads the OCI compat variant only");
    }
    let layers = manifest["layers"]
        .as_array()
        .context("manifest: no layers")?;
    let last = layers.last().context("manifest: zero layers")?;
    ensure!(
        last["mediaType"] == LAYER_MEDIA_TYPE,
        "invalid media type {} (expect {LAYER_MEDIA_TYPE})",
        last["mediaType"]
    );
    let layer = read_blob(dir, last)?;
    let wasm = extract_plugin_wasm(&layer)?;
    Ok((sha256_hex(&manifest_bytes), wasm))
}

pub fn extract_plugin_wasm(layer: &[u8]) -> Result<Vec<u8>> {
    let mut archive = tar::Archive::new(GzDecoder::new(layer));
    for entry in archive.entries()? {
        let mut entry = entry?;
        let is_plugin = entry.path()?.file_name().is_some_and(|n| n == WASM_FILE);
        if is_plugin {
            let mut wasm = Vec::new();
            entry.read_to_end(&mut wasm)?;
            return Ok(wasm);
        }
    }
    bail!("{WASM_FILE} not found in the archive")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODULE: &[u8] = b"\0asm\x01\0\0\0 a tiny stand-in module body";

    #[test]
    fn same_module_same_bytes_other_module_other_digest() {
        let a = build_image("jwt-auth", "0.1.0", MODULE).unwrap();
        let b = build_image("jwt-auth", "0.1.0", MODULE).unwrap();
        assert_eq!(a, b);
        let c = build_image("jwt-auth", "0.1.0", b"\0asm\x01\0\0\0 another").unwrap();
        assert_ne!(a.manifest_digest, c.manifest_digest);
        // The tag lives in the index only: retagging never changes the pinned digest.
        let d = build_image("jwt-auth", "9.9.9", MODULE).unwrap();
        assert_eq!(a.manifest_digest, d.manifest_digest);
        assert_ne!(a.index, d.index);
    }

    #[test]
    fn gzip_header_has_no_time_no_name() {
        let gz = gzip(b"x").unwrap();
        assert_eq!(&gz[..4], &[0x1f, 0x8b, 8, 0], "no FNAME/FEXTRA flags");
        assert_eq!(&gz[4..8], &[0, 0, 0, 0], "mtime 0");
        assert_eq!(gz[9], 255, "OS unknown");
    }

    #[test]
    fn tar_entry_is_normalized() {
        let tar = layer_tar(MODULE).unwrap();
        let mut archive = tar::Archive::new(&tar[..]);
        let entries: Vec<_> = archive.entries().unwrap().map(|e| e.unwrap()).collect();
        assert_eq!(entries.len(), 1);
        let h = entries[0].header();
        assert_eq!(h.path().unwrap().to_str(), Some("plugin.wasm"));
        assert_eq!(h.mode().unwrap(), 0o644);
        assert_eq!(
            (h.uid().unwrap(), h.gid().unwrap(), h.mtime().unwrap()),
            (0, 0, 0)
        );
        assert_eq!(h.size().unwrap(), MODULE.len() as u64);
    }

    #[test]
    fn manifest_is_compat_variant() {
        let image = build_image("grey-chain", "1", MODULE).unwrap();
        let (_, manifest) = image.blobs.last().unwrap();
        let m: Value = serde_json::from_slice(manifest).unwrap();
        assert_eq!(m["annotations"][VARIANT_ANNOTATION], "compat");
        assert_eq!(m["layers"].as_array().unwrap().len(), 1);
        assert_eq!(m["layers"][0]["mediaType"], LAYER_MEDIA_TYPE);
        assert_eq!(m["config"]["mediaType"], CONFIG_MEDIA_TYPE);
        assert_eq!(sha256_hex(manifest), image.manifest_digest);
    }

    #[test]
    fn missing_plugin_file_is_an_error() {
        let mut header = tar::Header::new_ustar();
        header.set_path("other.wasm").unwrap();
        header.set_size(1);
        header.set_cksum();
        let mut b = tar::Builder::new(Vec::new());
        b.append(&header, &b"x"[..]).unwrap();
        let layer = gzip(&b.into_inner().unwrap()).unwrap();
        let err = extract_plugin_wasm(&layer).unwrap_err().to_string();
        assert!(err.contains("plugin.wasm not found"), "{err}");
    }
}
