//! A WasmPlugin's pluginConfig, parsed natively by the same parser its filter runs in
//! `on_configure`, so a manifest the filter would refuse fails CI with the field named.

use filters_common::ConfigErrors;

/// (field, message) problems of `config` for the filter behind `image`; None if `image` is
/// not one of ours.
pub fn check(image: &str, config: &serde_json::Value) -> Option<Vec<(String, String)>> {
    let json = config.to_string();
    let result: Result<(), ConfigErrors> = match image {
        "jwt-auth" => jwt_auth::config::parse(json.as_bytes()).map(drop),
        "faas-router" => faas_router::config::parse(json.as_bytes()).map(drop),
        "grey-chain" => grey_chain::config::parse(json.as_bytes()).map(drop),
        "kfaas-gateway" => kfaas_gateway::config::parse(json.as_bytes()).map(drop),
        _ => return None,
    };
    Some(match result {
        Ok(()) => Vec::new(),
        Err(errors) => errors
            .errors
            .into_iter()
            .map(|e| (e.field, e.message))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::check;
    use serde_json::json;

    #[test]
    fn the_combined_module_is_checked_section_by_section() {
        let config =
            json!({"faasRouter": {"routes": []}, "jwtAuth": {"jwtRules": [{"issuer": 3}]}});
        let problems = check("kfaas-gateway", &config).unwrap_or_default();
        let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert!(fields.contains(&"jwtAuth.jwtRules[0].issuer"), "{fields:?}");
        assert_eq!(
            check("kfaas-gateway", &json!({"faasRouter": {}})),
            Some(Vec::new())
        );
    }
}
