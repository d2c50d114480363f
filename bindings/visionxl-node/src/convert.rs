//! JavaScript values -> the core's [`ParamValue`], and request building from a JS object.
//!
//! Numbers keep their float-ness as far as JavaScript knows it: an integral `Number` (`2`, and
//! `2.0`, which JavaScript cannot tell apart) is an integer, anything else a float, NaN and
//! ±Infinity included, so the core reports `not_finite` instead of a JSON `null` slipping through.

use napi::bindgen_prelude::{Array, BigInt, Object, Unknown};
use napi::{JsValue, Result, ValueType};
use visionxl_core::{
    Error, GenerateRequest, Naming, ParamValue, Preset, Report, Violation, ViolationCode,
};

/// The key of a params object that names a preset (`max_detail`, `defaults`), not a parameter.
pub const PRESET_KEY: &str = "preset";

/// Nesting deeper than this is not a parameter value (and a cyclic array must not recurse forever).
const MAX_DEPTH: u32 = 8;

/// Converts one JS value.
pub fn to_param_value(value: &Unknown<'_>) -> Result<ParamValue> {
    convert(value, 0)
}

fn convert(value: &Unknown<'_>, depth: u32) -> Result<ParamValue> {
    // SAFETY (every `cast` below): the value's type was checked by `get_type` first.
    Ok(match value.get_type()? {
        ValueType::Undefined | ValueType::Null => ParamValue::Null,
        ValueType::Boolean => ParamValue::Bool(unsafe { value.cast::<bool>()? }),
        ValueType::Number => number(unsafe { value.cast::<f64>()? }),
        ValueType::String => ParamValue::Str(unsafe { value.cast::<String>()? }),
        ValueType::BigInt => {
            let big = unsafe { value.cast::<BigInt>()? };
            let (v, lossless) = big.get_i128();
            if lossless {
                ParamValue::Int(v)
            } else {
                ParamValue::Other("bigint".into())
            }
        }
        ValueType::Object => {
            if value.is_array()? {
                if depth >= MAX_DEPTH {
                    return Ok(ParamValue::Other("nested array".into()));
                }
                let arr = unsafe { value.cast::<Array>()? };
                let mut items = Vec::with_capacity(arr.len() as usize);
                for i in 0..arr.len() {
                    let item = arr.get::<Unknown>(i)?;
                    items.push(match item {
                        Some(item) => convert(&item, depth + 1)?,
                        None => ParamValue::Null,
                    });
                }
                ParamValue::List(items)
            } else {
                ParamValue::Other("object".into())
            }
        }
        ValueType::Function => ParamValue::Other("function".into()),
        ValueType::Symbol => ParamValue::Other("symbol".into()),
        _ => ParamValue::Other("value".into()),
    })
}

/// An integral, finite number is an integer; anything else (fractions, NaN, ±Infinity) a float.
pub fn number(f: f64) -> ParamValue {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e30 {
        ParamValue::Int(f as i128)
    } else {
        ParamValue::Float(f)
    }
}

/// The parameters of a JS object, by camelCase name, with the preset (if any) split off.
pub struct Params {
    /// `(name, value)` in the object's key order, `preset` excluded.
    pub entries: Vec<(String, ParamValue)>,
    /// The preset, when one was named and valid.
    pub preset: Option<Preset>,
    /// Problems found before the core looked: a bad preset.
    pub errors: Vec<Violation>,
}

/// Reads a params object: every own enumerable key, converted.
pub fn read_params(obj: &Object<'_>) -> Result<Params> {
    let mut out = Params {
        entries: Vec::new(),
        preset: None,
        errors: Vec::new(),
    };
    for key in Object::keys(obj)? {
        let value = match obj.get::<Unknown>(&key)? {
            Some(v) => to_param_value(&v)?,
            None => ParamValue::Null,
        };
        if key == PRESET_KEY {
            match value {
                ParamValue::Null => {}
                ParamValue::Str(s) => match s.parse::<Preset>() {
                    Ok(p) => out.preset = Some(p),
                    Err(e) => out.errors.extend(e.violations().iter().cloned()),
                },
                other => out.errors.push(Violation::new(
                    PRESET_KEY,
                    ViolationCode::WrongType,
                    format!(
                        "preset must be a string (max_detail or defaults), got {} {}",
                        other.type_name(),
                        other.display()
                    ),
                )),
            }
            continue;
        }
        out.entries.push((key, value));
    }
    Ok(out)
}

/// The request (as far as it could be built) and every error and warning.
pub fn check(params: Params) -> (GenerateRequest, Report) {
    let checked = GenerateRequest::check_params(params.entries, Naming::Camel, params.preset);
    let mut report = checked.report;
    let mut errors = params.errors;
    errors.append(&mut report.errors);
    report.errors = errors;
    (checked.request, report)
}

/// The request and its warnings, or a `validation_error` listing every problem.
pub fn build(params: Params) -> std::result::Result<(GenerateRequest, Vec<Violation>), Error> {
    let (request, report) = check(params);
    let warnings = report.into_result()?;
    Ok((request, warnings))
}

/// Reads a params object given as an arbitrary JS value: anything but a plain object is a
/// `validation_error` on `params`.
pub fn params_from_unknown(value: &Unknown<'_>) -> Result<std::result::Result<Params, Error>> {
    let t = value.get_type()?;
    if t != ValueType::Object || value.is_array()? {
        let got = to_param_value(value)?;
        return Ok(Err(Error::validation(vec![Violation::new(
            "params",
            ViolationCode::WrongType,
            format!(
                "the request parameters must be an object such as {{prompt: \"a red fox\"}}, got {} {}",
                got.type_name(),
                got.display()
            ),
        )])));
    }
    // SAFETY: checked to be an object above.
    let obj = unsafe { value.cast::<Object>()? };
    Ok(Ok(read_params(&obj)?))
}
