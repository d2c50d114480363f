//! `vxl_generate`, `vxl_get_generation` and `vxl_wait_for_generation` (each also
//! `_cancellable`).

use std::ffi::c_char;
use std::ptr;

use crate::cancel::{token, vxl_cancel_token};
use crate::client::vxl_client;
use crate::error::{vxl_error, vxl_status};
use crate::ffi;
use crate::generation::vxl_generation;
use crate::request::vxl_request;

/// Generates images: validates `req` (nothing is sent when it is invalid:
/// `"validation_error"` with every violation), then sends it and blocks until the images
/// exist (a record still `PROCESSING` is polled to its end).
///
/// On success `*out` receives a new generation the caller frees with `vxl_generation_free`.
/// On failure the error tells why: `"authentication_error"` (401), `"insufficient_credits"`
/// (402), `"rate_limited"` (429, after the client's retries), `"server_error"` (5xx),
/// `"timeout"`, `"connection_error"`, `"invalid_response"`, `"generation_failed"` (with the
/// record id), `"budget_exceeded"`, ... Safe to call from several threads with one client.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_generate(
    client: *const vxl_client,
    req: *const vxl_request,
    out: *mut *mut vxl_generation,
    err: *mut *mut vxl_error,
) -> vxl_status {
    vxl_generate_cancellable(client, req, ptr::null(), out, err)
}

/// `vxl_generate`, stopped by `vxl_cancel(cancel)` from another thread (`"cancelled"`).
/// `cancel` may be NULL (then it is `vxl_generate`).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_generate_cancellable(
    client: *const vxl_client,
    req: *const vxl_request,
    cancel: *const vxl_cancel_token,
    out: *mut *mut vxl_generation,
    err: *mut *mut vxl_error,
) -> vxl_status {
    ffi::create(out, err, || {
        // SAFETY: NULL or live handles.
        let client = unsafe { ffi::borrow(client, "client") }?;
        // SAFETY: as above.
        let req = unsafe { ffi::borrow(req, "req") }?;
        let (typed, _warnings) = req.build()?;
        // SAFETY: NULL or a live token.
        let generation = match unsafe { token(cancel) } {
            Some(t) => client.inner.generate_cancellable(typed, t)?,
            None => client.inner.generate(typed)?,
        };
        Ok(vxl_generation::new(generation))
    })
}

/// Reads a generation record once by its id (`vxl_generation_id`, or
/// `vxl_error_record_id`): `GET /api/results/{id}`, with fresh image URLs. It does not wait:
/// a record still being generated (async mode) comes back as it is, with status
/// `"PROCESSING"` and no images; `vxl_wait_for_generation` waits for the end.
///
/// On success `*out` receives a new generation the caller frees with `vxl_generation_free`.
/// An unknown id fails with `"not_found"`. A record with status `"FAILURE"` is returned as
/// it is (its reason is in `vxl_generation_raw_json`).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_get_generation(
    client: *const vxl_client,
    id: *const c_char,
    out: *mut *mut vxl_generation,
    err: *mut *mut vxl_error,
) -> vxl_status {
    vxl_get_generation_cancellable(client, id, ptr::null(), out, err)
}

/// `vxl_get_generation`, stopped by `vxl_cancel(cancel)` (`cancel` may be NULL).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_get_generation_cancellable(
    client: *const vxl_client,
    id: *const c_char,
    cancel: *const vxl_cancel_token,
    out: *mut *mut vxl_generation,
    err: *mut *mut vxl_error,
) -> vxl_status {
    read_generation(client, id, cancel, out, err, Read::Once)
}

/// Reads a generation record by its id and, while it is `"PROCESSING"`, polls it until it
/// is finished, for up to the client's poll timeout (`vxl_client_options_set_poll_timeout_ms`,
/// default 10 minutes). Blocks the calling thread.
///
/// On success `*out` receives a new generation with status `"SUCCESS"`, which the caller
/// frees with `vxl_generation_free`. Fails with `"not_found"` for an unknown id,
/// `"generation_failed"` (with the record id) when the record ends as `FAILURE`, and
/// `"timeout"` (with the record id) when it is still processing after the poll timeout.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_wait_for_generation(
    client: *const vxl_client,
    id: *const c_char,
    out: *mut *mut vxl_generation,
    err: *mut *mut vxl_error,
) -> vxl_status {
    vxl_wait_for_generation_cancellable(client, id, ptr::null(), out, err)
}

/// `vxl_wait_for_generation`, stopped by `vxl_cancel(cancel)` from another thread
/// (`"cancelled"`). `cancel` may be NULL (then it is `vxl_wait_for_generation`).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_wait_for_generation_cancellable(
    client: *const vxl_client,
    id: *const c_char,
    cancel: *const vxl_cancel_token,
    out: *mut *mut vxl_generation,
    err: *mut *mut vxl_error,
) -> vxl_status {
    read_generation(client, id, cancel, out, err, Read::UntilFinished)
}

/// How `read_generation` reads a record.
#[derive(Clone, Copy)]
enum Read {
    /// One `GET`: the record as it is now.
    Once,
    /// Polled until it is no longer `PROCESSING`.
    UntilFinished,
}

fn read_generation(
    client: *const vxl_client,
    id: *const c_char,
    cancel: *const vxl_cancel_token,
    out: *mut *mut vxl_generation,
    err: *mut *mut vxl_error,
    how: Read,
) -> vxl_status {
    ffi::create(out, err, || {
        // SAFETY: NULL or a live client.
        let client = unsafe { ffi::borrow(client, "client") }?;
        // SAFETY: NULL or a NUL-terminated string.
        let id = unsafe { ffi::c_str(id, "id") }?;
        let c = &client.inner;
        // SAFETY: NULL or a live token.
        let generation = match (how, unsafe { token(cancel) }) {
            (Read::Once, Some(t)) => c.get_generation_cancellable(id, t)?,
            (Read::Once, None) => c.get_generation(id)?,
            (Read::UntilFinished, Some(t)) => c.wait_for_generation_cancellable(id, t)?,
            (Read::UntilFinished, None) => c.wait_for_generation(id)?,
        };
        Ok(vxl_generation::new(generation))
    })
}
