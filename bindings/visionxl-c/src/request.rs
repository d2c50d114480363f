//! `vxl_request` (built from JSON or typed setters), `vxl_validate` and `vxl_report`.
//!
//! A request holds the parameters as given, by wire name. Setters never reject a value of the
//! right C type: every rule is checked at once by `vxl_validate`, `vxl_request_to_json_dup`
//! and `vxl_generate`, so the caller sees every problem together, exactly as
//! `tests/vectors/validation.json` describes (including NaN and infinities, which JSON cannot
//! carry but `double` setters can).

use std::ffi::{c_char, c_double};
use std::ptr;

use serde_json::Value;
use visionxl_core::spec::{self, Field, Naming};
use visionxl_core::{
    Checked, Error, GenerateRequest, ParamValue, Preset, Violation, ViolationCode, validate,
};

use crate::error::cstring;
use crate::error::{CViolation, Failure, vxl_error, vxl_status, vxl_violation};
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
}

impl vxl_request {
    fn put(&mut self, name: &str, value: ParamValue) {
        match self.params.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value,
            None => self.params.push((name.to_string(), value)),
        }
    }

    /// Every error and warning, and the request as far as it could be typed.
    pub(crate) fn check(&self) -> Checked {
        GenerateRequest::check_params(
            self.params.iter().map(|(k, v)| (k.as_str(), v.clone())),
            Naming::Wire,
            self.preset,
        )
    }

    /// The typed request and its warnings, or a `validation_error` listing every problem.
    pub(crate) fn build(&self) -> Result<(GenerateRequest, Vec<Violation>), Error> {
        self.check().into_request()
    }

    fn from_json_text(text: &str) -> Result<vxl_request, Error> {
        let bad = |message: String| {
            Error::validation(vec![Violation::new(
                "promptObject",
                ViolationCode::WrongType,
                message,
            )])
        };
        let json: Value = serde_json::from_str(text)
            .map_err(|e| bad(format!("the request is not valid JSON: {e}")))?;
        // A whole request body ({"type", "model", "promptObject"}) is accepted too.
        let params =
            client::wire::prompt_object_params(&json).map_err(|v| Error::validation(vec![v]))?;
        Ok(vxl_request {
            params,
            preset: None,
        })
    }
}

/// Writes a new boxed object to `*out` (checked non-NULL before).
fn hand_out<T>(out: *mut *mut T, value: T) {
    // SAFETY: every caller checked `out` for NULL first.
    unsafe { ffi::write(out, Box::into_raw(Box::new(value))) };
}

/// Checks `out` (the C parameter `name`) and sets `*out` to NULL, so it is defined on every
/// failure.
pub(crate) fn clear_out<T>(out: *mut *mut T, name: &str) -> Result<(), Failure> {
    ffi::non_null(out, name)?;
    // SAFETY: checked non-NULL.
    unsafe { ffi::write(out, ptr::null_mut()) };
    Ok(())
}

