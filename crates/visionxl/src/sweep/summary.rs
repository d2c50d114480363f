//! A finished sweep as plain data: what every front door shows of a [`SweepResult`] (the CLI's
//! `--json`, the playground, the Python and Node result objects), written once. Errors stay
//! typed until the front door encodes them its way (field names, nesting), through the
//! encoder passed to [`SweepResult::summary`].

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value};
use visionxl_core::Error;
use visionxl_core::sweep::SweepPlan;

use super::{SweepCell, SweepResult};

/// [`SweepResult`] as data, serialised with snake_case names; `E` is the front door's error
/// encoding.
#[derive(Debug, Serialize)]
pub struct SweepSummary<'a, E> {
    /// The plan that ran (axes, cells, seed, price, warnings).
    pub plan: &'a SweepPlan,
    /// The seed every cell shared (`None` when `seed` was an axis).
    pub seed: Option<u64>,
    /// True when the seed was chosen for the sweep, not set by the caller.
    pub seed_chosen: bool,
    /// Credits of every cell that has its generation (this run or an earlier one).
    pub credits: u64,
    /// Credits paid in this run.
    pub credits_spent: u64,
    /// Cells that failed.
    pub failed: usize,
    /// Every cell, in plan order.
    pub cells: Vec<CellSummary<'a, E>>,
    /// The contact sheets.
    pub sheets: &'a [PathBuf],
    /// The `index.html` linking every cell.
    pub index_html: Option<&'a Path>,
    /// Why the contact sheet could not be written.
    pub sheet_error: Option<E>,
}

/// One cell of a [`SweepSummary`].
#[derive(Debug, Serialize)]
pub struct CellSummary<'a, E> {
    /// Its position in the plan.
    pub index: usize,
    /// Column, row and sheet.
    pub coords: [usize; 3],
    /// `guidance_scale=7, num_inference_steps=20`.
    pub label: &'a str,
    /// The swept settings of this cell by axis name.
    pub settings: &'a Map<String, Value>,
    /// Its price in credits.
    pub credits: u32,
    /// True when an earlier run in the same directory paid for it.
    pub resumed: bool,
    /// The record of its generation, when it has one.
    pub record_id: Option<&'a str>,
    /// Its saved image files.
    pub files: &'a [PathBuf],
    /// Its first error, encoded by the front door.
    pub error: Option<E>,
}

impl SweepResult {
    /// This result as data, each error encoded by `error`:
    ///
    /// ```
    /// # fn show(result: &visionxl::SweepResult) -> serde_json::Value {
    /// let summary = result.summary(|e| e.code().as_str());
    /// serde_json::to_value(&summary).unwrap_or_default()
    /// # }
    /// ```
    pub fn summary<E>(&self, error: impl Fn(&Error) -> E) -> SweepSummary<'_, E> {
        SweepSummary {
            plan: &self.plan,
            seed: self.plan.seed,
            seed_chosen: self.plan.seed_chosen,
            credits: self.credits,
            credits_spent: self.credits_spent,
            failed: self.failed(),
            cells: self.cells.iter().map(|c| c.summary(&error)).collect(),
            sheets: &self.sheets,
            index_html: self.index_html.as_deref(),
            sheet_error: self.sheet_error.as_ref().map(&error),
        }
    }
}

impl SweepCell {
    fn summary<E>(&self, error: &impl Fn(&Error) -> E) -> CellSummary<'_, E> {
        CellSummary {
            index: self.cell.index,
            coords: self.cell.coords,
            label: &self.cell.label,
            settings: &self.cell.settings,
            credits: self.cell.credits,
            resumed: self.item.resumed,
            record_id: self.generation().map(|g| g.id()),
            files: self.files(),
            error: self.error().map(error),
        }
    }
}
