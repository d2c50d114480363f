//! The Compare view: a sweep built from the form (its settings are the base request) and up to
//! three axes typed as the CLI's `--vary` values, checked and priced by the core
//! ([`visionxl::sweep::Sweep`]), then run through [`Client::sweep`] as a playground job with
//! progress per cell and Cancel. The sweep's files live under `--out/sweeps/<id>/`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Deserialize;
use serde_json::{Map, Value, json};
use visionxl::sweep::{Sweep, SweepOptions, SweepPlan, SweepResult};
use visionxl::{Client, Error, ErrorCode, Naming, ParamValue, Preset, Violation, ViolationCode};

use super::form::violations_json;
use super::progress::{Job, error_json};
use super::state::State;

/// Where sweeps go inside `--out`.
pub const SWEEPS_DIR: &str = "sweeps";

/// The body of `POST /api/sweep/check` and `POST /api/sweep`.
#[derive(Debug, Default, Deserialize)]
pub struct SweepInput {
    /// The base request: the form's parameters by SDK name; absent or `null` means unset.
    #[serde(default)]
    pub params: Map<String, Value>,
    /// A preset applied to every cell (the form's values and the axes win).
    #[serde(default)]
    pub preset: Option<String>,
    /// The axes, in order: columns, rows, sheets.
    #[serde(default)]
    pub axes: Vec<AxisInput>,
}

/// One axis as the page sends it.
#[derive(Debug, Default, Deserialize)]
pub struct AxisInput {
    /// A parameter's SDK name, or `prompt_sr`.
    pub name: String,
    /// The values as `--vary` takes them: `7,10,13`, `10..15:2.5`, `a fox|a wolf`.
    pub values: String,
}

/// Builds the core's sweep from `input`; a preset that does not parse is reported here, the
/// rest by [`Sweep::plan`].
fn build(input: &SweepInput) -> Result<Sweep, Vec<Violation>> {
    let values = input
        .params
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.as_str(), ParamValue::from(v)));
    let mut sweep = Sweep::from_params(values, Naming::Sdk);
    if let Some(name) = input.preset.as_deref().filter(|p| !p.is_empty()) {
        match name.parse::<Preset>() {
            Ok(p) => sweep = sweep.preset(p),
            Err(e) => {
                let mut vs = e.violations().to_vec();
                if vs.is_empty() {
                    vs.push(Violation::new(
                        "preset",
                        ViolationCode::NotAllowedValue,
                        e.message(),
                    ));
                }
                return Err(vs);
            }
        }
    }
    for a in &input.axes {
        sweep = sweep.vary_value(a.name.trim(), ParamValue::Str(a.values.clone()));
    }
    Ok(sweep)
}

/// Plans `input` (the seed is a placeholder when the form sets none: the run draws one).
fn plan(input: &SweepInput) -> Result<SweepPlan, Vec<Violation>> {
    let sweep = build(input)?;
    sweep.plan(0).map_err(|e| {
        let vs = e.violations().to_vec();
        if vs.is_empty() {
            vec![Violation::new(
                "vary",
                ViolationCode::WrongType,
                e.message(),
            )]
        } else {
            vs
        }
    })
}

/// The session's budget problem, if the sweep costs more than is left of `--max-credits`.
fn over_budget(client: Option<&Client>, credits: u64) -> Option<Error> {
    let left = client?.budget_remaining()?;
    (credits > left).then(|| {
        Error::new(
            ErrorCode::BudgetExceeded,
            format!(
                "the sweep costs {credits} credits; {left} of --max-credits are left; nothing \
                 was sent"
            ),
        )
    })
}

/// The answer of `POST /api/sweep/check`: grid shape, cells (label, price), total price, seed,
/// and every violation (each naming its axis value or cell), the session's budget included.
pub fn check_json(st: &State, input: &SweepInput) -> Value {
    match plan(input) {
        Err(vs) => json!({
            "valid": false, "shape": null, "cells": null, "credits": null,
            "errors": violations_json(&vs), "warnings": [], "cell_list": [],
        }),
        Ok(p) => {
            let mut errors = Vec::new();
            if let Some(e) = over_budget(st.client.as_ref(), p.credits) {
                errors.push(json!({"field": "max_credits", "code": e.code().as_str(),
                                   "message": e.message()}));
            }
            let cells: Vec<Value> = p
                .cells
                .iter()
                .map(|c| json!({"index": c.index, "label": c.label, "credits": c.credits}))
                .collect();
            json!({
                "valid": errors.is_empty(),
                "shape": p.shape(),
                "axes": p.axes,
                "cells": p.cells.len(),
                "credits": p.credits,
                "seed": if p.seed_chosen { None } else { p.seed },
                "errors": errors,
                "warnings": violations_json(&p.warnings),
                "cell_list": cells,
            })
        }
    }
}