pub(crate) fn give<T>(out: *mut *mut T, value: T) {
    hand_out(out, value)
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
    ffi_status!(err, {
        clear_out(out, "out")?;
        // SAFETY: NULL or a NUL-terminated string (the caller's contract).
        let prompt = unsafe { ffi::c_str(prompt, "prompt") }?;
        let mut req = vxl_request::default();
        req.put("prompt", ParamValue::from(prompt));
        hand_out(out, req);
        Ok(())
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
    ffi_status!(err, {
        clear_out(out, "out")?;
        // SAFETY: NULL or a NUL-terminated string.
        let text = unsafe { ffi::c_str(prompt_object_json, "prompt_object_json") }?;
        hand_out(out, vxl_request::from_json_text(text)?);
        Ok(())
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
    ffi_status!(err, {
        clear_out(out, "out")?;
        // SAFETY: NULL or a live request.
        let req = unsafe { ffi::borrow(req, "req") }?;
        hand_out(out, req.clone());
        Ok(())
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

fn set_value(
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

fn set_str(
    req: *mut vxl_request,
    field: Field,
    value: *const c_char,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_value(
        req,
        field,
        // SAFETY: NULL or a NUL-terminated string.
        || unsafe { ffi::c_str(value, "value") }.map(ParamValue::from),
        err,
    )
}

fn set_int(
    req: *mut vxl_request,
    field: Field,
    value: u64,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_value(req, field, || Ok(ParamValue::Int(value.into())), err)
}

fn set_bool(
    req: *mut vxl_request,
    field: Field,
    value: bool,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_value(req, field, || Ok(ParamValue::Bool(value)), err)
}

fn set_float(
    req: *mut vxl_request,
    field: Field,
    value: c_double,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_value(req, field, || Ok(ParamValue::Float(value)), err)
}

/// Sets `prompt`: the text description of the image (required, not blank).
/// `value` is copied; NULL or invalid UTF-8 is `VXL_INVALID_ARGUMENT`.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_set_prompt(
    req: *mut vxl_request,
    value: *const c_char,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_str(req, Field::Prompt, value, err)
}

/// Sets `negative_prompt` (`negativePrompt`): what not to draw. `value` is copied.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_set_negative_prompt(
    req: *mut vxl_request,
    value: *const c_char,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_str(req, Field::NegativePrompt, value, err)
}

/// Sets `size`: `"512x512"`, `"1024x768"`, `"768x1024"` or `"1024x1024"` (the default).
/// `value` is copied.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_set_size(
    req: *mut vxl_request,
    value: *const c_char,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_str(req, Field::Size, value, err)
}

/// Sets `n`: the number of images, 1..=4 (default 1).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_set_n(
    req: *mut vxl_request,
    value: u32,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_int(req, Field::N, value.into(), err)
}

/// Sets `guidance_scale` (`leonardo_guidance_scale`): how strongly the image follows the
/// prompt, 1..=20 (service default 7).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_set_guidance_scale(
    req: *mut vxl_request,
    value: u32,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_int(req, Field::GuidanceScale, value.into(), err)
}

/// Sets `num_inference_steps` (`leonardo_num_inference_steps`): 10..=60 (service default 15).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_set_num_inference_steps(
    req: *mut vxl_request,
    value: u32,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_int(req, Field::NumInferenceSteps, value.into(), err)
}

/// Sets `seed` (`leonardo_seed`): 0..=9999999998, for reproducible images (default random).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_set_seed(
    req: *mut vxl_request,
    value: u64,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_int(req, Field::Seed, value, err)
}

/// Sets `tiling` (sent as the service's `leonardo_tilling`): images that tile on all axes.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_set_tiling(
    req: *mut vxl_request,
    value: bool,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_bool(req, Field::Tiling, value, err)
}

/// Sets `transparency` (`leonardo_transparency`): `"disabled"` or `"foreground_only"`.
/// `value` is copied.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_set_transparency(
    req: *mut vxl_request,
    value: *const c_char,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_str(req, Field::Transparency, value, err)
}

/// Sets `preset_style` (`leonardo_preset_style`): one of Leonardo's 31 styles (`"CINEMATIC"`,
/// `"ANIME"`, ...), case-insensitive, sent upper-case. `value` is copied.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_set_preset_style(
    req: *mut vxl_request,
    value: *const c_char,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_str(req, Field::PresetStyle, value, err)
}

/// Sets `image_prompts` (`leonardo_image_prompts`): at most 4 uploaded asset references.
///
/// `items` points to `count` UTF-8 strings, all copied; `items` may be NULL when `count` is 0
/// (an empty list). A NULL item or one that is not UTF-8 is `VXL_INVALID_ARGUMENT`.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_set_image_prompts(
    req: *mut vxl_request,
    items: *const *const c_char,
    count: usize,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_value(
        req,
        Field::ImagePrompts,
        || {
            if count == 0 {
                return Ok(ParamValue::List(Vec::new()));
            }
            ffi::non_null(items, "items")?;
            // SAFETY: non-NULL and `count` long (the caller's contract).
            let slice = unsafe { std::slice::from_raw_parts(items, count) };
            let mut list = Vec::with_capacity(count);
            for (i, item) in slice.iter().enumerate() {
                // SAFETY: NULL or a NUL-terminated string.
                let s = unsafe { ffi::c_str(*item, &format!("items[{i}]")) }?;
                list.push(ParamValue::from(s));
            }
            Ok(ParamValue::List(list))
        },
        err,
    )
}

