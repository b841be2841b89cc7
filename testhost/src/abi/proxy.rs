//! The `env.proxy_*` host functions other than header maps and buffers.

use std::time::UNIX_EPOCH;

use wasmtime::{bail, Caller, Linker, Result};

use super::memory::{give, read, read_str, write_u32, write_u64};
use super::status::*;
use crate::properties;
use crate::state::{Metric, MetricKind, PendingCall, Queue, State};
use crate::types::{HttpCall, LocalResponse, LogLevel};
use crate::wire;

const STREAM_REQUEST: i32 = 0;
const STREAM_RESPONSE: i32 = 1;

pub fn link(linker: &mut Linker<State>) -> Result<()> {
    link_logging_and_time(linker)?;
    link_properties(linker)?;
    link_shared(linker)?;
    link_stream_control(linker)?;
    link_http_call(linker)?;
    link_metrics(linker)?;
    link_misc(linker)?;
    link_grpc(linker)
}

fn link_logging_and_time(linker: &mut Linker<State>) -> Result<()> {
    linker.func_wrap(
        "env",
        "proxy_log",
        |mut c: Caller<'_, State>, level: i32, ptr: i32, len: i32| -> Result<i32> {
            let Some(level) = LogLevel::from_abi(level) else {
                return Ok(BAD_ARGUMENT);
            };
            let message = read_str(&mut c, ptr, len)?;
            let state = c.data_mut();
            if level >= state.log_level {
                state.log(level, message);
            }
            Ok(OK)
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_get_log_level",
        |mut c: Caller<'_, State>, ptr: i32| -> Result<i32> {
            let level = c.data().log_level as u32;
            write_u32(&mut c, ptr, level)?;
            Ok(OK)
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_get_current_time_nanoseconds",
        |mut c: Caller<'_, State>, ptr: i32| -> Result<i32> {
            let nanos = c.data().now.duration_since(UNIX_EPOCH)?.as_nanos() as u64;
            write_u64(&mut c, ptr, nanos)?;
            Ok(OK)
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_set_tick_period_milliseconds",
        |mut c: Caller<'_, State>, period: i32| -> Result<i32> {
            c.data_mut().tick_period_ms = period as u32;
            Ok(OK)
        },
    )?;
    Ok(())
}

fn link_properties(linker: &mut Linker<State>) -> Result<()> {
    linker.func_wrap(
        "env",
        "proxy_get_property",
        |mut c: Caller<'_, State>,
         ptr: i32,
         len: i32,
         ptr_ptr: i32,
         size_ptr: i32|
         -> Result<i32> {
            let path = wire::split_path(&read(&mut c, ptr, len)?);
            match properties::lookup(c.data(), &path) {
                Some(value) => {
                    give(&mut c, &value, ptr_ptr, size_ptr)?;
                    Ok(OK)
                }
                None => Ok(NOT_FOUND),
            }
        },
    )?;
    // Envoy keeps what a filter sets in the stream's filter state; here it
    // lands in the stream's properties (host-wide from the root context) and
    // reads back with proxy_get_property.
    linker.func_wrap(
        "env",
        "proxy_set_property",
        |mut c: Caller<'_, State>,
         ptr: i32,
         len: i32,
         value_ptr: i32,
         value_len: i32|
         -> Result<i32> {
            let path = wire::split_path(&read(&mut c, ptr, len)?);
            let value = read(&mut c, value_ptr, value_len)?;
            let state = c.data_mut();
            match state.effective_stream() {
                Some(stream) => stream.properties.insert(path, value),
                None => state.properties.insert(path, value),
            };
            Ok(OK)
        },
    )?;
    Ok(())
}

