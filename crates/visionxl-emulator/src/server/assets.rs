//! `POST /api/assets` (uploads) and the image downloads: `/asset/<path>` (the asset host) and
//! `/temp/<path>?X-Amz-...` (signed temporary URLs that expire).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::multipart::MultipartError;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use image::ImageFormat;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::reply::{json_response, live_error, s3_error, too_large_asset, unauthorized};
use crate::clock::{self, Civil};
use crate::config::MAX_ASSET_BYTES;
use crate::state::{Asset, Download, Shared};

/// The image type from the magic bytes, as `image` recognises them: (extension, MIME type)
/// for the four kinds the service takes.
fn sniff(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    let format = image::guess_format(bytes).ok()?;
    match format {
        ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP | ImageFormat::Gif => {
            Some((format.extensions_str().first()?, format.to_mime_type()))
        }
        _ => None,
    }
}

/// A multipart body that breaks off or is too large.
fn multipart_failure(e: MultipartError) -> Response {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large_asset();
    }
    live_error(
        StatusCode::BAD_REQUEST,
        "UNKNOWN_ERROR",
        "Malformed multipart body",
        Some(e.body_text()),
    )
}

pub(super) async fn upload(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let Some(owner) = shared.caller(&headers) else {
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
            Err(e) => return multipart_failure(e),
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
                Err(e) => return multipart_failure(e),
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

pub(super) async fn asset_download(
    State(shared): State<Arc<Shared>>,
    method: Method,
    Path(path): Path<String>,
) -> Response {
    serve_download(&shared, &path, method == Method::HEAD).await
}

pub(super) async fn temp_download(
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
