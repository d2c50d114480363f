//! [`Client::quote_sweep`] and [`Client::sweep`].

use std::ops::ControlFlow;

use visionxl_core::sweep::Sweep;
use visionxl_core::{Error, ErrorCode};

use super::{SweepCell, SweepOptions, SweepQuote, SweepResult, state};
use crate::batch::{BatchOptions, load_manifest};
use crate::client::Client;
use crate::manifest::manifest_key;
use crate::sheet::{SheetCell, write_contact_sheet};

/// The manifest's file name inside the sweep's directory.
const MANIFEST: &str = "manifest.jsonl";
/// Where the cells' images go inside the sweep's directory.
const CELLS: &str = "cells";

/// Expands, validates and prices `sweep` for `out_dir`, sending nothing and needing no key:
/// the seed is the one an earlier run of the same sweep there chose (else a new random one,
/// unless the sweep sets its own), and the quote says what an earlier run there already paid
/// for. What `visionxl sweep --dry-run` prints.
pub async fn quote(sweep: &Sweep, out_dir: &std::path::Path) -> Result<SweepQuote, Error> {
    quote_with(sweep, out_dir, None).await
}

/// [`quote`] with the seed given (when `Some`).
async fn quote_with(
    sweep: &Sweep,
    out_dir: &std::path::Path,
    seed: Option<u64>,
) -> Result<SweepQuote, Error> {
    let seed = seed.unwrap_or_else(|| state::seed_for(sweep, out_dir));
    let plan = sweep.plan(seed)?;
    let prior = load_manifest(&out_dir.join(MANIFEST)).await?.prior;
    let mut cells_done = 0;
    let mut credits_to_pay = 0;
    for cell in &plan.cells {
        let key = manifest_key(cell.index, &cell.request);
        if prior.get(&key).is_some_and(|p| {
            p.record.is_some()
                || p.failed_record.is_some()
                || p.ambiguous.is_some()
                || p.interrupted.is_some()
        }) {
            cells_done += 1;
        } else {
            credits_to_pay += u64::from(cell.credits);
        }
    }
    Ok(SweepQuote {
        plan,
        cells_done,
        credits_to_pay,
    })
}

impl Client {
    /// [`quote`]: the sweep's plan for `out_dir`, sending nothing.
    pub async fn quote_sweep(
        &self,
        sweep: &Sweep,
        out_dir: &std::path::Path,
    ) -> Result<SweepQuote, Error> {
        quote(sweep, out_dir).await
    }

    /// Runs a sweep: prices it first and refuses (`budget_exceeded`, nothing sent) when the
    /// cells still to pay for cost more than `opts.max_credits` or the client's budget left;
    /// writes `sweep.json` (plan and seed), generates every cell through
    /// [`generate_all`](Self::generate_all) with a manifest in `opts.out_dir` (a rerun pays
    /// only for missing cells, never twice for one), saves the images under `cells/`, then
    /// writes the contact sheet and `index.html`.
    ///
    /// ```no_run
    /// # async fn demo(client: visionxl::Client) -> Result<(), visionxl::Error> {
    /// use visionxl::{Sweep, SweepOptions};
    /// let sweep = Sweep::new("a lighthouse at dusk")
    ///     .param("size", "512x512")
    ///     .vary("guidance_scale=7,10,13")
    ///     .vary("num_inference_steps=20,40");
    /// let result = client.sweep(&sweep, SweepOptions::new("sweep-out")).await?;
    /// println!("seed {:?}, {} credits, sheet {:?}", result.seed(), result.credits, result.sheet());
    /// # Ok(()) }
    /// ```
    pub async fn sweep(&self, sweep: &Sweep, opts: SweepOptions) -> Result<SweepResult, Error> {
        let dir = opts.out_dir.clone();
        let quote = quote_with(sweep, &dir, opts.seed).await?;
        let plan = quote.plan;
        let to_pay = quote.credits_to_pay;
        if let Some(max) = opts.max_credits
            && to_pay > max
        {
            return Err(Error::new(
                ErrorCode::BudgetExceeded,
                format!(
                    "the sweep still costs {to_pay} credits ({} of {} cells to send), more than \
                     max_credits ({max}); nothing was sent",
                    plan.cells.len() - quote.cells_done,
                    plan.cells.len()
                ),
            ));
        }
        if let Some(left) = self.budget_remaining()
            && to_pay > left
        {
            return Err(Error::new(
                ErrorCode::BudgetExceeded,
                format!(
                    "the sweep still costs {to_pay} credits, more than the {left} left in the \
                     client's budget; nothing was sent"
                ),
            ));
        }
        state::write(sweep, plan.seed.unwrap_or(0), &plan, &dir)?;
        // From here on, what is sent is exactly the plan written above.
        let batch = BatchOptions {
            concurrency: opts.concurrency,
            manifest: Some(dir.join(MANIFEST)),
            out_dir: Some(dir.join(CELLS)),
            on_progress: opts.on_progress.clone(),
            cancel: opts.cancel.clone(),
            retry_ambiguous: opts.retry_ambiguous,
            ..BatchOptions::default()
        };
        let items = self
            .generate_all(plan.requests(), batch, |_| ControlFlow::Continue(()))
            .await?;
        let mut credits = 0u64;
        let mut credits_spent = 0u64;
        let mut cells = Vec::with_capacity(items.len());
        for (cell, item) in plan.cells.iter().cloned().zip(items) {
            if let Ok(g) = &item.result {
                let c = u64::from(g.credits().unwrap_or(cell.credits));
                credits += c;
                if !item.resumed {
                    credits_spent += c;
                }
            }
            cells.push(SweepCell { cell, item });
        }
        let mut result = SweepResult {
            plan,
            cells,
            credits,
            credits_spent,
            sheets: Vec::new(),
            index_html: None,
            sheet_error: None,
        };
        if opts.sheet {
            let sheet_cells: Vec<SheetCell> = result
                .cells
                .iter()
                .map(|c| SheetCell {
                    image: c.files().first().cloned(),
                    error: c
                        .error()
                        .map(|e| (e.code().as_str().to_string(), e.message().to_string())),
                })
                .collect();
            let mut plan = result.plan.clone();
            plan.credits = result.credits;
            let made =
                tokio::task::spawn_blocking(move || write_contact_sheet(&plan, &sheet_cells, &dir))
                    .await
                    .map_err(|e| {
                        Error::new(ErrorCode::IoError, format!("the contact sheet failed: {e}"))
                    })
                    .and_then(|r| r);
            match made {
                Ok(sheet) => {
                    result.sheets = sheet.sheets;
                    result.index_html = Some(sheet.index);
                }
                Err(e) => result.sheet_error = Some(e),
            }
        }
        Ok(result)
    }
}
