//! Expanding a sweep into cells, validating each (naming the cell) and pricing the whole.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::Sweep;
use super::axis::{Axis, AxisTarget};
use crate::error::{Error, Text, Violation};
use crate::request::GenerateRequest;
use crate::spec::{self, Field, Naming, ParamSpec};
use crate::value::ParamValue;

/// One axis as a plan shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AxisInfo {
    /// The axis's SDK name (`guidance_scale`, `prompt_sr`).
    pub name: String,
    /// Its values as JSON.
    pub values: Vec<Value>,
    /// Its values as labels show them.
    pub labels: Vec<String>,
}

/// One cell of a sweep: its place in the grid, its settings and its request.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    /// Its position in [`SweepPlan::cells`] (first axis fastest, then rows, then sheets).
    pub index: usize,
    /// Column, row and sheet (0 when the sweep has fewer axes).
    pub coords: [usize; 3],
    /// `guidance_scale=7, num_inference_steps=20` (`base` for a sweep without axes).
    pub label: String,
    /// The swept settings of this cell by axis name.
    pub settings: Map<String, Value>,
    /// The price of this cell in credits.
    pub credits: u32,
    /// The request (serialised as its wire `promptObject`).
    pub request: GenerateRequest,
}

/// A sweep expanded, validated and priced: what will be sent, before anything is.
#[derive(Debug, Clone, Serialize)]
pub struct SweepPlan {
    /// The base prompt.
    pub prompt: String,
    /// The seed every cell uses, when one seed is shared (`None` when `seed` is an axis).
    pub seed: Option<u64>,
    /// True when the seed was chosen for the sweep (the base and axes set none).
    pub seed_chosen: bool,
    /// The axes: columns, rows, sheets.
    pub axes: Vec<AxisInfo>,
    /// Every cell.
    pub cells: Vec<Cell>,
    /// The price of every cell together, in credits.
    pub credits: u64,
    /// Warnings (each naming its cell unless every cell has it).
    pub warnings: Vec<Violation>,
}

impl SweepPlan {
    /// Columns, rows and sheets of the grid.
    pub fn shape(&self) -> [usize; 3] {
        let len = |i: usize| self.axes.get(i).map_or(1, |a| a.values.len());
        [len(0), len(1), len(2)]
    }

    /// `Err(budget_exceeded)` when the sweep costs more than `max_credits`.
    pub fn check_max_credits(&self, max_credits: Option<u64>) -> Result<(), Error> {
        match max_credits {
            Some(max) if self.credits > max => Err(Error::new(
                crate::ErrorCode::BudgetExceeded,
                format!(
                    "the sweep costs {} credits ({} cells), more than max_credits ({max}); \
                     nothing was sent",
                    self.credits,
                    self.cells.len()
                ),
            )),
            _ => Ok(()),
        }
    }

    /// The requests of every cell, in cell order.
    pub fn requests(&self) -> Vec<GenerateRequest> {
        self.cells.iter().map(|c| c.request.clone()).collect()
    }
}

/// The name of `p` in `naming`.
fn name_in(p: &ParamSpec, naming: Naming) -> &'static str {
    match naming {
        Naming::Wire => p.wire,
        Naming::Sdk => p.sdk,
        Naming::Camel => p.camel(),
    }
}

/// A violation with `prefix: ` before its message (its field kept).
fn prefixed(v: &Violation, prefix: &str) -> Violation {
    Violation::with_text(
        v.field.clone(),
        v.code,
        Text::new().lit(format!("{prefix}: ")).text(&v.text()),
    )
}

