//! The service's answers: generation records, error bodies, and how an HTTP answer maps to a
//! [`Record`] or an [`Error`] with a stable code.

use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, ErrorCode};
use crate::retry::parse_retry_after;

/// The host that serves result paths other than the first (`https://asset.1min.ai/<path>`).
pub const DEFAULT_ASSET_BASE_URL: &str = "https://asset.1min.ai";

/// A record's status. Unknown strings are kept as they are.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Status {
    /// The images exist.
    Success,
    /// Still generating (async mode).
    Processing,
    /// The generation failed.
    Failure,
    /// Any other string the service sends.
    Other(String),
}

impl Status {
    /// The status as the service spells it.
    pub fn as_str(&self) -> &str {
        match self {
            Status::Success => "SUCCESS",
            Status::Processing => "PROCESSING",
            Status::Failure => "FAILURE",
            Status::Other(s) => s,
        }
    }

    fn parse(s: &str) -> Status {
        match s {
            "SUCCESS" => Status::Success,
            "PROCESSING" => Status::Processing,
            "FAILURE" => Status::Failure,
            other => Status::Other(other.to_string()),
        }
    }

    /// True for SUCCESS and FAILURE: the record will not change any more.
    pub fn is_final(&self) -> bool {
        matches!(self, Status::Success | Status::Failure)
    }
}

impl Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A generation record (`aiRecord`), parsed leniently but never silently.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    /// The record's uuid: keep it, it reads the record again.
    pub id: String,
    /// SUCCESS, PROCESSING, FAILURE or what the service sent.
    pub status: Status,
    /// The model id the service echoes.
    pub model: Option<String>,
    /// When the record was made (ISO 8601, as sent).
    pub created_at: Option<String>,
    /// Storage paths of the results (`resultObject`), in order.
    pub paths: Vec<String>,
    /// The signed URL of the first result, when sent.
    pub temporary_url: Option<String>,
    /// The failure reason (`aiRecordDetail.errorMessage`).
    pub error_message: Option<String>,
    /// The `promptObject` the service echoes.
    pub prompt_object: Option<Value>,
    /// The whole body as received.
    pub raw: Value,
}

/// One result image: its storage path and the URL to download it from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageRef {
    /// Position in `resultObject`.
    pub index: usize,
    /// The storage path (`development/images/....webp`).
    pub path: String,
    /// Where to download it.
    pub url: String,
}

impl Record {
    /// The images with their download URLs: the signed `temporaryUrl` for the first, and
    /// `asset_base_url/path` for the others (and for the first when no URL was sent).
    pub fn images(&self, asset_base_url: &str) -> Vec<ImageRef> {
        let base = asset_base_url.trim_end_matches('/');
        self.paths
            .iter()
            .enumerate()
            .map(|(index, path)| {
                let url = match (&self.temporary_url, index) {
                    (Some(t), 0) => t.clone(),
                    _ => format!("{base}/{}", path.trim_start_matches('/')),
                };
                ImageRef {
                    index,
                    path: path.clone(),
                    url,
                }
            })
            .collect()
    }

    /// Parses a body `{"aiRecord": ...}`: `Ok(None)` when `aiRecord` is null.
    pub fn from_body(body: &Value) -> Result<Option<Record>, Error> {
        Ok(Record::fields(body)?.map(|mut r| {
            r.raw = body.clone();
            r
        }))
    }

    /// [`from_body`](Record::from_body) taking the body by value (kept as `raw` without a copy).
    pub fn from_value(body: Value) -> Result<Option<Record>, Error> {
        Ok(Record::fields(&body)?.map(|mut r| {
            r.raw = body;
            r
        }))
    }

