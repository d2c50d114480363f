//! The HTTP side: the accept loop (with per-connection control for the dropped-connection
//! faults), the router, the fault layer and every handler.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use futures_util::StreamExt;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::{Notify, watch};
use tower::ServiceExt;
use visionxl_core::{
    GenerateRequest, Naming, ParamValue, Violation, ViolationCode, estimate_credits, spec, wire,
};

use crate::clock::{self, Civil};
use crate::state::{Asset, Download, Phase, Rec, Shared};
use crate::{Chaos, Fault, FaultKind, MAX_ASSET_BYTES, MAX_JSON_BODY};

/// Lets a handler close its connection without answering.
#[derive(Clone, Default)]
pub(crate) struct ConnCtl {
    kill: Arc<Notify>,
}

impl ConnCtl {
    fn kill(&self) {
        self.kill.notify_one();
    }
}

/// Resolves once `stop` turns true or its sender is gone.
async fn until_stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Serves until `stop` turns true (or its sender is dropped).
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let app = router(shared);
    let for_connections = stop.clone();
    loop {
        tokio::select! {
            _ = until_stopped(&mut stop) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(connection(stream, app.clone(), for_connections.clone()));
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
        }
    }
    tracing::info!("visionxl emulator stopped");
}

async fn connection(stream: tokio::net::TcpStream, app: Router, mut stop: watch::Receiver<bool>) {
    let ctl = ConnCtl::default();
    let req_ctl = ctl.clone();
    let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let mut req = req.map(Body::new);
        req.extensions_mut().insert(req_ctl.clone());
        let app = app.clone();
        async move { app.oneshot(req).await }
    });
    // No header read timeout: hyper would also apply it to idle keep-alive connections, and a
    // client's pool (reqwest keeps idle connections 90 s) would then reuse a connection the
    // emulator just closed, failing a POST that must not be retried. Loopback only, so no
    // slowloris worries.
    let conn = hyper::server::conn::http1::Builder::new()
        .header_read_timeout(None)
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = conn => {}
        _ = ctl.kill.notified() => {}
        _ = until_stopped(&mut stop) => {}
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(wire::FEATURES_PATH, post(features))
        .route("/api/results/{id}", get(results))
        .route(
            wire::ASSETS_PATH,
            post(upload).layer(DefaultBodyLimit::max(MAX_ASSET_BYTES + (256 << 10))),
        )
        .route("/models", get(models))
        .route("/asset/{*path}", get(asset_download))
        .route("/temp/{*path}", get(temp_download))
        .route(
            "/_emulator/faults",
            post(add_faults).get(list_faults).delete(clear_faults),
        )
        .route(
            "/_emulator/chaos",
            post(set_chaos).get(get_chaos).delete(clear_chaos),
        )
        .route("/_emulator/ledger", get(ledger))
        .route("/_emulator/reset", post(reset))
        .route("/_emulator/health", get(health))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(shared.clone(), fault_layer))
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
        .with_state(shared)
}

// ---------------------------------------------------------------------------------------------
// Answers in the service's shapes.

