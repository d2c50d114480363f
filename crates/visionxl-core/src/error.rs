//! Errors with stable codes shared by every language, and validation violations.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

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

/// One broken rule (an error) or one remark (a warning): `{field, code, message}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The wire name of the field (`leonardo_guidance_scale`), or the unknown name as given.
    pub field: String,
    /// What kind of rule.
    pub code: ViolationCode,
    /// For people: names the field, the rule and the allowed values.
    pub message: String,
}

impl Violation {
    /// A violation of `code` on `field`.
    pub fn new(field: impl Into<String>, code: ViolationCode, message: impl Into<String>) -> Self {
        Violation {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [{}]: {}", self.field, self.code, self.message)
    }
}

/// The outcome of validation: every error and every warning, never just the first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Problems that block the request.
    pub errors: Vec<Violation>,
    /// Remarks that do not block it.
    pub warnings: Vec<Violation>,
}

impl Report {
    /// True when there is no error (warnings allowed).
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Ok(warnings)` when valid, else the `validation_error` carrying every error.
    pub fn into_result(self) -> Result<Vec<Violation>, Error> {
        if self.errors.is_empty() {
            Ok(self.warnings)
        } else {
            Err(Error::validation(self.errors))
        }
    }
}

#[derive(Debug, Clone)]
struct Inner {
    code: ErrorCode,
    message: String,
    status: Option<u16>,
    service_code: Option<String>,
    details: Option<String>,
    record_id: Option<String>,
    retry_after: Option<Duration>,
    violations: Vec<Violation>,
    may_have_been_charged: bool,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

/// The one error type of the SDK. Its [`code`](Error::code) is stable across languages; the
/// message is for people.
///
/// ```
/// use visionxl_core::{estimate_credits, ErrorCode, Size};
/// let err = estimate_credits(Size::S512x512, 9).unwrap_err();
/// assert_eq!(err.code(), ErrorCode::ValidationError);
/// assert_eq!(err.violations()[0].field, "n");
/// ```
#[derive(Clone)]
pub struct Error(Box<Inner>);

impl Error {
    /// An error with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            code,
            message: message.into(),
            status: None,
            service_code: None,
            details: None,
            record_id: None,
            retry_after: None,
            violations: Vec::new(),
            may_have_been_charged: false,
            source: None,
        }))
    }

    /// A `validation_error` listing every violation in its message.
    pub fn validation(violations: Vec<Violation>) -> Self {
        let mut message = match violations.len() {
            1 => "invalid request: 1 problem".to_string(),
            n => format!("invalid request: {n} problems"),
        };
        for v in &violations {
            message.push_str("\n  - ");
            message.push_str(&v.field);
            message.push_str(": ");
            message.push_str(&v.message);
        }
        let mut e = Error::new(ErrorCode::ValidationError, message);
        e.0.violations = violations;
        e
    }

    /// Sets the HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.0.status = Some(status);
        self
    }
    /// Sets the service's own error code (`UNSUPPORTED_MODEL`, ...).
    pub fn with_service_code(mut self, code: Option<String>) -> Self {
        self.0.service_code = code;
        self
    }
    /// Sets the service's details.
    pub fn with_details(mut self, details: Option<String>) -> Self {
        self.0.details = details;
        self
    }
    /// Sets the record id the error concerns.
    pub fn with_record_id(mut self, id: Option<String>) -> Self {
        self.0.record_id = id;
        self
    }
    /// Sets how long the service asked us to wait.
    pub fn with_retry_after(mut self, d: Option<Duration>) -> Self {
        self.0.retry_after = d;
        self
    }
    /// Marks that the request may have reached the service and been charged.
    pub fn with_may_have_been_charged(mut self, yes: bool) -> Self {
        self.0.may_have_been_charged = yes;
        self
    }
    /// Keeps the underlying cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.0.source = Some(Arc::new(source));
        self
    }
    /// Replaces the message.
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.0.message = message.into();
        self
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.0.code
    }
    /// The message for people (already redacted: never holds the key).
    pub fn message(&self) -> &str {
        &self.0.message
    }
    /// The HTTP status, when the service answered.
    pub fn status(&self) -> Option<u16> {
        self.0.status
    }
    /// The service's own code, e.g. `UNSUPPORTED_MODEL`.
    pub fn service_code(&self) -> Option<&str> {
        self.0.service_code.as_deref()
    }
    /// The service's details, as sent.
    pub fn details(&self) -> Option<&str> {
        self.0.details.as_deref()
    }
    /// The record (generation) id, when known: use it to read the record again.
    pub fn record_id(&self) -> Option<&str> {
        self.0.record_id.as_deref()
    }
    /// How long the service asked us to wait (429).
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }
    /// Every violation of a `validation_error` (empty otherwise).
    pub fn violations(&self) -> &[Violation] {
        &self.0.violations
    }
    /// True when the request may have reached the service (and so may have been charged).
    pub fn may_have_been_charged(&self) -> bool {
        self.0.may_have_been_charged
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.0;
        let mut d = f.debug_struct("Error");
        d.field("code", &i.code).field("message", &i.message);
        if let Some(s) = i.status {
            d.field("status", &s);
        }
        if let Some(s) = &i.service_code {
            d.field("service_code", s);
        }
        if let Some(s) = &i.record_id {
            d.field("record_id", s);
        }
        if let Some(s) = &i.retry_after {
            d.field("retry_after", s);
        }
        if !i.violations.is_empty() {
            d.field("violations", &i.violations);
        }
        if i.may_have_been_charged {
            d.field("may_have_been_charged", &true);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.code)?;
        if let Some(s) = self.0.status {
            write!(f, " (HTTP {s})")?;
        }
        write!(f, ": {}", self.0.message)?;
        if let Some(id) = &self.0.record_id {
            write!(f, " [record {id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_ref()
            .map(|s| s.as_ref() as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for c in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(c.as_str()), Some(c));
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
    }

    #[test]
    fn validation_message_lists_every_violation() {
        let e = Error::validation(vec![
            Violation::new("n", ViolationCode::OutOfRange, "n must be 1..=4"),
            Violation::new("prompt", ViolationCode::Blank, "prompt is blank"),
        ]);
        assert!(e.message().contains("2 problems"));
        assert!(e.message().contains("n must be 1..=4"));
        assert!(e.message().contains("prompt is blank"));
        assert_eq!(
            e.to_string().lines().next().unwrap(),
            "validation_error: invalid request: 2 problems"
        );
    }
}
