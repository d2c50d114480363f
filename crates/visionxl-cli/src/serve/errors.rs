//! Errors in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, and the one
//! table that maps the client's stable [`ErrorCode`]s to an HTTP status, an OpenAI error type
//! and an OpenAI error code.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use visionxl::{Error, ErrorCode, Violation, ViolationCode, spec};

/// OpenAI's error type for a request the server refuses.
pub const INVALID_REQUEST: &str = "invalid_request_error";

/// How a client error code is answered: HTTP status, OpenAI `type`, OpenAI `code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// The HTTP status.
    pub status: StatusCode,
    /// OpenAI's `error.type`.
    pub kind: &'static str,
    /// OpenAI's `error.code`.
    pub code: &'static str,
}

/// The table (documented in `docs/serve.md`). Validation errors use the first violation's
/// code (`out_of_range`, `unknown_field`, ...) as `code`; see [`ApiError::from_client`].
pub fn shape(code: ErrorCode) -> Shape {
    let (status, kind, code) = match code {
        ErrorCode::ValidationError => (StatusCode::BAD_REQUEST, INVALID_REQUEST, "invalid_value"),
        ErrorCode::AuthenticationError => {
            (StatusCode::UNAUTHORIZED, INVALID_REQUEST, "invalid_api_key")
        }
        ErrorCode::PermissionDenied => (
            StatusCode::FORBIDDEN,
            "permission_error",
            "permission_denied",
        ),
        // OpenAI answers an exhausted quota with 429 `insufficient_quota`: clients already
        // know it (the openai SDKs raise RateLimitError and do not retry it blindly).
        ErrorCode::InsufficientCredits | ErrorCode::BudgetExceeded => (
            StatusCode::TOO_MANY_REQUESTS,
            "insufficient_quota",
            "insufficient_quota",
        ),
        ErrorCode::RateLimited => (
            StatusCode::TOO_MANY_REQUESTS,
            "requests",
            "rate_limit_exceeded",
        ),
        ErrorCode::BadRequest => (
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST,
            "upstream_rejected",
        ),
        ErrorCode::NotFound => (StatusCode::NOT_FOUND, INVALID_REQUEST, "not_found"),
        ErrorCode::ServerError => (StatusCode::BAD_GATEWAY, "server_error", "upstream_error"),
        ErrorCode::Timeout => (
            StatusCode::GATEWAY_TIMEOUT,
            "server_error",
            "upstream_timeout",
        ),
        ErrorCode::ConnectionError => (
            StatusCode::BAD_GATEWAY,
            "server_error",
            "upstream_unreachable",
        ),
        ErrorCode::InvalidResponse => (
            StatusCode::BAD_GATEWAY,
            "server_error",
            "invalid_upstream_response",
        ),
        ErrorCode::GenerationFailed => {
            (StatusCode::BAD_GATEWAY, "server_error", "generation_failed")
        }
        ErrorCode::DownloadError => (StatusCode::BAD_GATEWAY, "server_error", "download_failed"),
        ErrorCode::IoError => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "internal_error",
        ),
        ErrorCode::Cancelled => (StatusCode::SERVICE_UNAVAILABLE, "server_error", "cancelled"),
    };
    Shape { status, kind, code }
}

/// An error answer in OpenAI's shape.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// `error.type`.
    pub kind: &'static str,
    /// `error.message`.
    pub message: String,
    /// `error.param`: the request field at fault, when there is one.
    pub param: Option<String>,
    /// `error.code`.
    pub code: Option<String>,
    /// `Retry-After` in seconds (rate limits).
    pub retry_after: Option<u64>,
    /// The stable visionxl error code, sent as the `x-visionxl-error-code` header.
    pub visionxl_code: Option<ErrorCode>,
}

