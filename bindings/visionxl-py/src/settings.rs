//! The keywords of `Client(...)`/`AsyncClient(...)`: each is converted to a loosely typed
//! value and handed to the Rust `ClientBuilder::set_options`, which checks it against the
//! client's options table (`visionxl::options::CLIENT_OPTIONS`). Nothing is judged here.

use std::fmt::Write as _;
use std::sync::{Mutex, MutexGuard};

use pyo3::prelude::*;
use pyo3::types::PyString;
use secrecy::SecretString;
use visionxl::options::{OptionValue, client_option};
use visionxl::{ClientBuilder, Error, Generation, Naming, ParamValue};

use crate::convert::{Arg, repr_str, to_param};
use crate::errors::to_py_err;
use crate::results::{Flavour, GenData};
use crate::runtime;

/// What both clients share: how the client was configured (kept so a client used in a forked
/// child can be rebuilt there) and the Rust clients of this process.
pub struct Shared {
    builder: ClientBuilder,
    state: Mutex<State>,
}

/// The Rust clients of one process.
struct State {
    pid: u32,
    client: visionxl::Client,
    /// `visionxl::blocking::Client::from_async(client)` (same settings, pacing bucket and
    /// budget): the sync client's calls from threads other than Python's main thread. Made on
    /// the first such call, so an `AsyncClient` or a main-thread-only `Client` never has one.
    blocking: Option<visionxl::blocking::Client>,
}

fn build(builder: &ClientBuilder) -> Result<visionxl::Client, Error> {
    let rt = runtime::get();
    let _guard = rt.enter();
    builder.clone().build()
}

impl Shared {
    fn new(builder: ClientBuilder) -> PyResult<Shared> {
        let client = build(&builder).map_err(|e| to_py_err(&e))?;
        Ok(Shared {
            builder,
            state: Mutex::new(State {
                pid: std::process::id(),
                client,
                blocking: None,
            }),
        })
    }

    /// The clients of this process: the ones built here, or fresh ones in a forked child (the
    /// parent's connection pools belong to runtimes that do not exist there).
    fn state(&self) -> PyResult<MutexGuard<'_, State>> {
        let pid = std::process::id();
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.pid != pid {
            let fresh = State {
                pid,
                client: build(&self.builder).map_err(|e| to_py_err(&e))?,
                blocking: None,
            };
            let stale = std::mem::replace(&mut *state, fresh);
            // Its pools' tasks lived on the parent's runtimes: never run its destructor here.
            std::mem::forget(stale);
        }
        Ok(state)
    }

    /// The Rust client for this process.
    pub fn client(&self) -> PyResult<visionxl::Client> {
        Ok(self.state()?.client.clone())
    }

    /// The blocking client over [`client`](Self::client) for this process, made on first use
    /// (which also prepares the calling thread's runtime and connections) and rebuilt in a
    /// forked child like the async one.
    pub fn blocking(&self) -> PyResult<visionxl::blocking::Client> {
        let mut state = self.state()?;
        if let Some(blocking) = &state.blocking {
            return Ok(blocking.clone());
        }
        let blocking = visionxl::blocking::Client::from_async(state.client.clone())
            .map_err(|e| to_py_err(&e))?;
        state.blocking = Some(blocking.clone());
        Ok(blocking)
    }

    /// The Python exception for a client error (already redacted by the client).
    pub fn err(&self, e: &Error) -> PyErr {
        to_py_err(e)
    }

    /// A generation made by this client, for Python.
    pub fn data(&self, generation: Generation, flavour: Flavour) -> GenData {
        GenData {
            generation,
            flavour,
        }
    }

    pub fn repr(&self, class: &str, py: Python<'_>) -> String {
        let (base, asset, budget) = match self.state.lock() {
            Ok(s) => (
                s.client.base_url().to_string(),
                s.client.asset_base_url().to_string(),
                s.client.budget_remaining(),
            ),
            Err(_) => (String::new(), String::new(), None),
        };
        let mut out = format!(
            "{class}(base_url={}, asset_base_url={}, api_key='***'",
            repr_str(py, &base),
            repr_str(py, &asset)
        );
        if let Some(b) = budget {
            let _ = write!(out, ", budget_remaining={b}");
        }
        out.push(')');
        out
    }
}

/// The `api_key` keyword: a string goes straight into a `SecretString` (no plain copy is kept
/// here); anything else is handed on as it is, for the table to name its type.
pub fn key_arg(key: Option<&Bound<'_, PyAny>>) -> PyResult<OptionValue> {
    match key {
        None => Ok(OptionValue::Null),
        Some(k) => match k.cast::<PyString>() {
            Ok(s) => Ok(OptionValue::Secret(SecretString::from(
                s.to_cow()?.into_owned(),
            ))),
            Err(_) => Ok(option_value("api_key", to_param(k))),
        },
    }
}

/// A keyword's value for the table. `None` means "the default" only for keywords whose
/// default is `None`; for the others (`max_retries=2`, ...) it is a value of the wrong type.
fn option_value(name: &str, v: ParamValue) -> OptionValue {
    let none_default = client_option(name).is_some_and(|o| o.python_default == Some("None"));
    match v {
        ParamValue::Null if !none_default => OptionValue::Other("NoneType".into()),
        v => v.into(),
    }
}

/// Builds the shared state of a client from its keywords (every keyword of the table's
/// `python_default` column, in that order, `api_key` first).
pub fn shared_from_args(
    api_key: OptionValue,
    keywords: [(&'static str, Arg); 12],
) -> PyResult<Shared> {
    let mut builder = visionxl::Client::builder();
    let options = std::iter::once(("api_key", api_key))
        .chain(keywords.into_iter().map(|(k, v)| (k, option_value(k, v.0))));
    builder
        .set_options(Naming::Sdk, options)
        .map_err(|e| to_py_err(&e))?;
    Shared::new(builder)
}
