//! Core errors as Python exceptions. The exception classes are defined once, in
//! `visionxl/exceptions.py`; this module fills in their attributes (`code`, `status_code`,
//! `request_id`, `retry_after`, `violations`, ...) and lets Python pick the class by code.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList};
use visionxl_core::{Error, ErrorCode, Violation};

use crate::violation::PyViolation;

static MAKE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The Python exception for a core error. Attaches to the interpreter itself, so it can be
/// called from a tokio task as well as from a `#[pyfunction]`.
///
/// The error is shown as it is: the Rust client has already redacted the API key from every
/// error it makes (`visionxl`'s `redact` module), once, for every language.
pub fn to_py_err(e: &Error) -> PyErr {
    Python::attach(|py| build(py, e).unwrap_or_else(|fallback| fallback))
}

/// A `validation_error` for these violations.
pub fn validation_err(violations: Vec<Violation>) -> PyErr {
    to_py_err(&Error::validation(violations))
}

fn build(py: Python<'_>, e: &Error) -> PyResult<PyErr> {
    let make = MAKE.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py
            .import("visionxl.exceptions")?
            .getattr("_from_native")?
            .unbind())
    })?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("status_code", e.status())?;
    kwargs.set_item("request_id", e.record_id())?;
    kwargs.set_item("retry_after", e.retry_after().map(|d| d.as_secs_f64()))?;
    kwargs.set_item("service_code", e.service_code())?;
    kwargs.set_item("details", e.details())?;
    kwargs.set_item("may_have_been_charged", e.may_have_been_charged())?;
    let violations = PyList::empty(py);
    for v in e.violations() {
        violations.append(Py::new(py, PyViolation::error(v.clone()))?)?;
    }
    kwargs.set_item("violations", violations)?;
    let exc = make
        .bind(py)
        .call((e.code().as_str(), e.to_string()), Some(&kwargs))?;
    Ok(PyErr::from_value(exc))
}

/// Every stable error code, for `visionxl.exceptions` to check its table against.
pub fn codes() -> Vec<&'static str> {
    ErrorCode::ALL.iter().map(|c| c.as_str()).collect()
}

/// An internal failure (a panic in a task): never expected, reported rather than hidden.
pub fn internal(what: &str) -> PyErr {
    PyRuntimeError::new_err(format!("visionxl internal error: {what}"))
}
