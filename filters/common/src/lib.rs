//! What the filters share. Everything outside `host` is plain Rust that knows
//! nothing of proxy-wasm, so it is unit-tested natively.

pub mod config_error;
pub mod config_reader;
pub mod cookies;
pub mod duration;
pub mod full_match_regex;
pub mod header_map;
pub mod host_match;
pub mod http_token;
pub mod metric_name;
pub mod path;
pub mod path_match;
pub mod query;
pub mod stable_hash;
pub mod strict_json;

#[cfg(target_arch = "wasm32")]
pub mod host;

pub use config_error::ConfigErrors;
