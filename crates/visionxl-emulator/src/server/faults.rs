//! The fault layer: queued [`Fault`](crate::Fault)s and random ones ([`Chaos`](crate::Chaos))
//! turned into 429s, 5xx, Cloudflare pages, delays, dropped connections and mangled bodies.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use tokio::sync::Notify;
use visionxl_core::wire;

use super::reply::{cloudflare_page, live_error, reason_code, s3_error};
use crate::fault::FaultKind;
use crate::state::Shared;

/// Lets a handler close its connection without answering.
#[derive(Clone, Default)]
pub(super) struct ConnCtl {
    kill: Arc<Notify>,
}

impl ConnCtl {
    fn kill(&self) {
        self.kill.notify_one();
    }

    /// Resolves when a handler asks for the connection to close.
    pub(super) async fn killed(&self) {
        self.kill.notified().await;
    }
}

/// A generation failure drawn by [`Chaos`](crate::Chaos) for this request.
#[derive(Clone)]
pub(super) struct ChaosFailure(pub(super) String);

fn is_download(path: &str) -> bool {
    path.starts_with("/asset/") || path.starts_with("/temp/")
}

pub(super) async fn fault_layer(
    State(shared): State<Arc<Shared>>,
    req: Request,
    next: Next,
) -> Response {
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
