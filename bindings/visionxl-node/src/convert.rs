//! JavaScript values -> the core's [`ParamValue`], and request building from a JS object.
//!
//! Numbers keep their float-ness as far as JavaScript knows it: an integral `Number` (`2`, and
//! `2.0`, which JavaScript cannot tell apart) is an integer, anything else a float, NaN and
//! ±Infinity included, so the core reports `not_finite` instead of a JSON `null` slipping through.

use napi::bindgen_prelude::{Array, BigInt, Object, Unknown};
use napi::{JsValue, Result, ValueType};
use visionxl_core::spec;
use visionxl_core::{
    Error, GenerateRequest, Naming, ParamSpec, ParamValue, Preset, Report, Violation, ViolationCode,
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
    let keys = Object::keys(obj)?;
    let mut entries = Vec::with_capacity(keys.len());
    for key in keys {
        let value = match obj.get::<Unknown>(&key)? {
            Some(v) => to_param_value(&v)?,
            None => ParamValue::Null,
        };
        entries.push((key, value));
    }
    Ok(params_from_entries(entries))
}

/// Reads params given as `(name, value)` pairs in the object's key order: splits off the preset.
pub fn params_from_entries(entries: impl IntoIterator<Item = (String, ParamValue)>) -> Params {
    let entries = entries.into_iter();
    let mut out = Params {
        entries: Vec::with_capacity(entries.size_hint().0),
        preset: None,
        errors: Vec::new(),
    };
    for (key, value) in entries {
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
    out
}

/// Parses the JSON text of an object (`JSON.stringify` of a params object or wire object whose
/// every value JSON expresses exactly: see `node/lib/core.js`) into its `(key, value)` pairs.
/// A JSON integer is an integer and any other number a float, as for a JS number.
pub fn entries_from_json_text(text: &str) -> Result<Vec<(String, ParamValue)>> {
    let Entries(entries) = serde_json::from_str(text)
        .map_err(|e| napi::Error::from_reason(format!("internal error: bad params JSON: {e}")))?;
    Ok(entries
        .into_iter()
        .map(|(k, v)| (k, json_param_value(v)))
        .collect())
}

/// A JSON object's members in order (no map: `JSON.stringify` never repeats a key).
struct Entries(Vec<(String, serde_json::Value)>);

impl<'de> serde::Deserialize<'de> for Entries {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Entries;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Entries, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(16));
                while let Some(entry) = map.next_entry()? {
                    out.push(entry);
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(Visit)
    }
}

/// A JSON value as a parameter value (strings moved, not copied).
fn json_param_value(v: serde_json::Value) -> ParamValue {
    match v {
        serde_json::Value::String(s) => ParamValue::Str(s),
        serde_json::Value::Array(a) => {
            ParamValue::List(a.into_iter().map(json_param_value).collect())
        }
        other => ParamValue::from(&other),
    }
}

/// The value as an object, when it is one (and not an array).
pub(crate) fn as_object<'a>(v: &Unknown<'a>) -> Result<Option<Object<'a>>> {
    Ok(if v.get_type()? == ValueType::Object && !v.is_array()? {
        // SAFETY: checked to be a (non-array) object.
        Some(unsafe { v.cast::<Object>()? })
    } else {
        None
    })
}

/// The `(wire name, value)` pairs of a wire `promptObject` given as a JS object (or of the
/// `promptObject` of a whole request body), numbers read as [`to_param_value`] reads them: an
/// integral number is an integer at any magnitude (a seed of 9999999998 included), NaN a float
/// the core reports as `not_finite`. `Err` when there is no object to read.
pub fn wire_entries_from_unknown(
    value: &Unknown<'_>,
) -> Result<std::result::Result<Vec<(String, ParamValue)>, Violation>> {
    use visionxl_core::wire::{is_request_body, not_an_object};
    let Some(obj) = as_object(value)? else {
        return Ok(Err(not_an_object(to_param_value(value)?.type_name())));
    };
    let keys = Object::keys(&obj)?;
    let target = if is_request_body(|k| keys.iter().any(|key| key == k)) {
        let inner = obj
            .get::<Unknown>("promptObject")?
            .ok_or_else(|| napi::Error::from_reason("promptObject vanished"))?;
        match as_object(&inner)? {
            Some(o) => o,
            None => return Ok(Err(not_an_object(to_param_value(&inner)?.type_name()))),
        }
    } else {
        obj
    };
    let mut entries = Vec::new();
    for key in Object::keys(&target)? {
        let value = match target.get::<Unknown>(&key)? {
            Some(v) => to_param_value(&v)?,
            None => ParamValue::Null,
        };
        entries.push((key, value));
    }
    Ok(Ok(entries))
}

/// The camelCase name of a wire name.
pub fn camel_of_wire(wire: &str) -> Option<&'static str> {
    spec::by_wire(wire).map(ParamSpec::camel)
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

/// The `(name, value)` entries of an options object (`where`: `Client`, for the message); a
/// value that is not a plain object is a `validation_error` on `options`, `undefined`/`null` no
/// entries.
pub fn options_entries(
    value: &Unknown<'_>,
    r#where: &str,
) -> Result<std::result::Result<Vec<(String, ParamValue)>, Error>> {
    match value.get_type()? {
        ValueType::Undefined | ValueType::Null => return Ok(Ok(Vec::new())),
        ValueType::Object if !value.is_array()? => {}
        _ => {
            let got = to_param_value(value)?;
            return Ok(Err(Error::validation(vec![Violation::new(
                "options",
                ViolationCode::WrongType,
                format!(
                    "{where} options must be an object, got {}",
                    if value.is_array()? {
                        "array"
                    } else {
                        got.type_name()
                    }
                ),
            )])));
        }
    }
    // SAFETY: checked to be an object above.
    let obj = unsafe { value.cast::<Object>()? };
    let mut out = Vec::new();
    for key in Object::keys(&obj)? {
        let v = match obj.get::<Unknown>(&key)? {
            Some(v) => to_param_value(&v)?,
            None => ParamValue::Null,
        };
        out.push((key, v));
    }
    Ok(Ok(out))
}
