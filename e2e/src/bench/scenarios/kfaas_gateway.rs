//! The kfaas gateway's whole chain (issue 17): jwt-auth (RS256), grey-chain in
//! gateway mode (header, cookie, 30% by `x-jwt-sub`) and faas-router (1,000 and
//! 10,000 routes) as users run them, against the native chain doing the same
//! job, in one run:
//!
//! - native chain: Envoy's jwt_authn with its token cache, the Lua lane filter
//!   of the grey-chain bench (hashing `x-jwt-sub`), one Envoy route per table
//!   entry (first match);
//! - three plugins: jwt-auth, grey-chain and faas-router, each its own
//!   proxy-wasm filter (the base manifests);
//! - the combined module `dist/kfaas_gateway.wasm`, one filter;
//! - the floors: one and three empty proxy-wasm filters.
//!
//! Every piece is the other scenarios' (keys, tokens and configurations from
//! `jwt_auth`, the table from `faas_router`, rules and the Lua peer from
//! `grey_chain`). Envoy answers 200 itself after the chain (direct
//! responses, no upstream hop): the wasm variants' only route requires the
//! `x-faas-service` faas-router sets; the native table's routes answer
//! directly (the match without the rewrite, which only a forwarding route
//! action does).

use super::{faas_router, grey_chain, jwt_auth};
use crate::bench::{Kind, Scenario, Variant};
use crate::{EnvoyConfig, WasmFilter};
use anyhow::Result;
use serde_json::{json, Value};

/// Distinct users whose tokens repeat (cache hits after their first request).
const HOT_TOKENS: usize = 100;
/// Distinct tokens for the first-seen share, cycled in order: more than the
/// caches hold, so an LRU has always evicted one before it comes back.
const FIRST_SEEN_TOKENS: usize = 1_500;
/// Token cache size on both sides (jwt_authn's `jwt_cache_size`, jwt-auth's
/// `tokenCache.maxEntries`).
const CACHE_ENTRIES: u32 = 1_000;
/// Every 10th request carries a first-seen token in the mixed scenarios.
const FIRST_SEEN_EVERY: usize = 10;

/// The lane rules hash the subject jwt-auth (or jwt_authn) outputs.
const HASH_BY: &str = "x-jwt-sub";

struct Tokens {
    jwks: Value,
    hot: Vec<String>,
    first_seen: Vec<String>,
}

fn tokens() -> Result<Tokens> {
    let key = jwt_auth::Key::generate("RS256", "k1")?;
    let mint = |prefix: &str, n: usize| -> Result<Vec<String>> {
        (0..n)
            .map(|i| key.token(&jwt_auth::claims(&format!("{prefix}-{i}"))))
            .collect()
    };
    Ok(Tokens {
        jwks: json!({"keys": [key.jwk()?]}),
        hot: mint("user", HOT_TOKENS)?,
        first_seen: mint("new-user", FIRST_SEEN_TOKENS)?,
    })
}

fn ok() -> Value {
    json!({"status": 200, "body": {"inline_string": "ok"}})
}

/// Every request answered 200 (baseline, floors).
fn plain() -> Value {
    faas_router::route_config(vec![
        json!({"match": {"prefix": "/"}, "direct_response": ok()}),
    ])
}

/// Only requests faas-router routed are answered 200 (no route: 404).
fn routed() -> Value {
    faas_router::route_config(vec![json!({
        "match": {"prefix": "/", "headers": [{"name": "x-faas-service", "present_match": true}]},
        "direct_response": ok()
    })])
}

