//! The router and its small handlers. Every route sits behind [`guard::check`].
//!
//! | route | answers |
//! |---|---|
//! | `GET /`, `/app.js`, `/app.css` | the page |
//! | `GET /api/table` | the parameter table, grouped, with presets and prices |
//! | `GET /api/session` | mode (`live`, `emulator`, `off`), spent, `--max-credits` |
//! | `POST /api/check` | violations, price, hint, plan, wire JSON, snippets |
//! | `POST /api/generate` | starts a job: `{"job": id}` |
//! | `GET /api/jobs/{id}`, `POST /api/jobs/{id}/cancel` | a job's progress; cancel it |
//! | `GET /api/gallery`, `GET /images/{file}` | the images of `--out`, newest first |
//! | `POST /api/assets?name=FILE` | uploads the body as an asset: `{"reference": ..}` |
//! | `POST /api/sweep/check` | a sweep's grid, cells, price and violations (Compare view) |
//! | `POST /api/sweep` | starts a sweep job: `{"job": id}`, polled at `/api/jobs/{id}` |
//! | `GET /sweeps/{id}/{sheet}`, `GET /sweeps/{id}/cells/{file}` | a sweep's sheet and cells |

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State as AxState};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use visionxl::{Error, ErrorCode};

use super::state::State;
use super::{assets, compare, form, gallery, guard, jobs, progress};

/// The largest upload (an init image or image prompt).
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;
/// The largest JSON body.
const MAX_BODY_BYTES: usize = 256 * 1024;

/// The router, guarded.
pub fn router(st: Arc<State>) -> Router {
    Router::new()
        .route("/", get(|| async { assets::page(assets::INDEX) }))
        .route("/app.js", get(|| async { assets::page(assets::APP_JS) }))
        .route("/app.css", get(|| async { assets::page(assets::APP_CSS) }))
        .route("/api/table", get(|| async { Json(form::table_json()) }))
        .route("/api/session", get(session))
        .route("/api/check", post(check))
        .route("/api/generate", post(generate))
        .route("/api/jobs/{id}", get(job))
        .route("/api/jobs/{id}/cancel", post(cancel))
        .route("/api/gallery", get(list))
        .route("/images/{file}", get(image))
        .route("/api/sweep/check", post(sweep_check))
        .route("/api/sweep", post(sweep_start))
        .route("/sweeps/{id}/{file}", get(sweep_sheet))
        .route("/sweeps/{id}/cells/{file}", get(sweep_cell))
        .route(
            "/api/assets",
            post(upload).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES)),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(st.guard.clone()),
            guard::check,
        ))
        .with_state(st)
}

async fn session(AxState(st): AxState<Arc<State>>) -> Json<Value> {
    Json(json!({
        "mode": st.mode.name(),
        "message": st.mode.describe(),
        "spent": st.spent(),
        "max_credits": st.max_credits,
        "out": st.out.display().to_string(),
    }))
}

async fn check(
    AxState(st): AxState<Arc<State>>,
    Json(input): Json<form::FormInput>,
) -> Json<Value> {
    Json(form::check_json(&input, &st.curl_base))
}

async fn generate(
    AxState(st): AxState<Arc<State>>,
    Json(input): Json<form::FormInput>,
) -> Response {
    match jobs::start(&st, &input) {
        Ok(id) => Json(json!({"job": id})).into_response(),
        Err(e) => error(&e),
    }
}

async fn job(AxState(st): AxState<Arc<State>>, Path(id): Path<u64>) -> Response {
    match st.job(id) {
        Some(job) => {
            let mut v = serde_json::to_value(job.status()).unwrap_or_default();
            v["spent"] = json!(st.spent());
            Json(v).into_response()
        }
        None => not_found(),
    }
}

async fn cancel(AxState(st): AxState<Arc<State>>, Path(id): Path<u64>) -> Response {
    match st.job(id) {
        Some(job) => {
            job.cancel.cancel();
            Json(json!({"cancelled": true})).into_response()
        }
        None => not_found(),
    }
}

async fn list(AxState(st): AxState<Arc<State>>) -> Json<Value> {
    Json(json!({"images": gallery::list(&st.out).await}))
}

async fn image(AxState(st): AxState<Arc<State>>, Path(file): Path<String>) -> Response {
    gallery::image(&st.out, &file).await
}

async fn sweep_check(
    AxState(st): AxState<Arc<State>>,
    Json(input): Json<compare::SweepInput>,
) -> Json<Value> {
    Json(compare::check_json(&st, &input))
}

async fn sweep_start(
    AxState(st): AxState<Arc<State>>,
    Json(input): Json<compare::SweepInput>,
) -> Response {
    match compare::start(&st, &input).await {
        Ok(id) => Json(json!({"job": id})).into_response(),
        Err(e) => error(&e),
    }
}

async fn sweep_sheet(
    AxState(st): AxState<Arc<State>>,
    Path((id, file)): Path<(String, String)>,
) -> Response {
    compare::sheet(&st.out, &id, &file).await
}

async fn sweep_cell(
    AxState(st): AxState<Arc<State>>,
    Path((id, file)): Path<(String, String)>,
) -> Response {
    compare::cell(&st.out, &id, &file).await
}

/// `?name=` of an upload.
#[derive(Deserialize)]
struct UploadQuery {
    name: Option<String>,
}

async fn upload(
    AxState(st): AxState<Arc<State>>,
    Query(q): Query<UploadQuery>,
    body: Bytes,
) -> Response {
    let Some(client) = &st.client else {
        return error(&Error::new(
            ErrorCode::AuthenticationError,
            st.mode.describe(),
        ));
    };
    if body.is_empty() {
        return error(&Error::new(
            ErrorCode::ValidationError,
            "the upload is empty",
        ));
    }
    let name = q.name.unwrap_or_else(|| "upload.png".into());
    match client.upload_asset_bytes(body, &name).await {
        Ok(asset) => Json(json!({"reference": asset.reference()})).into_response(),
        Err(e) => error(&e),
    }
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": {"code": "not_found", "message": "no such job"}})),
    )
        .into_response()
}

/// An error as JSON, with a status that fits its code.
fn error(e: &Error) -> Response {
    let status = match e.code() {
        ErrorCode::ValidationError => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::BudgetExceeded | ErrorCode::InsufficientCredits => StatusCode::PAYMENT_REQUIRED,
        ErrorCode::AuthenticationError => StatusCode::CONFLICT,
        _ => StatusCode::BAD_GATEWAY,
    };
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({"error": progress::error_json(e)})),
    )
        .into_response()
}
