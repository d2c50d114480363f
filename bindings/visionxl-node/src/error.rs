//! Errors cross into JavaScript as a napi error whose message is a marker plus JSON; the JS layer
//! (`node/lib/errors.js`) turns it into a `VisionXLError` with every field. Nothing else throws
//! through that path, so a message can never be mistaken for one.

use napi::Status;
use serde_json::{Value, json};
use visionxl_core::{Error, Violation};

/// Prefix of an encoded error's message (must match `node/lib/errors.js`).
pub const MARKER: &str = "\u{1}visionxl-error:";

/// A violation as a JS object.
pub fn violation_json(v: &Violation) -> Value {
    json!({"field": v.field, "code": v.code.as_str(), "message": v.message})
}

/// Violations as a JS array, each tagged with its severity.
pub fn report_json(errors: &[Violation], warnings: &[Violation]) -> Value {
    let tag = |v: &Violation, severity: &str| {
        let mut j = violation_json(v);
        j["severity"] = Value::from(severity);
        j
    };
    Value::Array(
        errors
            .iter()
            .map(|v| tag(v, "error"))
            .chain(warnings.iter().map(|v| tag(v, "warning")))
            .collect(),
    )
}

/// Every field of a core error, as the JS layer reads it.
pub fn error_json(e: &Error) -> Value {
    json!({
        "code": e.code().as_str(),
        "message": e.message(),
        "status": e.status(),
        "serviceCode": e.service_code(),
        "details": e.details(),
        "requestId": e.record_id(),
        "retryAfter": e.retry_after().map(|d| d.as_secs_f64()),
        "violations": e.violations().iter().map(violation_json).collect::<Vec<_>>(),
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