/// Sets `init_image_id` (`leonardo_init_image_id`): the uploaded init image (not blank;
/// required by Fantasy Avatar). `value` is copied.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_set_init_image_id(
    req: *mut vxl_request,
    value: *const c_char,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_str(req, Field::InitImageId, value, err)
}

/// Sets `init_strength` (`leonardo_init_strength`): 0.1..=0.9, how strongly the images follow
/// the init image. NaN and infinities are reported as `"not_finite"` by `vxl_validate`.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_set_init_strength(
    req: *mut vxl_request,
    value: c_double,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_float(req, Field::InitStrength, value, err)
}

/// Sets `fantasy_avatar` (`leonardo_fantasy_avatar`); needs `init_image_id`.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_set_fantasy_avatar(
    req: *mut vxl_request,
    value: bool,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_bool(req, Field::FantasyAvatar, value, err)
}

/// Sets `alchemy` (`leonardo_alchemy`): Leonardo's Alchemy enhancement (service default on).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_set_alchemy(
    req: *mut vxl_request,
    value: bool,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_bool(req, Field::Alchemy, value, err)
}

/// Sets `contrast_ratio` (`leonardo_contrast_ratio`): 0..=1.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_set_contrast_ratio(
    req: *mut vxl_request,
    value: c_double,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_float(req, Field::ContrastRatio, value, err)
}

/// Sets `expanded_domain` (`leonardo_expanded_domain`).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_set_expanded_domain(
    req: *mut vxl_request,
    value: bool,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_bool(req, Field::ExpandedDomain, value, err)
}

/// Sets `photo_real` (`leonardo_photo_real`): the PhotoReal pipeline (requires Alchemy;
/// `photo_real_version` "v2" is then sent automatically).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_set_photo_real(
    req: *mut vxl_request,
    value: bool,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_bool(req, Field::PhotoReal, value, err)
}

/// Sets `photo_real_version` (`leonardo_photo_real_version`): only `"v2"`. `value` is copied.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_set_photo_real_version(
    req: *mut vxl_request,
    value: *const c_char,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_str(req, Field::PhotoRealVersion, value, err)
}

/// Sets `photo_real_strength` (`leonardo_photo_real_strength`): exactly 0.45, 0.5 or 0.55
/// (documented for PhotoReal v1 only).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_set_photo_real_strength(
    req: *mut vxl_request,
    value: c_double,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_float(req, Field::PhotoRealStrength, value, err)
}

/// Sets `prompt_magic` (`leonardo_prompt_magic`).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_set_prompt_magic(
    req: *mut vxl_request,
    value: bool,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_bool(req, Field::PromptMagic, value, err)
}

/// Sets `prompt_magic_version` (`leonardo_prompt_magic_version`): `"v2"` or `"v3"`.
/// `value` is copied.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_set_prompt_magic_version(
    req: *mut vxl_request,
    value: *const c_char,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_str(req, Field::PromptMagicVersion, value, err)
}

/// Sets `prompt_magic_strength` (`leonardo_prompt_magic_strength`): 0.1..=1.0.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_set_prompt_magic_strength(
    req: *mut vxl_request,
    value: c_double,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_float(req, Field::PromptMagicStrength, value, err)
}

/// Sets `high_contrast` (sent as the service's `leonardo_hight_constrast`): RAW mode.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_set_high_contrast(
    req: *mut vxl_request,
    value: bool,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_bool(req, Field::HighContrast, value, err)
}

/// Sets `high_resolution` (sent as the service's `leonardo_hight_resolution`).
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_set_high_resolution(
    req: *mut vxl_request,
    value: bool,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_bool(req, Field::HighResolution, value, err)
}

