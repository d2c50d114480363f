//! The network half: `vxl_client` (with `vxl_client_options`), `vxl_generate`,
//! `vxl_get_generation` / `vxl_wait_for_generation`, `vxl_generation` and its saves,
//! `vxl_cancel_token`, and asset uploads.
//!
//! Every call blocks the calling thread on the client's own tokio runtime (the Rust
//! `visionxl::blocking::Client`), so C needs no event loop.

use std::ffi::{CString, c_char};
use std::path::PathBuf;
use std::ptr;
use std::time::Duration;

use client::blocking;
use client::options::{OptionValue, SecretString};
use client::{CancelToken, ClientBuilder, Error, SaveOptions, Violation};

use crate::error::cstring;
use crate::error::{CViolation, Failure, vxl_error, vxl_status, vxl_violation};
use crate::ffi::{self, ffi_status, ffi_value};
use crate::request::{clear_out, give, vxl_request};

/// A connection to the 1min.ai API (or the emulator): key, base URL, retries, pacing, budget
/// and a private runtime with two worker threads.
///
/// Created by `vxl_client_new` or `vxl_client_new_with_options`; the caller owns it and frees
/// it with `vxl_client_free`. Thread-safe: one client may be used by any number of threads at
/// once (they share its connection pool, rate limit and budget); free it only after every call
/// using it has returned. Create clients after `fork()`, not before.
#[allow(non_camel_case_types)]
pub struct vxl_client {
    inner: blocking::Client,
}

/// Settings for `vxl_client_new_with_options`, every one optional (unset values take the
/// documented defaults, the API key and URLs also the `ONEMIN_*` environment variables).
///
/// Created by `vxl_client_options_new`; the caller owns it and frees it with
/// `vxl_client_options_free` (a client made from it does not need it any more). Not
/// synchronised: use one from one thread at a time.
#[allow(non_camel_case_types)]
pub struct vxl_client_options {
    builder: ClientBuilder,
    /// Values the options table refused, reported by `vxl_client_new_with_options` (as the C
    /// API documents) rather than by the setter.
    refused: Vec<Violation>,
}

/// Cancels calls from another thread: pass it to the `_cancellable` calls, and call
/// `vxl_cancel` from any thread to make them return `"cancelled"` promptly.
///
/// Created by `vxl_cancel_token_new`; the caller owns it and frees it with
/// `vxl_cancel_token_free` once no call uses it any more. Thread-safe. A cancelled token stays
/// cancelled: use a new token for new calls.
#[allow(non_camel_case_types)]
pub struct vxl_cancel_token {
    token: CancelToken,
}

struct Image {
    url: CString,
    path: CString,
    file_name: CString,
}

/// A generation record: its record id, status, images (path and URL), price, warnings and
/// JSON, and the means to save the images.
///
/// Created by `vxl_generate` and `vxl_wait_for_generation` (always finished: status
/// `"SUCCESS"`), and by `vxl_get_generation` (a single read: may be `"PROCESSING"`, with no
/// images yet); the caller owns it and frees it with `vxl_generation_free`. Immutable: it may be read and saved from several threads at once,
/// and stays usable after its client is freed.
#[allow(non_camel_case_types)]
pub struct vxl_generation {
    generation: blocking::Generation,
    id: CString,
    status: CString,
    images: Vec<Image>,
    warnings: Vec<CViolation>,
    json: CString,
    raw_json: CString,
}

impl vxl_generation {
    fn new(generation: blocking::Generation) -> Self {
        let images = generation
            .images()
            .iter()
            .map(|i| Image {
                url: cstring(i.url()),
                path: cstring(i.path()),
                file_name: cstring(i.file_name()),
            })
            .collect();
        let json = serde_json::to_string(&*generation).unwrap_or_else(|_| "null".to_string());
        let raw_json = serde_json::to_string(generation.raw()).unwrap_or_else(|_| "null".into());
        vxl_generation {
            id: cstring(generation.id()),
            status: cstring(generation.status().as_str()),
            images,
            warnings: generation.warnings().iter().map(CViolation::new).collect(),
            json: cstring(&json),
            raw_json: cstring(&raw_json),
            generation,
        }
    }
}

/// A list of file paths: the files `vxl_generation_save_ex` or `vxl_generation_save_image`
/// wrote.
///
/// The caller owns it and frees it with `vxl_paths_free`. Immutable.
#[allow(non_camel_case_types)]
pub struct vxl_paths {
    paths: Vec<CString>,
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
    ffi_status!(err, {
        clear_out(out, "out")?;
        let mut b = ClientBuilder::new();
        // SAFETY: NULL or NUL-terminated strings.
        if let Some(k) = unsafe { ffi::opt_c_str(api_key, "api_key") }? {
            b = b.api_key(k);
        }
        // SAFETY: as above.
        if let Some(u) = unsafe { ffi::opt_c_str(base_url, "base_url") }? {
            b = b.base_url(u);
        }
        give(
            out,
            vxl_client {
                inner: b.build_blocking()?,
            },
        );
        Ok(())
    })
}

