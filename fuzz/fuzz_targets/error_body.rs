//! Error bodies: `parse_error_body`, `api_error` and `error_code_for` over any status, content
//! type, `Retry-After` and body (the live, documented and message-only JSON shapes, HTML pages,
//! plain text, garbage).
//!
//! Input: three header lines (`status`, `content-type`, `retry-after`; empty = absent), then the
//! body. `error_code_for` is also fed the content-type line as a service code and the body's
//! lines as texts.
//!
//! Checks, beyond "never panics":
//! - `parse_error_body`: a message, when there is one, is not blank; a plain-text message is cut
//!   to 300 characters (plus the ellipsis); `details` is never empty; an HTML page yields
//!   only a title, not blank and with its white space collapsed.
//! - `api_error`: a stable code that round-trips, from the HTTP codes only and equal to
//!   `error_code_for` on what the body says; a message that is not blank; the status, service
//!   code and details kept; `retry_after` only on `rate_limited`, and whole seconds as sent.
//! - `error_code_for` follows the table of tests/vectors/README.md: 401 and 429 whatever the
//!   text, then 402 or "credit" (any case) anywhere, then 403, 404, 5xx, other.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use visionxl_core::ErrorCode;
use visionxl_core::response::{Answer, api_error, error_code_for, parse_error_body};
use visionxl_fuzz::{check_error, frame, header, is_http_error_code, status};

fuzz_target!(|data: &[u8]| {
    let ([status_line, content_type, retry_after], body) = frame::<3>(data);
    let status = status(&status_line);
    let content_type = header(&content_type);
    let retry_after = header(&retry_after);

    let parsed = parse_error_body(content_type, body);
    if let Some(m) = &parsed.message {
        assert!(!m.trim().is_empty(), "blank message: {parsed:?}");
    }
    if let Some(d) = &parsed.details {
        assert!(!d.is_empty(), "empty details: {parsed:?}");
    }
    if parsed.is_html {
        assert!(parsed.service_code.is_none() && parsed.message.is_none());
        assert!(parsed.details.is_none() && parsed.cause.is_none());
        if let Some(t) = &parsed.html_title {
            assert!(!t.is_empty() && t.trim() == t, "title {t:?}");
            assert!(
                !t.contains("  ") && !t.contains(['\n', '\r', '\t']),
                "{t:?}"
            );
        }
    } else {
        assert!(parsed.html_title.is_none());
    }
    let text = String::from_utf8_lossy(body);
    let is_json_object = matches!(
        serde_json::from_str::<serde_json::Value>(text.trim_start()),
        Ok(serde_json::Value::Object(_))
    );
    if !is_json_object && !parsed.is_html {
        let m = parsed.message.as_deref().unwrap_or("");
        assert!(m.chars().count() <= 301, "plain message not cut: {m:?}");
    }

    let answer = Answer {
        status,
        content_type,
        retry_after,
        body,
    };
    let e = api_error(answer);
    check_error(&e);
    assert_eq!(e.status(), Some(status));
    assert_eq!(e.service_code(), parsed.service_code.as_deref());
    assert_eq!(e.details(), parsed.details.as_deref());
    let texts: Vec<&str> = [parsed.message.as_deref(), parsed.cause.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(
        e.code(),
        error_code_for(status, parsed.service_code.as_deref(), &texts)
    );
    assert!(is_http_error_code(e.code()), "{e:?}");
    if e.code() == ErrorCode::RateLimited {
        if let Some(secs) = retry_after.and_then(|v| v.trim().parse::<u64>().ok()) {
            assert_eq!(e.retry_after(), Some(Duration::from_secs(secs)), "{e:?}");
        }
    } else {
        assert_eq!(e.retry_after(), None, "{e:?}");
    }

    // error_code_for on its own, against the table.
    let service_code = content_type;
    let lines: Vec<&str> = text.split('\n').collect();
    let got = error_code_for(status, service_code, &lines);
    let credit = |s: &str| s.to_ascii_lowercase().contains("credit");
    let want = match status {
        401 => ErrorCode::AuthenticationError,
        429 => ErrorCode::RateLimited,
        _ if status == 402
            || service_code.is_some_and(credit)
            || lines.iter().any(|t| credit(t)) =>
        {
            ErrorCode::InsufficientCredits
        }
        403 => ErrorCode::PermissionDenied,
        404 => ErrorCode::NotFound,
        500..=599 => ErrorCode::ServerError,
        _ => ErrorCode::BadRequest,
    };
    assert_eq!(got, want, "status {status}, code {service_code:?}");
});
