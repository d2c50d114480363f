//! Starting and stopping the emulator: blocking starts inside and outside a runtime, fixed ports and bind errors.

#![allow(unused_imports)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};
use visionxl_core::{Size, estimate_credits};
use visionxl_emulator::{ApiKey, Emulator, EmulatorConfig, redact_key};

#[test]
fn start_blocking_outside_a_runtime() {
    let emu = Emulator::start_blocking(EmulatorConfig::default()).unwrap();
    assert!(emu.base_url().starts_with("http://127.0.0.1:"));
    assert_eq!(emu.asset_base_url(), format!("{}/asset", emu.base_url()));
    assert_eq!(emu.api_key(), KEY);
    // Plain std networking: no runtime here at all.
    let payload = body(json!({"prompt": "blocking", "size": "512x512"})).to_string();
    let (status, answer) = raw_http(
        &emu.base_url(),
        "POST",
        "/api/features",
        Some(KEY),
        &payload,
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(emu.ledger().charges.len(), 1);
    let addr = emu.local_addr();
    drop(emu);
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "dropped emulator stops listening"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_blocking_inside_a_runtime_and_shutdown() {
    let emu = Emulator::start_blocking(EmulatorConfig::default()).unwrap();
    let c = client();
    let (s, _) = generate(
        &c,
        &emu,
        &body(json!({"prompt": "in rt", "size": "512x512"})),
    )
    .await;
    assert_eq!(s, 200);
    let addr = emu.local_addr();
    emu.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());

    let emu = start().await;
    let addr = emu.local_addr();
    emu.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn fixed_port_and_bind_errors() {
    let first = start().await;
    let port = first.local_addr().port();
    let err = Emulator::start(EmulatorConfig {
        port,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    assert!(
        Emulator::start_blocking(EmulatorConfig {
            port,
            ..EmulatorConfig::default()
        })
        .is_err()
    );
    assert!(first.local_addr().ip().is_loopback());
}
