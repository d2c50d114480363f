//! `generate_many` plumbing shared by both clients: the requests read from Python, the
//! progress callback that can stop the batch, and the list of results in input order.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict, PyList, PyString, PyTuple};
use visionxl::{BatchOptions, CancelToken, Error, GenerateRequest, Progress, Violation};

use visionxl::core::error::Text;

use crate::convert::Arg;
use crate::errors::to_py_err;
use crate::request::PyGenerateRequest;
use crate::results::{Flavour, GenData, PyGeneration, PyProgress};
use crate::runtime;

/// The requests of `generate_many`: each a `GenerateRequest`, a dict of `generate` keywords, or
/// a prompt string. Every one is validated before anything is sent.
fn collect_requests(requests: &Bound<'_, PyAny>) -> PyResult<Vec<GenerateRequest>> {
    let mut out = Vec::new();
    for (i, item) in requests.try_iter()?.enumerate() {
        let item = item?;
        let built = if let Ok(req) = item.cast::<PyGenerateRequest>() {
            Ok(req.get().clone())
        } else if let Ok(d) = item.cast::<PyDict>() {
            let params = d.copy()?;
            let prompt = params.get_item("prompt")?;
            if prompt.is_some() {
                params.del_item("prompt")?;
            }
            let preset = params.get_item("preset")?;
            if preset.is_some() {
                params.del_item("preset")?;
            }
            PyGenerateRequest::request_from_call(prompt.as_ref(), preset.as_ref(), Some(&params))
        } else if item.is_instance_of::<PyString>() {
            PyGenerateRequest::request_from_call(Some(&item), None, None)
        } else {
            Err(Error::validation(vec![Violation::new(
                "requests",
                visionxl::ViolationCode::WrongType,
                format!(
                    "requests[{i}] must be a GenerateRequest, a dict of generate() keywords or a \
                     prompt string, got {}",
                    crate::convert::type_name(&item)
                ),
            )]))
        };
        match built {
            Ok(r) => out.push(r.inner),
            // Say which request is wrong, in the message the exception is made from.
            Err(e) => {
                let said = Text::new().lit(format!("requests[{i}]: ")).text(&e.text());
                return Err(to_py_err(&e.with_text(said)));
            }
        }
    }
    Ok(out)
}

pub struct BatchArgs {
    requests: Vec<GenerateRequest>,
    pub opts: BatchOptions,
    pub cancel: CancelToken,
}

pub fn batch_args(
    requests: &Bound<'_, PyAny>,
    concurrency: Arg,
    manifest: Option<PathBuf>,
    out_dir: Option<PathBuf>,
    overwrite: bool,
) -> PyResult<BatchArgs> {
    // Converted here; the rule (1..=1000, as in every language) is the Rust client's.
    let concurrency = concurrency.count("concurrency", u32::MAX)? as usize;
    visionxl::options::check_concurrency(concurrency).map_err(|e| to_py_err(&e))?;
    let requests = collect_requests(requests)?;
    let cancel = CancelToken::new();
    Ok(BatchArgs {
        requests,
        opts: BatchOptions {
            concurrency,
            manifest,
            out_dir,
            overwrite,
            cancel: Some(cancel.clone()),
            ..BatchOptions::default()
        },
        cancel,
    })
}

/// The first exception raised by a batch's `on_progress`: once it is set the batch is
/// cancelled, the callback is not called again, and the exception is raised after the batch.
#[derive(Clone, Default)]
pub struct CallbackFailure(Arc<Mutex<Option<PyErr>>>);

impl CallbackFailure {
    fn is_set(&self) -> bool {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).is_some()
    }

    /// Calls `cb(progress)` unless an earlier call failed; a failure is kept (the first only)
    /// and cancels the batch.
    pub fn call(&self, py: Python<'_>, cb: &Py<PyAny>, progress: Progress, cancel: &CancelToken) {
        if self.is_set() {
            return;
        }
        let result = Py::new(py, PyProgress::from(progress)).and_then(|p| cb.call1(py, (p,)));
        if let Err(e) = result {
            let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
            if slot.is_none() {
                *slot = Some(e);
            }
            cancel.cancel();
        }
    }

    pub fn take(&self) -> Option<PyErr> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// One finished batch item as Python sees it: the generation, or the exception.
