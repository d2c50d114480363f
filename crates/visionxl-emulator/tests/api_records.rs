//! Records, results, assets, models, signed URLs and the control endpoints of the emulator.

#![allow(unused_imports)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};
use visionxl_core::{Size, estimate_credits};
use visionxl_emulator::{ApiKey, Emulator, EmulatorConfig, redact_key};

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
    let r = bare(&c, reqwest::Method::POST, &emu, "/_emulator/reset").await;
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
