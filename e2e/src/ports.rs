use std::net::TcpListener;

/// A loopback port that was free a moment ago (bound to :0, then released).
/// Another process can grab it before we use it; `Envoy::start` retries on a bind conflict.
pub fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
