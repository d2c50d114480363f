//! Every emulator fault, every error code, and ledger proof that the default never pays twice.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::*;
use visionxl::{CancelToken, ErrorCode, GenerateRequest, Size};
use visionxl_emulator::{ApiKey, Emulator, EmulatorConfig, Fault, FaultKind};

fn req() -> GenerateRequest {
    GenerateRequest::new("a red fox in the snow")
}

const FEATURES: &str = "/api/features";

/// A fault of `kind` on the generation endpoint (once unless `.times(n)` says otherwise).
fn on_features(kind: FaultKind) -> Fault {
    Fault::new(kind).on_path(FEATURES)
}

#[tokio::test]
async fn drop_after_charge_is_not_retried_by_default() {
    let emu = faulted_emulator(0, on_features(FaultKind::DropAfterCharge)).await;
    let e = client(&emu).generate(&req()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::ConnectionError, "{e}");
    assert!(e.may_have_been_charged());
    assert!(e.message().contains("may have been charged"), "{e}");
    assert!(e.message().contains("retry_ambiguous"), "{e}");
    let ledger = emu.ledger();
    assert_eq!(ledger.charges.len(), 1, "charged once, and only once");
}

#[tokio::test]
async fn drop_after_charge_with_retry_ambiguous_pays_twice_and_the_ledger_shows_it() {
    let emu = faulted_emulator(0, on_features(FaultKind::DropAfterCharge)).await;
    let client = builder(&emu).retry_ambiguous(true).build().unwrap();
    let g = client.generate(&req()).await.unwrap();
    let ledger = emu.ledger();
    assert_eq!(
        ledger.charges.len(),
        2,
        "the opt-in retry paid a second time"
    );
    assert_eq!(ledger.charges_for(g.id()), 1);
}

#[tokio::test]
async fn truncated_body_recovers_the_record_without_paying_again() {
    let emu = emulator(0).await;
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    emu.inject(on_features(FaultKind::TruncatedBody));
    // Even with retry_ambiguous: the record id arrived, so the client reads the record (GET)
    // instead of POSTing again.
    for retry_ambiguous in [false, true] {
        emu.inject(on_features(FaultKind::TruncatedBody));
        let client = builder(&emu)
            .retry_ambiguous(retry_ambiguous)
            .build()
            .unwrap();
        let g = client.generate(&req()).await.unwrap();
        assert_eq!(g.images().len(), 1);
        assert_eq!(emu.ledger().charges_for(g.id()), 1);
    }
    // Three faults were queued and two consumed (one per call): two generations, each charged
    // once, and no second POST.
    assert_eq!(emu.ledger().charges.len(), 2);
    assert_eq!(emu.pending_faults().len(), 1);
    assert!(capture.text().contains("reading the record instead"));
}

#[tokio::test]
async fn malformed_json_recovers_the_record_without_paying_again() {
    let emu = faulted_emulator(0, on_features(FaultKind::MalformedJson)).await;
    let g = client(&emu).generate(&req()).await.unwrap();
    assert_eq!(emu.ledger().charges.len(), 1);
    assert_eq!(emu.ledger().charges_for(g.id()), 1);
}

#[tokio::test]
async fn server_errors_are_not_retried_by_default() {
    let emu = faulted_emulator(0, on_features(FaultKind::Status { status: 500 }).times(2)).await;
    let e = client(&emu).generate(&req()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::ServerError);
    assert_eq!(e.status(), Some(500));
    assert!(e.may_have_been_charged());
    assert!(e.message().contains("may have been charged"), "{e}");
    assert_eq!(
        emu.pending_faults()[0].count,
        1,
        "exactly one POST was sent"
    );

    // Opted in: retried until it works; the ledger shows a single charge (5xx charged nothing).
    let client = builder(&emu).retry_ambiguous(true).build().unwrap();
    let g = client.generate(&req()).await.unwrap();
    assert!(emu.pending_faults().is_empty());
    assert_eq!(emu.ledger().charges.len(), 1);
    assert_eq!(emu.ledger().charges_for(g.id()), 1);
}

