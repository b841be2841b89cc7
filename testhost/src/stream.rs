//! One http stream (an http context of the filter), driven phase by phase.

use std::cell::RefCell;
use std::rc::Rc;

use crate::state::{Headers, State, StreamState};
use crate::types::{find_bytes, Action, LocalResponse};
use crate::vm::Vm;

/// An http stream. Holds a shared handle to the VM, not a borrow of the
/// [`Host`](crate::Host): the test can use both side by side.
pub struct Stream {
    vm: Rc<RefCell<Vm>>,
    id: u32,
    finished: bool,
}

/// Header names are lower-cased, as Envoy's codecs do.
pub(crate) fn owned(pairs: &[(&str, &str)]) -> Headers {
    pairs
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.as_bytes().to_vec()))
        .collect()
}

/// A map as text for the test; a value that is not UTF-8 is shown lossily.
fn text(map: &Option<Headers>) -> Vec<(String, String)> {
    map.iter()
        .flatten()
        .map(|(k, v)| (k.clone(), String::from_utf8_lossy(v).into_owned()))
        .collect()
}

impl Stream {
    pub(crate) fn new(vm: Rc<RefCell<Vm>>, id: u32) -> Stream {
        Stream {
            vm,
            id,
            finished: false,
        }
    }

    /// The context id the filter sees.
    pub fn id(&self) -> u32 {
        self.id
    }

    fn with<T>(&self, f: impl FnOnce(&mut StreamState) -> T) -> T {
        let mut vm = self.vm.borrow_mut();
        f(vm.state().stream(self.id))
    }

    fn callback<P: wasmtime::WasmParams + std::fmt::Debug>(
        &mut self,
        func: &str,
        params: P,
        prepare: impl FnOnce(&mut State),
    ) -> Action {
        assert!(
            !self.finished,
            "testhost: {func} on stream {} after finish()",
            self.id
        );
        let mut vm = self.vm.borrow_mut();
        prepare(vm.state());
        let action: i32 = vm.call(self.id, func, params);
        match action {
            0 => Action::Continue,
            1 => Action::Pause,
            other => panic!("testhost: {func} returned unknown action {other}"),
        }
    }

    /// Runs `on_http_request_headers` with these headers (names lower-cased).
    pub fn request_headers(&mut self, headers: &[(&str, &str)], end_of_stream: bool) -> Action {
        let (id, headers) = (self.id, owned(headers));
        let count = headers.len() as i32;
        self.callback(
            "proxy_on_request_headers",
            (id as i32, count, end_of_stream as i32),
            |s| s.stream(id).request_headers = Some(headers),
        )
    }