/// Sets `enhance_prompt` (`leonardo_enhance_prompt`): let the service rewrite the prompt.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_set_enhance_prompt(
    req: *mut vxl_request,
    value: bool,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_bool(req, Field::EnhancePrompt, value, err)
}

/// Sets `enhance_prompt_instruction` (`leonardo_enhance_prompt_instruction`): meaningful only
/// with `enhance_prompt`. `value` is copied.
#[unsafe(no_mangle)]
pub extern "C" fn vxl_request_set_enhance_prompt_instruction(
    req: *mut vxl_request,
    value: *const c_char,
    err: *mut *mut vxl_error,
) -> vxl_status {
    set_str(req, Field::EnhancePromptInstruction, value, err)
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
        req.params.retain(|(k, _)| k != wire && k != name);
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
        req.preset = match unsafe { ffi::opt_c_str(preset, "preset") }? {
            None => None,
            Some(name) => Some(name.parse::<Preset>()?),
        };
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
        clear_out(out, "out")?;
        // SAFETY: NULL or a live request.
        let req = unsafe { ffi::borrow(req, "req") }?;
        let (typed, _warnings) = req.build()?;
        let text = serde_json::to_string(&typed)
            .map_err(|e| Failure::Panic(format!("serialising the request: {e}")))?;
        // SAFETY: checked non-NULL.
        unsafe { ffi::write(out, cstring(&text).into_raw()) };
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
    ffi_status!(err, {
        clear_out(out, "out")?;
        // SAFETY: NULL or a live request.
        let req = unsafe { ffi::borrow(req, "req") }?;
        let report = req.check().report;
        hand_out(
            out,
            vxl_report {
                errors: report.errors.iter().map(CViolation::new).collect(),
                warnings: report.warnings.iter().map(CViolation::new).collect(),
            },
        );
        Ok(())
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
    ffi_status!(err, {
        ffi::non_null(out, "out")?;
        // SAFETY: NULL or a live report.
        let r = unsafe { ffi::borrow(report, "report") }?;
        let (list, what) = if warnings {
            (&r.warnings, "warning")
        } else {
            (&r.errors, "error")
        };
        let v = list
            .get(index)
            .ok_or_else(|| Failure::index(what, index, list.len()))?;
        // SAFETY: checked non-NULL.
        unsafe { ffi::write(out, v.view()) };
        Ok(())
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use visionxl_core::spec::{Kind, PARAMS};

    /// Every row of the parameter table has exactly one typed setter named after its SDK name,
    /// whose C type fits the row's kind, and that stores into that row's field.
    #[test]
    fn a_typed_setter_for_every_parameter_of_the_spec() {
        let src = include_str!("request.rs");
        let mut found = BTreeSet::new();
        let parts: Vec<&str> = src.split("pub extern \"C\" fn vxl_request_set_").collect();
        for part in &parts[1..] {
            let name = &part[..part.find('(').unwrap()];
            if name == "preset" {
                continue; // a named bundle, not a parameter
            }
            let spec = visionxl_core::spec::by_sdk(name)
                .unwrap_or_else(|| panic!("vxl_request_set_{name}: no such parameter"));
            let body = &part[..part.find("\n}\n").unwrap()];
            let field = format!("Field::{:?},", spec.field);
            assert!(body.contains(&field), "{name} must store {field}");
            let (helper, c_type) = match spec.kind {
                Kind::String => ("set_str(", "*const c_char"),
                Kind::Integer => ("set_int(", if name == "seed" { "u64" } else { "u32" }),
                Kind::Float => ("set_float(", "c_double"),
                Kind::Bool => ("set_bool(", "bool"),
                Kind::StringList => ("Field::ImagePrompts", "*const *const c_char"),
            };
            assert!(body.contains(helper), "{name} must use {helper}");
            assert!(
                body.contains(&format!(": {c_type},")),
                "{name} must take {c_type}"
            );
            assert!(found.insert(name.to_string()), "{name} twice");
        }
        let want: BTreeSet<_> = PARAMS.iter().map(|p| p.sdk.to_string()).collect();
        assert_eq!(found, want);
    }
}
