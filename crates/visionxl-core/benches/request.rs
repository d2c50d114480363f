//! Build + validate + serialise a request with every field set: the per-call cost of the core.
//! Run: `cargo bench -p visionxl-core --bench request`.
//!
//! The request is the shared case `tests/vectors/every_field.json` (the same in the Python, Node
//! and C benchmarks), built from its SDK names with [`GenerateRequest::from_params`] (the path
//! every binding takes). Besides criterion's figures it prints a `RESULT` line next to a
//! baseline measured in the same run: the case's wire JSON copied into a request body and
//! serialised, with no validation — what a caller without the SDK would do.

use std::hint::black_box;
use std::sync::OnceLock;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::Value;
use visionxl_core::{GenerateRequest, Naming, ParamValue, wire};

/// `tests/vectors/every_field.json`.
fn case() -> &'static Value {
    static CASE: OnceLock<Value> = OnceLock::new();
    CASE.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/vectors/every_field.json"
        );
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap()
    })
}

/// The case's parameters by SDK name, converted once.
fn params() -> &'static [(String, ParamValue)] {
    static PARAMS: OnceLock<Vec<(String, ParamValue)>> = OnceLock::new();
    PARAMS.get_or_init(|| {
        case()["sdk"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), ParamValue::from(v)))
            .collect()
    })
}

fn full_request() -> Result<GenerateRequest, visionxl_core::Error> {
    let params = black_box(params()).iter().cloned();
    GenerateRequest::from_params(params, Naming::Sdk, None).map(|(req, _)| req)
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
    assert_eq!(
        json,
        case()["wire"],
        "every_field.json: the SDK sends its wire JSON"
    );
    c.bench_function("parse+validate wire JSON (every field)", |b| {
        b.iter(|| black_box(GenerateRequest::from_wire_json(black_box(&json)).unwrap()))
    });
}

/// The same body without the SDK: the case's wire JSON copied into a body and serialised (no
/// validation, no defaults, no typed fields).
fn hand_written_body() -> Vec<u8> {
    let body = serde_json::json!({
        "type": "IMAGE_GENERATOR",
        "model": "5c232a9e-9061-4777-980a-ddc8e65647c6",
        "promptObject": black_box(&case()["wire"]).clone(),
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