    /// Like `request_headers`, with values given as bytes: a client can send
    /// a value that is not UTF-8 (e.g. Latin-1 `é`, byte 0xE9).
    pub fn request_headers_bytes(
        &mut self,
        headers: &[(&str, &[u8])],
        end_of_stream: bool,
    ) -> Action {
        let id = self.id;
        let headers: Headers = headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_vec()))
            .collect();
        let count = headers.len() as i32;
        self.callback(
            "proxy_on_request_headers",
            (id as i32, count, end_of_stream as i32),
            |s| s.stream(id).request_headers = Some(headers),
        )
    }

    /// Runs `on_http_request_body` with this chunk. Like Envoy, data stays
    /// buffered while the filter answers Pause, so the next call sees the
    /// whole buffer; on Continue (or a later `continue_stream`) it is passed on.
    pub fn request_body(&mut self, chunk: impl AsRef<[u8]>, end_of_stream: bool) -> Action {
        let id = self.id;
        let chunk = chunk.as_ref().to_vec();
        let size = self.with(|s| {
            s.request_body.extend_from_slice(&chunk);
            s.request_body.len()
        });
        let action = self.callback(
            "proxy_on_request_body",
            (id as i32, size as i32, end_of_stream as i32),
            |_| {},
        );
        if action == Action::Continue {
            self.with(|s| {
                let body = std::mem::take(&mut s.request_body);
                s.request_body_sent.extend(body);
            });
        }
        action
    }

    pub fn request_trailers(&mut self, trailers: &[(&str, &str)]) -> Action {
        let (id, trailers) = (self.id, owned(trailers));
        let params = (id as i32, trailers.len() as i32);
        self.callback("proxy_on_request_trailers", params, |s| {
            s.stream(id).request_trailers = Some(trailers)
        })
    }

    /// Runs `on_http_response_headers` with these headers (include `:status`).
    pub fn response_headers(&mut self, headers: &[(&str, &str)], end_of_stream: bool) -> Action {
        let (id, headers) = (self.id, owned(headers));
        let count = headers.len() as i32;
        self.callback(
            "proxy_on_response_headers",
            (id as i32, count, end_of_stream as i32),
            |s| s.stream(id).response_headers = Some(headers),
        )
    }

    /// Like [`Stream::request_body`], for the response.
    pub fn response_body(&mut self, chunk: impl AsRef<[u8]>, end_of_stream: bool) -> Action {
        let id = self.id;
        let chunk = chunk.as_ref().to_vec();
        let size = self.with(|s| {
            s.response_body.extend_from_slice(&chunk);
            s.response_body.len()
        });
        let action = self.callback(
            "proxy_on_response_body",
            (id as i32, size as i32, end_of_stream as i32),
            |_| {},
        );
        if action == Action::Continue {
            self.with(|s| {
                let body = std::mem::take(&mut s.response_body);
                s.response_body_sent.extend(body);
            });
        }
        action
    }

    pub fn response_trailers(&mut self, trailers: &[(&str, &str)]) -> Action {
        let (id, trailers) = (self.id, owned(trailers));
        let params = (id as i32, trailers.len() as i32);
        self.callback("proxy_on_response_trailers", params, |s| {
            s.stream(id).response_trailers = Some(trailers)
        })
    }

    /// Ends the stream like Envoy: `on_done`, `on_log`, `on_delete`. Http
    /// calls still pending for it are cancelled. The captured state stays
    /// readable.
    pub fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        let id = self.id;
        let mut vm = self.vm.borrow_mut();
        let _done: i32 = vm.call(id, "proxy_on_done", (id as i32,));
        vm.state().stream(id).in_log = true;
        vm.call::<_, ()>(id, "proxy_on_log", (id as i32,));
        vm.state().stream(id).in_log = false;
        vm.call::<_, ()>(id, "proxy_on_delete", (id as i32,));
        vm.state().http_calls.retain(|_, call| call.context != id);
    }

    /// A per-stream property, seen before host-wide ones, e.g.
    /// `&["listener_direction"]` with `&1i64.to_le_bytes()` (1 = INBOUND).
    pub fn set_property(&mut self, path: &[&str], value: impl AsRef<[u8]>) {
        let path = path.iter().map(|s| s.to_string()).collect();
        let value = value.as_ref().to_vec();
        self.with(|s| s.properties.insert(path, value));
    }

    /// A property as the filter would read it now (stream, derived, host).
    pub fn property(&self, path: &[&str]) -> Option<Vec<u8>> {
        let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        let mut vm = self.vm.borrow_mut();
        let state = vm.state();
        let previous = std::mem::replace(&mut state.effective, self.id);
        let value = crate::properties::lookup(state, &path);
        state.effective = previous;
        value
    }

    /// The current value of a request header (as the upstream would get it).
    pub fn request_header(&self, name: &str) -> Option<String> {
        self.with(|s| header(&s.request_headers, name))
    }

    /// Every value of a request header, in order (each copy the upstream
    /// would get); names compared lower-cased.
    pub fn request_header_all(&self, name: &str) -> Vec<String> {
        let name = name.to_ascii_lowercase();
        self.request_headers_now()
            .into_iter()
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v)
            .collect()
    }

    pub fn request_headers_now(&self) -> Vec<(String, String)> {
        self.with(|s| text(&s.request_headers))
    }

    pub fn request_trailers_now(&self) -> Vec<(String, String)> {
        self.with(|s| text(&s.request_trailers))
    }

    pub fn response_header(&self, name: &str) -> Option<String> {
        self.with(|s| header(&s.response_headers, name))
    }

    pub fn response_headers_now(&self) -> Vec<(String, String)> {
        self.with(|s| text(&s.response_headers))
    }

    pub fn response_trailers_now(&self) -> Vec<(String, String)> {
        self.with(|s| text(&s.response_trailers))
    }

    /// Request body data passed on to the upstream so far.
    pub fn request_body_sent(&self) -> Vec<u8> {
        self.with(|s| s.request_body_sent.clone())
    }

    /// Response body data passed on to the client so far.
    pub fn response_body_sent(&self) -> Vec<u8> {
        self.with(|s| s.response_body_sent.clone())
    }

    /// The response the filter sent with `send_http_response`, if any.
    pub fn local_response(&self) -> Option<LocalResponse> {
        self.with(|s| s.local_response.clone())
    }

    /// The filter called `resume_http_request` (after a Pause).
    pub fn resumed(&self) -> bool {
        self.with(|s| s.request_resumed)
    }

    /// The filter called `resume_http_response`.
    pub fn response_resumed(&self) -> bool {
        self.with(|s| s.response_resumed)
    }

    /// The filter called `reset_http_request` (proxy_close_stream).
    pub fn request_closed(&self) -> bool {
        self.with(|s| s.request_closed)
    }

    /// The filter called `reset_http_response`.
    pub fn response_closed(&self) -> bool {
        self.with(|s| s.response_closed)
    }
}

fn header(map: &Option<Headers>, name: &str) -> Option<String> {
    map.as_deref()
        .and_then(|m| find_bytes(m, name))
        .map(|v| String::from_utf8_lossy(v).into_owned())
}
