//! The HTTP routes: `POST /v1/images/generations`, `GET /v1/models`, `GET /v1/models/{id}`,
//! `GET /health`; anything else is an OpenAI-shaped 404 (or 405).

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use futures_util::future::try_join_all;
use serde_json::{Value, json};
use visionxl::{Allowance, Client, Error, ErrorCode, GenerateRequest, Generation, wire};

use super::auth::{Auth, KeyId};
use super::convert;
use super::errors::ApiError;
use super::request::{self, ImagesRequest, MODEL_NAME, Models, OutputFormat, ResponseFormat};

/// The largest request body accepted (1 MiB); more is a 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The `created` time listed for the model (2024-01-01T00:00:00Z; fixed so lists are stable).
pub const MODEL_CREATED: u64 = 1_704_067_200;

/// What every handler shares.
#[derive(Debug)]
pub struct AppState {
    /// Callers and their upstream clients.
    pub auth: Auth,
    /// The model names served (`--model-alias`).
    pub models: Models,
    /// `--image-proxy`: image URLs on this server.
    pub proxy: Option<super::proxy::Proxy>,
}

/// `GET /v1/images/files/{file}` (`--image-proxy`): the caller's own image links only.
pub async fn image_file(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Response {
    let key = match st.auth.check(&headers) {
        Ok(k) => k,
        Err(e) => return e.into_response(),
    };
    match &st.proxy {
        Some(proxy) => proxy.serve(key, &file).await,
        None => super::proxy::not_found(),
    }
}

pub async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        super::errors::INVALID_REQUEST,
        format!("Invalid URL ({method} {})", uri.path()),
    )
    .with_code("unknown_url")
}

pub async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        super::errors::INVALID_REQUEST,
        format!("Method {method} is not allowed on {}", uri.path()),
    )
    .with_code("method_not_allowed")
}

fn model_object(id: &str) -> Value {
    json!({"id": id, "object": "model", "created": MODEL_CREATED, "owned_by": "leonardo"})
}

pub async fn list_models(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    match st.auth.check(&headers) {
        Ok(_) => {
            let data: Vec<Value> = st.models.listed().iter().map(|m| model_object(m)).collect();
            axum::Json(json!({"object": "list", "data": data})).into_response()
        }
        Err(e) => e.into_response(),
    }
}

pub async fn get_model(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(model): Path<String>,
) -> Response {
    if let Err(e) = st.auth.check(&headers) {
        return e.into_response();
    }
    if model == wire::MODEL_ID || model.eq_ignore_ascii_case(MODEL_NAME) {
        return axum::Json(model_object(MODEL_NAME)).into_response();
    }
    if st.models.serves(&model) {
        return axum::Json(model_object(&model)).into_response();
    }
    st.models.not_found(&model).into_response()
}

/// What a generation produced: the record and, for `b64_json`, every image's bytes.
type Produced = (Generation, Option<Vec<Bytes>>);

pub async fn generations(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let started = Instant::now();
    let mut key = None;
    let result = generate(&st, &headers, body, &mut key).await;
    log_answer(started, key, result, "POST /v1/images/generations")
}

/// Logs one answer of an images route (never a key: only its fingerprint).
pub fn log_answer(
    started: Instant,
    key: Option<KeyId>,
    result: Result<(Response, String), ApiError>,
    route: &'static str,
) -> Response {
    let ms = started.elapsed().as_millis();
    let key = key.map(|k| k.to_string()).unwrap_or_else(|| "-".into());
    match result {
        Ok((resp, summary)) => {
            tracing::info!(target: "visionxl::serve", status = 200u16, ms, key = %key, "{summary}");
            resp
        }
        Err(e) => {
            tracing::info!(
                target: "visionxl::serve",
                status = e.status.as_u16(),
                ms,
                key = %key,
                code = e.code.as_deref().unwrap_or("-"),
                "{route}"
            );
            e.into_response()
        }
    }
}

async fn generate(
    st: &Arc<AppState>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    key: &mut Option<KeyId>,
) -> Result<(Response, String), ApiError> {
    let (client, id) = st.auth.client_for(headers)?;
    *key = Some(id);
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                super::errors::INVALID_REQUEST,
                format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
            )
            .with_code("request_too_large")
        } else {
            ApiError::invalid_request(format!("could not read the request body: {rejection}"))
        }
    })?;
    let parsed = request::parse(&body, &st.models)?;
    answer(
        st,
        client,
        id,
        parsed,
        headers,
        "POST /v1/images/generations",
        "image_generation",
    )
    .await
}

