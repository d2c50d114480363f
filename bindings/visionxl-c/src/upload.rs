//! Asset uploads: from a file or from memory.

use std::ffi::c_char;
use std::ptr;

use bytes::Bytes;
use client::{Asset, CancelToken, blocking};

use crate::cancel::{token, vxl_cancel_token};
use crate::client::vxl_client;
use crate::error::{Failure, cstring, vxl_error, vxl_status};
use crate::ffi::{self, ffi_status};

/// Uploads a local image file (`POST /api/assets`) for use as `init_image_id` or in
/// `image_prompts`.
///
/// On success `*out_reference` receives the reference to pass on (e.g. to
/// `vxl_request_set_init_image_id`): a new string the caller owns and frees with
/// `vxl_string_free`. Fails with `"io_error"` when the file cannot be read and
/// `"validation_error"` when it is not an image or too large.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_upload_asset_dup(
    client: *const vxl_client,
    path: *const c_char,
    out_reference: *mut *mut c_char,
    err: *mut *mut vxl_error,
) -> vxl_status {
    vxl_upload_asset_dup_cancellable(client, path, ptr::null(), out_reference, err)
}

/// `vxl_upload_asset_dup`, stopped by `vxl_cancel(cancel)` from another thread
/// (`"cancelled"`). `cancel` may be NULL (then it is `vxl_upload_asset_dup`).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_upload_asset_dup_cancellable(
    client: *const vxl_client,
    path: *const c_char,
    cancel: *const vxl_cancel_token,
    out_reference: *mut *mut c_char,
    err: *mut *mut vxl_error,
) -> vxl_status {
    upload(client, cancel, out_reference, err, |c, cancel| {
        // SAFETY: NULL or a NUL-terminated string.
        let path = unsafe { ffi::c_str(path, "path") }?;
        Ok(match cancel {
            Some(t) => c.upload_asset_cancellable(path, t)?,
            None => c.upload_asset(path)?,
        })
    })
}

/// Uploads an image held in memory (`POST /api/assets`): `len` bytes at `data`, sent under
/// `file_name` (UTF-8, e.g. `"init.png"`; its extension does not need to match, the bytes
/// decide the type). The bytes are copied before the call returns.
///
/// On success `*out_reference` receives the reference to pass on (as `vxl_upload_asset_dup`):
/// a new string the caller frees with `vxl_string_free`. Fails with `"validation_error"` when
/// the bytes are not an image or too large; `VXL_INVALID_ARGUMENT` when `data` is NULL with
/// `len` > 0.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_upload_asset_bytes_dup(
    client: *const vxl_client,
    data: *const u8,
    len: usize,
    file_name: *const c_char,
    out_reference: *mut *mut c_char,
    err: *mut *mut vxl_error,
) -> vxl_status {
    vxl_upload_asset_bytes_dup_cancellable(
        client,
        data,
        len,
        file_name,
        ptr::null(),
        out_reference,
        err,
    )
}

/// `vxl_upload_asset_bytes_dup`, stopped by `vxl_cancel(cancel)` from another thread
/// (`"cancelled"`). `cancel` may be NULL.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_upload_asset_bytes_dup_cancellable(
    client: *const vxl_client,
    data: *const u8,
    len: usize,
    file_name: *const c_char,
    cancel: *const vxl_cancel_token,
    out_reference: *mut *mut c_char,
    err: *mut *mut vxl_error,
) -> vxl_status {
    upload(client, cancel, out_reference, err, |c, cancel| {
        // SAFETY: NULL or a NUL-terminated string.
        let file_name = unsafe { ffi::c_str(file_name, "file_name") }?;
        let bytes = if len == 0 {
            Bytes::new()
        } else {
            ffi::non_null(data, "data")?;
            // SAFETY: `data` is non-NULL and points at `len` readable bytes (the caller's
            // contract); they are copied before returning.
            Bytes::copy_from_slice(unsafe { std::slice::from_raw_parts(data, len) })
        };
        Ok(match cancel {
            Some(t) => c.upload_asset_bytes_cancellable(bytes, file_name, t)?,
            None => c.upload_asset_bytes(bytes, file_name)?,
        })
    })
}

/// What both uploads share: `out_reference` cleared first, then `client` borrowed and `send`
/// run with it and the token; the asset's reference goes to `*out_reference` (caller-owned).
fn upload(
    client: *const vxl_client,
    cancel: *const vxl_cancel_token,
    out_reference: *mut *mut c_char,
    err: *mut *mut vxl_error,
    send: impl FnOnce(&blocking::Client, Option<&CancelToken>) -> Result<Asset, Failure>,
) -> vxl_status {
    ffi_status!(err, {
        ffi::clear_out(out_reference, "out_reference")?;
        // SAFETY: NULL or a live client.
        let client = unsafe { ffi::borrow(client, "client") }?;
        // SAFETY: NULL or a live token.
        let asset = send(&client.inner, unsafe { token(cancel) })?;
        // SAFETY: checked non-NULL by clear_out.
        unsafe { ffi::write(out_reference, cstring(asset.reference()).into_raw()) };
        Ok(())
    })
}
