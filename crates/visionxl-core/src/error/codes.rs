//! The stable error codes and the kinds of rule a violation reports.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The stable error codes (`docs/ARCHITECTURE.md`, "Error codes"). The same strings are used in
/// Rust, Python, Node and C.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request breaks a documented rule; see [`Error::violations`].
    ValidationError,
    /// 401: the API key is missing or wrong.
    AuthenticationError,
    /// 403: the key may not do this.
    PermissionDenied,
    /// The account has too few credits (402, or a message about credits).
    InsufficientCredits,
    /// 429: too many requests; see [`Error::retry_after`].
    RateLimited,
    /// 400/422 and other 4xx: the service refused the request.
    BadRequest,
    /// 404.
    NotFound,
    /// 5xx.
    ServerError,
    /// No answer in time.
    Timeout,
    /// The connection failed or broke.
    ConnectionError,
    /// The service answered something that is not the documented JSON.
    InvalidResponse,
    /// The record ended with status FAILURE.
    GenerationFailed,
    /// The client's credit budget would be exceeded; nothing was sent.
    BudgetExceeded,
    /// An image could not be downloaded.
    DownloadError,
    /// A local file operation failed.
    IoError,
    /// The call was cancelled.
    Cancelled,
}

impl ErrorCode {
    /// Every code, for tables and bindings.
    pub const ALL: [ErrorCode; 16] = [
        ErrorCode::ValidationError,
        ErrorCode::AuthenticationError,
        ErrorCode::PermissionDenied,
        ErrorCode::InsufficientCredits,
        ErrorCode::RateLimited,
        ErrorCode::BadRequest,
        ErrorCode::NotFound,
        ErrorCode::ServerError,
        ErrorCode::Timeout,
        ErrorCode::ConnectionError,
        ErrorCode::InvalidResponse,
        ErrorCode::GenerationFailed,
        ErrorCode::BudgetExceeded,
        ErrorCode::DownloadError,
        ErrorCode::IoError,
        ErrorCode::Cancelled,
    ];

    /// The stable string, e.g. `"rate_limited"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ValidationError => "validation_error",
            ErrorCode::AuthenticationError => "authentication_error",
            ErrorCode::PermissionDenied => "permission_denied",
            ErrorCode::InsufficientCredits => "insufficient_credits",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::NotFound => "not_found",
            ErrorCode::ServerError => "server_error",
            ErrorCode::Timeout => "timeout",
            ErrorCode::ConnectionError => "connection_error",
            ErrorCode::InvalidResponse => "invalid_response",
            ErrorCode::GenerationFailed => "generation_failed",
            ErrorCode::BudgetExceeded => "budget_exceeded",
            ErrorCode::DownloadError => "download_error",
            ErrorCode::IoError => "io_error",
            ErrorCode::Cancelled => "cancelled",
        }
    }

    /// The code for a stable string.
    pub fn parse(s: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of rule a [`Violation`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ViolationCode {
    /// A required field is missing.
    Required,
    /// A string is empty or only white space.
    Blank,
    /// A number is outside its documented range.
    OutOfRange,
    /// A value is not one of the allowed values.
    NotAllowedValue,
    /// A list has too many items.
    TooMany,
    /// A field needs another field.
    Requires,
    /// A float is NaN or infinite.
    NotFinite,
    /// A value has the wrong type.
    WrongType,
    /// A field the service does not know.
    UnknownField,
    /// Warning: the field has no effect as set.
    Ignored,
    /// Warning: valid, but outside what Leonardo documents.
    UnusualCombination,
    /// Warning: the request pays for images it does not ask for.
    PriceHint,
}

impl ViolationCode {
    /// The stable string, e.g. `"out_of_range"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ViolationCode::Required => "required",
            ViolationCode::Blank => "blank",
            ViolationCode::OutOfRange => "out_of_range",
            ViolationCode::NotAllowedValue => "not_allowed_value",
            ViolationCode::TooMany => "too_many",
            ViolationCode::Requires => "requires",
            ViolationCode::NotFinite => "not_finite",
            ViolationCode::WrongType => "wrong_type",
            ViolationCode::UnknownField => "unknown_field",
            ViolationCode::Ignored => "ignored",
            ViolationCode::UnusualCombination => "unusual_combination",
            ViolationCode::PriceHint => "price_hint",
        }
    }
}

impl fmt::Display for ViolationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
