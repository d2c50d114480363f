//! `visionxl serve` end to end: the spawned server in front of the in-process emulator, driven
//! over HTTP as an OpenAI client would.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use visionxl_emulator::{ApiKey, Emulator, EmulatorConfig, Fault, FaultKind};

const KEY: &str = "vxl-emulator-key";

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn emulator() -> Emulator {
    emulator_with(EmulatorConfig::default()).await
}

async fn emulator_with(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).await.unwrap()
}

/// `visionxl serve --port 0` as a child process; its first stdout line is the base URL, its
/// stderr (the log) is collected.
struct Serve {
    child: Child,
    url: String,
    log: Arc<Mutex<String>>,
    log_thread: Option<std::thread::JoinHandle<()>>,
}

impl Serve {
    /// Pass-through mode in front of `emu`, pacing off.
    fn before(emu: &Emulator, extra: &[&str]) -> Serve {
        let base = emu.base_url();
        let mut args = vec!["--base-url", base.as_str(), "--requests-per-minute", "0"];
        args.extend_from_slice(extra);
        Serve::start(&args, &[])
    }

    fn start(args: &[&str], env: &[(&str, &str)]) -> Serve {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("visionxl"));
        cmd.args(["serve", "--port", "0"])
            .args(args)
            .env_remove("ONEMIN_API_KEY")
            .env_remove("ONEMIN_BASE_URL")
            .env_remove("ONEMIN_ASSET_BASE_URL")
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

    fn v1(&self, path: &str) -> String {
        format!("{}/v1{path}", self.url)
    }

    async fn post(&self, token: Option<&str>, body: Value) -> (StatusCode, HeaderMap, Value) {
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

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {sig}");
    }

    /// SIGTERM, then the exit status and the whole log.
    fn stop(self) -> (ExitStatus, String) {
        self.signal("-TERM");
        self.wait()
    }