impl ApiError {
    /// An error with a status, an OpenAI type, a message and a code.
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            kind,
            message: message.into(),
            param: None,
            code: None,
            retry_after: None,
            visionxl_code: None,
        }
    }

    /// Sets `error.code`.
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Sets `error.param`.
    pub fn with_param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    /// Sets the stable visionxl code (the `x-visionxl-error-code` header).
    pub fn with_visionxl_code(mut self, code: ErrorCode) -> Self {
        self.visionxl_code = Some(code);
        self
    }

    /// A 400 `invalid_request_error`.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, INVALID_REQUEST, message)
    }

    /// A 401 for a missing or unknown bearer token.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, INVALID_REQUEST, message)
            .with_code("invalid_api_key")
    }

    /// A 400 listing every violation; `param` is the first one's field, by SDK name.
    pub fn from_violations(violations: &[Violation]) -> Self {
        // An unknown field is named as the caller spelled it (even when that is a wire name).
        let names: Vec<String> = violations
            .iter()
            .map(|v| match v.code {
                ViolationCode::UnknownField => v.field.clone(),
                _ => sdk_name(&v.field),
            })
            .collect();
        let mut message = match violations.len() {
            1 => "invalid request: ".to_string(),
            n => format!("invalid request, {n} problems: "),
        };
        let parts: Vec<String> = violations
            .iter()
            .zip(&names)
            .map(|(v, name)| format!("{name}: {}", v.message))
            .collect();
        message.push_str(&parts.join("; "));
        let mut e = ApiError::invalid_request(message);
        e.visionxl_code = Some(ErrorCode::ValidationError);
        if let (Some(first), Some(name)) = (violations.first(), names.first()) {
            e.param = Some(name.clone());
            e.code = Some(first.code.as_str().to_string());
        }
        e
    }

    /// The answer for an error of the client (or of the upstream service through it).
    pub fn from_client(err: &Error) -> Self {
        if err.code() == ErrorCode::ValidationError && !err.violations().is_empty() {
            return ApiError::from_violations(err.violations());
        }
        let s = shape(err.code());
        let mut message = err.message().to_string();
        if let Some(id) = err.record_id() {
            message.push_str(&format!(
                " (1min.ai record {id}: it may still hold your images)"
            ));
        } else if err.may_have_been_charged() {
            message.push_str(" (the request may have been charged upstream)");
        }
        ApiError {
            status: s.status,
            kind: s.kind,
            message,
            param: None,
            code: Some(s.code.to_string()),
            retry_after: err.retry_after().map(|d| d.as_secs().max(1)),
            visionxl_code: Some(err.code()),
        }
    }

    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        json!({"error": {
            "message": self.message,
            "type": self.kind,
            "param": self.param,
            "code": self.code,
        }})
    }
}

/// The SDK name for a violation's field (violations carry wire names; callers used SDK names).
pub fn sdk_name(field: &str) -> String {
    spec::by_wire(field)
        .map(|p| p.sdk.to_string())
        .unwrap_or_else(|| field.to_string())
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, axum::Json(self.body())).into_response();
        let headers = resp.headers_mut();
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some(code) = self.visionxl_code {
            headers.insert(
                "x-visionxl-error-code",
                HeaderValue::from_static(code.as_str()),
            );
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn every_code_has_an_error_status() {
        for c in ErrorCode::ALL {
            let s = shape(c);
            assert!(
                s.status.is_client_error() || s.status.is_server_error(),
                "{c}"
            );
            assert!(!s.code.is_empty() && !s.kind.is_empty());
        }
    }

    #[test]
    fn the_statuses_callers_rely_on() {
        let st = |c| shape(c).status.as_u16();
        assert_eq!(st(ErrorCode::ValidationError), 400);
        assert_eq!(st(ErrorCode::AuthenticationError), 401);
        assert_eq!(st(ErrorCode::InsufficientCredits), 429);
        assert_eq!(
            shape(ErrorCode::InsufficientCredits).code,
            "insufficient_quota"
        );
        assert_eq!(st(ErrorCode::BudgetExceeded), 429);
        assert_eq!(st(ErrorCode::RateLimited), 429);
        assert_eq!(shape(ErrorCode::RateLimited).code, "rate_limit_exceeded");
        assert_eq!(st(ErrorCode::ServerError), 502);
        assert_eq!(st(ErrorCode::Timeout), 504);
    }

    #[test]
    fn violations_use_sdk_names_and_name_the_first_param() {
        let e = ApiError::from_violations(&[
            Violation::new(
                "leonardo_guidance_scale",
                ViolationCode::OutOfRange,
                "too big",
            ),
            Violation::new("n", ViolationCode::OutOfRange, "n must be 1..=4"),
        ]);
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(e.param.as_deref(), Some("guidance_scale"));
        assert_eq!(e.code.as_deref(), Some("out_of_range"));
        assert!(
            e.message.contains("guidance_scale: too big"),
            "{}",
            e.message
        );
        assert!(e.message.contains("n: n must be"), "{}", e.message);
        let body = e.body();
        assert_eq!(body["error"]["type"], "invalid_request_error");
    }

    #[test]
    fn rate_limits_carry_retry_after_and_records_are_named() {
        let e = Error::new(ErrorCode::RateLimited, "slow down")
            .with_retry_after(Some(Duration::from_secs(7)));
        let a = ApiError::from_client(&e);
        assert_eq!(a.retry_after, Some(7));
        let e = Error::new(ErrorCode::ServerError, "boom").with_record_id(Some("rec-1".into()));
        assert!(ApiError::from_client(&e).message.contains("rec-1"));
    }
}
