//! Header maps and buffers: `proxy_{get,set}_header_map_*`,
//! `proxy_{add,replace,remove}_header_map_value`, `proxy_{get,set}_buffer_bytes`.
//!
//! Semantics follow Envoy: names are lower-cased; get returns the first
//! value; replace removes every occurrence and adds one (`HeaderMap::setCopy`:
//! a pseudo-header goes before the regular headers, any other header last),
//! or, under [`ReplaceSemantics::FirstCopyOnly`], sets the first occurrence in
//! place (appends when absent) like hosts that touch only the first copy;
//! remove drops every occurrence; a map the stream does not have yet is
//! BadArgument (NotFound while `on_log` runs).

use wasmtime::{Caller, Linker, Result};

use super::memory::{give, read, read_str};
use super::status::*;
use crate::state::{Headers, State};
use crate::types::ReplaceSemantics;
use crate::wire;

const REQUEST_HEADERS: i32 = 0;
const REQUEST_TRAILERS: i32 = 1;
const RESPONSE_HEADERS: i32 = 2;
const RESPONSE_TRAILERS: i32 = 3;
const CALL_RESPONSE_HEADERS: i32 = 6;
const CALL_RESPONSE_TRAILERS: i32 = 7;

const REQUEST_BODY: i32 = 0;
const RESPONSE_BODY: i32 = 1;
const CALL_RESPONSE_BODY: i32 = 4;
const VM_CONFIGURATION: i32 = 6;
const PLUGIN_CONFIGURATION: i32 = 7;

/// The map a hostcall addresses, or the status to answer when there is none.
fn map(state: &mut State, map_type: i32) -> Result<&mut Headers, i32> {
    if matches!(map_type, CALL_RESPONSE_HEADERS | CALL_RESPONSE_TRAILERS) {
        let response = state.call_response.as_mut().ok_or(BAD_ARGUMENT)?;
        return Ok(if map_type == CALL_RESPONSE_HEADERS {
            &mut response.headers
        } else {
            &mut response.trailers
        });
    }
    let stream = state.effective_stream().ok_or(BAD_ARGUMENT)?;
    let missing = if stream.in_log {
        NOT_FOUND
    } else {
        BAD_ARGUMENT
    };
    let map = match map_type {
        REQUEST_HEADERS => &mut stream.request_headers,
        REQUEST_TRAILERS => &mut stream.request_trailers,
        RESPONSE_HEADERS => &mut stream.response_headers,
        RESPONSE_TRAILERS => &mut stream.response_trailers,
        _ => return Err(BAD_ARGUMENT),
    };
    map.as_mut().ok_or(missing)
}

fn buffer(state: &mut State, buffer_type: i32) -> Option<&mut Vec<u8>> {
    match buffer_type {
        REQUEST_BODY => state.effective_stream().map(|s| &mut s.request_body),
        RESPONSE_BODY => state.effective_stream().map(|s| &mut s.response_body),
        CALL_RESPONSE_BODY => state.call_response.as_mut().map(|r| &mut r.body),
        VM_CONFIGURATION => Some(&mut state.vm_config),
        PLUGIN_CONFIGURATION => Some(&mut state.plugin_config),
        _ => None,
    }
}

/// `proxy_replace_header_map_value` on one map.
fn replace(map: &mut Headers, semantics: ReplaceSemantics, key: String, value: Vec<u8>) {
    match semantics {
        ReplaceSemantics::AllCopies => {
            map.retain(|(k, _)| *k != key);
            // Envoy's header list keeps pseudo-headers in front of the others.
            let at = if key.starts_with(':') {
                map.iter()
                    .position(|(k, _)| !k.starts_with(':'))
                    .unwrap_or(map.len())
            } else {
                map.len()
            };
            map.insert(at, (key, value));
        }
        ReplaceSemantics::FirstCopyOnly => match map.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => map.push((key, value)),
        },
    }
}

