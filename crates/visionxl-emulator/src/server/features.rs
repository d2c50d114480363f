//! `POST /api/features` (validation, prices, charges, records) and `GET /api/results/{id}`.

use std::sync::Arc;
use std::time::Instant;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use visionxl_core::{
    GenerateRequest, Naming, ParamValue, Violation, ViolationCode, estimate_credits, wire,
};

use super::faults::ChaosFailure;
use super::reply::{
    body_rejection, insufficient, json_response, live_error, unauthorized, upstream_details,
    upstream_error,
};
use crate::clock::{self, Civil};
use crate::fault::FaultKind;
use crate::state::{Phase, Rec, Shared};

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

pub(super) async fn features(
    State(shared): State<Arc<Shared>>,
    chaos_failure: Option<Extension<ChaosFailure>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(owner) = shared.caller(&headers) else {
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

pub(super) async fn results(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let Some(owner) = shared.caller(&headers) else {
        return unauthorized();
    };
    match shared.record(&id, owner) {
        Some(rec) => json_response(StatusCode::OK, &record_json(&shared, &rec, None)),
        None => json_response(StatusCode::OK, &json!({ "aiRecord": null })),
    }
}
