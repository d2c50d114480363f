//! # libvisionxl: the C library of the visionxl SDK
//!
//! Leonardo Vision XL on the 1min.ai API for C: `#include <visionxl.h>` (generated from this
//! crate by cbindgen and checked in as `include/visionxl.h`), link `-lvisionxl`
//! (`pkg-config --cflags --libs visionxl`).
//!
//! The rules every export follows (after rustls-ffi):
//! - one prefix, `vxl_`; opaque handles with a constructor and a NULL-safe `_free`;
//! - every fallible call returns a `vxl_status` and, when its last argument `err` is not NULL,
//!   stores a new `vxl_error` there on failure (the caller frees it; on success `*err` is left
//!   as it was);
//! - strings returned to C are owned by the object that returned them, unless the function
//!   name says `_dup` (then the caller frees them with `vxl_string_free`);
//! - no panic crosses the boundary: every export runs behind `catch_unwind`;
//! - NULL where a pointer is required, strings that are not UTF-8 and indexes out of range are
//!   `VXL_INVALID_ARGUMENT` with a message naming the argument.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

mod client;
mod error;
mod ffi;
mod pricing;
mod request;

use std::ffi::c_char;

pub use client::{vxl_cancel_token, vxl_client, vxl_client_options, vxl_generation, vxl_paths};
pub use error::{vxl_error, vxl_status, vxl_violation};
pub use pricing::vxl_plan;
pub use request::{vxl_report, vxl_request};

use ffi::ffi_value;

/// The library's version, e.g. `"0.1.0"`: a static string, never freed.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_version() -> *const c_char {
    ffi_value!(std::ptr::null(), {
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
    })
}

/// Frees a string returned by a `_dup` function. NULL is a no-op.
#[unsafe(no_mangle)]
#[allow(clippy::not_unsafe_ptr_arg_deref)] // a C entry point: the contract is in the header
pub extern "C" fn vxl_string_free(s: *mut c_char) {
    ffi_value!((), {
        // SAFETY: NULL or a string from `CString::into_raw` in this library (documented),
        // not used again.
        unsafe { ffi::free_cstring(s) }
    })
}

#[cfg(test)]
mod tests {
    use std::ffi::CStr;
    use std::ptr;

    use super::*;
    use crate::error::Failure;

    #[test]
    fn a_panic_becomes_an_internal_error_not_an_unwind_into_c() {
        let mut err: *mut vxl_error = ptr::null_mut();
        let status = ffi::run_status(&mut err, || -> Result<(), Failure> {
            panic!("boom {}", 42);
        });
        assert_eq!(status, vxl_status::VXL_ERROR);
        assert!(!err.is_null());
        // SAFETY: a live error from this library.
        let code = unsafe { CStr::from_ptr(error::vxl_error_code(err)) };
        assert_eq!(code.to_str().unwrap(), "internal_error");
        let msg = unsafe { CStr::from_ptr(error::vxl_error_message(err)) };
        assert!(msg.to_str().unwrap().contains("boom 42"));
        error::vxl_error_free(err);
        assert_eq!(ffi::run_value(7u8, || panic!("static str")), 7);
    }

    /// Every export runs behind the panic boundary: its body uses `ffi_status!` or
    /// `ffi_value!`, or only calls a helper or export that does.
    #[test]
    fn every_export_is_guarded() {
        let sources = [
            include_str!("lib.rs"),
            include_str!("error.rs"),
            include_str!("request.rs"),
            include_str!("pricing.rs"),
            include_str!("client.rs"),
        ];
        // (name, body, is_export) of every top-level function.
        let mut fns = Vec::new();
        for src in sources {
            for chunk in src.split("\nfn ").skip(1) {
                fns.push((chunk.split('(').next().unwrap().trim(), chunk, false));
            }
            for chunk in src.split("pub extern \"C\" fn ").skip(1) {
                fns.push((chunk.split('(').next().unwrap().trim(), chunk, true));
            }
        }
        let body = |chunk: &'static str| &chunk[..chunk.find("\n}\n").unwrap_or(chunk.len())];
        let guarded_directly = |chunk: &'static str| {
            body(chunk).contains("ffi_status!") || body(chunk).contains("ffi_value!")
        };
        // Guarded: uses a macro, or calls a guarded function (to a fixed point).
        let mut guarded: Vec<&str> = fns
            .iter()
            .filter(|(_, c, _)| guarded_directly(c))
            .map(|(n, _, _)| *n)
            .collect();
        loop {
            let more: Vec<&str> = fns
                .iter()
                .filter(|(n, c, _)| {
                    !guarded.contains(n)
                        && guarded
                            .iter()
                            .any(|g| g != n && body(c).contains(&format!("{g}(")))
                })
                .map(|(n, _, _)| *n)
                .collect();
            if more.is_empty() {
                break;
            }
            guarded.extend(more);
        }
        let mut exports = 0;
        for (name, _, export) in &fns {
            if *export {
                exports += 1;
                assert!(
                    guarded.contains(name),
                    "{name} is not behind the panic boundary"
                );
            }
        }
        assert!(exports > 90, "found only {exports} exports");
    }

    #[test]
    fn version_is_the_crate_version() {
        // SAFETY: a static NUL-terminated string.
        let v = unsafe { CStr::from_ptr(vxl_version()) };
        assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    }

    #[test]
    fn interior_nul_never_truncates_silently() {
        assert_eq!(
            ffi::cstring("a\0b").to_str().unwrap(),
            "a\u{FFFD}b",
            "C cannot hold NUL inside a string"
        );
    }
}
