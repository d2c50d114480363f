//! # visionxl-emulator
//!
//! A local stand-in for the 1min.ai features endpoint serving the Leonardo Vision XL model, in
//! the spirit of stripe-mock: start it in-process on a free port, point any 1min.ai client at
//! [`Emulator::base_url`], and test against it, failures included.
//!
//! It implements `POST /api/features` (API-KEY auth, the documented validation and prices taken
//! from `visionxl-core`, synchronous and `"async": true` generation), `GET /api/results/{uuid}`,
//! `POST /api/assets`, `GET /models`, image downloads (`/asset/<path>` for the asset host,
//! `/temp/<path>?X-Amz-...` for signed temporary URLs that expire), a credit [`Ledger`] that proves
//! nothing was charged twice, and scriptable [`Fault`]s (429, 5xx, Cloudflare pages, delays,
//! dropped connections before and after charging, truncated and malformed bodies, expired
//! assets, failed generations). It binds 127.0.0.1 only. Every picture it serves is marked as
//! emulated. `docs/emulator.md` in the repository describes every endpoint, knob and fault.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use visionxl_emulator::{Emulator, EmulatorConfig, Fault, FaultKind};
//! let emu = Emulator::start(EmulatorConfig::default()).await?;
//! emu.inject(Fault::new(FaultKind::RateLimit { retry_after_secs: 1 }).on_path("/api/features"));
//! println!("POST {}/api/features with API-KEY {}", emu.base_url(), emu.api_key());
//! assert_eq!(emu.ledger().total_charged(), 0);
//! emu.shutdown().await;
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

mod chaos;
mod clock;
pub mod foreground;
pub mod log;
mod render;
mod server;
mod state;

use std::collections::BTreeMap;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

pub use crate::chaos::{Chaos, ChaosReport};
use crate::state::Shared;

/// The API key an emulator accepts when none is configured (`vxl-emulator-key`).
pub const DEFAULT_API_KEY: &str = visionxl_core::wire::EMULATOR_API_KEY;
/// The credits the default key holds.
pub const DEFAULT_CREDITS: u64 = 100_000;
/// The largest JSON request body accepted (1 MiB); larger bodies answer 413.
pub const MAX_JSON_BODY: usize = 1 << 20;
/// The largest uploaded asset accepted (20 MiB); larger uploads answer 413.
pub const MAX_ASSET_BYTES: usize = 20 << 20;
/// How many generation records are kept; the oldest are forgotten beyond this.
pub const MAX_RECORDS: usize = 200_000;
/// How many charges the ledger keeps; the oldest are dropped beyond this.
pub const MAX_LEDGER_CHARGES: usize = 1_000_000;
/// Bytes of encoded pictures kept in the download cache (64 MiB).
pub const IMAGE_CACHE_BYTES: usize = 64 << 20;
/// Bytes of uploaded assets kept (256 MiB); the oldest are forgotten beyond this.
pub const ASSET_STORE_BYTES: usize = 256 << 20;

/// An API key the emulator accepts, with its starting credit balance.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    /// The key, as sent in the `API-KEY` header.
    pub key: String,
    /// The starting balance in credits.
    pub credits: u64,
}

impl ApiKey {
    /// A key holding `credits`.
    pub fn new(key: impl Into<String>, credits: u64) -> ApiKey {
        ApiKey {
            key: key.into(),
            credits,
        }
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey")
            .field("key", &redact_key(&self.key))
            .field("credits", &self.credits)
            .finish()
    }
}

/// How an [`Emulator`] starts.
#[derive(Clone)]
pub struct EmulatorConfig {
    /// The port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// The accepted keys and their balances. Default: `vxl-emulator-key` with 100,000 credits.
    /// A key listed twice keeps its first entry.
    pub keys: Vec<ApiKey>,
    /// How long a generation takes: a synchronous POST answers after it, an async record
    /// becomes final after it. Default 0.
    pub latency: Duration,
    /// How long a signed `temporaryUrl` stays valid (whole seconds, as `X-Amz-Expires`).
    /// Default 600 s.
    pub temporary_url_ttl: Duration,
    /// Bytes added to every PNG picture (transparency `foreground_only`) as a private
    /// ancillary chunk that decoders skip, so a benchmark can download pictures as large as it
    /// needs. Default 0.
    pub picture_padding: usize,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            port: 0,
            keys: vec![ApiKey::new(DEFAULT_API_KEY, DEFAULT_CREDITS)],
            latency: Duration::ZERO,
            temporary_url_ttl: Duration::from_secs(600),
            picture_padding: 0,
        }
    }
}

