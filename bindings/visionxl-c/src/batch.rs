//! Batches: `vxl_batch_options` and `vxl_generate_many`, over the client's batch runner
//! (`visionxl::blocking::Client::generate_all`: the manifest, resume and the never-re-send
//! rule are the runner's; this file converts types only).

use std::ffi::{CString, c_char, c_int, c_void};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::ptr;

use client::core::error::Text;
use client::{BatchItem, BatchOptions, Error};

use crate::cancel::{token, vxl_cancel_token};
use crate::client::vxl_client;
use crate::error::{Failure, cstring, vxl_error, vxl_status};
use crate::ffi::{self, ffi_status, ffi_value};
use crate::request::vxl_request;

/// Settings of `vxl_generate_many`: concurrency, manifest, output directory, overwrite,
/// async mode and `retry_ambiguous`. Setters store what they are given; `vxl_generate_many`
/// checks it (a concurrency out of 1..=1000 is a `"validation_error"` naming `concurrency`).
///
/// Created by `vxl_batch_options_new`; the caller owns it and frees it with
/// `vxl_batch_options_free`. Not synchronised: set it from one thread at a time.
#[allow(non_camel_case_types)]
pub struct vxl_batch_options {
    opts: BatchOptions,
}

/// One finished item, as `vxl_generate_many` hands it to its callback. Every pointer is
/// borrowed for the duration of the callback only (copy what you keep).
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy)]
pub struct vxl_batch_item {
    /// The item's position in the `requests` array.
    pub index: usize,
    /// `"ok"` (generated and, with an output directory, saved), `"failed"` (no generation:
    /// `error` says why, and `vxl_error_may_have_been_charged` whether it may have been paid
    /// for) or `"save_failed"` (generated and paid for, but saving it or recording it in the
    /// manifest failed: rerun with the manifest to finish it without paying again).
    pub status: *const c_char,
    /// The record id, or NULL when none is known.
    pub record_id: *const c_char,
    /// The files saved for this item (`path_count` of them; none without an output directory).
    pub paths: *const *const c_char,
    /// How many `paths`.
    pub path_count: usize,
    /// True when an earlier run (the manifest) had already paid for this item.
    pub resumed: bool,
    /// Why the item is not `"ok"`, or NULL: read it with the `vxl_error_*` getters; do not
    /// free it.
    pub error: *const vxl_error,
}

/// Called by `vxl_generate_many` once per finished item, in the order items finish, on the
/// thread that called `vxl_generate_many` (one call at a time, never concurrently). Return 0
/// to go on, anything else to stop the batch: items not started are not sent (counted as
/// `not_run`), items in flight end as they would on `vxl_cancel`.
///
/// It may call any libvisionxl function (including blocking calls on the same client, which
/// then run on a helper thread, and `vxl_cancel`), but must not free the client, the
/// requests, the options or the cancel token of the running batch, and must not unwind
/// (`longjmp`, C++ exceptions) out of the library.
#[allow(non_camel_case_types)]
pub type vxl_batch_callback =
    Option<unsafe extern "C" fn(item: *const vxl_batch_item, user_data: *mut c_void) -> c_int>;

/// What a batch did, filled by `vxl_generate_many`.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, Default)]
pub struct vxl_batch_summary {
    /// Items in the batch.
    pub total: usize,
    /// Items `"ok"`.
    pub ok: usize,
    /// Items `"failed"` or `"save_failed"`.
    pub failed: usize,
    /// Items never started (the callback stopped the batch, or it was cancelled): nothing was
    /// sent for them.
    pub not_run: usize,
}

/// Creates batch options with every default (concurrency 4, no manifest, no output
/// directory). On success `*out` receives them; the caller frees them with
/// `vxl_batch_options_free`.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_batch_options_new(
    out: *mut *mut vxl_batch_options,
    err: *mut *mut vxl_error,
) -> vxl_status {
    ffi::create(out, err, || {
        Ok(vxl_batch_options {
            opts: BatchOptions::default(),
        })
    })
}

/// Frees batch options. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_batch_options_free(opts: *mut vxl_batch_options) {
    ffi_value!((), {
        // SAFETY: NULL or options from this library, not used again.
        unsafe { ffi::free_box(opts) }
    })
}

