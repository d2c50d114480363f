//! Saving a generation's images (with the settings of the client passed in) and `vxl_paths`.

use std::ffi::{CString, c_char};
use std::path::PathBuf;
use std::ptr;

use client::{SaveOptions, blocking};

use crate::cancel::{token, vxl_cancel_token};
use crate::client::vxl_client;
use crate::error::{Failure, cstring, vxl_error, vxl_status};
use crate::ffi::{self, ffi_status, ffi_value};
use crate::generation::vxl_generation;

/// A list of file paths: the files `vxl_generation_save_ex` or `vxl_generation_save_image`
/// wrote.
///
/// The caller owns it and frees it with `vxl_paths_free`. Immutable.
#[allow(non_camel_case_types)]
pub struct vxl_paths {
    paths: Vec<CString>,
}

/// Saves every image into directory `dir` (created if missing) with a sidecar `NAME.json`
/// (record id, request, price, time) next to each. Files are streamed to a temporary name and
/// renamed; an existing file is never overwritten (`"io_error"` naming it).
///
/// `client` runs the downloads with **its** settings (download timeout, `max_image_bytes`,
/// retries), whichever client made or read `generation`: pass a client with a larger cap or a
/// longer timeout to save what another client could not.
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
    save(client, generation, out_paths, err, |c, g| {
        // SAFETY: NULL or a NUL-terminated string.
        let dir = unsafe { ffi::c_str(dir, "dir") }?;
        let opts = SaveOptions {
            overwrite,
            // SAFETY: NULL or a live token.
            cancel: unsafe { token(cancel) }.cloned(),
            ..SaveOptions::default()
        };
        Ok(c.save_all_with(&g.generation, PathBuf::from(dir), opts)?)
    })
}

/// Saves image `index` to the file `path` (its extension is corrected to the real image type)
/// with a sidecar `FILE.json`, downloading with the settings of `client` (as
/// `vxl_generation_save`); an existing file is never overwritten. When `out_paths` is not
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
    save(client, generation, out_paths, err, |c, g| {
        // SAFETY: NULL or a NUL-terminated string.
        let path = unsafe { ffi::c_str(path, "path") }?;
        if index >= g.image_count() {
            return Err(Failure::index("image", index, g.image_count()));
        }
        let written = c.save_with(
            &g.generation,
            index,
            PathBuf::from(path),
            SaveOptions::default(),
        )?;
        Ok(vec![written])
    })
}

/// What both saves share: `out_paths` (optional) cleared first, then `client` and `generation`
/// borrowed and `write` run with them; the files it wrote go to `*out_paths` when asked for.
fn save(
    client: *const vxl_client,
    generation: *const vxl_generation,
    out_paths: *mut *mut vxl_paths,
    err: *mut *mut vxl_error,
    write: impl FnOnce(&blocking::Client, &vxl_generation) -> Result<Vec<PathBuf>, Failure>,
) -> vxl_status {
    ffi_status!(err, {
        if !out_paths.is_null() {
            ffi::clear_out(out_paths, "out_paths")?;
        }
        // SAFETY: NULL or live handles.
        let client = unsafe { ffi::borrow(client, "client") }?;
        // SAFETY: as above.
        let g = unsafe { ffi::borrow(generation, "generation") }?;
        let written = write(&client.inner, g)?;
        if !out_paths.is_null() {
            let paths = written
                .iter()
                .map(|p| cstring(&p.to_string_lossy()))
                .collect();
            ffi::give(out_paths, vxl_paths { paths });
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
