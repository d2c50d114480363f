//! `Violation`: one problem or remark of a validation, as Python sees it. A leaf module (no
//! other module of the binding), so that errors, conversion and requests can all use it.

use pyo3::prelude::*;
use pyo3::types::PyString;
use visionxl_core::{Report, Violation};

/// Python's `repr()` of a string (`'a cat'`), for `__repr__`s that read like Python.
pub fn repr_str(py: Python<'_>, s: &str) -> String {
    PyString::new(py, s)
        .repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| format!("{s:?}"))
}

/// One problem (`severity == "error"`) or remark (`severity == "warning"`) found by validation.
///
/// `field` is the service's wire name (`leonardo_guidance_scale`), `code` a stable string
/// (`out_of_range`, `wrong_type`, `ignored`, ...) and `message` names the field, the rule and
/// the allowed values.
#[pyclass(module = "visionxl", name = "Violation", frozen, eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PyViolation {
    /// The wire name of the field, or the unknown name as given.
    #[pyo3(get)]
    pub field: String,
    /// The stable code: `required`, `blank`, `out_of_range`, `not_allowed_value`, `too_many`,
    /// `requires`, `not_finite`, `wrong_type`, `unknown_field` (errors); `ignored`,
    /// `unusual_combination`, `price_hint` (warnings).
    #[pyo3(get)]
    pub code: String,
    /// For people.
    #[pyo3(get)]
    pub message: String,
    /// `"error"` (blocks the request) or `"warning"` (does not).
    #[pyo3(get)]
    pub severity: String,
}

impl PyViolation {
    fn new_from(v: Violation, severity: &str) -> Self {
        PyViolation {
            field: v.field,
            code: v.code.as_str().to_string(),
            message: v.message,
            severity: severity.to_string(),
        }
    }
    /// An error.
    pub fn error(v: Violation) -> Self {
        Self::new_from(v, "error")
    }
    /// A warning.
    pub fn warning(v: Violation) -> Self {
        Self::new_from(v, "warning")
    }
}

#[pymethods]
impl PyViolation {
    #[new]
    #[pyo3(signature = (field, code, message, severity = "error"))]
    fn py_new(field: String, code: String, message: String, severity: &str) -> Self {
        PyViolation {
            field,
            code,
            message,
            severity: severity.to_string(),
        }
    }

    /// True for a warning (never blocks a request).
    #[getter]
    fn is_warning(&self) -> bool {
        self.severity == "warning"
    }

    fn __getnewargs__(&self) -> (String, String, String, String) {
        (
            self.field.clone(),
            self.code.clone(),
            self.message.clone(),
            self.severity.clone(),
        )
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Violation(field={}, code={}, message={}, severity={})",
            repr_str(py, &self.field),
            repr_str(py, &self.code),
            repr_str(py, &self.message),
            repr_str(py, &self.severity)
        )
    }

    fn __str__(&self) -> String {
        format!("{} [{}]: {}", self.field, self.code, self.message)
    }
}

/// Errors first, then warnings, as Python objects.
pub fn report_to_list(report: Report) -> Vec<PyViolation> {
    report
        .errors
        .into_iter()
        .map(PyViolation::error)
        .chain(report.warnings.into_iter().map(PyViolation::warning))
        .collect()
}

/// Warnings as Python objects.
pub fn warnings_to_list(warnings: &[Violation]) -> Vec<PyViolation> {
    warnings.iter().cloned().map(PyViolation::warning).collect()
}
