//! A plain-HTTP client for tests: one fresh connection per request, no status-as-error,
//! headers exactly as given (a `host` header overrides the authority).

use crate::header_list;
use anyhow::{Context, Result};
use std::time::Duration;

/// A response as the client received it.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Lowercase names, in received order.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    /// First value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        header_list::first(&self.headers, name)
    }

    /// Every value of a header, in order.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        header_list::all(&self.headers, name)
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_str(&self.body).with_context(|| {
            format!(
                "response body is not JSON (status {}): {}",
                self.status, self.body
            )
        })
    }
}

pub fn get(url: &str, headers: &[(&str, &str)]) -> Result<Response> {
    request("GET", url, headers, b"")
}

pub fn post(url: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<Response> {
    request("POST", url, headers, body)
}

/// Any method, any headers, a body (empty for none).
pub fn request(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<Response> {
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .allow_non_standard_methods(true)
            .max_idle_connections(0)
            .timeout_global(Some(Duration::from_secs(20)))
            .build(),
    );
    let mut builder = ureq::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    // No body means no content-length header, as curl would send a GET.
    let result = if body.is_empty() {
        builder.body(()).map(|req| agent.run(req))
    } else {
        builder.body(body.to_vec()).map(|req| agent.run(req))
    };
    let mut resp = result
        .with_context(|| format!("building {method} {url}"))?
        .with_context(|| format!("{method} {url}"))?;
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let bytes = resp
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_vec()
        .with_context(|| format!("reading body of {method} {url}"))?;
    Ok(Response {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    })
}

/// Sends one raw HTTP/1.1 GET to 127.0.0.1:`port` (bytes exactly as given, so header values
/// that are not UTF-8 and unnormalized paths reach Envoy) and returns the
/// status and body.
pub fn raw_get(port: u16, path: &str, headers: &[(&str, &[u8])]) -> Result<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut req = format!("GET {path} HTTP/1.1\r\nhost: svc\r\nconnection: close\r\n").into_bytes();
    for (name, value) in headers {
        req.extend_from_slice(name.as_bytes());
        req.extend_from_slice(b": ");
        req.extend_from_slice(value);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"\r\n");
    s.write_all(&req)?;
    // Read up to the end of the body by content-length: Envoy closes a
    // connection after a local reply only after its delayed-close timeout.
    let mut out = Vec::new();
    let mut chunk = [0u8; 4096];
    let text = loop {
        let n = s.read(&mut chunk)?;
        out.extend_from_slice(chunk.get(..n).unwrap_or_default());
        let text = String::from_utf8_lossy(&out).into_owned();
        let complete = text.split_once("\r\n\r\n").is_some_and(|(head, body)| {
            head.lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().to_string())
                })
                .and_then(|v| v.parse::<usize>().ok())
                .is_some_and(|len| body.len() >= len)
        });
        if n == 0 || complete {
            break text;
        }
    };
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no status line in {text:?}"))?;
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    Ok((status, body))
}