fn json_response(status: StatusCode, body: &Value) -> Response {
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
fn live_error(status: StatusCode, code: &str, message: &str, details: Option<String>) -> Response {
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
fn upstream_details(message: &str, violations: &[Violation]) -> String {
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

fn upstream_error(message: &str, violations: &[Violation]) -> Response {
    live_error(
        StatusCode::BAD_REQUEST,
        "EXTERNAL_API_RESPONSE_WITH_ERROR",
        TRY_AGAIN,
        Some(upstream_details(message, violations)),
    )
}

fn unauthorized() -> Response {
    live_error(
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
        "Invalid API key",
        None,
    )
}

fn s3_error(status: StatusCode, code: &str, message: &str, resource: &str) -> Response {
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

fn reason_code(status: StatusCode) -> String {
    status
        .canonical_reason()
        .unwrap_or("Error")
        .to_ascii_uppercase()
        .replace([' ', '-'], "_")
}

fn cloudflare_page() -> Response {
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

// ---------------------------------------------------------------------------------------------
// Faults.

fn is_download(path: &str) -> bool {
    path.starts_with("/asset/") || path.starts_with("/temp/")
}

async fn fault_layer(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/_emulator") {
        return next.run(req).await;
    }
    let download = is_download(&path);
    let queued = shared.take_fault(&path, |k| match k {
        FaultKind::GenerationFailure { .. } => false,
        FaultKind::ExpiredAsset => download,
        _ => true,
    });
    let generation = req.method() == Method::POST && path == wire::FEATURES_PATH;
    let Some(kind) = queued.or_else(|| {
        shared.roll_chaos(&path, |k| match k {
            FaultKind::GenerationFailure { .. } => generation,
            FaultKind::ExpiredAsset => download,
            _ => true,
        })
    }) else {
        return next.run(req).await;
    };
    let mut req = req;
    if let FaultKind::GenerationFailure { message } = &kind {
        // Drawn by chaos: the handler fails the generation once it passes validation.
        req.extensions_mut().insert(ChaosFailure(message.clone()));
        return next.run(req).await;
    }
    tracing::debug!(?kind, %path, "injecting fault");
    let ctl = req.extensions().get::<ConnCtl>().cloned();
    match kind {
        FaultKind::RateLimit { retry_after_secs } => {
            let mut resp = live_error(
                StatusCode::TOO_MANY_REQUESTS,
                "TOO_MANY_REQUESTS",
                "Too many requests, please slow down",
                None,
            );
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
        FaultKind::Status { status } => {
            let status = StatusCode::from_u16(status)
                .ok()
                .filter(|s| !s.is_informational())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let message = status.canonical_reason().unwrap_or("Error");
            live_error(status, &reason_code(status), message, None)
        }
        FaultKind::Cloudflare => cloudflare_page(),
        FaultKind::Delay { ms } => {
            tokio::time::sleep(Duration::from_millis(ms.min(600_000))).await;
            next.run(req).await
        }
        FaultKind::DropBeforeProcessing => {
            drop(req);
            close(ctl).await
        }
        FaultKind::DropAfterCharge => {
            let resp = next.run(req).await;
            // The answer exists (and the charge with it); the client never sees it.
            let _ = axum::body::to_bytes(resp.into_body(), usize::MAX).await;
            close(ctl).await
        }
        FaultKind::TruncatedBody => {
            let resp = next.run(req).await;
            let (mut parts, body) = resp.into_parts();
            let full = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let half = full.slice(..full.len() / 2);
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(full.len()));
            let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(half) })
                .chain(futures_util::stream::once(async move {
                    // Let the half reach the client before the connection goes.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    if let Some(ctl) = ctl {
                        ctl.kill();
                    }
                    Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionAborted,
                        "emulated truncated body",
                    ))
                }));
            Response::from_parts(parts, Body::from_stream(stream))
        }
        FaultKind::MalformedJson => {
            let resp = next.run(req).await;
            let full = axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .unwrap_or_default();
            let mut body = full.slice(..full.len() / 2).to_vec();
            body.extend_from_slice(b"<<emulated malformed JSON");
            (
                StatusCode::OK,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json; charset=utf-8"),
                )],
                body,
            )
                .into_response()
        }
        FaultKind::ExpiredAsset => s3_error(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "Request has expired",
            path.trim_start_matches("/temp")
                .trim_start_matches("/asset"),
        ),
        // Handled above.
        FaultKind::GenerationFailure { .. } => next.run(req).await,
    }
}

