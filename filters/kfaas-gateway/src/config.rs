//! What a kfaas-gateway configuration is: one section per filter, each in
//! exactly that filter's format and read by that filter's parser; a missing
//! section switches its stage off. A problem in a section is named with the
//! section in front (`jwtAuth.jwtRules[0].issuer`).

use filters_common::config_reader::{document, object};
use filters_common::ConfigErrors;
use serde_json::{Map, Value};

/// The sections, in the order the stages run.
pub const JWT_AUTH: &str = "jwtAuth";
pub const GREY_CHAIN: &str = "greyChain";
pub const FAAS_ROUTER: &str = "faasRouter";

/// The three filters' configurations; `None`: that stage is off.
#[derive(Debug)]
pub struct Config {
    pub jwt_auth: Option<jwt_auth::config::Config>,
    pub grey_chain: Option<grey_chain::config::Config>,
    pub faas_router: Option<faas_router::config::Config>,
}

/// Parses every section with its filter's parser, reporting every bad field
/// of every section at once.
pub fn parse(json: &[u8]) -> Result<Config, ConfigErrors> {
    let doc = document(json)?;
    let mut errors = ConfigErrors::new();
    let Some(m) = object(&doc, "", &[JWT_AUTH, GREY_CHAIN, FAAS_ROUTER], &mut errors) else {
        return Err(errors);
    };
    let jwt_auth = section(m, JWT_AUTH, jwt_auth::config::parse, &mut errors);
    let grey_chain = section(m, GREY_CHAIN, grey_chain::config::parse, &mut errors);
    if let Some(Some(grey)) = &grey_chain {
        if grey.mode != grey_chain::config::Mode::Gateway {
            errors.add(
                format!("{GREY_CHAIN}.mode"),
                "must be \"gateway\": the kfaas gateway decides the lane (sidecars keep it with grey-chain's own module)",
            );
        }
    }
    let faas_router = section(m, FAAS_ROUTER, faas_router::config::parse, &mut errors);
    match (jwt_auth, grey_chain, faas_router) {
        (Some(jwt_auth), Some(grey_chain), Some(faas_router)) if errors.is_empty() => Ok(Config {
            jwt_auth,
            grey_chain,
            faas_router,
        }),
        _ => Err(errors),
    }
}

/// Section `key` read by `parse` (absent or null: `Some(None)`, the stage
/// off); `None` when refused, its problems added to `errors` under `key`.
fn section<T>(
    m: &Map<String, Value>,
    key: &str,
    parse: impl FnOnce(&[u8]) -> Result<T, ConfigErrors>,
    errors: &mut ConfigErrors,
) -> Option<Option<T>> {
    let Some(v) = m.get(key).filter(|v| !v.is_null()) else {
        return Some(None);
    };
    if !v.is_object() {
        errors.add(key, "must be an object");
        return None;
    }
    let bytes = match serde_json::to_vec(v) {
        Ok(bytes) => bytes,
        Err(e) => {
            errors.add(key, e.to_string());
            return None;
        }
    };
    match parse(&bytes) {
        Ok(config) => Some(Some(config)),
        Err(e) => {
            for f in e.errors {
                let field = if f.field == "(root)" {
                    key.to_string()
                } else {
                    format!("{key}.{}", f.field)
                };
                errors.add(field, f.message);
            }
            None
        }
    }
}

#[cfg(test)]
mod tests;
