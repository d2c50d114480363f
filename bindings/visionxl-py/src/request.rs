//! The core-only half of the module: `GenerateRequest`, `validate`, `validate_wire`,
//! `estimate_credits`, `plan_batches`, `Violation`, `BatchPlan` and the parameter table.

use pyo3::exceptions::PyAttributeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple, PyType};
use visionxl_core::spec::{self, Naming, PARAMS, ParamSpec};
use visionxl_core::{
    Checked, GenerateRequest, ParamValue, Preset, Report, Violation, ViolationCode,
    estimate_credits_str, plan_batches_str,
};

use crate::convert::{Arg, json_to_py, param_to_py, repr_str, to_param, type_name};
use crate::errors::to_py_err;
pub use crate::violation::{PyViolation, report_to_list, warnings_to_list};

/// One row of the parameter table (`visionxl.PARAMETERS`).
#[pyclass(module = "visionxl", name = "Parameter", frozen)]
pub struct PyParameter {
    spec: &'static ParamSpec,
}

#[pymethods]
impl PyParameter {
    /// The SDK (keyword) name: `guidance_scale`.
    #[getter]
    fn name(&self) -> &'static str {
        self.spec.sdk
    }
    /// The service's wire name, spelled as the service spells it: `leonardo_guidance_scale`.
    #[getter]
    fn wire(&self) -> &'static str {
        self.spec.wire
    }
    /// The JSON type: `string`, `integer`, `number`, `boolean` or `string_list`.
    #[getter]
    fn kind(&self) -> &'static str {
        self.spec.kind.name()
    }
    /// Whether a request is invalid without it (only `prompt`).
    #[getter]
    fn required(&self) -> bool {
        self.spec.required
    }
    /// The documented default, for display (never sent), or None.
    #[getter]
    fn default(&self) -> Option<&'static str> {
        self.spec.default
    }
    /// The allowed values or range (`1..=20`, `disabled | foreground_only`), or None.
    #[getter]
    fn allowed(&self) -> Option<String> {
        self.spec.allowed()
    }
    /// One line for help texts.
    #[getter]
    fn description(&self) -> &'static str {
        self.spec.description
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Parameter(name={}, wire={}, kind={})",
            repr_str(py, self.spec.sdk),
            repr_str(py, self.spec.wire),
            repr_str(py, self.spec.kind.name())
        )
    }
}

/// The parameter table as a tuple of `Parameter`, in the documentation's order.
pub fn parameters(py: Python<'_>) -> PyResult<Bound<'_, PyTuple>> {
    let items = PARAMS
        .iter()
        .map(|spec| Py::new(py, PyParameter { spec }))
        .collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, items)
}

/// The cheapest split of a number of images into calls of 1 to 4 (`plan_batches`).
#[pyclass(module = "visionxl", name = "BatchPlan", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct PyBatchPlan {
    /// The size every call uses.
    #[pyo3(get)]
    size: String,
    /// Images delivered in all.
    #[pyo3(get)]
    images: u32,
    /// `n` of each call, largest first.
    #[pyo3(get)]
    calls: Vec<u32>,
    /// Credits for the whole plan.
    #[pyo3(get)]
    total_credits: u32,
}

#[pymethods]
impl PyBatchPlan {
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "BatchPlan(size={}, images={}, calls={:?}, total_credits={})",
            repr_str(py, &self.size),
            self.images,
            self.calls,
            self.total_credits
        )
    }
}

/// The preset keyword: None, or a preset's name (`"max_detail"`, `"defaults"`).
fn parse_preset(preset: Option<&Bound<'_, PyAny>>) -> (Option<Preset>, Option<Violation>) {
    let Some(obj) = preset.filter(|p| !p.is_none()) else {
        return (None, None);
    };
    let names: Vec<_> = Preset::ALL.iter().map(|p| p.name()).collect();
    match obj.extract::<String>() {
        Ok(s) => match s.parse::<Preset>() {
            Ok(p) => (Some(p), None),
            Err(e) => (None, e.violations().first().cloned()),
        },
        Err(_) => (
            None,
            Some(Violation::new(
                "preset",
                ViolationCode::WrongType,
                format!(
                    "preset must be a string ({}), got {}",
                    names.join(", "),
                    type_name(obj)
                ),
            )),
        ),
    }
}

