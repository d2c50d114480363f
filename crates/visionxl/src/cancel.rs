//! [`CancelToken`]: stop a call from another thread or task.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;
use visionxl_core::{Error, ErrorCode};

/// Something to do on cancel (the direct transport breaks its socket), by registration number.
type Hooks = Vec<(u64, Arc<dyn Fn() + Send + Sync>)>;

struct Inner {
    cancelled: AtomicBool,
    notify: Notify,
    hooks: Mutex<Hooks>,
    next_hook: AtomicU64,
}

/// A cancellation flag shared by clones: [`cancel`](CancelToken::cancel) from any thread makes
/// every call watching it stop and fail with `cancelled`.
///
/// Async callers can also simply drop the future; the token exists for the blocking client and
/// for bindings (a JavaScript `AbortSignal`, Ctrl-C in Python).
///
/// ```
/// let token = visionxl::CancelToken::new();
/// let other = token.clone();
/// std::thread::spawn(move || other.cancel()).join().unwrap();
/// assert!(token.is_cancelled());
/// ```
#[derive(Clone)]
pub struct CancelToken(Arc<Inner>);

impl Default for CancelToken {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelToken")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

impl CancelToken {
    /// A token not yet cancelled.
    pub fn new() -> Self {
        CancelToken(Arc::new(Inner {
            cancelled: AtomicBool::new(false),
            notify: Notify::new(),
            hooks: Mutex::new(Vec::new()),
            next_hook: AtomicU64::new(0),
        }))
    }

    /// Cancels every call watching this token (idempotent, callable from any thread).
    pub fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
        let hooks: Vec<_> = self.hooks().iter().map(|(_, h)| h.clone()).collect();
        for hook in hooks {
            hook();
        }
    }

    fn hooks(&self) -> std::sync::MutexGuard<'_, Hooks> {
        self.0.hooks.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `hook` on [`cancel`](Self::cancel) (on the cancelling thread) until the guard is
    /// dropped: how a blocking read is broken from another thread.
    pub(crate) fn on_cancel(&self, hook: Arc<dyn Fn() + Send + Sync>) -> HookGuard {
        let id = self.0.next_hook.fetch_add(1, Ordering::Relaxed);
        self.hooks().push((id, hook));
        HookGuard {
            token: self.clone(),
            id,
        }
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::SeqCst)
    }

    /// Completes when the token is cancelled.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.0.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

/// Removes its hook from the token when dropped.
pub(crate) struct HookGuard {
    token: CancelToken,
    id: u64,
}

impl Drop for HookGuard {
    fn drop(&mut self) {
        self.token.hooks().retain(|(id, _)| *id != self.id);
    }
}

thread_local! {
    /// The tokens watching the call being polled on this thread, innermost last.
    static WATCHING: RefCell<Vec<CancelToken>> = const { RefCell::new(Vec::new()) };
}

/// The tokens watching the call this thread is running: work that blocks the thread inside a
/// poll (the direct transport) registers with them, since the runtime cannot interrupt it.
pub(crate) fn watching() -> Vec<CancelToken> {
    WATCHING.with(|w| w.borrow().clone())
}

/// Takes its token off this thread's watch list when dropped (also when a poll panics).
struct Watch;

impl Watch {
    fn start(token: &CancelToken) -> Watch {
        WATCHING.with(|w| w.borrow_mut().push(token.clone()));
        Watch
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        WATCHING.with(|w| w.borrow_mut().pop());
    }
}

/// `fut`, with `token` on this thread's watch list during each of its polls.
async fn watched<F: Future>(token: &CancelToken, fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    std::future::poll_fn(|cx| {
        let _watch = Watch::start(token);
        fut.as_mut().poll(cx)
    })
    .await
}

/// The `cancelled` error of a call stopped by its [`CancelToken`] ("the call was cancelled").
pub fn cancelled_error() -> Error {
    Error::new(ErrorCode::Cancelled, "the call was cancelled")
}

/// Runs `fut` unless `token` fires first: then `fut` is dropped (its connections close) and
/// the result is the `cancelled` error ([`cancelled_error`]). A token already cancelled stops
/// the call before `fut` is polled. With no token, this is `fut.await`.
///
/// Bindings use it to stop any client call from another thread (a JavaScript `AbortSignal`,
/// Ctrl-C in Python):
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use visionxl::{CancelToken, ErrorCode, run_cancellable};
/// let token = CancelToken::new();
/// let stopper = token.clone();
/// let slow = async {
///     tokio::time::sleep(std::time::Duration::from_secs(60)).await;
///     Ok::<_, visionxl::Error>(42)
/// };
/// stopper.cancel();
/// let err = run_cancellable(Some(&token), slow).await.unwrap_err();
/// assert_eq!(err.code(), ErrorCode::Cancelled);
/// let quick = async { Ok::<_, visionxl::Error>(7) };
/// assert_eq!(run_cancellable(None, quick).await.unwrap(), 7);
/// # }
/// ```
pub async fn run_cancellable<T, F>(token: Option<&CancelToken>, fut: F) -> Result<T, Error>
where
    F: Future<Output = Result<T, Error>>,
{
    run_cancellable_with(token, fut, cancelled_error).await
}

/// [`run_cancellable`] with the error of a cancellation made by `on_cancel` (for example one
/// that says whether a request had already been sent).
pub async fn run_cancellable_with<T, F>(
    token: Option<&CancelToken>,
    fut: F,
    on_cancel: impl FnOnce() -> Error,
) -> Result<T, Error>
where
    F: Future<Output = Result<T, Error>>,
{
    match token {
        None => fut.await,
        Some(t) => {
            if t.is_cancelled() {
                return Err(on_cancel());
            }
            tokio::select! {
                biased;
                _ = t.cancelled() => Err(on_cancel()),
                // A failure the cancel caused (a broken socket) is the cancel's.
                r = watched(t, fut) => match r {
                    Err(_) if t.is_cancelled() => Err(on_cancel()),
                    r => r,
                },
            }
        }
    }
}
