//! `vxl_cancel_token`: stops calls from another thread.

use client::CancelToken;

use crate::error::{vxl_error, vxl_status};
use crate::ffi::{self, ffi_value};

/// Cancels calls from another thread: pass it to the `_cancellable` calls, and call
/// `vxl_cancel` from any thread to make them return `"cancelled"` promptly.
///
/// Created by `vxl_cancel_token_new`; the caller owns it and frees it with
/// `vxl_cancel_token_free` once no call uses it any more. Thread-safe. A cancelled token stays
/// cancelled: use a new token for new calls.
#[allow(non_camel_case_types)]
pub struct vxl_cancel_token {
    pub(crate) token: CancelToken,
}

/// Creates a cancel token. On success `*out` receives it; the caller frees it with
/// `vxl_cancel_token_free`.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_cancel_token_new(
    out: *mut *mut vxl_cancel_token,
    err: *mut *mut vxl_error,
) -> vxl_status {
    ffi::create(out, err, || {
        Ok(vxl_cancel_token {
            token: CancelToken::new(),
        })
    })
}

/// Cancels every call watching `token`: they return `VXL_ERROR` with `"cancelled"` (whose
/// `vxl_error_may_have_been_charged` says whether the request may already have been
/// charged). Callable from any thread, any number of times. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_cancel(token: *const vxl_cancel_token) {
    ffi_value!((), {
        // SAFETY: NULL or a live token.
        if let Some(t) = unsafe { token.as_ref() } {
            t.token.cancel();
        }
    })
}

/// Whether `vxl_cancel` was called on `token` (false for NULL).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_cancel_token_is_cancelled(token: *const vxl_cancel_token) -> bool {
    ffi_value!(false, {
        // SAFETY: NULL or a live token.
        unsafe { token.as_ref() }.is_some_and(|t| t.token.is_cancelled())
    })
}

/// Frees a cancel token. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_cancel_token_free(token: *mut vxl_cancel_token) {
    ffi_value!((), {
        // SAFETY: NULL or a token from this library that no call uses any more.
        unsafe { ffi::free_box(token) }
    })
}

/// The token behind an optional handle.
///
/// # Safety
/// `cancel` is NULL or a live token.
pub(crate) unsafe fn token<'a>(cancel: *const vxl_cancel_token) -> Option<&'a CancelToken> {
    // SAFETY: the caller's contract.
    unsafe { cancel.as_ref() }.map(|t| &t.token)
}