/// Closes the connection without an answer.
async fn close(ctl: Option<ConnCtl>) -> Response {
    match ctl {
        Some(ctl) => {
            ctl.kill();
            std::future::pending::<Response>().await
        }
        // Not served through our accept loop (cannot happen): the nearest thing.
        None => live_error(
            StatusCode::BAD_GATEWAY,
            "BAD_GATEWAY",
            "connection dropped",
            None,
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// POST /api/features.

fn caller(shared: &Shared, headers: &HeaderMap) -> Option<usize> {
    let key = headers.get(wire::API_KEY_HEADER)?.to_str().ok()?.trim();
    shared.key(key)
}

fn body_rejection(rej: BytesRejection) -> Response {
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

fn as_true(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        Some(Value::Number(n)) => n.as_u64() == Some(1),
        _ => false,
    }
}

/// A seed drawn from the record id when the request has none (the live default is random).
fn derived_seed(record_id: &str) -> u64 {
    let d = Sha256::digest(record_id.as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    u64::from_le_bytes(b) % 9_999_999_999
}

/// A generation failure drawn by [`Chaos`](crate::Chaos) for this request.
#[derive(Clone)]
struct ChaosFailure(String);

async fn features(
    State(shared): State<Arc<Shared>>,
    chaos_failure: Option<Extension<ChaosFailure>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(owner) = caller(&shared, &headers) else {
        return unauthorized();
    };
    let body = match body {
        Ok(b) => b,
        Err(rej) => return body_rejection(rej),
    };
    let json: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return live_error(
                StatusCode::BAD_REQUEST,
                "UNKNOWN_ERROR",
                "Request body is not valid JSON",
                Some(e.to_string()),
            );
        }
    };
    let Some(obj) = json.as_object() else {
        return live_error(
            StatusCode::BAD_REQUEST,
            "UNKNOWN_ERROR",
            "Request body must be a JSON object",
            None,
        );
    };
    let missing: Vec<&str> = ["type", "model", "promptObject"]
        .into_iter()
        .filter(|k| obj.get(*k).is_none_or(Value::is_null))
        .collect();
    if missing.contains(&"type") {
        return live_error(
            StatusCode::BAD_REQUEST,
            "MISSING_REQUIRED_FIELDS",
            "Missing required fields: type",
            None,
        );
    }
    if obj.get("type").and_then(Value::as_str) != Some(wire::FEATURE_TYPE) {
        return live_error(
            StatusCode::BAD_REQUEST,
            "UNKNOWN_ERROR",
            "Unsupported feature type",
            None,
        );
    }
    if !missing.is_empty() {
        return live_error(
            StatusCode::BAD_REQUEST,
            "MISSING_REQUIRED_FIELDS",
            &format!("Missing required fields: {}", missing.join(", ")),
            None,
        );
    }
    if obj.get("model").and_then(Value::as_str) != Some(wire::MODEL_ID) {
        let got = match obj.get("model") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        return live_error(
            StatusCode::BAD_REQUEST,
            "UNSUPPORTED_MODEL",
            &format!(
                "Model {got} is not supported for feature {}",
                wire::FEATURE_TYPE
            ),
            None,
        );
    }
    let prompt_object = obj.get("promptObject").cloned().unwrap_or(Value::Null);
    // The promptObject's own fields: check_wire_json would also take a whole request body, so
    // a promptObject wrapping another ({"promptObject": {...}, "type": ...}) would pass.
    let checked = match &prompt_object {
        Value::Object(map) => GenerateRequest::check_params(
            map.iter().map(|(k, v)| (k.as_str(), ParamValue::from(v))),
            Naming::Wire,
            None,
        ),
        other => GenerateRequest::check_wire_json(other),
    };
    let errors = &checked.report.errors;
    if !errors.is_empty() {
        let joined = errors
            .iter()
            .map(|v| format!("{}: {}", v.field, v.message))
            .collect::<Vec<_>>()
            .join("; ");
        let prompt_missing = errors.iter().any(|v| {
            v.field == "prompt" && matches!(v.code, ViolationCode::Required | ViolationCode::Blank)
        });
        return if prompt_missing {
            live_error(
                StatusCode::BAD_REQUEST,
                "MISSING_REQUIRED_FIELDS",
                "Missing required fields: prompt",
                Some(upstream_details(&joined, errors)),
            )
        } else {
            upstream_error(&joined, errors)
        };
    }
    let req = checked.request;
    // Asset references must name something this key uploaded.
    let mut unknown = Vec::new();
    if let Some(id) = &req.init_image_id
        && !shared.has_asset(id, owner)
    {
        unknown.push(Violation::new(
            "leonardo_init_image_id",
            ViolationCode::NotAllowedValue,
            format!("init image {id:?} not found: upload it with POST /api/assets first"),
        ));
    }
    for (i, p) in req.image_prompts.iter().flatten().enumerate() {
        if !shared.has_asset(p, owner) {
            unknown.push(Violation::new(
                "leonardo_image_prompts",
                ViolationCode::NotAllowedValue,
                format!(
                    "image prompt {i} ({p:?}) not found: upload it with POST /api/assets first"
                ),
            ));
        }
    }
    if !unknown.is_empty() {
        let joined = unknown
            .iter()
            .map(|v| v.message.clone())
            .collect::<Vec<_>>()
            .join("; ");
        return upstream_error(&joined, &unknown);
    }
    let price = match estimate_credits(req.size, req.n) {
        Ok(p) => u64::from(p),
        Err(e) => return upstream_error(e.message(), e.violations()),
    };
    let async_mode = as_true(obj.get("async"));
    // Short of credits: refused before anything else happens (a queued generation failure
    // stays queued). The charge below checks again, atomically.
    let balance = shared.balance(owner);
    if balance < price {
        return insufficient(price, balance);
    }
    let failure = match shared.take_fault(wire::FEATURES_PATH, |k| {
        matches!(k, FaultKind::GenerationFailure { .. })
    }) {
        Some(FaultKind::GenerationFailure { message }) => Some(message),
        _ => chaos_failure.map(|Extension(ChaosFailure(m))| m),
    };

    let id = uuid::Uuid::new_v4().to_string();
    let now_ms = clock::now_ms();
    let civil = Civil::from_ms(now_ms);
    let short = &id.replace('-', "")[..12];
    let transparent = req.transparency == Some(visionxl_core::Transparency::ForegroundOnly);
    let ext = if transparent { "png" } else { "webp" };
    let stamp = civil.path_stamp();
    let paths: Vec<String> = if failure.is_some() {
        Vec::new()
    } else {
        (0..req.n)
            .map(|i| format!("development/images/{stamp}_{short}_{i}.{ext}"))
            .collect()
    };
    let rec = Rec {
        seed: req.seed.unwrap_or_else(|| derived_seed(&id)),
        id,
        owner,
        created_at: civil.rfc3339(),
        prompt_object,
        paths,
        ready_at: Instant::now() + shared.latency,
        prompt: req.prompt.clone(),
        width: req.size.width(),
        height: req.size.height(),
        transparent,
        failure: failure.clone(),
    };
    let charge = failure.is_none().then_some(price);
    let rec = match shared.create_record(rec, charge) {
        Ok(rec) => rec,
        Err(short) => return insufficient(price, short.balance),
    };
    tracing::debug!(record = %rec.id, credits = ?charge, async_mode, "generation");
    if async_mode {
        return json_response(
            StatusCode::OK,
            &record_json(&shared, &rec, Some(Phase::Processing)),
        );
    }
    let wait = rec.ready_at.saturating_duration_since(Instant::now());
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    json_response(StatusCode::OK, &record_json(&shared, &rec, None))
}

/// 402: the live answer is undocumented; this one speaks of credits, as clients expect.
fn insufficient(price: u64, balance: u64) -> Response {
    live_error(
        StatusCode::PAYMENT_REQUIRED,
        "INSUFFICIENT_CREDITS",
        &format!(
            "Not enough credits: this request costs {price} credits and the balance is {balance} credits"
        ),
        None,
    )
}

/// `{"aiRecord": {...}}` as the service answers it.
fn record_json(shared: &Shared, rec: &Rec, phase: Option<Phase>) -> Value {
    let phase = phase.unwrap_or_else(|| rec.phase(Instant::now()));
    let key = &shared.keys[rec.owner];
    let results: Vec<&String> = if phase == Phase::Success {
        rec.paths.iter().collect()
    } else {
        Vec::new()
    };
    let mut detail = json!({
        "promptObject": rec.prompt_object,
        "resultObject": results,
    });
    if phase == Phase::Failure
        && let Some(msg) = &rec.failure
    {
        detail["errorMessage"] = Value::from(msg.as_str());
    }
    let mut record = json!({
        "uuid": rec.id,
        "userId": key.user_id,
        "teamId": key.team_id,
        "model": wire::MODEL_ID,
        "type": wire::FEATURE_TYPE,
        "status": phase.as_str(),
        "createdAt": rec.created_at,
        "aiRecordDetail": detail,
        // Not a field of the live service: marks every record of this test double, so clients
        // (Generation::is_emulated) and sidecars can say the images are emulated.
        "emulated": true,
    });
    if phase == Phase::Success
        && let Some(first) = rec.paths.first()
    {
        record["temporaryUrl"] = Value::from(shared.temporary_url(first));
    }
    json!({ "aiRecord": record })
}

// ---------------------------------------------------------------------------------------------
// GET /api/results/{id}.

async fn results(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let Some(owner) = caller(&shared, &headers) else {
        return unauthorized();
    };
    match shared.record(&id, owner) {
        Some(rec) => json_response(StatusCode::OK, &record_json(&shared, &rec, None)),
        None => json_response(StatusCode::OK, &json!({ "aiRecord": null })),
    }
}

// ---------------------------------------------------------------------------------------------
// POST /api/assets.

/// The image type from the magic bytes: (extension, MIME type).
fn sniff(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("png", "image/png"))
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(("jpg", "image/jpeg"))
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(("webp", "image/webp"))
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(("gif", "image/gif"))
    } else {
        None
    }
}