/// Checks keyword arguments (SDK names) the way `GenerateRequest(...)`, `validate(...)` and
/// `Client.generate(...)` take them.
pub fn check_kwargs(
    prompt: Option<&Bound<'_, PyAny>>,
    preset: Option<&Bound<'_, PyAny>>,
    params: Option<&Bound<'_, PyDict>>,
) -> Checked {
    let mut values: Vec<(String, ParamValue)> =
        Vec::with_capacity(1 + params.map_or(0, |d| d.len()));
    values.push((
        "prompt".to_string(),
        prompt.map_or(ParamValue::Null, to_param),
    ));
    if let Some(d) = params {
        for (k, v) in d.iter() {
            let key = k.extract::<String>().unwrap_or_else(|_| k.to_string());
            values.push((key, to_param(&v)));
        }
    }
    let (preset, preset_problem) = parse_preset(preset);
    let mut checked = GenerateRequest::check_params(values, Naming::Sdk, preset);
    if let Some(v) = preset_problem {
        checked.report.errors.push(v);
    }
    checked
}

/// Checks a `promptObject` given as a Python mapping in the service's wire names (or a whole
/// request body holding one). Values stay Python values, so NaN reaches the core.
pub fn check_wire(obj: &Bound<'_, PyAny>) -> Checked {
    let not_object = |what: &str| Checked {
        request: GenerateRequest::new(String::new()),
        report: Report {
            errors: vec![visionxl::wire::not_an_object(&format!(
                "{what} (a dict is expected)"
            ))],
            warnings: Vec::new(),
        },
    };
    let Ok(dict) = obj.cast::<PyDict>() else {
        return not_object(&type_name(obj));
    };
    // A whole request body ({"type", "model", "promptObject"}) is accepted too: the core's rule.
    let dict = if visionxl::wire::is_request_body(|k| dict.contains(k).unwrap_or(false)) {
        match dict.get_item("promptObject").ok().flatten() {
            Some(inner) => match inner.cast_into::<PyDict>() {
                Ok(d) => d,
                Err(e) => return not_object(&type_name(e.into_inner().as_any())),
            },
            None => dict.clone(),
        }
    } else {
        dict.clone()
    };
    let values: Vec<(String, ParamValue)> = dict
        .iter()
        .map(|(k, v)| {
            let key = k.extract::<String>().unwrap_or_else(|_| k.to_string());
            (key, to_param(&v))
        })
        .collect();
    GenerateRequest::check_params(values, Naming::Wire, None)
}

/// A checked request or the `ValidationError` listing every problem.
fn into_request(checked: Checked) -> PyResult<PyGenerateRequest> {
    match checked.into_request() {
        Ok((inner, warnings)) => Ok(PyGenerateRequest { inner, warnings }),
        Err(e) => Err(to_py_err(&e)),
    }
}

/// A validated Vision XL request.
///
// <codegen:doc-signature-request> generated by visionxl-codegen from the parameter table; do not edit — cargo run -p visionxl-codegen
/// `GenerateRequest(prompt, *, size="1024x1024", n=1, negative_prompt=None, guidance_scale=None,
/// num_inference_steps=None, seed=None, tiling=None, transparency=None, preset_style=None,
/// image_prompts=None, init_image_id=None, init_strength=None, fantasy_avatar=None, alchemy=None,
/// contrast_ratio=None, expanded_domain=None, photo_real=None, photo_real_version=None,
/// photo_real_strength=None, prompt_magic=None, prompt_magic_version=None,
/// prompt_magic_strength=None, high_contrast=None, high_resolution=None, enhance_prompt=None,
/// enhance_prompt_instruction=None, preset=None)`
// </codegen:doc-signature-request>
///
/// Every keyword is a parameter of the service under its SDK name (`tiling` is sent as
/// `leonardo_tilling`); `visionxl.PARAMETERS` lists them with their rules. Unset parameters are
/// not sent (the service applies its defaults). `preset` fills unset parameters from a named
/// bundle: `"max_detail"` (guidance 12, 45 steps, high resolution, Alchemy) or `"defaults"`.
///
/// Validates on construction: any problem (an unknown keyword, a wrong type, a value out of
/// range, NaN, a missing prompt, a rule between fields) raises `ValidationError` whose
/// `.violations` lists every one, with the field named. Warnings (valid but probably not what
/// you meant) are in `.warnings`.
#[pyclass(module = "visionxl", name = "GenerateRequest", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct PyGenerateRequest {
    pub inner: GenerateRequest,
    pub warnings: Vec<Violation>,
}

