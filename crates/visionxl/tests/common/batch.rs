//! Helpers of the batch and manifest tests: requests, whole runs, manifest lines, charges.

use std::collections::HashMap;

use futures_util::StreamExt;
use visionxl::{BatchItem, BatchOptions, GenerateRequest, Size};

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