    /// Every field but `raw` (left `Null`).
    fn fields(body: &Value) -> Result<Option<Record>, Error> {
        let invalid = |what: &str| {
            Error::new(
                ErrorCode::InvalidResponse,
                format!("the service's answer is not the documented JSON: {what}"),
            )
        };
        let Some(obj) = body.as_object() else {
            return Err(invalid("expected a JSON object"));
        };
        let rec = match obj.get("aiRecord") {
            None => return Err(invalid("no aiRecord")),
            Some(Value::Null) => return Ok(None),
            Some(Value::Object(r)) => r,
            Some(_) => return Err(invalid("aiRecord is not an object")),
        };
        let id = rec
            .get("uuid")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| invalid("aiRecord has no uuid"))?
            .to_string();
        let status = rec
            .get("status")
            .and_then(Value::as_str)
            .map(Status::parse)
            .ok_or_else(|| invalid("aiRecord has no status").with_record_id(Some(id.clone())))?;
        let detail = rec.get("aiRecordDetail").and_then(Value::as_object);
        let paths = match detail.and_then(|d| d.get("resultObject")) {
            Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        };
        let string = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
        let temporary_url = string(rec.get("temporaryUrl"))
            .or_else(|| string(obj.get("temporaryUrl")))
            .filter(|s| !s.is_empty());
        Ok(Some(Record {
            id,
            status,
            model: string(rec.get("model")),
            created_at: string(rec.get("createdAt")),
            paths,
            temporary_url,
            error_message: string(detail.and_then(|d| d.get("errorMessage")))
                .filter(|s| !s.trim().is_empty()),
            prompt_object: detail.and_then(|d| d.get("promptObject")).cloned(),
            raw: Value::Null,
        }))
    }
}

/// Which endpoint answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /api/features`.
    Features,
    /// `GET /api/results/{id}`.
    Results,
}

/// An HTTP answer, as much of it as the core needs.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` header.
    pub content_type: Option<&'a str>,
    /// The `Retry-After` header.
    pub retry_after: Option<&'a str>,
    /// The body.
    pub body: &'a [u8],
}

/// Maps an answer to a record (`Ok(None)`: no such record, results endpoint only) or an error
/// with a stable code. A FAILURE record is a `generation_failed` error; SUCCESS without images
/// is `invalid_response`; PROCESSING (or an unknown status) is a record.
pub fn interpret(endpoint: Endpoint, answer: Answer<'_>) -> Result<Option<Record>, Error> {
    if !(200..300).contains(&answer.status) {
        return Err(api_error(answer));
    }
    let body: Value = serde_json::from_slice(answer.body).map_err(|e| {
        Error::new(
            ErrorCode::InvalidResponse,
            format!(
                "the service answered HTTP {} with a body that is not JSON ({e}): {}",
                answer.status,
                excerpt(answer.body)
            ),
        )
        .with_status(answer.status)
    })?;
    let record = Record::from_value(body).map_err(|e| e.with_status(answer.status))?;
    let Some(record) = record else {
        return match endpoint {
            Endpoint::Results => Ok(None),
            Endpoint::Features => Err(Error::new(
                ErrorCode::InvalidResponse,
                "the service answered with an empty aiRecord",
            )
            .with_status(answer.status)),
        };
    };
    match record.status {
        Status::Failure => {
            let reason = record
                .error_message
                .clone()
                .unwrap_or_else(|| "the service gave no reason".to_string());
            Err(Error::new(
                ErrorCode::GenerationFailed,
                format!("generation failed: {reason}"),
            )
            .with_status(answer.status)
            .with_record_id(Some(record.id)))
        }
        Status::Success if record.paths.is_empty() => Err(Error::new(
            ErrorCode::InvalidResponse,
            "the service reported SUCCESS but sent no image (empty resultObject)",
        )
        .with_status(answer.status)
        .with_record_id(Some(record.id))),
        _ => Ok(Some(record)),
    }
}

/// What an error body says, from any of the three shapes the service uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceError {
    /// `errorCode` or `error.code`.
    pub service_code: Option<String>,
    /// The service's own message.
    pub message: Option<String>,
    /// `details`, as sent (a string, or JSON rendered to a string).
    pub details: Option<String>,
    /// The real cause found inside `details`, when there is one.
    pub cause: Option<String>,
    /// The `<title>` of an HTML page, when the body was HTML.
    pub html_title: Option<String>,
    /// Whether the body was an HTML page.
    pub is_html: bool,
}

