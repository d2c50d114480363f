//! The in-process emulator behind `visionxl.testing.Emulator` (the Python class in
//! `visionxl/testing.py` wraps this one).

use std::sync::Mutex;
use std::time::Duration;

use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use visionxl_emulator::{
    ApiKey, Chaos, ChaosReport, Emulator, EmulatorConfig, Fault, FaultKind, RateLimit,
};

use crate::convert::json_to_py;

/// A running emulator of the 1min.ai features endpoint on 127.0.0.1 (its own thread and
/// runtime). Use `visionxl.testing.Emulator`.
#[pyclass(module = "visionxl._native", name = "NativeEmulator", frozen)]
pub struct PyEmulator {
    inner: Mutex<Option<Emulator>>,
    base_url: String,
    asset_base_url: String,
    api_key: String,
}

impl PyEmulator {
    fn with<T>(&self, f: impl FnOnce(&Emulator) -> T) -> PyResult<T> {
        let guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        match guard.as_ref() {
            Some(emu) => Ok(f(emu)),
            None => Err(PyRuntimeError::new_err("the emulator is closed")),
        }
    }
}

fn to_json(obj: &Bound<'_, PyAny>) -> PyResult<serde_json::Value> {
    let text: String = obj
        .py()
        .import("json")?
        .call_method1("dumps", (obj,))?
        .extract()?;
    serde_json::from_str(&text).map_err(|e| PyValueError::new_err(e.to_string()))
}

#[pymethods]
impl PyEmulator {
    /// Starts an emulator. `keys` maps API keys to credit balances (default:
    /// `{"vxl-emulator-key": 100000}`); `latency_ms` delays every generation; `rate_limit`
    /// requests per `rate_window_ms` per key (0: no limit) answer 429 past it.
    #[new]
    #[pyo3(signature = (*, port = 0, keys = None, latency_ms = 0, temporary_url_ttl = 600, rate_limit = 0, rate_window_ms = 60_000))]
    #[allow(clippy::too_many_arguments)]
    fn py_new(
        py: Python<'_>,
        port: u16,
        keys: Option<&Bound<'_, PyDict>>,
        latency_ms: u64,
        temporary_url_ttl: u64,
        rate_limit: u32,
        rate_window_ms: u64,
    ) -> PyResult<Self> {
        let mut config = EmulatorConfig {
            port,
            latency: Duration::from_millis(latency_ms),
            temporary_url_ttl: Duration::from_secs(temporary_url_ttl),
            rate_limit: RateLimit::new(rate_limit, Duration::from_millis(rate_window_ms)),
            ..EmulatorConfig::default()
        };
        if let Some(keys) = keys {
            config.keys = keys
                .iter()
                .map(|(k, v)| Ok(ApiKey::new(k.extract::<String>()?, v.extract::<u64>()?)))
                .collect::<PyResult<Vec<_>>>()?;
        }
        let emu = py
            .detach(move || Emulator::start_blocking(config))
            .map_err(|e| PyOSError::new_err(format!("cannot start the emulator: {e}")))?;
        Ok(PyEmulator {
            base_url: emu.base_url(),
            asset_base_url: emu.asset_base_url(),
            api_key: emu.api_key(),
            inner: Mutex::new(Some(emu)),
        })
    }

    /// `http://127.0.0.1:PORT`.
    #[getter]
    fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `base_url + "/asset"`.
    #[getter]
    fn asset_base_url(&self) -> &str {
        &self.asset_base_url
    }

    /// The first configured key.
    #[getter]
    fn api_key(&self) -> &str {
        &self.api_key
    }

    /// Every charge and balance, as a dict `{"charges": [...], "balances": {...}}`.
    fn ledger<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let ledger = self.with(|e| e.ledger())?;
        let value =
            serde_json::to_value(&ledger).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        json_to_py(py, &value)
    }

    /// Queues a fault given as a dict (`{"kind": "rate_limit", "retry_after_secs": 2,
    /// "count": 1}`); ValueError for an unknown kind or a missing field.
    fn inject(&self, fault: &Bound<'_, PyAny>) -> PyResult<()> {
        let fault: Fault = serde_json::from_value(to_json(fault)?)
            .map_err(|e| PyValueError::new_err(format!("not an emulator fault: {e}")))?;
        self.with(|e| e.inject(fault))
    }

    /// The faults still queued, as dicts.
    fn pending_faults<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let faults = self.with(|e| e.pending_faults())?;
        let value =
            serde_json::to_value(&faults).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        json_to_py(py, &value)
    }

    /// Turns random faults on, given the emulator's chaos settings as a dict (`{"rate": 0.2,
    /// "seed": 7, "kinds": [{"kind": "status", "status": 503}], "path": "/api/features"}`;
    /// `kinds` defaults to every kind), or off with None. Returns the report of the settings it
    /// replaces (`{"requests", "faults", "by_kind"}`; empty when none were set). ValueError for
    /// settings the emulator refuses (a rate outside 0..=1, no kinds, an unknown field).
    #[pyo3(signature = (chaos = None))]
    fn set_chaos<'py>(
        &self,
        py: Python<'py>,
        chaos: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let chaos: Option<Chaos> = match chaos {
            Some(obj) if !obj.is_none() => Some(
                serde_json::from_value(to_json(obj)?)
                    .map_err(|e| PyValueError::new_err(format!("not chaos settings: {e}")))?,
            ),
            _ => None,
        };
        let before = self.with(|e| {
            let report = e.chaos_report();
            e.set_chaos(chaos).map(|()| report)
        })?;
        let report =
            before.map_err(|e| PyValueError::new_err(format!("not chaos settings: {e}")))?;
        report_to_py(py, &report)
    }

    /// The random faults in force as a dict (the emulator's JSON), or None.
    fn chaos<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let chaos = self.with(|e| e.chaos())?;
        let value =
            serde_json::to_value(&chaos).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        json_to_py(py, &value)
    }

    /// What the random faults did since they were set: `{"requests": n, "faults": n,
    /// "by_kind": {"rate_limit": n, "status_503": n, ...}}`.
    fn chaos_report<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let report = self.with(|e| e.chaos_report())?;
        report_to_py(py, &report)
    }

    /// Back to the configuration: balances, records, assets, ledger, faults and random faults.
    fn reset(&self) -> PyResult<()> {
        self.with(|e| e.reset())
    }

    /// Stops the server (idempotent); the GIL is released while it stops.
    fn close(&self, py: Python<'_>) {
        let emu = self.inner.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(emu) = emu {
            py.detach(move || drop(emu));
        }
    }

    /// True until `close()`.
    #[getter]
    fn running(&self) -> bool {
        self.inner.lock().map(|g| g.is_some()).unwrap_or(false)
    }
}

fn report_to_py<'py>(py: Python<'py>, report: &ChaosReport) -> PyResult<Bound<'py, PyAny>> {
    let value = serde_json::to_value(report).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    json_to_py(py, &value)
}

/// `visionxl.testing.FAULT_KINDS`: every fault the emulator knows, by its serde name (what
/// `Emulator.inject` takes), with the names of the fields it takes: the emulator's own list
/// ([`FaultKind::ALL`]).
pub fn fault_kinds(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let out = PyDict::new(py);
    for kind in FaultKind::ALL {
        out.set_item(kind.name, PyTuple::new(py, kind.fields)?)?;
    }
    Ok(out)
}
