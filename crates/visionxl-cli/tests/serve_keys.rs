//! `visionxl serve` and keys: pass-through, held-key mode, secrets kept out of logs and answers.

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
async fn pass_through_uses_the_callers_key_upstream() {
    let emu = emulator_with_keys(vec![
        ApiKey::new("alice-key-0123456789", 10_000),
        ApiKey::new("bob-key-0123456789", 10_000),
    ])
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
    let emu = emulator_with_keys(vec![ApiKey::new("upstream-key-0123456789", 10_000)]).await;
    let (_dir, keys) = tokens_file("# callers\nteam-token-1\n\nteam-token-2\n");
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
    let resp = serve.get("/models", None).await;
    assert_eq!(resp.status(), 401);
    let resp = serve.get("/models", Some("team-token-1")).await;
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

#[tokio::test(flavor = "multi_thread")]
async fn keys_and_tokens_never_reach_the_log_or_the_answers() {
    let upstream = "upstream-SECRET-key-AAAA1111";
    let caller = "caller-SECRET-key-BBBB2222";
    let wrong = "wrong-SECRET-key-CCCC3333";
    let emu = emulator_with_keys(vec![
        ApiKey::new(upstream, 100_000),
        ApiKey::new(caller, 100_000),
    ])
    .await;
    let token = "team-SECRET-token-DDDD4444";
    let (_dir, tokens) = tokens_file(&format!("{token}\n"));
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
