//! Every scripted fault, through the library API and through `POST /_emulator/faults`, with the
//! ledger proving what was and was not charged.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};
use visionxl_emulator::{Chaos, Fault, FaultKind};

fn small() -> Value {
    body(json!({"prompt": "fault", "size": "512x512"}))
}

async fn send(
    c: &reqwest::Client,
    emu: &visionxl_emulator::Emulator,
) -> reqwest::Result<reqwest::Response> {
    c.post(format!("{}/api/features", emu.base_url()))
        .header("API-KEY", emu.api_key())
        .json(&small())
        .send()
        .await
}

#[tokio::test]
async fn rate_limit_with_retry_after_then_normal() {
    let (emu, c) = start_faulted(
        Fault::new(FaultKind::RateLimit {
            retry_after_secs: 7,
        })
        .on_path("/api/features"),
    )
    .await;
    // Another path is not affected and does not consume it.
    let (s, _) = get_json(&c, &format!("{}/models", emu.base_url()), None).await;
    assert_eq!(s, 200);
    let r = send(&c, &emu).await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "7");
    let b: Value = r.json().await.unwrap();
    assert!(b["errorCode"].is_string() && b["message"].is_string());
    assert!(emu.pending_faults().is_empty());
    let r = send(&c, &emu).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        emu.ledger().charges.len(),
        1,
        "only the answered request is charged"
    );
}

#[tokio::test]
async fn status_faults_count_down() {
    let (emu, c) = start_faulted(Fault::new(FaultKind::Status { status: 503 }).times(2)).await;
    emu.inject(Fault::new(FaultKind::Status { status: 502 }));
    for expected in [503, 503, 502, 200] {
        let r = send(&c, &emu).await.unwrap();
        assert_eq!(r.status(), expected);
        if expected != 200 {
            let b: Value = r.json().await.unwrap();
            assert!(b["errorCode"].is_string(), "{b}");
        }
    }
    assert_eq!(emu.ledger().charges.len(), 1);
    // An impossible status becomes 500.
    emu.inject(Fault::new(FaultKind::Status { status: 42 }));
    assert_eq!(send(&c, &emu).await.unwrap().status(), 500);
}

#[tokio::test]
async fn cloudflare_page() {
    let (emu, c) = start_faulted(Fault::new(FaultKind::Cloudflare)).await;
    let r = send(&c, &emu).await.unwrap();
    assert_eq!(r.status(), 522);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let text = r.text().await.unwrap();
    assert!(text.contains("<title>") && text.contains("522"), "{text}");
    assert_eq!(emu.ledger().charges.len(), 0);
}

#[tokio::test]
async fn delay_then_normal_answer() {
    let (emu, c) = start_faulted(Fault::new(FaultKind::Delay { ms: 300 })).await;
    let t0 = Instant::now();
    let r = send(&c, &emu).await.unwrap();
    assert!(t0.elapsed() >= Duration::from_millis(300));
    assert_eq!(r.status(), 200);
    assert_eq!(emu.ledger().charges.len(), 1);
}

#[tokio::test]
async fn drop_before_processing_charges_nothing() {
    let (emu, c) = start_faulted(Fault::new(FaultKind::DropBeforeProcessing)).await;
    let err = send(&c, &emu)
        .await
        .expect_err("the connection is closed without an answer");
    assert!(!err.is_status());
    assert_eq!(emu.ledger().charges.len(), 0);
    assert_eq!(emu.ledger().balance(KEY), Some(100_000));
    // The next request is served.
    assert_eq!(send(&c, &emu).await.unwrap().status(), 200);
}