#[tokio::test]
async fn retry_ambiguous_gives_up_after_max_retries() {
    let emu = faulted_emulator(0, on_features(FaultKind::Status { status: 503 }).times(5)).await;
    let client = builder(&emu)
        .retry_ambiguous(true)
        .max_retries(2)
        .build()
        .unwrap();
    let e = client.generate(&req()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::ServerError);
    assert!(e.message().contains("3 attempts"), "{e}");
    assert_eq!(emu.pending_faults()[0].count, 2);
}

#[tokio::test]
async fn cloudflare_page_is_a_server_error_with_its_title() {
    let emu = faulted_emulator(0, on_features(FaultKind::Cloudflare)).await;
    let e = client(&emu).generate(&req()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::ServerError);
    assert_eq!(e.status(), Some(522));
    assert!(e.message().contains("HTML page"), "{e}");
    assert!(e.may_have_been_charged());
    assert!(emu.pending_faults().is_empty());
    assert_eq!(emu.ledger().charges.len(), 0);
}

#[tokio::test]
async fn drop_before_processing_is_ambiguous_to_the_client() {
    // The client cannot tell a connection closed before processing from one closed after the
    // charge, so it plays safe; with retry_ambiguous the retry succeeds and pays once.
    let emu = faulted_emulator(0, on_features(FaultKind::DropBeforeProcessing)).await;
    let e = client(&emu).generate(&req()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::ConnectionError);
    assert!(e.may_have_been_charged());
    assert_eq!(emu.ledger().charges.len(), 0);

    emu.inject(on_features(FaultKind::DropBeforeProcessing));
    let g = builder(&emu)
        .retry_ambiguous(true)
        .build()
        .unwrap()
        .generate(&req())
        .await
        .unwrap();
    assert_eq!(emu.ledger().charges.len(), 1);
    assert_eq!(emu.ledger().charges_for(g.id()), 1);
}

#[tokio::test]
async fn rate_limit_is_retried_honouring_retry_after() {
    let emu = emulator(0).await;
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    emu.inject(
        on_features(FaultKind::RateLimit {
            retry_after_secs: 1,
        })
        .times(2),
    );
    let g = client(&emu).generate(&req()).await.unwrap();
    assert!(emu.pending_faults().is_empty(), "both 429s were consumed");
    assert_eq!(emu.ledger().charges.len(), 1);
    assert_eq!(emu.ledger().charges_for(g.id()), 1);
    // The waits were the server's Retry-After (1 s), not the (10 ms) backoff.
    let delays = capture.values("visionxl.retry", "delay_ms");
    assert_eq!(delays, vec!["1000", "1000"], "{}", capture.text());
}

#[tokio::test]
async fn rate_limit_exhausted_is_rate_limited_with_retry_after() {
    let emu = faulted_emulator(
        0,
        on_features(FaultKind::RateLimit {
            retry_after_secs: 7,
        }),
    )
    .await;
    let client = builder(&emu).max_retries(0).budget(1_000).build().unwrap();
    let e = client.generate(&req()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::RateLimited);
    assert_eq!(e.status(), Some(429));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
    assert!(!e.may_have_been_charged());
    assert_eq!(
        client.budget_remaining(),
        Some(1_000),
        "a 429 gives the reservation back"
    );
}

#[tokio::test]
async fn generation_failure_is_generation_failed_with_its_reason() {
    let emu = faulted_emulator(
        0,
        Fault::new(FaultKind::GenerationFailure {
            message: "NSFW content detected".into(),
        }),
    )
    .await;
    let e = client(&emu).generate(&req()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::GenerationFailed);
    assert!(e.message().contains("NSFW content detected"), "{e}");
    assert!(e.record_id().is_some());
    assert_eq!(emu.ledger().charges.len(), 0);
}

