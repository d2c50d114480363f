//! `visionxl.testing.interpret_response`: how the client maps one raw HTTP answer of the service
//! to a record or an exception (the core's `response::interpret`), exposed so Python code can
//! test its own error handling against recorded answers without a network.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use visionxl_core::response::{Answer, DEFAULT_ASSET_BASE_URL, Endpoint, interpret};

use crate::convert::json_to_py;
use crate::errors::to_py_err;

/// Interprets one answer of the service. `endpoint` is `"features"` (POST /api/features) or
/// `"results"` (GET /api/results/{id}); `body` is bytes or str. Returns
/// `{"id", "status", "images": [{"index", "path", "url"}], "raw"}` for a record, None for "no such
/// record" (results endpoint only), or raises the exception the client would raise
/// (`RateLimitError` with `.retry_after`, `APIError` with `.code == "invalid_response"`, ...).
#[pyfunction]
#[pyo3(signature = (endpoint, status, body, *, content_type = None, retry_after = None, asset_base_url = None))]
pub fn interpret_response<'py>(
    py: Python<'py>,
    endpoint: &str,
    status: u16,
    body: &Bound<'py, PyAny>,
    content_type: Option<&str>,
    retry_after: Option<&str>,
    asset_base_url: Option<&str>,
) -> PyResult<Option<Bound<'py, PyDict>>> {
    let endpoint = match endpoint {
        "features" => Endpoint::Features,
        "results" => Endpoint::Results,
        other => {
            return Err(PyValueError::new_err(format!(
                "endpoint must be \"features\" or \"results\", got {other:?}"
            )));
        }
    };
    let bytes: Vec<u8> = if let Ok(b) = body.cast::<PyBytes>() {
        b.as_bytes().to_vec()
    } else {
        body.extract::<String>()
            .map_err(|_| PyValueError::new_err("body must be bytes or str"))?
            .into_bytes()
    };
    let answer = Answer {
        status,
        content_type,
        retry_after,
        body: &bytes,
    };
    let record = match interpret(endpoint, answer) {
        Ok(Some(r)) => r,
        Ok(None) => return Ok(None),
        Err(e) => return Err(to_py_err(&e)),
    };
    let out = PyDict::new(py);
    out.set_item("id", &record.id)?;
    out.set_item("status", record.status.as_str())?;
    let images = PyList::empty(py);
    for img in record.images(asset_base_url.unwrap_or(DEFAULT_ASSET_BASE_URL)) {
        let d = PyDict::new(py);
        d.set_item("index", img.index)?;
        d.set_item("path", img.path)?;
        d.set_item("url", img.url)?;
        images.append(d)?;
    }
    out.set_item("images", images)?;
    out.set_item("raw", json_to_py(py, &record.raw)?)?;
    Ok(Some(out))
}
