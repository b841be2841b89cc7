//! Native upstream servers on loopback: an echo server, or any handler a test supplies.
//! `stop()` closes the listening port (Envoy then gets "connection refused" and answers 503);
//! `restart()` listens on the same port again.

use crate::header_list;
use anyhow::{anyhow, Context, Result};
use serde_json::{json, Map, Value};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A request as the upstream received it.
#[derive(Debug, Clone)]
pub struct UpstreamRequest {
    pub method: String,
    pub path: String,
    /// The Host header.
    pub authority: String,
    /// Lowercase names, in received order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl UpstreamRequest {
    /// First value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        header_list::first(&self.headers, name)
    }

    /// Every value of a header, one per header line received (case-insensitive name).
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        header_list::all(&self.headers, name)
    }

    /// What the echo server answers: upstream name, method, path, authority and headers
    /// (repeated headers joined with ", ").
    pub fn echo_json(&self, upstream: &str) -> Value {
        let mut headers = Map::new();
        for (k, v) in &self.headers {
            match headers.get_mut(k) {
                Some(Value::String(prev)) => {
                    prev.push_str(", ");
                    prev.push_str(v);
                }
                _ => {
                    headers.insert(k.clone(), Value::String(v.clone()));
                }
            }
        }
        json!({
            "upstream": upstream,
            "method": self.method,
            "path": self.path,
            "authority": self.authority,
            "headers": headers,
        })
    }
}

/// What a handler answers.
#[derive(Debug, Clone)]
pub struct UpstreamResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl UpstreamResponse {
    pub fn json(status: u16, body: &Value) -> Self {
        UpstreamResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        }
    }

    pub fn text(status: u16, body: &str) -> Self {
        UpstreamResponse {
            status,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

type Handler = Arc<dyn Fn(&UpstreamRequest) -> UpstreamResponse + Send + Sync>;

struct Running {
    server: Arc<tiny_http::Server>,
    thread: JoinHandle<()>,
}

/// A loopback HTTP/1.1 server, stopped on drop.
pub struct Upstream {
    name: String,
    port: u16,
    handler: Handler,
    seen: Arc<Mutex<Vec<UpstreamRequest>>>,
    running: Mutex<Option<Running>>,
}

impl Upstream {
    /// Answers every request with `UpstreamRequest::echo_json(name)`, status 200.
    pub fn echo(name: &str) -> Result<Upstream> {
        let upstream = name.to_owned();
        Upstream::custom(name, move |req| {
            UpstreamResponse::json(200, &req.echo_json(&upstream))
        })
    }

    /// Answers 500 to the first `failures` attempts of each request (attempts
    /// share Envoy's `x-request-id`, retries included), then echoes with 200:
    /// `hits()` tells how many attempts Envoy made.
    pub fn flaky(name: &str, failures: usize) -> Result<Upstream> {
        let upstream = name.to_owned();
        let attempts: Mutex<std::collections::HashMap<String, usize>> = Mutex::default();
        Upstream::custom(name, move |req| {
            let id = req.header("x-request-id").unwrap_or_default().to_owned();
            let n = {
                let mut seen = lock(&attempts);
                let n = seen.entry(id).or_insert(0);
                *n += 1;
                *n
            };
            if n <= failures {
                UpstreamResponse::text(500, "flaky: failing on purpose")
            } else {
                UpstreamResponse::json(200, &req.echo_json(&upstream))
            }
        })
    }

    /// Echoes with 200 after `delay`.
    pub fn slow(name: &str, delay: Duration) -> Result<Upstream> {
        let upstream = name.to_owned();
        Upstream::custom(name, move |req| {
            std::thread::sleep(delay);
            UpstreamResponse::json(200, &req.echo_json(&upstream))
        })
    }

    /// Answers with `handler`. Each request runs on its own thread, so a handler may call
    /// other services (through Envoy) before answering.
    pub fn custom<F>(name: &str, handler: F) -> Result<Upstream>
    where
        F: Fn(&UpstreamRequest) -> UpstreamResponse + Send + Sync + 'static,
    {
        let server = tiny_http::Server::http("127.0.0.1:0")
            .map_err(|e| anyhow!("upstream {name}: bind: {e}"))?;
        let port = server
            .server_addr()
            .to_ip()
            .map(|a| a.port())
            .context("upstream has no IP address")?;
        let up = Upstream {
            name: name.to_owned(),
            port,
            handler: Arc::new(handler),
            seen: Arc::default(),
            running: Mutex::new(None),
        };
        up.serve(server);
        Ok(up)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port><path>` (direct, bypassing Envoy).
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<UpstreamRequest> {
        lock(&self.seen).clone()
    }

    pub fn hits(&self) -> usize {
        lock(&self.seen).len()
    }

    pub fn is_running(&self) -> bool {
        lock(&self.running).is_some()
    }

    /// Closes the listening port. Connections already accepted are not served any more;
    /// harness clusters use one request per connection so Envoy never reuses one.
    pub fn stop(&self) {
        let running = lock(&self.running).take();
        if let Some(Running { server, thread }) = running {
            server.unblock();
            let _ = thread.join();
            drop(server); // the last reference: tiny_http closes the listener
        }
    }

    /// Listens on the same port again (retrying while the old socket is released).
    pub fn restart(&self) -> Result<()> {
        if self.is_running() {
            return Ok(());
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match tiny_http::Server::http(("127.0.0.1", self.port)) {
                Ok(server) => {
                    self.serve(server);
                    return Ok(());
                }
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => {
                    return Err(anyhow!(
                        "upstream {}: rebind port {}: {e}",
                        self.name,
                        self.port
                    ))
                }
            }
        }
    }

    fn serve(&self, server: tiny_http::Server) {
        let server = Arc::new(server);
        let accept = Arc::clone(&server);
        let handler = Arc::clone(&self.handler);
        let seen = Arc::clone(&self.seen);
        let thread = std::thread::spawn(move || {
            while let Ok(rq) = accept.recv() {
                let handler = Arc::clone(&handler);
                let seen = Arc::clone(&seen);
                std::thread::spawn(move || answer(rq, &*handler, &seen));
            }
        });
        *lock(&self.running) = Some(Running { server, thread });
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.stop();
    }
}

fn answer(
    mut rq: tiny_http::Request,
    handler: &(dyn Fn(&UpstreamRequest) -> UpstreamResponse + Send + Sync),
    seen: &Mutex<Vec<UpstreamRequest>>,
) {
    let mut body = Vec::new();
    if rq.as_reader().read_to_end(&mut body).is_err() {
        return;
    }
    let headers: Vec<(String, String)> = rq
        .headers()
        .iter()
        .map(|h| {
            (
                h.field.as_str().as_str().to_ascii_lowercase(),
                h.value.as_str().to_owned(),
            )
        })
        .collect();
    let authority = headers
        .iter()
        .find(|(k, _)| k == "host")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let req = UpstreamRequest {
        method: rq.method().as_str().to_owned(),
        path: rq.url().to_owned(),
        authority,
        headers,
        body,
    };
    lock(seen).push(req.clone());
    let out = handler(&req);
    let mut resp = tiny_http::Response::from_data(out.body).with_status_code(out.status);
    for (k, v) in &out.headers {
        if let Ok(h) = tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()) {
            resp.add_header(h);
        }
    }
    let _ = rq.respond(resp);
}

/// A poisoned lock only means another test thread panicked; the data is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
