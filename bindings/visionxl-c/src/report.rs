//! `vxl_validate` and `vxl_report`: every error and warning of a request.

use crate::error::{CViolation, vxl_error, vxl_status, vxl_violation};
use crate::ffi::{self, ffi_value};
use crate::request::vxl_request;

/// Every error and warning of a validation, never just the first.
///
/// Created by `vxl_validate`; the caller owns it and frees it with `vxl_report_free`.
/// Immutable: it may be read from several threads at once.
#[allow(non_camel_case_types)]
pub struct vxl_report {
    errors: Vec<CViolation>,
    warnings: Vec<CViolation>,
}

/// Validates a request against every documented rule and reports every error and warning.
///
/// Returns `VXL_OK` whenever the check ran, valid or not: `*out` receives a new report the
/// caller frees with `vxl_report_free` (`vxl_report_is_valid` tells whether it may be sent).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_validate(
    req: *const vxl_request,
    out: *mut *mut vxl_report,
    err: *mut *mut vxl_error,
) -> vxl_status {
    ffi::create(out, err, || {
        // SAFETY: NULL or a live request.
        let req = unsafe { ffi::borrow(req, "req") }?;
        let report = &req.checked().report;
        Ok(vxl_report {
            errors: report.errors.iter().map(CViolation::new).collect(),
            warnings: report.warnings.iter().map(CViolation::new).collect(),
        })
    })
}

/// True when the report has no error (warnings allowed). False for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_report_is_valid(report: *const vxl_report) -> bool {
    ffi_value!(false, {
        // SAFETY: NULL or a live report.
        unsafe { report.as_ref() }.is_some_and(|r| r.errors.is_empty())
    })
}

/// The number of errors (0 for NULL).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_report_error_count(report: *const vxl_report) -> usize {
    ffi_value!(0, {
        // SAFETY: NULL or a live report.
        unsafe { report.as_ref() }.map_or(0, |r| r.errors.len())
    })
}

/// The number of warnings (0 for NULL).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_report_warning_count(report: *const vxl_report) -> usize {
    ffi_value!(0, {
        // SAFETY: NULL or a live report.
        unsafe { report.as_ref() }.map_or(0, |r| r.warnings.len())
    })
}

fn report_item(
    report: *const vxl_report,
    warnings: bool,
    index: usize,
    out: *mut vxl_violation,
    err: *mut *mut vxl_error,
) -> vxl_status {
    ffi::fill(out, err, || {
        // SAFETY: NULL or a live report.
        let r = unsafe { ffi::borrow(report, "report") }?;
        let (list, what) = if warnings {
            (&r.warnings, "warning")
        } else {
            (&r.errors, "error")
        };
        CViolation::view_at(list, what, index)
    })
}

/// Fills `*out` with error `index` (0-based). The strings are owned by `report` and valid
/// until `vxl_report_free(report)`. `VXL_INVALID_ARGUMENT` when an argument is NULL or
/// `index` is out of range.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_report_error(
    report: *const vxl_report,
    index: usize,
    out: *mut vxl_violation,
    err: *mut *mut vxl_error,
) -> vxl_status {
    report_item(report, false, index, out, err)
}

/// Fills `*out` with warning `index` (0-based). The strings are owned by `report` and valid
/// until `vxl_report_free(report)`. `VXL_INVALID_ARGUMENT` when an argument is NULL or
/// `index` is out of range.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_report_warning(
    report: *const vxl_report,
    index: usize,
    out: *mut vxl_violation,
    err: *mut *mut vxl_error,
) -> vxl_status {
    report_item(report, true, index, out, err)
}

/// Frees a report. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_report_free(report: *mut vxl_report) {
    ffi_value!((), {
        // SAFETY: NULL or a report from this library, not used again.
        unsafe { ffi::free_box(report) }
    })
}
