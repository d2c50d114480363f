//! The account's rate limit: past `requests` per window per key the emulator answers 429 in
//! the live error shape with `Retry-After`, counts it in the ledger, and admits again once the
//! window has moved on; another key and the asset host are not limited.

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;
use visionxl_emulator::{ApiKey, RateLimit};

#[tokio::test]
async fn past_the_limit_answers_429_with_retry_after_and_counts_it() {
    let emu = start_with(|c| {
        c.keys = vec![rich(KEY), ApiKey::new("other-key-123", 1000)];
        c.rate_limit = RateLimit::new(3, Duration::from_millis(1500));
    })
    .await;
    let c = client();
    let b = body(json!({"prompt": "a fox", "size": "512x512"}));
    for _ in 0..3 {
        let (status, _) = generate(&c, &emu, &b).await;
        assert_eq!(status, 200);
    }
    let r = post_json(&c, &emu, "/api/features", Some(KEY), &b).await;
    assert_eq!(r.status().as_u16(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["errorCode"], "TOO_MANY_REQUESTS");
    assert_eq!(emu.ledger().rate_limited, 1);
    assert_eq!(
        emu.ledger().charges.len(),
        3,
        "the refused request was not charged"
    );
    // Another key has its own window.
    let r = post_json(&c, &emu, "/api/features", Some("other-key-123"), &b).await;
    assert_eq!(r.status().as_u16(), 200);
    // Once the window has moved on, the key is admitted again.
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let (status, _) = generate(&c, &emu, &b).await;
    assert_eq!(status, 200);
    assert_eq!(emu.ledger().rate_limited, 1);
    emu.reset();
    assert_eq!(emu.ledger().rate_limited, 0);
}

#[tokio::test]
async fn no_limit_by_default() {
    let emu = start().await;
    let c = client();
    let url = format!(
        "{}/api/results/00000000-0000-4000-8000-000000000000",
        emu.base_url()
    );
    for _ in 0..200 {
        let r = c.get(&url).header("API-KEY", KEY).send().await.unwrap();
        assert_ne!(
            r.status().as_u16(),
            429,
            "more than 180 a minute: not limited"
        );
    }
    assert_eq!(emu.ledger().rate_limited, 0);
}