/// Creates an options object with every default. On success `*out` receives it; the caller
/// frees it with `vxl_client_options_free`.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_client_options_new(
    out: *mut *mut vxl_client_options,
    err: *mut *mut vxl_error,
) -> vxl_status {
    ffi_status!(err, {
        clear_out(out, "out")?;
        give(
            out,
            vxl_client_options {
                builder: ClientBuilder::new(),
                refused: Vec::new(),
            },
        );
        Ok(())
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
/// `"download_error"` naming the limit. It applies to the generations this client makes or
/// reads (`vxl_generate`, `vxl_get_generation`, ...): a generation always downloads with the
/// settings of the client it came from. Must be greater than 0: `vxl_client_new_with_options`
/// refuses 0 with a `"validation_error"` whose violation names `max_image_bytes`.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_client_options_set_max_image_bytes(
    opts: *mut vxl_client_options,
    max_image_bytes: u64,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_option(opts, "max_image_bytes", max_image_bytes.into(), err)
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
    ffi_status!(err, {
        clear_out(out, "out")?;
        // SAFETY: NULL or a live options object.
        let o = unsafe { ffi::borrow(opts, "opts") }?;
        if !o.refused.is_empty() {
            return Err(Error::validation(o.refused.clone()).into());
        }
        give(
            out,
            vxl_client {
                inner: o.builder.clone().build_blocking()?,
            },
        );
        Ok(())
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

/// Creates a cancel token. On success `*out` receives it; the caller frees it with
/// `vxl_cancel_token_free`.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_cancel_token_new(
    out: *mut *mut vxl_cancel_token,
    err: *mut *mut vxl_error,
) -> vxl_status {
    ffi_status!(err, {
        clear_out(out, "out")?;
        give(
            out,
            vxl_cancel_token {
                token: CancelToken::new(),
            },
        );
        Ok(())
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
unsafe fn token<'a>(cancel: *const vxl_cancel_token) -> Option<&'a CancelToken> {
    // SAFETY: the caller's contract.
    unsafe { cancel.as_ref() }.map(|t| &t.token)
}

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
    ffi_status!(err, {
        clear_out(out, "out")?;
        // SAFETY: NULL or live handles.
        let client = unsafe { ffi::borrow(client, "client") }?;
        // SAFETY: as above.
        let req = unsafe { ffi::borrow(req, "req") }?;
        let (typed, _warnings) = req.build()?;
        // SAFETY: NULL or a live token.
        let generation = match unsafe { token(cancel) } {
            Some(t) => client.inner.generate_cancellable(&typed, t)?,
            None => client.inner.generate(&typed)?,
        };
        give(out, vxl_generation::new(generation));
        Ok(())
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
    ffi_status!(err, {
        clear_out(out, "out")?;
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
        give(out, vxl_generation::new(generation));
        Ok(())
    })
}

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
    ffi_status!(err, {
        clear_out(out_reference, "out_reference")?;
        // SAFETY: NULL or a live client.
        let client = unsafe { ffi::borrow(client, "client") }?;
        // SAFETY: NULL or a NUL-terminated string.
        let path = unsafe { ffi::c_str(path, "path") }?;
        // SAFETY: NULL or a live token.
        let asset = match unsafe { token(cancel) } {
            Some(t) => client.inner.upload_asset_cancellable(path, t)?,
            None => client.inner.upload_asset(path)?,
        };
        // SAFETY: checked non-NULL by clear_out.
        unsafe { ffi::write(out_reference, cstring(asset.reference()).into_raw()) };
        Ok(())
    })
}

/// Frees a generation. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_generation_free(generation: *mut vxl_generation) {
    ffi_value!((), {
        // SAFETY: NULL or a generation from this library, not used again.
        unsafe { ffi::free_box(generation) }
    })
}

fn gen_str(
    generation: *const vxl_generation,
    f: impl FnOnce(&vxl_generation) -> *const c_char,
) -> *const c_char {
    ffi_value!(ptr::null(), {
        // SAFETY: NULL or a live generation.
        unsafe { generation.as_ref() }.map_or(ptr::null(), f)
    })
}

/// The record id (keep it: `vxl_get_generation` reads the record again). Owned by
/// `generation`; NULL when `generation` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_generation_id(generation: *const vxl_generation) -> *const c_char {
    gen_str(generation, |g| g.id.as_ptr())
}

/// The record status as the service sent it: `"SUCCESS"` for a finished generation,
/// `"PROCESSING"` for one `vxl_get_generation` read before it was finished (no images yet:
/// `vxl_wait_for_generation` waits), `"FAILURE"` for a failed one read by
/// `vxl_get_generation`. Owned by `generation`; NULL when `generation` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_generation_status(generation: *const vxl_generation) -> *const c_char {
    gen_str(generation, |g| g.status.as_ptr())
}

/// The number of images (0 for NULL).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_generation_image_count(generation: *const vxl_generation) -> usize {
    ffi_value!(0, {
        // SAFETY: NULL or a live generation.
        unsafe { generation.as_ref() }.map_or(0, |g| g.images.len())
    })
}

fn image_str(
    generation: *const vxl_generation,
    index: usize,
    f: impl FnOnce(&Image) -> *const c_char,
) -> *const c_char {
    gen_str(generation, |g| g.images.get(index).map_or(ptr::null(), f))
}

/// The download URL of image `index` (0-based): the signed temporary URL for the first image,
/// the asset host for the others (signed URLs expire: `vxl_get_generation` gives fresh ones).
/// Owned by `generation`; NULL when `generation` is NULL or `index` is out of range.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_generation_image_url(
    generation: *const vxl_generation,
    index: usize,
) -> *const c_char {
    image_str(generation, index, |i| i.url.as_ptr())
}

/// The storage path of image `index` as the service sent it (`"development/images/....webp"`).
/// Owned by `generation`; NULL when `generation` is NULL or `index` is out of range.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_generation_image_path(
    generation: *const vxl_generation,
    index: usize,
) -> *const c_char {
    image_str(generation, index, |i| i.path.as_ptr())
}

/// The safe file name image `index` is saved under by `vxl_generation_save` (its extension is
/// corrected from the downloaded bytes). Owned by `generation`; NULL when `generation` is NULL
/// or `index` is out of range.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_generation_image_file_name(
    generation: *const vxl_generation,
    index: usize,
) -> *const c_char {
    image_str(generation, index, |i| i.file_name.as_ptr())
}