fn link_shared(linker: &mut Linker<State>) -> Result<()> {
    linker.func_wrap(
        "env",
        "proxy_get_shared_data",
        |mut c: Caller<'_, State>,
         key_ptr: i32,
         key_len: i32,
         ptr_ptr: i32,
         size_ptr: i32,
         cas_ptr: i32|
         -> Result<i32> {
            let key = read_str(&mut c, key_ptr, key_len)?;
            let Some((value, cas)) = c.data().shared.get(&key).cloned() else {
                return Ok(NOT_FOUND);
            };
            give(&mut c, &value, ptr_ptr, size_ptr)?;
            write_u32(&mut c, cas_ptr, cas)?;
            Ok(OK)
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_set_shared_data",
        |mut c: Caller<'_, State>,
         key_ptr: i32,
         key_len: i32,
         value_ptr: i32,
         value_len: i32,
         cas: i32|
         -> Result<i32> {
            let key = read_str(&mut c, key_ptr, key_len)?;
            let value = read(&mut c, value_ptr, value_len)?;
            let state = c.data_mut();
            // Envoy: a non-zero CAS must match the stored one; 0 writes blindly.
            if let Some((_, current)) = state.shared.get(&key) {
                if cas != 0 && cas as u32 != *current {
                    return Ok(CAS_MISMATCH);
                }
            }
            state.set_shared(&key, value);
            Ok(OK)
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_register_shared_queue",
        |mut c: Caller<'_, State>, name_ptr: i32, name_len: i32, id_ptr: i32| -> Result<i32> {
            let name = read_str(&mut c, name_ptr, name_len)?;
            let state = c.data_mut();
            let id = match state.queue_id(&name) {
                Some(id) => id,
                None => {
                    state.queues.push(Queue {
                        name,
                        items: Default::default(),
                    });
                    state.queues.len() as u32
                }
            };
            write_u32(&mut c, id_ptr, id)?;
            Ok(OK)
        },
    )?;
    // One VM per host: the vm_id argument is not consulted.
    linker.func_wrap(
        "env",
        "proxy_resolve_shared_queue",
        |mut c: Caller<'_, State>,
         _vm_ptr: i32,
         _vm_len: i32,
         name_ptr: i32,
         name_len: i32,
         id_ptr: i32|
         -> Result<i32> {
            let name = read_str(&mut c, name_ptr, name_len)?;
            match c.data().queue_id(&name) {
                Some(id) => {
                    write_u32(&mut c, id_ptr, id)?;
                    Ok(OK)
                }
                None => Ok(NOT_FOUND),
            }
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_dequeue_shared_queue",
        |mut c: Caller<'_, State>, id: i32, ptr_ptr: i32, size_ptr: i32| -> Result<i32> {
            let Some(queue) = c.data_mut().queue(id as u32) else {
                return Ok(NOT_FOUND);
            };
            match queue.items.pop_front() {
                Some(item) => {
                    give(&mut c, &item, ptr_ptr, size_ptr)?;
                    Ok(OK)
                }
                None => Ok(EMPTY),
            }
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_enqueue_shared_queue",
        |mut c: Caller<'_, State>, id: i32, ptr: i32, len: i32| -> Result<i32> {
            let item = read(&mut c, ptr, len)?;
            let state = c.data_mut();
            let Some(queue) = state.queue(id as u32) else {
                return Ok(NOT_FOUND);
            };
            queue.items.push_back(item);
            // Envoy posts on_queue_ready; the host delivers it after this call.
            state.ready_queues.push(id as u32);
            Ok(OK)
        },
    )?;
    Ok(())
}

fn link_stream_control(linker: &mut Linker<State>) -> Result<()> {
    linker.func_wrap(
        "env",
        "proxy_continue_stream",
        |mut c: Caller<'_, State>, stream_type: i32| -> Result<i32> {
            let Some(stream) = c.data_mut().effective_stream() else {
                return Ok(BAD_ARGUMENT);
            };
            match stream_type {
                STREAM_REQUEST => {
                    stream.request_resumed = true;
                    let body = std::mem::take(&mut stream.request_body);
                    stream.request_body_sent.extend(body);
                }
                STREAM_RESPONSE => {
                    stream.response_resumed = true;
                    let body = std::mem::take(&mut stream.response_body);
                    stream.response_body_sent.extend(body);
                }
                other => bail!(
                    "testhost: proxy_continue_stream({other}) targets a TCP stream; testhost drives HTTP streams only"
                ),
            }
            Ok(OK)
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_close_stream",
        |mut c: Caller<'_, State>, stream_type: i32| -> Result<i32> {
            let Some(stream) = c.data_mut().effective_stream() else {
                return Ok(BAD_ARGUMENT);
            };
            match stream_type {
                STREAM_REQUEST => stream.request_closed = true,
                STREAM_RESPONSE => stream.response_closed = true,
                other => bail!(
                    "testhost: proxy_close_stream({other}) targets a TCP stream; testhost drives HTTP streams only"
                ),
            }
            Ok(OK)
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_send_local_response",
        |mut c: Caller<'_, State>,
         status: i32,
         details_ptr: i32,
         details_len: i32,
         body_ptr: i32,
         body_len: i32,
         headers_ptr: i32,
         headers_len: i32,
         _grpc_status: i32|
         -> Result<i32> {
            let details = read_str(&mut c, details_ptr, details_len)?;
            let body = read(&mut c, body_ptr, body_len)?;
            let headers = wire::deserialize_map(&read(&mut c, headers_ptr, headers_len)?)
                .map_err(|e| wasmtime::format_err!("proxy_send_local_response: {e:#}"))?;
            let Some(stream) = c.data_mut().effective_stream() else {
                return Ok(BAD_ARGUMENT);
            };
            stream.local_response = Some(LocalResponse {
                status: status as u32,
                headers,
                body,
                details,
            });
            Ok(OK)
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_set_effective_context",
        |mut c: Caller<'_, State>, context: i32| -> Result<i32> {
            let state = c.data_mut();
            let context = context as u32;
            if context != crate::state::ROOT_CONTEXT && !state.streams.contains_key(&context) {
                return Ok(BAD_ARGUMENT);
            }
            state.effective = context;
            Ok(OK)
        },
    )?;
    Ok(())
}

fn link_http_call(linker: &mut Linker<State>) -> Result<()> {
    linker.func_wrap(
        "env",
        "proxy_http_call",
        |mut c: Caller<'_, State>,
         upstream_ptr: i32,
         upstream_len: i32,
         headers_ptr: i32,
         headers_len: i32,
         body_ptr: i32,
         body_len: i32,
         trailers_ptr: i32,
         trailers_len: i32,
         timeout_ms: i32,
         token_ptr: i32|
         -> Result<i32> {
            let upstream = read_str(&mut c, upstream_ptr, upstream_len)?;
            let headers = wire::deserialize_map(&read(&mut c, headers_ptr, headers_len)?)
                .map_err(|e| wasmtime::format_err!("proxy_http_call headers: {e:#}"))?;
            let body = read(&mut c, body_ptr, body_len)?;
            let trailers = wire::deserialize_map(&read(&mut c, trailers_ptr, trailers_len)?)
                .map_err(|e| wasmtime::format_err!("proxy_http_call trailers: {e:#}"))?;
            let state = c.data_mut();
            // Envoy refuses an unknown cluster and a request without
            // :method, :path or :authority with BadArgument.
            if let Some(clusters) = &state.clusters {
                if !clusters.contains(&upstream) {
                    state.log(
                        LogLevel::Warn,
                        format!("testhost: http call to unknown cluster {upstream:?}: BadArgument"),
                    );
                    return Ok(BAD_ARGUMENT);
                }
            }
            let has = |name: &str| headers.iter().any(|(k, _)| k == name);
            if !(has(":method") && has(":path") && has(":authority")) {
                state.log(
                    LogLevel::Warn,
                    "testhost: http call without :method, :path or :authority: BadArgument"
                        .to_owned(),
                );
                return Ok(BAD_ARGUMENT);
            }
            let token = state.next_token;
            state.next_token += 1;
            let context = state.effective;
            state.http_calls.insert(
                token,
                PendingCall {
                    call: HttpCall {
                        token,
                        upstream,
                        headers,
                        body,
                        timeout_ms: timeout_ms as u32,
                        trailers,
                    },
                    context,
                },
            );
            write_u32(&mut c, token_ptr, token)?;
            Ok(OK)
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_get_status",
        |mut c: Caller<'_, State>, code_ptr: i32, ptr_ptr: i32, size_ptr: i32| -> Result<i32> {
            let (code, message) = c.data().status.clone();
            write_u32(&mut c, code_ptr, code)?;
            give(&mut c, message.as_bytes(), ptr_ptr, size_ptr)?;
            Ok(OK)
        },
    )?;
    Ok(())
}

fn link_metrics(linker: &mut Linker<State>) -> Result<()> {
    linker.func_wrap(
        "env",
        "proxy_define_metric",
        |mut c: Caller<'_, State>,
         kind: i32,
         name_ptr: i32,
         name_len: i32,
         id_ptr: i32|
         -> Result<i32> {
            let kind = match kind {
                0 => MetricKind::Counter,
                1 => MetricKind::Gauge,
                2 => MetricKind::Histogram,
                _ => return Ok(BAD_ARGUMENT),
            };
            let name = read_str(&mut c, name_ptr, name_len)?;
            let state = c.data_mut();
            // Like Envoy, defining a name twice gives a new id for the same stat.
            let index = match state.metrics.iter().position(|m| m.name == name) {
                Some(index) if state.metrics[index].kind == kind => index,
                Some(_) => {
                    bail!("testhost: metric {name:?} defined again with another type ({kind:?})")
                }
                None => {
                    state.metrics.push(Metric {
                        name,
                        kind,
                        value: 0,
                        samples: Vec::new(),
                    });
                    state.metrics.len() - 1
                }
            };
            let id = (state.next_metric_id << 2) | kind as u32;
            state.next_metric_id += 1;
            state.metric_ids.insert(id, index);
            write_u32(&mut c, id_ptr, id)?;
            Ok(OK)
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_get_metric",
        |mut c: Caller<'_, State>, id: i32, value_ptr: i32| -> Result<i32> {
            let state = c.data();
            let Some(metric) = state
                .metric_ids
                .get(&(id as u32))
                .map(|i| &state.metrics[*i])
            else {
                return Ok(NOT_FOUND);
            };
            if metric.kind == MetricKind::Histogram {
                return Ok(BAD_ARGUMENT);
            }
            let value = metric.value;
            write_u64(&mut c, value_ptr, value)?;
            Ok(OK)
        },
    )?;
    // Envoy: a counter adds the value, a gauge is set, a histogram records it.
    linker.func_wrap(
        "env",
        "proxy_record_metric",
        |mut c: Caller<'_, State>, id: i32, value: i64| -> Result<i32> {
            let state = c.data_mut();
            let Some(index) = state.metric_ids.get(&(id as u32)).copied() else {
                return Ok(NOT_FOUND);
            };
            let metric = &mut state.metrics[index];
            let value = value as u64;
            match metric.kind {
                MetricKind::Counter => metric.value = metric.value.wrapping_add(value),
                MetricKind::Gauge => metric.value = value,
                MetricKind::Histogram => metric.samples.push(value),
            }
            Ok(OK)
        },
    )?;
    // Envoy: counters only grow (offset <= 0 is BadArgument), gauges move
    // both ways, histograms cannot be incremented (NotFound).
    linker.func_wrap(
        "env",
        "proxy_increment_metric",
        |mut c: Caller<'_, State>, id: i32, offset: i64| -> Result<i32> {
            let state = c.data_mut();
            let Some(index) = state.metric_ids.get(&(id as u32)).copied() else {
                return Ok(NOT_FOUND);
            };
            let metric = &mut state.metrics[index];
            match metric.kind {
                MetricKind::Counter if offset <= 0 => return Ok(BAD_ARGUMENT),
                MetricKind::Counter | MetricKind::Gauge => {
                    metric.value = metric.value.wrapping_add(offset as u64)
                }
                MetricKind::Histogram => return Ok(NOT_FOUND),
            }
            Ok(OK)
        },
    )?;
    Ok(())
}