/// Generates and answers (JSON, or server-sent events `<stream_prefix>.completed` for
/// `stream: true`); `route` names the request in the log.
pub async fn answer(
    st: &Arc<AppState>,
    client: Client,
    id: KeyId,
    parsed: ImagesRequest,
    headers: &HeaderMap,
    route: &'static str,
    stream_prefix: &'static str,
) -> Result<(Response, String), ApiError> {
    if parsed.stream {
        let summary = format!(
            "{route} stream n={} size={} model={}",
            parsed.request.n, parsed.size, parsed.model
        );
        return Ok((
            stream_answer(st.clone(), client, id, parsed, stream_prefix),
            summary,
        ));
    }
    let (generation, images) = run(
        client,
        st.auth.allowance(&id),
        parsed.request.clone(),
        parsed.format,
    )
    .await
    .map_err(|e| upstream_error(st, id, &e))?;
    let base = super::proxy::base_url(headers);
    let links = st.proxy.as_ref().map(|p| (p, base.as_str(), id));
    let (data, format) = images_data(&generation, images, &parsed, links)?;

    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let summary = format!(
        "{route} n={} size={} model={} format={} record={}",
        data.len(),
        parsed.size,
        parsed.model,
        match parsed.format {
            ResponseFormat::Url => "url",
            ResponseFormat::B64Json => "b64_json",
        },
        generation.id()
    );
    let mut resp = axum::Json(answer_body(created, data, &parsed, format)).into_response();
    let h = resp.headers_mut();
    let mut put = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    put("x-visionxl-record-id", generation.id());
    put("x-visionxl-size", parsed.size.as_str());
    if let Some(c) = generation.credits() {
        put("x-visionxl-credits", &c.to_string());
    }
    if generation.is_emulated() {
        put("x-visionxl-emulated", "true");
    }
    let mut warnings: Vec<String> = Vec::new();
    for w in parsed.warnings.iter().chain(generation.warnings()) {
        let item = format!("{}:{}", super::errors::sdk_name(&w.field), w.code);
        if !warnings.contains(&item) {
            warnings.push(item);
        }
    }
    if !warnings.is_empty() {
        put("x-visionxl-warnings", &warnings.join(","));
    }
    Ok((resp, summary))
}

/// `data[]` of the answer and the format the images are in: base64 (converted to
/// `output_format` when asked) or the service's URLs.
pub fn images_data(
    generation: &Generation,
    images: Option<Vec<Bytes>>,
    parsed: &ImagesRequest,
    links: Option<(&super::proxy::Proxy, &str, KeyId)>,
) -> Result<(Vec<Value>, OutputFormat), ApiError> {
    match images {
        Some(all) => {
            let mut data = Vec::with_capacity(all.len());
            let mut format = OutputFormat::Webp;
            for b in all {
                let (b, f) = convert::convert(b, parsed.output_format, parsed.output_compression)
                    .map_err(|e| {
                    ApiError::new(StatusCode::BAD_GATEWAY, "server_error", e)
                        .with_code("conversion_failed")
                })?;
                format = f;
                data.push(json!({
                    "b64_json": base64::engine::general_purpose::STANDARD.encode(&b),
                    "revised_prompt": null,
                }));
            }
            Ok((data, format))
        }
        None => {
            let upstream = generation
                .images()
                .first()
                .map(|i| convert::from_url(i.url()))
                .unwrap_or(OutputFormat::Webp);
            let data = match links {
                Some((proxy, base, key)) => (0..generation.images().len())
                    .map(|i| {
                        let path = proxy.link(
                            key,
                            generation,
                            i,
                            parsed.output_format,
                            parsed.output_compression,
                        );
                        json!({"url": format!("{base}{path}"), "revised_prompt": null})
                    })
                    .collect(),
                None => generation
                    .images()
                    .iter()
                    .map(|img| json!({"url": img.url(), "revised_prompt": null}))
                    .collect(),
            };
            let format = match links {
                Some(_) => parsed.output_format.unwrap_or(upstream),
                None => upstream,
            };
            Ok((data, format))
        }
    }
}

/// The answer's body, with the fields OpenAI's gpt-image answers carry.
pub fn answer_body(
    created: u64,
    data: Vec<Value>,
    parsed: &ImagesRequest,
    format: OutputFormat,
) -> Value {
    json!({
        "created": created,
        "data": data,
        "size": parsed.size.as_str(),
        "quality": parsed.quality,
        "output_format": format.as_str(),
        "background": parsed.background,
    })
}

