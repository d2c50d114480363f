//! Build + validate + serialise a request with every field set: the per-call cost of the core.
//! Run: `cargo bench -p visionxl-core --bench request`.
//!
//! Besides criterion's figures it prints a `RESULT` line next to a baseline measured in the
//! same run: the same body written by hand as a `serde_json::json!` value and serialised, with
//! no validation — what a caller without the SDK would do.

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use visionxl_core::{
    GenerateRequest, PhotoRealVersion, PromptMagicVersion, Size, Transparency, wire,
};

fn full_request() -> Result<GenerateRequest, visionxl_core::Error> {
    GenerateRequest::builder(black_box("a lighthouse on a cliff at dusk, volumetric fog"))
        .negative_prompt("blurry, low quality")
        .size(Size::S1024x768)
        .n(4)
        .guidance_scale(12)
        .num_inference_steps(45)
        .seed(9_999_999_998)
        .tiling(false)
        .transparency(Transparency::Disabled)
        .preset_style("cinematic".parse().unwrap())
        .image_prompts(vec!["asset-1".into(), "asset-2".into()])
        .init_image_id("asset-0")
        .init_strength(0.4)
        .fantasy_avatar(false)
        .alchemy(true)
        .contrast_ratio(0.5)
        .expanded_domain(true)
        .photo_real(true)
        .photo_real_version(PhotoRealVersion::V2)
        .photo_real_strength(0.5)
        .prompt_magic(true)
        .prompt_magic_version(PromptMagicVersion::V3)
        .prompt_magic_strength(0.4)
        .high_contrast(true)
        .high_resolution(true)
        .enhance_prompt(true)
        .enhance_prompt_instruction("more dramatic light")
        .build()
}

fn bench(c: &mut Criterion) {
    c.bench_function("build+validate+serialise (every field)", |b| {
        b.iter(|| {
            let req = full_request().unwrap();
            let body = wire::request_body_bytes(&req, false);
            black_box(body)
        })
    });
    let json = full_request().unwrap().to_wire();
    c.bench_function("parse+validate wire JSON (every field)", |b| {
        b.iter(|| black_box(GenerateRequest::from_wire_json(black_box(&json)).unwrap()))
    });
}

/// The same body, written by hand (no validation, no defaults, no typed fields).
fn hand_written_body() -> Vec<u8> {
    let body = serde_json::json!({
        "type": "IMAGE_GENERATOR",
        "model": "5c232a9e-9061-4777-980a-ddc8e65647c6",
        "promptObject": {
            "prompt": black_box("a lighthouse on a cliff at dusk, volumetric fog"),
            "negativePrompt": "blurry, low quality", "size": "1024x768", "n": 4,
            "leonardo_guidance_scale": 12, "leonardo_num_inference_steps": 45,
            "leonardo_seed": 9_999_999_998u64, "leonardo_tilling": false,
            "leonardo_transparency": "disabled", "leonardo_preset_style": "CINEMATIC",
            "leonardo_image_prompts": ["asset-1", "asset-2"],
            "leonardo_init_image_id": "asset-0", "leonardo_init_strength": 0.4,
            "leonardo_fantasy_avatar": false, "leonardo_alchemy": true,
            "leonardo_contrast_ratio": 0.5, "leonardo_expanded_domain": true,
            "leonardo_photo_real": true, "leonardo_photo_real_version": "v2",
            "leonardo_photo_real_strength": 0.5, "leonardo_prompt_magic": true,
            "leonardo_prompt_magic_version": "v3", "leonardo_prompt_magic_strength": 0.4,
            "leonardo_hight_constrast": true, "leonardo_hight_resolution": true,
            "leonardo_enhance_prompt": true,
            "leonardo_enhance_prompt_instruction": "more dramatic light"
        },
        "async": false
    });
    serde_json::to_vec(&body).unwrap()
}

/// Nanoseconds per call of `f`: the best of 7 runs of `iters` calls.
fn ns_per_call(iters: u32, f: impl Fn() -> usize) -> f64 {
    (0..7)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                black_box(f());
            }
            t.elapsed().as_nanos() as f64 / f64::from(iters)
        })
        .fold(f64::INFINITY, f64::min)
}

/// The side-by-side summary: SDK build+validate+serialise vs the hand-written body.
fn summary(_: &mut Criterion) {
    let sdk = || wire::request_body_bytes(&full_request().unwrap(), false).len();
    let hand = || hand_written_body().len();
    let (mut s, mut h) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..3 {
        s = s.min(ns_per_call(100_000, sdk));
        h = h.min(ns_per_call(100_000, hand));
    }
    println!(
        "RESULT rust_core sdk_ns_per_call={s:.0} hand_json_ns_per_call={h:.0} ratio_sdk_over_hand={:.2}",
        s / h
    );
}

criterion_group!(benches, bench, summary);
criterion_main!(benches);