fn set(
    opts: *mut vxl_batch_options,
    err: *mut *mut vxl_error,
    f: impl FnOnce(&mut BatchOptions) -> Result<(), Failure>,
) -> vxl_status {
    ffi_status!(err, {
        // SAFETY: NULL or live options used by no other thread (documented).
        let o = unsafe { ffi::borrow_mut(opts, "opts") }?;
        f(&mut o.opts)
    })
}

/// Generations in flight at once, 1..=1000 (default 4; the client's pacing still applies).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_batch_options_set_concurrency(
    opts: *mut vxl_batch_options,
    concurrency: usize,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set(opts, err, |o| {
        o.concurrency = concurrency;
        Ok(())
    })
}

/// The JSONL manifest (copied; NULL: none). A `sending` line is synced before each request
/// leaves and one line per outcome is appended; rerunning with the same manifest skips
/// finished items, downloads what was paid for but not saved, and never sends again an item
/// that may already have been charged (unless `retry_ambiguous`).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_batch_options_set_manifest(
    opts: *mut vxl_batch_options,
    path: *const c_char,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set(opts, err, |o| {
        // SAFETY: NULL or a NUL-terminated string.
        o.manifest = unsafe { ffi::opt_c_str(path, "path") }?.map(PathBuf::from);
        Ok(())
    })
}

/// Save every image into directory `dir` (copied; created if missing; NULL: do not save),
/// each with its sidecar.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_batch_options_set_out_dir(
    opts: *mut vxl_batch_options,
    dir: *const c_char,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set(opts, err, |o| {
        // SAFETY: NULL or a NUL-terminated string.
        o.out_dir = unsafe { ffi::opt_c_str(dir, "dir") }?.map(PathBuf::from);
        Ok(())
    })
}

/// Replace existing files in the output directory (default false: never overwritten).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_batch_options_set_overwrite(
    opts: *mut vxl_batch_options,
    overwrite: bool,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set(opts, err, |o| {
        o.overwrite = overwrite;
        Ok(())
    })
}

/// Generate every item in async mode (submit, then poll the record). Default false.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_batch_options_set_async_mode(
    opts: *mut vxl_batch_options,
    async_mode: bool,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set(opts, err, |o| {
        o.async_mode = async_mode;
        Ok(())
    })
}

/// On resume, send again an item the manifest says may already have been charged without a
/// known record id (default false: such an item comes back `"failed"` with
/// `vxl_error_may_have_been_charged` true). Opting in may pay twice for it.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_batch_options_set_retry_ambiguous(
    opts: *mut vxl_batch_options,
    retry_ambiguous: bool,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set(opts, err, |o| {
        o.retry_ambiguous = retry_ambiguous;
        Ok(())
    })
}

/// The C form of one item, alive while the callback runs.
struct ItemView {
    record_id: Option<CString>,
    paths: Vec<CString>,
    path_ptrs: Vec<*const c_char>,
    error: Option<Box<vxl_error>>,
    status: &'static [u8],
}

impl ItemView {
    fn new(item: &BatchItem) -> ItemView {
        let (status, error): (&'static [u8], Option<&Error>) = match &item.result {
            Err(e) => (b"failed\0", Some(e)),
            Ok(_) => match item.save_error.as_ref().or(item.manifest_error.as_ref()) {
                Some(e) => (b"save_failed\0", Some(e)),
                None => (b"ok\0", None),
            },
        };
        let record_id = match &item.result {
            Ok(g) => Some(g.id()),
            Err(e) => e.record_id(),
        };
        let paths: Vec<CString> = item
            .files
            .iter()
            .map(|p| cstring(&p.to_string_lossy()))
            .collect();
        ItemView {
            record_id: record_id.map(cstring),
            path_ptrs: paths.iter().map(|p| p.as_ptr()).collect(),
            paths,
            error: error.map(|e| Box::new(vxl_error::from_failure(e.clone().into()))),
            status,
        }
    }

    fn view(&self, index: usize, resumed: bool) -> vxl_batch_item {
        vxl_batch_item {
            index,
            status: self.status.as_ptr().cast(),
            record_id: self.record_id.as_ref().map_or(ptr::null(), |c| c.as_ptr()),
            paths: if self.paths.is_empty() {
                ptr::null()
            } else {
                self.path_ptrs.as_ptr()
            },
            path_count: self.paths.len(),
            resumed,
            error: self.error.as_deref().map_or(ptr::null(), |e| e as *const _),
        }
    }
}

