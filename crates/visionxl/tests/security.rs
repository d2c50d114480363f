//! The key never shows, never leaves over plain http off loopback, never rides a download;
//! no redirects on the API; answers and images are capped.

mod common;

use common::*;
use visionxl::{ErrorCode, GenerateRequest};
use visionxl_emulator::{ApiKey, Emulator, EmulatorConfig, Fault, FaultKind};

const SECRET: &str = "sk-DO-NOT-LEAK-0123456789";

async fn secret_emulator() -> Emulator {
    Emulator::start(EmulatorConfig {
        keys: vec![ApiKey::new(SECRET, 100_000)],
        ..Default::default()
    })
    .await
    .unwrap()
}

/// A client aimed at the emulator that sends `key` instead of the emulator's own.
fn keyed_client(emu: &Emulator, key: impl Into<String>) -> visionxl::Client {
    builder(emu).api_key(key).build().unwrap()
}

/// The `API-KEY` header a scripted server received ("" when none).
fn sent_key(seen: &Seen) -> String {
    seen.headers
        .get("api-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn the_key_never_appears_in_debug_display_errors_or_traces() {
    let emu = secret_emulator().await;
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let b = builder(&emu);
    assert_eq!(emu.api_key(), SECRET);
    let mut texts = vec![format!("{b:?}")];
    let client = b.clone().build().unwrap();
    texts.push(format!("{client:?}"));
    let g = client
        .generate(&GenerateRequest::new("a fox"))
        .await
        .unwrap();
    texts.push(format!("{g:?}"));
    texts.push(serde_json::to_string(&g).unwrap());
    let dir = tempdir();
    for f in g.save_all(dir.path()).await.unwrap() {
        texts.push(std::fs::read_to_string(format!("{}.json", f.display())).unwrap());
    }
    // Errors of every flavour.
    for kind in [
        FaultKind::Status { status: 500 },
        FaultKind::DropAfterCharge,
        FaultKind::RateLimit {
            retry_after_secs: 0,
        },
        FaultKind::Cloudflare,
    ] {
        emu.inject(Fault::new(kind).times(3).on_path("/api/features"));
        let e = generate_err(&client).await;
        texts.push(format!("{e:?} {e} {:?}", std::error::Error::source(&e)));
        emu.reset();
    }
    let wrong = keyed_client(&emu, format!("{SECRET}-wrong"));
    let e = generate_err(&wrong).await;
    assert_eq!(e.code(), ErrorCode::AuthenticationError);
    texts.push(format!("{e:?} {e}"));
    let bad = visionxl::Client::builder()
        .ignore_env()
        .api_key(format!("{SECRET} x"))
        .build()
        .unwrap_err();
    texts.push(format!("{bad:?} {bad}"));
    let blocking = visionxl::blocking::Client::from_async(client.clone()).unwrap();
    texts.push(format!("{blocking:?}"));
    texts.push(capture.text());
    assert!(
        capture.text().contains("visionxl.request"),
        "spans are emitted"
    );
    for t in &texts {
        assert!(!t.contains(SECRET), "the key leaked into: {t}");
        assert!(
            !t.contains("DO-NOT-LEAK"),
            "part of the key leaked into: {t}"
        );
    }
}

#[test]
fn plain_http_off_loopback_is_refused() {
    for url in [
        "http://api.1min.ai",
        "http://192.168.1.10:8080",
        "http://example.com/",
    ] {
        let e = bare_builder("k", url).build().unwrap_err();
        assert_eq!(e.code(), ErrorCode::ValidationError, "{url}");
        assert!(e.message().contains("plain http"), "{e}");
    }
    for url in [
        "http://127.0.0.1:1",
        "http://localhost:2",
        "http://[::1]:3",
        "https://api.1min.ai",
    ] {
        assert!(bare_builder("k", url).build().is_ok(), "{url}");
    }
    let ok = bare_builder("k", "http://example.com")
        .allow_insecure_http(true)
        .build();
    assert!(ok.is_ok());
    let e = bare_builder("k", "ftp://x").build().unwrap_err();
    assert_eq!(e.code(), ErrorCode::ValidationError);
}

#[test]
fn missing_key_is_an_authentication_error_that_says_what_to_do() {
    let e = visionxl::Client::builder()
        .ignore_env()
        .build()
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::AuthenticationError);
    assert!(e.message().contains("ONEMIN_API_KEY"));
    assert!(e.message().contains("pass a key"));
}

