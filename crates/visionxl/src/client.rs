//! The async [`Client`]: its setup, shared state, record reads and assets. Generating is in
//! `generate.rs`.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use reqwest::header::HeaderValue;
use secrecy::ExposeSecret;
use serde_json::Value;
use tracing::{Instrument, field};
use url::Url;
use visionxl_core::response::{Endpoint, Record, interpret};
use visionxl_core::wire::{API_KEY_HEADER, ASSETS_PATH, FEATURES_PATH, RESULTS_PATH};
use visionxl_core::{Error, ErrorCode, Violation, ViolationCode};

use crate::cancel::CancelToken;
use crate::config::{ClientBuilder, Config, is_loopback};
use crate::download::Downloader;
use crate::limits::{self, Limits};
use crate::redact::Redactor;
use crate::transport::{Failure, RawAnswer, exchange};

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
    pub(crate) features_url: Url,
    assets_url: Url,
    pub(crate) api: reqwest::Client,
    /// The blocking client's per-thread siblings send API calls on connections of their own
    /// (`crate::direct`); `None` elsewhere, or when a proxy applies.
    direct: Option<crate::direct::Direct>,
    downloader: Downloader,
    /// Shared with [`Client::with_own_pools`] siblings (one verifier, one root store).
    tls: rustls::ClientConfig,
    pub(crate) key_header: HeaderValue,
    /// Pacing and budget: in-process, or shared through Redis; shared with
    /// [`Client::with_own_pools`] siblings.
    pub(crate) limits: Arc<dyn Limits>,
    /// Scrubs the key from every error made from an answer or a transport failure.
    pub(crate) redactor: Redactor,
}

