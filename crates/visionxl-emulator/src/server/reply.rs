//! Answers in the service's shapes: its JSON errors, S3's XML errors, Cloudflare's pages.

use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use visionxl_core::Violation;

use crate::config::{MAX_ASSET_BYTES, MAX_JSON_BODY};

pub(super) fn json_response(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        )],
        bytes,
    )
        .into_response()
}

/// The live error shape: `{"errorCode", "message", "details", "context"}`.
pub(super) fn live_error(
    status: StatusCode,
    code: &str,
    message: &str,
    details: Option<String>,
) -> Response {
    json_response(
        status,
        &json!({
            "errorCode": code,
            "message": message,
            "details": details,
            "context": null,
        }),
    )
}

/// `details` as the live service sends it for upstream errors: a JSON string holding
/// `{"error": {"message": ...}}`.
pub(super) fn upstream_details(message: &str, violations: &[Violation]) -> String {
    let list: Vec<Value> = violations
        .iter()
        .map(|v| json!({"field": v.field, "code": v.code.as_str(), "message": v.message}))
        .collect();
    let mut error = json!({"message": message});
    if !list.is_empty() {
        error["violations"] = Value::Array(list);
    }
    json!({ "error": error }).to_string()
}

const TRY_AGAIN: &str = "Something went wrong, please try again";

pub(super) fn upstream_error(message: &str, violations: &[Violation]) -> Response {
    live_error(
        StatusCode::BAD_REQUEST,
        "EXTERNAL_API_RESPONSE_WITH_ERROR",
        TRY_AGAIN,
        Some(upstream_details(message, violations)),
    )
}

pub(super) fn unauthorized() -> Response {
    live_error(
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
        "Invalid API key",
        None,
    )
}

pub(super) fn s3_error(status: StatusCode, code: &str, message: &str, resource: &str) -> Response {
    let request_id = hex::encode(&Sha256::digest(resource.as_bytes())[..8]).to_uppercase();
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message><Resource>{}</Resource><RequestId>{request_id}</RequestId></Error>",
        xml_escape(code),
        xml_escape(message),
        xml_escape(resource)
    );
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/xml"),
        )],
        body,
    )
        .into_response()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub(super) fn reason_code(status: StatusCode) -> String {
    status
        .canonical_reason()
        .unwrap_or("Error")
        .to_ascii_uppercase()
        .replace([' ', '-'], "_")
}

pub(super) fn cloudflare_page() -> Response {
    let ray = hex::encode(rand::random::<[u8; 8]>());
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"en-US\">\n<head>\n<title>api.1min.ai | 522: Connection timed out</title>\n<meta charset=\"UTF-8\" />\n</head>\n<body>\n<div id=\"cf-wrapper\">\n<h1><span class=\"cf-error-type\">Error</span> <span class=\"cf-error-code\">522</span></h1>\n<h2 class=\"cf-subheadline\">Connection timed out</h2>\n<p>The initial connection between Cloudflare's network and the origin web server timed out. (visionxl emulator)</p>\n<p>Cloudflare Ray ID: <strong>{ray}</strong></p>\n</div>\n</body>\n</html>\n"
    );
    (
        StatusCode::from_u16(522).unwrap_or(StatusCode::BAD_GATEWAY),
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=UTF-8"),
            ),
            (header::SERVER, HeaderValue::from_static("cloudflare")),
        ],
        body,
    )
        .into_response()
}

pub(super) fn body_rejection(rej: BytesRejection) -> Response {
    if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
        live_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            &format!("Request body is larger than {MAX_JSON_BODY} bytes"),
            None,
        )
    } else {
        live_error(
            StatusCode::BAD_REQUEST,
            "UNKNOWN_ERROR",
            "Could not read the request body",
            Some(rej.body_text()),
        )
    }
}

/// 402: the live answer is undocumented; this one speaks of credits, as clients expect.
pub(super) fn insufficient(price: u64, balance: u64) -> Response {
    live_error(
        StatusCode::PAYMENT_REQUIRED,
        "INSUFFICIENT_CREDITS",
        &format!(
            "Not enough credits: this request costs {price} credits and the balance is {balance} credits"
        ),
        None,
    )
}

pub(super) fn too_large_asset() -> Response {
    live_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
        &format!("The asset is larger than {MAX_ASSET_BYTES} bytes"),
        None,
    )
}
