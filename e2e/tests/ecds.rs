//! Filter configuration delivered the way istiod delivers a WasmPlugin: the HCM's HTTP filter
//! entry has no config of its own, only `config_discovery`, and Envoy takes the Wasm filter
//! config from extension config discovery (ECDS). Here the config source is a watched file,
//! replaced by an atomic rename as a control plane's push would replace it. Under steady
//! load, a new pluginConfig takes over without one failed request, and a broken one is
//! refused while the previous keeps serving.

use e2e::{http, Envoy, EnvoyConfig, Routes, Upstream, WasmFilter};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const FILTER_NAME: &str = "extensions.istio.io/wasmplugin/kfaas-system.faas-router";
const WASM_TYPE: &str = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm";
const LOAD_THREADS: usize = 3;

fn route(prefix_or_exact: (&str, &str), service: &str, namespace: &str) -> Value {
    json!({"match": {prefix_or_exact.0: prefix_or_exact.1}, "service": service, "namespace": namespace})
}

fn faas_config(routes: Vec<Value>) -> Value {
    json!({
        "pathPrefix": "/faas/api/",
        "clusterDomain": "svc.cluster.local",
        "routes": routes,
        "headers": {"service": "x-faas-service", "namespace": "x-faas-namespace", "route": "x-faas-route"},
        "rewriteAuthority": true,
        "onNoMatch": "reject",
    })
}

/// The ECDS file: a DiscoveryResponse holding one TypedExtensionConfig, the filter istiod
/// would render for the WasmPlugin (same name, same Wasm config shape).
struct EcdsFile {
    dir: PathBuf,
    version: u32,
}

impl EcdsFile {
    fn new() -> EcdsFile {
        let dir = std::env::temp_dir().join(format!("e2e-ecds-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        EcdsFile { dir, version: 0 }
    }

    fn path(&self) -> PathBuf {
        self.dir.join("wasmplugins.json")
    }

    /// Writes beside the watched file, then renames over it: Envoy never reads half a file.
    fn publish(&mut self, plugin_config: &Value) {
        self.version += 1;
        let filter = WasmFilter::new("faas-router", "kfaas-system", e2e::dist("faas_router"))
            .config(plugin_config)
            .fail_closed()
            .to_json();
        let mut resource = filter;
        resource["@type"] = json!("type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig");
        let response = json!({
            "version_info": self.version.to_string(),
            "type_url": "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig",
            "resources": [resource],
        });
        let tmp = self.dir.join(format!(".wasmplugins.json.{}", self.version));
        std::fs::write(&tmp, serde_json::to_vec_pretty(&response).unwrap()).unwrap();
        std::fs::rename(&tmp, self.path()).unwrap();
    }
}

impl Drop for EcdsFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The HTTP filter entry istiod writes for a WasmPlugin: a name and a config source only.
fn discovered_filter(ecds: &EcdsFile) -> Value {
    json!({
        "name": FILTER_NAME,
        "config_discovery": {
            "config_source": {
                "path_config_source": {
                    "path": ecds.path().to_string_lossy(),
                    "watched_directory": {"path": ecds.dir.to_string_lossy()},
                },
                "resource_api_version": "V3",
            },
            "type_urls": [WASM_TYPE],
        }
    })
}

fn stat_ending(envoy: &Envoy, suffix: &str) -> u64 {
    envoy
        .stats()
        .unwrap()
        .into_iter()
        .filter(|(k, _)| k.starts_with("extension_config_discovery.") && k.ends_with(suffix))
        .map(|(_, v)| v)
        .sum()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Client threads sending a request that every configuration routes, counting outcomes.
struct Load {
    stop: Arc<AtomicBool>,
    ok: Arc<AtomicU64>,
    failures: Arc<Mutex<Vec<String>>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Load {
    fn start(url: String) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let ok = Arc::new(AtomicU64::new(0));
        let failures = Arc::new(Mutex::new(Vec::new()));
        let threads = (0..LOAD_THREADS)
            .map(|_| {
                let (stop, ok, failures, url) =
                    (stop.clone(), ok.clone(), failures.clone(), url.clone());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        match http::get(&url, &[]) {
                            Ok(r)
                                if r.status == 200
                                    && r.json()
                                        .map(|j| j["upstream"] == "showroom")
                                        .unwrap_or(false) =>
                            {
                                ok.fetch_add(1, Ordering::Relaxed);
                            }
                            Ok(r) => failures
                                .lock()
                                .unwrap()
                                .push(format!("{} {}", r.status, r.body)),
                            Err(e) => failures.lock().unwrap().push(format!("{e:#}")),
                        }
                    }
                })
            })
            .collect();
        Load {
            stop,
            ok,
            failures,
            threads,
        }
    }

