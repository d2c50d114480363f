//! `vxl_request`: created from a prompt or from JSON, copied, freed; set by name
//! (`vxl_request_set_param`), unset, given a preset, serialised and priced. The typed setters
//! are in `setters.rs`, validation reports in `report.rs`.
//!
//! A request holds the parameters as given, by wire name. Setters never reject a value of the
//! right C type: every rule is checked at once by `vxl_validate`, `vxl_request_to_json_dup`
//! and `vxl_generate`, so the caller sees every problem together, exactly as
//! `tests/vectors/validation.json` describes (including NaN and infinities, which JSON cannot
//! carry but `double` setters can).

use std::ffi::c_char;
use std::sync::OnceLock;

use serde_json::Value;
use visionxl_core::spec::{self, Field, Naming};
use visionxl_core::{
    Checked, Error, GenerateRequest, ParamValue, Preset, Violation, ViolationCode, validate, wire,
};

use crate::error::cstring_owned;
use crate::error::{Failure, vxl_error, vxl_status};
use crate::ffi::{self, ffi_status, ffi_value};

/// A generation request: the `promptObject` parameters of Leonardo Vision XL, plus an
/// optional preset.
///
/// Setters store what they are given (a later call replaces an earlier one); every rule is
/// checked at once by `vxl_validate`, `vxl_request_to_json_dup`, `vxl_request_credits` and
/// `vxl_generate`, so all problems are reported together and nothing invalid is ever sent.
///
/// Created by `vxl_request_new`, `vxl_request_from_json` or `vxl_request_clone`; the caller
/// owns it and frees it with `vxl_request_free`.
///
/// Thread safety: functions taking a `const vxl_request *` (validate, to JSON, generate, ...)
/// may run on several threads at once with the same request; a setter must not run while any
/// other thread uses that request.
#[allow(non_camel_case_types)]
#[derive(Clone, Debug, Default)]
pub struct vxl_request {
    /// `(wire name, value)` in the order given; unknown names from JSON are kept (and reported).
    params: Vec<(String, ParamValue)>,
    preset: Option<Preset>,
    /// What [`checked`](vxl_request::checked) made of the parameters as they are: a request
    /// validated, serialised and sent again and again is typed and checked once, not per call.
    /// Every change goes through [`edit`](vxl_request::edit), which clears it.
    built: OnceLock<Built>,
}

/// A request typed and checked once (shared by `vxl_validate`, `vxl_request_to_json_dup`,
/// `vxl_request_credits` and `vxl_generate`).
#[derive(Clone, Debug)]
pub(crate) struct Built {
    /// The request as far as it could be typed, with every error and warning.
    checked: Checked,
    /// The `validation_error` listing every error, made when first asked for.
    error: OnceLock<Error>,
}

impl vxl_request {
    /// The parameters and preset, to change (forgets what was built from them).
    fn edit(&mut self) -> (&mut Vec<(String, ParamValue)>, &mut Option<Preset>) {
        self.built = OnceLock::new();
        (&mut self.params, &mut self.preset)
    }

    fn put(&mut self, name: &str, value: ParamValue) {
        let (params, _) = self.edit();
        match params.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value,
            None => params.push((name.to_string(), value)),
        }
    }

    /// What the parameters make, checked on first use after a change, then kept.
    fn built(&self) -> &Built {
        self.built.get_or_init(|| Built {
            checked: GenerateRequest::check_params(
                self.params.iter().map(|(k, v)| (k.as_str(), v)),
                Naming::Wire,
                self.preset,
            ),
            error: OnceLock::new(),
        })
    }

    /// Every error and warning, and the request as far as it could be typed.
    pub(crate) fn checked(&self) -> &Checked {
        &self.built().checked
    }

    /// The typed request and its warnings, or a `validation_error` listing every problem.
    pub(crate) fn build(&self) -> Result<(&GenerateRequest, &[Violation]), Error> {
        let built = self.built();
        let Checked { request, report } = &built.checked;
        if report.errors.is_empty() {
            return Ok((request, &report.warnings));
        }
        let error = built
            .error
            .get_or_init(|| Error::validation(report.errors.clone()));
        Err(error.clone())
    }

    fn from_json_text(text: &str) -> Result<vxl_request, Error> {
        let bad = |message: String| {
            Error::validation(vec![Violation::new(
                "promptObject",
                ViolationCode::WrongType,
                message,
            )])
        };
        // A whole request body ({"type", "model", "promptObject"}) is accepted too. Read
        // straight from the text: no JSON tree is built and dropped.
        let params = wire::prompt_object_params_from_str(text)
            .map_err(|e| bad(format!("the request is not valid JSON: {e}")))?
            .map_err(|v| Error::validation(vec![v]))?;
        Ok(vxl_request {
            params,
            ..vxl_request::default()
        })
    }
}