#[tokio::test]
async fn generation_failure_in_async_mode_too() {
    let emu = faulted_emulator(
        50,
        Fault::new(FaultKind::GenerationFailure {
            message: "upstream said no".into(),
        }),
    )
    .await;
    let e = client(&emu)
        .generate_with(&req(), async_opts(None))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::GenerationFailed);
    assert!(e.message().contains("upstream said no"));
}

#[tokio::test]
async fn expired_asset_is_a_download_error_and_get_generation_fixes_it() {
    let emu = emulator(0).await;
    let client = client(&emu);
    let g = client.generate(&req()).await.unwrap();
    emu.inject(Fault::new(FaultKind::ExpiredAsset));
    let dir = tempdir();
    let e = g.save_all(dir.path()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::DownloadError);
    assert_eq!(e.status(), Some(403));
    assert_eq!(e.record_id(), Some(g.id()));
    assert!(
        e.message()
            .contains(&format!("get_generation(\"{}\")", g.id())),
        "{e}"
    );
    assert!(
        !e.message().contains("X-Amz-Signature"),
        "no signature in messages: {e}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no partial file left"
    );
    let fresh = client.get_generation(g.id()).await.unwrap();
    assert_eq!(fresh.save_all(dir.path()).await.unwrap().len(), 1);
    assert_eq!(emu.ledger().charges.len(), 1);
}

#[tokio::test]
async fn expired_temporary_url_by_time() {
    let emu = Emulator::start(EmulatorConfig {
        temporary_url_ttl: Duration::from_secs(1),
        ..Default::default()
    })
    .await
    .unwrap();
    let client = client(&emu);
    let g = client.generate(&req()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let e = g.image_bytes(0).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::DownloadError, "{e}");
    assert!(e.message().contains("expired"), "{e}");
}

#[tokio::test]
async fn download_errors_are_retried() {
    let emu = emulator(0).await;
    let client = client(&emu);
    let g = client.generate(&req()).await.unwrap();
    emu.inject(
        Fault::new(FaultKind::Status { status: 503 })
            .times(2)
            .on_path("/temp"),
    );
    let bytes = g.image_bytes(0).await.unwrap();
    assert!(infer::is_image(&bytes));
    assert!(emu.pending_faults().is_empty());
    emu.inject(
        Fault::new(FaultKind::DropBeforeProcessing)
            .times(3)
            .on_path("/temp"),
    );
    let e = g.image_bytes(0).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::DownloadError);
    assert!(emu.pending_faults().is_empty(), "1 try + 2 retries");
    emu.inject(Fault::new(FaultKind::TruncatedBody).on_path("/temp"));
    let bytes2 = g.image_bytes(0).await.unwrap();
    assert_eq!(bytes, bytes2, "a broken download is restarted from scratch");
}

#[tokio::test]
async fn a_mangled_download_that_ends_cleanly_is_retried_never_saved_as_the_image() {
    // malformed_json on a download: 200, half the picture then garbage, with a consistent
    // Content-Length. The magic bytes are right; saved as it is, the paid picture would be
    // lost while the save reports success (found by the soak, crates/visionxl-soak).
    let emu = emulator(0).await;
    let client = client(&emu);
    for transparent in [false, true] {
        let mut b = GenerateRequest::builder("a mangled fox").size(Size::S512x512);
        if transparent {
            b = b.transparency(visionxl::Transparency::ForegroundOnly);
        }
        let g = client.generate(&b.build().unwrap()).await.unwrap();
        let whole = g.image_bytes(0).await.unwrap();
        emu.inject(Fault::new(FaultKind::MalformedJson).on_path("/temp"));
        let dir = tempdir();
        let files = g.save_all(dir.path()).await.unwrap();
        assert!(emu.pending_faults().is_empty(), "the fault was met");
        assert_eq!(
            std::fs::read(&files[0]).unwrap(),
            whole.to_vec(),
            "the retry saved the whole picture (transparent: {transparent})"
        );
        // Mangled on every attempt: a download_error, and nothing left behind.
        emu.inject(
            Fault::new(FaultKind::MalformedJson)
                .times(3)
                .on_path("/temp"),
        );
        let dir = tempdir();
        let e = g.save_all(dir.path()).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::DownloadError, "{e}");
        assert!(e.message().contains("incomplete"), "{e}");
        assert_eq!(e.record_id(), Some(g.id()));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}

