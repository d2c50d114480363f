//! Building a [`GenerateRequest`] from named, loosely typed values (a binding's keywords, a
//! JSON `promptObject`), reporting every problem at once.

use serde_json::Value;

use crate::check;
use crate::error::{Error, Report, Violation};
use crate::presets::Preset;
use crate::request::{Checked, GenerateRequest};
use crate::spec::{self, Field, Naming};
use crate::value::ParamValue;
use crate::wire;

impl GenerateRequest {
    /// Builds a request from named values (wire, snake_case or camelCase names), checking every
    /// value. `Ok` carries the request and its warnings; `Err` is a `validation_error` listing
    /// every problem: unknown fields, wrong types, broken rules.
    ///
    /// ```
    /// use visionxl_core::{GenerateRequest, Naming, ParamValue};
    /// let (req, _warnings) = GenerateRequest::from_params(
    ///     [("prompt", ParamValue::from("a fox")), ("guidance_scale", ParamValue::Int(9))],
    ///     Naming::Sdk,
    ///     None,
    /// ).unwrap();
    /// assert_eq!(req.guidance_scale, Some(9));
    /// ```
    pub fn from_params<I, K>(
        params: I,
        naming: Naming,
        preset: Option<Preset>,
    ) -> Result<(GenerateRequest, Vec<Violation>), Error>
    where
        I: IntoIterator<Item = (K, ParamValue)>,
        K: AsRef<str>,
    {
        Self::check_params(params, naming, preset).into_request()
    }

    /// Like [`from_params`](Self::from_params), but returns the partial request together with
    /// the full [`Report`] instead of failing (what `validate` front doors show).
    pub fn check_params<I, K>(params: I, naming: Naming, preset: Option<Preset>) -> Checked
    where
        I: IntoIterator<Item = (K, ParamValue)>,
        K: AsRef<str>,
    {
        let mut req = GenerateRequest::new(String::new());
        let mut errors = Vec::new();
        let mut saw_prompt = false;
        for (name, value) in params {
            let name = name.as_ref();
            let Some(spec) = spec::lookup(name, naming) else {
                errors.push(check::unknown_field(name, naming));
                continue;
            };
            if spec.field == Field::Prompt && value != ParamValue::Null {
                saw_prompt = true;
            }
            if let Err(v) = req.set(spec.field, value) {
                errors.push(v);
            }
        }
        if !saw_prompt && !errors.iter().any(|e| e.field == "prompt") {
            errors.push(check::required(spec::by_field(Field::Prompt)));
        }
        if let Some(p) = preset {
            req.apply_preset(p);
        }
        let mut report = req.validate();
        // A field already reported while parsing is not reported again.
        report
            .errors
            .retain(|v| !errors.iter().any(|e| e.field == v.field));
        report
            .warnings
            .retain(|v| !errors.iter().any(|e| e.field == v.field));
        errors.append(&mut report.errors);
        Checked {
            request: req,
            report: Report {
                errors,
                warnings: report.warnings,
            },
        }
    }

    /// Parses a `promptObject` in wire names (or a whole request body holding one), as
    /// `visionxl validate FILE` and C's `vxl_request_from_json` do.
    pub fn from_wire_json(json: &Value) -> Result<(GenerateRequest, Vec<Violation>), Error> {
        Self::check_wire_json(json).into_request()
    }

    /// Like [`from_wire_json`](Self::from_wire_json), returning the full report.
    pub fn check_wire_json(json: &Value) -> Checked {
        match wire::prompt_object_params(json) {
            Ok(params) => GenerateRequest::check_params(params, Naming::Wire, None),
            Err(v) => Checked {
                request: GenerateRequest::new(String::new()),
                report: Report {
                    errors: vec![v],
                    warnings: Vec::new(),
                },
            },
        }
    }
}
