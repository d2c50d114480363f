//! [`CancelToken`]: stop a call from another thread or task.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;
use visionxl_core::{Error, ErrorCode};

struct Inner {
    cancelled: AtomicBool,
    notify: Notify,
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
        }))
    }

    /// Cancels every call watching this token (idempotent, callable from any thread).
    pub fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
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

/// The `cancelled` error.
pub(crate) fn cancelled_error() -> Error {
    Error::new(ErrorCode::Cancelled, "the call was cancelled")
}

/// Runs `fut` unless `token` fires first; `on_cancel` builds the error then.
pub(crate) async fn run_cancellable<T, F>(
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
                r = fut => r,
            }
        }
    }
}
