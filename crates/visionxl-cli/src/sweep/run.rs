//! Running `visionxl sweep`: plan and price, print the grid, then run and write the sheet.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::ArgMatches;
use serde_json::json;
use visionxl::sweep::{Sweep, SweepQuote, quote};
use visionxl::{CancelToken, Error, ErrorCode, Naming, ParamValue, Preset, SweepOptions};

use crate::args::param_values;
use crate::connect::connect;
use crate::output;

/// `visionxl sweep`.
pub async fn run(m: &ArgMatches, quiet: bool, cancel: &CancelToken) -> Result<(), Error> {
    let json_out = m.get_flag("json");
    let r = run_inner(m, quiet, cancel).await;
    if let (Err(e), true) = (&r, json_out) {
        println!("{}", output::error_json(e));
    }
    r
}

/// The sweep the command line describes.
fn build(m: &ArgMatches) -> Sweep {
    let prompt = m.get_one::<String>("prompt").expect("required").clone();
    let mut params: Vec<(&str, ParamValue)> = vec![("prompt", ParamValue::Str(prompt))];
    params.extend(param_values(m));
    let mut sweep = Sweep::from_params(params, Naming::Sdk)
        .max_cells(*m.get_one::<usize>("max_cells").expect("has a default"));
    if let Some(p) = m
        .get_one::<String>("preset")
        .and_then(|n| Preset::ALL.into_iter().find(|p| p.name() == n))
    {
        sweep = sweep.preset(p);
    }
    for axis in m.get_many::<String>("vary").into_iter().flatten() {
        sweep = sweep.vary(axis);
    }
    sweep
}

async fn run_inner(m: &ArgMatches, quiet: bool, cancel: &CancelToken) -> Result<(), Error> {
    let json_out = m.get_flag("json");
    let out = PathBuf::from(m.get_one::<String>("out").expect("has a default"));
    let sweep = build(m);
    let q = quote(&sweep, &out).await?;
    if m.get_flag("dry_run") {
        if json_out {
            println!("{}", serde_json::to_string_pretty(&q).unwrap_or_default());
        } else {
            print_grid(&q, &out, &mut std::io::stdout());
        }
        return Ok(());
    }
    print_grid(&q, &out, &mut std::io::stderr());
    if let Some(max) = m.get_one::<u64>("max_credits").copied()
        && q.credits_to_pay > max
        && !m.get_flag("yes")
        && !crate::generate::confirm("this sweep", q.credits_to_pay, max)?
    {
        return Err(Error::new(
            ErrorCode::BudgetExceeded,
            format!(
                "this sweep costs {} credits, more than --max-credits {max}; nothing was sent",
                q.credits_to_pay
            ),
        ));
    }
    let conn = connect(m, None).await?;
    if conn.emulated() {
        eprintln!("using the embedded emulator: images are EMULATED, no 1min.ai credits are spent");
    }
    let mut opts = SweepOptions::new(&out);
    opts.concurrency = *m.get_one::<u32>("concurrency").expect("has a default") as usize;
    opts.cancel = Some(cancel.clone());
    // Run exactly what was printed (the seed shown).
    opts.seed = q.plan.seed.filter(|_| q.plan.seed_chosen);
    let bar = output::bar(quiet, q.plan.cells.len() as u64);
    if let Some(bar) = bar.clone() {
        opts.on_progress = Some(Arc::new(move |p| {
            bar.set_position(p.completed as u64);
            bar.set_message(format!("{} credits", p.credits_spent));
        }));
    }
    let result = conn.client.sweep(&sweep, opts).await?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if json_out {
        let mut doc = serde_json::to_value(result.summary(output::error_json)).unwrap_or_default();
        doc["emulated"] = json!(conn.emulated());
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        for c in &result.cells {
            if let Some(e) = c.error() {
                eprintln!(
                    "cell {} ({}): {}: {}",
                    c.cell.index,
                    c.cell.label,
                    e.code().as_str(),
                    e.message()
                );
            }
        }
        println!(
            "{} of {} cells done, {} credits spent now ({} in all)",
            result.cells.len() - result.failed(),
            result.cells.len(),
            result.credits_spent,
            result.credits
        );
        for s in &result.sheets {
            println!("sheet: {}", s.display());
        }
        if let Some(i) = &result.index_html {
            println!("index: {}", i.display());
        }
    }
    if let Some(e) = &result.sheet_error {
        eprintln!("the contact sheet could not be written: {}", e.message());
    }
    match result.cells.iter().find_map(|c| c.error()) {
        Some(e) => Err(e.clone()),
        None => Ok(()),
    }
}

/// The grid, the cell count and the price.
fn print_grid(q: &SweepQuote, out: &std::path::Path, w: &mut dyn Write) {
    let plan = &q.plan;
    let roles = ["columns", "rows", "sheets"];
    for (role, a) in roles.iter().zip(&plan.axes) {
        let _ = writeln!(w, "{role:<8} {} = {}", a.name, a.labels.join(" | "));
    }
    let [c, r, s] = plan.shape();
    let seed = match (plan.seed, plan.seed_chosen) {
        (Some(s), true) => format!("seed {s} (chosen for every cell)"),
        (Some(s), false) => format!("seed {s}"),
        (None, _) => "a seed per cell".to_string(),
    };
    let _ = writeln!(
        w,
        "cells    {} ({c} x {r} x {s}), {seed}\nprice    {} credits",
        plan.cells.len(),
        plan.credits
    );
    if q.cells_done > 0 {
        let _ = writeln!(
            w,
            "resume   {} cells already done in {}: {} credits still to pay",
            q.cells_done,
            out.display(),
            q.credits_to_pay
        );
    }
    for v in &plan.warnings {
        let _ = writeln!(w, "warning  {}", v.message);
    }
}
