//! `release` — the steps behind `make oci`, `make manifests` and the manifest check.
//!
//!   release oci    [--dist DIR] [--out DIR] [--tag TAG]   OCI layouts dist/oci/<image>/
//!   release pin    [--dist DIR] FILE...                    write digests into wasm-images.yaml files
//!   release flavours                                       write each overlay's TrafficExtension flavour
//!   release proxy-config                                   write the kfaas gateway's proxy.istio.io/config
//!                                                          annotation from wasmplugins/observability/istio-values.yaml
//!   release check  [--dist DIR] [OVERLAY...]               render, validate, compare digests, model the mesh
//!                                                          (default: every overlay and its TrafficExtension flavour),
//!                                                          the gateway annotation and wasmplugins/observability
//!   release unpack LAYOUT OUT.wasm                         plugin.wasm out of a layout, as Istio does
//!   release mesh   OVERLAY                                 the modelled proxies: plugins per listener

use anyhow::{bail, Context, Result};
use release::{
    flavour, locate, observability, oci, pin, proxy_config, render, schema::Schemas, validate,
};
use std::path::PathBuf;

fn main() {
    if let Err(e) = run(std::env::args().skip(1).collect()) {
        eprintln!("release: {e:#}");
        std::process::exit(1);
    }
}

/// `production` for `wasmplugins/overlays/production`.
fn env_of(overlay: &std::path::Path) -> String {
    overlay
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn take_flag(args: &mut Vec<String>, flag: &str) -> Option<String> {
    let i = args.iter().position(|a| a == flag)?;
    if i + 1 >= args.len() {
        return None;
    }
    let value = args.remove(i + 1);
    args.remove(i);
    Some(value)
}

fn run(mut args: Vec<String>) -> Result<()> {
    if args.is_empty() {
        bail!("usage: release oci|pin|check|unpack … (see the source header)");
    }
    let command = args.remove(0);
    let dist = take_flag(&mut args, "--dist")
        .map(PathBuf::from)
        .unwrap_or_else(locate::dist_dir);
    match command.as_str() {
        "oci" => {
            let out = take_flag(&mut args, "--out")
                .map(PathBuf::from)
                .unwrap_or_else(|| dist.join("oci"));
            let tag = take_flag(&mut args, "--tag")
                .unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_string());
            for (image, module) in release::FILTERS {
                let wasm = std::fs::read(locate::dist_module(&dist, module)?)?;
                let built = oci::build_image(image, &tag, &wasm)?;
                oci::write_layout(&out.join(image), &built)?;
                println!(
                    "{}  sha256:{}",
                    out.join(image).display(),
                    built.manifest_digest
                );
            }
        }
        "pin" => {
            let digests = validate::built_digests(&dist)?;
            for file in &args {
                let text =
                    std::fs::read_to_string(file).with_context(|| format!("reading {file}"))?;
                let pinned = pin::pin_text(&text, &digests).with_context(|| file.clone())?;
                if pinned != text {
                    std::fs::write(file, pinned)?;
                    println!("pinned {file}");
                }
            }
        }
        "flavours" => {
            let kubectl = locate::kubectl()?;
            let root = locate::workspace_root();
            for overlay in locate::overlays()? {
                let env = env_of(&overlay);
                let docs = render::documents(&render::kustomize(&kubectl, &overlay)?)?;
                if flavour::write(&root, &env, &docs)? {
                    println!("wrote {}/{env}", flavour::DIR);
                }
            }
        }
        "proxy-config" => {
            if proxy_config::write(&locate::workspace_root())? {
                println!("wrote {}", proxy_config::GATEWAY);
            }
        }
        "check" => {
            let overlays = if args.is_empty() {
                let mut all = locate::overlays()?;
                all.extend(locate::traffic_extension_overlays()?);
                all
            } else {
                args.iter().map(PathBuf::from).collect()
            };
            let kubectl = locate::kubectl()?;
            let schemas = Schemas::load_all(&locate::crd_bundles()?)?;
            let digests = validate::built_digests(&dist)?;
            let root = locate::workspace_root();
            let proxy_config = proxy_config::load(&root)?;
            let mut failed = false;
            // Once, not per overlay: the generated annotation and the observability files.
            let mut shared: Vec<validate::Problem> =
                proxy_config::stale(&root)?.into_iter().collect();
            shared.extend(observability::check(&root, &schemas)?);
            for p in &shared {
                eprintln!("{p}");
            }
            println!(
                "{} and {}: {} problems",
                proxy_config::GATEWAY,
                observability::DIR,
                shared.len()
            );
            failed |= !shared.is_empty();
            for overlay in &overlays {
                let docs = render::documents(&render::kustomize(&kubectl, overlay)?)?;
                let mut problems = validate::check_resources(&docs, &schemas);
                problems.extend(validate::check_digests(&docs, &digests));
                problems.extend(validate::check_mesh(&docs));
                problems.extend(proxy_config::check_rendered(&docs, &proxy_config));
                if overlay.parent()
                    == Some(
                        locate::workspace_root()
                            .join("wasmplugins/overlays")
                            .as_path(),
                    )
                {
                    let env = env_of(overlay);
                    problems.extend(flavour::stale(&locate::workspace_root(), &env, &docs)?);
                }
                for p in &problems {
                    eprintln!("{}: {p}", overlay.display());
                }
                println!(
                    "{}: {} resources, {} problems",
                    overlay.display(),
                    docs.len(),
                    problems.len()
                );
                failed |= !problems.is_empty();
            }
            if failed {
                bail!("manifest check failed");
            }
        }
        "unpack" => {
            let [layout, out] = args.as_slice() else {
                bail!("usage: release unpack LAYOUT OUT.wasm");
            };
            let (digest, wasm) = oci::read_layout_like_istio(layout.as_ref())?;
            std::fs::write(out, wasm)?;
            println!("sha256:{digest}");
        }
        "mesh" => {
            let [overlay] = args.as_slice() else {
                bail!("usage: release mesh OVERLAY");
            };
            let docs =
                render::documents(&render::kustomize(&locate::kubectl()?, overlay.as_ref())?)?;
            print!("{}", release::istiod::Mesh::build(&docs)?.describe());
        }
        other => bail!("unknown command {other:?}"),
    }
    Ok(())
}
