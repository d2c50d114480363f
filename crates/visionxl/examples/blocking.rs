//! The blocking client, with a cancel token fired from another thread (e.g. a Ctrl-C handler).
//!
//! `cargo run -p visionxl --example blocking`

use std::time::Duration;

use visionxl::GenerateRequest;
use visionxl::blocking::CancelToken;
use visionxl_emulator::{Emulator, EmulatorConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emu = Emulator::start_blocking(EmulatorConfig {
        latency: Duration::from_secs(3),
        ..Default::default()
    })?;
    let client = visionxl::Client::builder()
        .api_key(emu.api_key())
        .base_url(emu.base_url())
        .build_blocking()?;

    let token = CancelToken::new();
    let remote = token.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        remote.cancel();
    });
    match client.generate_cancellable(&GenerateRequest::new("a slow painting"), &token) {
        Ok(g) => println!("finished first: {}", g.id()),
        Err(e) => println!(
            "{} — may have been charged: {}",
            e,
            e.may_have_been_charged()
        ),
    }

    let g = client.generate(&GenerateRequest::new("a quick sketch"))?;
    let bytes = g.image_bytes(0)?;
    println!("record {}: {} bytes in memory", g.id(), bytes.len());
    Ok(())
}
