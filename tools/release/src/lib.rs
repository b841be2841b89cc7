//! Release tooling for the filters: OCI image layouts Istio can pull (`oci`), digest pinning
//! of the WasmPlugin manifests (`pin`), and manifest validation against Istio's CRD schemas
//! and each filter's own configuration parser (`validate`), and a small model of istiod that
//! tells which plugins and routes each modelled proxy gets (`istiod`), checked by `validate`;
//! the shipped kfaas gateway's objects (`workload`) and its `proxy.istio.io/config` annotation
//! generated from the observability values (`proxy_config`); the observability files
//! (`observability`).

pub mod cel;
pub mod flavour;
pub mod istiod;
pub mod locate;
pub mod observability;
pub mod oci;
pub mod pin;
pub mod plugin_config;
pub mod problem;
pub mod proxy_config;
pub mod render;
pub mod schema;
pub mod traffic_extension;
pub mod validate;
pub mod workload;

/// The filters shipped as images: (image name, wasm module name in dist/). `kfaas-gateway`
/// is the three kfaas-gateway filters in one module (filters/kfaas-gateway).
pub const FILTERS: [(&str, &str); 4] = [
    ("jwt-auth", "jwt_auth"),
    ("faas-router", "faas_router"),
    ("grey-chain", "grey_chain"),
    ("kfaas-gateway", "kfaas_gateway"),
];

/// The wasm module in dist/ that an image name stands for.
pub fn module_for_image(image: &str) -> Option<&'static str> {
    FILTERS
        .iter()
        .find(|(name, _)| *name == image)
        .map(|(_, module)| *module)
}

/// The image name in an `oci://registry/path/<name>:<tag>` (or `@sha256:…`) url.
pub fn image_name_of_url(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("oci://")?;
    let last = rest.rsplit('/').next()?;
    let name = last.split(['@', ':']).next()?;
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_from_urls() {
        assert_eq!(
            image_name_of_url("oci://r.example.com:5000/kfaas/jwt-auth:0.1.0"),
            Some("jwt-auth")
        );
        assert_eq!(
            image_name_of_url("oci://r/kfaas/grey-chain@sha256:ab"),
            Some("grey-chain")
        );
        assert_eq!(
            image_name_of_url("oci://r/faas-router"),
            Some("faas-router")
        );
        assert_eq!(image_name_of_url("https://r/jwt-auth.wasm"), None);
        assert_eq!(module_for_image("faas-router"), Some("faas_router"));
        assert_eq!(module_for_image("nope"), None);
    }
}