fn too_large_asset() -> Response {
    live_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
        &format!("The asset is larger than {MAX_ASSET_BYTES} bytes"),
        None,
    )
}

async fn upload(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let Some(owner) = caller(&shared, &headers) else {
        return unauthorized();
    };
    let mut multipart = match multipart {
        Ok(m) => m,
        Err(rej) => {
            return live_error(
                StatusCode::BAD_REQUEST,
                "UNKNOWN_ERROR",
                "Expected a multipart/form-data body with a file field named \"asset\"",
                Some(rej.body_text()),
            );
        }
    };
    let mut file: Option<(Option<String>, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return too_large_asset(),
            Err(e) => {
                return live_error(
                    StatusCode::BAD_REQUEST,
                    "UNKNOWN_ERROR",
                    "Malformed multipart body",
                    Some(e.body_text()),
                );
            }
        };
        if field.name() != Some("asset") || file.is_some() {
            continue;
        }
        let name = field.file_name().map(str::to_string);
        let mut field = field;
        let mut data = Vec::new();
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    if data.len() + chunk.len() > MAX_ASSET_BYTES {
                        return too_large_asset();
                    }
                    data.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return too_large_asset(),
                Err(e) => {
                    return live_error(
                        StatusCode::BAD_REQUEST,
                        "UNKNOWN_ERROR",
                        "Malformed multipart body",
                        Some(e.body_text()),
                    );
                }
            }
        }
        file = Some((name, data));
    }
    let Some((name, data)) = file else {
        return live_error(
            StatusCode::BAD_REQUEST,
            "MISSING_REQUIRED_FIELDS",
            "Missing required fields: asset",
            None,
        );
    };
    let Some((ext, mime)) = sniff(&data) else {
        return live_error(
            StatusCode::BAD_REQUEST,
            "UNKNOWN_ERROR",
            "Unsupported file type: upload a PNG, JPEG, WebP or GIF image",
            None,
        );
    };
    let key = uuid::Uuid::new_v4().to_string();
    let civil = Civil::from_ms(clock::now_ms());
    let path = format!(
        "development/assets/{}_{}.{ext}",
        civil.path_stamp(),
        &key.replace('-', "")[..12]
    );
    let size = data.len();
    let asset = shared.store_asset(Asset {
        key: key.clone(),
        path: path.clone(),
        owner,
        content_type: mime,
        bytes: Bytes::from(data),
    });
    let name = name.unwrap_or_else(|| format!("upload.{ext}"));
    json_response(
        StatusCode::OK,
        &json!({
            "asset": {
                "key": asset.key,
                "name": name,
                "mimeType": mime,
                "size": size,
                "createdAt": civil.rfc3339(),
            },
            "fileContent": {
                "uuid": key,
                "path": path,
                "name": name,
                "type": mime,
                "size": size,
            },
        }),
    )
}