#[tokio::test]
async fn downloads_never_carry_the_key_and_the_api_sends_it_as_api_key() {
    let mock = Mock::start(
        |seen, base| match (seen.method.as_str(), seen.path.as_str()) {
            ("POST", "/api/features") => Canned::json(
                200,
                record_body(
                    "rec-1",
                    "SUCCESS",
                    &["images/a.png", "images/b.png"],
                    Some(&format!("{base}/signed/a.png?X-Amz-Signature=abc")),
                ),
            ),
            // The asset host redirects; the redirect is followed without the key.
            (_, p) if p.starts_with("/asset/images/b.png") => Canned::bytes(302, "text/plain", b"")
                .header("location", &format!("{base}/moved/b.png")),
            _ => Canned::bytes(200, "image/png", PNG_1X1),
        },
    )
    .await;
    let client = bare_builder(SECRET, &mock.base_url).build().unwrap();
    let g = client.generate(&GenerateRequest::new("x")).await.unwrap();
    assert_eq!(
        g.images()[1].url(),
        format!("{}/asset/images/b.png", mock.base_url)
    );
    let dir = tempdir();
    let files = g.save_all(dir.path()).await.unwrap();
    assert_eq!(files.len(), 2);
    let seen = mock.seen();
    let post = seen.iter().find(|s| s.method == "POST").unwrap();
    assert_eq!(post.headers.get("api-key").unwrap(), SECRET);
    assert_eq!(
        post.headers.get("content-type").unwrap(),
        "application/json"
    );
    let body: serde_json::Value = serde_json::from_slice(&post.body).unwrap();
    assert_eq!(body["model"], visionxl::wire::MODEL_ID);
    let gets: Vec<_> = seen.iter().filter(|s| s.method == "GET").collect();
    assert_eq!(
        gets.len(),
        3,
        "signed URL, asset URL, redirect target: {gets:?}"
    );
    for s in gets {
        assert!(
            s.headers.get("api-key").is_none(),
            "a download carried the key: {}",
            s.path
        );
        for (_, v) in s.headers.iter() {
            assert!(!v.to_str().unwrap_or("").contains(SECRET));
        }
    }
}

#[tokio::test]
async fn the_api_does_not_follow_redirects() {
    let mock = Mock::start(|seen, base| {
        if seen.path == "/api/features" {
            Canned::bytes(307, "text/plain", b"").header("location", &format!("{base}/elsewhere"))
        } else {
            Canned::json(200, record_body("r", "SUCCESS", &["a.png"], None))
        }
    })
    .await;
    let client = bare_builder(SECRET, &mock.base_url).build().unwrap();
    let e = generate_err(&client).await;
    assert_eq!(e.status(), Some(307));
    assert!(e.message().contains("redirect"), "{e}");
    assert_eq!(mock.seen().len(), 1, "the redirect was not followed");
}