impl fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("port", &self.port)
            .field("keys", &self.keys)
            .field("latency", &self.latency)
            .field("temporary_url_ttl", &self.temporary_url_ttl)
            .field("picture_padding", &self.picture_padding)
            .finish()
    }
}

/// One credit charge: a generation that was paid for.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Charge {
    /// The generation record's uuid.
    pub record_id: String,
    /// The key charged, redacted (`vxl-…-key`): never the whole key.
    pub key: String,
    /// Credits deducted.
    pub credits: u64,
    /// When, RFC 3339 UTC with milliseconds.
    pub at: String,
}

/// Every charge so far and the balance of every key.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    /// Charges in the order they happened (at most [`MAX_LEDGER_CHARGES`], oldest dropped).
    pub charges: Vec<Charge>,
    /// Current balance per redacted key.
    pub balances: BTreeMap<String, u64>,
}

impl Ledger {
    /// How many times the record was charged (a correct client makes this 0 or 1).
    pub fn charges_for(&self, record_id: &str) -> usize {
        self.charges
            .iter()
            .filter(|c| c.record_id == record_id)
            .count()
    }

    /// Credits charged in all.
    pub fn total_charged(&self) -> u64 {
        self.charges.iter().map(|c| c.credits).sum()
    }

    /// The balance of a key, given whole (it is redacted for the lookup) or already redacted.
    pub fn balance(&self, key: &str) -> Option<u64> {
        self.balances
            .get(key)
            .or_else(|| self.balances.get(&redact_key(key)))
            .copied()
    }
}

fn one() -> u32 {
    1
}

/// A scripted failure: the next `count` requests (whose path starts with `path`, when set)
/// answer as `kind` says. Requests to `/_emulator/...` are never affected.
///
/// As JSON (for `POST /_emulator/faults`) the kind's fields sit beside `count` and `path`:
/// `{"kind":"rate_limit","retry_after_secs":2,"count":1,"path":"/api/features"}`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// What happens.
    #[serde(flatten)]
    pub kind: FaultKind,
    /// How many requests it applies to (default 1).
    #[serde(default = "one")]
    pub count: u32,
    /// The path prefix it applies to, e.g. `/api/features`; `None`: any request.
    #[serde(default)]
    pub path: Option<String>,
}

impl Fault {
    /// A fault for the next matching request.
    pub fn new(kind: FaultKind) -> Fault {
        Fault {
            kind,
            count: 1,
            path: None,
        }
    }

    /// Applies to the next `n` matching requests instead of one.
    pub fn times(mut self, n: u32) -> Fault {
        self.count = n;
        self
    }

    /// Applies only to requests whose path starts with `prefix`.
    pub fn on_path(mut self, prefix: &str) -> Fault {
        self.path = Some(prefix.to_string());
        self
    }
}

