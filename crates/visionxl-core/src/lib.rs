//! # visionxl-core
//!
//! The pure heart of the visionxl SDK for Leonardo Vision XL on the 1min.ai API: the parameter
//! table ([`spec::PARAMS`]), typed requests ([`GenerateRequest`]), validation that reports every
//! problem at once ([`validate()`]), prices ([`estimate_credits`], [`plan_batches`]), the wire
//! format ([`wire`]), response and error parsing ([`response`]), and retry decisions
//! ([`retry`]). No I/O, no async runtime, no HTTP: the `visionxl` crate and the Python, Node
//! and C bindings build on it.
//!
//! ```
//! use visionxl_core::{GenerateRequest, Preset, Size};
//! let req = GenerateRequest::builder("a misty forest, volumetric light")
//!     .size(Size::S768x1024)
//!     .n(2)
//!     .preset(Preset::MaxDetail)
//!     .build()?;
//! assert_eq!(req.credits()?, 312);
//! # Ok::<(), visionxl_core::Error>(())
//! ```
#![warn(missing_docs)]

// Layers, bottom up (no module uses one above it; `scripts/check-module-cycles.py` checks):
// - leaves: error, suggest, value, params (the parameter table), preset_style, choices
// - spec (the table as data), check (per-value checks), size, pricing, param_type
// - request (the typed request, generated from the table)
// - presets, validate (cross-field rules), wire, builder, parse, snippets (the request as code)
// - response, retry: independent of requests
mod check;
mod choices;
mod param_type;
mod params;

pub mod builder;
pub mod error;
pub mod parse;
pub mod preset_style;
pub mod presets;
pub mod pricing;
pub mod request;
pub mod response;
pub mod retry;
pub mod size;
pub mod snippets;
pub mod spec;
pub mod suggest;
pub mod sweep;
pub mod validate;
pub mod value;
pub mod wire;

pub use builder::GenerateRequestBuilder;
pub use error::{Error, ErrorCode, Report, Violation, ViolationCode};
pub use presets::Preset;
pub use pricing::{
    BatchPlan, estimate_credits, estimate_credits_str, plan_batches, plan_batches_str, price_hint,
};
pub use request::{
    Checked, GenerateRequest, PhotoRealVersion, PresetStyle, PromptMagicVersion, Transparency,
};
pub use response::{Answer, Endpoint, ImageRef, Record, Status};
pub use retry::{RetryPolicy, parse_retry_after};
pub use size::Size;
pub use spec::{Field, Group, Naming, ParamSpec};
pub use sweep::{Sweep, SweepPlan};
pub use validate::validate;
pub use value::ParamValue;