#[tokio::test]
async fn oversized_answers_and_images_are_refused() {
    let big = "x".repeat(5 * 1024 * 1024);
    let mock = Mock::start(move |seen, base| {
        if seen.path == "/api/features" {
            let mut v = record_body(
                "rec-big",
                "SUCCESS",
                &["a.png"],
                Some(&format!("{base}/img/a.png")),
            );
            v["padding"] = serde_json::Value::from(big.clone());
            Canned::json(200, v)
        } else if seen.path.starts_with("/api/results") {
            Canned::json(
                200,
                record_body(
                    "rec-big",
                    "SUCCESS",
                    &["a.png"],
                    Some(&format!("{base}/img/a.png")),
                ),
            )
        } else {
            let mut png = PNG_1X1.to_vec();
            png.resize(10_000, 0);
            Canned::bytes(200, "image/png", &png)
        }
    })
    .await;
    let client = bare_builder("k", &mock.base_url)
        .max_image_bytes(1_000)
        .build()
        .unwrap();
    // The 5 MiB answer is over the 4 MiB default: refused (and its record read instead).
    let g = client.generate(&GenerateRequest::new("x")).await.unwrap();
    assert!(
        mock.seen()
            .iter()
            .any(|s| s.path.starts_with("/api/results/rec-big"))
    );
    let e = g.image_bytes(0).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::DownloadError);
    assert!(e.message().contains("max_image_bytes"), "{e}");
    let small = bare_builder("k", &mock.base_url)
        .max_response_bytes(100)
        .build()
        .unwrap();
    let e = small.get_generation("rec-big").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidResponse);
    assert!(e.message().contains("limit"));
}

/// Everything a download error shows: message, Display, Debug, and the source chain.
fn shown(e: &visionxl::Error) -> String {
    let mut s = format!("{e} | {e:?}");
    let mut src = std::error::Error::source(e);
    while let Some(x) = src {
        s.push_str(&format!(" | {x} | {x:?}"));
        src = x.source();
    }
    s
}

#[tokio::test]
async fn download_errors_never_show_the_signed_query() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    // 1. The connection to the signed URL fails (nothing listens on port 1): reqwest's own
    //    message quotes the whole URL, signature included.
    let mock = Mock::start(|seen, _base| {
        if seen.path.starts_with("/api/features") {
            Canned::json(
                200,
                record_body(
                    "rec-sig-1",
                    "SUCCESS",
                    &["images/a.webp"],
                    Some("http://127.0.0.1:1/temp/a.webp?X-Amz-Signature=SIGSECRET&X-Amz-Expires=600"),
                ),
            )
        } else {
            Canned::json(404, serde_json::json!({"message": "no"}))
        }
    })
    .await;
    let client = mock_client("k", &mock.base_url);
    let g = client.generate(&GenerateRequest::new("x")).await.unwrap();
    let dir = tempdir();
    let e = g.save_all(dir.path()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::DownloadError, "{e}");
    assert!(
        e.message().contains("127.0.0.1:1/temp/a.webp"),
        "names the URL: {e}"
    );
    let text = shown(&e);
    assert!(!text.contains("X-Amz-Signature"), "{text}");
    assert!(!text.contains("SIGSECRET"), "{text}");
    let e = g.image_bytes(0).await.unwrap_err();
    assert!(!shown(&e).contains("SIGSECRET"), "{e}");

    // 2. The signed download breaks off half way (every attempt).
    let emu = emulator(0).await;
    let g = common::client(&emu)
        .generate(&GenerateRequest::new("y"))
        .await
        .unwrap();
    assert!(
        g.images()[0].url().contains("X-Amz-Signature"),
        "a signed URL"
    );
    emu.inject(
        Fault::new(FaultKind::TruncatedBody)
            .times(3)
            .on_path("/temp"),
    );
    let e = g.image_bytes(0).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::DownloadError, "{e}");
    let text = shown(&e);
    assert!(!text.contains("X-Amz-Signature"), "{text}");

    // Nor in the logs (the retries log the message).
    let logs = capture.text();
    assert!(logs.contains("visionxl.retry"), "retries were logged");
    assert!(!logs.contains("X-Amz-Signature"), "{logs}");
    assert!(!logs.contains("SIGSECRET"), "{logs}");
}

/// The key a hostile or careless service echoes back in its error bodies.
const ECHOED: &str = "sk-secret-ABCDEFGH12345";

/// Every string of an error people or logs can see: Display, Debug, message, details, service
/// code, record id, violations and the cause chain.
fn every_string(e: &visionxl::Error) -> String {
    format!(
        "{} | {:?} | {:?} | {:?} | {:?} | {}",
        shown(e),
        e.message(),
        e.details(),
        e.service_code(),
        e.record_id(),
        e.violations()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    )
}

