//! [`ClientBuilder`]: every knob of a [`Client`](crate::Client), with the documented defaults.

use std::fmt;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use url::{Host, Url};
use visionxl_core::error::Text;
use visionxl_core::response::DEFAULT_ASSET_BASE_URL;
use visionxl_core::wire::DEFAULT_BASE_URL;
use visionxl_core::{Error, ErrorCode, RetryPolicy, Violation, ViolationCode};

use crate::options;

/// The environment variable holding the API key.
pub const ENV_API_KEY: &str = "ONEMIN_API_KEY";
/// The environment variable holding the API base URL.
pub const ENV_BASE_URL: &str = "ONEMIN_BASE_URL";
/// The environment variable holding the asset base URL.
pub const ENV_ASSET_BASE_URL: &str = "ONEMIN_ASSET_BASE_URL";

/// Default connect timeout (10 s).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default timeout of one whole generation request (300 s: generation is slow).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
/// Default timeout of one whole image download (120 s).
pub const DEFAULT_DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(120);
/// Default pacing: the service's documented limit of 180 requests per minute.
pub const DEFAULT_REQUESTS_PER_MINUTE: u32 = 180;
/// Default cap of a JSON answer (4 MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 4 * 1024 * 1024;
/// Default cap of one image (64 MiB).
pub const DEFAULT_MAX_IMAGE_BYTES: u64 = 64 * 1024 * 1024;
/// Default first wait between two polls of a PROCESSING record (1 s); it grows to
/// [`DEFAULT_MAX_POLL_INTERVAL`].
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Default longest wait between two polls (10 s).
pub const DEFAULT_MAX_POLL_INTERVAL: Duration = Duration::from_secs(10);
/// Default time a PROCESSING record is polled before giving up with `timeout` (600 s).
pub const DEFAULT_POLL_TIMEOUT: Duration = Duration::from_secs(600);

/// The settled configuration of a client (what [`ClientBuilder::build`] produced).
#[derive(Clone)]
pub(crate) struct Config {
    pub api_key: SecretString,
    pub base_url: Url,
    pub asset_base_url: Url,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub download_timeout: Duration,
    pub retry: RetryPolicy,
    pub budget: Option<u64>,
    pub shared_limits: Option<SecretString>,
    /// With `shared_limits`: the budget too (else only pacing is shared).
    pub shared_budget: bool,
    pub requests_per_minute: u32,
    pub pacing_burst: u32,
    pub max_response_bytes: u64,
    pub max_image_bytes: u64,
    pub poll_interval: Duration,
    pub max_poll_interval: Duration,
    pub poll_timeout: Duration,
    pub async_mode: bool,
    pub user_agent: String,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("api_key", &"[redacted]")
            .field("base_url", &self.base_url.as_str())
            .field("asset_base_url", &self.asset_base_url.as_str())
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("download_timeout", &self.download_timeout)
            .field("retry", &self.retry)
            .field("budget", &self.budget)
            .field("requests_per_minute", &self.requests_per_minute)
            .field("async_mode", &self.async_mode)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Client`]. Every setting has the documented default; unset values fall back to
/// the environment (`ONEMIN_API_KEY`, `ONEMIN_BASE_URL`, `ONEMIN_ASSET_BASE_URL`) unless
/// [`ignore_env`](ClientBuilder::ignore_env) is called.
///
/// ```no_run
/// # async fn demo() -> Result<(), visionxl::Error> {
/// use std::time::Duration;
/// let client = visionxl::Client::builder()
///     .api_key("my-key")
///     .timeout(Duration::from_secs(120))
///     .max_retries(3)
///     .budget(10_000)
///     .build()?;
/// # let _ = client; Ok(()) }
/// ```
#[derive(Clone)]
pub struct ClientBuilder {
    pub(crate) api_key: Option<SecretString>,
    pub(crate) base_url: Option<String>,
    pub(crate) asset_base_url: Option<String>,
    pub(crate) use_env: bool,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) download_timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) budget: Option<u64>,
    pub(crate) shared_limits: Option<SecretString>,
    pub(crate) shared_budget: bool,
    pub(crate) requests_per_minute: u32,
    pub(crate) pacing_burst: u32,
    pub(crate) allow_insecure_http: bool,
    pub(crate) max_response_bytes: u64,
    pub(crate) max_image_bytes: u64,
    pub(crate) poll_interval: Duration,
    pub(crate) max_poll_interval: Duration,
    pub(crate) poll_timeout: Duration,
    pub(crate) async_mode: bool,
    pub(crate) user_agent: Option<String>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("base_url", &self.base_url)
            .field("asset_base_url", &self.asset_base_url)
            .field("use_env", &self.use_env)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("budget", &self.budget)
            .field("requests_per_minute", &self.requests_per_minute)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            api_key: None,
            base_url: None,
            asset_base_url: None,
            use_env: true,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            download_timeout: DEFAULT_DOWNLOAD_TIMEOUT,
            retry: RetryPolicy::default(),
            budget: None,
            shared_limits: None,
            shared_budget: true,
            requests_per_minute: DEFAULT_REQUESTS_PER_MINUTE,
            pacing_burst: 1,
            allow_insecure_http: false,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            max_image_bytes: DEFAULT_MAX_IMAGE_BYTES,
            poll_interval: DEFAULT_POLL_INTERVAL,
            max_poll_interval: DEFAULT_MAX_POLL_INTERVAL,
            poll_timeout: DEFAULT_POLL_TIMEOUT,
            async_mode: false,
            user_agent: None,
        }
    }
}

