//! Shared limits through Redis (docs/scaling.md), as side-by-side figures (docs/BENCHMARKS.md):
//!
//! 1. throughput as a fraction of the account's limit: 600 calls against an emulator limited
//!    to 60 requests per 2 s, from one client pacing alone, and from three clients sharing the
//!    pace through Redis (8 calls in flight each), with the 429s the emulator counted;
//! 2. the latency Redis pacing adds per call on loopback: `generate` against an unlimited
//!    emulator with in-process pacing and with Redis pacing (both at a pace that never waits),
//!    p50 and p99 side by side.
//!
//! Needs `VISIONXL_REDIS_URL` (scripts/test-redis.sh starts one); prints why and exits without.
//! Run: `VISIONXL_REDIS_URL=redis://127.0.0.1:6379/0 cargo bench -p visionxl --bench redis_limits`

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use visionxl::{Client, GenerateRequest, Size};
use visionxl_emulator::{ApiKey, Emulator, EmulatorConfig, RateLimit};

const LIMIT: u32 = 60;
const WINDOW: Duration = Duration::from_secs(2);
const CALLS: usize = 600;

fn request() -> GenerateRequest {
    GenerateRequest::builder("bench")
        .size(Size::S512x512)
        .build()
        .expect("valid")
}

async fn emulator(key: &str, limit: Option<RateLimit>) -> Emulator {
    Emulator::start(EmulatorConfig {
        keys: vec![ApiKey::new(key, 1 << 40)],
        rate_limit: limit,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator")
}

fn client(emu: &Emulator, key: &str, per_minute: u32, redis: Option<&str>) -> Client {
    let mut b = Client::builder()
        .ignore_env()
        .api_key(key)
        .base_url(emu.base_url())
        .requests_per_minute(per_minute)
        .max_retries(0);
    if let Some(url) = redis {
        b = b.shared_limits(url);
    }
    b.build().expect("client")
}

/// `CALLS` calls spread over `clients`, 8 in flight each: (fraction of the limit, 429s).
async fn throughput(clients: usize, redis: Option<&str>) -> (f64, u64) {
    let key = format!("bench-{:032x}", rand::random::<u128>());
    let emu = emulator(&key, RateLimit::new(LIMIT, WINDOW)).await;
    // 97 % of the limit: the margin covers the network's jitter inside a window.
    let per_minute = (f64::from(LIMIT) * 60.0 / WINDOW.as_secs_f64() * 0.97) as u32;
    let cs: Vec<Client> = (0..clients)
        .map(|_| client(&emu, &key, per_minute, redis))
        .collect();
    let req = request();
    let per_task = CALLS / (clients * 8);
    let start = Instant::now();
    join_all(cs.iter().flat_map(|c| std::iter::repeat_n(c, 8)).map(|c| {
        let req = req.clone();
        async move {
            for _ in 0..per_task {
                let _ = c.generate(&req).await;
            }
        }
    }))
    .await;
    let secs = start.elapsed().as_secs_f64();
    let calls = (per_task * clients * 8) as f64;
    let fraction = (calls - 1.0) / secs / (f64::from(LIMIT) / WINDOW.as_secs_f64());
    (fraction, emu.ledger().rate_limited)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// Per-call latency of `generate` (ms): p50 and p99 over `n` sequential calls.
async fn latency(redis: Option<&str>, n: usize) -> (f64, f64) {
    let key = format!("bench-{:032x}", rand::random::<u128>());
    let emu = emulator(&key, None).await;
    // 6,000,000 a minute: a slot every 10 µs, so pacing never waits and only its cost shows.
    let c = client(&emu, &key, 6_000_000, redis);
    let req = request();
    for _ in 0..50 {
        c.generate(&req).await.expect("warm-up");
    }
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        c.generate(&req).await.expect("generate");
        times.push(t.elapsed());
    }
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.99))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let Ok(url) = std::env::var("VISIONXL_REDIS_URL") else {
        println!("skipped: VISIONXL_REDIS_URL is unset (scripts/test-redis.sh starts a Redis)");
        return;
    };
    println!("throughput, {CALLS} calls, emulator limit {LIMIT} per {WINDOW:?}:");
    let (one, one_429) = throughput(1, None).await;
    println!("  one client, in-process pacing:    {one:.3} of the limit, {one_429} 429s");
    let (three, three_429) = throughput(3, Some(&url)).await;
    println!("  three clients sharing Redis:      {three:.3} of the limit, {three_429} 429s");
    let (three_alone, alone_429) = throughput(3, None).await;
    println!(
        "  three clients pacing alone:       {three_alone:.3} of the limit, {alone_429} 429s (the problem)"
    );
    let n = 2000;
    let (l50, l99) = latency(None, n).await;
    let (r50, r99) = latency(Some(&url), n).await;
    println!("latency of generate, {n} calls on loopback (ms):");
    println!("  in-process pacing: p50 {l50:.3}  p99 {l99:.3}");
    println!("  Redis pacing:      p50 {r50:.3}  p99 {r99:.3}");
    println!(
        "  added by Redis:    p50 {:.3}  p99 {:.3}",
        r50 - l50,
        r99 - l99
    );
}
