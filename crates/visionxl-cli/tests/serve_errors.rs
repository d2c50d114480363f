//! `visionxl serve` errors in OpenAI shape: bad input, upstream rate limits and failures, credits and budget.

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

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_a_400_in_openai_shape_naming_the_field_and_nothing_is_charged() {
    let emu = emulator().await;
    let serve = Serve::before(&emu, &[]);
    let cases: Value =
        serde_json::from_str(include_str!("data/refused_requests.json")).expect("JSON");
    let cases = cases["cases"].as_array().expect("cases").iter().map(|c| {
        (
            c["body"].clone(),
            c["param"].as_str().expect("param"),
            c["code"].as_str().expect("code"),
        )
    });
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
        let resp = serve
            .keyed_post("/images/generations")
            .body(raw)
            .send()
            .await
            .unwrap();
        assert_invalid_request(resp, 400, "invalid_json", &format!("{raw:?}")).await;
    }
    let huge = json!({"prompt": "x".repeat(1024 * 1024 + 10)});
    let resp = serve
        .keyed_post("/images/generations")
        .json(&huge)
        .send()
        .await
        .unwrap();
    assert_invalid_request(resp, 413, "request_too_large", "a 1 MiB prompt").await;
    assert!(emu.ledger().charges.is_empty(), "nothing charged");
}

/// `times` 429s in a row on the generation endpoint, each asking for no wait.
fn rate_limited(times: u32) -> Fault {
    Fault::new(FaultKind::RateLimit {
        retry_after_secs: 0,
    })
    .times(times)
    .on_path("/api/features")
}

#[tokio::test(flavor = "multi_thread")]
async fn upstream_rate_limits_are_429_with_retry_after() {
    let emu = emulator().await;
    let serve = Serve::before(&emu, &[]);
    // The client retries a 429 twice: three in a row reach the caller.
    emu.inject(rate_limited(3));
    let (status, h, body) = serve.post(Some(KEY), json!({"prompt": "a fox"})).await;
    assert_eq!(status, 429, "{body}");
    assert_openai_error(&body, "requests", "rate_limit_exceeded");
    assert!(h.contains_key("retry-after"));
    assert_eq!(h["x-visionxl-error-code"], "rate_limited");
    assert!(emu.pending_faults().is_empty());
    // Two 429s are absorbed by the client's retries.
    emu.inject(rate_limited(2));
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
    let emu = emulator_with_keys(vec![ApiKey::new("poor-key-0123456789", 300)]).await;
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
