//! A bounded load test of `visionxl serve` on loopback: a fixed number of
//! `POST /v1/images/generations` requests from a fixed number of concurrent callers; prints
//! requests/s and latency percentiles. Run by `scripts/serve-load.sh`, which starts the emulator
//! and the server first.
//!
//! ```text
//! cargo run -p visionxl-cli --example serve_load -- --url http://127.0.0.1:PORT \
//!     [--key vxl-emulator-key] [--requests 5000] [--concurrency 16] [--n 1] [--format url]
//! ```

use std::time::{Duration, Instant};

use serde_json::json;

/// The command line.
struct Args {
    url: String,
    key: String,
    requests: usize,
    concurrency: usize,
    n: u32,
    format: String,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        url: String::new(),
        key: "vxl-emulator-key".into(),
        requests: 5000,
        concurrency: 16,
        n: 1,
        format: "url".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => a.url = value()?,
            "--key" => a.key = value()?,
            "--requests" => a.requests = value()?.parse().map_err(|e| format!("{e}"))?,
            "--concurrency" => a.concurrency = value()?.parse().map_err(|e| format!("{e}"))?,
            "--n" => a.n = value()?.parse().map_err(|e| format!("{e}"))?,
            "--format" => a.format = value()?,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    let loopback = ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"];
    if !loopback.iter().any(|p| a.url.starts_with(p)) {
        return Err("--url must be a loopback http:// URL (this is a local load test)".into());
    }
    if a.requests == 0 || a.requests > 100_000 || a.concurrency == 0 || a.concurrency > 256 {
        return Err("--requests 1..=100000, --concurrency 1..=256".into());
    }
    Ok(a)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

#[tokio::main]
async fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("serve_load: {e}");
            std::process::exit(2);
        }
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(args.concurrency)
        .build()
        .expect("an HTTP client");
    let endpoint = format!("{}/v1/images/generations", args.url.trim_end_matches('/'));
    let body = json!({"model": "leonardo-vision-xl", "prompt": "load test", "n": args.n,
                      "size": "512x512", "response_format": args.format});

    // Warm-up: one request (connections, the server's per-key client).
    let warm = http
        .post(&endpoint)
        .bearer_auth(&args.key)
        .json(&body)
        .send()
        .await
        .expect("the server answers");
    assert!(warm.status().is_success(), "warm-up: {}", warm.status());

    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..args.concurrency {
        let (http, endpoint, body, key, next) = (
            http.clone(),
            endpoint.clone(),
            body.clone(),
            args.key.clone(),
            next.clone(),
        );
        let total = args.requests;
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = Vec::new();
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < total {
                let t = Instant::now();
                let outcome = match http
                    .post(&endpoint)
                    .bearer_auth(&key)
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => {
                        r.bytes().await.map(|_| ()).map_err(|e| e.to_string())
                    }
                    Ok(r) => Err(format!("HTTP {}", r.status())),
                    Err(e) => Err(e.to_string()),
                };
                latencies.push(t.elapsed());
                if let Err(e) = outcome {
                    errors.push(e);
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::with_capacity(args.requests);
    let mut errors = Vec::new();
    for w in workers {
        let (l, e) = w.await.expect("a worker");
        latencies.extend(l);
        errors.extend(e);
    }
    let wall = started.elapsed();
    latencies.sort();
    println!(
        "{} requests (n={}, {}) with {} concurrent callers in {:.2} s: {:.0} requests/s; \
         latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {} errors",
        latencies.len(),
        args.n,
        args.format,
        args.concurrency,
        wall.as_secs_f64(),
        latencies.len() as f64 / wall.as_secs_f64(),
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        errors.len()
    );
    if let Some(first) = errors.first() {
        eprintln!("serve_load: first error: {first}");
        std::process::exit(1);
    }
}
