//! What the service endpoints refuse: keys, malformed requests, credits, concurrent charges.

#![allow(unused_imports)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};
use visionxl_core::{Size, estimate_credits};
use visionxl_emulator::{ApiKey, Emulator, EmulatorConfig, redact_key};

#[tokio::test]
async fn authentication() {
    let emu = start().await;
    let c = client();
    let req = body(json!({"prompt": "x"}));
    for key in [None, Some("wrong-key"), Some("")] {
        let r = post_json(&c, &emu, "/api/features", key, &req).await;
        assert_eq!(r.status(), 401);
        let b: Value = r.json().await.unwrap();
        assert_eq!(b["errorCode"], "UNAUTHORIZED");
        assert!(b["message"].as_str().unwrap().contains("API key"));
    }
    let (s, _) = get_json(&c, &format!("{}/api/results/abc", emu.base_url()), None).await;
    assert_eq!(s, 401);
    let (s, _) = get_json(
        &c,
        &format!("{}/api/results/abc", emu.base_url()),
        Some("nope"),
    )
    .await;
    assert_eq!(s, 401);
    let r = bare(&c, reqwest::Method::POST, &emu, "/api/assets").await;
    assert_eq!(r.status(), 401);
    // A header value that is not UTF-8 is just a wrong key.
    let r = c
        .post(format!("{}/api/features", emu.base_url()))
        .header(
            "API-KEY",
            reqwest::header::HeaderValue::from_bytes(b"\xff\xfe").unwrap(),
        )
        .json(&req)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(emu.ledger().charges.len(), 0);
}