/// What a [`Fault`] does.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// 429 with a `Retry-After: <secs>` header and a live-shaped JSON error body.
    RateLimit {
        /// The `Retry-After` value in seconds.
        retry_after_secs: u64,
    },
    /// This HTTP status (500, 502, 503, ...) with a live-shaped JSON body; nothing is processed
    /// or charged. An invalid status becomes 500.
    Status {
        /// The HTTP status.
        status: u16,
    },
    /// 522 with a Cloudflare-style `text/html` page (it has a `<title>`); nothing charged.
    Cloudflare,
    /// Waits this long (capped at 10 minutes), then answers normally.
    Delay {
        /// Milliseconds to wait.
        ms: u64,
    },
    /// Closes the connection without answering; nothing is processed or charged.
    DropBeforeProcessing,
    /// Processes the request and charges it (the record exists and the ledger shows it), then
    /// closes the connection before the client can read any of the answer: the ambiguous case.
    DropAfterCharge,
    /// Processes and charges, sends the headers (with the content-length of the full body) and
    /// only half of the body, then closes the connection.
    TruncatedBody,
    /// Processes and charges, then answers 200 with a body that is not valid JSON.
    MalformedJson,
    /// The next image download (`/asset/...` or `/temp/...`) answers 403 with the S3 XML
    /// "Request has expired" body. Other requests do not consume it.
    ExpiredAsset,
    /// The next generation (`POST /api/features` that passes validation) ends as a FAILURE
    /// record with `aiRecordDetail.errorMessage` = `message`; it is not charged. Other requests
    /// do not consume it.
    GenerationFailure {
        /// The failure reason.
        message: String,
    },
}

/// `vxl-emulator-key` -> `vxl-…-key`: enough to tell keys apart in logs, never the whole key.
pub fn redact_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    let n = chars.len();
    if n >= 12 {
        let head: String = chars[..4].iter().collect();
        let tail: String = chars[n - 4..].iter().collect();
        format!("{head}…{tail}")
    } else if n >= 6 {
        let head: String = chars[..2].iter().collect();
        format!("{head}…")
    } else {
        "…".to_string()
    }
}

enum Runner {
    /// Served by a task on the caller's runtime.
    Task(Option<tokio::task::JoinHandle<()>>),
    /// Served by a thread owning its own runtime.
    Thread(Option<std::thread::JoinHandle<()>>),
}

/// A running emulator on 127.0.0.1. Dropping it stops the server.
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    runner: Runner,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

async fn bind(port: u16) -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await
}

