//! Helpers shared by the `visionxl serve` tests (`serve_*.rs`): the spawned server in front of
//! the in-process emulator, and what its answers are checked with.
#![allow(dead_code, unused_imports)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use visionxl_emulator::{ApiKey, Emulator, EmulatorConfig, Fault, FaultKind};

pub const KEY: &str = "vxl-emulator-key";

pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

pub async fn emulator() -> Emulator {
    emulator_with(EmulatorConfig::default()).await
}

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

    pub fn start(args: &[&str], env: &[(&str, &str)]) -> Serve {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("visionxl"));
        cmd.args(["serve", "--port", "0"])
            .args(args)
            .env_remove("ONEMIN_API_KEY")
            .env_remove("ONEMIN_BASE_URL")
            .env_remove("ONEMIN_ASSET_BASE_URL")
            .env_remove("VISIONXL_REDIS_URL")
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
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim().to_string();
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

    pub fn v1(&self, path: &str) -> String {
        format!("{}/v1{path}", self.url)
    }

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
    let v: Value = http()
        .get(format!("{}/api/results/{record}", emu.base_url()))
        .header("API-KEY", key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["aiRecord"]["aiRecordDetail"]["promptObject"].clone()
}

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

pub fn assert_openai_error(v: &Value, kind: &str, code: &str) {
    let e = &v["error"];
    assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    assert_eq!(e["type"], kind, "{v}");
    assert_eq!(e["code"], code, "{v}");
    assert!(e.as_object().unwrap().contains_key("param"), "{v}");
}