fn assert_redacted(e: &visionxl::Error) {
    let text = every_string(e);
    assert!(!text.contains(ECHOED), "the key leaked: {text}");
    assert!(
        !text.contains("ABCDEFGH12345"),
        "part of the key leaked: {text}"
    );
}

/// A tiny server that echoes the `API-KEY` header back in every error it gives: in a 401
/// message, in a 400's `details` and service code, and in a download path.
async fn echoing_server() -> Mock {
    Mock::start(|seen, base| {
        let key = sent_key(seen);
        match (seen.method.as_str(), seen.path.as_str()) {
            ("POST", "/api/features") if key.is_empty() => Canned::json(400, serde_json::json!({})),
            ("POST", "/api/features") => Canned::json(
                401,
                serde_json::json!({ "message": format!("Invalid API key {key}") }),
            ),
            ("GET", p) if p.starts_with("/api/results/rec-details") => Canned::json(
                400,
                serde_json::json!({
                    "errorCode": format!("KEY_{key}"),
                    "message": "Something went wrong, please try again",
                    "details": format!("{{\"error\":{{\"message\":\"the key {key} may not read this\"}}}}"),
                }),
            ),
            // A record whose image path quotes the key (as sent on the GET): its download fails.
            ("GET", p) if p.starts_with("/api/results/rec-echo") => Canned::json(
                200,
                record_body(
                    "rec-echo",
                    "SUCCESS",
                    &[&format!("images/{key}/a.png")],
                    None,
                ),
            ),
            ("POST", "/api/assets") => Canned::json(
                403,
                serde_json::json!({ "message": "forbidden", "details": { "apiKey": key } }),
            ),
            (_, p) if p.starts_with("/asset/") => {
                Canned::json(404, serde_json::json!({ "message": format!("no such file under {base}") }))
            }
            _ => Canned::json(404, serde_json::json!({ "message": "no" })),
        }
    })
    .await
}

#[tokio::test]
async fn a_key_echoed_by_the_service_is_redacted_from_every_error() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let mock = echoing_server().await;
    let client = mock_client(ECHOED, &mock.base_url);

    // 401 that quotes the key in its message.
    let e = generate_err(&client).await;
    assert_eq!(e.code(), ErrorCode::AuthenticationError, "{e}");
    assert_eq!(e.status(), Some(401));
    assert!(e.message().starts_with("Invalid API key ***"), "{e}");
    assert_redacted(&e);

    // 400 that quotes it in its details (and service code); the message is taken from them.
    let e = client.get_generation("rec-details").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::BadRequest, "{e}");
    assert_eq!(e.service_code(), Some("KEY_***"));
    assert!(
        e.details()
            .unwrap()
            .contains("the key *** may not read this"),
        "{e:?}"
    );
    assert!(e.message().contains("the key *** may not read this"), "{e}");
    assert_redacted(&e);

    // An upload refused with the key in structured details.
    let e = client
        .upload_asset_bytes(bytes::Bytes::from_static(PNG_1X1), "a.png")
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::PermissionDenied, "{e}");
    assert!(e.details().unwrap().contains("***"), "{e:?}");
    assert_redacted(&e);

    // A download error quoting a URL whose path holds the key.
    let g = client.get_generation("rec-echo").await.unwrap();
    let e = g.image_bytes(0).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::DownloadError, "{e}");
    assert!(e.message().contains("/asset/images/***/a.png"), "{e}");
    assert_redacted(&e);
    let dir = tempdir();
    let e = g.save_all(dir.path()).await.unwrap_err();
    assert_redacted(&e);

    // The same through the blocking client (what C and the CLI wrap).
    let blocking = visionxl::blocking::Client::from_async(client.clone()).unwrap();
    let e = tokio::task::spawn_blocking(move || {
        blocking.generate(&GenerateRequest::new("x")).unwrap_err()
    })
    .await
    .unwrap();
    assert_redacted(&e);

    // Nor in the logs (download retries log the message).
    let logs = capture.text();
    assert!(!logs.contains(ECHOED), "{logs}");
}

