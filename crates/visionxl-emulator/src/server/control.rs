//! The control endpoints (`/_emulator/faults`, `chaos`, `ledger`, `reset`, `health`) and the
//! answers for unknown paths and methods.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::reply::{body_rejection, json_response, live_error};
use crate::chaos::Chaos;
use crate::fault::Fault;
use crate::state::Shared;

pub(super) async fn add_faults(
    State(shared): State<Arc<Shared>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let faults = read_body(body, "a fault", |body| {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Array(items)) => items.into_iter().map(fault_from_json).collect(),
            Ok(v) => fault_from_json(v).map(|f| vec![f]),
            Err(e) => Err(e.to_string()),
        }
    });
    let faults: Vec<Fault> = match faults {
        Ok(f) => f,
        Err(answer) => return answer,
    };
    let n = faults.len();
    for f in faults {
        shared.inject(f);
    }
    json_response(
        StatusCode::OK,
        &json!({ "queued": n, "faults": shared.pending_faults() }),
    )
}

/// A control body read as `parse` says; the answer to send instead when it is unreadable
/// (413, 400) or refused (400 `{"error": "not <what>: ..."}`).
// The error is the answer itself, made once per refused request: its size does not matter.
#[allow(clippy::result_large_err)]
fn read_body<T>(
    body: Result<Bytes, BytesRejection>,
    what: &str,
    parse: impl FnOnce(&Bytes) -> Result<T, String>,
) -> Result<T, Response> {
    let body = body.map_err(body_rejection)?;
    parse(&body).map_err(|e| refused(what, e))
}

fn refused(what: &str, e: String) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({ "error": format!("not {what}: {e}") }),
    )
}

/// One fault from JSON. `kind` must be a name: from a `Value`, serde also takes a variant's
/// index as the tag, so `{"kind": 0}` would otherwise queue a rate limit.
fn fault_from_json(v: Value) -> Result<Fault, String> {
    if let Some(kind) = v.get("kind").filter(|k| !k.is_string()) {
        return Err(format!("kind must be a string, got {kind}"));
    }
    serde_json::from_value(v).map_err(|e| e.to_string())
}

pub(super) async fn list_faults(State(shared): State<Arc<Shared>>) -> Response {
    json_response(
        StatusCode::OK,
        &json!({ "faults": shared.pending_faults() }),
    )
}

pub(super) async fn clear_faults(State(shared): State<Arc<Shared>>) -> Response {
    shared.clear_faults();
    json_response(StatusCode::OK, &json!({ "faults": [] }))
}

fn chaos_answer(shared: &Shared) -> Response {
    let (chaos, report) = shared.chaos();
    json_response(StatusCode::OK, &json!({ "chaos": chaos, "report": report }))
}

pub(super) async fn set_chaos(
    State(shared): State<Arc<Shared>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let what = "chaos settings";
    let chaos = read_body(body, what, |body| {
        serde_json::from_slice::<Chaos>(body).map_err(|e| e.to_string())
    });
    let chaos = match chaos {
        Ok(c) => c,
        Err(answer) => return answer,
    };
    match shared.set_chaos(Some(chaos)) {
        Ok(()) => chaos_answer(&shared),
        Err(e) => refused(what, e),
    }
}

pub(super) async fn get_chaos(State(shared): State<Arc<Shared>>) -> Response {
    chaos_answer(&shared)
}

/// Turns random faults off; the answer holds the final report of what they did.
pub(super) async fn clear_chaos(State(shared): State<Arc<Shared>>) -> Response {
    let (_, report) = shared.chaos();
    let _ = shared.set_chaos(None);
    json_response(
        StatusCode::OK,
        &json!({ "chaos": Value::Null, "report": report }),
    )
}

pub(super) async fn ledger(State(shared): State<Arc<Shared>>) -> Response {
    let ledger = serde_json::to_value(shared.ledger()).unwrap_or(Value::Null);
    json_response(StatusCode::OK, &ledger)
}

pub(super) async fn reset(State(shared): State<Arc<Shared>>) -> Response {
    shared.reset();
    json_response(StatusCode::OK, &json!({ "reset": true }))
}

pub(super) async fn health() -> Response {
    json_response(
        StatusCode::OK,
        &json!({ "ok": true, "emulator": "visionxl" }),
    )
}

pub(super) async fn not_found(req: Request) -> Response {
    let path = req.uri().path().to_string();
    live_error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        &format!("Cannot {} {path}", req.method()),
        None,
    )
}

pub(super) async fn method_not_allowed(req: Request) -> Result<Response, Infallible> {
    Ok(live_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        &format!("Cannot {} {}", req.method(), req.uri().path()),
        None,
    ))
}
