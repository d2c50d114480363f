//! Errors with stable codes shared by every language, and validation violations.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::spec::Naming;

mod codes;
mod text;
mod violation;

pub use codes::{ErrorCode, ViolationCode};
pub use text::{Name, Text};
pub use violation::Violation;

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
    /// The message with its names as parts; `message` is its snake_case rendering.
    text: Option<Text>,
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
            text: None,
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

    /// An error whose message holds SDK names ([`message_in`](Error::message_in) spells them
    /// per language; [`message`](Error::message) is the snake_case rendering).
    pub fn named(code: ErrorCode, text: Text) -> Self {
        let mut e = Error::new(code, text.render(Naming::Sdk));
        e.0.text = Some(text);
        e
    }

    /// A `validation_error` listing every violation in its message.
    pub fn validation(violations: Vec<Violation>) -> Self {
        let mut text = Text::new().lit(match violations.len() {
            1 => "invalid request: 1 problem".to_string(),
            n => format!("invalid request: {n} problems"),
        });
        for v in &violations {
            text = text
                .lit("\n  - ")
                .text(&v.field_text())
                .lit(": ")
                .text(&v.text());
        }
        let mut e = Error::named(ErrorCode::ValidationError, text);
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
    /// Replaces the message (a plain text: its names are no longer spelled per language).
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.0.message = message.into();
        self.0.text = None;
        self
    }

    /// Replaces the message with one that holds SDK names.
    pub fn with_text(mut self, text: Text) -> Self {
        self.0.message = text.render(Naming::Sdk);
        self.0.text = Some(text);
        self
    }

    /// The message as a [`Text`] (with its names when it has them), e.g. to extend it.
    pub fn text(&self) -> Text {
        self.0
            .text
            .clone()
            .unwrap_or_else(|| Text::from(self.0.message.as_str()))
    }

    /// The message with SDK names spelled as `naming` says: Node shows
    /// `Naming::Camel` (`the maxRetries option`, `getGeneration("…")`), the other languages
    /// [`message`](Error::message) (snake_case).
    pub fn message_in(&self, naming: Naming) -> Cow<'_, str> {
        match &self.0.text {
            Some(t) => Cow::Owned(t.render(naming)),
            None => Cow::Borrowed(&self.0.message),
        }
    }

    /// The error with `f` applied to every text it shows (message, violations, details,
    /// service code, record id); SDK names are kept. The cause is left as is. Used to redact.
    pub fn map_text(mut self, f: &dyn Fn(&str) -> String) -> Self {
        let i = &mut *self.0;
        i.message = f(&i.message);
        i.text = i.text.take().map(|t| t.map_lits(f));
        i.violations = std::mem::take(&mut i.violations)
            .into_iter()
            .map(|v| v.map_text(f))
            .collect();
        i.details = i.details.as_deref().map(f);
        i.service_code = i.service_code.as_deref().map(f);
        i.record_id = i.record_id.as_deref().map(f);
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
    fn names_render_per_language() {
        let opt = Name::new("timeout", "timeoutMs");
        let v = Violation::named(
            opt.clone(),
            ViolationCode::OutOfRange,
            Text::new().name(opt).lit(" must be greater than 0"),
        );
        assert_eq!(v.field, "timeout");
        assert_eq!(v.message, "timeout must be greater than 0");
        assert_eq!(v.field_in(Naming::Camel), "timeoutMs");
        assert_eq!(
            v.message_in(Naming::Camel),
            "timeoutMs must be greater than 0"
        );
        let e = Error::validation(vec![
            v,
            Violation::new("n", ViolationCode::OutOfRange, "n!"),
        ]);
        assert_eq!(
            e.message(),
            "invalid request: 2 problems\n  - timeout: timeout must be greater than 0\n  - n: n!"
        );
        assert_eq!(
            e.message_in(Naming::Camel),
            "invalid request: 2 problems\n  - timeoutMs: timeoutMs must be greater than 0\n  - n: n!"
        );
        // A plain message stays as is; with_message drops the names.
        let e = Error::named(
            ErrorCode::Timeout,
            Text::new()
                .lit("read it with ")
                .name(Name::snake("get_generation"))
                .lit("(\"x\")"),
        );
        assert_eq!(e.message(), "read it with get_generation(\"x\")");
        assert_eq!(
            e.message_in(Naming::Camel),
            "read it with getGeneration(\"x\")"
        );
        let e = e.with_message("plain get_generation");
        assert_eq!(e.message_in(Naming::Camel), "plain get_generation");
    }

    #[test]
    fn map_text_keeps_names() {
        let n = Name::snake("api_key");
        let e = Error::validation(vec![Violation::named(
            n.clone(),
            ViolationCode::NotAllowedValue,
            Text::new().name(n).lit(" SECRET is bad"),
        )])
        .with_details(Some("SECRET".into()));
        let e = e.map_text(&|s: &str| s.replace("SECRET", "***"));
        assert!(!format!("{e:?}").contains("SECRET"));
        assert_eq!(
            e.violations()[0].message_in(Naming::Camel),
            "apiKey *** is bad"
        );
        assert_eq!(e.violations()[0].field_in(Naming::Camel), "apiKey");
        assert!(
            e.message_in(Naming::Camel)
                .contains("apiKey: apiKey *** is bad")
        );
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
