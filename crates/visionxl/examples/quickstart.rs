//! Generate two images and save them, against the in-process emulator (no key, no network).
//!
//! `cargo run -p visionxl --example quickstart [OUT_DIR]`
//!
//! Against the live service, drop the emulator and use `Client::from_env()` (ONEMIN_API_KEY).

use visionxl::{Client, GenerateRequest, Size};
use visionxl_emulator::{Emulator, EmulatorConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emu = Emulator::start(EmulatorConfig::default()).await?;
    let client = Client::builder()
        .api_key(emu.api_key())
        .base_url(emu.base_url()) // loopback: assets come from <base_url>/asset
        .budget(5_000)
        .build()?;

    let req = GenerateRequest::builder("a lighthouse at dusk, volumetric light")
        .size(Size::S1024x768)
        .n(2)
        .seed(7)
        .build()?;
    println!("price: {} credits", req.credits()?);

    let generation = client.generate(&req).await?;
    println!(
        "record {} ({})",
        generation.id(),
        generation.status().as_str()
    );
    for w in generation.warnings() {
        println!("warning: {w}");
    }
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "visionxl-out".into());
    for path in generation.save_all(&out).await? {
        println!("saved {} (+ sidecar .json)", path.display());
    }
    println!("budget left: {:?}", client.budget_remaining());
    println!(
        "emulator ledger: {} credits charged",
        emu.ledger().total_charged()
    );
    Ok(())
}