fn link_misc(linker: &mut Linker<State>) -> Result<()> {
    linker.func_wrap(
        "env",
        "proxy_call_foreign_function",
        |mut c: Caller<'_, State>,
         name_ptr: i32,
         name_len: i32,
         args_ptr: i32,
         args_len: i32,
         results_ptr: i32,
         results_size_ptr: i32|
         -> Result<i32> {
            let name = read_str(&mut c, name_ptr, name_len)?;
            let answer = match name.as_str() {
                "clear_route_cache" => Vec::new(),
                "verify_signature" => {
                    let mode = c.data().verify_signature;
                    if mode == crate::VerifySignature::Absent {
                        return Ok(NOT_FOUND);
                    }
                    let args = read(&mut c, args_ptr, args_len)?;
                    c.data_mut().foreign_calls.push(name);
                    let Some(answer) = crate::verify_signature::answer(mode, &args) else {
                        return Ok(BAD_ARGUMENT);
                    };
                    give(&mut c, &answer, results_ptr, results_size_ptr)?;
                    return Ok(OK);
                }
                _ => return Ok(NOT_FOUND),
            };
            c.data_mut().foreign_calls.push(name);
            give(&mut c, &answer, results_ptr, results_size_ptr)?;
            Ok(OK)
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_done",
        |mut c: Caller<'_, State>| -> Result<i32> {
            c.data_mut().done_calls += 1;
            Ok(OK)
        },
    )?;
    Ok(())
}

