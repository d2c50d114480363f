//! # visionxl
//!
//! Generate images with Leonardo Vision XL through the 1min.ai API: requests validated and
//! priced before they leave, retries that never risk paying twice, pacing, a credit budget,
//! and images saved safely with an audit sidecar.
//!
//! ```no_run
//! # async fn demo() -> Result<(), visionxl::Error> {
//! use visionxl::{Client, GenerateRequest, Size};
//!
//! let client = Client::from_env()?; // ONEMIN_API_KEY
//! let req = GenerateRequest::builder("a lighthouse at dusk, volumetric light")
//!     .size(Size::S1024x768)
//!     .n(2)
//!     .build()?;
//! println!("this costs {} credits", req.credits()?);
//! let generation = client.generate(&req).await?;
//! for path in generation.save_all("out").await? {
//!     println!("saved {}", path.display());
//! }
//! # Ok(()) }
//! ```
//!
//! ## What the client does for you
//!
//! The rules behind this list (what is retried, what is never sent again, what the manifest
//! promises) are set out in `docs/ARCHITECTURE.md` in the repository.
//!
//! - **Validation first**: no request leaves with a known violation (`validation_error` lists
//!   every problem); warnings are returned on the [`Generation`].
//! - **Budget**: [`ClientBuilder::budget`] refuses a request whose price exceeds what is left
//!   (`budget_exceeded`), before anything is sent.
//! - **Pacing**: one token bucket per client (default 180 requests/minute) shared by its clones.
//! - **Retries**: connection failures before sending and 429 (with `Retry-After`) are retried
//!   with exponential backoff and full jitter. A generation that may have reached the service
//!   (timeout after sending, 5xx, broken or unreadable answer) is not retried unless
//!   [`ClientBuilder::retry_ambiguous`]; its error says it may have been charged
//!   ([`Error::may_have_been_charged`]) and names the record id when known. When the record id
//!   arrived before the answer broke, the client reads the record (`GET`) instead of failing.
//! - **Security**: the key lives in a `SecretString`, is sent only as the sensitive `API-KEY`
//!   header, never printed; plain `http://` only to loopback hosts (unless
//!   [`ClientBuilder::allow_insecure_http`]); API requests follow no redirects; downloads use a
//!   separate HTTP client that never carries the key; answers and images are size-capped.
//! - **Saving**: streamed to `*.part` then renamed, names sanitised, no silent overwrite, magic
//!   bytes checked, a sidecar `NAME.json` per image ([`Generation::save_all`]).
//! - **Batches** with a resumable JSONL manifest ([`Client::generate_many`], or
//!   [`Client::generate_all`] for every item in input order); the manifest's lines are typed in
//!   [`manifest`].
//! - **Cancellation**: drop the future, or use a [`CancelToken`] (the [`blocking`] client);
//!   [`run_cancellable`] stops any future with one.
//!
//! The asset base URL (where result paths are downloaded from) defaults to
//! `https://asset.1min.ai`, except when the base URL points at a loopback host (the visionxl
//! emulator): then it is `<base_url>/asset`.
//!
//! Everything of the pure core ([`visionxl_core`]) is re-exported here.
//!
//! ## Inside (module dependencies point one way)
//! `client` (setup, shared state, record reads, assets) sits on `config`, `transport`,
//! `limits` (pacing and budget, in-process or in Redis), `redact` and `download`. `generate` (generating and polling) and
//! `generation` (a finished record and saving it) build on `client`; `save` puts together
//! `names`, `download`, `adopt`, `sidecar` and `fs`, and knows nothing of clients or
//! generations. `batch` (types, resume, item, run) sits on top with `manifest`; `blocking`
//! wraps it all.
#![warn(missing_docs)]

mod adopt;
mod batch;
mod before_send;
pub mod blocking;
mod by_name;
mod cancel;
mod client;
mod config;
mod direct;
mod download;
mod fs;
mod generate;
mod generation;
mod limits;
pub mod manifest;
mod names;
pub mod options;
mod redact;
pub mod save;
pub mod sheet;
mod sidecar;
pub mod sweep;
mod time;
mod transport;

/// The pure core (spec, validation, pricing, wire, responses, retry policy).
pub use visionxl_core as core;
pub use visionxl_core::*;

pub use batch::{BatchItem, BatchOptions, BatchStream, Progress, ProgressFn, not_run_error};
pub use cancel::{CancelToken, cancelled_error, run_cancellable, run_cancellable_with};
pub use client::{Asset, Client, GenerateOptions};
pub use config::{
    ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_DOWNLOAD_TIMEOUT, DEFAULT_MAX_IMAGE_BYTES,
    DEFAULT_MAX_POLL_INTERVAL, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_POLL_INTERVAL,
    DEFAULT_POLL_TIMEOUT, DEFAULT_REQUESTS_PER_MINUTE, DEFAULT_TIMEOUT, ENV_API_KEY,
    ENV_ASSET_BASE_URL, ENV_BASE_URL,
};
pub use download::{DownloadProgress, DownloadProgressFn};
pub use generation::{GeneratedImage, Generation, SaveOptions};
pub use limits::{Allowance, Hold};
pub use manifest::manifest_key;
pub use sweep::{SweepCell, SweepOptions, SweepQuote, SweepResult, SweepSummary};

/// `docs/sweeps.md`, whose Rust example runs as a doctest (against the emulator).
#[cfg(doctest)]
#[doc = include_str!("../../../docs/sweeps.md")]
struct SweepsMd;

#[cfg(test)]
mod tests {
    /// Bindings move these across threads: keep them `Send + Sync`.
    #[test]
    fn public_types_are_thread_safe() {
        fn send_sync<T: Send + Sync>() {}
        fn send<T: Send>() {}
        send_sync::<crate::Client>();
        send_sync::<crate::Generation>();
        send_sync::<crate::GeneratedImage>();
        send_sync::<crate::Error>();
        send_sync::<crate::CancelToken>();
        send_sync::<crate::BatchOptions>();
        send_sync::<crate::blocking::Client>();
        send_sync::<crate::blocking::Generation>();
        send::<crate::BatchItem>();
        send::<crate::BatchStream>();
        send::<crate::blocking::BatchIter>();
    }
}