impl ClientBuilder {
    /// A builder with every default.
    pub fn new() -> Self {
        Self::default()
    }

    /// The API key (else `ONEMIN_API_KEY`). Surrounding white space is trimmed. The key is kept
    /// in a [`SecretString`], sent only as the sensitive `API-KEY` header and never printed.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(SecretString::from(key.into()));
        self
    }

    /// The API base URL (else `ONEMIN_BASE_URL`, else `https://api.1min.ai`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Where result paths are downloaded from (else `ONEMIN_ASSET_BASE_URL`). The default is
    /// `https://asset.1min.ai`, except when the base URL points at a loopback host (the
    /// emulator): then it is `<base_url>/asset`.
    pub fn asset_base_url(mut self, url: impl Into<String>) -> Self {
        self.asset_base_url = Some(url.into());
        self
    }

    /// Do not read `ONEMIN_*` environment variables for unset values.
    pub fn ignore_env(mut self) -> Self {
        self.use_env = false;
        self
    }

    /// How long to wait for a connection (default 10 s). Must be greater than 0:
    /// [`build`](Self::build) refuses 0 with a `validation_error` on `connect_timeout`.
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// How long one API request may take in all, answer included (default 300 s: generation
    /// is slow and synchronous). Must be greater than 0 ([`build`](Self::build) refuses 0).
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }

    /// How long one image download may take in all (default 120 s). Must be greater than 0
    /// ([`build`](Self::build) refuses 0).
    pub fn download_timeout(mut self, d: Duration) -> Self {
        self.download_timeout = d;
        self
    }

    /// Retries after the first attempt (default 2).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.retry.max_retries = n;
        self
    }

    /// Also retry a generation that may have reached the service (timeout after sending, 5xx,
    /// broken answer). Off by default because a second POST can be charged twice.
    pub fn retry_ambiguous(mut self, yes: bool) -> Self {
        self.retry.retry_ambiguous = yes;
        self
    }

    /// The whole retry policy (backoff base and ceiling, `Retry-After` cap, ...).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// A credit budget: a request whose price would exceed what is left fails with
    /// `budget_exceeded` before anything is sent. Shared by every clone of the client.
    pub fn budget(mut self, credits: u64) -> Self {
        self.budget = Some(credits);
        self
    }

    /// Holds pacing and the budget in Redis (`redis://` or `rediss://` URL) instead of this
    /// process, so every process and machine using the same API key shares one rate and one
    /// budget (keyed by a hash of the key; the key never reaches Redis). Each sharer sets the
    /// same `requests_per_minute` and `budget`. When Redis cannot be reached the call fails with
    /// `connection_error` naming Redis and nothing is sent. See docs/scaling.md.
    ///
    /// ```no_run
    /// let client = visionxl::Client::builder()
    ///     .shared_limits("redis://127.0.0.1:6379/0")
    ///     .budget(10_000)
    ///     .build()?;
    /// # let _ = client; Ok::<(), visionxl::Error>(())
    /// ```
    pub fn shared_limits(mut self, url: impl Into<String>) -> Self {
        self.shared_limits = Some(SecretString::from(url.into()));
        self.shared_budget = true;
        self
    }

    /// Like [`shared_limits`](Self::shared_limits) for pacing only: the rate is shared through
    /// Redis, the [`budget`](Self::budget) stays this client's own (the command line's
    /// `--max-credits` is a cap per run, not a budget shared across runs).
    pub fn shared_pacing(mut self, url: impl Into<String>) -> Self {
        self.shared_limits = Some(SecretString::from(url.into()));
        self.shared_budget = false;
        self
    }

    /// Pacing: requests per minute through one token bucket shared by every clone and thread
    /// of the client (default 180, the service's limit).
    ///
    /// `0` means pacing off: requests leave as fast as the caller sends them (429s are still
    /// retried with `Retry-After`). It is not an error.
    pub fn requests_per_minute(mut self, n: u32) -> Self {
        self.requests_per_minute = n;
        self
    }

    /// How many requests may leave at once before pacing spaces them (default 1: never more
    /// than `requests_per_minute` in any minute).
    pub fn pacing_burst(mut self, n: u32) -> Self {
        self.pacing_burst = n.max(1);
        self
    }

    /// Allow sending the key over plain `http://` to a host that is not loopback (default
    /// false; loopback hosts such as the emulator are always allowed).
    pub fn allow_insecure_http(mut self, yes: bool) -> Self {
        self.allow_insecure_http = yes;
        self
    }

    /// The largest JSON answer accepted (default 4 MiB). Must be greater than 0
    /// ([`build`](Self::build) refuses 0).
    pub fn max_response_bytes(mut self, n: u64) -> Self {
        self.max_response_bytes = n;
        self
    }

    /// The largest image accepted (default 64 MiB), downloaded or uploaded. Must be greater
    /// than 0 ([`build`](Self::build) refuses 0).
    pub fn max_image_bytes(mut self, n: u64) -> Self {
        self.max_image_bytes = n;
        self
    }

    /// The first wait between two polls of a PROCESSING record (default 1 s; it grows by half
    /// each poll up to [`max_poll_interval`](Self::max_poll_interval)). Must be greater than 0
    /// ([`build`](Self::build) refuses 0).
    pub fn poll_interval(mut self, d: Duration) -> Self {
        self.poll_interval = d;
        self
    }

    /// The longest wait between two polls (default 10 s).
    pub fn max_poll_interval(mut self, d: Duration) -> Self {
        self.max_poll_interval = d;
        self
    }

    /// How long a PROCESSING record is polled before the call fails with `timeout` naming the
    /// record id (default 600 s). Must be greater than 0 ([`build`](Self::build) refuses 0).
    pub fn poll_timeout(mut self, d: Duration) -> Self {
        self.poll_timeout = d;
        self
    }

    /// Make [`Client::generate`] use async mode: submit with `"async": true`, then poll
    /// `GET /api/results/{id}` (default false: synchronous, PROCESSING answers are polled too).
    pub fn async_mode(mut self, yes: bool) -> Self {
        self.async_mode = yes;
        self
    }

    /// The `User-Agent` header (default `visionxl-rust/<version>`).
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = Some(ua.into());
        self
    }

    /// The API base URL this builder would use: the one passed to
    /// [`base_url`](Self::base_url), else `ONEMIN_BASE_URL` (unless
    /// [`ignore_env`](Self::ignore_env)), else `https://api.1min.ai`; parsed and checked exactly
    /// as [`build`](Self::build) checks it (plain `http://` only to a loopback host unless
    /// [`allow_insecure_http`](Self::allow_insecure_http)). Needs no API key and sends nothing;
    /// the string is the one [`Client::base_url`] would return (normalised by URL parsing, e.g.
    /// `https://api.1min.ai/`). Meant for showing what a call would do (a `--dry-run`) without
    /// reading the environment again.
    ///
    /// ```
    /// let b = visionxl::Client::builder().ignore_env();
    /// assert_eq!(b.resolved_base_url()?, "https://api.1min.ai/");
    /// let b = b.base_url("http://127.0.0.1:8080");
    /// assert_eq!(b.resolved_base_url()?, "http://127.0.0.1:8080/");
    /// # Ok::<(), visionxl::Error>(())
    /// ```
    pub fn resolved_base_url(&self) -> Result<String, Error> {
        Ok(self.resolve_base()?.to_string())
    }

    /// The asset base URL this builder would use (where result paths are downloaded from): the
    /// one passed to [`asset_base_url`](Self::asset_base_url), else `ONEMIN_ASSET_BASE_URL`
    /// (unless [`ignore_env`](Self::ignore_env)), else `<base_url>/asset` when the base URL is a
    /// loopback host (the emulator), else `https://asset.1min.ai`. Needs no API key; fails as
    /// [`build`](Self::build) would on a bad base or asset URL. The string is the one
    /// [`Client::asset_base_url`] would return.
    pub fn resolved_asset_base_url(&self) -> Result<String, Error> {
        let base = self.resolve_base()?;
        Ok(self.resolve_asset_base(&base)?.to_string())
    }

    /// A non-blank environment variable, unless the environment is ignored.
    fn env(&self, name: &str) -> Option<String> {
        if !self.use_env {
            return None;
        }
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }

    fn resolve_base(&self) -> Result<Url, Error> {
        let base_raw = self
            .base_url
            .clone()
            .or_else(|| self.env(ENV_BASE_URL))
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        let base_url = parse_base("base_url", &base_raw)?;
        if base_url.scheme() == "http" && !is_loopback(&base_url) && !self.allow_insecure_http {
            return Err(config_error(
                "base_url",
                Text::new()
                    .lit(format!(
                        "refusing to send the API key over plain http to {} (not a loopback \
                         host): use https, or turn the ",
                        base_url.host_str().unwrap_or("?")
                    ))
                    .name(options::option_name("allow_insecure_http"))
                    .lit(" option on if you really mean it"),
            ));
        }
        Ok(base_url)
    }

    fn resolve_asset_base(&self, base_url: &Url) -> Result<Url, Error> {
        let asset_raw = self
            .asset_base_url
            .clone()
            .or_else(|| self.env(ENV_ASSET_BASE_URL));
        match asset_raw {
            Some(a) => parse_base("asset_base_url", &a),
            None if is_loopback(base_url) => {
                let joined = format!("{}/asset", base_url.as_str().trim_end_matches('/'));
                parse_base("asset_base_url", &joined)
            }
            None => parse_base("asset_base_url", DEFAULT_ASSET_BASE_URL),
        }
    }

    pub(crate) fn settle(self) -> Result<Config, Error> {
        self.check_settings()?;
        let key = match &self.api_key {
            Some(k) if !k.expose_secret().trim().is_empty() => k.expose_secret().trim().to_string(),
            _ => self
                .env(ENV_API_KEY)
                .map(|k| k.trim().to_string())
                .ok_or_else(|| {
                    Error::named(
                        ErrorCode::AuthenticationError,
                        Text::new()
                            .lit(format!(
                                "no API key: set the {ENV_API_KEY} environment variable or pass a \
                                 key (the "
                            ))
                            .name(options::option_name("api_key"))
                            .lit(" option)"),
                    )
                })?,
        };
        if key
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || !c.is_ascii())
        {
            return Err(Error::new(
                ErrorCode::AuthenticationError,
                "the API key contains characters that cannot be sent in an HTTP header \
                 (white space, control or non-ASCII characters)",
            ));
        }
        let shared_limits = self
            .shared_limits
            .clone()
            .map(check_redis_url)
            .transpose()?;
        let base_url = self.resolve_base()?;
        let asset_base_url = self.resolve_asset_base(&base_url)?;
        Ok(Config {
            api_key: SecretString::from(key),
            base_url,
            asset_base_url,
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            download_timeout: self.download_timeout,
            retry: self.retry,
            budget: self.budget,
            shared_limits,
            shared_budget: self.shared_budget,
            requests_per_minute: self.requests_per_minute,
            pacing_burst: self.pacing_burst,
            max_response_bytes: self.max_response_bytes,
            max_image_bytes: self.max_image_bytes,
            poll_interval: self.poll_interval,
            max_poll_interval: self.max_poll_interval.max(self.poll_interval),
            poll_timeout: self.poll_timeout,
            async_mode: self.async_mode,
            user_agent: self
                .user_agent
                .unwrap_or_else(|| format!("visionxl-rust/{}", env!("CARGO_PKG_VERSION"))),
        })
    }
}

