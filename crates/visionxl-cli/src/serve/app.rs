//! The router: which handler answers which route (the handlers are in `routes`, `edits`).

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use serde_json::json;

use super::edits;
use super::routes::{self, AppState};

/// The router.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/images/generations", post(routes::generations))
        .route(
            "/v1/images/edits",
            post(edits::edits).layer(DefaultBodyLimit::max(edits::MAX_EDIT_BYTES)),
        )
        .route(
            "/v1/images/variations",
            post(edits::variations).layer(DefaultBodyLimit::max(edits::MAX_EDIT_BYTES)),
        )
        .route("/v1/images/files/{file}", get(routes::image_file))
        .route("/v1/models", get(routes::list_models))
        .route("/v1/models/{model}", get(routes::get_model))
        .route("/health", get(|| async { axum::Json(json!({"ok": true})) }))
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(DefaultBodyLimit::max(routes::MAX_BODY_BYTES))
        .with_state(state)
}
