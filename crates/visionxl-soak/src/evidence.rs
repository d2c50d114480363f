//! What a soak run leaves for the checks: each item's outcome per pass, the pass reports, the
//! ledgers, the RSS along the way. Plain data, read by [`verify`](crate::verify) and
//! [`report`](crate::report), written by [`run`](crate::run).

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use serde::Serialize;
use visionxl::{BatchItem, GenerateRequest};
use visionxl_emulator::{ChaosReport, Ledger};

use crate::config::SoakConfig;
use crate::rss;

/// What one item ended as in one pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// Generated and saved, nothing failed.
    pub ok: bool,
    /// The code of the item's first error.
    pub code: Option<String>,
    /// A generation is in hand (paid), or the error says it may have been charged.
    pub maybe_charged: bool,
    /// The record id: of the generation, else the error's.
    pub record_id: Option<String>,
    /// An earlier pass (the manifest) already paid for the generation.
    pub resumed: bool,
    /// The saved files (kept for the last pass only).
    pub files: Vec<PathBuf>,
}

impl Outcome {
    pub(crate) fn of(item: &BatchItem, keep_files: bool) -> Outcome {
        let err = item.error();
        Outcome {
            ok: item.is_ok(),
            code: err.map(|e| e.code().as_str().to_string()),
            maybe_charged: item.result.is_ok() || err.is_some_and(|e| e.may_have_been_charged()),
            record_id: match &item.result {
                Ok(g) => Some(g.id().to_string()),
                Err(e) => e.record_id().map(str::to_string),
            },
            resumed: item.resumed,
            files: if keep_files {
                item.files.clone()
            } else {
                Vec::new()
            },
        }
    }

    /// Failed, may have been charged, record id unknown: the one outcome a resume cannot
    /// finish without risking a second charge.
    pub(crate) fn is_ambiguous(&self) -> bool {
        !self.ok && self.maybe_charged && self.record_id.is_none()
    }
}

/// One pass over the batch.
#[derive(Debug, Clone, Serialize)]
pub struct PassReport {
    /// Items in the batch.
    pub items: usize,
    /// Items that ended ok.
    pub ok: usize,
    /// Items that failed.
    pub failed: usize,
    /// Items an earlier pass had already paid for (read back or found in the manifest).
    pub resumed: usize,
    /// Failed items by error code, with the first message met for each code.
    pub failed_by_code: BTreeMap<String, CodeCount>,
    /// Wall time of the pass.
    pub seconds: f64,
    /// Items per second.
    pub items_per_sec: f64,
}

impl PassReport {
    /// The figures of a pass of `items` items, `done` of which finished (`ok` of those well)
    /// in `seconds`.
    pub fn new(
        items: usize,
        done: usize,
        ok: usize,
        resumed: usize,
        failed_by_code: BTreeMap<String, CodeCount>,
        seconds: f64,
    ) -> Self {
        PassReport {
            items,
            ok,
            failed: done - ok,
            resumed,
            failed_by_code,
            seconds,
            items_per_sec: if seconds > 0.0 {
                done as f64 / seconds
            } else {
                0.0
            },
        }
    }
}

/// How often an error code occurred, and one example.
#[derive(Debug, Clone, Serialize)]
pub struct CodeCount {
    /// Items.
    pub count: usize,
    /// The first message met.
    pub example: String,
}

/// The RSS when a share of pass 1's items had finished.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Checkpoint {
    /// Percent of pass 1's items finished.
    pub percent: u32,
    /// Items finished.
    pub completed: usize,
    /// `VmRSS` then, in KiB.
    pub rss_kib: u64,
    /// Seconds since pass 1 started.
    pub at_secs: f64,
}

pub(crate) struct Pass {
    pub outcomes: Vec<Option<Outcome>>,
    pub report: PassReport,
    pub checkpoints: Vec<Checkpoint>,
    pub join_errors: u64,
}

/// Everything the checks look at.
pub(crate) struct Evidence {
    pub config: SoakConfig,
    pub tag: String,
    pub requests: Vec<GenerateRequest>,
    pub manifest: PathBuf,
    pub images: PathBuf,
    pub pass1: Pass,
    pub pass2: Pass,
    pub chaos: ChaosReport,
    /// Record ids charged before the run (another run's, on a shared emulator).
    pub baseline: HashSet<String>,
    /// The ledger after pass 1 and after pass 2.
    pub ledger1: Ledger,
    pub ledger2: Ledger,
    pub panics: u64,
    pub samples: Vec<rss::Sample>,
    pub peak_hwm_kib: Option<u64>,
    pub end_of_pass_kib: [Option<u64>; 2],
    pub run_seconds: f64,
}