#[tokio::test]
async fn drop_after_charge_is_the_ambiguous_case() {
    let (emu, c) = start_faulted(Fault::new(FaultKind::DropAfterCharge)).await;
    let err = send(&c, &emu)
        .await
        .expect_err("no answer reaches the client");
    assert!(!err.is_status());
    let ledger = emu.ledger();
    assert_eq!(ledger.charges.len(), 1, "but it was charged");
    let id = ledger.charges[0].record_id.clone();
    // And the record exists: a careful client can find it again.
    let (s, r) = get_json(
        &c,
        &format!("{}/api/results/{id}", emu.base_url()),
        Some(KEY),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(r["aiRecord"]["status"], "SUCCESS");
    assert_eq!(emu.ledger().charges_for(&id), 1);
}

#[tokio::test]
async fn truncated_body() {
    let (emu, c) = start_faulted(Fault::new(FaultKind::TruncatedBody)).await;
    let r = send(&c, &emu).await.unwrap();
    assert_eq!(r.status(), 200);
    let announced: usize = r.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(announced > 100);
    assert!(r.bytes().await.is_err(), "the body ends early");
    assert_eq!(emu.ledger().charges.len(), 1);
}

#[tokio::test]
async fn truncated_download() {
    let emu = start().await;
    let c = client();
    let (_, b) = generate(&c, &emu, &small()).await;
    let url = format!("{}/{}", emu.asset_base_url(), paths(&b)[0]);
    emu.inject(Fault::new(FaultKind::TruncatedBody).on_path("/asset/"));
    let r = c.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.is_err());
    let (s, _, bytes) = download(&c, &url).await;
    assert_eq!(s, 200);
    assert!(image::load_from_memory(&bytes).is_ok());
}

#[tokio::test]
async fn malformed_json() {
    let (emu, c) = start_faulted(Fault::new(FaultKind::MalformedJson)).await;
    let r = send(&c, &emu).await.unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    assert_eq!(emu.ledger().charges.len(), 1);
}

#[tokio::test]
async fn expired_asset_only_hits_downloads() {
    let (emu, c) = start_faulted(Fault::new(FaultKind::ExpiredAsset)).await;
    // A generation does not consume it.
    let (s, b) = generate(&c, &emu, &small()).await;
    assert_eq!(s, 200);
    assert_eq!(emu.pending_faults().len(), 1);
    let url = b["aiRecord"]["temporaryUrl"].as_str().unwrap();
    let (s, ct, body) = download(&c, url).await;
    assert_eq!((s, ct.as_str()), (403, "application/xml"));
    let text = String::from_utf8(body).unwrap();
    assert!(text.contains("<Code>AccessDenied</Code>") && text.contains("Request has expired"));
    let (s, _, _) = download(&c, url).await;
    assert_eq!(s, 200, "only the next download");
}

#[tokio::test]
async fn generation_failure_sync_and_async() {
    let emu = start_with(|c| c.latency = Duration::from_millis(200)).await;
    let c = client();
    emu.inject(
        Fault::new(FaultKind::GenerationFailure {
            message: "NSFW content detected".into(),
        })
        .times(2),
    );
    // A request that fails validation does not consume it.
    let (s, _) = generate(&c, &emu, &body(json!({"prompt": "x", "n": 0}))).await;
    assert_eq!(s, 400);
    assert_eq!(emu.pending_faults()[0].count, 2);

    let (s, b) = generate(&c, &emu, &small()).await;
    assert_eq!(s, 200);
    assert_eq!(b["aiRecord"]["status"], "FAILURE");
    assert_eq!(
        b["aiRecord"]["aiRecordDetail"]["errorMessage"],
        "NSFW content detected"
    );
    assert_eq!(paths(&b).len(), 0);
    assert!(b["aiRecord"].get("temporaryUrl").is_none());

    let mut req = small();
    req["async"] = json!(true);
    let (_, b) = generate(&c, &emu, &req).await;
    assert_eq!(b["aiRecord"]["status"], "PROCESSING");
    let id = b["aiRecord"]["uuid"].as_str().unwrap();
    tokio::time::sleep(Duration::from_millis(250)).await;
    let (_, r) = get_json(
        &c,
        &format!("{}/api/results/{id}", emu.base_url()),
        Some(KEY),
    )
    .await;
    assert_eq!(r["aiRecord"]["status"], "FAILURE");
    assert_eq!(
        r["aiRecord"]["aiRecordDetail"]["errorMessage"],
        "NSFW content detected"
    );

    assert_eq!(emu.ledger().charges.len(), 0, "failures are not charged");
    let (_, b) = generate(&c, &emu, &small()).await;
    assert_eq!(b["aiRecord"]["status"], "SUCCESS");
}