pub enum Slot {
    Done(Box<GenData>),
    Failed(PyErr),
}

/// Runs the batch through the client's `generate_all` (input order, slots for items never
/// run); a failed `on_progress` stops it. Each item becomes its generation or its exception.
pub async fn run_batch(
    client: visionxl::Client,
    flavour: Flavour,
    args: BatchArgs,
    failure: CallbackFailure,
) -> Result<Vec<Slot>, Error> {
    let items = client
        .generate_all(args.requests, args.opts, move |_| {
            if failure.is_set() {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .await?;
    Ok(items
        .into_iter()
        .map(|item| match item.error() {
            Some(e) if !item.is_ok() => Slot::Failed(to_py_err(e)),
            _ => match item.result {
                Ok(generation) => Slot::Done(Box::new(GenData {
                    generation,
                    flavour,
                })),
                Err(e) => Slot::Failed(to_py_err(&e)),
            },
        })
        .collect())
}

/// What `generate_many` returns or raises once the batch is over. The list holds every item in
/// input order (a generation, or its exception). A failing `on_progress` is raised, and so is
/// the first failed item when `return_exceptions` is off; either way the exception carries the
/// whole list as `partial_results`, so nothing paid for is lost.
pub fn batch_outcome(
    py: Python<'_>,
    slots: Vec<Slot>,
    return_exceptions: bool,
    callback_failure: Option<PyErr>,
) -> PyResult<Py<PyList>> {
    let list = PyList::empty(py);
    let mut first_failure: Option<PyErr> = None;
    for slot in slots {
        match slot {
            Slot::Done(d) => list.append(d.into_py(py)?)?,
            Slot::Failed(e) => {
                if first_failure.is_none() {
                    first_failure = Some(e.clone_ref(py));
                }
                list.append(e.into_value(py))?;
            }
        }
    }
    let raised = match callback_failure {
        Some(e) => Some(e),
        None if !return_exceptions => first_failure,
        None => None,
    };
    match raised {
        Some(e) => {
            attach_partial_results(py, &e, &list);
            Err(e)
        }
        None => Ok(list.unbind()),
    }
}

/// Sets `partial_results` on the exception; an exception that takes no attributes gets a note
/// naming the record ids instead (`add_note`, Python 3.11+).
fn attach_partial_results(py: Python<'_>, e: &PyErr, results: &Bound<'_, PyList>) {
    let value = e.value(py);
    if value.setattr("partial_results", results).is_ok() {
        return;
    }
    let ids: Vec<String> = results
        .iter()
        .filter_map(|r| r.cast_into::<PyGeneration>().ok())
        .map(|g| g.get().data.generation.id().to_string())
        .collect();
    if !ids.is_empty() {
        let note = format!(
            "generate_many: records generated before this error: {}",
            ids.join(", ")
        );
        let _ = value.call_method1("add_note", (note,));
    }
}

/// Runs `f` on the event loop after everything already scheduled there (asyncio runs
/// `call_soon_threadsafe` callbacks in order) and waits for it; returns at once when the loop
/// cannot take it (closed).
pub async fn after_scheduled_callbacks(event_loop: &Py<PyAny>) {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let tx = Mutex::new(Some(tx));
    let scheduled = runtime::attach_from_task(|py| -> PyResult<()> {
        let barrier = PyCFunction::new_closure(
            py,
            None,
            None,
            move |_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>| {
                if let Some(tx) = tx.lock().unwrap_or_else(|p| p.into_inner()).take() {
                    let _ = tx.send(());
                }
            },
        )?;
        event_loop
            .bind(py)
            .call_method1("call_soon_threadsafe", (barrier,))?;
        Ok(())
    });
    if let Some(Ok(())) = scheduled {
        let _ = rx.await;
    }
}
