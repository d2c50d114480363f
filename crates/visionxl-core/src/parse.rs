//! Building a [`GenerateRequest`] from named, loosely typed values (a binding's keywords, a
//! JSON `promptObject`), reporting every problem at once.

use std::borrow::Borrow;

use serde_json::Value;

use crate::check;
use crate::error::{Error, Report, Violation};
use crate::presets::Preset;
use crate::request::{Checked, GenerateRequest};
use crate::spec::{self, Field, Naming};
use crate::validate;
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
    ///
    /// The values may be given owned or borrowed (`(&str, &ParamValue)` pairs): the request
    /// copies what it keeps.
    pub fn check_params<I, K, V>(params: I, naming: Naming, preset: Option<Preset>) -> Checked
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Borrow<ParamValue>,
    {
        let mut req = GenerateRequest::new(String::new());
        let mut errors = Vec::new();
        let mut saw_prompt = false;
        for (name, value) in params {
            let (name, value) = (name.as_ref(), value.borrow());
            let Some(spec) = spec::lookup(name, naming) else {
                errors.push(check::unknown_field(name, naming));
                continue;
            };
            if spec.field == Field::Prompt && *value != ParamValue::Null {
                saw_prompt = true;
            }
            if let Err(v) = req.set_ref(spec.field, value) {
                errors.push(v);
            }
        }
        if !saw_prompt && !errors.iter().any(|e| e.field == "prompt") {
            errors.push(check::required(spec::by_field(Field::Prompt)));
        }
        let mut report = match preset {
            Some(p) => {
                req.apply_preset(p);
                req.validate()
            }
            // Every value was checked as it was set (one that failed left its field as it
            // was, valid or reported above; an unset prompt is reported above too), so
            // checking them again could only find errors the retain below drops: only the
            // cross-field rules and the warnings remain.
            None => validate::cross_field(&req, Vec::new()),
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `check_params` as it was before it skipped re-checking the values it had just set:
    /// every value checked again by a whole `validate`, and what was reported already dropped.
    fn check_params_in_full(params: &[(String, ParamValue)], preset: Option<Preset>) -> Checked {
        let mut req = GenerateRequest::new(String::new());
        let mut errors = Vec::new();
        let mut saw_prompt = false;
        for (name, value) in params {
            let Some(spec) = spec::lookup(name, Naming::Wire) else {
                errors.push(check::unknown_field(name, Naming::Wire));
                continue;
            };
            if spec.field == Field::Prompt && *value != ParamValue::Null {
                saw_prompt = true;
            }
            if let Err(v) = req.set(spec.field, value.clone()) {
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

    #[test]
    fn values_checked_once_report_exactly_what_a_full_validation_reports() {
        let text = include_str!("../../../tests/vectors/validation.json");
        let vectors: Value = serde_json::from_str(text).unwrap();
        let mut inputs: Vec<Vec<(String, ParamValue)>> = Vec::new();
        for case in vectors["cases"].as_array().unwrap() {
            let mut params = wire::prompt_object_params(&case["input"]).unwrap();
            if let Some(nf) = case.get("nonfinite").and_then(Value::as_object) {
                for (k, v) in nf {
                    let f = match v.as_str().unwrap() {
                        "NaN" => f64::NAN,
                        "Infinity" => f64::INFINITY,
                        _ => f64::NEG_INFINITY,
                    };
                    params.retain(|(name, _)| name != k);
                    params.push((k.clone(), ParamValue::Float(f)));
                }
            }
            inputs.push(params);
        }
        let every = include_str!("../../../tests/vectors/every_field.json");
        let every: Value = serde_json::from_str(every).unwrap();
        inputs.push(wire::prompt_object_params(&every["wire"]).unwrap());
        // Repeated names, the later winning or failing.
        let dup = |name: &str, a: ParamValue, b: ParamValue| {
            vec![
                ("prompt".to_string(), ParamValue::from("x")),
                (name.to_string(), a),
                (name.to_string(), b),
            ]
        };
        inputs.push(dup("n", ParamValue::Int(2), ParamValue::Int(9)));
        inputs.push(dup("prompt", ParamValue::from("a"), ParamValue::Null));
        inputs.push(dup("prompt", ParamValue::Null, ParamValue::from(" ")));
        inputs.push(dup(
            "size",
            ParamValue::from("512x512"),
            ParamValue::Bool(true),
        ));
        for params in &inputs {
            for preset in [None, Some(Preset::MaxDetail), Some(Preset::Defaults)] {
                let fast = GenerateRequest::check_params(
                    params.iter().map(|(k, v)| (k.as_str(), v)),
                    Naming::Wire,
                    preset,
                );
                let full = check_params_in_full(params, preset);
                assert_eq!(fast.report, full.report, "{params:?} {preset:?}");
                assert_eq!(fast.request, full.request, "{params:?} {preset:?}");
            }
        }
        assert!(inputs.len() > 100);
    }
}