/// wrk: paths cycled over the table; a hot user's token on each request, or
/// every `FIRST_SEEN_EVERY`th a first-seen one (when `first_seen` is not
/// empty); every 11th `end-user: test`, every 13th the `lane=grey` cookie,
/// every 7th a spoofed `x-grey`.
fn wrk_script(paths: &[String], hot: &[String], first_seen: &[String]) -> String {
    let list = |xs: &[String]| {
        xs.iter()
            .map(|x| format!("{x:?}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        r#"local paths = {{{}}}
local hot = {{{}}}
local fresh = {{{}}}
local n = 0
request = function()
  n = n + 1
  local t
  if #fresh > 0 and n % {FIRST_SEEN_EVERY} == 0 then
    t = fresh[math.floor(n / {FIRST_SEEN_EVERY}) % #fresh + 1]
  else
    t = hot[n % #hot + 1]
  end
  local h = {{["authorization"] = "Bearer " .. t}}
  if n % 11 == 0 then h["end-user"] = "test" end
  if n % 13 == 0 then h["cookie"] = "lane=grey" end
  if n % 7 == 0 then h["x-grey"] = "grey" end
  return wrk.format("GET", paths[n % #paths + 1], h)
end
"#,
        list(paths),
        list(hot),
        list(first_seen)
    )
}

fn scenario(t: &Tokens, routes: usize, mixed: bool) -> Result<Scenario> {
    let paths = faas_router::sample_paths(routes);
    let first_path = paths.first().cloned().unwrap_or_default();
    let first_seen: &[String] = if mixed { &t.first_seen } else { &[] };
    let script = wrk_script(&paths, &t.hot, first_seen);
    let bearer = format!("Bearer {}", t.hot.first().map_or("", String::as_str));

    let jwt = jwt_auth::wasm_config_value(&t.jwks, Some(CACHE_ENTRIES));
    let grey: Value = serde_json::from_str(&grey_chain::gateway_config(HASH_BY))?;
    let faas: Value = serde_json::from_str(&faas_router::plugin_config(routes))?;
    let plugins = WasmFilter::kfaas_gateway_plugins(&jwt, &grey, &faas);
    let combined = WasmFilter::kfaas_gateway_combined(&jwt, &grey, &faas);

    let native_filters = [
        jwt_auth::jwt_authn_cache(&t.jwks, Some(CACHE_ENTRIES)),
        grey_chain::lua_filter(&grey_chain::lua_gateway(HASH_BY)),
    ];
    let native = Variant::new(
        Kind::Native,
        "native chain (jwt_authn + Lua + route table)",
        move || {
            native_filters
                .iter()
                .fold(EnvoyConfig::new(), |c, f| c.native_filter(f.clone()))
                .routes(faas_router::route_config(faas_router::native_table(
                    routes,
                    Some(&ok()),
                )))
        },
    );
    let three = Variant::new(Kind::Wasm, "three plugins (wasm)", move || {
        plugins
            .iter()
            .fold(EnvoyConfig::new(), |c, f| c.filter(f.clone()))
            .routes(routed())
    });
    let one = Variant::new(Kind::Wasm, "combined module (wasm)", move || {
        EnvoyConfig::new().filter(combined.clone()).routes(routed())
    });
    let tokens = if mixed {
        format!("{HOT_TOKENS} users' tokens repeating, and every {FIRST_SEEN_EVERY}th request a first-seen token ({FIRST_SEEN_TOKENS} cycled in order, more than the token caches hold, so each is verified again)")
    } else {
        format!("{HOT_TOKENS} users' tokens, repeating (cache hits)")
    };
    let name = if mixed {
        format!(
            "{routes} routes, {}% first-seen tokens",
            100 / FIRST_SEEN_EVERY
        )
    } else {
        format!("{routes} routes, repeated tokens")
    };
    let s = Scenario::new("kfaas-gateway", &name)
        .notes(&format!(
            "The whole chain: jwt-auth RS256 ({tokens}; token caches of {CACHE_ENTRIES} on both sides), grey-chain gateway rules (header `end-user: test` on every 11th request, cookie `lane=grey` on every 13th, 30% by `{HASH_BY}`; a spoofed `x-grey` on every 7th), faas-router with {routes} routes (the faas-router scenarios' table), wrk cycling paths over the table. The native chain is jwt_authn with jwt_cache_config + the grey-chain bench's Lua filter + one Envoy route per table entry (first match, answering directly). Floors: one and three empty proxy-wasm filters; \"over wasm floor\" is against the first (one filter). \"added CPU vs native\" = the variant's added CPU / the native chain's."
        ))
        .variant(Variant::new(Kind::Baseline, "no filter", || EnvoyConfig::new().routes(plain())))
        .variant(native)
        .variant(three)
        .variant(one)
        .variant(Variant::wasm_floors_with(1, || EnvoyConfig::new().routes(plain())))
        .variant(Variant::wasm_floors_with(3, || EnvoyConfig::new().routes(plain())));
    let s = Scenario {
        variants: s
            .variants
            .into_iter()
            .map(|v| {
                v.header("authorization", &bearer)
                    .path(&first_path)
                    .lua(&script)
            })
            .collect(),
        ..s
    };
    Ok(s)
}

pub fn scenarios() -> Vec<Scenario> {
    let built = tokens().and_then(|t| {
        [1_000, 10_000]
            .into_iter()
            .flat_map(|n| [(n, false), (n, true)])
            .map(|(n, mixed)| scenario(&t, n, mixed))
            .collect::<Result<Vec<_>>>()
    });
    match built {
        Ok(s) => s,
        Err(e) => {
            eprintln!("kfaas-gateway scenarios skipped: {e:#}");
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_combined_configuration_is_each_filters_own() {
        let jwks = json!({"keys": []});
        let jwt = jwt_auth::wasm_config_value(&jwks, Some(CACHE_ENTRIES));
        let grey: Value = serde_json::from_str(&grey_chain::gateway_config(HASH_BY)).unwrap();
        let faas: Value = serde_json::from_str(&faas_router::plugin_config(10)).unwrap();
        let combined = WasmFilter::kfaas_gateway_combined(&jwt, &grey, &faas);
        let c: Value = serde_json::from_str(combined.config_text().unwrap()).unwrap();
        assert_eq!(c["jwtAuth"]["tokenCache"]["maxEntries"], CACHE_ENTRIES);
        assert_eq!(
            c["greyChain"]["gateway"]["rules"][2]["hashBy"]["header"],
            HASH_BY
        );
        assert_eq!(c["faasRouter"]["routes"].as_array().unwrap().len(), 10);
    }

    #[test]
    fn the_script_mixes_first_seen_tokens_only_when_asked() {
        let paths = faas_router::sample_paths(1_000);
        let hot = vec!["h1".to_owned(), "h2".to_owned()];
        let s = wrk_script(&paths, &hot, &[]);
        assert!(s.contains("local fresh = {}"));
        assert!(s.contains("local hot = {\"h1\",\"h2\"}"));
        let m = wrk_script(&paths, &hot, &["f1".to_owned()]);
        assert!(m.contains("local fresh = {\"f1\"}"));
        assert_eq!(m.matches("\"/faas/api/").count(), 500);
    }
}
