//! Shared limits through a real Redis (`VISIONXL_REDIS_URL`, started by scripts/test-redis.sh;
//! skipped with a printed reason when unset): several clients that share an API key share one
//! pace and one budget, whatever process or runtime they live in.
//!
//! The clients here share nothing in memory but their process's Redis connection: every
//! pace and reservation is an atomic script in Redis, as for separate processes (which
//! scripts/test-redis.sh runs too). Every test uses a fresh API key, so tests never share
//! Redis entries.

mod common;

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use visionxl::{ErrorCode, GenerateRequest, Size};
use visionxl_emulator::{ApiKey, Emulator, EmulatorConfig, RateLimit};

fn redis_url() -> Option<String> {
    match std::env::var("VISIONXL_REDIS_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            eprintln!(
                "skipped: VISIONXL_REDIS_URL is unset (scripts/test-redis.sh starts a Redis)"
            );
            None
        }
    }
}

fn fresh_key() -> String {
    format!("redis-test-{:032x}", rand::random::<u128>())
}

async fn emulator(key: &str, credits: u64, limit: Option<RateLimit>) -> Emulator {
    Emulator::start(EmulatorConfig {
        keys: vec![ApiKey::new(key, credits)],
        rate_limit: limit,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

fn request() -> GenerateRequest {
    GenerateRequest::builder("a lighthouse")
        .size(Size::S512x512)
        .build()
        .unwrap()
}

/// 30 requests per 5 s at the emulator; each client paces to 95 % of it (342 a minute): the
/// margin covers arrival jitter on a busy machine (a request late by more than 5 s / 19 would
/// put 31 in one window).
const LIMIT: u32 = 30;
const WINDOW: Duration = Duration::from_secs(5);
const PACE_PER_MINUTE: u32 = 342;

/// Three clients hammer one key, `per_client` calls each, `max_retries` 0 (a 429 is an error).
async fn hammer(emu: &Emulator, key: &str, shared: Option<&str>, per_client: usize) -> f64 {
    let clients: Vec<_> = (0..3)
        .map(|_| {
            let mut b = common::builder(emu)
                .api_key(key)
                .requests_per_minute(PACE_PER_MINUTE)
                .max_retries(0);
            if let Some(url) = shared {
                b = b.shared_limits(url);
            }
            b.build().unwrap()
        })
        .collect();
    let req = request();
    let start = Instant::now();
    join_all(clients.iter().map(|c| {
        let req = req.clone();
        async move {
            for _ in 0..per_client {
                let _ = c.generate(&req).await;
            }
        }
    }))
    .await;
    let calls = (3 * per_client) as f64;
    // The first call of a window leaves at once: n calls span n - 1 intervals.
    let achieved = (calls - 1.0) / start.elapsed().as_secs_f64();
    achieved / (f64::from(LIMIT) / WINDOW.as_secs_f64())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_clients_share_one_pace_with_zero_429s() {
    let Some(url) = redis_url() else { return };
    let key = fresh_key();
    let emu = emulator(&key, 1 << 40, RateLimit::new(LIMIT, WINDOW)).await;
    let fraction = hammer(&emu, &key, Some(&url), 25).await;
    let ledger = emu.ledger();
    println!(
        "shared pacing: 75 calls, {:.3} of the limit, {} 429s",
        fraction, ledger.rate_limited
    );
    assert_eq!(ledger.rate_limited, 0, "no 429 when the pace is shared");
    assert_eq!(ledger.charges.len(), 75);
    assert!(fraction >= 0.9, "achieved {fraction:.3} of the limit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_redis_three_clients_collect_429s() {
    // The control: the same three clients pacing each on its own exceed the account's limit.
    let key = fresh_key();
    let emu = emulator(&key, 1 << 40, RateLimit::new(LIMIT, WINDOW)).await;
    hammer(&emu, &key, None, 15).await;
    assert!(
        emu.ledger().rate_limited > 0,
        "three paces of one key exceed its limit"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_spenders_never_exceed_one_budget() {
    let Some(url) = redis_url() else { return };
    let key = fresh_key();
    let emu = emulator(&key, 1 << 40, None).await;
    let price = u64::from(visionxl::estimate_credits(Size::S512x512, 1).unwrap());
    let budget = 7 * price + price / 2;
    let clients: Vec<_> = (0..3)
        .map(|_| {
            common::builder(&emu)
                .api_key(key.as_str())
                .shared_limits(url.as_str())
                .budget(budget)
                .build()
                .unwrap()
        })
        .collect();
    let req = request();
    let results = join_all(
        clients
            .iter()
            .flat_map(|c| (0..6).map(move |_| c))
            .map(|c| c.generate(&req)),
    )
    .await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let refused = results
        .iter()
        .filter(|r| matches!(r, Err(e) if e.code() == ErrorCode::BudgetExceeded))
        .count();
    let ledger = emu.ledger();
    println!(
        "budget {budget}: {ok} generated, {refused} refused, {} charged",
        ledger.total_charged()
    );
    assert!(ledger.total_charged() <= budget, "never past the budget");
    assert_eq!(ok, 7, "exactly what the budget allows");
    assert_eq!(refused, 18 - 7);
    assert_eq!(ledger.total_charged(), 7 * price);
}

#[tokio::test]
async fn a_refused_request_is_given_back_to_the_shared_budget() {
    let Some(url) = redis_url() else { return };
    let key = fresh_key();
    let emu = emulator(&key, 1 << 40, None).await;
    let price = u64::from(visionxl::estimate_credits(Size::S512x512, 1).unwrap());
    let c = common::builder(&emu)
        .api_key(key.as_str())
        .shared_limits(url.as_str())
        .budget(price)
        .max_retries(0)
        .build()
        .unwrap();
    // Refused before charging (401-like answers are certainly not charged): given back.
    emu.inject(visionxl_emulator::Fault::new(
        visionxl_emulator::FaultKind::Status { status: 400 },
    ));
    assert!(c.generate(&request()).await.is_err());
    // The refund is sent in the background; the next reservation sees it.
    tokio::time::sleep(Duration::from_millis(200)).await;
    c.generate(&request()).await.expect("the credits came back");
    assert_eq!(c.budget_remaining(), Some(0));
    let e = c.generate(&request()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::BudgetExceeded);
    assert!(e.message().contains("shared budget"), "{e}");
}

#[tokio::test]
async fn unreachable_redis_fails_closed_and_names_it() {
    let key = fresh_key();
    let emu = emulator(&key, 1 << 40, None).await;
    for budget in [Some(1_000_000u64), None] {
        let mut b = common::builder(&emu)
            .api_key(key.as_str())
            .requests_per_minute(60)
            .shared_limits("redis://127.0.0.1:1/0");
        if let Some(n) = budget {
            b = b.budget(n);
        }
        let e = b.build().unwrap().generate(&request()).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::ConnectionError);
        assert!(e.message().contains("Redis at redis://127.0.0.1:1"), "{e}");
        assert!(!e.may_have_been_charged());
    }
    assert_eq!(emu.ledger().charges.len(), 0, "nothing was sent");
}

#[test]
fn shared_limits_must_be_a_redis_url() {
    let e = visionxl::Client::builder()
        .ignore_env()
        .api_key("k")
        .shared_limits("http://127.0.0.1:6379")
        .build()
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::ValidationError);
    assert_eq!(e.violations()[0].field, "shared_limits");
    assert!(e.message().contains("redis:// or rediss://"), "{e}");
}

#[tokio::test]
async fn before_send_runs_after_pacing_and_can_stop_the_send() {
    use futures_util::FutureExt;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};
    let key = fresh_key();
    let emu = emulator(&key, 1 << 40, None).await;
    let c = common::builder(&emu).api_key(key.as_str()).build().unwrap();
    let calls = Arc::new(AtomicU32::new(0));
    let seen = calls.clone();
    let g = c
        .generate_with_before_send(&request(), Default::default(), move |attempt| {
            seen.fetch_add(attempt, Ordering::SeqCst);
            async { Ok(()) }.boxed()
        })
        .await
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1, "called once, attempt 1");
    assert_eq!(emu.ledger().charges_for(g.id()), 1);
    let e = c
        .generate_with_before_send(&request(), Default::default(), |_| {
            async {
                Err(visionxl::Error::new(
                    ErrorCode::ConnectionError,
                    "state store down",
                ))
            }
            .boxed()
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::ConnectionError);
    assert!(!e.may_have_been_charged());
    assert_eq!(
        emu.ledger().charges.len(),
        1,
        "nothing sent the second time"
    );
}