// ---------------------------------------------------------------------------------------------
// GET /models.

async fn models(RawQuery(query): RawQuery) -> Response {
    let feature = query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "feature")
        .map(|(_, v)| v.to_string());
    if feature.as_deref().is_some_and(|f| f != wire::FEATURE_TYPE) {
        return json_response(StatusCode::OK, &json!({ "models": [] }));
    }
    json_response(StatusCode::OK, &json!({ "models": [catalog_entry()] }))
}

fn catalog_entry() -> Value {
    let pricing: Vec<Value> = visionxl_core::pricing::price_table()
        .map(|(size, n, credits)| json!({"size": size.as_str(), "n": n, "credits": credits}))
        .collect();
    let parameters: Vec<Value> = spec::PARAMS
        .iter()
        .map(|p| {
            json!({
                "name": p.wire,
                "type": match p.kind {
                    spec::Kind::String => "string",
                    spec::Kind::Integer => "integer",
                    spec::Kind::Float => "number",
                    spec::Kind::Bool => "boolean",
                    spec::Kind::StringList => "array",
                },
                "required": p.required,
                "default": p.default,
                "allowed": p.allowed(),
                "description": p.description,
            })
        })
        .collect();
    json!({
        "uuid": wire::MODEL_ID,
        "modelId": wire::MODEL_ID,
        "name": "Leonardo Vision XL",
        "provider": "Leonardo.Ai",
        "feature": [wire::FEATURE_TYPE],
        "sizes": spec::SIZES,
        "maxImages": visionxl_core::pricing::MAX_N,
        "pricing": pricing,
        "parameters": parameters,
        "emulated": true,
    })
}

