//! `--image-proxy`: image URLs on the server itself. `url` answers point to
//! `/v1/images/files/<token>.<ext>` on this server (the same bearer token is required), which
//! downloads the image from 1min.ai when it is fetched (converted to `output_format` when
//! asked) and answers it with its `Content-Type`. Callers never depend on a signed S3 URL
//! expiring or on the asset host's access rules (Open WebUI, for one, refuses private
//! addresses unless configured otherwise; LibreChat takes the file extension from the URL).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use visionxl::Generation;

use super::auth::KeyId;
use super::convert;
use super::errors::ApiError;
use super::request::OutputFormat;

/// How many image links are kept (the oldest are forgotten first).
pub const MAX_LINKS: usize = 10_000;

struct Link {
    token: String,
    key: KeyId,
    generation: Generation,
    index: usize,
    format: Option<OutputFormat>,
    compression: Option<u8>,
}

/// The links handed out.
#[derive(Default)]
pub struct Proxy {
    links: Mutex<VecDeque<Link>>,
    counter: AtomicU64,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy").finish_non_exhaustive()
    }
}

impl Proxy {
    /// A link for image `index` of `generation`, for the caller `key`: the path
    /// `/v1/images/files/<token>.<ext>`.
    pub fn link(
        &self,
        key: KeyId,
        generation: &Generation,
        index: usize,
        format: Option<OutputFormat>,
        compression: Option<u8>,
    ) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let seed = format!(
            "{}/{index}/{n}/{nanos}/{:?}",
            generation.id(),
            Instant::now()
        );
        let token = hex::encode(&Sha256::digest(seed.as_bytes())[..16]);
        let ext = format
            .unwrap_or_else(|| {
                generation
                    .images()
                    .get(index)
                    .map(|i| convert::from_url(i.url()))
                    .unwrap_or(OutputFormat::Webp)
            })
            .as_str();
        let mut links = self.links.lock().expect("proxy lock");
        if links.len() >= MAX_LINKS {
            links.pop_front();
        }
        links.push_back(Link {
            token: token.clone(),
            key,
            generation: generation.clone(),
            index,
            format,
            compression,
        });
        format!("/v1/images/files/{token}.{ext}")
    }
}

/// This server's absolute base URL as the caller reached it (`X-Forwarded-Proto` and
/// `X-Forwarded-Host` win over `Host`, for servers behind a TLS proxy).
pub fn base_url(headers: &HeaderMap) -> String {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(',').next().unwrap_or(v).trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let proto = get("x-forwarded-proto").unwrap_or_else(|| "http".into());
    let host = get("x-forwarded-host")
        .or_else(|| get("host"))
        .unwrap_or_else(|| "127.0.0.1".into());
    format!("{proto}://{host}")
}

/// The 404 of an image link this server does not (or no longer) know.
pub fn not_found() -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        super::errors::INVALID_REQUEST,
        "no such image on this server (links are kept for the most recent images only)",
    )
    .with_code("image_not_found")
    .into_response()
}

impl Proxy {
    /// Answers `GET /v1/images/files/{file}` for the caller `key`: its own links only.
    pub async fn serve(&self, key: KeyId, file: &str) -> Response {
        let proxy = self;
        let token = file.split('.').next().unwrap_or("");
        let found = {
            let links = proxy.links.lock().expect("proxy lock");
            links
                .iter()
                .find(|l| l.token == token && l.key == key)
                .map(|l| (l.generation.clone(), l.index, l.format, l.compression))
        };
        let Some((generation, index, format, compression)) = found else {
            return not_found();
        };
        let bytes = match generation.image_bytes(index).await {
            Ok(b) => b,
            Err(e) => return ApiError::from_client(&e).into_response(),
        };
        let (bytes, got) = match convert::convert(bytes, format, compression) {
            Ok(x) => x,
            Err(e) => {
                return ApiError::new(StatusCode::BAD_GATEWAY, "server_error", e)
                    .with_code("conversion_failed")
                    .into_response();
            }
        };
        let mut resp = bytes.into_response();
        let h = resp.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(got.mime()));
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, max-age=86400"),
        );
        resp
    }
}
