//! Node.js bindings of visionxl (napi-rs 3). The addon is private to the `visionxl` npm package:
//! `node/lib/*.js` wraps it into the public API (docs/ARCHITECTURE.md, "Layers") — errors into `VisionXLError`,
//! `AbortSignal`s into cancel tokens, records into plain objects.
//!
//! Every export either runs in microseconds on the JS thread (validation, prices) or returns a
//! Promise settled from napi's tokio runtime (network and disk), so nothing blocks the event loop.
#![warn(missing_docs)]
#![deny(clippy::all)]

pub mod client;
pub mod convert;
pub mod core_api;
pub mod emulator;
pub mod error;
pub mod sweep;