/// The API and the download HTTP clients of `config`, each with its own connection pool.
fn http_clients(
    config: &Config,
    tls: &rustls::ClientConfig,
) -> Result<(reqwest::Client, reqwest::Client), Error> {
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
        .tls_backend_preconfigured(tls.clone())
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(config.connect_timeout)
        .user_agent(config.user_agent.clone())
        .referer(false);
    if is_loopback(&config.base_url) {
        api = api.no_proxy();
    }
    let api = api.build().map_err(|e| build_err("API", e))?;
    let mut downloads = reqwest::Client::builder()
        .tls_backend_preconfigured(tls.clone())
        .redirect(reqwest::redirect::Policy::limited(5))
        .connect_timeout(config.connect_timeout)
        .user_agent(config.user_agent.clone())
        .referer(false);
    if is_loopback(&config.asset_base_url) {
        downloads = downloads.no_proxy();
    }
    let downloads = downloads.build().map_err(|e| build_err("download", e))?;
    Ok((api, downloads))
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
        let mut key_header =
            HeaderValue::from_str(config.api_key.expose_secret()).map_err(|_| {
                Error::new(
                    ErrorCode::AuthenticationError,
                    "the API key cannot be sent in an HTTP header",
                )
            })?;
        key_header.set_sensitive(true);
        let tls = crate::transport::tls_config()?;
        let (api, downloads) = http_clients(&config, &tls)?;
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
                limits: limits::for_config(&config)?,
                redactor: Redactor::new(&config.api_key),
                downloader: Downloader {
                    http: downloads,
                    timeout: config.download_timeout,
                    max_image_bytes: config.max_image_bytes,
                    retry: config.retry,
                    redactor: Redactor::new(&config.api_key),
                },
                config,
                api,
                direct: None,
                key_header,
                tls,
            }),
        })
    }

    /// A client with this one's settings, pacing bucket and budget but connection pools of its
    /// own. The blocking client gives each calling thread one: hyper's pooled connections are
    /// driven by the runtime that opened them. `direct`: API calls go on the client's own
    /// blocking connections (one call at a time per thread; see `crate::direct`), unless a
    /// proxy applies.
    pub(crate) fn with_own_pools(&self, direct: bool) -> Result<Client, Error> {
        let i = &self.inner;
        let (api, downloads) = http_clients(&i.config, &i.tls)?;
        let direct = match direct {
            true => crate::direct::Direct::for_config(&i.config, &i.tls, i.key_header.as_bytes())?,
            false => None,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                config: i.config.clone(),
                features_url: i.features_url.clone(),
                assets_url: i.assets_url.clone(),
                api,
                direct,
                downloader: Downloader {
                    http: downloads,
                    ..i.downloader.clone()
                },
                key_header: i.key_header.clone(),
                limits: i.limits.clone(),
                redactor: i.redactor.clone(),
                tls: i.tls.clone(),
            }),
        })
    }

    /// What downloads need of this client (its download HTTP client and settings).
    pub(crate) fn downloader(&self) -> &Downloader {
        &self.inner.downloader
    }

    /// The API base URL in use.
    pub fn base_url(&self) -> &str {
        self.inner.config.base_url.as_str()
    }

    /// The asset base URL in use.
    pub fn asset_base_url(&self) -> &str {
        self.inner.config.asset_base_url.as_str()
    }

    /// Credits left in the client's budget (`None`: no budget). With
    /// [`shared_limits`](crate::ClientBuilder::shared_limits), as this process last saw it in
    /// Redis (other processes may have spent since).
    pub fn budget_remaining(&self) -> Option<u64> {
        self.inner.limits.remaining()
    }

    /// GET /api/results/{id}, retried freely. `Ok(None)`: no such record.
    pub(crate) async fn fetch_record(&self, id: &str) -> Result<Option<Record>, Error> {
        let cfg = &self.inner.config;
        let url = self.record_url(id)?;
        let mut retries = 0u32;
        loop {
            self.inner.limits.pace().await?;
            let span = tracing::debug_span!(
                "visionxl.request",
                method = "GET",
                path = RESULTS_PATH,
                record_id = id,
                attempt = retries + 1,
                status = field::Empty,
            );
            let result = self
                .api_call(
                    self.send_api(reqwest::Method::GET, &url, None),
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
        let file_name = crate::names::sanitize_file_name(file_name, "asset");
        let url = &self.inner.assets_url;
        let mut retries = 0u32;
        loop {
            self.inner.limits.pace().await?;
            let part =
                reqwest::multipart::Part::stream_with_length(data.clone(), data.len() as u64)
                    .file_name(file_name.clone())
                    .mime_str(kind.mime_type())
                    .map_err(|e| {
                        Error::new(ErrorCode::ValidationError, format!("bad MIME type: {e}"))
                    })?;
            let form = reqwest::multipart::Form::new().part("asset", part);
            let rb = self.reqwest_api(reqwest::Method::POST, url).multipart(form);
            let span = tracing::debug_span!(
                "visionxl.request",
                method = "POST",
                path = ASSETS_PATH,
                attempt = retries + 1
            );
            let sent = exchange(rb, cfg.max_response_bytes);
            let result = self
                .api_call(sent, parse_asset, |f| {
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

    /// Whether API calls go on the blocking client's own connections (no runtime turns needed
    /// before them; see `blocking/local.rs`).
    pub(crate) fn is_direct(&self) -> bool {
        self.inner.direct.is_some()
    }

    /// Sends an API request with the key (`json`: a JSON body to POST) within the client's
    /// timeout: on the direct transport when this client has one, else through reqwest.
    pub(crate) async fn send_api(
        &self,
        method: reqwest::Method,
        url: &Url,
        json: Option<&Bytes>,
    ) -> Result<RawAnswer, Failure> {
        let i = &self.inner;
        let (timeout, cap) = (i.config.timeout, i.config.max_response_bytes);
        if let Some(direct) = &i.direct {
            return direct.exchange(method.as_str(), url, json.map(|b| &b[..]), timeout, cap);
        }
        let mut rb = self.reqwest_api(method, url);
        if let Some(body) = json {
            rb = rb
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        exchange(rb, cap).await
    }

    /// An API request through reqwest: the key and the client's timeout set.
    fn reqwest_api(&self, method: reqwest::Method, url: &Url) -> reqwest::RequestBuilder {
        let i = &self.inner;
        i.api
            .request(method, url.clone())
            .header(API_KEY_HEADER, i.key_header.clone())
            .timeout(i.config.timeout)
    }

    /// One API exchange and its outcome: `interpret` reads the answer, `failure` maps a
    /// transport failure. The one place where API errors are made, so the one place where the
    /// key is scrubbed from them (a service that echoes the key in its error body, a transport
    /// message that quotes it).
    pub(crate) async fn api_call<T>(
        &self,
        sent: impl std::future::Future<Output = Result<RawAnswer, Failure>>,
        interpret: impl FnOnce(&RawAnswer) -> Result<T, Error>,
        failure: impl FnOnce(Failure) -> Error,
    ) -> Result<T, Error> {
        let result = match sent.await {
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

pub(crate) fn with_location(e: Error, raw: &RawAnswer) -> Error {
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

pub(crate) fn not_found(id: &str) -> Error {
    Error::new(
        ErrorCode::NotFound,
        format!("there is no record with id {id:?}"),
    )
    .with_record_id(Some(id.to_string()))
}

pub(crate) fn check_id(id: &str) -> Result<(), Error> {
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

impl ClientBuilder {
    /// Builds the client: checks the key and URLs, makes the connection pools.
    ///
    /// Fails with `validation_error` when a setting is out of range (checked first, every bad
    /// setting listed, each violation's `field` naming the setting, code `out_of_range`): a
    /// zero `connect_timeout`, `timeout`, `download_timeout`, `poll_interval`, `poll_timeout`,
    /// `max_response_bytes` or `max_image_bytes` (`requests_per_minute = 0` is valid: pacing
    /// off). Then with `authentication_error` when there is no key, and with
    /// `validation_error` for a bad URL or plain `http://` to a host that is not loopback.
    pub fn build(self) -> Result<Client, Error> {
        let config = self.settle()?;
        Client::from_config(config)
    }
}
