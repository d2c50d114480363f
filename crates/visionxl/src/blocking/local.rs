//! Where blocking calls run: each calling thread gets, per client, a current-thread tokio
//! runtime and a sibling of the async client with connection pools of its own
//! ([`crate::Client::with_own_pools`]; pacing bucket and budget stay shared). A call runs
//! entirely on the thread that makes it, with no hand-off to worker threads. The sibling's
//! API calls go on its own blocking connections (`crate::direct`: no runtime turns per call);
//! its downloads and uploads go through reqwest, whose pooled connections are driven by the
//! runtime that opened them, hence a pool per runtime. A batch gets a runtime and a reqwest
//! sibling of its own (its items run concurrently).
//!
//! A thread's runtimes are freed when the thread exits or when the client's last handle is
//! dropped, whichever comes first. Runtimes and connections do not survive `fork()`: build
//! clients in the child.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::thread::ThreadId;

use visionxl_core::{Error, ErrorCode};

/// A current-thread runtime and the client whose connections it drives.
pub(crate) struct Local {
    rt: Option<tokio::runtime::Runtime>,
    /// The async client with this runtime's connection pools.
    pub(crate) client: crate::Client,
}

impl Drop for Local {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            // Never blocks, never panics inside another runtime, and (run from a thread-local
            // destructor) must not unwind: a panic there would abort the process.
            let _ =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rt.shutdown_background()));
        }
    }
}

impl Local {
    /// A runtime for one thread (`direct`: API calls on the client's own blocking connections)
    /// or for one batch (through reqwest, since its items run concurrently), and a client with
    /// fresh pools.
    pub(crate) fn new(base: &crate::Client, direct: bool) -> Result<Local, Error> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                Error::new(
                    ErrorCode::IoError,
                    format!("cannot start the client's runtime: {e}"),
                )
                .with_source(e)
            })?;
        Ok(Local {
            rt: Some(rt),
            client: base.with_own_pools(direct)?,
        })
    }

    /// Runs `fut` to its end on this runtime, on the calling thread, after letting the runtime
    /// catch up with what happened on its connections while it was idle (see [`settle`]).
    pub(crate) fn block_on<F: Future>(&self, fut: F) -> F::Output {
        self.enter(fut, true)
    }

    /// [`block_on`](Self::block_on) for a future that makes API calls only (no download, no
    /// upload): on the direct transport, which checks its connection itself right before
    /// reuse, it needs no settling first.
    fn block_on_api<F: Future>(&self, fut: F) -> F::Output {
        self.enter(fut, !self.client.is_direct())
    }

    fn enter<F: Future>(&self, fut: F, settling: bool) -> F::Output {
        self.rt
            .as_ref()
            .expect("the runtime lives as long as Local")
            .block_on(async {
                if settling {
                    settle().await;
                }
                fut.await
            })
    }
}

/// Between two calls this runtime does not run, so a kept-alive connection the server closed
/// meanwhile still looks open to the pool, and a POST sent into it would fail after sending
/// (possibly charged, never retried). Two turns of the scheduler first: the first polls the
/// I/O driver (the close wakes the connection's task), the second runs that task, which takes
/// the connection out of the pool; the request then goes out on a live or a new connection.
/// Tested by `a_connection_closed_while_idle_is_not_reused` (tests/blocking.rs).
async fn settle() {
    tokio::task::yield_now().await;
    tokio::task::yield_now().await;
}

/// What a blocking call does, which decides how it runs.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Work {
    /// API calls only (generate, read or wait for a record): on the thread's direct
    /// connections, with no settling first.
    Api,
    /// Anything else on the thread's runtime (downloads and uploads through reqwest).
    Other,
    /// A batch: its items run concurrently, which one thread's direct connections cannot do,
    /// so it gets a runtime and a reqwest client of its own.
    Batch,
}

/// What every handle of one blocking client shares: the async client it wraps and the
/// per-thread runtimes.
pub(crate) struct Shared {
    /// The client as built: its own pools are never used by blocking calls, so it stays usable
    /// from any async runtime (`async_client()`, generations handed out).
    pub(crate) base: crate::Client,
    locals: Mutex<HashMap<ThreadId, Arc<Local>>>,
}

impl Shared {
    pub(crate) fn new(base: crate::Client) -> Arc<Shared> {
        Arc::new(Shared {
            base,
            locals: Mutex::new(HashMap::new()),
        })
    }

    fn locals(&self) -> MutexGuard<'_, HashMap<ThreadId, Arc<Local>>> {
        // A panic while holding the lock leaves the map consistent (insert/remove only).
        self.locals.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes the calling thread's runtime and client now rather than at its first call.
    pub(crate) fn prepare(self: &Arc<Self>) -> Result<(), Error> {
        self.local().map(drop)
    }

    /// The calling thread's runtime and client, made on first use.
    fn local(self: &Arc<Self>) -> Result<Arc<Local>, Error> {
        let id = std::thread::current().id();
        if let Some(l) = self.locals().get(&id) {
            return Ok(l.clone());
        }
        let local = Arc::new(Local::new(&self.base, true)?);
        self.locals().insert(id, local.clone());
        // Forget this thread's runtime when the thread exits (ignored while it is exiting).
        let _ = EXIT.try_with(|e| e.watch(id, Arc::downgrade(self)));
        Ok(local)
    }

    /// Runs `call` with the calling thread's client on the calling thread's runtime (a batch:
    /// on a runtime and client made for it alone, see [`Work`]). From inside an async context
    /// (where blocking on a runtime would panic) it runs on a helper thread instead: blocking
    /// there is the caller's choice.
    pub(crate) fn run<T, Fut>(
        self: &Arc<Self>,
        work: Work,
        call: impl FnOnce(crate::Client) -> Fut + Send,
    ) -> Result<T, Error>
    where
        Fut: Future<Output = Result<T, Error>>,
        T: Send,
    {
        let here = || {
            let local = match work {
                Work::Batch => Arc::new(Local::new(&self.base, false)?),
                _ => self.local()?,
            };
            let fut = call(local.client.clone());
            match work {
                Work::Api => local.block_on_api(fut),
                _ => local.block_on(fut),
            }
        };
        if tokio::runtime::Handle::try_current().is_ok() {
            return std::thread::scope(|s| match s.spawn(here).join() {
                Ok(v) => v,
                Err(panic) => std::panic::resume_unwind(panic),
            });
        }
        here()
    }
}

/// Removes the exiting thread's runtimes from the clients it used.
struct ExitGuard {
    watched: RefCell<Vec<(ThreadId, Weak<Shared>)>>,
}

impl ExitGuard {
    fn watch(&self, id: ThreadId, shared: Weak<Shared>) {
        let mut w = self.watched.borrow_mut();
        w.retain(|(_, s)| s.strong_count() > 0);
        w.push((id, shared));
    }
}

impl Drop for ExitGuard {
    fn drop(&mut self) {
        for (id, shared) in self.watched.get_mut().drain(..) {
            if let Some(shared) = shared.upgrade() {
                let local = shared.locals().remove(&id);
                drop(local);
            }
        }
    }
}

thread_local! {
    static EXIT: ExitGuard = const {
        ExitGuard {
            watched: RefCell::new(Vec::new()),
        }
    };
}
