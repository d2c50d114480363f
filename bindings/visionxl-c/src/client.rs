//! `vxl_client`: creating one (from arguments or from `vxl_client_options`), freeing it, its
//! budget. Calls that use it live in `generate.rs`, `upload.rs`, `save.rs` and `batch.rs`.
//!
//! Every call blocks the calling thread: the Rust `visionxl::blocking::Client` runs it on a
//! runtime and connection pool of the calling thread, so C needs no event loop.

use std::ffi::c_char;

use client::ClientBuilder;
use client::Error;
use client::blocking;

use crate::error::{vxl_error, vxl_status};
use crate::ffi::{self, ffi_value};
use crate::options::vxl_client_options;

/// A connection to the 1min.ai API (or the emulator): key, base URL, retries, pacing and
/// budget. Calls run on the calling thread, each thread with a runtime and connection pool of
/// its own (made on first use, freed when the thread exits or the client is freed).
///
/// Created by `vxl_client_new` or `vxl_client_new_with_options`; the caller owns it and frees
/// it with `vxl_client_free`. Thread-safe: one client may be used by any number of threads at
/// once (they share its rate limit and budget); free it only after every call using it has
/// returned. Create clients after `fork()`, in the child: runtimes and connections do not
/// survive it.
#[allow(non_camel_case_types)]
pub struct vxl_client {
    pub(crate) inner: blocking::Client,
}

/// Creates a client.
///
/// `api_key`: the 1min.ai API key, or NULL to read `ONEMIN_API_KEY`. `base_url`: NULL to read
/// `ONEMIN_BASE_URL`, else `https://api.1min.ai`; the emulator's URL for tests. The key is
/// never sent over plain `http://` except to a loopback host. Both strings are copied.
///
/// On success `*out` receives a new client the caller frees with `vxl_client_free`. Fails with
/// `"authentication_error"` when there is no key, `"validation_error"` for a bad URL.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_client_new(
    api_key: *const c_char,
    base_url: *const c_char,
    out: *mut *mut vxl_client,
    err: *mut *mut vxl_error,
) -> vxl_status {
    ffi::create(out, err, || {
        let mut b = ClientBuilder::new();
        // SAFETY: NULL or NUL-terminated strings.
        if let Some(k) = unsafe { ffi::opt_c_str(api_key, "api_key") }? {
            b = b.api_key(k);
        }
        // SAFETY: as above.
        if let Some(u) = unsafe { ffi::opt_c_str(base_url, "base_url") }? {
            b = b.base_url(u);
        }
        Ok(vxl_client {
            inner: b.build_blocking()?,
        })
    })
}

/// Creates a client from options (which stay owned by the caller).
///
/// On success `*out` receives a new client the caller frees with `vxl_client_free`. Fails with
/// `"validation_error"` for a setting out of range (a zero timeout or `max_image_bytes`: one
/// violation per bad setting, its field the setting's name), then `"authentication_error"`
/// when there is no key, `"validation_error"` for a bad URL or plain `http://` to a host that
/// is not loopback.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_client_new_with_options(
    opts: *const vxl_client_options,
    out: *mut *mut vxl_client,
    err: *mut *mut vxl_error,
) -> vxl_status {
    ffi::create(out, err, || {
        // SAFETY: NULL or a live options object.
        let o = unsafe { ffi::borrow(opts, "opts") }?;
        if !o.refused.is_empty() {
            return Err(Error::validation(o.refused.clone()).into());
        }
        Ok(vxl_client {
            inner: o.builder.clone().build_blocking()?,
        })
    })
}

/// Frees a client. NULL is a no-op. Generations it made stay usable.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_client_free(client: *mut vxl_client) {
    ffi_value!((), {
        // SAFETY: NULL or a client from this library that no call uses any more.
        unsafe { ffi::free_box(client) }
    })
}

/// Credits left in the client's budget, or -1 when it has no budget (or `client` is NULL).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_client_budget_remaining(client: *const vxl_client) -> i64 {
    ffi_value!(-1, {
        // SAFETY: NULL or a live client.
        unsafe { client.as_ref() }
            .and_then(|c| c.inner.budget_remaining())
            .map_or(-1, |v| i64::try_from(v).unwrap_or(i64::MAX))
    })
}