/// The price in credits, or -1 when unknown (a record read again by id) or `generation` is
/// NULL.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_generation_credits(generation: *const vxl_generation) -> i64 {
    ffi_value!(-1, {
        // SAFETY: NULL or a live generation.
        unsafe { generation.as_ref() }
            .and_then(|g| g.generation.credits())
            .map_or(-1, i64::from)
    })
}

/// True when the images come from the emulator (a test double), false otherwise or for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_generation_is_emulated(generation: *const vxl_generation) -> bool {
    ffi_value!(false, {
        // SAFETY: NULL or a live generation.
        unsafe { generation.as_ref() }.is_some_and(|g| g.generation.is_emulated())
    })
}

/// The number of validation warnings the request had (0 for NULL).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_generation_warning_count(generation: *const vxl_generation) -> usize {
    ffi_value!(0, {
        // SAFETY: NULL or a live generation.
        unsafe { generation.as_ref() }.map_or(0, |g| g.warnings.len())
    })
}

/// Fills `*out` with warning `index`; the strings are owned by `generation`.
/// `VXL_INVALID_ARGUMENT` when an argument is NULL or `index` is out of range.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_generation_warning(
    generation: *const vxl_generation,
    index: usize,
    out: *mut vxl_violation,
    err: *mut *mut vxl_error,
) -> vxl_status {
    ffi_status!(err, {
        ffi::non_null(out, "out")?;
        // SAFETY: NULL or a live generation.
        let g = unsafe { ffi::borrow(generation, "generation") }?;
        let v = g
            .warnings
            .get(index)
            .ok_or_else(|| Failure::index("warning", index, g.warnings.len()))?;
        // SAFETY: checked non-NULL.
        unsafe { ffi::write(out, v.view()) };
        Ok(())
    })
}

/// The generation as JSON: `{"id", "status", "images": [{"index", "path", "url",
/// "file_name"}], "credits", "warnings", "request", "emulated"}`. Owned by `generation`; NULL
/// when `generation` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_generation_json(generation: *const vxl_generation) -> *const c_char {
    gen_str(generation, |g| g.json.as_ptr())
}

/// The service's record exactly as it answered (JSON), for fields this API does not expose.
/// Owned by `generation`; NULL when `generation` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_generation_raw_json(generation: *const vxl_generation) -> *const c_char {
    gen_str(generation, |g| g.raw_json.as_ptr())
}

