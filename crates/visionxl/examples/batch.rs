//! A resumable batch with a manifest and a progress line, against the in-process emulator.
//!
//! `cargo run -p visionxl --example batch [OUT_DIR]` — run it twice: the second run finds
//! everything in the manifest and pays nothing.

use std::sync::Arc;

use futures_util::StreamExt;
use visionxl::{BatchOptions, Client, GenerateRequest, Size};
use visionxl_emulator::{Emulator, EmulatorConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emu = Emulator::start(EmulatorConfig::default()).await?;
    let client = Client::builder()
        .api_key(emu.api_key())
        .base_url(emu.base_url())
        .build()?;
    let out = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "visionxl-batch".into()),
    );

    // Eight images at 512x512: the planner picks the cheapest split into calls.
    let plan = visionxl::plan_batches(Size::S512x512, 8)?;
    println!(
        "plan: calls of {:?}, {} credits",
        plan.calls, plan.total_credits
    );
    let requests = plan
        .calls
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            GenerateRequest::builder(format!("isometric tile #{i}"))
                .size(Size::S512x512)
                .n(n)
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;

    let mut items = client
        .generate_many(
            requests,
            BatchOptions {
                concurrency: 4,
                manifest: Some(out.join("manifest.jsonl")),
                out_dir: Some(out.clone()),
                on_progress: Some(Arc::new(|p| {
                    eprintln!(
                        "{}/{} done ({} failed, {} resumed, {} credits)",
                        p.completed, p.total, p.failed, p.resumed, p.credits_spent
                    )
                })),
                ..Default::default()
            },
        )
        .await?;
    while let Some(item) = items.next().await {
        match item.error() {
            None => println!("#{} -> {:?}", item.index, item.files),
            Some(e) => println!("#{} failed: {e}", item.index),
        }
    }
    Ok(())
}