impl PyGenerateRequest {
    /// Builds a request from `generate(...)`-style arguments; `prompt` may already be a
    /// `GenerateRequest` (then no other parameter may be given).
    pub fn from_call(
        prompt: Option<&Bound<'_, PyAny>>,
        preset: Option<&Bound<'_, PyAny>>,
        params: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyGenerateRequest> {
        Self::request_from_call(prompt, preset, params).map_err(|e| to_py_err(&e))
    }

    /// [`from_call`](Self::from_call) with the core's error, for callers that add to it.
    pub fn request_from_call(
        prompt: Option<&Bound<'_, PyAny>>,
        preset: Option<&Bound<'_, PyAny>>,
        params: Option<&Bound<'_, PyDict>>,
    ) -> Result<PyGenerateRequest, visionxl_core::Error> {
        if let Some(req) = prompt.and_then(|p| p.cast::<PyGenerateRequest>().ok()) {
            let extra: Vec<String> = params
                .map(|d| d.keys().iter().map(|k| k.to_string()).collect())
                .unwrap_or_default();
            if extra.is_empty() && preset.is_none_or(|p| p.is_none()) {
                return Ok(req.get().clone());
            }
            return Err(visionxl_core::Error::validation(vec![Violation::new(
                "prompt",
                ViolationCode::WrongType,
                format!(
                    "pass either a GenerateRequest or keyword parameters, not both (got {}); \
                     use request.replace(...) to change a request",
                    if extra.is_empty() {
                        "preset".to_string()
                    } else {
                        extra.join(", ")
                    }
                ),
            )]));
        }
        let (inner, warnings) = check_kwargs(prompt, preset, params).into_request()?;
        Ok(PyGenerateRequest { inner, warnings })
    }

    fn sdk_values(&self) -> Vec<(String, ParamValue)> {
        PARAMS
            .iter()
            .map(|p| (p.sdk.to_string(), self.inner.get(p.field)))
            .filter(|(_, v)| *v != ParamValue::Null)
            .collect()
    }
}

#[pymethods]
impl PyGenerateRequest {
    #[new]
    // <codegen:text-signature-new> generated by visionxl-codegen from the parameter table; do not edit — cargo run -p visionxl-codegen
    #[pyo3(signature = (prompt = None, *, preset = None, **params), text_signature = "(prompt, *, size='1024x1024', n=1, negative_prompt=None, guidance_scale=None, num_inference_steps=None, seed=None, tiling=None, transparency=None, preset_style=None, image_prompts=None, init_image_id=None, init_strength=None, fantasy_avatar=None, alchemy=None, contrast_ratio=None, expanded_domain=None, photo_real=None, photo_real_version=None, photo_real_strength=None, prompt_magic=None, prompt_magic_version=None, prompt_magic_strength=None, high_contrast=None, high_resolution=None, enhance_prompt=None, enhance_prompt_instruction=None, preset=None)")]
    // </codegen:text-signature-new>
    fn py_new(
        prompt: Option<&Bound<'_, PyAny>>,
        preset: Option<&Bound<'_, PyAny>>,
        params: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        into_request(check_kwargs(prompt, preset, params))
    }

    /// Builds a request from a `promptObject` in the service's wire names
    /// (`{"prompt": ..., "leonardo_tilling": true}`), or from a whole request body holding one.
    /// Raises `ValidationError` like the constructor.
    #[classmethod]
    fn from_dict(_cls: &Bound<'_, PyType>, prompt_object: &Bound<'_, PyAny>) -> PyResult<Self> {
        into_request(check_wire(prompt_object))
    }

    /// The `promptObject` exactly as it is sent: wire names, set fields only, `size` and `n`
    /// always, the preset style upper-case.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.inner.to_wire())
    }

    /// A copy with some parameters changed (SDK names; None unsets a parameter), validated
    /// again. `request.replace(seed=7)`.
    #[pyo3(signature = (**changes))]
    fn replace(&self, changes: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let mut values = self.sdk_values();
        if let Some(d) = changes {
            for (k, v) in d.iter() {
                let key = k.extract::<String>().unwrap_or_else(|_| k.to_string());
                let value = to_param(&v);
                match values.iter_mut().find(|(name, _)| *name == key) {
                    Some(slot) => slot.1 = value,
                    None => values.push((key, value)),
                }
            }
        }
        into_request(GenerateRequest::check_params(values, Naming::Sdk, None))
    }

    /// The price of this request in credits, from the documented table.
    #[getter]
    fn credits(&self) -> PyResult<u32> {
        self.inner.credits().map_err(|e| to_py_err(&e))
    }

    /// Remarks that do not block the request (`Violation`s with severity "warning").
    #[getter]
    fn warnings(&self) -> Vec<PyViolation> {
        warnings_to_list(&self.warnings)
    }

    /// The value of a parameter by its SDK name (`request.guidance_scale`), None when unset.
    fn __getattr__<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        match spec::by_sdk(name) {
            Some(p) => param_to_py(py, &self.inner.get(p.field)),
            None => Err(PyAttributeError::new_err(format!(
                "'GenerateRequest' object has no attribute {name:?}"
            ))),
        }
    }

    fn __dir__(slf: &Bound<'_, Self>) -> PyResult<Vec<String>> {
        let mut names: Vec<String> = slf
            .get_type()
            .dir()?
            .iter()
            .filter_map(|n| n.extract::<String>().ok())
            .collect();
        names.extend(PARAMS.iter().map(|p| p.sdk.to_string()));
        names.sort();
        names.dedup();
        Ok(names)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let mut parts = Vec::new();
        for (name, value) in self.sdk_values() {
            let obj = param_to_py(py, &value)?;
            parts.push(format!("{name}={}", obj.repr()?));
        }
        Ok(format!("GenerateRequest({})", parts.join(", ")))
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyAny>,))> {
        let py = slf.py();
        let ctor = slf.get_type().getattr("from_dict")?;
        Ok((ctor, (slf.get().to_dict(py)?,)))
    }
}

