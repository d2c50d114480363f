//! The HTTP side: the accept loop (with per-connection control for the dropped-connection
//! faults) and the router. The handlers live by endpoint: [`features`] (generation and
//! records), [`assets`] (uploads and downloads), [`models`], [`control`] (`/_emulator/*`);
//! [`faults`] is the layer that injects faults, [`reply`] the answers in the service's shapes.

mod assets;
mod control;
mod faults;
mod features;
mod limit;
mod models;
mod reply;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{get, post};
use hyper_util::rt::TokioIo;
use tokio::sync::watch;
use tower::ServiceExt;
use visionxl_core::wire;

use crate::config::{MAX_ASSET_BYTES, MAX_JSON_BODY};
use crate::state::Shared;
use faults::ConnCtl;

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
        _ = ctl.killed() => {}
        _ = until_stopped(&mut stop) => {}
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(wire::FEATURES_PATH, post(features::features))
        .route("/api/results/{id}", get(features::results))
        .route(
            wire::ASSETS_PATH,
            post(assets::upload).layer(DefaultBodyLimit::max(MAX_ASSET_BYTES + (256 << 10))),
        )
        .route("/models", get(models::models))
        .route("/asset/{*path}", get(assets::asset_download))
        .route("/temp/{*path}", get(assets::temp_download))
        .route(
            "/_emulator/faults",
            post(control::add_faults)
                .get(control::list_faults)
                .delete(control::clear_faults),
        )
        .route(
            "/_emulator/chaos",
            post(control::set_chaos)
                .get(control::get_chaos)
                .delete(control::clear_chaos),
        )
        .route("/_emulator/ledger", get(control::ledger))
        .route("/_emulator/reset", post(control::reset))
        .route("/_emulator/health", get(control::health))
        .fallback(control::not_found)
        .method_not_allowed_fallback(control::method_not_allowed)
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            limit::limit_layer,
        ))
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            faults::fault_layer,
        ))
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
        .with_state(shared)
}