/// A `shared_limits` URL must be `redis://` or `rediss://` with a host (checked before use).
fn check_redis_url(url: SecretString) -> Result<SecretString, Error> {
    let field = "shared_limits";
    let raw = url.expose_secret().trim().to_string();
    let parsed = Url::parse(&raw)
        .map_err(|e| config_error(field, about(field, format!(" is not a URL: {e}"))))?;
    if !matches!(parsed.scheme(), "redis" | "rediss") {
        return Err(config_error(
            field,
            about(
                field,
                format!(
                    " must be a redis:// or rediss:// URL, got scheme {:?}",
                    parsed.scheme()
                ),
            ),
        ));
    }
    if parsed.host().is_none() {
        return Err(config_error(
            field,
            about(field, " has no host".to_string()),
        ));
    }
    Ok(SecretString::from(raw))
}

fn config_error(field: &str, message: Text) -> Error {
    Error::validation(vec![Violation::named(
        options::option_name(field),
        ViolationCode::NotAllowedValue,
        message,
    )])
}

/// `<field><rest>`: a message that starts with the option's name.
fn about(field: &str, rest: String) -> Text {
    Text::new().name(options::option_name(field)).lit(rest)
}

fn parse_base(field: &str, raw: &str) -> Result<Url, Error> {
    let url = Url::parse(raw.trim())
        .map_err(|e| config_error(field, about(field, format!(" {raw:?} is not a URL: {e}"))))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(config_error(
            field,
            about(
                field,
                format!(" must be an http(s) URL, got scheme {:?}", url.scheme()),
            ),
        ));
    }
    if url.host().is_none() {
        return Err(config_error(
            field,
            about(field, format!(" {raw:?} has no host")),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(config_error(
            field,
            about(field, format!(" {raw:?} must not have a query or fragment")),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(config_error(
            field,
            about(field, " must not carry credentials".to_string()),
        ));
    }
    Ok(url)
}

/// True when the URL's host is a loopback address or `localhost`.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_key_says_how_to_set_it() {
        let e = ClientBuilder::new().ignore_env().settle().unwrap_err();
        assert_eq!(e.code(), ErrorCode::AuthenticationError);
        assert!(e.message().contains(ENV_API_KEY));
        assert!(e.message().contains("pass a key"));
    }

    #[test]
    fn loopback_rules() {
        for (u, lo) in [
            ("http://127.0.0.1:8080", true),
            ("http://127.1.2.3", true),
            ("http://[::1]:9", true),
            ("http://localhost:1", true),
            ("http://api.localhost", true),
            ("http://10.0.0.1", false),
            ("https://api.1min.ai", false),
        ] {
            assert_eq!(is_loopback(&Url::parse(u).unwrap()), lo, "{u}");
        }
    }

    #[test]
    fn asset_base_defaults() {
        let c = ClientBuilder::new()
            .ignore_env()
            .api_key("k")
            .settle()
            .unwrap();
        assert_eq!(c.base_url.as_str(), "https://api.1min.ai/");
        assert_eq!(c.asset_base_url.as_str(), "https://asset.1min.ai/");
        let c = ClientBuilder::new()
            .ignore_env()
            .api_key("k")
            .base_url("http://127.0.0.1:4000/")
            .settle()
            .unwrap();
        assert_eq!(c.asset_base_url.as_str(), "http://127.0.0.1:4000/asset");
    }

    #[test]
    fn resolved_urls_need_no_key_and_match_the_built_client() {
        let b = ClientBuilder::new().ignore_env();
        assert_eq!(b.resolved_base_url().unwrap(), "https://api.1min.ai/");
        assert_eq!(
            b.resolved_asset_base_url().unwrap(),
            "https://asset.1min.ai/"
        );
        let b = b.base_url("http://127.0.0.1:4000");
        assert_eq!(b.resolved_base_url().unwrap(), "http://127.0.0.1:4000/");
        assert_eq!(
            b.resolved_asset_base_url().unwrap(),
            "http://127.0.0.1:4000/asset"
        );
        let c = b.clone().api_key("k").build().unwrap();
        assert_eq!(b.resolved_base_url().unwrap(), c.base_url());
        assert_eq!(b.resolved_asset_base_url().unwrap(), c.asset_base_url());
        // The same checks as build().
        let bad = ClientBuilder::new()
            .ignore_env()
            .base_url("http://api.example.com");
        let e = bad.resolved_base_url().unwrap_err();
        assert_eq!(e.code(), ErrorCode::ValidationError);
        assert!(e.message().contains("plain http"), "{e}");
        assert!(
            ClientBuilder::new()
                .ignore_env()
                .base_url("ftp://x")
                .resolved_base_url()
                .is_err()
        );
    }

    #[test]
    fn plain_http_refused_off_loopback() {
        let e = ClientBuilder::new()
            .ignore_env()
            .api_key("k")
            .base_url("http://api.example.com")
            .settle()
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::ValidationError);
        assert!(e.message().contains("plain http"));
        assert!(
            ClientBuilder::new()
                .ignore_env()
                .api_key("k")
                .base_url("http://api.example.com")
                .allow_insecure_http(true)
                .settle()
                .is_ok()
        );
    }

    #[test]
    fn key_is_trimmed_and_checked() {
        let c = ClientBuilder::new()
            .ignore_env()
            .api_key("  abc\n")
            .settle()
            .unwrap();
        assert_eq!(c.api_key.expose_secret(), "abc");
        let e = ClientBuilder::new()
            .ignore_env()
            .api_key("a b")
            .settle()
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::AuthenticationError);
        assert!(!e.message().contains("a b"));
        assert!(!format!("{:?}", c).contains("abc"));
    }
}