impl Emulator {
    /// Starts serving on the current tokio runtime (which must have the time and I/O drivers
    /// enabled). Fails only when the port cannot be bound.
    pub async fn start(config: EmulatorConfig) -> std::io::Result<Emulator> {
        let listener = bind(config.port).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(config, addr));
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(server::serve(listener, shared.clone(), stopped));
        tracing::info!(base_url = %shared.base_url, "visionxl emulator listening");
        Ok(Emulator {
            shared,
            addr,
            stop,
            runner: Runner::Task(Some(task)),
        })
    }

    /// Starts serving on a thread of its own with its own runtime, for synchronous callers
    /// (the CLI, Python, C tests). Safe to call inside or outside a tokio runtime.
    pub fn start_blocking(config: EmulatorConfig) -> std::io::Result<Emulator> {
        let (stop, stopped) = watch::channel(false);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let port = config.port;
        let thread = std::thread::Builder::new()
            .name("visionxl-emulator".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("visionxl-emulator-worker")
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                rt.block_on(async move {
                    let listener = match bind(port).await {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let addr = match listener.local_addr() {
                        Ok(a) => a,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let shared = Arc::new(Shared::new(config, addr));
                    let _ = ready_tx.send(Ok((shared.clone(), addr)));
                    server::serve(listener, shared, stopped).await;
                });
                rt.shutdown_timeout(Duration::from_secs(2));
            })?;
        match ready_rx.recv() {
            Ok(Ok((shared, addr))) => {
                tracing::info!(base_url = %shared.base_url, "visionxl emulator listening");
                Ok(Emulator {
                    shared,
                    addr,
                    stop,
                    runner: Runner::Thread(Some(thread)),
                })
            }
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => {
                let _ = thread.join();
                Err(std::io::Error::other(
                    "the emulator thread ended before it was ready",
                ))
            }
        }
    }

    /// `http://127.0.0.1:PORT`: pass it to a client as its base URL.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// `base_url + "/asset"`: stands in for `https://asset.1min.ai` (pass it as the client's
    /// asset base URL).
    pub fn asset_base_url(&self) -> String {
        format!("{}/asset", self.shared.base_url)
    }

    /// The first configured key (empty when no key is configured).
    pub fn api_key(&self) -> String {
        self.shared.first_key()
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every charge so far and every balance.
    pub fn ledger(&self) -> Ledger {
        self.shared.ledger()
    }

    /// Queues a fault (behind those already queued). A fault with count 0 is ignored.
    pub fn inject(&self, fault: Fault) {
        self.shared.inject(fault);
    }

    /// The faults still queued, with their remaining counts.
    pub fn pending_faults(&self) -> Vec<Fault> {
        self.shared.pending_faults()
    }

    /// Turns random faults on (replacing earlier settings and counts) or, with `None`, off.
    /// `Err` says why the settings are refused (see [`Chaos::check`]).
    ///
    /// ```no_run
    /// # fn demo(emu: &visionxl_emulator::Emulator) {
    /// use visionxl_emulator::Chaos;
    /// emu.set_chaos(Some(Chaos::new(0.2).seed(7))).unwrap(); // 20% of requests meet a fault
    /// // ... run the load ...
    /// println!("{:?}", emu.chaos_report().by_kind);
    /// emu.set_chaos(None).unwrap();
    /// # }
    /// ```
    pub fn set_chaos(&self, chaos: Option<Chaos>) -> Result<(), String> {
        self.shared.set_chaos(chaos)
    }

    /// The random faults in force, if any.
    pub fn chaos(&self) -> Option<Chaos> {
        self.shared.chaos().0
    }

    /// What the random faults did since they were set (empty when none are set).
    pub fn chaos_report(&self) -> ChaosReport {
        self.shared.chaos().1
    }

    /// Back to the configuration: balances, records, assets, ledger, faults and random faults.
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Stops the server and waits until it has stopped.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        match &mut self.runner {
            Runner::Task(task) => {
                if let Some(task) = task.take() {
                    let _ = task.await;
                }
            }
            Runner::Thread(thread) => {
                if let Some(thread) = thread.take() {
                    let _ = tokio::task::spawn_blocking(move || thread.join()).await;
                }
            }
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Runner::Thread(thread) = &mut self.runner
            && let Some(thread) = thread.take()
            && thread.thread().id() != std::thread::current().id()
        {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_never_shows_the_whole_key() {
        assert_eq!(redact_key("vxl-emulator-key"), "vxl-…-key");
        assert_eq!(redact_key("abcdefg"), "ab…");
        assert_eq!(redact_key("abc"), "…");
        let k = ApiKey::new("sk-very-secret-123456", 5);
        assert!(!format!("{k:?}").contains("secret"));
    }

    #[test]
    fn fault_json_is_flat() {
        let f: Fault = serde_json::from_str(
            r#"{"kind":"rate_limit","retry_after_secs":2,"count":3,"path":"/api/features"}"#,
        )
        .unwrap();
        assert_eq!(
            f,
            Fault::new(FaultKind::RateLimit {
                retry_after_secs: 2
            })
            .times(3)
            .on_path("/api/features")
        );
        let f: Fault = serde_json::from_str(r#"{"kind":"cloudflare"}"#).unwrap();
        assert_eq!(f, Fault::new(FaultKind::Cloudflare));
        let v = serde_json::to_value(Fault::new(FaultKind::GenerationFailure {
            message: "nsfw".into(),
        }))
        .unwrap();
        assert_eq!(v["kind"], "generation_failure");
        assert_eq!(v["message"], "nsfw");
        assert_eq!(v["count"], 1);
    }

    #[test]
    fn ledger_helpers() {
        let mut l = Ledger::default();
        for (id, c) in [("a", 10), ("b", 5), ("a", 1)] {
            l.charges.push(Charge {
                record_id: id.into(),
                key: "k".into(),
                credits: c,
                at: String::new(),
            });
        }
        l.balances.insert(redact_key(DEFAULT_API_KEY), 7);
        assert_eq!(l.charges_for("a"), 2);
        assert_eq!(l.charges_for("zz"), 0);
        assert_eq!(l.total_charged(), 16);
        assert_eq!(l.balance(DEFAULT_API_KEY), Some(7));
    }
}
