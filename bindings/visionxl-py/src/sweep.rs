//! Sweeps from Python: `plan_sweep(...)` (the plan as a dict, nothing sent) and the work behind
//! `Client.sweep` / `AsyncClient.sweep` (a `Sweep` built from the prompt, the `vary` dict and
//! the generate keywords; the result handed to `visionxl.sweep.SweepResult`). The rules are
//! the core's and the client's.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use visionxl::sweep::Sweep;
use visionxl::{Naming, ParamValue, Preset, SweepOptions, SweepResult};

use crate::convert::{Arg, json_to_py, to_param};
use crate::errors::to_py_err;
use crate::results::{Flavour, GenData};

/// A `Sweep` from `sweep(prompt, vary, preset=..., max_cells=..., **params)`.
pub fn build(
    prompt: &Bound<'_, PyAny>,
    vary: &Bound<'_, PyDict>,
    preset: Option<&Bound<'_, PyAny>>,
    max_cells: Arg,
    params: Option<&Bound<'_, PyDict>>,
) -> PyResult<Sweep> {
    let mut base: Vec<(String, ParamValue)> = vec![("prompt".into(), to_param(prompt))];
    if let Some(d) = params {
        for (k, v) in d.iter() {
            base.push((k.extract::<String>()?, to_param(&v)));
        }
    }
    let max_cells = max_cells.count("max_cells", u32::MAX)? as usize;
    let mut sweep = Sweep::from_params(base, Naming::Sdk).max_cells(max_cells);
    if let Some(p) = preset.filter(|p| !p.is_none()) {
        let name: String = p.extract()?;
        sweep = sweep.preset(name.parse::<Preset>().map_err(|e| to_py_err(&e))?);
    }
    for (k, v) in vary.iter() {
        sweep = sweep.vary_value(&k.extract::<String>()?, to_param(&v));
    }
    Ok(sweep)
}

/// The options of `sweep(...)`.
pub fn options(out_dir: PathBuf, concurrency: Arg, max_credits: Arg) -> PyResult<SweepOptions> {
    let mut opts = SweepOptions::new(out_dir);
    opts.concurrency = concurrency.count("concurrency", u32::MAX)? as usize;
    visionxl::options::check_concurrency(opts.concurrency).map_err(|e| to_py_err(&e))?;
    if !matches!(max_credits.0, ParamValue::Null) {
        opts.max_credits = Some(max_credits.count("max_credits", u64::MAX)?);
    }
    Ok(opts)
}

/// `plan_sweep(prompt, vary, *, chosen_seed=0, max_cells=64, preset=None, **params)`: the
/// sweep expanded, validated and priced, as a dict (nothing is sent). `chosen_seed` is used in
/// every cell when neither the keywords nor an axis set `seed` (the client draws one at random).
#[pyfunction]
#[pyo3(
    signature = (prompt, vary, *, chosen_seed = 0, max_cells = Arg::int(64), preset = None, **params),
    text_signature = "(prompt, vary, *, chosen_seed=0, max_cells=64, preset=None, **params)"
)]
pub fn plan_sweep<'py>(
    py: Python<'py>,
    prompt: &Bound<'py, PyAny>,
    vary: &Bound<'py, PyDict>,
    chosen_seed: u64,
    max_cells: Arg,
    preset: Option<&Bound<'py, PyAny>>,
    params: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let sweep = build(prompt, vary, preset, max_cells, params)?;
    let plan = sweep.plan(chosen_seed).map_err(|e| to_py_err(&e))?;
    json_to_py(py, &serde_json::to_value(&plan).unwrap_or_default())
}

/// `visionxl.sweep.SweepResult(summary, outcomes)`: the summary as a dict and, per cell, its
/// generation object or its exception.
pub fn result_to_py(py: Python<'_>, result: SweepResult, flavour: Flavour) -> PyResult<Py<PyAny>> {
    // Errors reach Python as exceptions in `outcomes`, not in the summary.
    let summary = serde_json::to_value(result.summary(|_| ())).unwrap_or_default();
    let outcomes = PyList::empty(py);
    for c in result.cells {
        match c.item.error() {
            Some(e) if !c.item.is_ok() => outcomes.append(to_py_err(e).into_value(py))?,
            _ => match c.item.result {
                Ok(generation) => outcomes.append(
                    GenData {
                        generation,
                        flavour,
                    }
                    .into_py(py)?,
                )?,
                Err(e) => outcomes.append(to_py_err(&e).into_value(py))?,
            },
        }
    }
    let sheet_error = result
        .sheet_error
        .as_ref()
        .map(|e| to_py_err(e).into_value(py));
    let class = py.import("visionxl.sweep")?.getattr("SweepResult")?;
    Ok(class
        .call1((json_to_py(py, &summary)?, outcomes, sheet_error))?
        .unbind())
}
