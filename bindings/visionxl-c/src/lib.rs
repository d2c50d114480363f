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
//!   `VXL_INVALID_ARGUMENT` with a message naming the argument, from every function returning
//!   a `vxl_status`; getters returning a pointer give NULL instead (counts 0).
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

mod batch;
mod cancel;
mod client;
mod error;
mod error_api;
mod ffi;
mod generate;
mod generation;
mod options;
mod pricing;
mod report;
mod request;
mod save;
mod setters;
mod upload;

use std::ffi::c_char;

pub use batch::{vxl_batch_callback, vxl_batch_item, vxl_batch_options, vxl_batch_summary};
pub use cancel::vxl_cancel_token;
pub use client::vxl_client;
pub use error::{vxl_error, vxl_status, vxl_violation};
pub use generation::vxl_generation;
pub use options::vxl_client_options;
pub use pricing::vxl_plan;
pub use report::vxl_report;
pub use request::vxl_request;
pub use save::vxl_paths;

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

    /// Every source file of the crate that defines functions, for the checks below.
    const SOURCES: [&str; 16] = [
        include_str!("lib.rs"),
        include_str!("ffi.rs"),
        include_str!("error.rs"),
        include_str!("error_api.rs"),
        include_str!("request.rs"),
        include_str!("setters.rs"),
        include_str!("report.rs"),
        include_str!("pricing.rs"),
        include_str!("client.rs"),
        include_str!("options.rs"),
        include_str!("cancel.rs"),
        include_str!("generation.rs"),
        include_str!("generate.rs"),
        include_str!("upload.rs"),
        include_str!("save.rs"),
        include_str!("batch.rs"),
    ];

    #[test]
    fn a_panic_becomes_an_internal_error_not_an_unwind_into_c() {
        let mut err: *mut vxl_error = ptr::null_mut();
        let status = ffi::run_status(&mut err, || -> Result<(), Failure> {
            panic!("boom {}", 42);
        });
        assert_eq!(status, vxl_status::VXL_ERROR);
        assert!(!err.is_null());
        // SAFETY: a live error from this library.
        let code = unsafe { CStr::from_ptr(error_api::vxl_error_code(err)) };
        assert_eq!(code.to_str().unwrap(), "internal_error");
        let msg = unsafe { CStr::from_ptr(error_api::vxl_error_message(err)) };
        assert!(msg.to_str().unwrap().contains("boom 42"));
        error_api::vxl_error_free(err);
        assert_eq!(ffi::run_value(7u8, || panic!("static str")), 7);
    }

    /// Every export runs behind the panic boundary: its body uses `ffi_status!` or
    /// `ffi_value!`, or only calls a helper or export that does.
    #[test]
    fn every_export_is_guarded() {
        // (name, body, is_export) of every top-level function.
        let mut fns = Vec::new();
        for src in SOURCES {
            for marker in ["\nfn ", "\npub(crate) fn "] {
                for chunk in src.split(marker).skip(1) {
                    let name = chunk[..chunk.find(['(', '<']).unwrap()].trim();
                    fns.push((name, chunk, false));
                }
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

    /// Every function of the crate as (name, parameter names, body, is_export).
    fn functions() -> Vec<(&'static str, Vec<&'static str>, &'static str, bool)> {
        let mut fns = Vec::new();
        for src in SOURCES {
            for (marker, export) in [
                ("\nfn ", false),
                ("\npub(crate) fn ", false),
                ("pub extern \"C\" fn ", true),
            ] {
                for chunk in src.split(marker).skip(1) {
                    let name = chunk[..chunk.find(['(', '<']).unwrap()].trim();
                    let open = chunk.find('(').unwrap();
                    let params = split_args(&chunk[open + 1..])
                        .into_iter()
                        .filter_map(|p| p.split_once(':').map(|(n, _)| n.trim()))
                        .collect();
                    let body = &chunk[..chunk.find("\n}\n").unwrap_or(chunk.len())];
                    fns.push((name, params, body, export));
                }
            }
        }
        fns
    }

    /// The top-level arguments of a call whose text starts after its `(`.
    fn split_args(text: &str) -> Vec<&str> {
        let (mut depth, mut start, mut args, mut in_str) = (0usize, 0, Vec::new(), false);
        for (i, c) in text.char_indices() {
            match c {
                '"' => in_str = !in_str,
                _ if in_str => {}
                '(' | '[' | '{' | '<' => depth += 1,
                '>' if text[..i].ends_with('-') => {}
                ')' | ']' | '}' | '>' if depth > 0 => depth -= 1,
                ')' => {
                    args.push(text[start..i].trim());
                    return args;
                }
                ',' if depth == 0 => {
                    args.push(text[start..i].trim());
                    start = i + 1;
                }
                _ => {}
            }
        }
        args
    }

    /// Whether `body` calls `name(` (not `other_name(`).
    fn calls(body: &str, name: &str) -> bool {
        body.match_indices(&format!("{name}(")).any(|(i, _)| {
            !body[..i]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    }

    /// Every message naming an argument ("X must not be NULL", "X is not valid UTF-8") names
    /// a real C parameter of the export that reports it: the name given next to the checked
    /// pointer is that pointer's own name, and a helper that names a pointer itself is only
    /// called by exports that have a parameter of that name.
    #[test]
    fn argument_messages_name_the_real_parameter() {
        const CHECKS: [&str; 7] = [
            "non_null",
            "borrow",
            "borrow_mut",
            "c_str",
            "opt_c_str",
            "clear_out",
            "with_builder_str",
        ];
        let fns = functions();
        let mut named = std::collections::BTreeMap::<&str, Vec<String>>::new();
        let mut checked = 0;
        for (name, params, body, export) in &fns {
            for check in CHECKS {
                for (i, _) in body.match_indices(&format!("{check}(")) {
                    let prev = body[..i].chars().next_back();
                    if prev.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                        continue;
                    }
                    let args = split_args(&body[i + check.len() + 1..]);
                    let Some(lit) = args.iter().position(|a| a.starts_with('"')) else {
                        continue;
                    };
                    let label = args[lit].trim_matches('"');
                    let pointer = args[lit - 1].trim_start_matches('*');
                    assert_eq!(pointer, label, "{name}: {check}({pointer}, \"{label}\")");
                    assert!(
                        params.contains(&label),
                        "{name}: \"{label}\" is not one of its parameters {params:?}"
                    );
                    checked += 1;
                    if !export {
                        named.entry(name).or_default().push(label.to_string());
                    }
                }
            }
        }
        // What a helper names, it names for its callers: propagate to a fixed point.
        loop {
            let mut grew = false;
            for (name, _, body, export) in &fns {
                if *export {
                    continue;
                }
                let inherited: Vec<String> = named
                    .iter()
                    .filter(|(h, _)| *h != name && calls(body, h))
                    .flat_map(|(_, l)| l.clone())
                    .collect();
                let mine = named.entry(name).or_default();
                for l in inherited {
                    if !mine.contains(&l) {
                        mine.push(l);
                        grew = true;
                    }
                }
            }
            if !grew {
                break;
            }
        }
        for (name, params, body, export) in &fns {
            if !export {
                continue;
            }
            for (helper, labels) in &named {
                if calls(body, helper) {
                    for l in labels {
                        assert!(
                            params.contains(&l.as_str()),
                            "{name} calls {helper}, whose messages name \"{l}\", but has no such \
                             parameter ({params:?})"
                        );
                    }
                }
            }
        }
        assert!(checked > 50, "found only {checked} argument checks");
    }

    /// A string the caller must free (`CString::into_raw`) is only returned by a function
    /// whose name says `_dup` (bindings/visionxl-c/README.md), directly or through a helper.
    #[test]
    fn caller_owned_strings_come_from_dup_functions() {
        let fns = functions();
        // Helpers that hand out such a string hand it out for the exports calling them.
        let helpers: Vec<&str> = fns
            .iter()
            .filter(|(_, _, body, export)| !export && body.contains(".into_raw()"))
            .map(|(name, ..)| *name)
            .collect();
        let mut owners = 0;
        for (name, _, body, export) in &fns {
            let hands_out = body.contains(".into_raw()") || helpers.iter().any(|h| calls(body, h));
            if *export && hands_out {
                owners += 1;
                assert!(
                    name.contains("_dup"),
                    "{name} returns a caller-owned string without _dup in its name"
                );
            }
        }
        assert!(
            owners >= 2,
            "found {owners} functions returning owned strings"
        );
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
            error::cstring("a\0b").to_str().unwrap(),
            "a\u{FFFD}b",
            "C cannot hold NUL inside a string"
        );
    }
}
