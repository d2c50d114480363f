//! Helpers shared by the `visionxl serve` tests (`serve_*.rs`): the spawned server in front of
//! the in-process emulator, and what its answers are checked with. The clean command and the
//! reqwest client are the command tests' own (`../common`).
#![allow(dead_code, unused_imports)]

#[path = "../common/spawn.rs"]
pub mod spawn;
#[path = "../common/web.rs"]
pub mod web;

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use visionxl_emulator::{ApiKey, Emulator, EmulatorConfig, Fault, FaultKind};

pub use web::{http, json_of};

/// The emulator's default key, used as the bearer token in pass-through mode.
pub const KEY: &str = "vxl-emulator-key";

/// An in-process emulator with the default configuration.
pub async fn emulator() -> Emulator {
    emulator_with(EmulatorConfig::default()).await
}

/// An in-process emulator that takes `ms` per generation.
pub async fn slow_emulator(ms: u64) -> Emulator {
    emulator_with(EmulatorConfig {
        latency: Duration::from_millis(ms),
        ..EmulatorConfig::default()
    })
    .await
}

/// An in-process emulator that knows exactly `keys`.
pub async fn emulator_with_keys(keys: Vec<ApiKey>) -> Emulator {
    emulator_with(EmulatorConfig {
        keys,
        ..EmulatorConfig::default()
    })
    .await
}

/// A tokens file (`--keys`) holding `text` in a fresh temp dir (kept alive by the handle).
pub fn tokens_file(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("tokens.txt");
    std::fs::write(&keys, text).unwrap();
    (dir, keys)
}

/// An in-process emulator with `config`.
pub async fn emulator_with(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).await.unwrap()
}

/// `visionxl serve --port 0` as a child process; its first stdout line is the base URL, its
/// stderr (the log) is collected.
pub struct Serve {
    pub child: Child,
    pub url: String,
    pub log: Arc<Mutex<String>>,
    pub log_thread: Option<std::thread::JoinHandle<()>>,
}

impl Serve {
    /// Pass-through mode in front of `emu`, pacing off.
    pub fn before(emu: &Emulator, extra: &[&str]) -> Serve {
        let base = emu.base_url();
        let mut args = vec!["--base-url", base.as_str(), "--requests-per-minute", "0"];
        args.extend_from_slice(extra);
        Serve::start(&args, &[])
    }

    /// `visionxl serve --port 0 ARGS` with a clean environment plus `env`.
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> Serve {
        let mut cmd = spawn::clean_command();
        cmd.args(["serve", "--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let mut stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        let log_thread = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let url = spawn::first_line(&mut child);
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "first stdout line {url:?}; log: {}",
            log.lock().unwrap()
        );
        Serve {
            child,
            url,
            log,
            log_thread: Some(log_thread),
        }
    }

    /// `/v1{path}` under the server.
    pub fn v1(&self, path: &str) -> String {
        format!("{}/v1{path}", self.url)
    }

    /// A POST to `/v1{path}` carrying [`KEY`] as bearer token, to be given a body and sent.
    pub fn keyed_post(&self, path: &str) -> reqwest::RequestBuilder {
        http().post(self.v1(path)).bearer_auth(KEY)
    }

    /// GETs `/v1{path}` with `token` as bearer token (none when `None`).
    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut req = http().get(self.v1(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    /// POSTs a multipart form to `/v1/images/edits` with [`KEY`] as bearer token.
    pub async fn edit(&self, form: reqwest::multipart::Form) -> reqwest::Response {
        let req = self.keyed_post("/images/edits").multipart(form);
        req.send().await.unwrap()
    }

    /// GETs `/v1{path}` with [`KEY`] as bearer token, as JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        self.get(path, Some(KEY)).await.json().await.unwrap()
    }

    /// POSTs `body` to `/v1{path}` with [`KEY`] as bearer token: the status and the JSON answer.
    pub async fn post_to(&self, path: &str, body: &Value) -> (u16, Value) {
        let resp = self.keyed_post(path).json(body).send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// POSTs `body` to `/v1/images/generations` with `token`: status, headers, JSON answer.
    pub async fn post(&self, token: Option<&str>, body: Value) -> (StatusCode, HeaderMap, Value) {
        let mut req = http().post(self.v1("/images/generations")).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let json = resp.json::<Value>().await.unwrap_or(Value::Null);
        (status, headers, json)
    }

    /// Sends the signal `sig` (`-TERM`, ...) to the server process.
    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {sig}");
    }

    /// SIGTERM, then the exit status and the whole log.
    pub fn stop(self) -> (ExitStatus, String) {
        self.signal("-TERM");
        self.wait()
    }

    /// Waits for the process to exit (20 s at most): its exit status and the whole log.
    pub fn wait(mut self) -> (ExitStatus, String) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(Instant::now() < deadline, "serve did not stop");
            std::thread::sleep(Duration::from_millis(20));
        };
        if let Some(t) = self.log_thread.take() {
            let _ = t.join();
        }
        let log = self.log.lock().unwrap().clone();
        (status, log)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `promptObject` the emulator recorded for a record.
pub async fn prompt_object(emu: &Emulator, key: &str, record: &str) -> Value {
    let url = format!("{}/api/results/{record}", emu.base_url());
    let v = json_of(http().get(url).header("API-KEY", key)).await;
    v["aiRecord"]["aiRecordDetail"]["promptObject"].clone()
}

/// The `promptObject` of the emulator's newest charged record (read with [`KEY`]).
pub async fn last_prompt_object(emu: &Emulator) -> Value {
    let ledger = emu.ledger();
    let record = &ledger.charges.last().expect("a charge").record_id;
    prompt_object(emu, KEY, record).await
}

/// The record id header of a generation answer.
pub fn record_id(h: &HeaderMap) -> String {
    h.get("x-visionxl-record-id")
        .expect("record id header")
        .to_str()
        .unwrap()
        .to_string()
}

/// Width and height of a lossless (VP8L) WebP; panics on anything that is not a WebP.
pub fn webp_size(b: &[u8]) -> (u32, u32) {
    assert!(
        b.len() > 30 && &b[0..4] == b"RIFF" && &b[8..12] == b"WEBP",
        "not a WebP"
    );
    assert_eq!(&b[12..16], b"VP8L", "a lossless WebP");
    assert_eq!(b[20], 0x2f, "VP8L signature");
    let bits = u32::from_le_bytes([b[21], b[22], b[23], b[24]]);
    ((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1)
}

/// Decodes a `b64_json` string.
pub fn b64(s: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s.as_str().expect("b64_json string"))
        .unwrap()
}

/// Asserts `resp` has `status` and is an `invalid_request_error` with `code` in OpenAI's shape;
/// `what` names the case in the failure message.
pub async fn assert_invalid_request(resp: reqwest::Response, status: u16, code: &str, what: &str) {
    assert_eq!(resp.status(), status, "{what}");
    let body: Value = resp.json().await.unwrap();
    assert_openai_error(&body, "invalid_request_error", code);
}

/// Asserts an error answer in OpenAI's shape: a message, `type` = kind, `code`, a `param` key.
pub fn assert_openai_error(v: &Value, kind: &str, code: &str) {
    let e = &v["error"];
    assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    assert_eq!(e["type"], kind, "{v}");
    assert_eq!(e["code"], code, "{v}");
    assert!(e.as_object().unwrap().contains_key("param"), "{v}");
}
