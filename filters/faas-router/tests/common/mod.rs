//! Shared by the testhost tests: the built module with a realistic table.
#![allow(dead_code)]

use testhost::{Action, Host, Stream};

pub const CONFIG: &str = r#"{
  "pathPrefix": "/faas/api/",
  "clusterDomain": "svc.cluster.local",
  "routes": [
    {"match": {"prefix": "/faas/api/saas/showroom/"}, "service": "saas-showroom", "namespace": "faas-alpha"},
    {"match": {"prefix": "/faas/api/p/saas/virtual-showroom/"}, "service": "virtual-showroom", "namespace": "faas-alpha", "rewritePrefix": "/"},
    {"match": {"exact": "/faas/api/render"}, "service": "render", "namespace": "faas-beta"},
    {"match": {"regex": "^/faas/api/u/[a-z0-9-]+/profile$"}, "service": "profile", "namespace": "faas-beta"},
    {"match": {"prefix": "/faas/api/search/"}, "namespace": "faas-alpha",
     "split": [{"service": "search", "weight": 90}, {"service": "search-v2", "weight": 10}],
     "hashBy": {"header": "x-jwt-sub"}},
    {"match": {"prefix": "/faas/api/cart/"}, "namespace": "faas-alpha",
     "split": [{"service": "cart", "weight": 50}, {"service": "cart-v2", "weight": 50}],
     "hashBy": {"cookie": "uid"}}
  ],
  "headers": {"service": "x-faas-service", "namespace": "x-faas-namespace", "route": "x-faas-route"},
  "rewriteAuthority": true,
  "onNoMatch": "reject"
}"#;

/// Envoy's timeout/retry headers the filter owns under `pathPrefix`.
pub const CONTROL: [&str; 6] = [
    "x-envoy-upstream-rq-timeout-ms",
    "x-envoy-max-retries",
    "x-envoy-retry-on",
    "x-envoy-retry-grpc-on",
    "x-envoy-retriable-status-codes",
    "x-envoy-upstream-rq-per-try-timeout-ms",
];

pub fn host_with(config: &str) -> Host {
    let host = Host::load(testhost::dist("faas_router")).expect("run `make build` first");
    host.config(config)
        .unwrap_or_else(|e| panic!("config refused: {e:?}"))
}

pub fn host() -> Host {
    host_with(CONFIG)
}

/// Sends request headers for `path` plus `extra`; returns the stream and action.
pub fn request(host: &mut Host, path: &str, extra: &[(&str, &str)]) -> (Stream, Action) {
    let mut s = host.stream();
    let mut headers = vec![
        (":method", "GET"),
        (":path", path),
        (":authority", "gateway.example"),
        (":scheme", "http"),
    ];
    headers.extend_from_slice(extra);
    let action = s.request_headers(&headers, true);
    (s, action)
}

/// The upstream-bound `:path` and `:authority`, or the local response status.
#[derive(Debug, PartialEq, Eq)]
pub enum Seen {
    Forwarded {
        path: String,
        authority: String,
        service: Option<String>,
    },
    Local {
        status: u32,
        body: String,
    },
}

pub fn outcome(host: &mut Host, path: &str) -> Seen {
    let (s, action) = request(host, path, &[]);
    match s.local_response() {
        Some(r) => {
            assert_eq!(action, testhost::Action::Pause, "{path}");
            assert_eq!(r.header("content-type"), Some("application/json"), "{path}");
            Seen::Local {
                status: r.status,
                body: r.body_text(),
            }
        }
        None => {
            assert_eq!(action, testhost::Action::Continue, "{path}");
            Seen::Forwarded {
                path: s.request_header(":path").unwrap(),
                authority: s.request_header(":authority").unwrap(),
                service: s.request_header("x-faas-service"),
            }
        }
    }
}