#[tokio::test]
async fn a_transport_failure_that_quotes_the_key_is_redacted() {
    // A key that is also part of the base URL: reqwest's connection error quotes the URL.
    let client = bare_builder("sk-hostkey", "http://127.0.0.1:1/sk-hostkey")
        .requests_per_minute(0)
        .retry_policy(visionxl::RetryPolicy {
            max_retries: 0,
            ..fast_retry()
        })
        .build()
        .unwrap();
    let e = client.get_generation("rec-1").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::ConnectionError, "{e}");
    let text = every_string(&e);
    assert!(!text.contains("sk-hostkey"), "{text}");
}

#[tokio::test]
async fn short_keys_leave_messages_alone() {
    let mock = Mock::start(|seen, _| {
        let key = sent_key(seen);
        Canned::json(
            401,
            serde_json::json!({ "message": format!("Invalid API key {key}") }),
        )
    })
    .await;
    let client = bare_builder("key", &mock.base_url)
        .requests_per_minute(0)
        .build()
        .unwrap();
    let e = generate_err(&client).await;
    // "key" is too short to scrub without garbling the message ("Invalid API ***").
    assert!(e.message().starts_with("Invalid API key key"), "{e}");
    assert!(!format!("{client:?}").contains("\"key\""));
}

#[tokio::test]
async fn ordinary_errors_are_unchanged_by_redaction() {
    let emu = Emulator::start(EmulatorConfig {
        keys: vec![
            ApiKey::new(SECRET, 100_000),
            ApiKey::new("sk-poor-account-0001", 10),
        ],
        ..Default::default()
    })
    .await
    .unwrap();
    let client = builder(&emu).build().unwrap();
    let mut seen = Vec::new();

    let wrong = keyed_client(&emu, format!("{SECRET}-wrong"));
    let e = generate_err(&wrong).await;
    assert_eq!(e.code(), ErrorCode::AuthenticationError);
    assert_eq!(e.service_code(), Some("UNAUTHORIZED"));
    assert_eq!(
        e.message(),
        "Invalid API key — check the API key (ONEMIN_API_KEY)"
    );
    seen.push(e);

    let poor = keyed_client(&emu, "sk-poor-account-0001");
    let e = generate_err(&poor).await;
    assert_eq!(e.code(), ErrorCode::InsufficientCredits, "{e}");
    assert!(
        e.message()
            .starts_with("Not enough credits: this request costs"),
        "{e}"
    );
    seen.push(e);

    emu.inject(Fault::new(FaultKind::GenerationFailure {
        message: "content filtered by the provider".into(),
    }));
    let e = generate_err(&client).await;
    assert_eq!(e.code(), ErrorCode::GenerationFailed);
    assert!(
        e.message().contains("content filtered by the provider"),
        "{e}"
    );
    assert!(e.record_id().is_some());
    seen.push(e);

    emu.inject(
        Fault::new(FaultKind::Status { status: 503 })
            .times(3)
            .on_path("/api/features"),
    );
    let e = generate_err(&client).await;
    assert_eq!(e.code(), ErrorCode::ServerError);
    assert_eq!(e.status(), Some(503));
    assert!(e.may_have_been_charged());
    seen.push(e);

    emu.reset();
    let e = client.get_generation("no-such-record").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
    assert_eq!(e.record_id(), Some("no-such-record"));
    seen.push(e);

    for e in &seen {
        let text = every_string(e);
        assert!(
            !text.contains("***"),
            "nothing to redact, nothing redacted: {text}"
        );
        assert!(!text.contains(SECRET), "{text}");
    }
    // And the happy path is untouched.
    let g = client
        .generate(&GenerateRequest::new("a fox"))
        .await
        .unwrap();
    assert_eq!(g.images().len(), 1);
}
