//! Helpers of the batch and manifest tests: requests, whole runs, manifest lines, charges.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use visionxl::{BatchItem, BatchOptions, GenerateRequest, Size};
use visionxl_emulator::Emulator;

/// What most batch tests start from: an emulator taking `latency_ms` per generation, a client
/// aimed at it, a temp dir and the manifest path `m.jsonl` in it.
pub async fn setup(latency_ms: u64) -> (Emulator, visionxl::Client, tempfile::TempDir, PathBuf) {
    let emu = super::emulator(latency_ms).await;
    let client = super::client(&emu);
    let (dir, manifest) = manifest_dir();
    (emu, client, dir, manifest)
}

/// A fresh temp dir and the manifest path `m.jsonl` in it.
pub fn manifest_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = super::tempdir();
    let manifest = dir.path().join("m.jsonl");
    (dir, manifest)
}

/// Batch options that write `manifest` (the rest default); `..with_manifest(&m)` adds fields.
pub fn with_manifest(manifest: &Path) -> BatchOptions {
    BatchOptions {
        manifest: Some(manifest.to_path_buf()),
        ..Default::default()
    }
}

/// Rewrites the file without its lines that contain `needle`; returns what it kept.
pub fn drop_lines(path: &Path, needle: &str) -> String {
    let kept: String = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.contains(needle))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(path, &kept).unwrap();
    kept
}

/// `n` small requests, prompts "tile number {i}", n alternating 1 and 2.
pub fn requests(n: usize) -> Vec<GenerateRequest> {
    (0..n)
        .map(|i| {
            GenerateRequest::builder(format!("tile number {i}"))
                .size(Size::S512x512)
                .n(1 + (i % 2) as u32)
                .build()
                .unwrap()
        })
        .collect()
}

/// The manifest lines of one event kind, in order.
pub fn events(path: &std::path::Path, event: &str) -> Vec<serde_json::Value> {
    manifest_lines(path)
        .into_iter()
        .filter(|l| l["event"] == event)
        .collect()
}

/// Every line of a manifest, parsed.
pub fn manifest_lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// How many times each prompt was charged, read back from the records the ledger names.
pub async fn charges_per_prompt(
    emu: &visionxl_emulator::Emulator,
    client: &visionxl::Client,
) -> HashMap<String, usize> {
    let mut per = HashMap::new();
    for c in emu.ledger().charges {
        let g = client.get_generation(&c.record_id).await.unwrap();
        let prompt = g.raw()["aiRecord"]["aiRecordDetail"]["promptObject"]["prompt"]
            .as_str()
            .unwrap()
            .to_string();
        *per.entry(prompt).or_insert(0) += 1;
    }
    per
}

/// No record charged twice and no prompt paid twice.
pub fn assert_each_charged_at_most_once(
    ledger: &visionxl_emulator::Ledger,
    per_prompt: &HashMap<String, usize>,
) {
    for c in &ledger.charges {
        assert!(ledger.charges_for(&c.record_id) <= 1, "{}", c.record_id);
    }
    for (prompt, n) in per_prompt {
        assert!(*n <= 1, "{prompt:?} was paid {n} times");
    }
}

/// A batch run to the end (collected).
pub async fn run_batch(
    client: &visionxl::Client,
    reqs: &[GenerateRequest],
    opts: BatchOptions,
) -> Vec<BatchItem> {
    let mut items: Vec<BatchItem> = client
        .generate_many(reqs.to_vec(), opts)
        .await
        .unwrap()
        .collect()
        .await;
    items.sort_by_key(|i| i.index);
    items
}

/// Appends text as is (a torn line, a hand-written one) to a file.
pub fn append_raw(path: &std::path::Path, text: &str) {
    let mut m = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    std::io::Write::write_all(&mut m, text.as_bytes()).unwrap();
}

/// The events of one item, in order.
pub fn events_of(path: &std::path::Path, key: &str) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["key"] == key)
        .collect()
}
