//! The async [`Client`]: generation, polling, records, assets.

use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use secrecy::ExposeSecret;
use serde_json::Value;
use tokio::time::Instant;
use tracing::{Instrument, field};
use url::Url;
use visionxl_core::error::Text;
use visionxl_core::response::{Endpoint, Record, interpret};
use visionxl_core::wire::{self, API_KEY_HEADER, ASSETS_PATH, FEATURES_PATH, RESULTS_PATH};
use visionxl_core::{Error, ErrorCode, GenerateRequest, Status, Violation, ViolationCode};

use crate::budget::{Budget, Reservation};
use crate::cancel::{CancelToken, cancelled_error, run_cancellable};
use crate::config::{ClientBuilder, Config, is_loopback};
use crate::generation::Generation;
use crate::pacing::Pacer;
use crate::redact::Redactor;
use crate::transport::{Failure, RawAnswer, exchange, salvage_record_id};

/// Options of one generation ([`Client::generate_with`]).
#[derive(Debug, Clone, Default)]
pub struct GenerateOptions {
    /// Submit with `"async": true` and poll `GET /api/results/{id}` until the record is final.
    /// (A PROCESSING answer is polled in synchronous mode too.)
    pub async_mode: bool,
    /// Stop the call when this token is cancelled; the error is `cancelled` (and says whether
    /// the request may already have been charged).
    pub cancel: Option<CancelToken>,
    /// How long to poll a PROCESSING record (default: the client's `poll_timeout`).
    pub poll_timeout: Option<Duration>,
}

/// An uploaded asset (init image or image prompt).
///
/// Pass [`reference`](Asset::reference) as `init_image_id` or in `image_prompts`.
#[derive(Debug, Clone, PartialEq)]
pub struct Asset {
    reference: String,
    key: Option<String>,
    path: Option<String>,
    raw: Value,
}

impl Asset {
    /// The reference to pass on: `fileContent.path`, else `asset.key`.
    pub fn reference(&self) -> &str {
        &self.reference
    }
    /// `asset.key`, when sent.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }
    /// `fileContent.path`, when sent.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }
    /// The whole answer.
    pub fn raw(&self) -> &Value {
        &self.raw
    }
}

pub(crate) struct Inner {
    pub(crate) config: Config,
    features_url: Url,
    assets_url: Url,
    api: reqwest::Client,
    pub(crate) downloads: reqwest::Client,
    key_header: HeaderValue,
    pacer: Pacer,
    budget: Option<Budget>,
    /// Scrubs the key from every error made from an answer or a transport failure.
    pub(crate) redactor: Redactor,
}

/// Runs right before each generation POST leaves (the batch appends its `sending` manifest
/// line here). `attempt` counts from 1. An error stops the call before anything is sent.
pub(crate) trait BeforeSend: Send + Sync {
    fn before_send(&self, attempt: u32) -> BoxFuture<'_, Result<(), Error>>;
}

/// The async client. Cheap to clone (one connection pool, one pacing bucket and one budget
/// shared by every clone) and safe to share across tasks and threads.
///
/// ```no_run
/// # async fn demo() -> Result<(), visionxl::Error> {
/// use visionxl::{Client, GenerateRequest, Size};
/// let client = Client::from_env()?;
/// let req = GenerateRequest::builder("a red fox in the snow").size(Size::S1024x768).build()?;
/// let generation = client.generate(&req).await?;
/// let files = generation.save_all("out").await?;
/// println!("{} -> {files:?}", generation.id());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("api_key", &"[redacted]")
            .field("base_url", &self.inner.config.base_url.as_str())
            .field("asset_base_url", &self.inner.config.asset_base_url.as_str())
            .field("budget_remaining", &self.budget_remaining())
            .finish_non_exhaustive()
    }
}

/// What a generation call has done so far (for the `cancelled` error).
#[derive(Default)]
pub(crate) struct CallState {
    sent: AtomicBool,
    record_id: Mutex<Option<String>>,
}

impl CallState {
    fn set_record(&self, id: &str) {
        if let Ok(mut r) = self.record_id.lock() {
            *r = Some(id.to_string());
        }
    }

