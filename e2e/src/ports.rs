use std::net::TcpListener;

/// `n` distinct loopback ports that were free a moment ago: all are held until the last is
/// picked, so the kernel cannot hand the same one out twice within the set, then released.
/// Another process can grab one before we use it; `Envoy::start` retries on a bind conflict
/// (the listeners are rendered without SO_REUSEPORT, so a clash is an error, not a share).
pub fn free_ports(n: usize) -> std::io::Result<Vec<u16>> {
    let held = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<std::io::Result<Vec<_>>>()?;
    held.iter().map(|l| Ok(l.local_addr()?.port())).collect()
}