pub fn link(linker: &mut Linker<State>) -> Result<()> {
    linker.func_wrap(
        "env",
        "proxy_get_header_map_pairs",
        |mut c: Caller<'_, State>, map_type: i32, ptr_ptr: i32, size_ptr: i32| -> Result<i32> {
            let bytes = match map(c.data_mut(), map_type) {
                Ok(map) => wire::serialize_map(map),
                Err(NOT_FOUND) => wire::serialize_map::<Vec<u8>>(&[]),
                Err(status) => return Ok(status),
            };
            give(&mut c, &bytes, ptr_ptr, size_ptr)?;
            Ok(OK)
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_set_header_map_pairs",
        |mut c: Caller<'_, State>, map_type: i32, ptr: i32, size: i32| -> Result<i32> {
            let bytes = read(&mut c, ptr, size)?;
            let pairs = wire::deserialize_map_bytes(&bytes)
                .map_err(|e| wasmtime::format_err!("proxy_set_header_map_pairs: {e:#}"))?;
            match map(c.data_mut(), map_type) {
                Ok(map) => {
                    *map = pairs
                        .into_iter()
                        .map(|(k, v)| (k.to_ascii_lowercase(), v))
                        .collect();
                    Ok(OK)
                }
                Err(status) => Ok(status),
            }
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_get_header_map_value",
        |mut c: Caller<'_, State>,
         map_type: i32,
         key_ptr: i32,
         key_size: i32,
         ptr_ptr: i32,
         size_ptr: i32|
         -> Result<i32> {
            let key = read_str(&mut c, key_ptr, key_size)?.to_ascii_lowercase();
            let value = match map(c.data_mut(), map_type) {
                Ok(map) => match map.iter().find(|(k, _)| *k == key) {
                    Some((_, v)) => v.clone(),
                    None => return Ok(NOT_FOUND),
                },
                Err(status) => return Ok(status),
            };
            give(&mut c, &value, ptr_ptr, size_ptr)?;
            Ok(OK)
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_add_header_map_value",
        |mut c: Caller<'_, State>,
         map_type: i32,
         key_ptr: i32,
         key_size: i32,
         value_ptr: i32,
         value_size: i32|
         -> Result<i32> {
            let key = read_str(&mut c, key_ptr, key_size)?.to_ascii_lowercase();
            let value = read(&mut c, value_ptr, value_size)?;
            Ok(match map(c.data_mut(), map_type) {
                Ok(map) => {
                    map.push((key, value));
                    OK
                }
                Err(status) => status,
            })
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_replace_header_map_value",
        |mut c: Caller<'_, State>,
         map_type: i32,
         key_ptr: i32,
         key_size: i32,
         value_ptr: i32,
         value_size: i32|
         -> Result<i32> {
            let key = read_str(&mut c, key_ptr, key_size)?.to_ascii_lowercase();
            let value = read(&mut c, value_ptr, value_size)?;
            let semantics = c.data().replace;
            Ok(match map(c.data_mut(), map_type) {
                Ok(map) => {
                    replace(map, semantics, key, value);
                    OK
                }
                Err(status) => status,
            })
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_remove_header_map_value",
        |mut c: Caller<'_, State>, map_type: i32, key_ptr: i32, key_size: i32| -> Result<i32> {
            let key = read_str(&mut c, key_ptr, key_size)?.to_ascii_lowercase();
            Ok(match map(c.data_mut(), map_type) {
                Ok(map) => {
                    map.retain(|(k, _)| *k != key);
                    OK
                }
                Err(status) => status,
            })
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_get_buffer_bytes",
        |mut c: Caller<'_, State>,
         buffer_type: i32,
         start: i32,
         max_size: i32,
         ptr_ptr: i32,
         size_ptr: i32|
         -> Result<i32> {
            let Some(buffer) = buffer(c.data_mut(), buffer_type) else {
                return Ok(NOT_FOUND);
            };
            let start = start as u32 as usize;
            let end = start
                .saturating_add(max_size as u32 as usize)
                .min(buffer.len());
            let bytes = buffer.get(start..end).unwrap_or_default().to_vec();
            give(&mut c, &bytes, ptr_ptr, size_ptr)?;
            Ok(OK)
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_set_buffer_bytes",
        |mut c: Caller<'_, State>,
         buffer_type: i32,
         start: i32,
         size: i32,
         ptr: i32,
         len: i32|
         -> Result<i32> {
            let data = read(&mut c, ptr, len)?;
            let Some(buffer) = buffer(c.data_mut(), buffer_type) else {
                return Ok(NOT_FOUND);
            };
            // Replace [start, start + size), clamped to the buffer: (0, 0)
            // prepends, (len, _) appends, (0, len) replaces everything.
            let start = (start as u32 as usize).min(buffer.len());
            let end = start.saturating_add(size as u32 as usize).min(buffer.len());
            buffer.splice(start..end, data);
            Ok(OK)
        },
    )?;
    Ok(())
}