/// gRPC callouts are not modelled: calling one fails the test, naming it.
fn link_grpc(linker: &mut Linker<State>) -> Result<()> {
    fn unsupported(name: &str) -> wasmtime::Error {
        wasmtime::format_err!("testhost: {name} is not supported (gRPC callouts are not modelled)")
    }
    linker.func_wrap(
        "env",
        "proxy_grpc_call",
        |_: Caller<'_, State>,
         _: i32,
         _: i32,
         _: i32,
         _: i32,
         _: i32,
         _: i32,
         _: i32,
         _: i32,
         _: i32,
         _: i32,
         _: i32,
         _: i32|
         -> Result<i32> { Err(unsupported("proxy_grpc_call")) },
    )?;
    linker.func_wrap(
        "env",
        "proxy_grpc_stream",
        |_: Caller<'_, State>,
         _: i32,
         _: i32,
         _: i32,
         _: i32,
         _: i32,
         _: i32,
         _: i32,
         _: i32,
         _: i32|
         -> Result<i32> { Err(unsupported("proxy_grpc_stream")) },
    )?;
    linker.func_wrap(
        "env",
        "proxy_grpc_send",
        |_: Caller<'_, State>, _: i32, _: i32, _: i32, _: i32| -> Result<i32> {
            Err(unsupported("proxy_grpc_send"))
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_grpc_cancel",
        |_: Caller<'_, State>, _: i32| -> Result<i32> { Err(unsupported("proxy_grpc_cancel")) },
    )?;
    linker.func_wrap(
        "env",
        "proxy_grpc_close",
        |_: Caller<'_, State>, _: i32| -> Result<i32> { Err(unsupported("proxy_grpc_close")) },
    )?;
    Ok(())
}
