//! `vxl_generation`: a record's id, status, images, price, warnings and JSON.

use std::ffi::{CString, c_char};
use std::ptr;
use std::sync::OnceLock;

use client::blocking;

use crate::error::cstring;
use crate::error::{CViolation, vxl_error, vxl_status, vxl_violation};
use crate::ffi::{self, ffi_value};

pub(crate) struct Image {
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
    pub(crate) generation: blocking::Generation,
    // The C forms of its strings, each made on first request and kept as long as the
    // generation (most callers read few of them): nothing is copied per call that is not read.
    id: OnceLock<CString>,
    status: OnceLock<CString>,
    images: OnceLock<Vec<Image>>,
    warnings: OnceLock<Vec<CViolation>>,
    json: OnceLock<CString>,
    raw_json: OnceLock<CString>,
}

impl vxl_generation {
    pub(crate) fn new(generation: blocking::Generation) -> Self {
        vxl_generation {
            generation,
            id: OnceLock::new(),
            status: OnceLock::new(),
            images: OnceLock::new(),
            warnings: OnceLock::new(),
            json: OnceLock::new(),
            raw_json: OnceLock::new(),
        }
    }

    /// How many images (no C string made).
    pub(crate) fn image_count(&self) -> usize {
        self.generation.images().len()
    }

    fn images(&self) -> &[Image] {
        self.images.get_or_init(|| {
            self.generation
                .images()
                .iter()
                .map(|i| Image {
                    url: cstring(i.url()),
                    path: cstring(i.path()),
                    file_name: cstring(i.file_name()),
                })
                .collect()
        })
    }

    fn warnings(&self) -> &[CViolation] {
        self.warnings.get_or_init(|| {
            self.generation
                .warnings()
                .iter()
                .map(CViolation::new)
                .collect()
        })
    }
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
    gen_str(generation, |g| {
        g.id.get_or_init(|| cstring(g.generation.id())).as_ptr()
    })
}

/// The record status as the service sent it: `"SUCCESS"` for a finished generation,
/// `"PROCESSING"` for one `vxl_get_generation` read before it was finished (no images yet:
/// `vxl_wait_for_generation` waits), `"FAILURE"` for a failed one read by
/// `vxl_get_generation`. Owned by `generation`; NULL when `generation` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_generation_status(generation: *const vxl_generation) -> *const c_char {
    gen_str(generation, |g| {
        g.status
            .get_or_init(|| cstring(g.generation.status().as_str()))
            .as_ptr()
    })
}

/// The number of images (0 for NULL).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_generation_image_count(generation: *const vxl_generation) -> usize {
    ffi_value!(0, {
        // SAFETY: NULL or a live generation.
        unsafe { generation.as_ref() }.map_or(0, vxl_generation::image_count)
    })
}

fn image_str(
    generation: *const vxl_generation,
    index: usize,
    f: impl FnOnce(&Image) -> *const c_char,
) -> *const c_char {
    gen_str(generation, |g| g.images().get(index).map_or(ptr::null(), f))
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
        unsafe { generation.as_ref() }.map_or(0, |g| g.generation.warnings().len())
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
    ffi::fill(out, err, || {
        // SAFETY: NULL or a live generation.
        let g = unsafe { ffi::borrow(generation, "generation") }?;
        CViolation::view_at(g.warnings(), "warning", index)
    })
}

/// The generation as JSON: `{"id", "status", "images": [{"index", "path", "url",
/// "file_name"}], "credits", "warnings", "request", "emulated"}`. Owned by `generation`; NULL
/// when `generation` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_generation_json(generation: *const vxl_generation) -> *const c_char {
    gen_str(generation, |g| {
        g.json
            .get_or_init(|| {
                cstring(&serde_json::to_string(&*g.generation).unwrap_or_else(|_| "null".into()))
            })
            .as_ptr()
    })
}

/// The service's record exactly as it answered (JSON), for fields this API does not expose.
/// Owned by `generation`; NULL when `generation` is NULL.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_generation_raw_json(generation: *const vxl_generation) -> *const c_char {
    gen_str(generation, |g| {
        g.raw_json
            .get_or_init(|| {
                cstring(
                    &serde_json::to_string(g.generation.raw()).unwrap_or_else(|_| "null".into()),
                )
            })
            .as_ptr()
    })
}
