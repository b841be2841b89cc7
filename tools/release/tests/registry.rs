//! `make push` against a real registry (Debian's docker-registry on loopback), then the images
//! pulled back by digest, the way Istio pulls a digest-pinned WasmPlugin. Needs skopeo and
//! docker-registry (`make release-tools` installs them); fails, never skips, without them.

use release::{locate, oci, FILTERS};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Registry {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Registry {
    fn start() -> Registry {
        let dir = std::env::temp_dir().join(format!("release-registry-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("storage")).unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.join("storage").display()
        );
        std::fs::write(dir.join("config.yml"), config).unwrap();
        let child = Command::new(tool("docker-registry"))
            .arg("serve")
            .arg(dir.join("config.yml"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let registry = Registry { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        while get(port, "/v2/", "").map(|r| r.0) != Some(200) {
            assert!(
                Instant::now() < deadline,
                "docker-registry did not answer on 127.0.0.1:{port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        registry
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The tool's path, or a failure that says how to install it.
fn tool(name: &str) -> String {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(found, "{name} is not installed: run `make release-tools`");
    name.to_string()
}

/// A plain HTTP/1.0 GET on loopback: (status, headers, body).
fn get(port: u16, path: &str, accept: &str) -> Option<(u16, String, Vec<u8>)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nAccept: {accept}\r\n\r\n"
    )
    .ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, head, raw[split + 4..].to_vec()))
}

fn make_push(layouts: &Path, registry: &str) {
    let out = Command::new("make")
        .current_dir(locate::workspace_root())
        .args(["-s", "push-layouts", "PUSH_TLS_VERIFY=false"])
        .arg(format!("OCI_OUT={}", layouts.display()))
        .arg(format!("REGISTRY={registry}"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "make push-layouts failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn push_then_pull_by_digest_gives_back_the_dist_modules() {
    tool("skopeo");
    let registry = Registry::start();
    let work = registry.dir.join("work");
    let status = Command::new(env!("CARGO_BIN_EXE_release"))
        .args(["oci", "--out"])
        .arg(work.join("oci"))
        .status()
        .unwrap();
    assert!(status.success());
    let repo = format!("127.0.0.1:{}/kfaas", registry.port);
    make_push(&work.join("oci"), &repo);

    for (image, module) in FILTERS {
        let (digest, _) = oci::read_layout_like_istio(&work.join("oci").join(image)).unwrap();
        // The registry serves the manifest under the same digest the manifests pin.
        let (status, head, body) = get(
            registry.port,
            &format!("/v2/kfaas/{image}/manifests/sha256:{digest}"),
            oci::MANIFEST_MEDIA_TYPE,
        )
        .unwrap();
        assert_eq!(status, 200, "{head}");
        assert_eq!(oci::sha256_hex(&body), digest);
        assert!(
            head.to_ascii_lowercase()
                .contains(&format!("docker-content-digest: sha256:{digest}")),
            "{head}"
        );

        // Pull by digest into a fresh layout and unpack as Istio does.
        let pulled = work.join(format!("pulled-{image}"));
        let out = Command::new("skopeo")
            .args(["copy", "--quiet", "--src-tls-verify=false"])
            .arg(format!("docker://{repo}/{image}@sha256:{digest}"))
            .arg(format!("oci:{}:pulled", pulled.display()))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (pulled_digest, wasm) = oci::read_layout_like_istio(&pulled).unwrap();
        assert_eq!(pulled_digest, digest);
        let dist =
            std::fs::read(locate::dist_module(&locate::dist_dir(), module).unwrap()).unwrap();
        assert!(
            wasm == dist,
            "{image}: pulled module differs from dist/{module}.wasm"
        );
    }

    // A digest nobody pushed is not there.
    let missing = get(
        registry.port,
        &format!("/v2/kfaas/jwt-auth/manifests/sha256:{}", "0".repeat(64)),
        oci::MANIFEST_MEDIA_TYPE,
    )
    .unwrap();
    assert_eq!(missing.0, 404);
}
