//! Build + validate + serialise a request with every field set: the per-call cost of the core.
//! Run: `cargo bench -p visionxl-core --bench request`.

use std::hint::black_box;

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

criterion_group!(benches, bench);
criterion_main!(benches);