/// Checks request parameters (the keywords of `GenerateRequest`/`generate`, SDK names) without
/// raising: every error and then every warning, as `Violation`s. An empty list means valid with
/// nothing to remark.
#[pyfunction]
// <codegen:text-signature-function> generated by visionxl-codegen from the parameter table; do not edit — cargo run -p visionxl-codegen
#[pyo3(signature = (prompt = None, *, preset = None, **params), text_signature = "(prompt=None, *, size='1024x1024', n=1, negative_prompt=None, guidance_scale=None, num_inference_steps=None, seed=None, tiling=None, transparency=None, preset_style=None, image_prompts=None, init_image_id=None, init_strength=None, fantasy_avatar=None, alchemy=None, contrast_ratio=None, expanded_domain=None, photo_real=None, photo_real_version=None, photo_real_strength=None, prompt_magic=None, prompt_magic_version=None, prompt_magic_strength=None, high_contrast=None, high_resolution=None, enhance_prompt=None, enhance_prompt_instruction=None, preset=None)")]
// </codegen:text-signature-function>
pub fn validate(
    prompt: Option<&Bound<'_, PyAny>>,
    preset: Option<&Bound<'_, PyAny>>,
    params: Option<&Bound<'_, PyDict>>,
) -> Vec<PyViolation> {
    report_to_list(check_kwargs(prompt, preset, params).report)
}

/// Checks a `promptObject` in the service's wire names (a dict, as `visionxl validate FILE`
/// reads it) without raising: every error, then every warning.
#[pyfunction]
pub fn validate_wire(prompt_object: &Bound<'_, PyAny>) -> Vec<PyViolation> {
    report_to_list(check_wire(prompt_object).report)
}

/// `estimate_credits`'s defaults: the documented defaults of `size` and `n` (those of
/// `GenerateRequest`; the tests check them against the core's parameter table).
pub const DEFAULT_SIZE: &str = "1024x1024";
/// See [`DEFAULT_SIZE`].
pub const DEFAULT_N: u32 = 1;

/// The price in credits of one call for `n` images of `size` (from the documented table):
/// `estimate_credits("1024x1024", 2) == 338`. Raises `ValidationError` for a size the service
/// does not take or `n` outside 1..4.
#[pyfunction]
#[pyo3(
    signature = (size = Arg::str(DEFAULT_SIZE), n = Arg::int(DEFAULT_N as i128)),
    text_signature = "(size='1024x1024', n=1)"
)]
pub fn estimate_credits(size: Arg, n: Arg) -> PyResult<u32> {
    let size = size.string("size")?;
    let n = n.count("n", u32::MAX)?;
    estimate_credits_str(&size, n).map_err(|e| to_py_err(&e))
}

/// The cheapest way to get exactly `images` images of `size`: calls of 1 to 4 images, largest
/// first, and their total price. `plan_batches("512x512", 5).calls == [3, 2]`.
#[pyfunction]
pub fn plan_batches(size: Arg, images: Arg) -> PyResult<PyBatchPlan> {
    let size = size.string("size")?;
    let images = images.count("images", u32::MAX)?;
    let plan = plan_batches_str(&size, images).map_err(|e| to_py_err(&e))?;
    Ok(PyBatchPlan {
        size: plan.size.as_str().to_string(),
        images: plan.images,
        calls: plan.calls,
        total_credits: plan.total_credits,
    })
}

/// Module-level constants: the parameter table, sizes, preset styles and presets.
pub fn add_constants(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("PARAMETERS", parameters(py)?)?;
    m.add("SIZES", PyTuple::new(py, spec::SIZES)?)?;
    m.add(
        "PRESET_STYLES",
        PyTuple::new(py, visionxl_core::preset_style::PRESET_STYLES)?,
    )?;
    m.add(
        "PRESETS",
        PyTuple::new(py, Preset::ALL.iter().map(|p| p.name()))?,
    )?;
    m.add("ERROR_CODES", PyTuple::new(py, crate::errors::codes())?)?;
    let names = PyList::empty(py);
    for p in &PARAMS {
        names.append(PyString::new(py, p.sdk))?;
    }
    m.add("PARAMETER_NAMES", PyTuple::new(py, names)?)?;
    Ok(())
}
