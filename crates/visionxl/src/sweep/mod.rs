//! Running a sweep ([`visionxl_core::sweep`]): the seed chosen (and remembered in the output
//! directory so a rerun makes the same cells), the price checked against `max_credits` and the
//! client's budget, every cell generated through the batch runner and its manifest (a rerun
//! pays only for missing cells), then the contact sheet ([`crate::sheet`]).

mod run;
mod state;
mod summary;

pub use run::quote;
pub use summary::{CellSummary, SweepSummary};
pub use visionxl_core::sweep::*;

use std::path::PathBuf;

use visionxl_core::Error;

use crate::batch::{BatchItem, ProgressFn};
use crate::cancel::CancelToken;
use crate::generation::Generation;

/// Options of [`Client::sweep`](crate::Client::sweep).
#[derive(Clone)]
pub struct SweepOptions {
    /// Where the sweep lives: `sweep.json` (the plan and its seed), `manifest.jsonl`, the cell
    /// images under `cells/`, `sheet.png` and `index.html`. Rerunning the same sweep here pays
    /// only for missing cells.
    pub out_dir: PathBuf,
    /// Cells generated at once, 1..=1000 (default 4; the client's pacing still applies).
    pub concurrency: usize,
    /// Refuse (`budget_exceeded`, nothing sent) when the cells still to pay for cost more.
    pub max_credits: Option<u64>,
    /// Called after every finished cell.
    pub on_progress: Option<ProgressFn>,
    /// Stops the sweep: unfinished cells end with `cancelled`.
    pub cancel: Option<CancelToken>,
    /// Send again a cell whose earlier attempt may have been charged (see
    /// [`BatchOptions::retry_ambiguous`](crate::BatchOptions::retry_ambiguous)).
    pub retry_ambiguous: bool,
    /// Write the contact sheet and `index.html` (default true).
    pub sheet: bool,
    /// The seed for every cell when the sweep sets none; default: the one an earlier run in
    /// `out_dir` chose (`sweep.json`), else a random one. Pass a [`SweepQuote`]'s seed to run
    /// exactly what was quoted.
    pub seed: Option<u64>,
}

impl SweepOptions {
    /// Options writing into `out_dir`, with the defaults.
    pub fn new(out_dir: impl Into<PathBuf>) -> Self {
        SweepOptions {
            out_dir: out_dir.into(),
            concurrency: 4,
            max_credits: None,
            on_progress: None,
            cancel: None,
            retry_ambiguous: false,
            sheet: true,
            seed: None,
        }
    }
}

impl std::fmt::Debug for SweepOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SweepOptions")
            .field("out_dir", &self.out_dir)
            .field("concurrency", &self.concurrency)
            .field("max_credits", &self.max_credits)
            .field("cancel", &self.cancel)
            .field("retry_ambiguous", &self.retry_ambiguous)
            .field("sheet", &self.sheet)
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

/// A sweep's plan as the client sees it before sending: the plan, and what a rerun in the
/// same directory still has to pay for.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SweepQuote {
    /// The expanded, validated, priced sweep (the seed chosen or reused).
    #[serde(flatten)]
    pub plan: SweepPlan,
    /// Cells an earlier run in the same directory already paid for (or may have: those are
    /// not sent again either).
    pub cells_done: usize,
    /// Credits of the cells still to send.
    pub credits_to_pay: u64,
}

/// One finished cell: its settings and its generation or error.
#[derive(Debug)]
pub struct SweepCell {
    /// The cell (label, settings, price, request).
    pub cell: Cell,
    /// Its batch item (generation or error, saved files, whether an earlier run paid).
    pub item: BatchItem,
}

impl SweepCell {
    /// The generation, when the cell succeeded.
    pub fn generation(&self) -> Option<&Generation> {
        self.item.result.as_ref().ok()
    }

    /// The cell's first error (generation, saving or manifest), if any.
    pub fn error(&self) -> Option<&Error> {
        self.item.error()
    }

    /// The saved image files of the cell.
    pub fn files(&self) -> &[PathBuf] {
        &self.item.files
    }
}

/// What a sweep did.
#[derive(Debug)]
pub struct SweepResult {
    /// The plan that ran.
    pub plan: SweepPlan,
    /// Every cell, in plan order.
    pub cells: Vec<SweepCell>,
    /// Credits of every cell that has its generation (this run or an earlier one).
    pub credits: u64,
    /// Credits paid in this run.
    pub credits_spent: u64,
    /// The contact sheets (one per value of the third axis).
    pub sheets: Vec<PathBuf>,
    /// The `index.html` linking every cell.
    pub index_html: Option<PathBuf>,
    /// Why the contact sheet could not be written (the cells are saved regardless).
    pub sheet_error: Option<Error>,
}

impl SweepResult {
    /// The shared seed of every cell (`None` when `seed` was an axis).
    pub fn seed(&self) -> Option<u64> {
        self.plan.seed
    }

    /// The first sheet's path.
    pub fn sheet(&self) -> Option<&PathBuf> {
        self.sheets.first()
    }

    /// Cells that failed.
    pub fn failed(&self) -> usize {
        self.cells.iter().filter(|c| c.error().is_some()).count()
    }
}
