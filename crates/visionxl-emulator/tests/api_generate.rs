//! Generation through the service endpoints: the documented record, sizes, transparency, prices, refused prompt objects.

#![allow(unused_imports)]

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
