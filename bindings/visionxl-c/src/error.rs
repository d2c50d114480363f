//! `vxl_status`, `vxl_error` and `vxl_violation`.

use std::any::Any;
use std::ffi::{CString, c_char};
use std::ptr;

use visionxl_core::{Error, Violation};

/// What a fallible call returned.
#[repr(C)]
#[allow(non_camel_case_types, clippy::enum_variant_names)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum vxl_status {
    /// Success.
    VXL_OK = 0,
    /// The caller broke the API contract: a NULL pointer where one is required, a string that
    /// is not UTF-8, an index out of range. The `vxl_error` has the code `"invalid_argument"`
    /// and names the argument. (Getters that return a pointer rather than a status, such as
    /// `vxl_generation_image_url` or `vxl_paths_get`, return NULL for these instead.)
    VXL_INVALID_ARGUMENT = 1,
    /// The call failed; the `vxl_error` says why (`vxl_error_code`).
    VXL_ERROR = 2,
}

/// Why a call failed, before it is handed to C.
pub(crate) enum Failure {
    /// `VXL_INVALID_ARGUMENT`.
    Invalid(String),
    /// `VXL_ERROR` with an SDK error.
    Sdk(Error),
    /// `VXL_ERROR` from a panic (a bug).
    Panic(String),
}

impl Failure {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Failure::Invalid(message.into())
    }

    pub(crate) fn index(name: &str, index: usize, count: usize) -> Self {
        Failure::Invalid(format!(
            "{name} {index} is out of range (there are {count})"
        ))
    }

    pub(crate) fn from_panic(payload: &(dyn Any + Send)) -> Self {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        Failure::Panic(format!(
            "internal error in libvisionxl (please report it): {what}"
        ))
    }

    pub(crate) fn status(&self) -> vxl_status {
        match self {
            Failure::Invalid(_) => vxl_status::VXL_INVALID_ARGUMENT,
            Failure::Sdk(_) | Failure::Panic(_) => vxl_status::VXL_ERROR,
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Sdk(e)
    }
}

/// One violation in C form (owned by its report or error).
pub(crate) struct CViolation {
    field: CString,
    code: CString,
    message: CString,
}

impl CViolation {
    pub(crate) fn new(v: &Violation) -> Self {
        CViolation {
            field: cstring(&v.field),
            code: cstring(v.code.as_str()),
            message: cstring(&v.message),
        }
    }

    pub(crate) fn view(&self) -> vxl_violation {
        vxl_violation {
            field: self.field.as_ptr(),
            code: self.code.as_ptr(),
            message: self.message.as_ptr(),
        }
    }

    /// Item `index` of `list` (a list of `what`s) in C form: an index out of range is
    /// `VXL_INVALID_ARGUMENT` naming it and the count.
    pub(crate) fn view_at(
        list: &[CViolation],
        what: &str,
        index: usize,
    ) -> Result<vxl_violation, Failure> {
        list.get(index)
            .map(CViolation::view)
            .ok_or_else(|| Failure::index(what, index, list.len()))
    }
}

/// One validation error or warning: `{field, code, message}`.
///
/// The three strings are borrowed from the `vxl_report` or `vxl_error` that filled the struct
/// and stay valid until that object is freed. Never NULL once filled.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy)]
pub struct vxl_violation {
    /// The wire name of the field (`"leonardo_guidance_scale"`), or an unknown name as given.
    pub field: *const c_char,
    /// `"required"`, `"blank"`, `"out_of_range"`, `"not_allowed_value"`, `"too_many"`,
    /// `"requires"`, `"not_finite"`, `"wrong_type"`, `"unknown_field"`; for warnings
    /// `"ignored"`, `"unusual_combination"`, `"price_hint"`.
    pub code: *const c_char,
    /// For people: names the field, the rule and the allowed values.
    pub message: *const c_char,
}

/// An error: a stable code (the same in every language of the SDK), a message, and what the service said.
///
/// Created by the library on failure and handed to the caller through `vxl_error **err`; the
/// caller owns it and frees it with `vxl_error_free`. Immutable: it may be read from several
/// threads at once.
#[allow(non_camel_case_types)]
pub struct vxl_error {
    pub(crate) code: CString,
    pub(crate) message: CString,
    pub(crate) http_status: u16,
    pub(crate) record_id: Option<CString>,
    pub(crate) service_code: Option<CString>,
    pub(crate) retry_after_ms: Option<u64>,
    pub(crate) may_have_been_charged: bool,
    pub(crate) violations: Vec<CViolation>,
}

impl vxl_error {
    pub(crate) fn from_failure(f: Failure) -> Self {
        match f {
            // Misuse of the C API: no equivalent code in the other languages.
            Failure::Invalid(m) => vxl_error::plain("invalid_argument", &m),
            // A caught panic: a bug in the library.
            Failure::Panic(m) => vxl_error::plain("internal_error", &m),
            Failure::Sdk(e) => vxl_error {
                code: cstring(e.code().as_str()),
                message: cstring(e.message()),
                http_status: e.status().unwrap_or(0),
                record_id: e.record_id().map(cstring),
                service_code: e.service_code().map(cstring),
                retry_after_ms: e
                    .retry_after()
                    .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
                may_have_been_charged: e.may_have_been_charged(),
                violations: e.violations().iter().map(CViolation::new).collect(),
            },
        }
    }

    fn plain(code: &str, message: &str) -> Self {
        vxl_error {
            code: cstring(code),
            message: cstring(message),
            http_status: 0,
            record_id: None,
            service_code: None,
            retry_after_ms: None,
            may_have_been_charged: false,
            violations: Vec::new(),
        }
    }
}

pub(crate) fn opt_ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(ptr::null(), |c| c.as_ptr())
}

/// A `CString` from any text: an interior NUL (which C cannot hold) becomes U+FFFD.
pub(crate) fn cstring(s: &str) -> CString {
    cstring_owned(s.to_string())
}

/// [`cstring`] taking the text (UTF-8) over: no copy unless it holds a NUL.
pub(crate) fn cstring_owned(s: impl Into<Vec<u8>>) -> CString {
    CString::new(s).unwrap_or_else(|e| {
        let s = String::from_utf8_lossy(&e.into_vec()).replace('\0', "\u{FFFD}");
        CString::new(s).unwrap_or_default()
    })
}
