//! The discipline every export follows (after rustls-ffi): a panic boundary, checked pointers,
//! checked UTF-8, and errors handed to C through an optional `vxl_error **`.

use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;

use crate::error::{Failure, vxl_error, vxl_status};

/// Runs `f` behind a panic boundary and turns its outcome into a [`vxl_status`], storing the
/// failure (or the panic) in `*err` when `err` is not NULL.
pub(crate) fn run_status(
    err: *mut *mut vxl_error,
    f: impl FnOnce() -> Result<(), Failure>,
) -> vxl_status {
    let failure = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => return vxl_status::VXL_OK,
        Ok(Err(failure)) => failure,
        Err(payload) => Failure::from_panic(payload.as_ref()),
    };
    let status = failure.status();
    // Building the error allocates; guard it too so nothing unwinds into C.
    let _ = catch_unwind(AssertUnwindSafe(|| {
        if !err.is_null() {
            // SAFETY: the caller passed a writable `vxl_error **` (documented).
            unsafe { *err = Box::into_raw(Box::new(vxl_error::from_failure(failure))) };
        }
    }));
    status
}

/// Runs `f` behind a panic boundary; a panic gives `fallback` (NULL, 0 or false: documented
/// as "no value" for every accessor).
pub(crate) fn run_value<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(fallback)
}

/// A status-returning export: `ffi_status!(err, { ...; Ok(()) })`.
macro_rules! ffi_status {
    ($err:expr, $body:block) => {
        $crate::ffi::run_status($err, || -> Result<(), $crate::error::Failure> { $body })
    };
}

/// A value-returning export: `ffi_value!(fallback, { ... })`.
macro_rules! ffi_value {
    ($fallback:expr, $body:block) => {
        $crate::ffi::run_value($fallback, || $body)
    };
}

pub(crate) use {ffi_status, ffi_value};

/// A NULL check with the argument's name in the message.
pub(crate) fn non_null<T>(ptr: *const T, name: &str) -> Result<(), Failure> {
    if ptr.is_null() {
        Err(Failure::invalid(format!("{name} must not be NULL")))
    } else {
        Ok(())
    }
}

/// Borrows a handle passed by C.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` created by this library.
pub(crate) unsafe fn borrow<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, Failure> {
    non_null(ptr, name)?;
    // SAFETY: checked non-NULL; liveness is the caller's contract.
    Ok(unsafe { &*ptr })
}

/// Borrows a handle mutably.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` created by this library, used by no other thread.
pub(crate) unsafe fn borrow_mut<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T, Failure> {
    non_null(ptr, name)?;
    // SAFETY: checked non-NULL; exclusivity is the caller's contract (documented).
    Ok(unsafe { &mut *ptr })
}

/// A C string as `&str`: NULL and invalid UTF-8 are `VXL_INVALID_ARGUMENT`.
///
/// # Safety
/// `ptr` is NULL or a NUL-terminated string that stays valid for `'a`.
pub(crate) unsafe fn c_str<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, Failure> {
    non_null(ptr, name)?;
    // SAFETY: non-NULL and NUL-terminated (the caller's contract).
    let bytes = unsafe { CStr::from_ptr(ptr) };
    bytes
        .to_str()
        .map_err(|e| Failure::invalid(format!("{name} is not valid UTF-8: {e}")))
}

/// Like [`c_str`], with NULL meaning "not given".
///
/// # Safety
/// As [`c_str`].
pub(crate) unsafe fn opt_c_str<'a>(
    ptr: *const c_char,
    name: &str,
) -> Result<Option<&'a str>, Failure> {
    if ptr.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { c_str(ptr, name) }.map(Some)
    }
}

/// Writes `value` through an out-pointer (checked for NULL by the caller first).
///
/// # Safety
/// `out` is non-NULL and writable.
pub(crate) unsafe fn write<T>(out: *mut T, value: T) {
    // SAFETY: the caller checked `out`.
    unsafe { out.write(value) };
}

/// Checks `out` (the C parameter `name`) and sets `*out` to NULL, so it is defined on every
/// failure.
pub(crate) fn clear_out<T>(out: *mut *mut T, name: &str) -> Result<(), Failure> {
    non_null(out, name)?;
    // SAFETY: checked non-NULL.
    unsafe { write(out, ptr::null_mut()) };
    Ok(())
}

/// Writes a new boxed object to `*out` (checked by [`clear_out`] before).
pub(crate) fn give<T>(out: *mut *mut T, value: T) {
    // SAFETY: every caller checked `out` for NULL first.
    unsafe { write(out, Box::into_raw(Box::new(value))) };
}

/// A constructor export: checks `out` and clears it, then hands `*out` what `make` builds
/// (the caller frees it); a failure of `make` leaves `*out` NULL and goes to `*err`.
pub(crate) fn create<T>(
    out: *mut *mut T,
    err: *mut *mut vxl_error,
    make: impl FnOnce() -> Result<T, Failure>,
) -> vxl_status {
    ffi_status!(err, {
        clear_out(out, "out")?;
        give(out, make()?);
        Ok(())
    })
}

/// An export filling a caller's struct: checks `out`, then writes what `make` gives there (a
/// failure of `make` leaves `*out` as it was and goes to `*err`).
pub(crate) fn fill<T>(
    out: *mut T,
    err: *mut *mut vxl_error,
    make: impl FnOnce() -> Result<T, Failure>,
) -> vxl_status {
    ffi_status!(err, {
        non_null(out, "out")?;
        let value = make()?;
        // SAFETY: checked non-NULL.
        unsafe { write(out, value) };
        Ok(())
    })
}

/// Frees a box created by `Box::into_raw` in this library; NULL is a no-op.
///
/// # Safety
/// `ptr` is NULL or came from `Box::into_raw` of a `T` and is not used again.
pub(crate) unsafe fn free_box<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: the caller's contract.
        drop(unsafe { Box::from_raw(ptr) });
    }
}

/// Frees a string created by `CString::into_raw` in this library; NULL is a no-op.
///
/// # Safety
/// `ptr` is NULL or came from `CString::into_raw` and is not used again.
pub(crate) unsafe fn free_cstring(ptr: *mut c_char) {
    if !ptr.is_null() {
        // SAFETY: the caller's contract.
        drop(unsafe { CString::from_raw(ptr) });
    }
}