/// Expands `sweep` (already checked for shape) into a plan.
pub(super) fn expand(sweep: &Sweep, seed: u64) -> Result<SweepPlan, Error> {
    let naming = sweep.naming;
    let axes: Vec<&Axis> = sweep.axes.iter().collect();
    let shared_seed = !sweep.sets_seed();
    let base_prompt = sweep
        .base
        .iter()
        .rev()
        .find(|(k, _)| spec::lookup(k, naming).is_some_and(|p| p.field == Field::Prompt))
        .and_then(|(_, v)| match v {
            ParamValue::Str(s) => Some(s.clone()),
            _ => None,
        })
        .unwrap_or_default();
    let len = |i: usize| axes.get(i).map_or(1, |a| a.values.len());
    let (cols, rows, sheets) = (len(0), len(1), len(2));
    let mut cells = Vec::with_capacity(cols * rows * sheets);
    let mut errors: Vec<(Violation, String)> = Vec::new();
    let mut warnings: Vec<(Violation, String)> = Vec::new();
    let mut pre: Vec<Violation> = Vec::new();
    for a in &axes {
        if let AxisTarget::PromptReplace(phrase) = &a.target
            && !base_prompt.contains(phrase.as_str())
        {
            pre.push(Violation::new(
                "prompt_sr",
                crate::ViolationCode::NotAllowedValue,
                format!("prompt_sr: the prompt does not contain {phrase:?}, the phrase to replace"),
            ));
        }
    }
    if !pre.is_empty() {
        return Err(Error::validation(pre));
    }
    for s in 0..sheets {
        for r in 0..rows {
            for c in 0..cols {
                let coords = [c, r, s];
                let mut settings = Map::new();
                let mut labels = Vec::new();
                let mut params: Vec<(String, ParamValue)> = sweep.base.clone();
                let mut prompt = base_prompt.clone();
                for (i, a) in axes.iter().enumerate() {
                    let v = &a.values[coords[i]];
                    settings.insert(a.name().to_string(), v.to_json());
                    labels.push(format!("{}={}", a.name(), Axis::value_label(v)));
                    match &a.target {
                        AxisTarget::Param(p) => {
                            params.retain(|(k, _)| {
                                spec::lookup(k, naming).is_none_or(|q| q.field != p.field)
                            });
                            if p.field == Field::Prompt {
                                if let ParamValue::Str(s) = v {
                                    prompt = s.clone();
                                }
                            } else {
                                params.push((name_in(p, naming).to_string(), v.clone()));
                            }
                        }
                        AxisTarget::PromptReplace(phrase) => {
                            if let ParamValue::Str(s) = v {
                                prompt = prompt.replace(phrase.as_str(), s);
                            }
                        }
                    }
                }
                let prompt_spec = spec::by_field(Field::Prompt);
                params.retain(|(k, _)| {
                    spec::lookup(k, naming).is_none_or(|q| q.field != Field::Prompt)
                });
                params.push((name_in(prompt_spec, naming).to_string(), prompt.into()));
                if shared_seed {
                    let seed_spec = spec::by_field(Field::Seed);
                    params.push((
                        name_in(seed_spec, naming).to_string(),
                        ParamValue::Int(i128::from(seed)),
                    ));
                }
                let label = if labels.is_empty() {
                    "base".to_string()
                } else {
                    labels.join(", ")
                };
                let checked = GenerateRequest::check_params(params, naming, sweep.preset);
                errors.extend(
                    checked
                        .report
                        .errors
                        .into_iter()
                        .map(|v| (v, label.clone())),
                );
                warnings.extend(
                    checked
                        .report
                        .warnings
                        .into_iter()
                        .map(|v| (v, label.clone())),
                );
                let credits = checked.request.credits().unwrap_or(0);
                cells.push(Cell {
                    index: cells.len(),
                    coords,
                    label,
                    settings,
                    credits,
                    request: checked.request,
                });
            }
        }
    }
    let total = cells.len();
    let errors = group(errors, total);
    if !errors.is_empty() {
        return Err(Error::validation(errors));
    }
    Ok(SweepPlan {
        prompt: base_prompt,
        seed: shared_seed.then_some(seed).or_else(|| {
            // A seed set in the base (not swept) is shared too.
            let first = cells.first()?.request.seed;
            cells
                .iter()
                .all(|c| c.request.seed == first)
                .then_some(first)?
        }),
        seed_chosen: shared_seed,
        axes: axes
            .iter()
            .map(|a| AxisInfo {
                name: a.name().to_string(),
                values: a.values_json(),
                labels: a.values.iter().map(Axis::value_label).collect(),
            })
            .collect(),
        credits: cells.iter().map(|c| u64::from(c.credits)).sum(),
        cells,
        warnings: group(warnings, total),
    })
}

/// One violation per distinct problem: unlabelled when every cell has it (a problem of the
/// base request), else once per cell, prefixed with the cell's label.
fn group(found: Vec<(Violation, String)>, cells: usize) -> Vec<Violation> {
    let mut counts: HashMap<(String, String), usize> = HashMap::new();
    for (v, _) in &found {
        *counts
            .entry((v.field.clone(), v.message.clone()))
            .or_default() += 1;
    }
    let mut out: Vec<Violation> = Vec::new();
    for (v, label) in found {
        let key = (v.field.clone(), v.message.clone());
        if counts[&key] == cells && cells > 1 {
            if !out
                .iter()
                .any(|o| o.field == v.field && o.message == v.message)
            {
                out.push(v);
            }
        } else if cells == 1 {
            out.push(v);
        } else {
            out.push(prefixed(&v, &label));
        }
    }
    out
}
