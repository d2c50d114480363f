//! The service endpoints, driven with a plain HTTP client.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};
use visionxl_core::{Size, estimate_credits};
use visionxl_emulator::{ApiKey, Emulator, EmulatorConfig, redact_key};

#[tokio::test]
async fn sync_generation_answers_the_documented_record_and_charges_once() {
    let emu = start().await;
    let c = client();
    let req = body(json!({"prompt": "a fox", "size": "512x512", "n": 2, "leonardo_seed": 42}));
    let (status, b) = generate(&c, &emu, &req).await;
    assert_eq!(status, 200, "{b}");
    let rec = &b["aiRecord"];
    let id = rec["uuid"].as_str().unwrap();
    assert_eq!(id.len(), 36);
    for field in ["userId", "teamId", "createdAt"] {
        assert!(rec[field].is_string(), "{field}");
    }
    assert_eq!(rec["model"], MODEL);
    assert_eq!(rec["type"], "IMAGE_GENERATOR");
    assert_eq!(rec["status"], "SUCCESS");
    assert!(rec["createdAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        rec["aiRecordDetail"]["promptObject"],
        json!({"prompt": "a fox", "size": "512x512", "n": 2, "leonardo_seed": 42})
    );
    let first_paths = paths(&b);
    assert_eq!(first_paths.len(), 2);
    for (i, p) in first_paths.iter().enumerate() {
        assert!(p.starts_with("development/images/"), "{p}");
        assert!(p.ends_with(&format!("_{i}.webp")), "{p}");
    }
    let temp = rec["temporaryUrl"].as_str().unwrap();
    assert!(
        temp.contains(&first_paths[0]) && temp.contains("X-Amz-Signature="),
        "{temp}"
    );
    assert!(!temp.contains(&first_paths[1]));

    let ledger = emu.ledger();
    assert_eq!(ledger.charges_for(id), 1);
    assert_eq!(ledger.total_charged(), 234);
    assert_eq!(ledger.charges[0].key, "vxl-…-key");
    assert_eq!(ledger.balance(KEY), Some(100_000 - 234));
    assert!(!serde_json::to_string(&ledger).unwrap().contains(KEY));

    // The first image through the signed URL, the second through the asset host.
    let (s, ct, first) = download(&c, temp).await;
    assert_eq!((s, ct.as_str()), (200, "image/webp"));
    let img = image::load_from_memory(&first).unwrap();
    assert_eq!((img.width(), img.height()), (512, 512));
    let (s, _, second) =
        download(&c, &format!("{}/{}", emu.asset_base_url(), first_paths[1])).await;
    assert_eq!(s, 200);
    assert_ne!(first, second);
    // The asset host serves the first path too, and the same bytes.
    let (_, _, again) = download(&c, &format!("{}/{}", emu.asset_base_url(), first_paths[0])).await;
    assert_eq!(first, again);
    if let Ok(dir) = std::env::var("VISIONXL_EMULATOR_PREVIEW_DIR") {
        img.save(std::path::Path::new(&dir).join("emulated.png"))
            .unwrap();
    }

    // Same seed and prompt: the same pictures under new paths.
    let (_, b2) = generate(&c, &emu, &req).await;
    let p2 = paths(&b2);
    assert_ne!(p2[0], first_paths[0]);
    let (_, _, same) = download(&c, &format!("{}/{}", emu.asset_base_url(), p2[0])).await;
    assert_eq!(same, first);
    assert_eq!(emu.ledger().charges.len(), 2);
}

#[tokio::test]
async fn head_requests_and_every_size() {
    let emu = start_with(|c| c.keys = vec![rich(KEY)]).await;
    let c = client();
    for size in Size::ALL {
        let (s, b) = generate(
            &c,
            &emu,
            &body(json!({"prompt": "sizes", "size": size.as_str()})),
        )
        .await;
        assert_eq!(s, 200);
        let url = b["aiRecord"]["temporaryUrl"].as_str().unwrap().to_string();
        let head = c.head(&url).send().await.unwrap();
        assert_eq!(head.status(), 200);
        let len: usize = head.headers()["content-length"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let (_, _, bytes) = download(&c, &url).await;
        assert_eq!(bytes.len(), len);
        let img = image::load_from_memory(&bytes).unwrap();
        assert_eq!((img.width(), img.height()), (size.width(), size.height()));
    }
}

#[tokio::test]
async fn transparency_gives_png_with_alpha() {
    let emu = start().await;
    let c = client();
    let (s, b) = generate(
        &c,
        &emu,
        &body(json!({"prompt": "a cup", "size": "512x512", "leonardo_transparency": "foreground_only"})),
    )
    .await;
    assert_eq!(s, 200);
    assert!(paths(&b)[0].ends_with(".png"));
    let (s, ct, bytes) = download(&c, b["aiRecord"]["temporaryUrl"].as_str().unwrap()).await;
    assert_eq!((s, ct.as_str()), (200, "image/png"));
    let img = image::load_from_memory(&bytes).unwrap().to_rgba8();
    assert_eq!(img.dimensions(), (512, 512));
    assert_eq!(img.get_pixel(0, 0).0[3], 0, "background is transparent");
    assert_eq!(img.get_pixel(256, 150).0[3], 255, "foreground is opaque");
}

#[tokio::test]
async fn every_price_of_the_table_is_charged() {
    let emu = start_with(|c| c.keys = vec![rich(KEY)]).await;
    let c = client();
    let mut expected = 0u64;
    for size in Size::ALL {
        for n in 1..=4u32 {
            let (s, b) = generate(
                &c,
                &emu,
                &body(json!({"prompt": "p", "size": size.as_str(), "n": n})),
            )
            .await;
            assert_eq!(s, 200, "{b}");
            assert_eq!(paths(&b).len(), n as usize);
            let price = u64::from(estimate_credits(size, n).unwrap());
            let id = b["aiRecord"]["uuid"].as_str().unwrap();
            let ledger = emu.ledger();
            let charge = ledger.charges.iter().find(|ch| ch.record_id == id).unwrap();
            assert_eq!(charge.credits, price, "{size} n={n}");
            expected += price;
        }
    }
    // Size and n left out: the documented defaults (1024x1024, n=1).
    let (_, b) = generate(&c, &emu, &body(json!({"prompt": "defaults"}))).await;
    assert_eq!(paths(&b).len(), 1);
    expected += 286;
    let ledger = emu.ledger();
    assert_eq!(ledger.total_charged(), expected);
    assert_eq!(ledger.balance(KEY), Some((1u64 << 40) - expected));
}

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
    let r = c
        .post(format!("{}/api/assets", emu.base_url()))
        .send()
        .await
        .unwrap();
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
        let r = c
            .post(format!("{}/api/features", emu.base_url()))
            .header("API-KEY", &key)
            .body(raw.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let e: Value = r.json().await.unwrap();
        assert!(e["errorCode"].is_string());
    }
    let deep = "[".repeat(100_000);
    let r = c
        .post(format!("{}/api/features", emu.base_url()))
        .header("API-KEY", &key)
        .body(deep)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let big = format!(r#"{{"prompt": "{}"}}"#, "a".repeat(2 << 20));
    let r = c
        .post(format!("{}/api/features", emu.base_url()))
        .header("API-KEY", &key)
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);

    // Wrong method and unknown path: JSON, never a panic.
    let r = c
        .get(format!("{}/api/features", emu.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    let r = c
        .get(format!("{}/api/nothing", emu.base_url()))
        .send()
        .await
        .unwrap();
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

#[tokio::test]
async fn async_mode_and_results_endpoint() {
    let emu = start_with(|c| {
        c.latency = Duration::from_millis(900);
        c.keys = vec![
            ApiKey::new(KEY, 100_000),
            ApiKey::new("other-key-0001", 1000),
        ];
    })
    .await;
    let c = client();
    let mut req = body(json!({"prompt": "later", "size": "512x512", "n": 3}));
    req["async"] = json!(true);
    let t0 = Instant::now();
    let (s, b) = generate(&c, &emu, &req).await;
    assert!(
        t0.elapsed() < Duration::from_millis(800),
        "async answers at once"
    );
    assert_eq!(s, 200);
    assert_eq!(b["aiRecord"]["status"], "PROCESSING");
    assert_eq!(paths(&b).len(), 0);
    assert!(b["aiRecord"].get("temporaryUrl").is_none());
    let id = b["aiRecord"]["uuid"].as_str().unwrap().to_string();
    assert_eq!(emu.ledger().charges_for(&id), 1, "charged when accepted");

    let url = format!("{}/api/results/{id}", emu.base_url());
    let (s, r) = get_json(&c, &url, Some(KEY)).await;
    assert_eq!(
        (s, r["aiRecord"]["status"].as_str()),
        (200, Some("PROCESSING"))
    );
    // Another key does not see it.
    let (s, r) = get_json(&c, &url, Some("other-key-0001")).await;
    assert_eq!((s, &r), (200, &json!({"aiRecord": null})));

    tokio::time::sleep(Duration::from_millis(950)).await;
    let (_, r) = get_json(&c, &url, Some(KEY)).await;
    assert_eq!(r["aiRecord"]["status"], "SUCCESS");
    let p = paths(&r);
    assert_eq!(p.len(), 3);
    let (s, _, bytes) = download(&c, r["aiRecord"]["temporaryUrl"].as_str().unwrap()).await;
    assert_eq!(s, 200);
    assert!(image::load_from_memory(&bytes).is_ok());
    assert_eq!(emu.ledger().charges_for(&id), 1, "reading is free");

    // Unknown ids.
    let (s, r) = get_json(
        &c,
        &format!("{}/api/results/no-such-id", emu.base_url()),
        Some(KEY),
    )
    .await;
    assert_eq!((s, r), (200, json!({"aiRecord": null})));

    // Synchronous requests wait the latency.
    let t0 = Instant::now();
    let (s, b) = generate(&c, &emu, &body(json!({"prompt": "now", "size": "512x512"}))).await;
    assert!(t0.elapsed() >= Duration::from_millis(900));
    assert_eq!(
        (s, b["aiRecord"]["status"].as_str()),
        (200, Some("SUCCESS"))
    );
}

#[tokio::test]
async fn results_of_a_processing_record_are_not_downloadable_yet() {
    let emu = start_with(|c| c.latency = Duration::from_millis(500)).await;
    let c = client();
    let mut req = body(json!({"prompt": "slow", "size": "512x512"}));
    req["async"] = json!("true");
    let (_, b) = generate(&c, &emu, &req).await;
    assert_eq!(b["aiRecord"]["status"], "PROCESSING");
    // The path the record will have: createdAt stamp + the id's first 12 hex digits + index.
    let id = b["aiRecord"]["uuid"].as_str().unwrap();
    let created = b["aiRecord"]["createdAt"].as_str().unwrap();
    let stamp: String = created
        .trim_end_matches('Z')
        .chars()
        .map(|ch| if ch.is_ascii_digit() { ch } else { '_' })
        .collect();
    let short: String = id.replace('-', "").chars().take(12).collect();
    let url = format!(
        "{}/development/images/{stamp}_{short}_0.webp",
        emu.asset_base_url()
    );
    let (s, ct, _) = download(&c, &url).await;
    assert_eq!((s, ct.as_str()), (404, "application/xml"), "{url}");
    tokio::time::sleep(Duration::from_millis(550)).await;
    let (_, r) = get_json(
        &c,
        &format!("{}/api/results/{id}", emu.base_url()),
        Some(KEY),
    )
    .await;
    assert_eq!(
        paths(&r)[0],
        url.trim_start_matches(&format!("{}/", emu.asset_base_url()))
    );
    let (s, ct, _) = download(&c, &url).await;
    assert_eq!((s, ct.as_str()), (200, "image/webp"));
}

#[tokio::test]
async fn assets_upload_and_reference_checks() {
    let emu = start().await;
    let c = client();
    let (s, a) = upload(&c, &emu, "asset", png_bytes()).await;
    assert_eq!(s, 200, "{a}");
    let key = a["asset"]["key"].as_str().unwrap().to_string();
    let path = a["fileContent"]["path"].as_str().unwrap().to_string();
    assert!(!key.is_empty() && path.ends_with(".png"));

    // The uploaded file is served by the asset host.
    let (s, ct, bytes) = download(&c, &format!("{}/{path}", emu.asset_base_url())).await;
    assert_eq!((s, ct.as_str()), (200, "image/png"));
    assert_eq!(bytes, png_bytes());

    // Either reference works as init image and as image prompt.
    for reference in [&key, &path] {
        let (s, b) = generate(
            &c,
            &emu,
            &body(json!({"prompt": "from init", "size": "512x512",
                "leonardo_init_image_id": reference, "leonardo_init_strength": 0.5,
                "leonardo_image_prompts": [reference]})),
        )
        .await;
        assert_eq!(s, 200, "{b}");
    }
    let charges = emu.ledger().charges.len();
    // Unknown references are refused, every one named, nothing charged.
    let (s, e) = generate(
        &c,
        &emu,
        &body(
            json!({"prompt": "x", "leonardo_init_image_id": "missing-init",
            "leonardo_image_prompts": [key, "missing-prompt"]}),
        ),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(e["errorCode"], "EXTERNAL_API_RESPONSE_WITH_ERROR");
    let msg = details(&e)["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("missing-init") && msg.contains("missing-prompt"),
        "{msg}"
    );
    assert_eq!(emu.ledger().charges.len(), charges);

    // Not an image, no `asset` field, not multipart, too large.
    let (s, e) = upload(&c, &emu, "asset", b"hello, not an image".to_vec()).await;
    assert_eq!(s, 400, "{e}");
    let (s, e) = upload(&c, &emu, "file", png_bytes()).await;
    assert_eq!(
        (s, e["errorCode"].as_str()),
        (400, Some("MISSING_REQUIRED_FIELDS"))
    );
    let r = c
        .post(format!("{}/api/assets", emu.base_url()))
        .header("API-KEY", emu.api_key())
        .json(&json!({"asset": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let mut huge = png_bytes();
    huge.resize(visionxl_emulator::MAX_ASSET_BYTES + 1, 0);
    let part = reqwest::multipart::Part::bytes(huge).file_name("big.png");
    let r = c
        .post(format!("{}/api/assets", emu.base_url()))
        .header("API-KEY", emu.api_key())
        .multipart(reqwest::multipart::Form::new().part("asset", part))
        .send()
        .await;
    // The emulator answers 413 (or closes once it has answered while the upload still streams).
    if let Ok(r) = r {
        assert_eq!(r.status(), 413);
    }
}

#[tokio::test]
async fn models_catalog() {
    let emu = start().await;
    let c = client();
    let (s, m) = get_json(
        &c,
        &format!("{}/models?feature=IMAGE_GENERATOR", emu.base_url()),
        None,
    )
    .await;
    assert_eq!(s, 200);
    let entry = &m["models"][0];
    assert_eq!(entry["uuid"], MODEL);
    assert_eq!(entry["pricing"].as_array().unwrap().len(), 16);
    assert_eq!(entry["parameters"].as_array().unwrap().len(), 27);
    assert!(
        entry["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "leonardo_tilling")
    );
    let (_, all) = get_json(&c, &format!("{}/models", emu.base_url()), None).await;
    assert_eq!(all["models"].as_array().unwrap().len(), 1);
    let (_, none) = get_json(
        &c,
        &format!("{}/models?feature=CHAT_WITH_AI", emu.base_url()),
        None,
    )
    .await;
    assert_eq!(none, json!({"models": []}));
}

#[tokio::test]
async fn temporary_urls_are_signed_and_expire() {
    let emu = start_with(|c| c.temporary_url_ttl = Duration::from_secs(1)).await;
    let c = client();
    let (_, b) = generate(&c, &emu, &body(json!({"prompt": "t", "size": "512x512"}))).await;
    let url = b["aiRecord"]["temporaryUrl"].as_str().unwrap().to_string();
    assert!(url.contains("X-Amz-Expires=1&"));
    let (s, _, _) = download(&c, &url).await;
    assert_eq!(s, 200);

    // A tampered signature, a tampered expiry, no query at all.
    let bad_sig = url.replace("X-Amz-Signature=", "X-Amz-Signature=0");
    let longer = url.replace("X-Amz-Expires=1&", "X-Amz-Expires=99999&");
    let bare = url.split('?').next().unwrap().to_string();
    for (u, code) in [
        (bad_sig, "SignatureDoesNotMatch"),
        (longer, "SignatureDoesNotMatch"),
        (bare, "AccessDenied"),
    ] {
        let (s, ct, body) = download(&c, &u).await;
        assert_eq!((s, ct.as_str()), (403, "application/xml"));
        let text = String::from_utf8(body).unwrap();
        assert!(text.contains(&format!("<Code>{code}</Code>")), "{text}");
    }

    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (s, ct, body) = download(&c, &url).await;
    assert_eq!((s, ct.as_str()), (403, "application/xml"));
    let text = String::from_utf8(body).unwrap();
    assert!(text.contains("<Code>AccessDenied</Code>") && text.contains("Request has expired"));
    // The asset host still serves it, and reading the record again signs a fresh URL.
    let p = paths(&b);
    let (s, _, _) = download(&c, &format!("{}/{}", emu.asset_base_url(), p[0])).await;
    assert_eq!(s, 200);
    let id = b["aiRecord"]["uuid"].as_str().unwrap();
    let (_, again) = get_json(
        &c,
        &format!("{}/api/results/{id}", emu.base_url()),
        Some(KEY),
    )
    .await;
    let (s, _, _) = download(&c, again["aiRecord"]["temporaryUrl"].as_str().unwrap()).await;
    assert_eq!(s, 200);

    // Unknown and hostile paths.
    for p in [
        "development/images/nope.webp",
        "../../etc/passwd",
        "%2e%2e/x",
    ] {
        let (s, ct, _) = download(&c, &format!("{}/{p}", emu.asset_base_url())).await;
        // (The client may normalise `..` and `%2e%2e` away and land outside /asset: still a 404.)
        assert_eq!(s, 404, "{p}");
        assert!(
            ct == "application/xml" || !p.starts_with("development"),
            "{p}: {ct}"
        );
    }
}

#[tokio::test]
async fn control_endpoints_ledger_and_reset() {
    let emu = start().await;
    let c = client();
    let (_, b) = generate(&c, &emu, &body(json!({"prompt": "r", "size": "512x512"}))).await;
    let id = b["aiRecord"]["uuid"].as_str().unwrap().to_string();
    let (s, l) = get_json(&c, &format!("{}/_emulator/ledger", emu.base_url()), None).await;
    assert_eq!(s, 200);
    let ledger: visionxl_emulator::Ledger = serde_json::from_value(l).unwrap();
    assert_eq!(ledger, emu.ledger());
    assert_eq!(ledger.charges_for(&id), 1);
    assert_eq!(ledger.balances[&redact_key(KEY)], 100_000 - 234);

    let (s, _) = get_json(&c, &format!("{}/_emulator/health", emu.base_url()), None).await;
    assert_eq!(s, 200);
    emu.inject(visionxl_emulator::Fault::new(
        visionxl_emulator::FaultKind::Cloudflare,
    ));
    let r = c
        .post(format!("{}/_emulator/reset", emu.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let ledger = emu.ledger();
    assert!(ledger.charges.is_empty());
    assert_eq!(ledger.balance(KEY), Some(100_000));
    assert!(emu.pending_faults().is_empty());
    let (_, r) = get_json(
        &c,
        &format!("{}/api/results/{id}", emu.base_url()),
        Some(KEY),
    )
    .await;
    assert_eq!(r, json!({"aiRecord": null}));
    let (s, _, _) = download(&c, &format!("{}/{}", emu.asset_base_url(), paths(&b)[0])).await;
    assert_eq!(s, 404);

    // Library reset too.
    let (s, _) = generate(&c, &emu, &body(json!({"prompt": "r"}))).await;
    assert_eq!(s, 200);
    emu.reset();
    assert_eq!(emu.ledger().total_charged(), 0);
}

#[test]
fn start_blocking_outside_a_runtime() {
    let emu = Emulator::start_blocking(EmulatorConfig::default()).unwrap();
    assert!(emu.base_url().starts_with("http://127.0.0.1:"));
    assert_eq!(emu.asset_base_url(), format!("{}/asset", emu.base_url()));
    assert_eq!(emu.api_key(), KEY);
    // Plain std networking: no runtime here at all.
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(emu.local_addr()).unwrap();
    let payload = body(json!({"prompt": "blocking", "size": "512x512"})).to_string();
    write!(
        s,
        "POST /api/features HTTP/1.1\r\nHost: x\r\nAPI-KEY: {KEY}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
        payload.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(emu.ledger().charges.len(), 1);
    let addr = emu.local_addr();
    drop(emu);
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "dropped emulator stops listening"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_blocking_inside_a_runtime_and_shutdown() {
    let emu = Emulator::start_blocking(EmulatorConfig::default()).unwrap();
    let c = client();
    let (s, _) = generate(
        &c,
        &emu,
        &body(json!({"prompt": "in rt", "size": "512x512"})),
    )
    .await;
    assert_eq!(s, 200);
    let addr = emu.local_addr();
    emu.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());

    let emu = start().await;
    let addr = emu.local_addr();
    emu.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn fixed_port_and_bind_errors() {
    let first = start().await;
    let port = first.local_addr().port();
    let err = Emulator::start(EmulatorConfig {
        port,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    assert!(
        Emulator::start_blocking(EmulatorConfig {
            port,
            ..EmulatorConfig::default()
        })
        .is_err()
    );
    assert!(first.local_addr().ip().is_loopback());
}

#[tokio::test]
async fn a_prompt_object_wrapping_a_request_body_is_refused() {
    let emu = start().await;
    let c = client();
    let nested = body(json!({
        "type": "IMAGE_GENERATOR",
        "model": "5c232a9e-9061-4777-980a-ddc8e65647c6",
        "promptObject": {"prompt": "inner"}
    }));
    let (s, b) = generate(&c, &emu, &nested).await;
    assert_eq!(s, 400, "{b}");
    assert!(emu.ledger().charges.is_empty());
}
