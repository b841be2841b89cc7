//! The values a test sees: log levels, actions, captured local responses and
//! http calls, and the error of a refused configuration.

use std::fmt;

/// Log levels of the proxy-wasm ABI (`proxy_log`, `proxy_get_log_level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    Trace = 0,
    Debug = 1,
    Info = 2,
    Warn = 3,
    Error = 4,
    Critical = 5,
}

impl LogLevel {
    pub(crate) fn from_abi(level: i32) -> Option<Self> {
        Some(match level {
            0 => LogLevel::Trace,
            1 => LogLevel::Debug,
            2 => LogLevel::Info,
            3 => LogLevel::Warn,
            4 => LogLevel::Error,
            5 => LogLevel::Critical,
            _ => return None,
        })
    }
}

/// What `proxy_replace_header_map_value` does to a header the map holds
/// more than once ([`crate::Host::set_replace_semantics`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ReplaceSemantics {
    /// Envoy's (`HeaderMap::setCopy`): every copy is removed, then one is
    /// added — a pseudo-header before the regular headers, any other header
    /// last.
    #[default]
    AllCopies,
    /// Hosts (and Envoys before `http_set_copy_replace_all_headers`) that
    /// set the first copy in place and leave the others; appends when absent.
    FirstCopyOnly,
}

impl ReplaceSemantics {
    /// Both, for tests that must hold on every host.
    pub const ALL: [ReplaceSemantics; 2] =
        [ReplaceSemantics::AllCopies, ReplaceSemantics::FirstCopyOnly];
}

/// What a filter callback returned: go on, or stop the stream here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Continue,
    Pause,
}

/// A response the filter sent with `proxy_send_local_response`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalResponse {
    pub status: u32,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The status code details (`send_http_response` of the Rust SDK sends none).
    pub details: String,
}

impl LocalResponse {
    /// The first value of a header (names compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        find(&self.headers, name)
    }

    /// The body as UTF-8 (lossy), handy in assertions.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// An http call the filter dispatched with `proxy_http_call` and that the test
/// has not answered yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCall {
    pub token: u32,
    /// The cluster name the filter asked for.
    pub upstream: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub timeout_ms: u32,
    pub trailers: Vec<(String, String)>,
}

impl HttpCall {
    /// The first value of a header (names compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        find(&self.headers, name)
    }
}

/// `on_vm_start` or `on_configure` returned false: the filter refused its
/// configuration. Carries every log line the filter wrote, so the test output
/// shows why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigRefused {
    pub logs: Vec<(LogLevel, String)>,
}

impl ConfigRefused {
    /// True if some log line contains `needle`.
    pub fn logged(&self, needle: &str) -> bool {
        self.logs.iter().any(|(_, line)| line.contains(needle))
    }
}

impl fmt::Display for ConfigRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the filter refused its configuration")?;
        for (level, line) in &self.logs {
            write!(f, "\n  [{level:?}] {line}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigRefused {}

/// The first value of `name` in a stream map, as bytes.
pub(crate) fn find_bytes<'a>(headers: &'a [(String, Vec<u8>)], name: &str) -> Option<&'a [u8]> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_slice())
}

pub(crate) fn find<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}
