//! The C accessors of `vxl_error`: its code, message, status, record id and violations.

use std::ffi::c_char;
use std::ptr;

use crate::error::{CViolation, opt_ptr, vxl_error, vxl_status, vxl_violation};
use crate::ffi::{self, ffi_value};

/// The stable error code: `"validation_error"`, `"authentication_error"`,
/// `"permission_denied"`, `"insufficient_credits"`, `"rate_limited"`, `"bad_request"`,
/// `"not_found"`, `"server_error"`, `"timeout"`, `"connection_error"`, `"invalid_response"`,
/// `"generation_failed"`, `"budget_exceeded"`, `"download_error"`, `"io_error"`,
/// `"cancelled"`; in C also `"invalid_argument"` (with `VXL_INVALID_ARGUMENT`) and
/// `"internal_error"` (a bug in the library).
///
/// Owned by `err`, valid until `vxl_error_free(err)`. NULL when `err` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_error_code(err: *const vxl_error) -> *const c_char {
    ffi_value!(ptr::null(), {
        // SAFETY: NULL or a live error (the caller's contract).
        match unsafe { err.as_ref() } {
            Some(e) => e.code.as_ptr(),
            None => ptr::null(),
        }
    })
}

/// The message for people (never holds the API key). For a `validation_error` it lists every
/// violation, one per line.
///
/// Owned by `err`, valid until `vxl_error_free(err)`. NULL when `err` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_error_message(err: *const vxl_error) -> *const c_char {
    ffi_value!(ptr::null(), {
        // SAFETY: NULL or a live error.
        match unsafe { err.as_ref() } {
            Some(e) => e.message.as_ptr(),
            None => ptr::null(),
        }
    })
}

/// The HTTP status of the service's answer; 0 when there was no HTTP answer (or `err` is
/// NULL).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_error_http_status(err: *const vxl_error) -> u16 {
    ffi_value!(0, {
        // SAFETY: NULL or a live error.
        unsafe { err.as_ref() }.map_or(0, |e| e.http_status)
    })
}

/// The id of the generation record the error concerns (read it again with
/// `vxl_get_generation`), or NULL when there is none.
///
/// Owned by `err`, valid until `vxl_error_free(err)`.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_error_record_id(err: *const vxl_error) -> *const c_char {
    ffi_value!(ptr::null(), {
        // SAFETY: NULL or a live error.
        unsafe { err.as_ref() }.map_or(ptr::null(), |e| opt_ptr(&e.record_id))
    })
}

/// The service's own error code (e.g. `"UNSUPPORTED_MODEL"`), or NULL.
///
/// Owned by `err`, valid until `vxl_error_free(err)`.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_error_service_code(err: *const vxl_error) -> *const c_char {
    ffi_value!(ptr::null(), {
        // SAFETY: NULL or a live error.
        unsafe { err.as_ref() }.map_or(ptr::null(), |e| opt_ptr(&e.service_code))
    })
}

/// How long the service asked to wait before retrying (`rate_limited`), in milliseconds;
/// -1 when it did not say (or `err` is NULL).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_error_retry_after_ms(err: *const vxl_error) -> i64 {
    ffi_value!(-1, {
        // SAFETY: NULL or a live error.
        unsafe { err.as_ref() }
            .and_then(|e| e.retry_after_ms)
            .map_or(-1, |ms| i64::try_from(ms).unwrap_or(i64::MAX))
    })
}

/// True when the request may have reached the service and been charged (a timeout after
/// sending, a 5xx, a connection reset mid-answer): check before sending it again.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_error_may_have_been_charged(err: *const vxl_error) -> bool {
    ffi_value!(false, {
        // SAFETY: NULL or a live error.
        unsafe { err.as_ref() }.is_some_and(|e| e.may_have_been_charged)
    })
}

/// How many violations a `validation_error` carries (0 for other errors or a NULL `err`).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_error_violation_count(err: *const vxl_error) -> usize {
    ffi_value!(0, {
        // SAFETY: NULL or a live error.
        unsafe { err.as_ref() }.map_or(0, |e| e.violations.len())
    })
}

/// Fills `*out` with violation `index` (0-based) of a `validation_error`.
///
/// The strings in `*out` are owned by `err` and valid until `vxl_error_free(err)`.
/// `VXL_INVALID_ARGUMENT` when `err` or `out` is NULL or `index` is out of range; then
/// `*out_err` (if not NULL) receives a new error that the caller frees.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_error_violation(
    err: *const vxl_error,
    index: usize,
    out: *mut vxl_violation,
    out_err: *mut *mut vxl_error,
) -> vxl_status {
    ffi::fill(out, out_err, || {
        // SAFETY: NULL or a live error.
        let e = unsafe { ffi::borrow(err, "err") }?;
        CViolation::view_at(&e.violations, "violation", index)
    })
}

/// Frees an error. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_error_free(err: *mut vxl_error) {
    ffi_value!((), {
        // SAFETY: NULL or an error from this library, not used again (the caller's contract).
        unsafe { ffi::free_box(err) }
    })
}
