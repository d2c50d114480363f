//! `visionxl serve` answers with images: url and b64_json answers, sizes, extra Vision XL parameters, concurrent callers.

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
            let b = b64(&item["b64_json"]);
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
async fn concurrent_callers_each_get_their_own_images() {
    let emu = slow_emulator(200).await;
    let serve = Arc::new(Serve::before(&emu, &[]));
    // Phase 1: 16 url callers at once (no image work: the emulator draws lazily).
    // Phase 2: 8 callers mixing url and b64_json (the server downloads every image).
    // No wall-time bound: what is checked is that each caller gets its own record and images.
    let mut ids = Vec::new();
    for (callers, url_only) in [(16u64, true), (8, false)] {
        let mut tasks = Vec::new();
        for i in 0..callers {
            let serve = serve.clone();
            tasks.push(tokio::spawn(async move {
                let n = i % 4 + 1;
                let format = if url_only || i % 2 == 0 {
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
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 24);
    assert_eq!(emu.ledger().charges.len(), 24, "each charged once");
}
