//! `sweep.json`: the sweep's definition and the seed chosen for it, so that a rerun in the same
//! directory makes the same cells (and the manifest recognises them).

use std::path::Path;

use serde_json::{Value, json};
use visionxl_core::{Error, SweepPlan, sweep::Sweep};

use crate::fs::io_err;

/// The file name inside the sweep's directory.
pub(crate) const FILE: &str = "sweep.json";

/// Seeds are drawn in the documented range.
const MAX_SEED: u64 = 9_999_999_998;

/// The seed to use: the one an earlier run of the same sweep in `dir` chose, else a new one.
pub(crate) fn seed_for(sweep: &Sweep, dir: &Path) -> u64 {
    let earlier = std::fs::read(dir.join(FILE))
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .filter(|v| v["definition"] == sweep.definition())
        .and_then(|v| v["seed"].as_u64());
    earlier.unwrap_or_else(|| rand::random_range(0..=MAX_SEED))
}

/// Writes `sweep.json` (before anything is sent).
pub(crate) fn write(sweep: &Sweep, seed: u64, plan: &SweepPlan, dir: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dir)
        .map_err(|e| io_err(format!("cannot create {}", dir.display()), e))?;
    let doc = json!({"v": 1, "definition": sweep.definition(), "seed": seed, "plan": plan});
    let path = dir.join(FILE);
    let part = dir.join(format!("{FILE}.part"));
    let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    std::fs::write(&part, text)
        .map_err(|e| io_err(format!("cannot write {}", part.display()), e))?;
    std::fs::rename(&part, &path).map_err(|e| io_err(format!("cannot write {}", path.display()), e))
}
