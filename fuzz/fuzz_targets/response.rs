//! Response parsing: `response::interpret` over any status, content type, `Retry-After`, asset
//! base URL and body, for both endpoints.
//!
//! Input: five header lines (`status`, `endpoint` (`results` or anything else for features),
//! `content-type`, `retry-after`, `asset-base-url`; empty = absent/default), then the body.
//!
//! Checks, beyond "never panics":
//! - `Ok(Some(record))`: a 2xx answer; a non-empty id; never FAILURE; SUCCESS has at least one
//!   path; `Record::from_body` on the same JSON gives the same record; `images()` has one entry
//!   per path, in order, every URL non-empty (the first is `temporaryUrl` when sent, the others
//!   `asset_base_url/path`), and every file name derived from a path stays in its directory.
//! - `Ok(None)`: a 2xx answer from the results endpoint only.
//! - `Err(e)`: a stable code (`ErrorCode::parse(code.as_str())` round-trips), a message that
//!   is not blank, the HTTP status kept; 2xx gives only `invalid_response` or
//!   `generation_failed` (with the record id); other statuses give only the HTTP codes;
//!   `retry_after` only on `rate_limited`; an HTML page never appears whole in the message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use visionxl::save::sanitize_file_name;
use visionxl_core::ErrorCode;
use visionxl_core::response::{
    Answer, DEFAULT_ASSET_BASE_URL, Endpoint, Record, Status, interpret, parse_error_body,
};
use visionxl_fuzz::{check_error, check_file_name, frame, header, is_http_error_code, status};

fuzz_target!(|data: &[u8]| {
    let ([status_line, endpoint, content_type, retry_after, base], body) = frame::<5>(data);
    let status = status(&status_line);
    let endpoint = match endpoint.trim() {
        "results" => Endpoint::Results,
        _ => Endpoint::Features,
    };
    let base = header(&base).unwrap_or(DEFAULT_ASSET_BASE_URL);
    let answer = Answer {
        status,
        content_type: header(&content_type),
        retry_after: header(&retry_after),
        body,
    };
    let ok = (200..300).contains(&status);
    match interpret(endpoint, answer) {
        Ok(Some(record)) => {
            assert!(ok, "a record from HTTP {status}");
            check_record(&record, base);
            let json: Value = serde_json::from_slice(body).expect("a record came from JSON");
            let again = Record::from_body(&json).expect("from_body agrees");
            assert_eq!(again.as_ref(), Some(&record), "from_body differs");
        }
        Ok(None) => {
            assert!(ok, "no record from HTTP {status}");
            assert_eq!(endpoint, Endpoint::Results, "empty answer from features");
        }
        Err(e) => {
            check_error(&e);
            assert_eq!(e.status(), Some(status), "{e:?}");
            if ok {
                assert!(
                    matches!(
                        e.code(),
                        ErrorCode::InvalidResponse | ErrorCode::GenerationFailed
                    ),
                    "{e:?}"
                );
                if e.code() == ErrorCode::GenerationFailed {
                    assert!(e.record_id().is_some_and(|id| !id.is_empty()), "{e:?}");
                }
            } else {
                assert!(is_http_error_code(e.code()), "{e:?}");
                let parsed = parse_error_body(answer.content_type, body);
                let text = String::from_utf8_lossy(body);
                let page = text.trim();
                if parsed.is_html && page.contains('<') {
                    assert!(!e.message().contains(page), "HTML page in message: {e:?}");
                }
            }
            if e.retry_after().is_some() {
                assert_eq!(e.code(), ErrorCode::RateLimited, "{e:?}");
            }
        }
    }
});

fn check_record(record: &Record, base: &str) {
    assert!(!record.id.is_empty());
    assert_ne!(record.status, Status::Failure);
    if record.status == Status::Success {
        assert!(!record.paths.is_empty(), "SUCCESS without images");
    }
    assert!(record.paths.iter().all(|p| !p.is_empty()), "empty path");
    assert!(serde_json::to_value(record).is_ok());
    let images = record.images(base);
    assert_eq!(images.len(), record.paths.len());
    let base = base.trim_end_matches('/');
    for (i, image) in images.iter().enumerate() {
        assert_eq!(image.index, i);
        assert_eq!(image.path, record.paths[i]);
        assert!(!image.url.is_empty(), "empty URL: {image:?}");
        match (&record.temporary_url, i) {
            (Some(t), 0) => assert_eq!(&image.url, t),
            _ => assert_eq!(
                image.url,
                format!("{base}/{}", image.path.trim_start_matches('/'))
            ),
        }
        // The name the client saves this image under (generation.rs).
        let fallback = format!("{}_{}", record.id, i);
        let name = sanitize_file_name(&image.path, &fallback);
        check_file_name(&name, &image.path, &fallback);
    }
}