/// Saves every image into directory `dir` (created if missing) with a sidecar `NAME.json`
/// (record id, request, price, time) next to each. Files are streamed to a temporary name and
/// renamed; an existing file is never overwritten (`"io_error"` naming it).
///
/// `client` runs the downloads (normally the one that made `generation`); the download
/// settings (download timeout, `max_image_bytes`, retries) are those of the client that made
/// or read `generation`.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_generation_save(
    client: *const vxl_client,
    generation: *const vxl_generation,
    dir: *const c_char,
    err: *mut *mut vxl_error,
) -> vxl_status {
    vxl_generation_save_ex(
        client,
        generation,
        dir,
        false,
        ptr::null(),
        ptr::null_mut(),
        err,
    )
}

/// `vxl_generation_save` with options: `overwrite` replaces existing files; `cancel` (may be
/// NULL) stops it from another thread (partial files are removed); when `out_paths` is not
/// NULL, `*out_paths` receives the image files written, a new list the caller frees with
/// `vxl_paths_free`.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_generation_save_ex(
    client: *const vxl_client,
    generation: *const vxl_generation,
    dir: *const c_char,
    overwrite: bool,
    cancel: *const vxl_cancel_token,
    out_paths: *mut *mut vxl_paths,
    err: *mut *mut vxl_error,
) -> vxl_status {
    ffi_status!(err, {
        if !out_paths.is_null() {
            clear_out(out_paths, "out_paths")?;
        }
        // SAFETY: NULL or live handles.
        let client = unsafe { ffi::borrow(client, "client") }?;
        // SAFETY: as above.
        let g = unsafe { ffi::borrow(generation, "generation") }?;
        // SAFETY: NULL or a NUL-terminated string.
        let dir = unsafe { ffi::c_str(dir, "dir") }?;
        let opts = SaveOptions {
            overwrite,
            // SAFETY: NULL or a live token.
            cancel: unsafe { token(cancel) }.cloned(),
            ..SaveOptions::default()
        };
        let on_client = client.inner.wrap(g.generation.clone().into_async());
        let written = on_client.save_all_with(PathBuf::from(dir), opts)?;
        if !out_paths.is_null() {
            let paths = written
                .iter()
                .map(|p| cstring(&p.to_string_lossy()))
                .collect();
            give(out_paths, vxl_paths { paths });
        }
        Ok(())
    })
}

/// Saves image `index` to the file `path` (its extension is corrected to the real image type)
/// with a sidecar `FILE.json`; an existing file is never overwritten. When `out_paths` is not
/// NULL, `*out_paths` receives the one path actually written, a new list the caller frees with
/// `vxl_paths_free`. `VXL_INVALID_ARGUMENT` when `index` is out of range.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_generation_save_image(
    client: *const vxl_client,
    generation: *const vxl_generation,
    index: usize,
    path: *const c_char,
    out_paths: *mut *mut vxl_paths,
    err: *mut *mut vxl_error,
) -> vxl_status {
    ffi_status!(err, {
        if !out_paths.is_null() {
            clear_out(out_paths, "out_paths")?;
        }
        // SAFETY: NULL or live handles.
        let client = unsafe { ffi::borrow(client, "client") }?;
        // SAFETY: as above.
        let g = unsafe { ffi::borrow(generation, "generation") }?;
        // SAFETY: NULL or a NUL-terminated string.
        let path = unsafe { ffi::c_str(path, "path") }?;
        if index >= g.images.len() {
            return Err(Failure::index("image", index, g.images.len()));
        }
        let on_client = client.inner.wrap(g.generation.clone().into_async());
        let written = on_client.save(index, PathBuf::from(path))?;
        if !out_paths.is_null() {
            let paths = vec![cstring(&written.to_string_lossy())];
            give(out_paths, vxl_paths { paths });
        }
        Ok(())
    })
}

/// The number of paths (0 for NULL).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_paths_count(paths: *const vxl_paths) -> usize {
    ffi_value!(0, {
        // SAFETY: NULL or a live list.
        unsafe { paths.as_ref() }.map_or(0, |p| p.paths.len())
    })
}

/// Path `index` (0-based). Owned by `paths`; NULL when `paths` is NULL or `index` is out of
/// range.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_paths_get(paths: *const vxl_paths, index: usize) -> *const c_char {
    ffi_value!(ptr::null(), {
        // SAFETY: NULL or a live list.
        unsafe { paths.as_ref() }
            .and_then(|p| p.paths.get(index))
            .map_or(ptr::null(), |s| s.as_ptr())
    })
}

/// Frees a path list. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_paths_free(paths: *mut vxl_paths) {
    ffi_value!((), {
        // SAFETY: NULL or a list from this library, not used again.
        unsafe { ffi::free_box(paths) }
    })
}
