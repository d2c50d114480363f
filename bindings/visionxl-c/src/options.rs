//! `vxl_client_options`: every setting of `vxl_client_new_with_options`, by name through the
//! client-options table.

use std::ffi::c_char;
use std::time::Duration;

use client::options::{OptionValue, SecretString};
use client::{ClientBuilder, Violation};

use crate::error::{vxl_error, vxl_status};
use crate::ffi::{self, ffi_status, ffi_value};

/// Settings for `vxl_client_new_with_options`, every one optional (unset values take the
/// documented defaults, the API key and URLs also the `ONEMIN_*` environment variables).
///
/// Created by `vxl_client_options_new`; the caller owns it and frees it with
/// `vxl_client_options_free` (a client made from it does not need it any more). Not
/// synchronised: use one from one thread at a time.
#[allow(non_camel_case_types)]
pub struct vxl_client_options {
    pub(crate) builder: ClientBuilder,
    /// Values the options table refused, reported by `vxl_client_new_with_options` (as the C
    /// API documents) rather than by the setter.
    pub(crate) refused: Vec<Violation>,
}

/// Creates an options object with every default. On success `*out` receives it; the caller
/// frees it with `vxl_client_options_free`.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_client_options_new(
    out: *mut *mut vxl_client_options,
    err: *mut *mut vxl_error,
) -> vxl_status {
    ffi::create(out, err, || {
        Ok(vxl_client_options {
            builder: ClientBuilder::new(),
            refused: Vec::new(),
        })
    })
}

/// Frees an options object. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_client_options_free(opts: *mut vxl_client_options) {
    ffi_value!((), {
        // SAFETY: NULL or an options object from this library, not used again.
        unsafe { ffi::free_box(opts) }
    })
}

impl vxl_client_options {
    /// Sets option `name` through the options table (`visionxl::options::CLIENT_OPTIONS`),
    /// which converts and checks it. A value the table refuses is kept and reported by
    /// `vxl_client_new_with_options`, one violation per option, as the C API promises; setting
    /// the option again replaces it.
    fn set(&mut self, name: &str, value: OptionValue) {
        self.refused.retain(|v| v.field != name);
        if let Err(e) = self.builder.set_option(name, value) {
            self.refused.extend(e.violations().iter().cloned());
        }
    }
}

/// Sets a typed option.
fn set_option(
    opts: *mut vxl_client_options,
    name: &str,
    value: OptionValue,
    err: *mut *mut vxl_error,
) -> vxl_status {
    ffi_status!(err, {
        // SAFETY: NULL or a live options object used by one thread.
        let o = unsafe { ffi::borrow_mut(opts, "opts") }?;
        o.set(name, value);
        Ok(())
    })
}

/// Sets a string option (NULL or invalid UTF-8: `VXL_INVALID_ARGUMENT`, whose message names
/// the C parameter `name`, the option's name). The key goes straight into a `SecretString`.
fn set_str_option(
    opts: *mut vxl_client_options,
    value: *const c_char,
    name: &str,
    err: *mut *mut vxl_error,
) -> vxl_status {
    ffi_status!(err, {
        // SAFETY: NULL or a live options object used by one thread.
        let o = unsafe { ffi::borrow_mut(opts, "opts") }?;
        // SAFETY: NULL or a NUL-terminated string.
        let v = unsafe { ffi::c_str(value, name) }?;
        let value = if name == "api_key" {
            OptionValue::Secret(SecretString::from(v.to_string()))
        } else {
            OptionValue::Str(v.to_string())
        };
        o.set(name, value);
        Ok(())
    })
}

/// A duration option given in milliseconds, as the table's seconds.
fn millis(ms: u64) -> OptionValue {
    OptionValue::from(Duration::from_millis(ms))
}

/// The API key (else `ONEMIN_API_KEY`). Copied; never printed or put in an error message.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_client_options_set_api_key(
    opts: *mut vxl_client_options,
    api_key: *const c_char,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_str_option(opts, api_key, "api_key", err)
}

/// The API base URL (else `ONEMIN_BASE_URL`, else `https://api.1min.ai`). Copied.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_client_options_set_base_url(
    opts: *mut vxl_client_options,
    base_url: *const c_char,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_str_option(opts, base_url, "base_url", err)
}