/// Starts a sweep job for `input`, or says why not (generation off, invalid, over the budget:
/// nothing is sent in those cases).
pub async fn start(st: &Arc<State>, input: &SweepInput) -> Result<u64, Error> {
    let Some(client) = st.client.clone() else {
        return Err(Error::new(
            ErrorCode::AuthenticationError,
            st.mode.describe(),
        ));
    };
    let sweep = build(input).map_err(Error::validation)?;
    let p = sweep.plan(0)?;
    if let Some(e) = over_budget(Some(&client), p.credits) {
        return Err(e);
    }
    let job = Arc::new(Job::new(u32::try_from(p.credits).unwrap_or(u32::MAX)));
    let id = st.add_job(job.clone());
    let (name, dir) = match new_sweep_dir(&st.out.join(SWEEPS_DIR), id).await {
        Ok(made) => made,
        Err(e) => {
            job.fail(&e);
            return Err(e);
        }
    };
    job.update(|s| {
        s.sweep = Some(json!({
            "id": name, "shape": p.shape(), "total": p.cells.len(), "completed": 0,
            "failed": 0, "cells": p.cells.iter().map(|c| json!({"index": c.index,
                "label": c.label, "coords": c.coords, "state": "waiting"})).collect::<Vec<_>>(),
        }))
    });
    tokio::spawn(run(st.clone(), client, job, sweep, dir, name));
    Ok(id)
}

/// Creates a directory of its own for a new sweep under `root`, named `<unix secs>-<job>`
/// (with `-2`, `-3`… when another playground sharing `--out` took that name in the same
/// second): a new sweep never resumes, nor writes into, another one's files.
async fn new_sweep_dir(root: &Path, job: u64) -> Result<(String, PathBuf), Error> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let io = |e: std::io::Error| {
        Error::new(
            ErrorCode::IoError,
            format!("cannot create a sweep directory in {}: {e}", root.display()),
        )
    };
    tokio::fs::create_dir_all(root).await.map_err(io)?;
    for n in 1u32.. {
        let name = match n {
            1 => format!("{secs}-{job}"),
            n => format!("{secs}-{job}-{n}"),
        };
        let dir = root.join(&name);
        match tokio::fs::create_dir(&dir).await {
            Ok(()) => return Ok((name, dir)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io(e)),
        }
    }
    unreachable!("u32 names run out only after 4 billion sweeps in one second")
}

async fn run(
    st: Arc<State>,
    client: Client,
    job: Arc<Job>,
    sweep: Sweep,
    dir: PathBuf,
    id: String,
) {
    job.update(|s| s.state = "generating");
    let counted = Arc::new(AtomicU64::new(0));
    let (pjob, pst, pcounted) = (job.clone(), st.clone(), counted.clone());
    let mut opts = SweepOptions::new(&dir);
    opts.cancel = Some(job.cancel.clone());
    opts.on_progress = Some(Arc::new(move |p: visionxl::Progress| {
        // The session's spent counter follows the cells as they are paid for.
        let before = pcounted.swap(p.credits_spent, Ordering::Relaxed);
        pst.add_spent(p.credits_spent.saturating_sub(before));
        pjob.update(|s| {
            if let Some(sw) = s.sweep.as_mut() {
                sw["completed"] = json!(p.completed);
                sw["failed"] = json!(p.failed);
                sw["cells"][p.index]["state"] = json!("finished");
            }
        });
    }));
    match client.sweep(&sweep, opts).await {
        Ok(result) => {
            let counted = counted.load(Ordering::Relaxed);
            st.add_spent(result.credits_spent.saturating_sub(counted));
            // Reading the sheets' sizes is file I/O: off the async workers.
            let Ok((summary, result)) =
                tokio::task::spawn_blocking(move || (summary(&result, &dir, &id), result)).await
            else {
                job.fail(&Error::new(
                    ErrorCode::IoError,
                    "internal error: the sweep's summary could not be made",
                ));
                return;
            };
            job.update(|s| {
                s.state = "done";
                s.credits = u32::try_from(result.credits).ok();
                s.emulated = result
                    .cells
                    .iter()
                    .any(|c| c.generation().is_some_and(|g| g.is_emulated()));
                s.sweep = Some(summary);
            });
        }
        Err(e) => job.fail(&e),
    }
}