    /// Waits for the process to exit (20 s at most): its exit status and the whole log.
    fn wait(mut self) -> (ExitStatus, String) {
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
async fn prompt_object(emu: &Emulator, key: &str, record: &str) -> Value {
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

fn record_id(h: &HeaderMap) -> String {
    h.get("x-visionxl-record-id")
        .expect("record id header")
        .to_str()
        .unwrap()
        .to_string()
}

/// Width and height of a lossless (VP8L) WebP; panics on anything that is not a WebP.
fn webp_size(b: &[u8]) -> (u32, u32) {
    assert!(
        b.len() > 30 && &b[0..4] == b"RIFF" && &b[8..12] == b"WEBP",
        "not a WebP"
    );
    assert_eq!(&b[12..16], b"VP8L", "a lossless WebP");
    assert_eq!(b[20], 0x2f, "VP8L signature");
    let bits = u32::from_le_bytes([b[21], b[22], b[23], b[24]]);
    ((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1)
}

fn assert_openai_error(v: &Value, kind: &str, code: &str) {
    let e = &v["error"];
    assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    assert_eq!(e["type"], kind, "{v}");
    assert_eq!(e["code"], code, "{v}");
    assert!(e.as_object().unwrap().contains_key("param"), "{v}");
}

#[tokio::test(flavor = "multi_thread")]
async fn url_answers_carry_all_n_images_and_each_downloads() {
    let emu = emulator().await;
    let serve = Serve::before(&emu, &[]);
    for n in 1..=4u64 {
        let (status, h, body) = serve
            .post(
                Some(KEY),
                json!({"model": "leonardo-vision-xl", "prompt": "a lighthouse", "n": n,
                       "size": "1024x1024", "response_format": "url", "user": "someone"}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert!(body["created"].as_u64().unwrap() > 1_700_000_000);
        let data = body["data"].as_array().unwrap();
        assert_eq!(data.len() as u64, n, "{body}");
        for item in data {
            assert!(item["revised_prompt"].is_null());
            assert!(item.get("b64_json").is_none());
            let bytes = http()
                .get(item["url"].as_str().unwrap())
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            assert_eq!(webp_size(&bytes), (1024, 1024));
        }
        let po = prompt_object(&emu, KEY, &record_id(&h)).await;
        assert_eq!(po["n"], n);
        assert_eq!(h["x-visionxl-emulated"], "true");
    }
    assert_eq!(emu.ledger().charges.len(), 4, "one charge per request");
}

#[tokio::test(flavor = "multi_thread")]
async fn b64_json_answers_hold_every_image_decoded_at_the_mapped_size() {
    let emu = emulator().await;
    let serve = Serve::before(&emu, &[]);
    for (n, size, expected) in [
        (1, "256x256", (512, 512)),
        (2, "1792x1024", (1024, 768)),
        (3, "1024x1536", (768, 1024)),
        (4, "512x512", (512, 512)),
    ] {
        let (status, h, body) = serve
            .post(
                Some(KEY),
                json!({"prompt": "tiles", "n": n, "size": size, "response_format": "b64_json"}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let data = body["data"].as_array().unwrap();
        assert_eq!(data.len(), n, "{body}");
        let mut seen = Vec::new();
        for item in data {
            assert!(item.get("url").is_none());
            let b = base64::engine::general_purpose::STANDARD
                .decode(item["b64_json"].as_str().unwrap())
                .unwrap();
            assert_eq!(webp_size(&b), expected, "{size}");
            seen.push(b);
        }
        seen.dedup();
        assert_eq!(seen.len(), n, "n different images");
        assert_eq!(
            h["x-visionxl-size"],
            format!("{}x{}", expected.0, expected.1).as_str()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_size_of_the_table_reaches_the_service_mapped() {
    let emu = emulator().await;
    let serve = Serve::before(&emu, &[]);
    for (size, expected) in [
        ("256x256", "512x512"),
        ("512x512", "512x512"),
        ("1024x1024", "1024x1024"),
        ("1792x1024", "1024x768"),
        ("1536x1024", "1024x768"),
        ("1024x1792", "768x1024"),
        ("1024x1536", "768x1024"),
        ("1024x768", "1024x768"),
        ("768x1024", "768x1024"),
        ("auto", "1024x1024"),
    ] {
        let (status, h, body) = serve
            .post(Some(KEY), json!({"prompt": "a fox", "size": size}))
            .await;
        assert_eq!(status, 200, "{size}: {body}");
        let po = prompt_object(&emu, KEY, &record_id(&h)).await;
        assert_eq!(po["size"], expected, "{size}");
    }
    // No size: the documented default.
    let (_, h, _) = serve.post(Some(KEY), json!({"prompt": "a fox"})).await;
    let po = prompt_object(&emu, KEY, &record_id(&h)).await;
    assert_eq!(po["size"], "1024x1024");
    assert_eq!(po["n"], 1);
    // The core's warnings travel in a header (512x512: n=2 costs the same as n=1).
    let (_, h, _) = serve
        .post(Some(KEY), json!({"prompt": "a fox", "size": "256x256"}))
        .await;
    assert_eq!(h["x-visionxl-warnings"], "n:price_hint");
    assert_eq!(h["x-visionxl-credits"], "234");
}

#[tokio::test(flavor = "multi_thread")]
async fn extra_vision_xl_parameters_reach_the_service_by_wire_name() {
    let emu = emulator().await;
    let serve = Serve::before(&emu, &[]);
    let (status, h, body) = serve
        .post(
            Some(KEY),
            json!({"model": "5c232a9e-9061-4777-980a-ddc8e65647c6", "prompt": "a castle",
                   "n": 2, "size": "1024x1024",
                   "negative_prompt": "blurry", "guidance_scale": 9, "num_inference_steps": 30,
                   "seed": 424242, "tiling": true, "preset_style": "anime", "alchemy": true,
                   "high_contrast": true, "high_resolution": true, "contrast_ratio": 0.5,
                   "prompt_magic": true, "prompt_magic_version": "v2", "expanded_domain": false}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let po = prompt_object(&emu, KEY, &record_id(&h)).await;
    let expect = json!({
        "prompt": "a castle", "negativePrompt": "blurry", "size": "1024x1024", "n": 2,
        "leonardo_guidance_scale": 9, "leonardo_num_inference_steps": 30,
        "leonardo_seed": 424242, "leonardo_tilling": true, "leonardo_preset_style": "ANIME",
        "leonardo_alchemy": true, "leonardo_hight_constrast": true,
        "leonardo_hight_resolution": true, "leonardo_contrast_ratio": 0.5,
        "leonardo_prompt_magic": true, "leonardo_prompt_magic_version": "v2",
        "leonardo_expanded_domain": false,
    });
    for (k, v) in expect.as_object().unwrap() {
        assert_eq!(&po[k], v, "{k} in {po}");
    }
    // A preset fills what is not given.
    let (status, h, _) = serve
        .post(
            Some(KEY),
            json!({"prompt": "a castle", "preset": "max_detail", "guidance_scale": 14}),
        )
        .await;
    assert_eq!(status, 200);
    let po = prompt_object(&emu, KEY, &record_id(&h)).await;
    assert_eq!(po["leonardo_guidance_scale"], 14);
    assert_eq!(po["leonardo_num_inference_steps"], 45);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_a_400_in_openai_shape_naming_the_field_and_nothing_is_charged() {
    let emu = emulator().await;
    let serve = Serve::before(&emu, &[]);
    let cases = [
        (json!({"prompt": "a fox", "n": 5}), "n", "out_of_range"),
        (json!({"prompt": "a fox", "n": 0}), "n", "out_of_range"),
        (
            json!({"prompt": "a fox", "size": "huge"}),
            "size",
            "not_allowed_value",
        ),
        (
            json!({"prompt": "a fox", "size": "0x0"}),
            "size",
            "not_allowed_value",
        ),
        (
            json!({"prompt": "a fox", "response_format": "png"}),
            "response_format",
            "not_allowed_value",
        ),
        (
            json!({"prompt": "a fox", "guidance": 3}),
            "guidance",
            "unknown_field",
        ),
        (
            json!({"prompt": "a fox", "guidance_scale": 21}),
            "guidance_scale",
            "out_of_range",
        ),
        (
            json!({"prompt": "a fox", "preset_style": "nope"}),
            "preset_style",
            "not_allowed_value",
        ),
        (json!({"prompt": ""}), "prompt", "blank"),
        (json!({"size": "512x512"}), "prompt", "required"),
    ];
    for (body, param, code) in cases {
        let (status, _, answer) = serve.post(Some(KEY), body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_openai_error(&answer, "invalid_request_error", code);
        assert_eq!(answer["error"]["param"], param, "{body}: {answer}");
    }
    // Several unknown fields: every one is named.
    let (status, _, answer) = serve
        .post(
            Some(KEY),
            json!({"prompt": "a fox", "colour": "red", "flavour": "sweet"}),
        )
        .await;
    assert_eq!(status, 400);
    let msg = answer["error"]["message"].as_str().unwrap();
    assert!(msg.contains("colour") && msg.contains("flavour"), "{msg}");

    // A model that is not served (nor an alias) is a 404 naming the served ones.
    let (status, _, answer) = serve
        .post(Some(KEY), json!({"prompt": "a fox", "model": "dall-e-3"}))
        .await;
    assert_eq!(status, 404, "{answer}");
    assert_openai_error(&answer, "invalid_request_error", "model_not_found");

    // Not JSON, not an object, too big.
    for raw in ["not json", "[1, 2]", ""] {
        let resp = http()
            .post(serve.v1("/images/generations"))
            .bearer_auth(KEY)
            .body(raw)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{raw:?}");
        assert_openai_error(
            &resp.json().await.unwrap(),
            "invalid_request_error",
            "invalid_json",
        );
    }
    let huge = json!({"prompt": "x".repeat(1024 * 1024 + 10)});
    let resp = http()
        .post(serve.v1("/images/generations"))
        .bearer_auth(KEY)
        .json(&huge)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    assert_openai_error(
        &resp.json().await.unwrap(),
        "invalid_request_error",
        "request_too_large",
    );
    assert!(emu.ledger().charges.is_empty(), "nothing charged");
}

#[tokio::test(flavor = "multi_thread")]
async fn upstream_rate_limits_are_429_with_retry_after() {
    let emu = emulator().await;
    let serve = Serve::before(&emu, &[]);
    // The client retries a 429 twice: three in a row reach the caller.
    emu.inject(
        Fault::new(FaultKind::RateLimit {
            retry_after_secs: 0,
        })
        .times(3)
        .on_path("/api/features"),
    );
    let (status, h, body) = serve.post(Some(KEY), json!({"prompt": "a fox"})).await;
    assert_eq!(status, 429, "{body}");
    assert_openai_error(&body, "requests", "rate_limit_exceeded");
    assert!(h.contains_key("retry-after"));
    assert_eq!(h["x-visionxl-error-code"], "rate_limited");
    assert!(emu.pending_faults().is_empty());
    // Two 429s are absorbed by the client's retries.
    emu.inject(
        Fault::new(FaultKind::RateLimit {
            retry_after_secs: 0,
        })
        .times(2)
        .on_path("/api/features"),
    );
    let (status, _, body) = serve.post(Some(KEY), json!({"prompt": "a fox"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(emu.ledger().charges.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn upstream_failures_map_to_502_and_504() {
    let emu = emulator().await;
    let serve = Serve::before(&emu, &["--timeout", "1"]);
    for status in [500u16, 503] {
        emu.inject(Fault::new(FaultKind::Status { status }).on_path("/api/features"));
        let (got, h, body) = serve.post(Some(KEY), json!({"prompt": "a fox"})).await;
        assert_eq!(got, 502, "{status}: {body}");
        assert_openai_error(&body, "server_error", "upstream_error");
        assert_eq!(h["x-visionxl-error-code"], "server_error");
    }
    emu.inject(Fault::new(FaultKind::Cloudflare).on_path("/api/features"));
    let (got, _, body) = serve.post(Some(KEY), json!({"prompt": "a fox"})).await;
    assert_eq!(got, 502, "{body}");

    emu.inject(Fault::new(FaultKind::GenerationFailure {
        message: "content filter".into(),
    }));
    let (got, _, body) = serve.post(Some(KEY), json!({"prompt": "a fox"})).await;
    assert_eq!(got, 502, "{body}");
    assert_openai_error(&body, "server_error", "generation_failed");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("content filter")
    );

    // An image that cannot be downloaded for b64_json: 502 naming the record.
    emu.inject(Fault::new(FaultKind::ExpiredAsset));
    let (got, _, body) = serve
        .post(
            Some(KEY),
            json!({"prompt": "a fox", "response_format": "b64_json"}),
        )
        .await;
    assert_eq!(got, 502, "{body}");
    assert_openai_error(&body, "server_error", "download_failed");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("record")
    );

    emu.inject(Fault::new(FaultKind::Delay { ms: 3_000 }).on_path("/api/features"));
    let (got, _, body) = serve.post(Some(KEY), json!({"prompt": "a fox"})).await;
    assert_eq!(got, 504, "{body}");
    assert_openai_error(&body, "server_error", "upstream_timeout");
}

#[tokio::test(flavor = "multi_thread")]
async fn insufficient_credits_and_budget_are_429_insufficient_quota() {
    let emu = emulator_with(EmulatorConfig {
        keys: vec![ApiKey::new("poor-key-0123456789", 300)],
        ..EmulatorConfig::default()
    })
    .await;
    let serve = Serve::before(&emu, &[]);
    let (status, _, _) = serve
        .post(Some("poor-key-0123456789"), json!({"prompt": "a fox"}))
        .await;
    assert_eq!(status, 200, "286 of 300 credits");
    let (status, h, body) = serve
        .post(Some("poor-key-0123456789"), json!({"prompt": "a fox"}))
        .await;
    assert_eq!(status, 429, "{body}");
    assert_openai_error(&body, "insufficient_quota", "insufficient_quota");
    assert_eq!(h["x-visionxl-error-code"], "insufficient_credits");

    // The server's own budget refuses before anything is sent.
    let emu = emulator().await;
    let serve = Serve::before(&emu, &["--budget", "500"]);
    let (status, _, _) = serve.post(Some(KEY), json!({"prompt": "a fox"})).await;
    assert_eq!(status, 200);
    let (status, h, body) = serve.post(Some(KEY), json!({"prompt": "a fox"})).await;
    assert_eq!(status, 429, "{body}");
    assert_openai_error(&body, "insufficient_quota", "insufficient_quota");
    assert_eq!(h["x-visionxl-error-code"], "budget_exceeded");
    assert_eq!(emu.ledger().charges.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_callers_each_get_their_own_images() {
    let emu = emulator_with(EmulatorConfig {
        latency: Duration::from_millis(200),
        ..EmulatorConfig::default()
    })
    .await;
    let serve = Arc::new(Serve::before(&emu, &[]));
    // Phase 1: 16 url callers at once, timed (no image work: the emulator draws lazily).
    // Phase 2: 8 callers mixing url and b64_json (the server downloads every image).
    let mut ids = Vec::new();
    for (callers, timed) in [(16u64, true), (8, false)] {
        let started = Instant::now();
        let mut tasks = Vec::new();
        for i in 0..callers {
            let serve = serve.clone();
            tasks.push(tokio::spawn(async move {
                let n = i % 4 + 1;
                let format = if timed || i % 2 == 0 {
                    "url"
                } else {
                    "b64_json"
                };
                let (status, h, body) = serve
                    .post(
                        Some(KEY),
                        json!({"prompt": format!("caller {i}"), "n": n, "size": "512x512",
                               "response_format": format}),
                    )
                    .await;
                assert_eq!(status, 200, "{body}");
                let data = body["data"].as_array().unwrap();
                assert_eq!(data.len() as u64, n);
                assert!(data.iter().all(|d| {
                    d.get(if format == "url" { "url" } else { "b64_json" })
                        .is_some()
                }));
                (record_id(&h), n)
            }));
        }
        for t in tasks {
            let (id, n) = t.await.unwrap();
            let po = prompt_object(&emu, KEY, &id).await;
            assert_eq!(po["n"], n, "each caller got its own record");
            ids.push(id);
        }
        if timed {
            // One after the other this would take 16 x 200 ms.
            assert!(
                started.elapsed() < Duration::from_millis(3_000),
                "{:?}",
                started.elapsed()
            );
        }
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 24);
    assert_eq!(emu.ledger().charges.len(), 24, "each charged once");
}

#[tokio::test(flavor = "multi_thread")]
async fn pass_through_uses_the_callers_key_upstream() {
    let emu = emulator_with(EmulatorConfig {
        keys: vec![
            ApiKey::new("alice-key-0123456789", 10_000),
            ApiKey::new("bob-key-0123456789", 10_000),
        ],
        ..EmulatorConfig::default()
    })
    .await;
    let serve = Serve::before(&emu, &[]);
    let (s, _, _) = serve
        .post(
            Some("alice-key-0123456789"),
            json!({"prompt": "a", "size": "512x512"}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _, _) = serve
        .post(
            Some("bob-key-0123456789"),
            json!({"prompt": "b", "size": "1024x1024"}),
        )
        .await;
    assert_eq!(s, 200);
    let ledger = emu.ledger();
    assert_eq!(ledger.balance("alice-key-0123456789"), Some(10_000 - 234));
    assert_eq!(ledger.balance("bob-key-0123456789"), Some(10_000 - 286));

    let (s, h, body) = serve.post(None, json!({"prompt": "a"})).await;
    assert_eq!(s, 401);
    assert_openai_error(&body, "invalid_request_error", "invalid_api_key");
    assert_eq!(h["www-authenticate"], "Bearer");
    let (s, _, body) = serve
        .post(Some("mallory-key-0123456789"), json!({"prompt": "a"}))
        .await;
    assert_eq!(s, 401, "refused upstream: {body}");
    assert_openai_error(&body, "invalid_request_error", "invalid_api_key");
    let resp = http()
        .post(serve.v1("/images/generations"))
        .header("Authorization", "Basic YWxpY2U6eA==")
        .json(&json!({"prompt": "a"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(emu.ledger().charges.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn held_key_mode_accepts_only_listed_tokens_and_spends_one_key() {
    let emu = emulator_with(EmulatorConfig {
        keys: vec![ApiKey::new("upstream-key-0123456789", 10_000)],
        ..EmulatorConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("tokens.txt");
    std::fs::write(&keys, "# callers\nteam-token-1\n\nteam-token-2\n").unwrap();
    let base = emu.base_url();
    let serve = Serve::start(
        &[
            "--keys",
            keys.to_str().unwrap(),
            "--base-url",
            &base,
            "--requests-per-minute",
            "0",
        ],
        &[("ONEMIN_API_KEY", "upstream-key-0123456789")],
    );
    for token in ["team-token-1", "team-token-2"] {
        let (s, _, body) = serve
            .post(Some(token), json!({"prompt": "a", "size": "512x512"}))
            .await;
        assert_eq!(s, 200, "{body}");
    }
    assert_eq!(
        emu.ledger().balance("upstream-key-0123456789"),
        Some(10_000 - 2 * 234)
    );
    for bad in [Some("team-token-3"), Some("upstream-key-0123456789"), None] {
        let (s, _, body) = serve.post(bad, json!({"prompt": "a"})).await;
        assert_eq!(s, 401, "{bad:?}");
        assert_openai_error(&body, "invalid_request_error", "invalid_api_key");
    }
    // Models need a listed token too.
    let resp = http().get(serve.v1("/models")).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let resp = http()
        .get(serve.v1("/models"))
        .bearer_auth("team-token-1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(emu.ledger().charges.len(), 2);

    // --api-key wins over the environment; a key the service refuses is the operator's
    // problem: 502, not the caller's 401.
    let serve = Serve::start(
        &[
            "--keys",
            keys.to_str().unwrap(),
            "--api-key",
            "revoked-key-0123456789",
            "--base-url",
            &base,
        ],
        &[("ONEMIN_API_KEY", "upstream-key-0123456789")],
    );
    let (s, _, body) = serve
        .post(Some("team-token-1"), json!({"prompt": "a"}))
        .await;
    assert_eq!(s, 502, "{body}");
    assert_openai_error(&body, "server_error", "upstream_key_refused");
}

#[test]
fn startup_errors_exit_with_the_clis_codes() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("tokens.txt");
    std::fs::write(&keys, "tok\n").unwrap();
    let run = |args: &[&str]| {
        assert_cmd::Command::cargo_bin("visionxl")
            .unwrap()
            .arg("serve")
            .args(args)
            .env_remove("ONEMIN_API_KEY")
            .env_remove("ONEMIN_BASE_URL")
            .timeout(Duration::from_secs(20))
            .output()
            .unwrap()
    };
    // Held-key mode without an upstream key.
    let out = run(&["--port", "0", "--keys", keys.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ONEMIN_API_KEY"));
    assert!(out.stdout.is_empty(), "no URL printed");
    // A keys file that does not exist / lists nothing.
    let out = run(&["--port", "0", "--keys", "/nonexistent/tokens", "--emulator"]);
    assert_eq!(out.status.code(), Some(9));
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "# nobody\n").unwrap();
    let out = run(&[
        "--port",
        "0",
        "--keys",
        empty.to_str().unwrap(),
        "--emulator",
    ]);
    assert_eq!(out.status.code(), Some(1));
    // --api-key only makes sense with --keys.
    let out = run(&["--port", "0", "--api-key", "k"]);
    assert_eq!(out.status.code(), Some(2));
    // Plain http to a non-loopback upstream would send keys in clear text.
    let out = run(&["--port", "0", "--base-url", "http://example.com"]);
    assert_eq!(out.status.code(), Some(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn models_are_listed_in_openai_shape_and_unknown_routes_are_openai_errors() {
    let emu = emulator().await;
    let serve = Serve::before(&emu, &[]);
    let list: Value = http()
        .get(serve.v1("/models"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["object"], "list");
    let data = list["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["id"], "leonardo-vision-xl");
    assert_eq!(data[0]["object"], "model");
    assert!(data[0]["created"].is_u64() && data[0]["owned_by"].is_string());
    let one = http()
        .get(serve.v1("/models/leonardo-vision-xl"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(one.status(), 200);
    let missing = http()
        .get(serve.v1("/models/dall-e-3"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_openai_error(
        &missing.json().await.unwrap(),
        "invalid_request_error",
        "model_not_found",
    );
    let resp = http().get(serve.v1("/models")).send().await.unwrap();
    assert_eq!(resp.status(), 401, "a bearer token is required");
    let resp = http()
        .post(serve.v1("/images/upscale"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_openai_error(
        &resp.json().await.unwrap(),
        "invalid_request_error",
        "unknown_url",
    );
    let resp = http()
        .get(serve.v1("/images/generations"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    let health: Value = http()
        .get(format!("{}/health", serve.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["ok"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_and_tokens_never_reach_the_log_or_the_answers() {
    let upstream = "upstream-SECRET-key-AAAA1111";
    let caller = "caller-SECRET-key-BBBB2222";
    let wrong = "wrong-SECRET-key-CCCC3333";
    let emu = emulator_with(EmulatorConfig {
        keys: vec![ApiKey::new(upstream, 100_000), ApiKey::new(caller, 100_000)],
        ..EmulatorConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens.txt");
    let token = "team-SECRET-token-DDDD4444";
    std::fs::write(&tokens, format!("{token}\n")).unwrap();
    let base = emu.base_url();

    let mut answers = String::new();
    let pass = Serve::before(&emu, &[]);
    for t in [Some(caller), Some(wrong), None] {
        for body in [json!({"prompt": "a"}), json!({"prompt": "a", "n": 9})] {
            answers.push_str(&pass.post(t, body).await.2.to_string());
        }
    }
    let (status, pass_log) = pass.stop();
    assert!(status.success());

    let held = Serve::start(
        &[
            "--keys",
            tokens.to_str().unwrap(),
            "--api-key",
            upstream,
            "--base-url",
            &base,
        ],
        &[],
    );
    for t in [Some(token), Some(wrong), Some(upstream), None] {
        answers.push_str(&held.post(t, json!({"prompt": "a"})).await.2.to_string());
    }
    let (status, held_log) = held.stop();
    assert!(status.success());

    assert!(pass_log.contains("status=200") && held_log.contains("status=401"));
    assert!(
        pass_log.contains("key#"),
        "callers are logged by fingerprint"
    );
    for text in [&pass_log, &held_log, &answers] {
        assert!(!text.contains("SECRET"), "a key leaked: {text}");
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_finishes_requests_in_flight_then_exits_0() {
    let emu = emulator_with(EmulatorConfig {
        latency: Duration::from_millis(1_500),
        ..EmulatorConfig::default()
    })
    .await;
    let serve = Serve::before(&emu, &[]);
    let url = serve.v1("/images/generations");
    let health = format!("{}/health", serve.url);
    let in_flight = tokio::spawn(async move {
        http()
            .post(url)
            .bearer_auth(KEY)
            .json(&json!({"prompt": "a fox", "n": 2, "response_format": "b64_json"}))
            .send()
            .await
    });
    // Wait until the generation has reached the emulator (it is charged on acceptance).
    let deadline = Instant::now() + Duration::from_secs(10);
    while emu.ledger().charges.is_empty() {
        assert!(
            Instant::now() < deadline,
            "the request never reached the emulator"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    serve.signal("-TERM");
    tokio::time::sleep(Duration::from_millis(300)).await;
    // No new connections while draining.
    assert!(
        http().get(&health).send().await.is_err(),
        "the listener is closed"
    );
    let resp = in_flight
        .await
        .unwrap()
        .expect("the request in flight is answered");
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    let (status, log) = serve.wait();
    assert!(status.success(), "{status:?}: {log}");
    assert!(log.contains("finishing the requests in flight"), "{log}");
}
