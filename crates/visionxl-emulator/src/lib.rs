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
mod config;
mod emulator;
mod fault;
pub mod foreground;
mod ledger;
pub mod log;
mod rate_limit;
mod render;
mod server;
mod stamp;
mod state;

pub use crate::chaos::{Chaos, ChaosReport};
pub use crate::config::{
    ASSET_STORE_BYTES, ApiKey, DEFAULT_API_KEY, DEFAULT_CREDITS, EmulatorConfig, IMAGE_CACHE_BYTES,
    MAX_ASSET_BYTES, MAX_JSON_BODY, MAX_LEDGER_CHARGES, MAX_RECORDS, redact_key,
};
pub use crate::emulator::Emulator;
pub use crate::fault::{Fault, FaultKind, FaultKindInfo};
pub use crate::ledger::{Charge, Ledger};
pub use crate::rate_limit::RateLimit;
pub use crate::stamp::{Stamp, decode_stamp, settings_hash};
