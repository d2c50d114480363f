//! Client settings are validated once, in `ClientBuilder::build`: every bad setting is a
//! `validation_error` whose violation names it.

mod common;

use std::time::Duration;

use common::*;
use visionxl::{ClientBuilder, ErrorCode, GenerateRequest, ViolationCode};

/// A builder with a key and a loopback URL: valid until a test sets something bad.
fn base() -> ClientBuilder {
    bare_builder("k", "http://127.0.0.1:1")
}

/// `build` succeeds.
fn accepted(b: ClientBuilder) {
    if let Err(e) = b.build() {
        panic!("refused: {e:?}");
    }
}

/// `build` fails with exactly one `out_of_range` violation on `field`, whose message states
/// the rule.
fn refused(b: ClientBuilder, field: &str) {
    let e = b.build().unwrap_err();
    assert_eq!(e.code(), ErrorCode::ValidationError, "{field}: {e}");
    assert_eq!(e.violations().len(), 1, "{field}: {e:?}");
    let v = &e.violations()[0];
    assert_eq!(v.field, field);
    assert_eq!(v.code, ViolationCode::OutOfRange);
    assert!(v.message.contains(field), "{v}");
    assert!(v.message.contains("greater than 0"), "{v}");
    assert!(e.message().contains(field), "{e}");
}

#[test]
fn connect_timeout_must_be_positive() {
    refused(base().connect_timeout(Duration::ZERO), "connect_timeout");
    accepted(base().connect_timeout(Duration::from_nanos(1)));
}

#[test]
fn timeout_must_be_positive() {
    refused(base().timeout(Duration::ZERO), "timeout");
    accepted(base().timeout(Duration::from_millis(1)));
}

#[test]
fn download_timeout_must_be_positive() {
    refused(base().download_timeout(Duration::ZERO), "download_timeout");
    accepted(base().download_timeout(Duration::from_millis(1)));
}

#[test]
fn poll_interval_must_be_positive() {
    refused(base().poll_interval(Duration::ZERO), "poll_interval");
    accepted(base().poll_interval(Duration::from_millis(1)));
}

#[test]
fn poll_timeout_must_be_positive() {
    refused(base().poll_timeout(Duration::ZERO), "poll_timeout");
    accepted(base().poll_timeout(Duration::from_millis(1)));
}

#[test]
fn max_response_bytes_must_be_positive() {
    refused(base().max_response_bytes(0), "max_response_bytes");
    accepted(base().max_response_bytes(1));
}

#[test]
fn max_image_bytes_must_be_positive() {
    refused(base().max_image_bytes(0), "max_image_bytes");
    accepted(base().max_image_bytes(1));
}

#[test]
fn every_bad_setting_is_listed_at_once_and_before_the_key_check() {
    let e = visionxl::Client::builder()
        .ignore_env()
        .timeout(Duration::ZERO)
        .poll_timeout(Duration::ZERO)
        .max_image_bytes(0)
        .build()
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::ValidationError, "{e}");
    let fields: Vec<_> = e.violations().iter().map(|v| v.field.as_str()).collect();
    // In the order of the options table (visionxl::options::CLIENT_OPTIONS).
    assert_eq!(fields, ["timeout", "max_image_bytes", "poll_timeout"]);
}

#[tokio::test]
async fn requests_per_minute_zero_means_pacing_off() {
    let emu = emulator(0).await;
    // 0 is accepted by build and turns pacing off: five calls leave at once (at 1 request per
    // minute they would take four minutes).
    let paced_off = builder(&emu).requests_per_minute(0).build().unwrap();
    let started = std::time::Instant::now();
    for i in 0..5 {
        paced_off
            .generate(&GenerateRequest::new(format!("fox {i}")))
            .await
            .unwrap();
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(emu.ledger().charges.len(), 5);
}

#[tokio::test]
async fn a_huge_poll_timeout_is_no_deadline_not_a_panic() {
    let emu = emulator(0).await;
    let client = builder(&emu).poll_timeout(Duration::MAX).build().unwrap();
    let g = client
        .generate(&GenerateRequest::new("a fox"))
        .await
        .unwrap();
    let again = client.wait_for_generation(g.id()).await.unwrap();
    assert_eq!(again.id(), g.id());
}

/// The shared option vectors (`tests/vectors/options.json`), run by all four languages.
fn option_vectors() -> serde_json::Value {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/options.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn option_value(v: &serde_json::Value) -> visionxl::options::OptionValue {
    use visionxl::options::OptionValue;
    match v {
        serde_json::Value::Null => OptionValue::Null,
        serde_json::Value::Bool(b) => OptionValue::Bool(*b),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => OptionValue::Int(i.into()),
            (None, Some(u)) => OptionValue::Int(u.into()),
            _ => OptionValue::Float(n.as_f64().unwrap()),
        },
        serde_json::Value::String(s) => OptionValue::Str(s.clone()),
        other => OptionValue::Other(format!("{other}")),
    }
}

#[test]
fn shared_option_vectors() {
    let doc = option_vectors();
    for c in doc["cases"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        let option = c["option"].as_str().unwrap();
        let mut b = base();
        let result = b
            .set_option(option, option_value(&c["value"]))
            .map(|_| ())
            .and_then(|_| b.clone().build().map(|_| ()));
        if c["ok"].as_bool().unwrap() {
            assert!(result.is_ok(), "{id}: {result:?}");
            continue;
        }
        let e = result.expect_err(id);
        assert_eq!(e.code(), ErrorCode::ValidationError, "{id}");
        let v: Vec<_> = e
            .violations()
            .iter()
            .map(|v| (v.field.as_str(), v.code.as_str()))
            .collect();
        assert_eq!(v, [(option, c["code"].as_str().unwrap())], "{id}");
        for s in c["message_contains"].as_array().into_iter().flatten() {
            assert!(e.message().contains(s.as_str().unwrap()), "{id}: {e}");
        }
    }
}

#[tokio::test]
async fn shared_concurrency_vectors() {
    let client = base().build().unwrap();
    for c in option_vectors()["concurrency"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        let opts = visionxl::BatchOptions {
            concurrency: c["value"].as_u64().unwrap() as usize,
            ..Default::default()
        };
        let result = client.generate_many(Vec::new(), opts).await;
        if c["ok"].as_bool().unwrap() {
            assert!(result.is_ok(), "{id}");
            continue;
        }
        let Err(e) = result else {
            panic!("{id}: accepted")
        };
        let v: Vec<_> = e
            .violations()
            .iter()
            .map(|v| (v.field.as_str(), v.code.as_str()))
            .collect();
        assert_eq!(v, [("concurrency", c["code"].as_str().unwrap())], "{id}");
    }
}