/// Creates a request for `prompt` (UTF-8), every other parameter unset: one 1024x1024 image.
///
/// On success `*out` receives a new request the caller frees with `vxl_request_free`.
/// `VXL_INVALID_ARGUMENT` when `prompt` or `out` is NULL or `prompt` is not UTF-8. A blank
/// prompt is accepted here and reported by `vxl_validate` (code `"blank"`).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_new(
    prompt: *const c_char,
    out: *mut *mut vxl_request,
    err: *mut *mut vxl_error,
) -> vxl_status {
    ffi::create(out, err, || {
        // SAFETY: NULL or a NUL-terminated string (the caller's contract).
        let prompt = unsafe { ffi::c_str(prompt, "prompt") }?;
        let mut req = vxl_request::default();
        req.put("prompt", ParamValue::from(prompt));
        Ok(req)
    })
}

/// Creates a request from a `promptObject` in JSON with the service's wire names
/// (`{"prompt": "a cat", "n": 2, "leonardo_tilling": true}`), or from a whole request body
/// (`{"type": ..., "model": ..., "promptObject": {...}}`).
///
/// Only text that is not a JSON object fails here (`VXL_ERROR`, `"validation_error"` with one
/// violation on `"promptObject"`); every parameter is kept as given, and unknown names, wrong
/// types and broken rules are all reported together by `vxl_validate` (and refused by
/// `vxl_generate`). On success `*out` receives a new request the caller frees with
/// `vxl_request_free`; on failure `*out` is set to NULL.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_from_json(
    prompt_object_json: *const c_char,
    out: *mut *mut vxl_request,
    err: *mut *mut vxl_error,
) -> vxl_status {
    ffi::create(out, err, || {
        // SAFETY: NULL or a NUL-terminated string.
        let text = unsafe { ffi::c_str(prompt_object_json, "prompt_object_json") }?;
        Ok(vxl_request::from_json_text(text)?)
    })
}

/// Copies a request. On success `*out` receives a new request the caller frees with
/// `vxl_request_free`.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_clone(
    req: *const vxl_request,
    out: *mut *mut vxl_request,
    err: *mut *mut vxl_error,
) -> vxl_status {
    ffi::create(out, err, || {
        // SAFETY: NULL or a live request.
        Ok(unsafe { ffi::borrow(req, "req") }?.clone())
    })
}

/// Frees a request. NULL is a no-op.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_free(req: *mut vxl_request) {
    ffi_value!((), {
        // SAFETY: NULL or a request from this library, not used again.
        unsafe { ffi::free_box(req) }
    })
}

pub(crate) fn set_value(
    req: *mut vxl_request,
    field: Field,
    value: impl FnOnce() -> Result<ParamValue, Failure>,
    err: *mut *mut vxl_error,
) -> vxl_status {
    ffi_status!(err, {
        // SAFETY: NULL or a live request used by no other thread (documented).
        let req = unsafe { ffi::borrow_mut(req, "req") }?;
        let value = value()?;
        req.put(spec::by_field(field).wire, value);
        Ok(())
    })
}

/// Sets any parameter by name, through the parameter table: `name` is its SDK name
/// (`"guidance_scale"`) or its wire name (`"leonardo_guidance_scale"`), `json_value` its value
/// as JSON text (`"7"`, `"true"`, `"\"1024x768\""`, `"[\"ref-1\"]"`). A parameter added to the
/// table reaches C through this function with no C code.
///
/// As with the typed setters, the value is stored as given and checked with every other rule
/// by `vxl_validate` and `vxl_generate` (a wrong type is a `"wrong_type"` violation there). An
/// unknown name fails here with `"validation_error"` (one `"unknown_field"` violation, with a
/// "did you mean"); text that is not JSON fails with `"validation_error"` (`"wrong_type"` on
/// that parameter).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_set_param(
    req: *mut vxl_request,
    name: *const c_char,
    json_value: *const c_char,
    err: *mut *mut vxl_error,
) -> vxl_status {
    ffi_status!(err, {
        // SAFETY: NULL or a live request used by no other thread.
        let req = unsafe { ffi::borrow_mut(req, "req") }?;
        // SAFETY: NULL or a NUL-terminated string.
        let name = unsafe { ffi::c_str(name, "name") }?;
        // SAFETY: as above.
        let text = unsafe { ffi::c_str(json_value, "json_value") }?;
        let spec = spec::by_sdk(name)
            .or_else(|| spec::by_wire(name))
            .ok_or_else(|| Error::validation(vec![validate::unknown_field(name, Naming::Sdk)]))?;
        let json: Value = serde_json::from_str(text).map_err(|e| {
            Error::validation(vec![Violation::new(
                spec.wire,
                ViolationCode::WrongType,
                format!(
                    "{} must be given as JSON text, got {text:?}: {e}",
                    spec.label()
                ),
            )])
        })?;
        req.put(spec.wire, ParamValue::from(&json));
        Ok(())
    })
}