    /// Waits until `n` more requests succeeded (the load is really running).
    fn wait_more(&self, n: u64) {
        let target = self.ok.load(Ordering::Relaxed) + n;
        wait_for("load progress", || {
            self.ok.load(Ordering::Relaxed) >= target
        });
    }

    fn finish(self) -> (u64, Vec<String>) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            t.join().unwrap();
        }
        let failures = self.failures.lock().unwrap().clone();
        (self.ok.load(Ordering::Relaxed), failures)
    }
}

fn echo_of(r: &http::Response) -> Value {
    r.json().unwrap()
}

#[test]
fn ecds_swaps_plugin_config_under_load_and_refuses_a_broken_one() {
    let showroom = Upstream::echo("showroom").unwrap();
    let render = Upstream::echo("render").unwrap();
    let mut ecds = EcdsFile::new();
    let v1 = vec![route(
        ("prefix", "/faas/api/saas/showroom/"),
        "saas-showroom",
        "faas-alpha",
    )];
    ecds.publish(&faas_config(v1.clone()));

    let routes = Routes::new()
        .header_to_cluster("x-faas-service", "saas-showroom", "showroom")
        .header_to_cluster("x-faas-service", "render", "render");
    let filter = discovered_filter(&ecds);
    let cfg = EnvoyConfig::new()
        .upstream(&showroom)
        .upstream(&render)
        .routes(routes)
        .concurrency(2)
        .patch(move |b| {
            let filters = &mut b["static_resources"]["listeners"][0]["filter_chains"][0]["filters"]
                [0]["typed_config"]["http_filters"];
            if let Some(list) = filters.as_array_mut() {
                list.insert(0, filter.clone());
            }
        });
    let envoy = Envoy::start(cfg).unwrap();
    let showroom_url = envoy.url("/faas/api/saas/showroom/rooms?id=7");
    let render_url = envoy.url("/faas/api/render");

    // v1, delivered by ECDS: showroom routed with the authority rewritten; render unknown.
    let r = http::get(&showroom_url, &[]).unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        echo_of(&r)["authority"],
        "saas-showroom.faas-alpha.svc.cluster.local"
    );
    let r = http::get(&render_url, &[]).unwrap();
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(r.json().unwrap()["error"], "no_faas_route");
    let reloads_v1 = stat_ending(&envoy, ".update_success");
    assert!(reloads_v1 >= 1, "the filter config came through ECDS");

    // v2 (a new route) under load.
    let load = Load::start(showroom_url.clone());
    load.wait_more(50);
    let mut v2 = v1.clone();
    v2.push(route(("exact", "/faas/api/render"), "render", "faas-beta"));
    ecds.publish(&faas_config(v2));
    wait_for("the v2 reload", || {
        stat_ending(&envoy, ".update_success") > reloads_v1
    });
    // Right after the reload: the new route holds on every request (both workers).
    for _ in 0..40 {
        let r = http::get(&render_url, &[]).unwrap();
        assert_eq!(r.status, 200, "{}", r.body);
        let echo = echo_of(&r);
        assert_eq!(echo["upstream"], "render");
        assert_eq!(echo["authority"], "render.faas-beta.svc.cluster.local");
    }
    load.wait_more(50);

    // A broken config (not a DNS-1123 namespace): refused, v2 keeps serving.
    let fails_before = stat_ending(&envoy, ".update_rejected");
    let reloads_v2 = stat_ending(&envoy, ".update_success");
    let mut broken = v1.clone();
    broken.push(route(
        ("exact", "/faas/api/render"),
        "render",
        "Not_A_Namespace",
    ));
    ecds.publish(&faas_config(broken));
    wait_for("the broken config to be refused", || {
        stat_ending(&envoy, ".update_rejected") > fails_before
    });
    load.wait_more(50);
    assert_eq!(
        stat_ending(&envoy, ".update_success"),
        reloads_v2,
        "broken config not applied"
    );
    for _ in 0..20 {
        let r = http::get(&render_url, &[]).unwrap();
        assert_eq!(
            (r.status, echo_of(&r)["upstream"].clone()),
            (200, json!("render")),
            "v2 still serves: {}",
            r.body
        );
    }

    let (ok, failures) = load.finish();
    assert!(
        failures.is_empty(),
        "{} of {} requests failed during the swaps: {:?}",
        failures.len(),
        ok,
        &failures[..failures.len().min(5)]
    );
    assert!(ok >= 150, "load too light to prove anything: {ok} requests");
    assert!(showroom.hits() as u64 >= ok);
    let log = envoy.log();
    assert!(
        log.contains("configuration refused") && log.contains("routes[1].namespace"),
        "the refusal names the bad field in Envoy's log"
    );
}