/// Parses an error body: `{"errorCode","message","details"}`, `{"success":false,"error":{..}}`,
/// `{"message"}`, or an HTML page.
pub fn parse_error_body(content_type: Option<&str>, body: &[u8]) -> ServiceError {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim_start();
    let looks_html = content_type.is_some_and(|c| c.to_ascii_lowercase().contains("html"))
        || trimmed.starts_with('<');
    if let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(trimmed) {
        let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
        let nested = obj.get("error").and_then(Value::as_object);
        let service_code = s(obj.get("errorCode"))
            .or_else(|| s(obj.get("code")))
            .or_else(|| nested.and_then(|e| s(e.get("code"))));
        let message = s(obj.get("message"))
            .or_else(|| nested.and_then(|e| s(e.get("message"))))
            .or_else(|| s(obj.get("error")))
            .filter(|m| !m.trim().is_empty());
        let (details, cause) = match obj.get("details") {
            Some(v @ Value::String(d)) if !d.trim().is_empty() => (Some(d.clone()), find_cause(v)),
            Some(v @ (Value::Object(_) | Value::Array(_))) => (Some(v.to_string()), find_cause(v)),
            _ => (None, None),
        };
        // A blank cause ({"message": ""} inside details) says nothing: never lead with it.
        let cause = cause.filter(|c| !c.trim().is_empty());
        return ServiceError {
            service_code,
            message,
            details,
            cause,
            html_title: None,
            is_html: false,
        };
    }
    if looks_html {
        return ServiceError {
            html_title: html_title(&text),
            is_html: true,
            ..ServiceError::default()
        };
    }
    let plain = text.trim();
    ServiceError {
        message: (!plain.is_empty()).then(|| truncate(plain, 300)),
        ..ServiceError::default()
    }
}

/// The keys under which the service nests the real reason of an error, in the order a tie
/// (two causes at the same depth) is decided.
pub const CAUSE_KEYS: [&str; 9] = [
    "message", "error", "detail", "reason", "details", "response", "data", "errors", "cause",
];
/// How deep the search for a cause goes (objects, arrays and JSON held in strings count).
pub const MAX_CAUSE_DEPTH: usize = 10;
/// The largest string parsed again as JSON while looking for a cause.
pub const MAX_CAUSE_JSON_BYTES: usize = 64 * 1024;
/// The longest cause kept (characters).
pub const MAX_CAUSE_CHARS: usize = 500;

/// The most specific cause inside `details`: the deepest non-blank string under one of
/// [`CAUSE_KEYS`], looking into JSON held in strings, within [`MAX_CAUSE_DEPTH`] levels.
fn find_cause(v: &Value) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    let mut budget = 256usize; // values visited at most
    walk_cause(v, 0, &mut best, &mut budget);
    best.map(|(_, c)| truncate(&c, MAX_CAUSE_CHARS))
}

fn walk_cause(v: &Value, depth: usize, best: &mut Option<(usize, String)>, budget: &mut usize) {
    if depth > MAX_CAUSE_DEPTH || *budget == 0 {
        return;
    }
    *budget -= 1;
    match v {
        Value::String(x) => {
            let t = x.trim();
            if t.is_empty() {
                return;
            }
            if (t.starts_with('{') || t.starts_with('['))
                && t.len() <= MAX_CAUSE_JSON_BYTES
                && let Ok(inner @ (Value::Object(_) | Value::Array(_))) =
                    serde_json::from_str::<Value>(t)
            {
                walk_cause(&inner, depth + 1, best, budget);
                return;
            }
            if best.as_ref().is_none_or(|(d, _)| depth > *d) {
                *best = Some((depth, t.to_string()));
            }
        }
        Value::Object(o) => {
            for k in CAUSE_KEYS {
                if let Some(x) = o.get(k) {
                    walk_cause(x, depth + 1, best, budget);
                }
            }
        }
        Value::Array(a) => {
            for x in a.iter().take(16) {
                walk_cause(x, depth + 1, best, budget);
            }
        }
        _ => {}
    }
}

fn html_title(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title")?;
    let open_end = lower[start..].find('>')? + start + 1;
    let close = lower[open_end..].find("</title>")? + open_end;
    let title = text[open_end..close]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    (!title.is_empty()).then_some(title)
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}…")
    }
}

fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let t = text.trim();
    if t.is_empty() {
        "(empty body)".to_string()
    } else {
        format!("{:?}", truncate(t, 120))
    }
}

/// The stable code for an HTTP status and what the body says (`texts`: the service's message
/// and the real cause found in `details`). 401 and 429 keep their meaning whatever the text
/// says; otherwise 402, or a code or text that speaks of credits, is `insufficient_credits`.
pub fn error_code_for(status: u16, service_code: Option<&str>, texts: &[&str]) -> ErrorCode {
    match status {
        401 => return ErrorCode::AuthenticationError,
        429 => return ErrorCode::RateLimited,
        _ => {}
    }
    let speaks_of_credits = |s: &str| s.to_ascii_lowercase().contains("credit");
    if status == 402
        || service_code.is_some_and(speaks_of_credits)
        || texts.iter().any(|t| speaks_of_credits(t))
    {
        return ErrorCode::InsufficientCredits;
    }
    match status {
        403 => ErrorCode::PermissionDenied,
        404 => ErrorCode::NotFound,
        500..=599 => ErrorCode::ServerError,
        _ => ErrorCode::BadRequest,
    }
}