#[tokio::test]
async fn faults_over_http_and_emulator_paths_are_immune() {
    let emu = start().await;
    let c = client();
    let base = emu.base_url();
    // The example from the docs, then a list.
    let r = c
        .post(format!("{base}/_emulator/faults"))
        .body(r#"{"kind":"rate_limit","retry_after_secs":2,"count":1,"path":"/api/features"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = c
        .post(format!("{base}/_emulator/faults"))
        .json(&json!([{"kind": "status", "status": 500}, {"kind": "delay", "ms": 10, "count": 2}]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, listed) = get_json(&c, &format!("{base}/_emulator/faults"), None).await;
    assert_eq!(listed["faults"].as_array().unwrap().len(), 3);
    assert_eq!(listed["faults"][0]["retry_after_secs"], 2);

    // /_emulator is never affected.
    let (s, _) = get_json(&c, &format!("{base}/_emulator/ledger"), None).await;
    assert_eq!(s, 200);

    let r = send(&c, &emu).await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "2");
    assert_eq!(send(&c, &emu).await.unwrap().status(), 500);
    assert_eq!(send(&c, &emu).await.unwrap().status(), 200); // delayed
    assert_eq!(emu.pending_faults().len(), 1);

    let r = c
        .delete(format!("{base}/_emulator/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(emu.pending_faults().is_empty());

    for bad in [r#"{"kind":"meteor"}"#, "nope", r#"{"kind":"status"}"#] {
        let r = c
            .post(format!("{base}/_emulator/faults"))
            .body(bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{bad}");
    }
    assert!(emu.pending_faults().is_empty());

    // Every kind round-trips through the control endpoint.
    let kinds = Chaos::every_kind();
    let n = kinds.len();
    for k in kinds {
        let f = Fault::new(k).times(3).on_path("/nowhere");
        let r = c
            .post(format!("{base}/_emulator/faults"))
            .json(&f)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(emu.pending_faults().last(), Some(&f));
    }
    // Faults on another path never fire here.
    assert_eq!(send(&c, &emu).await.unwrap().status(), 200);
    emu.inject(Fault::new(FaultKind::Cloudflare).times(0));
    assert_eq!(emu.pending_faults().len(), n, "count 0 is ignored");
}

#[tokio::test]
async fn chaos_faults_a_share_of_requests_and_reports_them() {
    let emu = start().await;
    let c = client();
    emu.set_chaos(Some(
        Chaos::new(0.5)
            .kinds(vec![
                FaultKind::Status { status: 503 },
                FaultKind::GenerationFailure {
                    message: "chaos said no".into(),
                },
                FaultKind::ExpiredAsset,
            ])
            .seed(5)
            .on_path("/api/features"),
    ))
    .unwrap();
    let (mut ok, mut unavailable, mut failed) = (0, 0, 0);
    for _ in 0..200 {
        let r = send(&c, &emu).await.unwrap();
        let status = r.status().as_u16();
        let b: Value = r.json().await.unwrap();
        match (status, b["aiRecord"]["status"].as_str()) {
            (200, Some("SUCCESS")) => ok += 1,
            (200, Some("FAILURE")) => {
                assert_eq!(
                    b["aiRecord"]["aiRecordDetail"]["errorMessage"],
                    "chaos said no"
                );
                failed += 1
            }
            (503, _) => unavailable += 1,
            other => panic!("unexpected {other:?}: {b}"),
        }
    }
    let report = emu.chaos_report();
    assert_eq!(report.requests, 200);
    assert_eq!(report.faults, unavailable + failed);
    // expired_asset never applies to a generation request.
    assert_eq!(report.by_kind.get("expired_asset"), None);
    assert_eq!(report.by_kind["status_503"], unavailable);
    assert_eq!(report.by_kind["generation_failure"], failed);
    assert!((60..=140).contains(&report.faults), "{report:?}");
    // Only SUCCESS records are charged; the path filter spares other requests.
    assert_eq!(emu.ledger().charges.len() as u64, ok);
    let (s, _) = get_json(&c, &format!("{}/models", emu.base_url()), None).await;
    assert_eq!(s, 200);
    assert_eq!(emu.chaos_report().requests, 200);
    emu.set_chaos(None).unwrap();
    assert_eq!(emu.chaos(), None);
    assert!(emu.set_chaos(Some(Chaos::new(2.0))).is_err());
}

#[tokio::test]
async fn chaos_control_endpoint() {
    let emu = start().await;
    let c = client();
    let url = format!("{}/_emulator/chaos", emu.base_url());
    let r = c
        .post(&url)
        .json(&json!({"rate": 1.0, "seed": 1, "kinds": [{"kind": "cloudflare"}]}));
    let b: Value = r.send().await.unwrap().json().await.unwrap();
    assert_eq!(b["chaos"]["rate"], 1.0);
    assert_eq!(b["report"]["requests"], 0);
    assert_eq!(send(&c, &emu).await.unwrap().status(), 522);
    // Control requests never meet a fault.
    let (s, b) = get_json(&c, &url, None).await;
    assert_eq!(s, 200);
    assert_eq!(b["report"]["by_kind"]["cloudflare"], 1, "{b}");
    // Every kind by default.
    let r = c
        .post(&url)
        .json(&json!({"rate": 0.2}))
        .send()
        .await
        .unwrap();
    let b: Value = r.json().await.unwrap();
    assert_eq!(
        b["chaos"]["kinds"].as_array().unwrap().len(),
        Chaos::every_kind().len()
    );
    for bad in [
        json!({"rate": 3}),
        json!({"rate": 0.1, "kinds": []}),
        json!({"rat": 0.1}),
    ] {
        let r = c.post(&url).json(&bad).send().await.unwrap();
        assert_eq!(r.status(), 400, "{bad}");
        let b: Value = r.json().await.unwrap();
        assert!(
            b["error"]
                .as_str()
                .unwrap()
                .starts_with("not chaos settings"),
            "{b}"
        );
    }
    let r = c.delete(&url).send().await.unwrap();
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["chaos"], Value::Null);
    // Reset turns chaos off too.
    emu.set_chaos(Some(Chaos::new(1.0))).unwrap();
    emu.reset();
    assert_eq!(emu.chaos(), None);
    assert_eq!(send(&c, &emu).await.unwrap().status(), 200);
}

#[tokio::test]
async fn picture_padding_makes_png_pictures_larger() {
    let emu = start_with(|c| c.picture_padding = 3 << 20).await;
    let c = client();
    let (s, b) = generate(
        &c,
        &emu,
        &body(
            json!({"prompt": "big", "size": "512x512", "leonardo_transparency": "foreground_only"}),
        ),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let url = format!("{}/{}", emu.asset_base_url(), paths(&b)[0]);
    let (s, ct, bytes) = download(&c, &url).await;
    assert_eq!((s, ct.as_str()), (200, "image/png"));
    assert!(bytes.len() > 3 << 20, "{}", bytes.len());
    let img = image::load_from_memory(&bytes).unwrap();
    assert_eq!((img.width(), img.height()), (512, 512));
}

#[tokio::test]
async fn a_fault_kind_must_be_a_name() {
    let emu = start().await;
    let c = client();
    // serde would read 0 as the first variant (rate_limit): refused instead.
    for bad in [
        json!({"kind": 0, "retry_after_secs": 1}),
        json!([{"kind": true}]),
    ] {
        let r = c
            .post(format!("{}/_emulator/faults", emu.base_url()))
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{bad}");
    }
    assert!(emu.pending_faults().is_empty());
    // The chaos endpoint answers an oversized body in the live JSON shape.
    let r = c
        .post(format!("{}/_emulator/chaos", emu.base_url()))
        .body(vec![b' '; visionxl_emulator::MAX_JSON_BODY + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["errorCode"], "PAYLOAD_TOO_LARGE");
}