#[tokio::test]
async fn delay_past_the_timeout_is_a_timeout_that_may_have_been_charged() {
    let emu = emulator(3_000).await;
    let client = builder(&emu)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let e = client.generate(&req()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Timeout, "{e}");
    assert!(e.may_have_been_charged());
    assert!(e.message().contains("may have been charged"));
    // Generation was under way: the emulator did charge it, exactly once.
    assert_eq!(emu.ledger().charges.len(), 1);

    let emu = faulted_emulator(0, on_features(FaultKind::Delay { ms: 3_000 })).await;
    let client = builder(&emu)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let e = client.generate(&req()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Timeout);
    // A short delay within the timeout is just slow.
    emu.inject(on_features(FaultKind::Delay { ms: 50 }));
    assert!(client.generate(&req()).await.is_ok());
}

#[tokio::test]
async fn connection_refused_is_retried_then_connection_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let client = visionxl::Client::builder()
        .ignore_env()
        .api_key("k")
        .base_url(format!("http://127.0.0.1:{port}"))
        .retry_policy(fast_retry())
        .budget(500)
        .build()
        .unwrap();
    let e = client.generate(&req()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::ConnectionError);
    assert!(!e.may_have_been_charged(), "nothing was sent");
    assert!(e.message().contains("nothing was sent"));
    assert_eq!(
        capture.values("visionxl.retry", "delay_ms").len(),
        2,
        "retried twice"
    );
    assert_eq!(client.budget_remaining(), Some(500));
}

#[tokio::test]
async fn budget_is_checked_before_sending() {
    let emu = emulator(0).await;
    let client = builder(&emu).budget(600).build().unwrap();
    client.generate(&req()).await.unwrap();
    client.generate(&req()).await.unwrap();
    let e = client.generate(&req()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::BudgetExceeded);
    assert!(e.message().contains("nothing was sent"));
    assert_eq!(client.budget_remaining(), Some(600 - 2 * 286));
    assert_eq!(emu.ledger().charges.len(), 2);
    // A cheaper request still fits.
    let small = GenerateRequest::builder("s")
        .size(Size::S512x512)
        .build()
        .unwrap();
    assert!(client.budget_remaining().unwrap() < 234);
    assert_eq!(
        client.generate(&small).await.unwrap_err().code(),
        ErrorCode::BudgetExceeded
    );

    // An ambiguous failure keeps its reservation (it may have been charged).
    let client = builder(&emu).budget(1_000).build().unwrap();
    emu.inject(on_features(FaultKind::Status { status: 502 }));
    client.generate(&req()).await.unwrap_err();
    assert_eq!(client.budget_remaining(), Some(1_000 - 286));
}

#[tokio::test]
async fn cancel_token_stops_a_generation() {
    let emu = emulator(5_000).await;
    let client = client(&emu);
    let token = CancelToken::new();
    let t2 = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        t2.cancel();
    });
    let e = client
        .generate_with(&req(), cancellable(token.clone()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Cancelled);
    assert!(e.may_have_been_charged(), "the POST had left");
    // Already cancelled: nothing is sent at all.
    let e = client
        .generate_with(&req(), cancellable(token))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Cancelled);
    assert!(!e.may_have_been_charged());
}

