//! Everything the host knows about one VM: what the host functions read and
//! write, and what the test inspects afterwards.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::SystemTime;

use crate::types::{HttpCall, LocalResponse, LogLevel, ReplaceSemantics};

/// Values are bytes: a client can send a header value that is not UTF-8.
pub(crate) type Headers = Vec<(String, Vec<u8>)>;
pub(crate) type PropertyPath = Vec<String>;

pub(crate) const ROOT_CONTEXT: u32 = 1;

/// The data of the wasmtime store.
pub(crate) struct State {
    pub now: SystemTime,
    pub monotonic_ns: u64,
    pub rng: u64,
    pub env: Vec<(String, String)>,
    pub log_level: LogLevel,
    pub logs: Vec<(LogLevel, String)>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub echo: bool,
    /// What `proxy_replace_header_map_value` does to repeated headers.
    pub replace: ReplaceSemantics,

    pub vm_config: Vec<u8>,
    pub plugin_config: Vec<u8>,
    pub properties: HashMap<PropertyPath, Vec<u8>>,

    /// The context the filter acts on (`proxy_set_effective_context` moves it).
    pub effective: u32,
    pub streams: HashMap<u32, StreamState>,
    /// Set while `on_http_call_response` runs.
    pub call_response: Option<CallResponse>,
    /// What `proxy_get_status` answers (Envoy sets it when a call fails).
    pub status: (u32, String),

    pub shared: HashMap<String, (Vec<u8>, u32)>,
    pub next_cas: u32,
    pub queues: Vec<Queue>,
    pub ready_queues: Vec<u32>,

    pub tick_period_ms: u32,
    pub metrics: Vec<Metric>,
    pub metric_ids: HashMap<u32, usize>,
    pub next_metric_id: u32,

    pub http_calls: BTreeMap<u32, PendingCall>,
    pub next_token: u32,
    pub clusters: Option<Vec<String>>,

    pub foreign_calls: Vec<String>,
    /// What `verify_signature` answers (`Host::set_verify_signature`).
    pub verify_signature: crate::VerifySignature,
    pub done_calls: u32,
    /// Calls the filter made into the host (every import, WASI included).
    pub host_calls: u64,
}

#[derive(Default)]
pub(crate) struct StreamState {
    pub request_headers: Option<Headers>,
    pub request_trailers: Option<Headers>,
    pub response_headers: Option<Headers>,
    pub response_trailers: Option<Headers>,
    /// Body data the filter is looking at (buffered while it pauses).
    pub request_body: Vec<u8>,
    pub response_body: Vec<u8>,
    /// Body data passed on (to the upstream, to the client).
    pub request_body_sent: Vec<u8>,
    pub response_body_sent: Vec<u8>,
    pub local_response: Option<LocalResponse>,
    pub request_resumed: bool,
    pub response_resumed: bool,
    pub request_closed: bool,
    pub response_closed: bool,
    pub properties: HashMap<PropertyPath, Vec<u8>>,
    /// True while `on_log` runs: Envoy answers missing maps with NotFound then.
    pub in_log: bool,
}

pub(crate) struct CallResponse {
    pub headers: Headers,
    pub body: Vec<u8>,
    pub trailers: Headers,
}

pub(crate) struct PendingCall {
    pub call: HttpCall,
    pub context: u32,
}

pub(crate) struct Queue {
    pub name: String,
    pub items: VecDeque<Vec<u8>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MetricKind {
    Counter,
    Gauge,
    Histogram,
}

pub(crate) struct Metric {
    pub name: String,
    pub kind: MetricKind,
    pub value: u64,
    pub samples: Vec<u64>,
}

impl State {
    pub fn new() -> Self {
        State {
            now: SystemTime::now(),
            monotonic_ns: 1_000_000_000,
            rng: 0x9E37_79B9_7F4A_7C15,
            env: Vec::new(),
            log_level: LogLevel::Trace,
            logs: Vec::new(),
            stdout: Vec::new(),
            stderr: Vec::new(),
            echo: std::env::var_os("TESTHOST_QUIET").is_none(),
            replace: ReplaceSemantics::default(),
            vm_config: Vec::new(),
            plugin_config: Vec::new(),
            properties: HashMap::new(),
            effective: ROOT_CONTEXT,
            streams: HashMap::new(),
            call_response: None,
            status: (0, String::new()),
            shared: HashMap::new(),
            next_cas: 1,
            queues: Vec::new(),
            ready_queues: Vec::new(),
            tick_period_ms: 0,
            metrics: Vec::new(),
            metric_ids: HashMap::new(),
            next_metric_id: 0,
            http_calls: BTreeMap::new(),
            next_token: 1,
            clusters: None,
            foreign_calls: Vec::new(),
            verify_signature: crate::VerifySignature::default(),
            done_calls: 0,
            host_calls: 0,
        }
    }

    /// The stream the filter currently acts on, if it is a stream.
    pub fn effective_stream(&mut self) -> Option<&mut StreamState> {
        let id = self.effective;
        self.streams.get_mut(&id)
    }

    pub fn stream(&mut self, id: u32) -> &mut StreamState {
        self.streams
            .get_mut(&id)
            .unwrap_or_else(|| panic!("testhost: stream {id} is finished or was never created"))
    }

    /// Envoy's CAS counter: never 0, which means "no CAS" on the wire.
    pub fn take_cas(&mut self) -> u32 {
        let cas = self.next_cas;
        self.next_cas = self.next_cas.wrapping_add(1).max(1);
        cas
    }

    pub fn set_shared(&mut self, key: &str, value: Vec<u8>) {
        let cas = self.take_cas();
        self.shared.insert(key.to_owned(), (value, cas));
    }

    /// xorshift64*: deterministic, so a failing test replays the same bytes.
    pub fn random_bytes(&mut self, out: &mut [u8]) {
        for byte in out {
            self.rng ^= self.rng >> 12;
            self.rng ^= self.rng << 25;
            self.rng ^= self.rng >> 27;
            *byte = (self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8;
        }
    }

    pub fn log(&mut self, level: LogLevel, message: String) {
        if self.echo {
            eprintln!("[filter {level:?}] {message}");
        }
        self.logs.push((level, message));
    }

    pub fn metric_by_name(&self, name: &str) -> Option<&Metric> {
        let short = name.strip_prefix("wasmcustom.").unwrap_or(name);
        self.metrics
            .iter()
            .find(|m| m.name == name || m.name == short)
    }

    pub fn queue_id(&self, name: &str) -> Option<u32> {
        self.queues
            .iter()
            .position(|q| q.name == name)
            .map(|i| i as u32 + 1)
    }

    pub fn queue(&mut self, id: u32) -> Option<&mut Queue> {
        let index = (id as usize).checked_sub(1)?;
        self.queues.get_mut(index)
    }
}