/// `stream: true`: a 200 `text/event-stream` at once, then one `<prefix>.completed` event per
/// image (b64_json; no partial images), then the end of the stream. A failure arrives as an
/// `error` event holding OpenAI's error object, which the openai SDKs raise.
pub fn stream_answer(
    st: Arc<AppState>,
    client: Client,
    id: KeyId,
    parsed: ImagesRequest,
    prefix: &'static str,
) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<String>(8);
    tokio::spawn(async move {
        let created = now();
        let kind = format!("{prefix}.completed");
        let events: Vec<String> = match run(
            client,
            st.auth.allowance(&id),
            parsed.request.clone(),
            ResponseFormat::B64Json,
        )
        .await
        {
            Ok((generation, images)) => match images_data(&generation, images, &parsed, None) {
                Ok((data, format)) => {
                    tracing::info!(
                        target: "visionxl::serve",
                        record = generation.id(),
                        "stream: {} images",
                        data.len()
                    );
                    data.into_iter()
                        .map(|d| {
                            sse(
                                &kind,
                                &json!({
                                    "type": kind,
                                    "b64_json": d["b64_json"],
                                    "created_at": created,
                                    "size": parsed.size.as_str(),
                                    "quality": parsed.quality,
                                    "background": parsed.background,
                                    "output_format": format.as_str(),
                                    "usage": {"input_tokens": 0, "output_tokens": 0,
                                              "total_tokens": 0,
                                              "input_tokens_details":
                                                  {"image_tokens": 0, "text_tokens": 0}},
                                }),
                            )
                        })
                        .collect()
                }
                Err(e) => vec![error_event(&e)],
            },
            Err(e) => vec![error_event(&upstream_error(&st, id, &e))],
        };
        for event in events {
            if tx.send(event).await.is_err() {
                break;
            }
        }
    });
    let body =
        axum::body::Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv()
                .await
                .map(|s| (Ok::<_, std::convert::Infallible>(Bytes::from(s)), rx))
        }));
    let mut resp = Response::new(body);
    let h = resp.headers_mut();
    h.insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(
        axum::http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    );
    resp
}

/// One server-sent event.
fn sse(event: &str, data: &Value) -> String {
    format!("event: {event}\ndata: {data}\n\n")
}

/// An error as a server-sent event (`{"type": "error", "error": {...}}`).
fn error_event(e: &ApiError) -> String {
    let mut body = e.body();
    body["type"] = json!("error");
    sse("error", &body)
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The answer for an error of the client; a refused upstream key is special: in pass-through
/// mode it is the caller's key (401, and its client is forgotten), in held-key mode it is the
/// server's (502: the caller's token was fine, the operator must fix the server).
pub fn upstream_error(st: &AppState, id: KeyId, e: &Error) -> ApiError {
    if e.code() != ErrorCode::AuthenticationError {
        return ApiError::from_client(e);
    }
    st.auth.refused(id);
    if st.auth.is_pass_through() {
        ApiError::unauthorized(
            "Incorrect API key provided: 1min.ai refused the key sent as the bearer token.",
        )
        .with_visionxl_code(ErrorCode::AuthenticationError)
    } else {
        tracing::error!(
            target: "visionxl::serve",
            "1min.ai refused the server's upstream key (--api-key / ONEMIN_API_KEY)"
        );
        ApiError::new(
            StatusCode::BAD_GATEWAY,
            "server_error",
            "1min.ai refused this server's upstream API key; the server's operator must fix it.",
        )
        .with_code("upstream_key_refused")
        .with_visionxl_code(ErrorCode::AuthenticationError)
    }
}

/// Generates (and for `b64_json` downloads every image) in its own task: a caller who hangs up
/// does not cut a request that may already be paid for; its record id is logged instead.
async fn run(
    client: Client,
    allowance: Option<Allowance>,
    request: GenerateRequest,
    format: ResponseFormat,
) -> Result<Produced, Error> {
    let (tx, rx) = tokio::sync::oneshot::channel::<Result<Produced, Error>>();
    tokio::spawn(async move {
        let result = async {
            // The caller's own allowance (`--token-budget`): reserved before sending, given
            // back only when the request was certainly not charged.
            let hold = match &allowance {
                Some(a) => Some(a.reserve(u64::from(request.credits()?)).await?),
                None => None,
            };
            let generated = client.generate(&request).await;
            if let Some(h) = hold {
                h.settle(&generated);
            }
            let generation = generated?;
            let images = match format {
                ResponseFormat::Url => None,
                ResponseFormat::B64Json => Some(
                    try_join_all((0..generation.images().len()).map(|i| generation.image_bytes(i)))
                        .await?,
                ),
            };
            Ok((generation, images))
        }
        .await;
        if let Err(unsent) = tx.send(result) {
            match unsent {
                Ok((g, _)) => tracing::warn!(
                    target: "visionxl::serve",
                    record = g.id(),
                    "the caller went away before its images were ready; the record keeps them"
                ),
                Err(e) => tracing::warn!(
                    target: "visionxl::serve",
                    code = %e.code(),
                    "the caller went away; its generation failed: {e}"
                ),
            }
        }
    });
    rx.await.unwrap_or_else(|_| {
        Err(Error::new(
            ErrorCode::IoError,
            "the generation task stopped unexpectedly",
        ))
    })
}
