//! Batches: many generations at once, a JSONL manifest ([`crate::manifest`]), resume without
//! paying twice.
//!
//! `types` holds the public types, `resume` what earlier runs left in the manifest, `item`
//! the steps of one item and `run` the batch calls on [`Client`](crate::Client).

mod item;
mod resume;
mod run;
mod types;

#[cfg(test)]
mod tests;

pub(crate) use resume::load as load_manifest;
pub use run::not_run_error;
pub use types::{BatchItem, BatchOptions, BatchStream, Progress, ProgressFn};
