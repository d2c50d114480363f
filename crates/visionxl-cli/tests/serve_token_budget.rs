//! `visionxl serve --keys FILE --token-budget CREDITS`: each bearer token has its own allowance
//! (a team's relay gives each member a token with its own budget); with `--redis` the allowance
//! is shared by every replica (skipped with a printed reason when `VISIONXL_REDIS_URL` is
//! unset; scripts/test-redis.sh sets it).

mod serve_common;

use serde_json::json;
use visionxl_emulator::{ApiKey, Emulator};

use serve_common::*;

const UPSTREAM: &str = "upstream-key-0123456789";

/// An in-process emulator that knows only the upstream key (100,000 credits).
async fn upstream_emulator() -> Emulator {
    emulator_with_keys(vec![ApiKey::new(UPSTREAM, 100_000)]).await
}

/// `visionxl serve --keys KEYS --token-budget 500` in front of the emulator, upstream key set.
fn start(emu_base: &str, keys: &std::path::Path, extra: &[&str]) -> Serve {
    let mut args = vec![
        "--keys",
        keys.to_str().unwrap(),
        "--base-url",
        emu_base,
        "--requests-per-minute",
        "0",
        "--token-budget",
        "500",
    ];
    args.extend_from_slice(extra);
    Serve::start(&args, &[("ONEMIN_API_KEY", UPSTREAM)])
}

#[tokio::test(flavor = "multi_thread")]
async fn each_token_spends_its_own_allowance() {
    let emu = upstream_emulator().await;
    let (_dir, keys) = tokens_file("member-a-token\nmember-b-token\n");
    let serve = start(&emu.base_url(), &keys, &[]);
    let body = json!({"prompt": "a", "size": "512x512"}); // 234 credits
    for _ in 0..2 {
        let (s, _, b) = serve.post(Some("member-a-token"), body.clone()).await;
        assert_eq!(s, 200, "{b}");
    }
    let (s, _, b) = serve.post(Some("member-a-token"), body.clone()).await;
    assert_eq!(s, 429, "past the token's 500 credits: {b}");
    assert_openai_error(&b, "insufficient_quota", "insufficient_quota");
    // Another member's allowance is untouched.
    let (s, _, b) = serve.post(Some("member-b-token"), body.clone()).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        emu.ledger().charges.len(),
        3,
        "the refused request was never sent"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn replicas_share_each_tokens_allowance_through_redis() {
    let Ok(url) = std::env::var("VISIONXL_REDIS_URL") else {
        eprintln!("skipped: VISIONXL_REDIS_URL is unset (scripts/test-redis.sh starts a Redis)");
        return;
    };
    let emu = upstream_emulator().await;
    // A fresh token per run: its allowance in Redis starts full.
    let token = format!("member-{:016x}", std::process::id() as u64 ^ now_nanos());
    let (_dir, keys) = tokens_file(&format!("{token}\n"));
    let one = start(&emu.base_url(), &keys, &["--redis", &url]);
    let two = start(&emu.base_url(), &keys, &["--redis", &url]);
    let body = json!({"prompt": "a", "size": "512x512"});
    assert_eq!(one.post(Some(&token), body.clone()).await.0, 200);
    assert_eq!(two.post(Some(&token), body.clone()).await.0, 200);
    let (s, _, b) = one.post(Some(&token), body.clone()).await;
    assert_eq!(s, 429, "two replicas share one allowance: {b}");
    let (s, _, _) = two.post(Some(&token), body.clone()).await;
    assert_eq!(s, 429);
    assert_eq!(
        emu.ledger().total_charged(),
        2 * 234,
        "never past 500 credits"
    );
}

/// Nanoseconds since the epoch (0 if the clock is before it).
fn now_nanos() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}
