//! The soak's checks for a run another program drove (the Python and Node soaks): what the
//! caller was told per item comes from a JSONL file, the rest from the manifest, the output
//! directory and the emulator's control endpoints. [`verify_files`] builds the same
//! [`Evidence`] the in-process soak builds and hands it to the same verifier.
//!
//! The outcomes file, one JSON object a line, in any order:
//!
//! - an item's outcome in a pass: `{"pass": 1, "index": 0, "ok": false, "code": "timeout",
//!   "message": "...", "may_have_been_charged": true, "record_id": null, "resumed": false,
//!   "files": []}` (`pass` 1 with faults on, 2 the resume; `code`, `message`, `record_id`,
//!   `resumed` and `files` may be left out; `files` matter in pass 2);
//! - `{"chaos": {...}}`: the report `DELETE /_emulator/chaos` answered after pass 1;
//! - `{"ledger_after_pass1": {...}}`: `GET /_emulator/ledger` between the passes;
//! - `{"pass_seconds": [s1, s2]}`, `{"peak_rss_kib": K}`: figures for the report.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use visionxl_emulator::{ChaosReport, Ledger};

use crate::config::SoakConfig;
use crate::control::Control;
use crate::error::SoakError;
use crate::evidence::{CodeCount, Evidence, Outcome, Pass, PassReport};
use crate::report::SoakReport;
use crate::{verify, workload};

/// One line of the outcomes file.
#[derive(Deserialize)]
#[serde(untagged)]
enum Line {
    Item(ItemLine),
    Chaos { chaos: ChaosReport },
    Ledger { ledger_after_pass1: Ledger },
    Seconds { pass_seconds: [f64; 2] },
    Peak { peak_rss_kib: u64 },
}

#[derive(Deserialize)]
struct ItemLine {
    pass: u8,
    index: usize,
    ok: bool,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    may_have_been_charged: bool,
    #[serde(default)]
    record_id: Option<String>,
    #[serde(default)]
    resumed: bool,
    #[serde(default)]
    files: Vec<PathBuf>,
}

/// Where a driven run left its traces, and how it was run.
#[derive(Debug, Clone)]
pub struct Traces {
    /// The run's settings: generations, concurrency, fault rate, seed, emulator URL and key,
    /// output directory, RSS bound, fault kinds required.
    pub config: SoakConfig,
    /// The tag of the run's prompts ([`workload::prompt`]).
    pub tag: String,
    /// The batch manifest.
    pub manifest: PathBuf,
    /// The directory the images were saved in.
    pub images: PathBuf,
    /// The outcomes file (format above).
    pub outcomes: PathBuf,
}

fn pass_of(items: Vec<Option<(Outcome, Option<String>)>>, seconds: f64) -> Pass {
    let mut by_code: BTreeMap<String, CodeCount> = BTreeMap::new();
    let (mut ok, mut resumed, mut done) = (0, 0, 0);
    let outcomes = items
        .into_iter()
        .map(|slot| {
            slot.map(|(o, message)| {
                done += 1;
                ok += usize::from(o.ok);
                resumed += usize::from(o.resumed);
                if let Some(code) = &o.code {
                    by_code
                        .entry(code.clone())
                        .or_insert_with(|| CodeCount {
                            count: 0,
                            example: message.unwrap_or_default(),
                        })
                        .count += 1;
                }
                o
            })
        })
        .collect();
    Pass {
        outcomes,
        report: PassReport::new(done, done, ok, resumed, by_code, seconds),
        checkpoints: Vec::new(),
        join_errors: 0,
    }
}

fn read_outcomes(path: &Path, n: usize) -> Result<Evidence0, SoakError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| SoakError::new(format!("cannot read {}: {e}", path.display())))?;
    let mut ev = Evidence0 {
        passes: [vec![None; n], vec![None; n]],
        ..Evidence0::default()
    };
    for (no, raw) in text.lines().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        let bad = |e: String| SoakError::new(format!("{}:{}: {e}", path.display(), no + 1));
        match serde_json::from_str::<Line>(raw).map_err(|e| bad(e.to_string()))? {
            Line::Item(it) => {
                let slot = match it.pass {
                    1 | 2 => ev.passes[usize::from(it.pass - 1)].get_mut(it.index),
                    _ => None,
                }
                .ok_or_else(|| bad(format!("no item {} in pass {}", it.index, it.pass)))?;
                let outcome = Outcome {
                    ok: it.ok,
                    code: it.code,
                    maybe_charged: it.ok || it.may_have_been_charged,
                    record_id: it.record_id,
                    resumed: it.resumed,
                    files: it.files,
                };
                *slot = Some((outcome, it.message));
            }
            Line::Chaos { chaos } => ev.chaos = chaos,
            Line::Ledger { ledger_after_pass1 } => ev.ledger1 = Some(ledger_after_pass1),
            Line::Seconds { pass_seconds } => ev.seconds = pass_seconds,
            Line::Peak { peak_rss_kib } => ev.peak_rss_kib = Some(peak_rss_kib),
        }
    }
    Ok(ev)
}

type Slot = Option<(Outcome, Option<String>)>;

#[derive(Default)]
struct Evidence0 {
    passes: [Vec<Slot>; 2],
    chaos: ChaosReport,
    ledger1: Option<Ledger>,
    seconds: [f64; 2],
    peak_rss_kib: Option<u64>,
}

/// Checks a driven run with the soak's verifier; call it inside a tokio runtime.
pub async fn verify_files(traces: Traces) -> Result<SoakReport, SoakError> {
    let n = traces.config.generations;
    let control = Control::new(&traces.config.emulator_url, &traces.config.api_key)?;
    control.health().await?;
    let requests = workload::requests(&traces.tag, n)
        .map_err(|e| SoakError::new(format!("the workload does not validate: {e}")))?;
    let read = read_outcomes(&traces.outcomes, n)?;
    let ledger2 = control.ledger().await?;
    // Without the ledger between the passes every charge counts as pass 1's.
    let ledger1 = read.ledger1.unwrap_or_else(|| ledger2.clone());
    let [p1, p2] = read.passes;
    let evidence = Evidence {
        tag: traces.tag,
        requests,
        manifest: traces.manifest,
        images: traces.images,
        pass1: pass_of(p1, read.seconds[0]),
        pass2: pass_of(p2, read.seconds[1]),
        chaos: read.chaos,
        baseline: HashSet::new(),
        ledger1,
        ledger2,
        panics: 0,
        samples: Vec::new(),
        peak_hwm_kib: read.peak_rss_kib,
        end_of_pass_kib: [None, None],
        run_seconds: read.seconds.iter().sum(),
        config: traces.config,
    };
    verify::verify(evidence, &control).await
}

/// [`verify_files`] on a runtime of its own; call it outside any tokio runtime.
pub fn verify_files_blocking(traces: Traces) -> Result<SoakReport, SoakError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| SoakError::new(format!("cannot start a runtime: {e}")))?
        .block_on(verify_files(traces))
}