/// The callback and its `user_data`, moved into the runner. The runner calls it on the
/// thread that called `vxl_generate_many` (the blocking client runs the batch there).
struct Callback {
    f: unsafe extern "C" fn(*const vxl_batch_item, *mut c_void) -> c_int,
    user_data: *mut c_void,
}

// SAFETY: the callback is only ever called from within `vxl_generate_many`, one call at a
// time; `user_data` is the caller's and handed back untouched (documented on the type).
unsafe impl Send for Callback {}
// SAFETY: as above: never called from two threads at once (the runner calls `on_item`
// sequentially).
unsafe impl Sync for Callback {}

impl Callback {
    fn call(&self, item: &BatchItem) -> ControlFlow<()> {
        let view = ItemView::new(item);
        let c_item = view.view(item.index, item.resumed);
        // SAFETY: a C function pointer given by the caller, called with a pointer valid for
        // the call and the caller's own `user_data`.
        let stop = unsafe { (self.f)(&c_item, self.user_data) };
        if stop == 0 {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(())
        }
    }
}

/// Generates `count` requests as one batch through the client's batch runner, blocking the
/// calling thread until every item has finished (or the batch was stopped).
///
/// Every request is validated first: an invalid one fails the whole call with
/// `"validation_error"` (its message names `requests[i]`) before anything is sent. `opts`
/// may be NULL (defaults); `cancel` (may be NULL) stops the batch from another thread:
/// items in flight end `"failed"` with `"cancelled"`, items not started are not sent.
/// `on_item` (may be NULL) is called once per finished item (see `vxl_batch_callback`).
/// When `out_summary` is not NULL it receives the counts.
///
/// Returns `VXL_OK` when the batch ran, even when items failed or it was stopped (the summary
/// and the callback tell); `VXL_ERROR` when it could not start (a request or an option is
/// invalid, the manifest cannot be read or written).
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)] // a C entry point: one call, every argument explicit
pub extern "C" fn vxl_generate_many(
    client: *const vxl_client,
    requests: *const *const vxl_request,
    count: usize,
    opts: *const vxl_batch_options,
    cancel: *const vxl_cancel_token,
    on_item: vxl_batch_callback,
    user_data: *mut c_void,
    out_summary: *mut vxl_batch_summary,
    err: *mut *mut vxl_error,
) -> vxl_status {
    ffi_status!(err, {
        // SAFETY: NULL or a live client.
        let client = unsafe { ffi::borrow(client, "client") }?;
        if count > 0 {
            ffi::non_null(requests, "requests")?;
        }
        let mut typed = Vec::with_capacity(count);
        for i in 0..count {
            // SAFETY: `requests` points at `count` pointers (the caller's contract).
            let req = unsafe { *requests.add(i) };
            // SAFETY: NULL or a live request.
            let req = unsafe { req.as_ref() }
                .ok_or_else(|| Failure::invalid(format!("requests[{i}] must not be NULL")))?;
            let (built, _warnings) = req.build().map_err(|e| {
                let said = Text::new().lit(format!("requests[{i}]: ")).text(&e.text());
                e.with_text(said)
            })?;
            typed.push(built.clone());
        }
        let mut batch = match unsafe { opts.as_ref() } {
            // SAFETY (above): NULL or live options.
            Some(o) => o.opts.clone(),
            None => BatchOptions::default(),
        };
        // SAFETY: NULL or a live token.
        if let Some(t) = unsafe { token(cancel) } {
            batch.cancel = Some(t.clone());
        }
        let callback = on_item.map(|f| Callback { f, user_data });
        let mut finished = vec![false; count];
        let items = client.inner.generate_all(typed, batch, |item| {
            if let Some(seen) = finished.get_mut(item.index) {
                *seen = true;
            }
            callback
                .as_ref()
                .map_or(ControlFlow::Continue(()), |cb| cb.call(item))
        })?;
        if !out_summary.is_null() {
            let mut s = vxl_batch_summary {
                total: items.len(),
                ..Default::default()
            };
            for item in &items {
                if !finished.get(item.index).copied().unwrap_or(false) {
                    s.not_run += 1;
                } else if item.is_ok() {
                    s.ok += 1;
                } else {
                    s.failed += 1;
                }
            }
            // SAFETY: checked non-NULL; a struct the caller owns.
            unsafe { ffi::write(out_summary, s) };
        }
        Ok(())
    })
}
