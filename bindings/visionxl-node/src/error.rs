//! Errors cross into JavaScript as a napi error whose message is a marker plus JSON; the JS layer
//! (`node/lib/errors.js`) turns it into a `VisionXLError` with every field. Nothing else throws
//! through that path, so a message can never be mistaken for one.

use napi::Status;
use serde_json::{Value, json};
use visionxl_core::{Error, Naming, Violation};

/// Prefix of an encoded error's message (must match `node/lib/errors.js`).
pub const MARKER: &str = "\u{1}visionxl-error:";

/// `severity` of a violation that blocks a request (as Python's `Violation.severity`).
pub const ERROR: &str = "error";
/// `severity` of a remark that does not block a request.
pub const WARNING: &str = "warning";

/// A violation as a JS object: `{field, code, message, severity}`, the shape of Python's
/// `Violation` wherever a violation appears (`validate`, `error.violations`, `warnings`).
/// SDK names in the field and message are spelled as Node spells them (`timeoutMs`).
pub fn violation_json(v: &Violation, severity: &str) -> Value {
    json!({
        "field": v.field_in(Naming::Camel),
        "code": v.code.as_str(),
        "message": v.message_in(Naming::Camel),
        "severity": severity,
    })
}

/// Warnings as a JS array.
pub fn warnings_json(warnings: &[Violation]) -> Value {
    Value::Array(
        warnings
            .iter()
            .map(|v| violation_json(v, WARNING))
            .collect(),
    )
}

/// Violations as a JS array, errors first, each tagged with its severity.
pub fn report_json(errors: &[Violation], warnings: &[Violation]) -> Value {
    Value::Array(
        errors
            .iter()
            .map(|v| violation_json(v, ERROR))
            .chain(warnings.iter().map(|v| violation_json(v, WARNING)))
            .collect(),
    )
}

/// Every field of a core error, as the JS layer reads it; SDK names in the message are spelled
/// as Node spells them (`the maxRetries option`, `getGeneration("…")`).
pub fn error_json(e: &Error) -> Value {
    json!({
        "code": e.code().as_str(),
        "message": e.message_in(Naming::Camel),
        "status": e.status(),
        "serviceCode": e.service_code(),
        "details": e.details(),
        "requestId": e.record_id(),
        "retryAfter": e.retry_after().map(|d| d.as_secs_f64()),
        "violations": e.violations().iter().map(|v| violation_json(v, ERROR)).collect::<Vec<_>>(),
        "mayHaveBeenCharged": e.may_have_been_charged(),
    })
}

/// The napi error carrying `e`.
pub fn to_napi(e: Error) -> napi::Error {
    napi::Error::new(
        Status::GenericFailure,
        format!("{MARKER}{}", error_json(&e)),
    )
}

/// `?` for core results in napi functions.
pub trait OrThrow<T> {
    /// Maps the core error into the encoded napi error.
    fn or_throw(self) -> napi::Result<T>;
}

impl<T> OrThrow<T> for Result<T, Error> {
    fn or_throw(self) -> napi::Result<T> {
        self.map_err(to_napi)
    }
}
