//! How an emulator starts (its keys, latency, limits) and how keys are shown.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::rate_limit::RateLimit;

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
    /// The per-key request limit of API requests (`/api/...`): past it the emulator answers
    /// 429 with `Retry-After` and counts it in the ledger (`rate_limited`). Default `None`
    /// (no limit, as the test suites need); [`RateLimit::ACCOUNT`] is the service's.
    pub rate_limit: Option<RateLimit>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            port: 0,
            keys: vec![ApiKey::new(DEFAULT_API_KEY, DEFAULT_CREDITS)],
            latency: Duration::ZERO,
            temporary_url_ttl: Duration::from_secs(600),
            picture_padding: 0,
            rate_limit: None,
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
            .field("rate_limit", &self.rate_limit)
            .finish()
    }
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
}
