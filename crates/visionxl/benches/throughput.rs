//! Client generate throughput against the in-process emulator, next to a bare reqwest POST
//! loop in the same run (same body, same connection settings, answer parsed as JSON).
//!
//! `cargo bench -p visionxl --bench throughput`
//!
//! Besides criterion's per-call times, it prints a summary with the ratio
//! client/bare (requests per second), sequential and with 32 calls in flight, measured in
//! interleaved rounds so both sides see the same machine load. The emulator is reset before
//! every measured run: its record store and ledger grow with every call, and a bigger store
//! would handicap whichever side runs later.
//!
//! The bare loop is what a hand-written caller does: `.json(&body)` (serialised per call),
//! the `API-KEY` header, and the answer parsed as JSON. The client additionally validates the
//! request, prices it, checks the answer against the documented shape and builds a
//! `Generation` (image URLs, file names).
//!
//! The blocking client (`visionxl::blocking`, what the C library runs) is measured the same way
//! against the bare loop run the blocking way: each calling thread blocks on a current-thread
//! runtime with a reqwest client of its own, one `block_on` per call; 1 thread and 8 threads.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use futures_util::future::join_all;
use visionxl::{Client, GenerateRequest, Size};
use visionxl_emulator::{ApiKey, Emulator, EmulatorConfig};

const KEY: &str = "bench-key-0000000000";

struct Setup {
    rt: tokio::runtime::Runtime,
    emu: Emulator,
    client: Client,
    bare: reqwest::Client,
    url: String,
    body: serde_json::Value,
    req: GenerateRequest,
}

fn setup() -> Setup {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let emu = rt
        .block_on(Emulator::start(EmulatorConfig {
            keys: vec![ApiKey::new(KEY, u64::MAX / 4)],
            ..Default::default()
        }))
        .unwrap();
    let client = Client::builder()
        .ignore_env()
        .api_key(KEY)
        .base_url(emu.base_url())
        .requests_per_minute(0)
        .build()
        .unwrap();
    // The bare client needs a TLS provider of its own: visionxl installs none.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    let req = GenerateRequest::builder("a benchmark of lighthouses")
        .size(Size::S1024x768)
        .n(2)
        .seed(1)
        .build()
        .unwrap();
    let body = visionxl::wire::request_body(&req, false);
    let url = format!("{}/api/features", emu.base_url());
    Setup {
        rt,
        emu,
        client,
        bare,
        url,
        body,
        req,
    }
}

async fn bare_once(s: &Setup) {
    bare_with(&s.bare, s).await
}

async fn bare_with(http: &reqwest::Client, s: &Setup) {
    let v: serde_json::Value = http
        .post(&s.url)
        .header("API-KEY", KEY)
        .json(&s.body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(v["aiRecord"]["uuid"].is_string());
    black_box(v);
}

async fn client_once(s: &Setup) {
    let g = s.client.generate(&s.req).await.unwrap();
    black_box(g);
}

/// Seconds for `n` calls, `in_flight` at a time.
async fn timed<F, Fut>(n: usize, in_flight: usize, f: F) -> f64
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let start = Instant::now();
    let mut left = n;
    while left > 0 {
        let k = left.min(in_flight);
        join_all((0..k).map(|_| f())).await;
        left -= k;
    }
    start.elapsed().as_secs_f64()
}

fn benches(c: &mut Criterion) {
    let s = setup();
    // Warm up the pools.
    s.rt.block_on(async {
        for _ in 0..50 {
            bare_once(&s).await;
            client_once(&s).await;
        }
    });

    let mut g = c.benchmark_group("generate_against_emulator");
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("bare_reqwest_post", |b| {
        b.iter_custom(|iters| {
            s.emu.reset();
            s.rt.block_on(async {
                let t = Instant::now();
                for _ in 0..iters {
                    bare_once(&s).await;
                }
                t.elapsed()
            })
        })
    });
    g.bench_function("client_generate", |b| {
        b.iter_custom(|iters| {
            s.emu.reset();
            s.rt.block_on(async {
                let t = Instant::now();
                for _ in 0..iters {
                    client_once(&s).await;
                }
                t.elapsed()
            })
        })
    });
    g.finish();

    // Interleaved summary (the figure the README quotes): many short rounds in ABBA order, so
    // drift in machine load hits both sides alike; the ratio is total bare time over total
    // client time, i.e. client requests/s over bare requests/s.
    for in_flight in [1usize, 32] {
        let (mut bare, mut client) = (0.0f64, 0.0f64);
        let per_round = 200;
        let rounds = 30;
        s.rt.block_on(async {
            for r in 0..rounds {
                for side in [r % 2, 1 - r % 2] {
                    s.emu.reset();
                    if side == 0 {
                        bare += timed(per_round, in_flight, || bare_once(&s)).await;
                    } else {
                        client += timed(per_round, in_flight, || client_once(&s)).await;
                    }
                }
            }
        });
        let calls = (per_round * rounds) as f64;
        println!(
            "RESULT rust_client in_flight={in_flight} bare_reqwest_rps={:.0} visionxl_rps={:.0} ratio={:.3}",
            calls / bare,
            calls / client,
            bare / client
        );
    }
    blocking_summary(&s);
}

/// A current-thread runtime and a reqwest client of the calling thread's own: what a blocking
/// caller of reqwest's async API sets up once per thread.
fn bare_blocking_setup() -> (tokio::runtime::Runtime, reqwest::Client) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    (rt, http)
}

/// The blocking client against bare reqwest run the blocking way (one `block_on` per call on
/// the thread's current-thread runtime), 1 and 8 calling threads, ABBA rounds. Each thread
/// sets up (bare: its runtime and client; visionxl: one call, which makes its runtime and
/// pool) before a barrier; only the calls after it are timed.
fn blocking_summary(s: &Setup) {
    let client = visionxl::blocking::Client::from_async(s.client.clone()).unwrap();
    for threads in [1usize, 8] {
        let per_thread = if threads == 1 { 400 } else { 100 };
        let rounds = 20;
        let (mut bare, mut ours) = (0.0f64, 0.0f64);
        for r in 0..rounds {
            for side in [r % 2, 1 - r % 2] {
                s.emu.reset();
                let barrier = std::sync::Barrier::new(threads + 1);
                let secs = std::thread::scope(|sc| {
                    let workers: Vec<_> = (0..threads)
                        .map(|_| {
                            let (barrier, client) = (&barrier, &client);
                            sc.spawn(move || {
                                if side == 0 {
                                    let (rt, http) = bare_blocking_setup();
                                    barrier.wait();
                                    for _ in 0..per_thread {
                                        rt.block_on(bare_with(&http, s));
                                    }
                                } else {
                                    black_box(client.generate(&s.req).unwrap());
                                    barrier.wait();
                                    for _ in 0..per_thread {
                                        black_box(client.generate(&s.req).unwrap());
                                    }
                                }
                            })
                        })
                        .collect();
                    barrier.wait();
                    let t = Instant::now();
                    for w in workers {
                        w.join().unwrap();
                    }
                    t.elapsed().as_secs_f64()
                });
                if side == 0 {
                    bare += secs;
                } else {
                    ours += secs;
                }
            }
        }
        let calls = (threads * per_thread * rounds) as f64;
        println!(
            "RESULT rust_blocking threads={threads} bare_reqwest_rps={:.0} visionxl_rps={:.0} ratio={:.3}",
            calls / bare,
            calls / ours,
            bare / ours
        );
    }
}

criterion_group!(throughput, benches);
criterion_main!(throughput);