/// Where images are downloaded from (else `ONEMIN_ASSET_BASE_URL`, else
/// `https://asset.1min.ai`, or `<base_url>/asset` for a loopback base URL). Copied.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_client_options_set_asset_base_url(
    opts: *mut vxl_client_options,
    asset_base_url: *const c_char,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_str_option(opts, asset_base_url, "asset_base_url", err)
}

/// How long to wait for a connection, in milliseconds (default 10000).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_client_options_set_connect_timeout_ms(
    opts: *mut vxl_client_options,
    ms: u64,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_option(opts, "connect_timeout", millis(ms), err)
}

/// How long one API request may take in all, in milliseconds (default 300000: generation is
/// slow). A request that times out after it was sent may have been charged.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_client_options_set_timeout_ms(
    opts: *mut vxl_client_options,
    ms: u64,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_option(opts, "timeout", millis(ms), err)
}

/// How long one image download may take, in milliseconds (default 120000).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_client_options_set_download_timeout_ms(
    opts: *mut vxl_client_options,
    ms: u64,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_option(opts, "download_timeout", millis(ms), err)
}

/// How many times a failed request is retried (default 2): connection failures before
/// sending, and 429 (honouring `Retry-After`).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_client_options_set_max_retries(
    opts: *mut vxl_client_options,
    max_retries: u32,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_option(opts, "max_retries", max_retries.into(), err)
}

/// Also retry requests that may have reached the service (timeouts after sending, 5xx): a
/// second POST may be charged twice. Default false.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_client_options_set_retry_ambiguous(
    opts: *mut vxl_client_options,
    yes: bool,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_option(opts, "retry_ambiguous", yes.into(), err)
}

/// A credit budget for this client: a request whose price would exceed what is left fails
/// with `"budget_exceeded"` before anything is sent. Default: no budget.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_client_options_set_budget(
    opts: *mut vxl_client_options,
    credits: u64,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_option(opts, "budget", credits.into(), err)
}

/// Requests per minute the client allows itself, shared by all its threads (default 180, the
/// service's limit).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_client_options_set_requests_per_minute(
    opts: *mut vxl_client_options,
    requests_per_minute: u32,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_option(opts, "requests_per_minute", requests_per_minute.into(), err)
}

/// Allow sending the key over plain `http://` to a host that is not loopback (default false).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_client_options_set_allow_insecure_http(
    opts: *mut vxl_client_options,
    yes: bool,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_option(opts, "allow_insecure_http", yes.into(), err)
}

/// Generate in async mode (default false): `vxl_generate` sends `"async": true`, the service
/// answers `PROCESSING` at once and the record is polled (`GET /api/results/{id}`) until it is
/// finished, so `vxl_generate` still returns only finished generations. Without it a
/// `PROCESSING` answer is polled the same way. Useful when a single long request would be
/// cut by a proxy or by the request timeout.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_client_options_set_async_mode(
    opts: *mut vxl_client_options,
    yes: bool,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_option(opts, "async_mode", yes.into(), err)
}

/// How long a `PROCESSING` record is polled (by `vxl_generate` and `vxl_wait_for_generation`)
/// before the call fails with `"timeout"` naming the record id, in milliseconds (default
/// 600000).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_client_options_set_poll_timeout_ms(
    opts: *mut vxl_client_options,
    ms: u64,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_option(opts, "poll_timeout", millis(ms), err)
}

/// The largest image a save or download accepts, in bytes (default 67108864, 64 MiB): checked
/// from `Content-Length` before downloading and while streaming; a larger image fails with
/// `"download_error"` naming the limit. It applies to every save this client runs
/// (`vxl_generation_save*` with this client), whichever client made the generation. Must be greater than 0: `vxl_client_new_with_options`
/// refuses 0 with a `"validation_error"` whose violation names `max_image_bytes`.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_client_options_set_max_image_bytes(
    opts: *mut vxl_client_options,
    max_image_bytes: u64,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_option(opts, "max_image_bytes", max_image_bytes.into(), err)
}
