//! `visionxl serve` as a process: startup errors and exit codes, model listing and unknown routes, SIGTERM.

#![allow(unused_imports)]

mod serve_common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use visionxl_emulator::{ApiKey, Emulator, EmulatorConfig, Fault, FaultKind};

use serve_common::*;

#[test]
fn startup_errors_exit_with_the_clis_codes() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("tokens.txt");
    std::fs::write(&keys, "tok\n").unwrap();
    let run = |args: &[&str]| {
        spawn::visionxl(dir.path())
            .arg("serve")
            .args(args)
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
    let list: Value = serve.get_json("/models").await;
    assert_eq!(list["object"], "list");
    let data = list["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["id"], "leonardo-vision-xl");
    assert_eq!(data[0]["object"], "model");
    assert!(data[0]["created"].is_u64() && data[0]["owned_by"].is_string());
    let one = serve.get("/models/leonardo-vision-xl", Some(KEY)).await;
    assert_eq!(one.status(), 200);
    let missing = serve.get("/models/dall-e-3", Some(KEY)).await;
    assert_invalid_request(missing, 404, "model_not_found", "a model not served").await;
    let resp = serve.get("/models", None).await;
    assert_eq!(resp.status(), 401, "a bearer token is required");
    let resp = serve.keyed_post("/images/upscale").send().await.unwrap();
    assert_invalid_request(resp, 404, "unknown_url", "an unknown route").await;
    let resp = serve.get("/images/generations", None).await;
    assert_eq!(resp.status(), 405);
    let health = json_of(http().get(format!("{}/health", serve.url))).await;
    assert_eq!(health["ok"], true);
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_finishes_requests_in_flight_then_exits_0() {
    let emu = slow_emulator(1_500).await;
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