    pub(crate) fn cancelled_error(&self) -> Error {
        let id = self.record_id.lock().ok().and_then(|r| r.clone());
        if !self.sent.load(Ordering::SeqCst) {
            return cancelled_error()
                .with_message("the generation was cancelled before anything was sent");
        }
        let msg = match &id {
            Some(id) => Text::new()
                .lit(format!(
                    "the generation was cancelled after the request was sent: it may have been \
                     charged; read record {id} with "
                ))
                .text(&Text::get_generation(id)),
            None => Text::from(
                "the generation was cancelled after the request was sent: it may have been \
                 charged (record id unknown)",
            ),
        };
        cancelled_error()
            .with_text(msg)
            .with_record_id(id)
            .with_may_have_been_charged(true)
    }
}

impl Client {
    /// A builder with every default (see [`ClientBuilder`]).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client from `ONEMIN_API_KEY`, `ONEMIN_BASE_URL` and `ONEMIN_ASSET_BASE_URL`.
    pub fn from_env() -> Result<Client, Error> {
        ClientBuilder::new().build()
    }

    pub(crate) fn from_config(config: Config) -> Result<Client, Error> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut key_header =
            HeaderValue::from_str(config.api_key.expose_secret()).map_err(|_| {
                Error::new(
                    ErrorCode::AuthenticationError,
                    "the API key cannot be sent in an HTTP header",
                )
            })?;
        key_header.set_sensitive(true);
        let build_err = |what: &str, e: reqwest::Error| {
            Error::new(
                ErrorCode::ConnectionError,
                format!(
                    "could not set up the {what} HTTP client: {}",
                    crate::transport::chain(&e)
                ),
            )
        };
        let mut api = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .user_agent(config.user_agent.clone())
            .referer(false);
        if is_loopback(&config.base_url) {
            api = api.no_proxy();
        }
        let api = api.build().map_err(|e| build_err("API", e))?;
        let mut downloads = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::limited(5))
            .connect_timeout(config.connect_timeout)
            .user_agent(config.user_agent.clone())
            .referer(false);
        if is_loopback(&config.asset_base_url) {
            downloads = downloads.no_proxy();
        }
        let downloads = downloads.build().map_err(|e| build_err("download", e))?;
        let join = |path: &str| {
            let base = config.base_url.as_str().trim_end_matches('/');
            Url::parse(&format!("{base}{path}"))
                .map_err(|e| Error::new(ErrorCode::ValidationError, format!("bad base_url: {e}")))
        };
        let features_url = join(FEATURES_PATH)?;
        let assets_url = join(ASSETS_PATH)?;
        Ok(Client {
            inner: Arc::new(Inner {
                features_url,
                assets_url,
                pacer: Pacer::new(config.requests_per_minute, config.pacing_burst),
                budget: config.budget.map(Budget::new),
                redactor: Redactor::new(&config.api_key),
                config,
                api,
                downloads,
                key_header,
            }),
        })
    }

    /// The API base URL in use.
    pub fn base_url(&self) -> &str {
        self.inner.config.base_url.as_str()
    }

    /// The asset base URL in use.
    pub fn asset_base_url(&self) -> &str {
        self.inner.config.asset_base_url.as_str()
    }

    /// Credits left in the client's budget (`None`: no budget).
    pub fn budget_remaining(&self) -> Option<u64> {
        self.inner.budget.as_ref().map(Budget::remaining)
    }

    /// Generates images: validates (no request leaves with a known violation), checks the
    /// budget, paces, sends, and polls a PROCESSING record until it is final. Uses async mode
    /// when the client was built with [`ClientBuilder::async_mode`].
    pub async fn generate(&self, req: &GenerateRequest) -> Result<Generation, Error> {
        self.generate_with(
            req,
            GenerateOptions {
                async_mode: self.inner.config.async_mode,
                ..GenerateOptions::default()
            },
        )
        .await
    }

    /// [`generate`](Self::generate) with options (async mode, cancellation, poll timeout).
    pub async fn generate_with(
        &self,
        req: &GenerateRequest,
        opts: GenerateOptions,
    ) -> Result<Generation, Error> {
        self.generate_hooked(req, opts, None).await
    }

    /// [`generate_with`](Self::generate_with), calling `hook` right before each POST.
    pub(crate) async fn generate_hooked(
        &self,
        req: &GenerateRequest,
        opts: GenerateOptions,
        hook: Option<&dyn BeforeSend>,
    ) -> Result<Generation, Error> {
        let state = CallState::default();
        let fut = self.generate_inner(req, &opts, &state, hook);
        run_cancellable(opts.cancel.as_ref(), fut, || state.cancelled_error()).await
    }

    async fn generate_inner(
        &self,
        req: &GenerateRequest,
        opts: &GenerateOptions,
        state: &CallState,
        hook: Option<&dyn BeforeSend>,
    ) -> Result<Generation, Error> {
        let warnings = req.validate().into_result()?;
        let price = req.credits()?;
        let span = tracing::info_span!(
            "visionxl.generate",
            size = %req.size,
            n = req.n,
            credits = price,
            async_mode = opts.async_mode,
            record_id = field::Empty,
        );
        async {
            let timeout = opts.poll_timeout.unwrap_or(self.inner.config.poll_timeout);
            let record = self
                .submit(req, u64::from(price), opts.async_mode, timeout, state, hook)
                .await?;
            state.set_record(&record.id);
            tracing::Span::current().record("record_id", record.id.as_str());
            let record = if record.status.is_final() {
                record
            } else {
                self.poll_until_final(&record.id, &record.status, timeout, true, 3)
                    .await
                    .map_err(|e| submitted_error(e, &record.id))?
            };
            Ok(Generation::new(
                self.clone(),
                record,
                Some(req.clone()),
                warnings,
                Some(price),
            ))
        }
        .instrument(span)
        .await
    }

    /// POSTs the generation; retries only what is safe (or ambiguous failures when opted in).
    /// `poll_timeout`: how long to poll a record whose answer broke after its id arrived.
    async fn submit(
        &self,
        req: &GenerateRequest,
        price: u64,
        async_mode: bool,
        poll_timeout: Duration,
        state: &CallState,
        hook: Option<&dyn BeforeSend>,
    ) -> Result<Record, Error> {
        let cfg = &self.inner.config;
        let body = serde_json::to_vec(&wire::request_body(req, async_mode))
            .map(Bytes::from)
            .map_err(|e| {
                Error::new(
                    ErrorCode::ValidationError,
                    format!("cannot encode the request: {e}"),
                )
            })?;
        let url = &self.inner.features_url;
        let mut retries = 0u32;
        let mut maybe_charged_before = false;
        let mut last: Option<Error> = None;
        loop {
            let reservation = match &self.inner.budget {
                None => None,
                Some(b) => match Reservation::take(b, price) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        return Err(stop_before_retry(
                            last,
                            e,
                            retries,
                            cfg.retry.retry_ambiguous,
                            maybe_charged_before,
                        ));
                    }
                },
            };
            self.inner.pacer.ready().await;
            if let Some(hook) = hook
                && let Err(e) = hook.before_send(retries + 1).await
            {
                // Nothing left this time (the reservation is released on drop); an earlier
                // attempt may still have been charged.
                return Err(stop_before_retry(
                    last,
                    e,
                    retries,
                    cfg.retry.retry_ambiguous,
                    maybe_charged_before,
                ));
            }
            if let Some(r) = reservation {
                r.commit();
            }
            state.sent.store(true, Ordering::SeqCst);
            let attempt = tracing::debug_span!(
                "visionxl.request",
                method = "POST",
                path = FEATURES_PATH,
                attempt = retries + 1,
                status = field::Empty,
            );
            let rb = self
                .inner
                .api
                .post(url.clone())
                .header(API_KEY_HEADER, self.inner.key_header.clone())
                .header(CONTENT_TYPE, "application/json")
                .timeout(cfg.timeout)
                .body(body.clone());
            let result = self
                .api_call(rb, interpret_features, |f| {
                    let id = salvage_record_id(f.partial_body());
                    f.into_error("the generation request", cfg.timeout.as_secs_f64())
                        .with_record_id(id)
                })
                .instrument(attempt)
                .await;
            let err = match result {
                Ok(record) => return Ok(record),
                Err(err) => err,
            };
            let charged = err.may_have_been_charged() || err.code() == ErrorCode::GenerationFailed;
            if let Some(b) = &self.inner.budget
                && !charged
            {
                b.release(price);
            }
            if !charged && !maybe_charged_before {
                state.sent.store(false, Ordering::SeqCst);
            }
            if err.may_have_been_charged() {
                maybe_charged_before = true;
                if let Some(id) = err.record_id().map(str::to_string) {
                    // The service made (and charged) the record: read it instead of paying again.
                    state.set_record(&id);
                    tracing::warn!(record_id = %id, code = %err.code(), "visionxl: broken answer to a generation; reading the record instead");
                    return match self
                        .poll_until_final(&id, &Status::Processing, poll_timeout, false, 3)
                        .await
                    {
                        Ok(record) => Ok(record),
                        Err(e) if e.code() == ErrorCode::GenerationFailed => Err(e),
                        Err(_) => Err(finish_ambiguous(
                            err,
                            retries,
                            cfg.retry.retry_ambiguous,
                            true,
                        )),
                    };
                }
            }
            match cfg
                .retry
                .next_delay(retries, &err, false, rand::random::<f64>())
            {
                Some(delay) => {
                    tracing::warn!(
                        target: "visionxl",
                        attempt = retries + 1,
                        delay_ms = delay.as_millis() as u64,
                        code = %err.code(),
                        status = err.status(),
                        "visionxl.retry: generation request failed, retrying"
                    );
                    tokio::time::sleep(delay)
                        .instrument(tracing::debug_span!(
                            "visionxl.retry",
                            attempt = retries + 1
                        ))
                        .await;
                    retries += 1;
                    last = Some(err);
                }
                None => {
                    return Err(finish_ambiguous(
                        err,
                        retries,
                        cfg.retry.retry_ambiguous,
                        maybe_charged_before,
                    ));
                }
            }
        }
    }

    /// GET /api/results/{id}, retried freely. `Ok(None)`: no such record.
    pub(crate) async fn fetch_record(&self, id: &str) -> Result<Option<Record>, Error> {
        let cfg = &self.inner.config;
        let url = self.record_url(id)?;
        let mut retries = 0u32;
        loop {
            self.inner.pacer.ready().await;
            let span = tracing::debug_span!(
                "visionxl.request",
                method = "GET",
                path = RESULTS_PATH,
                record_id = id,
                attempt = retries + 1,
                status = field::Empty,
            );
            let rb = self
                .inner
                .api
                .get(url.clone())
                .header(API_KEY_HEADER, self.inner.key_header.clone())
                .timeout(cfg.timeout);
            let result = self
                .api_call(
                    rb,
                    |raw| {
                        interpret(Endpoint::Results, raw.answer())
                            .map_err(|e| with_location(e, raw))
                    },
                    |f| {
                        f.into_error("reading the record", cfg.timeout.as_secs_f64())
                            .with_may_have_been_charged(false)
                    },
                )
                .instrument(span)
                .await;
            match result {
                Ok(r) => return Ok(r),
                Err(err) => {
                    let err = if err.record_id().is_none() {
                        err.with_record_id(Some(id.to_string()))
                    } else {
                        err
                    };
                    match cfg
                        .retry
                        .next_delay(retries, &err, true, rand::random::<f64>())
                    {
                        Some(delay) => {
                            tracing::warn!(
                                target: "visionxl",
                                attempt = retries + 1,
                                delay_ms = delay.as_millis() as u64,
                                code = %err.code(),
                                "visionxl.retry: reading record {id} failed, retrying"
                            );
                            tokio::time::sleep(delay).await;
                            retries += 1;
                        }
                        None => return Err(err),
                    }
                }
            }
        }
    }

    /// Polls until the record is final or `timeout` passes. `nulls_allowed`: how many
    /// `{"aiRecord": null}` answers to tolerate (a fresh record may not be readable at once).
    ///
    /// The wait before a read is the current interval, cut short at the deadline, so the last
    /// read happens at the deadline rather than up to one interval before it; only a record
    /// still not final after that read is a `timeout`.
    async fn poll_until_final(
        &self,
        id: &str,
        status: &Status,
        timeout: Duration,
        wait_first: bool,
        nulls_allowed: u32,
    ) -> Result<Record, Error> {
        let cfg = &self.inner.config;
        // A huge timeout (build accepts any positive one) means "no deadline", not a panic.
        let now = Instant::now();
        let deadline = now
            .checked_add(timeout)
            .unwrap_or_else(|| now + Duration::from_secs(30 * 365 * 86_400));
        let mut interval = cfg.poll_interval;
        let mut status = status.clone();
        let mut nulls = 0u32;
        let mut wait = wait_first;
        let span = tracing::debug_span!("visionxl.poll", record_id = id);
        async {
            loop {
                if wait {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(Error::named(
                            ErrorCode::Timeout,
                            Text::new()
                                .lit(format!(
                                    "record {id} is still {} after {:.0} s of polling; read it \
                                     later with ",
                                    status.as_str(),
                                    timeout.as_secs_f64()
                                ))
                                .text(&Text::get_generation(id)),
                        )
                        .with_record_id(Some(id.to_string())));
                    }
                    tokio::time::sleep(interval.min(deadline - now)).await;
                    interval = interval.mul_f64(1.5).min(cfg.max_poll_interval);
                }
                wait = true;
                match self.fetch_record(id).await? {
                    Some(rec) if rec.status.is_final() => return Ok(rec),
                    Some(rec) => {
                        tracing::debug!(
                            status = rec.status.as_str(),
                            "visionxl: record not final yet"
                        );
                        status = rec.status;
                    }
                    None => {
                        nulls += 1;
                        if nulls > nulls_allowed {
                            return Err(not_found(id));
                        }
                    }
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Reads a record again (`GET /api/results/{id}`): fresh download URLs for a generation
    /// made earlier. `not_found` when there is no such record. A PROCESSING record is returned
    /// as it is (see [`wait_for_generation`](Self::wait_for_generation)).
    pub async fn get_generation(&self, id: &str) -> Result<Generation, Error> {
        check_id(id)?;
        match self.fetch_record(id).await? {
            Some(record) => Ok(self.generation_from_record(record)),
            None => Err(not_found(id)),
        }
    }

    /// Reads a record and polls it until it is final (SUCCESS, or a `generation_failed`
    /// error), for up to the client's `poll_timeout`.
    pub async fn wait_for_generation(&self, id: &str) -> Result<Generation, Error> {
        check_id(id)?;
        let record = self
            .poll_until_final(
                id,
                &Status::Processing,
                self.inner.config.poll_timeout,
                false,
                0,
            )
            .await?;
        Ok(self.generation_from_record(record))
    }

    pub(crate) fn generation_from_record(&self, record: Record) -> Generation {
        let request = record
            .prompt_object
            .as_ref()
            .and_then(|p| GenerateRequest::from_wire_json(p).ok())
            .map(|(r, _)| r);
        let credits = request.as_ref().and_then(|r| r.credits().ok());
        Generation::new(self.clone(), record, request, Vec::new(), credits)
    }

    /// Uploads a local image (`POST /api/assets`) for use as `init_image_id` or in
    /// `image_prompts`. The file must be an image (checked from its magic bytes) no larger
    /// than `max_image_bytes`.
    pub async fn upload_asset(&self, path: impl AsRef<Path>) -> Result<Asset, Error> {
        let path = path.as_ref();
        let io = |e: std::io::Error| {
            Error::new(
                ErrorCode::IoError,
                format!("cannot read {}: {e}", path.display()),
            )
            .with_source(e)
        };
        let meta = tokio::fs::metadata(path).await.map_err(io)?;
        if meta.len() > self.inner.config.max_image_bytes {
            return Err(asset_violation(format!(
                "{} is {} bytes, more than the limit of {} (max_image_bytes)",
                path.display(),
                meta.len(),
                self.inner.config.max_image_bytes
            )));
        }
        let data = tokio::fs::read(path).await.map_err(io)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "asset".to_string());
        self.upload_asset_bytes(Bytes::from(data), &name).await
    }

    /// Uploads image bytes held in memory, under `file_name`.
    pub async fn upload_asset_bytes(&self, data: Bytes, file_name: &str) -> Result<Asset, Error> {
        let cfg = &self.inner.config;
        if data.len() as u64 > cfg.max_image_bytes {
            return Err(asset_violation(format!(
                "the asset is {} bytes, more than the limit of {} (max_image_bytes)",
                data.len(),
                cfg.max_image_bytes
            )));
        }
        let kind = infer::get(&data).filter(|k| k.matcher_type() == infer::MatcherType::Image);
        let Some(kind) = kind else {
            return Err(asset_violation(format!(
                "{file_name} is not an image (PNG, JPEG, WebP, ...) according to its first bytes"
            )));
        };
        let file_name = crate::save::sanitize_file_name(file_name, "asset");
        let url = &self.inner.assets_url;
        let mut retries = 0u32;
        loop {
            self.inner.pacer.ready().await;
            let part =
                reqwest::multipart::Part::stream_with_length(data.clone(), data.len() as u64)
                    .file_name(file_name.clone())
                    .mime_str(kind.mime_type())
                    .map_err(|e| {
                        Error::new(ErrorCode::ValidationError, format!("bad MIME type: {e}"))
                    })?;
            let form = reqwest::multipart::Form::new().part("asset", part);
            let rb = self
                .inner
                .api
                .post(url.clone())
                .header(API_KEY_HEADER, self.inner.key_header.clone())
                .timeout(cfg.timeout)
                .multipart(form);
            let span = tracing::debug_span!(
                "visionxl.request",
                method = "POST",
                path = ASSETS_PATH,
                attempt = retries + 1
            );
            let result = self
                .api_call(rb, parse_asset, |f| {
                    f.into_error("the asset upload", cfg.timeout.as_secs_f64())
                        .with_may_have_been_charged(false)
                })
                .instrument(span)
                .await;
            match result {
                Ok(a) => return Ok(a),
                // Uploads are not charged: they retry like reads.
                Err(err) => match cfg
                    .retry
                    .next_delay(retries, &err, true, rand::random::<f64>())
                {
                    Some(delay) => {
                        tracing::warn!(target: "visionxl", code = %err.code(), "visionxl.retry: asset upload failed, retrying");
                        tokio::time::sleep(delay).await;
                        retries += 1;
                    }
                    None => return Err(err),
                },
            }
        }
    }

    /// One API exchange and its outcome: `interpret` reads the answer, `failure` maps a
    /// transport failure. The one place where API errors are made, so the one place where the
    /// key is scrubbed from them (a service that echoes the key in its error body, a transport
    /// message that quotes it).
    async fn api_call<T>(
        &self,
        rb: reqwest::RequestBuilder,
        interpret: impl FnOnce(&RawAnswer) -> Result<T, Error>,
        failure: impl FnOnce(Failure) -> Error,
    ) -> Result<T, Error> {
        let result = match exchange(rb, self.inner.config.max_response_bytes).await {
            Ok(raw) => {
                tracing::Span::current().record("status", raw.status);
                interpret(&raw)
            }
            Err(f) => Err(failure(f)),
        };
        result.map_err(|e| self.inner.redactor.error(e))
    }

    fn endpoint(&self, path: &str) -> Url {
        let base = self.inner.config.base_url.as_str().trim_end_matches('/');
        Url::parse(&format!("{base}{path}")).unwrap_or_else(|_| self.inner.config.base_url.clone())
    }

    fn record_url(&self, id: &str) -> Result<Url, Error> {
        let mut url = self.endpoint(RESULTS_PATH);
        url.path_segments_mut()
            .map_err(|_| {
                Error::new(
                    ErrorCode::ValidationError,
                    "the base URL cannot take a path",
                )
            })?
            .push(id);
        Ok(url)
    }
}

/// A cancellable future for bindings: runs `fut` unless `token` fires first.
pub(crate) async fn cancellable<T>(
    token: Option<&CancelToken>,
    fut: impl std::future::Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    run_cancellable(token, fut, cancelled_error).await
}

fn interpret_features(raw: &RawAnswer) -> Result<Record, Error> {
    match interpret(Endpoint::Features, raw.answer()) {
        Ok(Some(record)) => Ok(record),
        Ok(None) => Err(Error::new(
            ErrorCode::InvalidResponse,
            "the service answered with an empty aiRecord",
        )
        .with_status(raw.status)
        .with_may_have_been_charged(true)),
        Err(e) => {
            let e = with_location(e, raw);
            let processed = (200..300).contains(&raw.status) || raw.status >= 500;
            if processed && e.code() != ErrorCode::GenerationFailed {
                let id = e
                    .record_id()
                    .map(str::to_string)
                    .or_else(|| salvage_record_id(&raw.body));
                Err(e.with_record_id(id).with_may_have_been_charged(true))
            } else {
                Err(e)
            }
        }
    }
}

fn with_location(e: Error, raw: &RawAnswer) -> Error {
    match (&raw.location, raw.status) {
        (Some(loc), 300..=399) => {
            let msg = format!(
                "{} (the service redirected to {loc}; API requests do not follow redirects: check \
                 base_url)",
                e.message()
            );
            e.with_message(msg)
        }
        _ => e,
    }
}

/// Why a retry did not go out (`stopped`), reported on the earlier attempt's error when there
/// was one, since that attempt may have been charged.
fn stop_before_retry(
    last: Option<Error>,
    stopped: Error,
    retries: u32,
    retry_ambiguous: bool,
    maybe_charged_before: bool,
) -> Error {
    match last {
        Some(prev) => finish_ambiguous(
            prev.clone().with_message(format!(
                "{}; not retried: {}",
                prev.message(),
                stopped.message()
            )),
            retries,
            retry_ambiguous,
            maybe_charged_before,
        ),
        None => stopped,
    }
}

/// Says plainly that an ambiguous failure may have been charged and why it was not retried.
fn finish_ambiguous(err: Error, retries: u32, retry_ambiguous: bool, maybe_charged: bool) -> Error {
    if !(err.may_have_been_charged() || maybe_charged) {
        return err;
    }
    let mut msg = err.text().lit(" — the request may have been charged");
    msg = match err.record_id() {
        Some(id) => msg
            .lit(format!("; its record is {id}: read it with "))
            .text(&Text::get_generation(id))
            .lit(" instead of paying again"),
        None => msg
            .lit("; the record id is unknown: check the account's history before sending it again"),
    };
    if !retry_ambiguous {
        msg = msg
            .lit("; not retried, to avoid paying twice (the ")
            .name(crate::options::option_name("retry_ambiguous"))
            .lit(" option opts in)");
    } else if retries > 0 {
        msg = msg.lit(format!("; gave up after {} attempts", retries + 1));
    }
    err.with_text(msg).with_may_have_been_charged(true)
}

/// An error after the record was created: name it, it may have been charged.
fn submitted_error(err: Error, id: &str) -> Error {
    if err.code() == ErrorCode::GenerationFailed {
        return err;
    }
    let msg = err
        .text()
        .lit(format!(
            " (the generation was submitted as record {id}; read it later with "
        ))
        .text(&Text::get_generation(id))
        .lit(")");
    err.with_text(msg)
        .with_record_id(Some(id.to_string()))
        .with_may_have_been_charged(true)
}

fn not_found(id: &str) -> Error {
    Error::new(
        ErrorCode::NotFound,
        format!("there is no record with id {id:?}"),
    )
    .with_record_id(Some(id.to_string()))
}

fn check_id(id: &str) -> Result<(), Error> {
    let bad = id.trim().is_empty() || id.len() > 200 || id.chars().any(char::is_control);
    if bad {
        return Err(Error::validation(vec![Violation::new(
            "id",
            ViolationCode::NotAllowedValue,
            "a record id must be 1..=200 characters without control characters",
        )]));
    }
    Ok(())
}

fn asset_violation(message: String) -> Error {
    Error::validation(vec![Violation::new(
        "asset",
        ViolationCode::NotAllowedValue,
        message,
    )])
}

fn parse_asset(raw: &RawAnswer) -> Result<Asset, Error> {
    if !(200..300).contains(&raw.status) {
        return Err(visionxl_core::response::api_error(raw.answer()));
    }
    let invalid = |what: &str| {
        Error::new(
            ErrorCode::InvalidResponse,
            format!("the asset upload answer is not the documented JSON: {what}"),
        )
        .with_status(raw.status)
    };
    let body: Value = serde_json::from_slice(&raw.body).map_err(|e| invalid(&e.to_string()))?;
    let s = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let path = s(body.pointer("/fileContent/path"));
    let key = s(body.pointer("/asset/key"));
    let reference = path
        .clone()
        .or_else(|| key.clone())
        .ok_or_else(|| invalid("no fileContent.path or asset.key"))?;
    Ok(Asset {
        reference,
        key,
        path,
        raw: body,
    })
}