// ---------------------------------------------------------------------------------------------
// Downloads.

async fn serve_download(shared: &Shared, path: &str, head_only: bool) -> Response {
    let found = shared.download(path);
    let (bytes, content_type) = match found {
        Some(Download::Picture(spec)) => {
            let ct = spec.content_type();
            match shared.picture(path, spec).await {
                Ok(b) => (b, ct),
                Err(e) => {
                    tracing::warn!(error = %e, %path, "picture failed");
                    return s3_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", &e, path);
                }
            }
        }
        Some(Download::Asset(a)) => (a.bytes.clone(), a.content_type),
        None => {
            return s3_error(
                StatusCode::NOT_FOUND,
                "NoSuchKey",
                "The specified key does not exist.",
                path,
            );
        }
    };
    let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&bytes)[..16]));
    let mut resp = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=600"),
            ),
        ],
        if head_only {
            Bytes::new()
        } else {
            bytes.clone()
        },
    )
        .into_response();
    resp.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}

async fn asset_download(
    State(shared): State<Arc<Shared>>,
    method: Method,
    Path(path): Path<String>,
) -> Response {
    serve_download(&shared, &path, method == Method::HEAD).await
}

async fn temp_download(
    State(shared): State<Arc<Shared>>,
    method: Method,
    Path(path): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let params: HashMap<&str, &str> = query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    if let Err((code, message)) = shared.verify(
        &path,
        params.get("X-Amz-Date").copied(),
        params.get("X-Amz-Expires").copied(),
        params.get("X-Amz-Signature").copied(),
    ) {
        return s3_error(StatusCode::FORBIDDEN, code, message, &format!("/{path}"));
    }
    serve_download(&shared, &path, method == Method::HEAD).await
}