/// Unsets a parameter, named by its SDK name (`"tiling"`) or wire name (`"leonardo_tilling"`),
/// or any name a JSON request brought in. Unsetting a known parameter that is not set is a
/// no-op. A name that is neither known nor present fails with `"validation_error"` (one
/// `"unknown_field"` violation, with a "did you mean").
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_unset(
    req: *mut vxl_request,
    name: *const c_char,
    err: *mut *mut vxl_error,
) -> vxl_status {
    ffi_status!(err, {
        // SAFETY: NULL or a live request used by no other thread.
        let req = unsafe { ffi::borrow_mut(req, "req") }?;
        // SAFETY: NULL or a NUL-terminated string.
        let name = unsafe { ffi::c_str(name, "name") }?;
        let known = spec::by_sdk(name).or_else(|| spec::by_wire(name));
        let present = req.params.iter().any(|(k, _)| k == name);
        if known.is_none() && !present {
            return Err(Error::validation(vec![validate::unknown_field(name, Naming::Sdk)]).into());
        }
        let wire = known.map_or(name, |p| p.wire);
        req.edit().0.retain(|(k, _)| k != wire && k != name);
        Ok(())
    })
}

/// Applies a named preset when the request is checked: `"max_detail"` (guidance 12, 45 steps,
/// high resolution, Alchemy) or `"defaults"` (every documented default made explicit).
/// Explicit values always win over the preset. NULL removes the preset. An unknown name fails
/// with `"validation_error"` (`"not_allowed_value"` on `"preset"`).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_set_preset(
    req: *mut vxl_request,
    preset: *const c_char,
    err: *mut *mut vxl_error,
) -> vxl_status {
    ffi_status!(err, {
        // SAFETY: NULL or a live request used by no other thread.
        let req = unsafe { ffi::borrow_mut(req, "req") }?;
        // SAFETY: NULL or a NUL-terminated string.
        let preset = match unsafe { ffi::opt_c_str(preset, "preset") }? {
            None => None,
            Some(name) => Some(name.parse::<Preset>()?),
        };
        *req.edit().1 = preset;
        Ok(())
    })
}

/// The `promptObject` exactly as it would be sent (wire names, set fields only, preset applied,
/// preset style upper-case), as compact JSON.
///
/// On success `*out` receives a new NUL-terminated string the caller frees with
/// `vxl_string_free`. Fails with `"validation_error"` (every problem listed) when the request
/// is invalid; warnings do not block.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_to_json_dup(
    req: *const vxl_request,
    out: *mut *mut c_char,
    err: *mut *mut vxl_error,
) -> vxl_status {
    ffi_status!(err, {
        ffi::clear_out(out, "out")?;
        // SAFETY: NULL or a live request.
        let req = unsafe { ffi::borrow(req, "req") }?;
        let (typed, _warnings) = req.build()?;
        // Room for every field at once (the every-field request is under 1 KiB), so the text
        // is not regrown field by field.
        let mut text = Vec::with_capacity(1024);
        serde_json::to_writer(&mut text, typed)
            .map_err(|e| Failure::Panic(format!("serialising the request: {e}")))?;
        // SAFETY: checked non-NULL.
        unsafe { ffi::write(out, cstring_owned(text).into_raw()) };
        Ok(())
    })
}

/// The price of the request in credits (from the documented table). Fails with
/// `"validation_error"` when the request is invalid.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_credits(
    req: *const vxl_request,
    out_credits: *mut u32,
    err: *mut *mut vxl_error,
) -> vxl_status {
    ffi_status!(err, {
        ffi::non_null(out_credits, "out_credits")?;
        // SAFETY: NULL or a live request.
        let req = unsafe { ffi::borrow(req, "req") }?;
        let (typed, _) = req.build()?;
        let credits = typed.credits()?;
        // SAFETY: checked non-NULL.
        unsafe { ffi::write(out_credits, credits) };
        Ok(())
    })
}