/// Every stable error code, produced for real.
#[tokio::test]
async fn every_error_code_is_reachable() {
    let mut seen = BTreeSet::new();
    let emu = Emulator::start(EmulatorConfig {
        keys: vec![
            ApiKey::new(visionxl_emulator::DEFAULT_API_KEY, 100_000),
            ApiKey::new("poor-key-000000", 100),
        ],
        ..Default::default()
    })
    .await
    .unwrap();
    let c = client(&emu);
    let mut note = |e: visionxl::Error| {
        seen.insert(e.code().as_str());
    };

    let bad = GenerateRequest::builder("x").n(9).build().unwrap_err();
    note(bad);
    let mut invalid = req();
    invalid.guidance_scale = Some(99);
    note(c.generate(&invalid).await.unwrap_err());
    note(
        builder(&emu)
            .api_key("wrong-key-123")
            .build()
            .unwrap()
            .generate(&req())
            .await
            .unwrap_err(),
    );
    emu.inject(on_features(FaultKind::Status { status: 403 }));
    note(c.generate(&req()).await.unwrap_err());
    note(
        builder(&emu)
            .api_key("poor-key-000000")
            .build()
            .unwrap()
            .generate(&req())
            .await
            .unwrap_err(),
    );
    emu.inject(
        on_features(FaultKind::RateLimit {
            retry_after_secs: 0,
        })
        .times(3),
    );
    note(c.generate(&req()).await.unwrap_err());
    emu.inject(on_features(FaultKind::Status { status: 422 }));
    note(c.generate(&req()).await.unwrap_err());
    note(c.get_generation("missing").await.unwrap_err());
    emu.inject(on_features(FaultKind::Status { status: 500 }));
    note(c.generate(&req()).await.unwrap_err());
    note(
        builder(&emu)
            .timeout(Duration::from_millis(100))
            .build()
            .unwrap()
            .generate(&{
                emu.inject(on_features(FaultKind::Delay { ms: 1_000 }));
                req()
            })
            .await
            .unwrap_err(),
    );
    emu.inject(on_features(FaultKind::DropAfterCharge));
    note(c.generate(&req()).await.unwrap_err());
    emu.inject(Fault::new(FaultKind::GenerationFailure {
        message: "no".into(),
    }));
    note(c.generate(&req()).await.unwrap_err());
    note(
        builder(&emu)
            .budget(10)
            .build()
            .unwrap()
            .generate(&req())
            .await
            .unwrap_err(),
    );
    let g = c.generate(&req()).await.unwrap();
    emu.inject(Fault::new(FaultKind::ExpiredAsset));
    let dir = tempdir();
    note(g.save_all(dir.path()).await.unwrap_err());
    g.save_all(dir.path()).await.unwrap();
    note(g.save_all(dir.path()).await.unwrap_err());
    let token = CancelToken::new();
    token.cancel();
    note(
        c.generate_with(&req(), cancellable(token))
            .await
            .unwrap_err(),
    );
    // invalid_response: a 200 that is not the documented JSON and names no record.
    let mock =
        Mock::start(|_, _| Canned::bytes(200, "text/html", b"<html>maintenance</html>")).await;
    let mc = visionxl::Client::builder()
        .ignore_env()
        .api_key("k")
        .base_url(&mock.base_url)
        .build()
        .unwrap();
    let e = mc.generate(&req()).await.unwrap_err();
    assert!(e.may_have_been_charged());
    note(e);

    let all: BTreeSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        seen,
        all,
        "missing: {:?}",
        all.difference(&seen).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn error_details_from_the_service() {
    let emu = emulator(0).await;
    let c = builder(&emu).api_key("wrong-key-123").build().unwrap();
    let e = c.generate(&req()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::AuthenticationError);
    assert_eq!(e.status(), Some(401));
    assert!(e.message().contains("ONEMIN_API_KEY"), "{e}");
    let emu2 = Emulator::start(EmulatorConfig {
        keys: vec![ApiKey::new("poor-key-000000", 100)],
        ..Default::default()
    })
    .await
    .unwrap();
    let e = builder(&emu2)
        .build()
        .unwrap()
        .generate(&req())
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InsufficientCredits);
    assert_eq!(e.status(), Some(402));
    assert!(e.service_code().is_some());
    assert!(!e.may_have_been_charged());
}
