//! One tokio runtime for the whole module, made fork-aware, and the two ways Python waits on
//! it: [`block_on`] for the sync `Client` (GIL released, Ctrl-C honoured) and [`VxlRuntime`],
//! the runtime pyo3-async-runtimes drives `AsyncClient`'s awaitables on.
//!
//! Fork: a tokio runtime created before `fork()` has no worker threads in the child, so using it
//! there hangs (DESIGN §6). The runtime remembers the pid that built it; the first use in another
//! process (a forked child) builds a fresh one and leaks the parent's (dropping it would wait for
//! threads that do not exist in the child).

use std::cell::OnceCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3_async_runtimes::TaskLocals;
use pyo3_async_runtimes::generic::{ContextExt, Runtime as GenericRuntime};
use tokio::runtime::{Builder, Runtime};

struct Owned {
    pid: u32,
    rt: Arc<Runtime>,
}

static RUNTIME: Mutex<Option<Owned>> = Mutex::new(None);

/// The module's runtime for this process (built on first use, rebuilt after a fork).
pub fn get() -> Arc<Runtime> {
    let pid = std::process::id();
    let mut slot = RUNTIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(owned) = slot.as_ref()
        && owned.pid == pid
    {
        return owned.rt.clone();
    }
    if let Some(stale) = slot.take() {
        // Built by the parent before fork(): its threads are gone. Never drop it.
        std::mem::forget(stale);
    }
    let rt = Arc::new(
        Builder::new_multi_thread()
            .enable_all()
            .thread_name("visionxl")
            .build()
            .expect("visionxl: cannot start the tokio runtime"),
    );
    *slot = Some(Owned {
        pid,
        rt: rt.clone(),
    });
    rt
}

/// How often a blocking wait on the main thread wakes up to run Python's signal handlers.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// Runs `fut` on the runtime and waits for it with the GIL released. On the main thread the wait
/// wakes every 50 ms to run Python's signal handlers: Ctrl-C (or any handler that raises) aborts
/// the task, which drops the request, and the exception propagates.
pub fn block_on<F, T>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let main_thread = is_main_thread(py);
    let (tx, rx) = mpsc::sync_channel(1);
    let task = get().spawn(async move {
        let _ = tx.send(fut.await);
    });
    py.detach(move || {
        loop {
            let got = if main_thread {
                rx.recv_timeout(SIGNAL_POLL)
            } else {
                rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
            };
            match got {
                Ok(v) => return Ok(v),
                Err(RecvTimeoutError::Timeout) => {
                    if let Err(e) = Python::attach(|py| py.check_signals()) {
                        task.abort();
                        return Err(e);
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(crate::errors::internal("a background task ended early"));
                }
            }
        }
    })
}

fn is_main_thread(py: Python<'_>) -> bool {
    (|| -> PyResult<bool> {
        let threading = py.import("threading")?;
        let current = threading.call_method0("current_thread")?;
        let main = threading.call_method0("main_thread")?;
        Ok(current.is(&main))
    })()
    .unwrap_or(false)
}

/// The runtime pyo3-async-runtimes' generic bridge drives awaitables on: ours, so `AsyncClient`
/// shares the fork-aware runtime with the sync `Client`.
pub struct VxlRuntime;

tokio::task_local! {
    static TASK_LOCALS: OnceCell<TaskLocals>;
}

impl GenericRuntime for VxlRuntime {
    type JoinError = tokio::task::JoinError;
    type JoinHandle = tokio::task::JoinHandle<()>;

    fn spawn<F>(fut: F) -> Self::JoinHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        get().spawn(fut)
    }

    fn spawn_blocking<F>(f: F) -> Self::JoinHandle
    where
        F: FnOnce() + Send + 'static,
    {
        get().spawn_blocking(f)
    }
}

impl ContextExt for VxlRuntime {
    fn scope<F, R>(locals: TaskLocals, fut: F) -> Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        let cell = OnceCell::new();
        let _ = cell.set(locals);
        Box::pin(TASK_LOCALS.scope(cell, fut))
    }

    fn get_task_locals() -> Option<TaskLocals> {
        TASK_LOCALS
            .try_with(|c| c.get().cloned())
            .unwrap_or_default()
    }
}

/// An asyncio awaitable for `fut`, run on [`VxlRuntime`]. Cancelling the awaitable drops `fut`.
pub fn awaitable<'py, F, T>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    pyo3_async_runtimes::generic::future_into_py::<VxlRuntime, F, T>(py, fut)
}
