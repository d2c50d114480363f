//! Shared helpers: the in-process emulator, a client aimed at it, a tiny scripted server for
//! what the emulator cannot stage, and a tracing capture.
#![allow(dead_code)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use visionxl::{ClientBuilder, RetryPolicy};
use visionxl_emulator::{Emulator, EmulatorConfig};

/// An emulator on 127.0.0.1:0 with the given generation latency.
pub async fn emulator(latency_ms: u64) -> Emulator {
    Emulator::start(EmulatorConfig {
        latency: Duration::from_millis(latency_ms),
        ..Default::default()
    })
    .await
    .expect("emulator starts")
}

/// An emulator on 127.0.0.1:0 with the given generation latency and `fault` injected.
pub async fn faulted_emulator(latency_ms: u64, fault: visionxl_emulator::Fault) -> Emulator {
    let emu = emulator(latency_ms).await;
    emu.inject(fault);
    emu
}

/// Fast retries so failure tests do not dawdle (the policy logic itself is the core's).
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        ..RetryPolicy::default()
    }
}

/// A client builder aimed at the emulator: its key, no env, no pacing, fast retries/polls.
pub fn builder(emu: &Emulator) -> ClientBuilder {
    visionxl::Client::builder()
        .ignore_env()
        .api_key(emu.api_key())
        .base_url(emu.base_url())
        .requests_per_minute(0)
        .retry_policy(fast_retry())
        .poll_interval(Duration::from_millis(20))
        .max_poll_interval(Duration::from_millis(100))
}

/// A built client aimed at the emulator (see [`builder`]).
pub fn client(emu: &Emulator) -> visionxl::Client {
    builder(emu).build().expect("client builds")
}

/// A client aimed at the emulator that stops polling a record after `ms`.
pub fn impatient_client(emu: &Emulator, ms: u64) -> visionxl::Client {
    builder(emu)
        .poll_timeout(Duration::from_millis(ms))
        .build()
        .expect("client builds")
}

/// A client builder with no env, the given key and base URL, and nothing else set.
pub fn bare_builder(key: impl Into<String>, base_url: impl Into<String>) -> ClientBuilder {
    visionxl::Client::builder()
        .ignore_env()
        .api_key(key)
        .base_url(base_url)
}

/// A client aimed at a scripted server: no env, no pacing, fast retries.
pub fn mock_client(key: &str, base_url: &str) -> visionxl::Client {
    bare_builder(key, base_url)
        .requests_per_minute(0)
        .retry_policy(fast_retry())
        .build()
        .expect("client builds")
}

/// The error of generating the prompt "x" (the call must fail).
pub async fn generate_err(client: &visionxl::Client) -> visionxl::Error {
    client
        .generate(&visionxl::GenerateRequest::new("x"))
        .await
        .unwrap_err()
}

/// Per-call options: async mode, polling for `poll_timeout` (the client's own when `None`).
pub fn async_opts(poll_timeout: Option<Duration>) -> visionxl::GenerateOptions {
    visionxl::GenerateOptions {
        async_mode: true,
        poll_timeout,
        ..Default::default()
    }
}

/// Per-call options with only a cancel token set.
pub fn cancellable(token: visionxl::CancelToken) -> visionxl::GenerateOptions {
    visionxl::GenerateOptions {
        cancel: Some(token),
        ..Default::default()
    }
}

/// A temporary directory under the target dir's tmp (never outside the workspace's scratch).
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

/// A few bytes that are a PNG as far as magic bytes go (and a real 1x1 PNG).
pub const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// What the scripted server saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// One scripted answer.
#[derive(Clone)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Canned {
    pub fn json(status: u16, v: serde_json::Value) -> Canned {
        Canned {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(&v).unwrap(),
        }
    }
    pub fn bytes(status: u16, content_type: &str, body: &[u8]) -> Canned {
        Canned {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.to_vec(),
        }
    }
    pub fn header(mut self, k: &str, v: &str) -> Canned {
        self.headers.push((k.into(), v.into()));
        self
    }
}

