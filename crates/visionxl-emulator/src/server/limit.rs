//! The rate-limit layer: an API request (`/api/...`) of a known key past the configured
//! limit answers 429 in the live error shape with `Retry-After` (whole seconds, at least 1).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use super::reply::live_error;
use crate::state::Shared;

pub(super) async fn limit_layer(
    State(shared): State<Arc<Shared>>,
    req: Request,
    next: Next,
) -> Response {
    let Some(limiter) = &shared.limiter else {
        return next.run(req).await;
    };
    if !req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let Some(owner) = shared.caller(req.headers()) else {
        // Unknown keys get their 401 from the handler.
        return next.run(req).await;
    };
    match limiter.admit(owner, Instant::now()) {
        Ok(()) => next.run(req).await,
        Err(wait) => {
            let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
            let mut resp = live_error(
                StatusCode::TOO_MANY_REQUESTS,
                "TOO_MANY_REQUESTS",
                "Too many requests, please slow down",
                None,
            );
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
    }
}