// ---------------------------------------------------------------------------------------------
// Control endpoints.

async fn add_faults(
    State(shared): State<Arc<Shared>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(rej) => return body_rejection(rej),
    };
    let faults: Result<Vec<Fault>, String> = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Array(items)) => items.into_iter().map(fault_from_json).collect(),
        Ok(v) => fault_from_json(v).map(|f| vec![f]),
        Err(e) => Err(e.to_string()),
    };
    match faults {
        Ok(faults) => {
            let n = faults.len();
            for f in faults {
                shared.inject(f);
            }
            json_response(
                StatusCode::OK,
                &json!({ "queued": n, "faults": shared.pending_faults() }),
            )
        }
        Err(e) => json_response(
            StatusCode::BAD_REQUEST,
            &json!({ "error": format!("not a fault: {e}") }),
        ),
    }
}

/// One fault from JSON. `kind` must be a name: from a `Value`, serde also takes a variant's
/// index as the tag, so `{"kind": 0}` would otherwise queue a rate limit.
fn fault_from_json(v: Value) -> Result<Fault, String> {
    if let Some(kind) = v.get("kind").filter(|k| !k.is_string()) {
        return Err(format!("kind must be a string, got {kind}"));
    }
    serde_json::from_value(v).map_err(|e| e.to_string())
}

async fn list_faults(State(shared): State<Arc<Shared>>) -> Response {
    json_response(
        StatusCode::OK,
        &json!({ "faults": shared.pending_faults() }),
    )
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> Response {
    shared.clear_faults();
    json_response(StatusCode::OK, &json!({ "faults": [] }))
}

fn chaos_answer(shared: &Shared) -> Response {
    let (chaos, report) = shared.chaos();
    json_response(StatusCode::OK, &json!({ "chaos": chaos, "report": report }))
}

async fn set_chaos(
    State(shared): State<Arc<Shared>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(rej) => return body_rejection(rej),
    };
    let refused = |e: String| {
        json_response(
            StatusCode::BAD_REQUEST,
            &json!({ "error": format!("not chaos settings: {e}") }),
        )
    };
    let chaos: Chaos = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => return refused(e.to_string()),
    };
    match shared.set_chaos(Some(chaos)) {
        Ok(()) => chaos_answer(&shared),
        Err(e) => refused(e),
    }
}

async fn get_chaos(State(shared): State<Arc<Shared>>) -> Response {
    chaos_answer(&shared)
}

/// Turns random faults off; the answer holds the final report of what they did.
async fn clear_chaos(State(shared): State<Arc<Shared>>) -> Response {
    let (_, report) = shared.chaos();
    let _ = shared.set_chaos(None);
    json_response(
        StatusCode::OK,
        &json!({ "chaos": Value::Null, "report": report }),
    )
}

async fn ledger(State(shared): State<Arc<Shared>>) -> Response {
    let ledger = serde_json::to_value(shared.ledger()).unwrap_or(Value::Null);
    json_response(StatusCode::OK, &ledger)
}

async fn reset(State(shared): State<Arc<Shared>>) -> Response {
    shared.reset();
    json_response(StatusCode::OK, &json!({ "reset": true }))
}

async fn health() -> Response {
    json_response(
        StatusCode::OK,
        &json!({ "ok": true, "emulator": "visionxl" }),
    )
}

async fn not_found(req: Request) -> Response {
    let path = req.uri().path().to_string();
    live_error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        &format!("Cannot {} {path}", req.method()),
        None,
    )
}

async fn method_not_allowed(req: Request) -> Result<Response, Infallible> {
    Ok(live_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        &format!("Cannot {} {}", req.method(), req.uri().path()),
        None,
    ))
}
