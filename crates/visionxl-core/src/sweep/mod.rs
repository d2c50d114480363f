//! Sweeps: one base request and up to three axes of settings, expanded to the cartesian
//! product of cells, each validated (naming its cell) and priced before anything is sent.
//!
//! The core has no randomness: the caller passes the seed to use when the sweep sets none
//! ([`Sweep::plan`]), so that every cell shares it and only the swept settings differ.
//!
//! ```
//! use visionxl_core::sweep::Sweep;
//! let plan = Sweep::new("a lighthouse at dusk")
//!     .param("size", "512x512")
//!     .vary("guidance_scale=7,10,13")
//!     .vary("num_inference_steps=20,40")
//!     .plan(42)?;
//! assert_eq!(plan.cells.len(), 6);
//! assert_eq!(plan.credits, 6 * 234);
//! assert_eq!(plan.seed, Some(42));
//! assert_eq!(plan.cells[1].label, "guidance_scale=10, num_inference_steps=20");
//! # Ok::<(), visionxl_core::Error>(())
//! ```

mod axis;
mod plan;

pub use axis::{Axis, AxisTarget, MAX_RANGE_VALUES, PROMPT_SR};
pub use plan::{AxisInfo, Cell, SweepPlan};

use serde_json::{Map, Value};

use crate::error::{Violation, ViolationCode};
use crate::presets::Preset;
use crate::spec::Naming;
use crate::value::ParamValue;

/// The most axes a sweep may have (columns, rows, sheets).
pub const MAX_AXES: usize = 3;

/// The default cap on cells ([`Sweep::max_cells`]): stops accidents before they are paid for.
pub const DEFAULT_MAX_CELLS: usize = 64;

/// A sweep: a base request (named values), its axes and a cap on cells. Mistakes are kept and
/// reported all at once by [`plan`](Self::plan).
#[derive(Debug, Clone)]
pub struct Sweep {
    naming: Naming,
    base: Vec<(String, ParamValue)>,
    preset: Option<Preset>,
    axes: Vec<Axis>,
    errors: Vec<Violation>,
    max_cells: usize,
}

impl Sweep {
    /// A sweep over `prompt` with no axes yet (SDK names).
    pub fn new(prompt: impl Into<String>) -> Self {
        Sweep::from_params([("prompt", ParamValue::Str(prompt.into()))], Naming::Sdk)
    }

    /// A sweep whose base request is these named values (as
    /// [`GenerateRequest::from_params`](crate::GenerateRequest::from_params) takes them).
    pub fn from_params<I, K>(params: I, naming: Naming) -> Self
    where
        I: IntoIterator<Item = (K, ParamValue)>,
        K: AsRef<str>,
    {
        Sweep {
            naming,
            base: params
                .into_iter()
                .map(|(k, v)| (k.as_ref().to_string(), v))
                .collect(),
            preset: None,
            axes: Vec::new(),
            errors: Vec::new(),
            max_cells: DEFAULT_MAX_CELLS,
        }
    }

    /// Sets one base parameter (by name in the sweep's naming).
    pub fn param(mut self, name: &str, value: impl Into<ParamValue>) -> Self {
        self.base.push((name.to_string(), value.into()));
        self
    }

    /// Applies a preset to every cell (the axes still win).
    pub fn preset(mut self, preset: Preset) -> Self {
        self.preset = Some(preset);
        self
    }

    /// Adds an axis.
    pub fn axis(mut self, axis: Axis) -> Self {
        self.axes.push(axis);
        self
    }

    /// Adds an axis from `name=values` text ([`Axis::parse`]); a mistake is kept for
    /// [`plan`](Self::plan) to report with the others.
    pub fn vary(self, text: &str) -> Self {
        let parsed = Axis::parse(text, self.naming);
        self.axis_or_errors(parsed)
    }

    /// Adds an axis from a value ([`Axis::from_value`]: a list, or text such as a range); a
    /// mistake is kept for [`plan`](Self::plan).
    pub fn vary_value(self, name: &str, value: ParamValue) -> Self {
        let parsed = Axis::from_value(name, value, self.naming);
        self.axis_or_errors(parsed)
    }

    fn axis_or_errors(mut self, parsed: Result<Axis, Vec<Violation>>) -> Self {
        match parsed {
            Ok(axis) => self.axes.push(axis),
            Err(mut errors) => self.errors.append(&mut errors),
        }
        self
    }

    /// Caps the number of cells (default [`DEFAULT_MAX_CELLS`]); a bigger sweep is refused.
    pub fn max_cells(mut self, max: usize) -> Self {
        self.max_cells = max;
        self
    }

    /// The axes, in order (columns, rows, sheets).
    pub fn axes(&self) -> &[Axis] {
        &self.axes
    }

    /// True when the base request or an axis sets the seed (no seed needs choosing).
    pub fn sets_seed(&self) -> bool {
        self.axes.iter().any(|a| a.name() == "seed")
            || self.base.iter().any(|(k, v)| {
                *v != ParamValue::Null
                    && crate::spec::lookup(k, self.naming)
                        .is_some_and(|p| p.field == crate::spec::Field::Seed)
            })
    }

    /// What the sweep is, as JSON, without a chosen seed: two sweeps with the same definition
    /// make the same cells (given the same seed). The client compares it to resume.
    pub fn definition(&self) -> Value {
        let mut base = Map::new();
        for (k, v) in &self.base {
            base.insert(k.clone(), v.to_json());
        }
        let axes: Vec<Value> = self
            .axes
            .iter()
            .map(|a| serde_json::json!({"name": a.name(), "values": a.values_json()}))
            .collect();
        serde_json::json!({
            "base": base,
            "preset": self.preset.map(|p| p.name()),
            "axes": axes,
        })
    }

    /// Expands, validates and prices the sweep. `seed` is used in every cell when neither the
    /// base nor an axis sets one (the client draws it at random). Every problem is reported at
    /// once as a `validation_error`, each naming its axis value or cell.
    pub fn plan(&self, seed: u64) -> Result<SweepPlan, crate::Error> {
        let mut errors = self.errors.clone();
        if self.axes.len() > MAX_AXES {
            errors.push(Violation::new(
                "vary",
                ViolationCode::TooMany,
                format!(
                    "a sweep has at most {MAX_AXES} axes (columns, rows, sheets), got {}",
                    self.axes.len()
                ),
            ));
        }
        for (i, a) in self.axes.iter().enumerate() {
            if self.axes[..i].iter().any(|b| b.name() == a.name()) {
                errors.push(Violation::new(
                    a.name(),
                    ViolationCode::NotAllowedValue,
                    format!("{} is varied twice: give it one axis", a.name()),
                ));
            }
        }
        let count = self
            .axes
            .iter()
            .try_fold(1usize, |n, a| n.checked_mul(a.values.len().max(1)))
            .unwrap_or(usize::MAX);
        if count > self.max_cells {
            errors.push(Violation::new(
                "max_cells",
                ViolationCode::TooMany,
                format!(
                    "the sweep has {count} cells, more than max_cells ({}): vary fewer values \
                     or raise max_cells",
                    self.max_cells
                ),
            ));
        }
        if !errors.is_empty() {
            return Err(crate::Error::validation(errors));
        }
        plan::expand(self, seed)
    }
}