/// The error for a non-2xx answer: stable code, HTTP status, service code, message (with the
/// real cause from `details` first), details, and `retry_after` for 429.
pub fn api_error(answer: Answer<'_>) -> Error {
    let parsed = parse_error_body(answer.content_type, answer.body);
    let status = answer.status;
    let texts: Vec<&str> = [parsed.message.as_deref(), parsed.cause.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    let code = error_code_for(status, parsed.service_code.as_deref(), &texts);
    let mut message = match (&parsed.cause, &parsed.message) {
        (Some(c), Some(m)) if c != m => format!("{c} (service said: {m})"),
        (Some(c), _) => c.clone(),
        (None, Some(m)) => m.clone(),
        (None, None) if parsed.is_html => match &parsed.html_title {
            Some(t) => format!("HTTP {status} from the service (HTML page): {t}"),
            None => format!("HTTP {status} from the service (HTML page)"),
        },
        (None, None) => format!("HTTP {status} from the service with no message"),
    };
    if let Some(hint) = hint_for(code) {
        message.push_str(" — ");
        message.push_str(hint);
    }
    let retry_after = answer
        .retry_after
        .and_then(|v| parse_retry_after(v, SystemTime::now()));
    Error::new(code, message)
        .with_status(status)
        .with_service_code(parsed.service_code)
        .with_details(parsed.details)
        .with_retry_after(if code == ErrorCode::RateLimited {
            retry_after
        } else {
            None
        })
}

fn hint_for(code: ErrorCode) -> Option<&'static str> {
    match code {
        ErrorCode::AuthenticationError => Some("check the API key (ONEMIN_API_KEY)"),
        ErrorCode::InsufficientCredits => Some("top up the account's credits"),
        _ => None,
    }
}

/// Seconds in a `Duration`, rounded up, for bindings that speak in seconds.
pub fn seconds_ceil(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Error {
        api_error(Answer {
            status,
            content_type: Some("application/json"),
            retry_after: Some("3"),
            body: body.as_bytes(),
        })
    }

    #[test]
    fn credits_hidden_in_details_are_found() {
        let e = answer(
            400,
            r#"{"errorCode":"EXTERNAL_API_RESPONSE_WITH_ERROR","message":"Something went wrong, please try again","details":"{\"error\":{\"message\":\"Insufficient credits for this request\"}}"}"#,
        );
        assert_eq!(e.code(), ErrorCode::InsufficientCredits);
        assert!(e.message().starts_with("Insufficient credits"));
    }

    #[test]
    fn the_deepest_cause_under_any_known_key_leads() {
        let e = answer(
            500,
            r#"{"errorCode":"INTERNAL","message":"Something went wrong, please try again","details":{"message":"Request failed","response":{"data":"{\"detail\":{\"reason\":\"Prompt contains blocked words\"}}"}}}"#,
        );
        assert!(
            e.message()
                .starts_with("Prompt contains blocked words (service said: Something went wrong"),
            "{}",
            e.message()
        );
        // Bounded: a cause nested deeper than the limit is not reached; nothing panics.
        let mut deep = serde_json::json!("too deep");
        for _ in 0..50 {
            deep = serde_json::json!({ "error": deep });
        }
        let body = serde_json::json!({"message": "busy", "details": deep}).to_string();
        let e = answer(503, &body);
        assert!(e.message().starts_with("busy"), "{}", e.message());
        let long = "x".repeat(5000);
        let body = serde_json::json!({"message": "busy", "details": {"reason": long}}).to_string();
        assert!(answer(500, &body).message().chars().count() < 700);
    }

    #[test]
    fn rate_limits_and_auth_keep_their_meaning_whatever_the_text() {
        let e = answer(
            429,
            r#"{"message":"Too many requests: your credits refill soon"}"#,
        );
        assert_eq!(e.code(), ErrorCode::RateLimited);
        assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
        let e = answer(401, r#"{"message":"No credits for an unknown key"}"#);
        assert_eq!(e.code(), ErrorCode::AuthenticationError);
    }
}
