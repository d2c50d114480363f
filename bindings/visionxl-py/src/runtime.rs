//! One tokio runtime for the whole module, made fork-aware, and the two ways Python waits on
//! it: [`block_on`] for the sync `Client` (GIL released, Ctrl-C honoured) and [`VxlRuntime`],
//! the runtime pyo3-async-runtimes drives `AsyncClient`'s awaitables on. (`client::call` picks,
//! for one API call of the sync `Client`, between `block_on` on Python's main thread and the
//! Rust blocking client on any other thread.)
//!
//! Fork: a tokio runtime created before `fork()` has no worker threads in the child, so using it
//! there hangs (a runtime must not cross a fork). The runtime remembers the pid that built it; the first use in another
//! process (a forked child) builds a fresh one and leaks the parent's (dropping it would wait for
//! threads that do not exist in the child).
//!
//! Exit: an awaitable's result is handed to asyncio from a runtime thread attached to Python
//! (`call_soon_threadsafe`, which releases the GIL while it wakes the loop). The main thread can
//! then run to the end of the program and start finalizing while that thread still has to take
//! the GIL back, and CPython kills or aborts such a thread (a crash at exit, seen under load).
//! So every such hand-over is counted, and an `atexit` hook (run before finalization) waits for
//! the ones in flight and stops new ones from attaching.

use std::cell::OnceCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

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
    wait_on(py, is_main_thread(py), fut)
}

/// [`block_on`] for a caller that already knows whether this is the main thread.
pub fn wait_on<F, T>(py: Python<'_>, main_thread: bool, fut: F) -> PyResult<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
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

/// Whether this is Python's main thread (the one that gets signals, hence Ctrl-C).
pub fn is_main_thread(py: Python<'_>) -> bool {
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

    /// pyo3-async-runtimes uses this only to hand a result to asyncio (attached to Python):
    /// counted, and skipped once the interpreter is exiting.
    fn spawn_blocking<F>(f: F) -> Self::JoinHandle
    where
        F: FnOnce() + Send + 'static,
    {
        let entered = InFlight::enter();
        get().spawn_blocking(move || {
            if let Some(_in_flight) = entered {
                f();
            }
            // Else the program is exiting: `f` is dropped without running; pyo3 defers the
            // reference counts of the Python objects it held, nothing touches the interpreter.
        })
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

/// Hand-overs to Python from runtime threads in flight, and whether the interpreter is exiting
/// (see the module docs). Per process: a forked child starts afresh.
struct ExitState {
    pid: u32,
    exiting: bool,
    in_flight: usize,
}

static EXIT: Mutex<ExitState> = Mutex::new(ExitState {
    pid: 0,
    exiting: false,
    in_flight: 0,
});
static EXIT_CHANGED: Condvar = Condvar::new();

/// How long the exit hook waits for hand-overs in flight (they take microseconds).
const EXIT_WAIT: Duration = Duration::from_secs(2);

fn exit_state() -> std::sync::MutexGuard<'static, ExitState> {
    let mut state = EXIT.lock().unwrap_or_else(|p| p.into_inner());
    let pid = std::process::id();
    if state.pid != pid {
        *state = ExitState {
            pid,
            exiting: false,
            in_flight: 0,
        };
    }
    state
}

/// One hand-over to Python in flight; `None` once the interpreter is exiting.
pub struct InFlight(());

impl InFlight {
    pub fn enter() -> Option<InFlight> {
        let mut state = exit_state();
        if state.exiting {
            return None;
        }
        state.in_flight += 1;
        Some(InFlight(()))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut state = exit_state();
        state.in_flight = state.in_flight.saturating_sub(1);
        EXIT_CHANGED.notify_all();
    }
}

/// Runs `f` attached to Python from a runtime thread, counted like the hand-overs above;
/// `None` (and `f` not run) when the interpreter is exiting or gone.
pub fn attach_from_task<R>(f: impl for<'py> FnOnce(Python<'py>) -> R) -> Option<R> {
    let _in_flight = InFlight::enter()?;
    Python::try_attach(f)
}

/// The `atexit` hook: from now on runtime threads no longer attach to Python, and the ones
/// already handing something over get (with the GIL released) up to two seconds to finish.
#[pyfunction]
pub fn _wait_for_runtime_threads(py: Python<'_>) {
    py.detach(|| {
        let deadline = Instant::now() + EXIT_WAIT;
        let mut state = exit_state();
        state.exiting = true;
        while state.in_flight > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            state = EXIT_CHANGED
                .wait_timeout(state, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    });
}