/// POSTs `body` as is to /api/features with `key`.
async fn raw_features(
    c: &reqwest::Client,
    emu: &Emulator,
    key: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    c.post(format!("{}/api/features", emu.base_url()))
        .header("API-KEY", key)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn request_errors_in_the_live_shape() {
    let emu = start().await;
    let c = client();
    let key = emu.api_key();

    // Unsupported feature type.
    let mut b = body(json!({"prompt": "x"}));
    b["type"] = json!("CHAT_WITH_AI");
    let (s, e) = generate(&c, &emu, &b).await;
    assert_eq!((s, e["errorCode"].as_str()), (400, Some("UNKNOWN_ERROR")));
    assert_eq!(e["message"], "Unsupported feature type");

    // Another model.
    let mut b = body(json!({"prompt": "x"}));
    b["model"] = json!("dall-e-3");
    let (s, e) = generate(&c, &emu, &b).await;
    assert_eq!(
        (s, e["errorCode"].as_str()),
        (400, Some("UNSUPPORTED_MODEL"))
    );

    // Missing or blank prompt.
    for po in [json!({"size": "512x512"}), json!({"prompt": "   "})] {
        let (s, e) = generate(&c, &emu, &body(po)).await;
        assert_eq!(
            (s, e["errorCode"].as_str()),
            (400, Some("MISSING_REQUIRED_FIELDS")),
            "{e}"
        );
    }
    // No promptObject at all.
    let (s, e) = generate(
        &c,
        &emu,
        &json!({"type": "IMAGE_GENERATOR", "model": MODEL}),
    )
    .await;
    assert_eq!(
        (s, e["errorCode"].as_str()),
        (400, Some("MISSING_REQUIRED_FIELDS"))
    );

    // Every violation at once, the real cause in `details`.
    let (s, e) = generate(
        &c,
        &emu,
        &body(json!({
            "prompt": "x", "n": 9, "size": "5x5", "leonardo_guidance_scale": 99,
            "leonardo_init_strength": "strong", "leonardo_tiling": true
        })),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(e["errorCode"], "EXTERNAL_API_RESPONSE_WITH_ERROR");
    assert_eq!(e["message"], "Something went wrong, please try again");
    let d = details(&e);
    let msg = d["error"]["message"].as_str().unwrap();
    for field in [
        "n",
        "size",
        "leonardo_guidance_scale",
        "leonardo_init_strength",
        "leonardo_tiling",
    ] {
        assert!(msg.contains(field), "{field} missing from {msg}");
    }
    assert_eq!(d["error"]["violations"].as_array().unwrap().len(), 5);
    assert!(msg.contains("leonardo_tilling"), "did you mean: {msg}");
    // promptObject of the wrong type.
    let (s, e) = generate(&c, &emu, &body(json!(["prompt"]))).await;
    assert_eq!(
        (s, e["errorCode"].as_str()),
        (400, Some("EXTERNAL_API_RESPONSE_WITH_ERROR"))
    );

    // Not JSON, not an object, too large.
    for raw in [&b"{not json"[..], b"", b"[1,2]", b"\"s\"", b"\xff\xfe\x00"] {
        let r = raw_features(&c, &emu, &key, raw.to_vec()).await;
        assert_eq!(r.status(), 400);
        let e: Value = r.json().await.unwrap();
        assert!(e["errorCode"].is_string());
    }
    let deep = "[".repeat(100_000);
    let r = raw_features(&c, &emu, &key, deep).await;
    assert_eq!(r.status(), 400);
    let big = format!(r#"{{"prompt": "{}"}}"#, "a".repeat(2 << 20));
    let r = raw_features(&c, &emu, &key, big).await;
    assert_eq!(r.status(), 413);

    // Wrong method and unknown path: JSON, never a panic.
    let r = bare(&c, reqwest::Method::GET, &emu, "/api/features").await;
    assert_eq!(r.status(), 405);
    let r = bare(&c, reqwest::Method::GET, &emu, "/api/nothing").await;
    assert_eq!(r.status(), 404);

    assert_eq!(emu.ledger().charges.len(), 0, "no error is charged");
    assert_eq!(emu.ledger().balance(KEY), Some(100_000));
    // And the emulator still works.
    let (s, _) = generate(
        &c,
        &emu,
        &body(json!({"prompt": "still alive", "size": "512x512"})),
    )
    .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn insufficient_credits_is_402_and_charges_nothing() {
    let emu = start_with(|c| c.keys = vec![ApiKey::new("poor-key-0001", 300)]).await;
    let c = client();
    let req = body(json!({"prompt": "x"}));
    let (s, _) = generate(&c, &emu, &req).await;
    assert_eq!(s, 200);
    let (s, e) = generate(&c, &emu, &req).await;
    assert_eq!(s, 402);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("credits"),
        "{e}"
    );
    let ledger = emu.ledger();
    assert_eq!(ledger.charges.len(), 1);
    assert_eq!(ledger.balance("poor-key-0001"), Some(14));
    // A cheaper request still fits? No: 234 > 14.
    let (s, _) = generate(&c, &emu, &body(json!({"prompt": "x", "size": "512x512"}))).await;
    assert_eq!(s, 402);
    // The credit check comes first: a queued generation failure stays queued.
    emu.inject(visionxl_emulator::Fault::new(
        visionxl_emulator::FaultKind::GenerationFailure {
            message: "m".into(),
        },
    ));
    let (s, _) = generate(&c, &emu, &req).await;
    assert_eq!(s, 402);
    assert_eq!(emu.pending_faults().len(), 1);
    assert_eq!(emu.ledger().balance("poor-key-0001"), Some(14));
}

#[tokio::test]
async fn concurrent_charges_never_overdraw() {
    let emu = start_with(|c| c.keys = vec![ApiKey::new("race-key-0001", 10 * 234)]).await;
    let c = client();
    let req = body(json!({"prompt": "race", "size": "512x512"}));
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let (c, url, req) = (c.clone(), emu.base_url(), req.clone());
        tasks.push(tokio::spawn(async move {
            c.post(format!("{url}/api/features"))
                .header("API-KEY", "race-key-0001")
                .json(&req)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            200 => ok += 1,
            402 => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(ok, 10);
    let ledger = emu.ledger();
    assert_eq!(ledger.total_charged(), 2340);
    assert_eq!(ledger.balance("race-key-0001"), Some(0));
    let mut ids: Vec<_> = ledger.charges.iter().map(|c| c.record_id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 10);
}