/// What the page shows when a sweep is done: every cell (its image's URL or its error), the
/// sheet's URL and pixel size, the seed, the credits.
fn summary(r: &SweepResult, dir: &Path, id: &str) -> Value {
    // The client's summary, with URLs under `/sweeps/<id>/` in place of local paths.
    let s = r.summary(error_json);
    let cells: Vec<Value> = s
        .cells
        .iter()
        .map(|c| {
            let file = c.files.first().and_then(|f| f.file_name());
            json!({
                "index": c.index,
                "label": c.label,
                "coords": c.coords,
                "state": if c.error.is_some() { "failed" } else { "done" },
                "url": file.map(|f| format!("/sweeps/{id}/cells/{}", f.to_string_lossy())),
                "error": c.error,
            })
        })
        .collect();
    let sheets: Vec<Value> = s
        .sheets
        .iter()
        .filter_map(|p| {
            let name = p.file_name()?.to_string_lossy().into_owned();
            let (w, h) = image::image_dimensions(dir.join(&name)).ok()?;
            Some(json!({"url": format!("/sweeps/{id}/{name}"), "width": w, "height": h}))
        })
        .collect();
    json!({
        "id": id,
        "shape": s.plan.shape(),
        "axes": s.plan.axes,
        "total": cells.len(),
        "completed": cells.len(),
        "failed": s.failed,
        "seed": s.seed,
        "credits": s.credits,
        "credits_spent": s.credits_spent,
        "cells": cells,
        "sheets": sheets,
        "sheet_error": s.sheet_error,
    })
}

/// Serves a sweep's sheet (`sheet.png`, `sheet-N.png`) from `out/sweeps/<id>/`.
pub async fn sheet(out: &Path, id: &str, file: &str) -> axum::response::Response {
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse;
    let is_sheet = file == "sheet.png"
        || file
            .strip_prefix("sheet-")
            .and_then(|r| r.strip_suffix(".png"))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if !is_sheet || !super::gallery::plain_name(id) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match tokio::fs::read(out.join(SWEEPS_DIR).join(id).join(file)).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, "image/png")], bytes).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Serves a cell's image from `out/sweeps/<id>/cells/` with the gallery's rules (a plain
/// name with a sidecar).
pub async fn cell(out: &Path, id: &str, file: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    if !super::gallery::plain_name(id) {
        return axum::http::StatusCode::NOT_FOUND.into_response();
    }
    super::gallery::image(&out.join(SWEEPS_DIR).join(id).join("cells"), file).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(v: Value) -> SweepInput {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_bad_value_is_named_and_a_good_grid_is_priced() {
        let p = plan(&input(
            json!({"params": {"prompt": "a fox", "size": "512x512"},
            "axes": [{"name": "guidance_scale", "values": "7,10"},
                     {"name": "num_inference_steps", "values": "20..30:10"}]}),
        ))
        .unwrap();
        assert_eq!(p.shape(), [2, 2, 1]);
        assert_eq!(p.credits, 4 * 234);
        let vs = plan(&input(json!({"params": {"prompt": "a fox"},
            "axes": [{"name": "guidance_scale", "values": "7,99"}]})))
        .unwrap_err();
        assert!(vs[0].message.contains("guidance_scale=99"), "{vs:?}");
        let vs = plan(&input(
            json!({"params": {"prompt": "a fox"}, "preset": "nope"}),
        ))
        .unwrap_err();
        assert_eq!(vs[0].field, "preset");
    }

    #[tokio::test]
    async fn two_playgrounds_sharing_out_never_share_a_sweep_directory() {
        // The same job number in the same second (two playgrounds on one `--out`).
        let root = tempfile::tempdir().unwrap();
        let (a, da) = new_sweep_dir(root.path(), 1).await.unwrap();
        let (b, db) = new_sweep_dir(root.path(), 1).await.unwrap();
        assert_ne!(a, b);
        assert!(da.is_dir() && db.is_dir());
        std::fs::write(root.path().join("file"), b"").unwrap();
        let e = new_sweep_dir(&root.path().join("file"), 1)
            .await
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::IoError);
    }
}
