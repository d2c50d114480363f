//! Prices: `vxl_estimate_credits`, `vxl_plan_batches` and `vxl_plan`.

use std::ffi::c_char;

use visionxl_core::{BatchPlan, estimate_credits_str, plan_batches_str};

use crate::error::{Failure, vxl_error, vxl_status};
use crate::ffi::{self, ffi_status, ffi_value};

/// The price in credits of one call of `n` images of `size` (`"512x512"`, `"1024x768"`,
/// `"768x1024"`, `"1024x1024"`), from the documented table. Pure: nothing is sent.
///
/// On success `*out_credits` receives the price. A size that is not one of the four
/// (`"not_allowed_value"` on `"size"`) or `n` outside 1..=4 (`"out_of_range"` on `"n"`) fails
/// with `VXL_ERROR` and `"validation_error"`.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_estimate_credits(
    size: *const c_char,
    n: u32,
    out_credits: *mut u32,
    err: *mut *mut vxl_error,
) -> vxl_status {
    ffi_status!(err, {
        ffi::non_null(out_credits, "out_credits")?;
        // SAFETY: NULL or a NUL-terminated string.
        let size = unsafe { ffi::c_str(size, "size") }?;
        let credits = estimate_credits_str(size, n)?;
        // SAFETY: checked non-NULL.
        unsafe { ffi::write(out_credits, credits) };
        Ok(())
    })
}

/// The cheapest way to get exactly a number of images of one size in calls of 1..=4 images.
///
/// Created by `vxl_plan_batches`; the caller owns it and frees it with `vxl_plan_free`.
/// Immutable: it may be read from several threads at once.
#[allow(non_camel_case_types)]
pub struct vxl_plan {
    plan: BatchPlan,
}

/// Plans the cheapest split of `images` images of `size` into calls of 1..=4 (ties: fewer
/// calls, then the largest calls first). Pure: nothing is sent.
///
/// On success `*out` receives a new plan the caller frees with `vxl_plan_free`. A bad size
/// (`"not_allowed_value"` on `"size"`) or `images` 0 (`"out_of_range"` on `"images"`) fails with
/// `VXL_ERROR` and `"validation_error"`.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_plan_batches(
    size: *const c_char,
    images: u32,
    out: *mut *mut vxl_plan,
    err: *mut *mut vxl_error,
) -> vxl_status {
    ffi::create(out, err, || {
        // SAFETY: NULL or a NUL-terminated string.
        let size = unsafe { ffi::c_str(size, "size") }?;
        let plan = plan_batches_str(size, images)?;
        Ok(vxl_plan { plan })
    })
}

/// The number of calls in the plan (0 for NULL).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_plan_call_count(plan: *const vxl_plan) -> usize {
    ffi_value!(0, {
        // SAFETY: NULL or a live plan.
        unsafe { plan.as_ref() }.map_or(0, |p| p.plan.calls.len())
    })
}

/// Fills `*out_n` with the `n` of call `index` (0-based; largest first).
/// `VXL_INVALID_ARGUMENT` when an argument is NULL or `index` is out of range.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_plan_call(
    plan: *const vxl_plan,
    index: usize,
    out_n: *mut u32,
    err: *mut *mut vxl_error,
) -> vxl_status {
    ffi_status!(err, {
        ffi::non_null(out_n, "out_n")?;
        // SAFETY: NULL or a live plan.
        let p = unsafe { ffi::borrow(plan, "plan") }?;
        let n = *p
            .plan
            .calls
            .get(index)
            .ok_or_else(|| Failure::index("call", index, p.plan.calls.len()))?;
        // SAFETY: checked non-NULL.
        unsafe { ffi::write(out_n, n) };
        Ok(())
    })
}

/// The credits the whole plan costs (0 for NULL).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_plan_total_credits(plan: *const vxl_plan) -> u32 {
    ffi_value!(0, {
        // SAFETY: NULL or a live plan.
        unsafe { plan.as_ref() }.map_or(0, |p| p.plan.total_credits)
    })
}

/// The number of images the plan delivers (0 for NULL).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_plan_images(plan: *const vxl_plan) -> u32 {
    ffi_value!(0, {
        // SAFETY: NULL or a live plan.
        unsafe { plan.as_ref() }.map_or(0, |p| p.plan.images)
    })
}

/// Frees a plan. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_plan_free(plan: *mut vxl_plan) {
    ffi_value!((), {
        // SAFETY: NULL or a plan from this library, not used again.
        unsafe { ffi::free_box(plan) }
    })
}
