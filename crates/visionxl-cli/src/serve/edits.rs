//! `POST /v1/images/edits`: the multipart `image` (or `image[]`) is uploaded as a 1min.ai asset
//! and becomes the init image of a Vision XL generation (further images become image
//! prompts); `mask` is refused (Vision XL has no masked edit here). `POST
//! /v1/images/variations` is a 400 that says why and what to use instead.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use visionxl::{ParamValue, Violation, spec};

use super::auth::KeyId;
use super::errors::ApiError;
use super::request::{self, text_value};
use super::routes::{AppState, answer, log_answer, upstream_error};

/// The largest multipart body of an edit (images included): 25 MiB.
pub const MAX_EDIT_BYTES: usize = 25 * 1024 * 1024;

/// The init strength of an edit when the caller gives none (`init_strength`, 0.1..=0.9): the
/// images keep the uploaded image's composition but may change its details.
pub const DEFAULT_EDIT_INIT_STRENGTH: f64 = 0.5;

/// At most this many images per edit: the first is the init image, the rest image prompts.
pub const MAX_EDIT_IMAGES: usize = 5;

/// The `POST /v1/images/edits` handler.
pub async fn edits(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Response {
    let started = Instant::now();
    let mut key = None;
    let result = edit(&st, &headers, form, &mut key).await;
    log_answer(started, key, result, "POST /v1/images/edits")
}

async fn edit(
    st: &Arc<AppState>,
    headers: &HeaderMap,
    form: Result<Multipart, MultipartRejection>,
    key: &mut Option<KeyId>,
) -> Result<(Response, String), ApiError> {
    let (client, id) = match st.auth.client_for(headers) {
        Ok(x) => x,
        Err(e) => {
            // Read the upload to its end (bounded by MAX_EDIT_BYTES) so the client sees the
            // 401, not a connection reset.
            if let Ok(mut form) = form {
                while let Ok(Some(part)) = form.next_field().await {
                    if part.bytes().await.is_err() {
                        break;
                    }
                }
            }
            return Err(e);
        }
    };
    *key = Some(id);
    let mut form = form.map_err(|e| {
        ApiError::invalid_request(format!(
            "/v1/images/edits takes a multipart/form-data body with `image` (or `image[]`) \
             files and a `prompt`: {e}"
        ))
        .with_code("invalid_multipart")
    })?;
    let bad_part = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                super::errors::INVALID_REQUEST,
                format!("the edit is larger than {MAX_EDIT_BYTES} bytes"),
            )
            .with_code("request_too_large")
        } else {
            ApiError::invalid_request(format!("could not read the multipart body: {e}"))
                .with_code("invalid_multipart")
        }
    };
    let mut images: Vec<(String, Bytes)> = Vec::new();
    let mut fields: Vec<(String, Value)> = Vec::new();
    let mut has_init_strength = false;
    let mut mask = false;
    while let Some(part) = form.next_field().await.map_err(bad_part)? {
        let name = part.name().unwrap_or("").to_string();
        match name.as_str() {
            "image" | "image[]" => {
                let file = part.file_name().unwrap_or("image.png").to_string();
                let data = part.bytes().await.map_err(bad_part)?;
                images.push((file, data));
            }
            "mask" | "mask[]" => {
                // Read to the end first: answering before the body is read makes some
                // clients see a reset connection instead of the 400.
                let _ = part.bytes().await.map_err(bad_part)?;
                mask = true;
            }
            _ => {
                let text = part.text().await.map_err(bad_part)?;
                if spec::by_sdk(&name).or_else(|| spec::by_wire(&name))
                    == Some(spec::by_field(spec::Field::InitStrength))
                {
                    has_init_strength = true;
                }
                let value = text_value(&name, &text);
                fields.push((name, value));
            }
        }
    }
    if mask {
        return Err(ApiError::invalid_request(
            "Vision XL has no masked edit here: `mask` is not supported. Send the image \
             without a mask: it becomes the init image of a new generation \
             (init_strength sets how closely the result follows it).",
        )
        .with_param("mask")
        .with_code("mask_not_supported"));
    }
    if images.is_empty() {
        return Err(ApiError::invalid_request(
            "an edit needs an image: send it as the multipart file `image` (or `image[]`)",
        )
        .with_param("image")
        .with_code("missing_image"));
    }
    if images.len() > MAX_EDIT_IMAGES {
        return Err(ApiError::invalid_request(format!(
            "at most {MAX_EDIT_IMAGES} images per edit (the first is the init image, the others \
             image prompts); got {}",
            images.len()
        ))
        .with_param("image")
        .with_code("too_many_images"));
    }
    if !has_init_strength {
        fields.push((
            "init_strength".into(),
            Value::from(DEFAULT_EDIT_INIT_STRENGTH),
        ));
    }
    // Validated with a stand-in reference first, so nothing is uploaded for a bad request.
    fields.push(("init_image_id".into(), Value::from("pending-upload")));
    let mut parsed =
        request::parse_fields(fields.iter().map(|(k, v)| (k.as_str(), v)), &st.models)?;

    let mut refs = Vec::with_capacity(images.len());
    for (file, data) in images {
        let asset = client.upload_asset_bytes(data, &file).await.map_err(|e| {
            match e.violations().first() {
                Some(_) => ApiError::from_violations(
                    &e.violations()
                        .iter()
                        .map(|v| Violation::new("image", v.code, v.message.clone()))
                        .collect::<Vec<_>>(),
                ),
                None => upstream_error(st, id, &e),
            }
        })?;
        refs.push(asset.reference().to_string());
    }
    let mut refs = refs.into_iter();
    parsed.request.init_image_id = refs.next();
    let prompts: Vec<String> = refs.collect();
    if !prompts.is_empty() {
        let mut all = parsed.request.image_prompts.clone().unwrap_or_default();
        all.extend(prompts);
        if let Err(v) = parsed.request.set(
            spec::Field::ImagePrompts,
            ParamValue::List(all.into_iter().map(ParamValue::Str).collect()),
        ) {
            return Err(ApiError::from_violations(&[v]));
        }
        let report = parsed.request.validate();
        if !report.errors.is_empty() {
            return Err(ApiError::from_violations(&report.errors));
        }
    }
    answer(
        st,
        client,
        id,
        parsed,
        headers,
        "POST /v1/images/edits",
        "image_edit",
    )
    .await
}

/// `POST /v1/images/variations`: always a 400 (with the reason and the alternative).
pub async fn variations(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    // Read (and dropped) before answering: answering before the body is read makes some
    // clients see a reset connection instead of the 400.
    _body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    if let Err(e) = st.auth.check(&headers) {
        return e.into_response();
    }
    ApiError::invalid_request(
        "Leonardo Vision XL makes no variations without a prompt: /v1/images/variations is not \
         supported. Use POST /v1/images/edits with the image and a prompt describing the result \
         (the image becomes the init image; init_strength sets how closely it is followed).",
    )
    .with_code("variations_not_supported")
    .into_response()
}