type Script = Arc<dyn Fn(&Seen, &str) -> Canned + Send + Sync>;

#[derive(Clone)]
struct MockState {
    seen: Arc<Mutex<Vec<Seen>>>,
    script: Script,
    base: String,
}

/// A scripted HTTP server on 127.0.0.1:0 that records every request (headers included).
/// The script gets the request and the server's base URL.
pub struct Mock {
    pub base_url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Mock {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Mock {
    pub async fn start(script: impl Fn(&Seen, &str) -> Canned + Send + Sync + 'static) -> Mock {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state = MockState {
            seen: seen.clone(),
            script: Arc::new(script),
            base: base.clone(),
        };
        let app = Router::new().fallback(handle).with_state(state);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Mock {
            base_url: base,
            seen,
            task,
        }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn handle(State(st): State<MockState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 64 << 20)
        .await
        .unwrap_or_default();
    let seen = Seen {
        method: parts.method.to_string(),
        path: parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
        headers: parts.headers.clone(),
        body,
    };
    let canned = (st.script)(&seen, &st.base);
    st.seen.lock().unwrap().push(seen);
    let mut resp = (StatusCode::from_u16(canned.status).unwrap(), canned.body).into_response();
    for (k, v) in canned.headers {
        resp.headers_mut().insert(
            axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    resp
}

/// A record body as the service sends it.
pub fn record_body(
    id: &str,
    status: &str,
    paths: &[&str],
    temporary_url: Option<&str>,
) -> serde_json::Value {
    let mut rec = serde_json::json!({
        "uuid": id,
        "status": status,
        "model": visionxl::wire::MODEL_ID,
        "type": "IMAGE_GENERATOR",
        "createdAt": "2025-01-15T10:50:00.000Z",
        "aiRecordDetail": {"promptObject": {"prompt": "x", "size": "1024x1024", "n": paths.len().max(1)}, "resultObject": paths},
    });
    if let Some(t) = temporary_url {
        rec["temporaryUrl"] = serde_json::Value::from(t);
    }
    serde_json::json!({ "aiRecord": rec })
}

// ---------------------------------------------------------------------------------------------
// A minimal tracing subscriber that keeps every span and event as text.

#[derive(Clone, Default)]
pub struct Capture {
    pub lines: Arc<Mutex<Vec<String>>>,
    next: Arc<AtomicU64>,
    spans: Arc<Mutex<HashMap<u64, String>>>,
}

struct Fields<'a>(&'a mut String);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        let _ = write!(self.0, " {}={}", field.name(), value);
    }
    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        let _ = write!(self.0, " {}={}", field.name(), value);
    }
}

impl Capture {
    pub fn text(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }
    /// Every value of `field` in events whose text contains `needle`.
    pub fn values(&self, needle: &str, field: &str) -> Vec<String> {
        let key = format!(" {field}=");
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(needle))
            .filter_map(|l| {
                let at = l.find(&key)?;
                Some(
                    l[at + key.len()..]
                        .split(' ')
                        .next()
                        .unwrap_or("")
                        .to_string(),
                )
            })
            .collect()
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, attrs: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let id = self.next.fetch_add(1, Ordering::SeqCst) + 1;
        let mut s = format!("span {}", attrs.metadata().name());
        attrs.record(&mut Fields(&mut s));
        self.lines.lock().unwrap().push(s.clone());
        self.spans.lock().unwrap().insert(id, s);
        tracing::span::Id::from_u64(id)
    }
    fn record(&self, span: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut s = format!("record {}", span.into_u64());
        values.record(&mut Fields(&mut s));
        self.lines.lock().unwrap().push(s);
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut s = format!("event {}", event.metadata().target());
        event.record(&mut Fields(&mut s));
        self.lines.lock().unwrap().push(s);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// Helpers of the batch and manifest tests.
pub mod batch;
#[allow(unused_imports)]
pub use batch::*;
