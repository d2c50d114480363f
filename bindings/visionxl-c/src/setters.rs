//! The typed setters `vxl_request_set_<name>`, one per row of the parameter table, each a
//! one-line call of a helper by the value's C type. `vxl_request_set_param` (in `request.rs`)
//! reaches every parameter by name with no C code.

use std::ffi::{c_char, c_double};

use visionxl_core::ParamValue;
use visionxl_core::spec::Field;

use crate::error::{vxl_error, vxl_status};
use crate::ffi;
use crate::request::{set_value, vxl_request};

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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use visionxl_core::spec::{Kind, PARAMS};

    /// Every row of the parameter table has exactly one typed setter named after its SDK name,
    /// whose C type fits the row's kind, and that stores into that row's field.
    #[test]
    fn a_typed_setter_for_every_parameter_of_the_spec() {
        let src = include_str!("setters.rs");
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
