//! `visionxl._native`: the Rust half of the `visionxl` Python package (the Python half, with the
//! exception classes, lives in `python/visionxl`). Everything here wraps `visionxl-core` and the
//! `visionxl` client; no rule of the service is repeated.
#![warn(missing_docs)]

mod async_client;
mod batch;
mod client;
mod convert;
mod emulator;
mod errors;
mod request;
mod responses;
mod results;
mod runtime;
mod settings;
mod sweep;
mod violation;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<request::PyGenerateRequest>()?;
    m.add_class::<request::PyViolation>()?;
    m.add_class::<request::PyParameter>()?;
    m.add_class::<request::PyBatchPlan>()?;
    m.add_class::<client::PyClient>()?;
    m.add_class::<async_client::PyAsyncClient>()?;
    m.add_class::<results::PyGeneration>()?;
    m.add_class::<results::PySyncGeneration>()?;
    m.add_class::<results::PyAsyncGeneration>()?;
    m.add_class::<results::PyImage>()?;
    m.add_class::<results::PySyncImage>()?;
    m.add_class::<results::PyAsyncImage>()?;
    m.add_class::<results::PyAsset>()?;
    m.add_class::<results::PyProgress>()?;
    m.add_class::<emulator::PyEmulator>()?;
    m.add_function(wrap_pyfunction!(request::validate, m)?)?;
    m.add_function(wrap_pyfunction!(request::validate_wire, m)?)?;
    m.add_function(wrap_pyfunction!(request::estimate_credits, m)?)?;
    m.add_function(wrap_pyfunction!(request::plan_batches, m)?)?;
    m.add_function(wrap_pyfunction!(sweep::plan_sweep, m)?)?;
    m.add_function(wrap_pyfunction!(responses::interpret_response, m)?)?;
    request::add_constants(m)?;
    m.add("FAULT_KINDS", emulator::fault_kinds(m.py())?)?;
    // Before the interpreter finalizes, let runtime threads finish handing results to Python.
    m.py().import("atexit")?.call_method1(
        "register",
        (wrap_pyfunction!(runtime::_wait_for_runtime_threads, m)?,),
    )?;
    Ok(())
}
