//! Throughput benchmark: how many generation requests per second the emulator answers on
//! loopback.
//!
//! ```text
//! cargo run --release -p visionxl-emulator --example loadgen -- [--seconds 5] [--connections 64]
//!     [--url http://127.0.0.1:PORT --key KEY]
//! ```
//!
//! Without `--url` it starts an emulator in-process (a key with practically unlimited credits)
//! and shares the machine's cores with it, as a test suite would. The client is deliberately
//! thin: keep-alive HTTP/1.1 over plain sockets, a prebuilt request, so the figure measures the
//! emulator rather than an HTTP client. Every request is a full synchronous `POST
//! /api/features` (auth, validation, pricing, atomic charge, record, signed URL). Bounded in
//! time (at most 60 s) and refuses anything but a loopback address. Prints one JSON line.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use visionxl_emulator::{ApiKey, Emulator, EmulatorConfig};

struct Opts {
    seconds: f64,
    connections: usize,
    url: Option<String>,
    key: String,
}

fn parse() -> Result<Opts, String> {
    let mut o = Opts {
        seconds: 5.0,
        connections: 64,
        url: None,
        key: "loadgen-key-0001".into(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--seconds" => o.seconds = val()?.parse().map_err(|e| format!("--seconds: {e}"))?,
            "--connections" => {
                o.connections = val()?.parse().map_err(|e| format!("--connections: {e}"))?
            }
            "--url" => o.url = Some(val()?),
            "--key" => o.key = val()?,
            "-h" | "--help" => {
                return Err(
                    "usage: loadgen [--seconds S] [--connections N] [--url URL --key KEY]".into(),
                );
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if !(0.1..=60.0).contains(&o.seconds) {
        return Err("--seconds must be within 0.1..=60".into());
    }
    if !(1..=1024).contains(&o.connections) {
        return Err("--connections must be within 1..=1024".into());
    }
    Ok(o)
}

#[derive(Default)]
struct Tally {
    ok: u64,
    failed: u64,
    micros: Vec<u32>,
}

/// One keep-alive connection sending requests back to back until `deadline`.
async fn worker(addr: SocketAddr, request: Vec<u8>, deadline: Instant) -> Tally {
    let mut t = Tally::default();
    let Ok(stream) = TcpStream::connect(addr).await else {
        t.failed += 1;
        return t;
    };
    let _ = stream.set_nodelay(true);
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    let mut line = String::new();
    let mut body = Vec::new();
    while Instant::now() < deadline {
        let t0 = Instant::now();
        if w.write_all(&request).await.is_err() {
            t.failed += 1;
            break;
        }
        // Status line, headers, body.
        line.clear();
        if r.read_line(&mut line).await.unwrap_or(0) == 0 {
            t.failed += 1;
            break;
        }
        let status = line.get(9..12).unwrap_or("").to_string();
        let mut len = 0usize;
        loop {
            line.clear();
            if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                break;
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        body.resize(len, 0);
        if r.read_exact(&mut body).await.is_err() {
            t.failed += 1;
            break;
        }
        if status == "200" && body.starts_with(br#"{"aiRecord":{"uuid":"#) {
            t.ok += 1;
            t.micros
                .push(t0.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
        } else {
            t.failed += 1;
        }
    }
    t
}

fn main() {
    let o = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("loadgen: {e}");
            std::process::exit(2);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let (emu, addr) = match &o.url {
            Some(url) => {
                let addr: SocketAddr = url
                    .trim_start_matches("http://")
                    .trim_end_matches('/')
                    .parse()
                    .unwrap_or_else(|e| panic!("--url must be http://IP:PORT: {e}"));
                assert!(addr.ip().is_loopback(), "loadgen only targets loopback");
                (None, addr)
            }
            None => {
                let emu = Emulator::start(EmulatorConfig {
                    keys: vec![ApiKey::new(o.key.clone(), u64::MAX / 2)],
                    ..EmulatorConfig::default()
                })
                .await
                .expect("start the emulator");
                let addr = emu.local_addr();
                (Some(emu), addr)
            }
        };
        let payload = serde_json::json!({
            "type": "IMAGE_GENERATOR",
            "model": visionxl_core::wire::MODEL_ID,
            "promptObject": {"prompt": "a lighthouse at dusk, volumetric light", "size": "512x512",
                             "n": 2, "leonardo_seed": 1234, "leonardo_preset_style": "CINEMATIC"},
        })
        .to_string();
        let request = format!(
            "POST /api/features HTTP/1.1\r\nHost: {addr}\r\nAPI-KEY: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{payload}",
            o.key,
            payload.len()
        )
        .into_bytes();

        // Warm up (connections, allocator), then measure.
        let warm = Instant::now() + Duration::from_millis(300);
        let warmups: Vec<_> = (0..o.connections.min(8))
            .map(|_| tokio::spawn(worker(addr, request.clone(), warm)))
            .collect();
        for w in warmups {
            let _ = w.await;
        }
        let charged_before = emu.as_ref().map(|e| e.ledger().charges.len() as u64);

        let start = Instant::now();
        let deadline = start + Duration::from_secs_f64(o.seconds);
        let tasks: Vec<_> = (0..o.connections)
            .map(|_| tokio::spawn(worker(addr, request.clone(), deadline)))
            .collect();
        let mut all = Tally::default();
        for t in tasks {
            if let Ok(t) = t.await {
                all.ok += t.ok;
                all.failed += t.failed;
                all.micros.extend(t.micros);
            }
        }
        let elapsed = start.elapsed().as_secs_f64();
        all.micros.sort_unstable();
        let pct = |p: f64| -> f64 {
            if all.micros.is_empty() {
                return 0.0;
            }
            let i = ((all.micros.len() as f64 - 1.0) * p).round() as usize;
            f64::from(all.micros[i]) / 1000.0
        };
        let charged = emu
            .as_ref()
            .zip(charged_before)
            .map(|(e, before)| e.ledger().charges.len() as u64 - before);
        let report = serde_json::json!({
            "requests_ok": all.ok,
            "requests_failed": all.failed,
            "seconds": (elapsed * 100.0).round() / 100.0,
            "requests_per_second": (all.ok as f64 / elapsed).round(),
            "latency_ms": {"p50": pct(0.5), "p90": pct(0.9), "p99": pct(0.99), "max": pct(1.0)},
            "connections": o.connections,
            "in_process": emu.is_some(),
            "ledger_charges": charged,
            "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        });
        println!("{report}");
        // (The ledger keeps the newest MAX_LEDGER_CHARGES charges: compare only below that.)
        if let (Some(charged), Some(before)) = (charged, charged_before)
            && before + all.ok < visionxl_emulator::MAX_LEDGER_CHARGES as u64
        {
            assert_eq!(charged, all.ok, "every answered generation is charged exactly once");
        }
        if let Some(emu) = emu {
            emu.shutdown().await;
        }
    });
}
