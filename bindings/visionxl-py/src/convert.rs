//! Conversions between Python objects and the core's values: Python values become
//! [`ParamValue`]s (keeping `float("nan")`, so the core reports `not_finite`), and JSON becomes
//! Python objects.

pub use crate::violation::repr_str;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::Value;
use visionxl_core::{ParamValue, Violation, ViolationCode};

/// A Python value as the core sees it. Never fails: a value of an unexpected type becomes
/// [`ParamValue::Other`] named after its Python type, so the core reports `wrong_type` with the
/// field named instead of a bare `TypeError`.
pub fn to_param(obj: &Bound<'_, PyAny>) -> ParamValue {
    if obj.is_none() {
        return ParamValue::Null;
    }
    // bool before int: True is an int in Python, but a boolean to the service.
    if let Ok(b) = obj.cast::<PyBool>() {
        return ParamValue::Bool(b.is_true());
    }
    if obj.is_instance_of::<PyInt>() {
        return int_value(obj);
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return ParamValue::Float(f.value());
    }
    if obj.is_instance_of::<PyString>() {
        return match obj.extract::<String>() {
            Ok(s) => ParamValue::Str(s),
            Err(_) => ParamValue::Other("str (not valid UTF-8)".into()),
        };
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        return match obj.try_iter() {
            Ok(items) => ParamValue::List(
                items
                    .map(|item| item.map_or(ParamValue::Other("?".into()), |i| to_param(&i)))
                    .collect(),
            ),
            Err(_) => ParamValue::Other(type_name(obj)),
        };
    }
    // numpy integers and friends: anything `operator.index` accepts is an integer.
    if obj.hasattr("__index__").unwrap_or(false)
        && let Ok(i) = obj.call_method0("__index__")
        && i.is_instance_of::<PyInt>()
    {
        return int_value(&i);
    }
    ParamValue::Other(type_name(obj))
}

/// An `int` as [`ParamValue::Int`]; one beyond 128 bits saturates (the core then reports
/// `out_of_range`, which is what it is).
fn int_value(obj: &Bound<'_, PyAny>) -> ParamValue {
    match obj.extract::<i128>() {
        Ok(v) => ParamValue::Int(v),
        Err(_) => {
            let negative = obj.lt(0).unwrap_or(false);
            ParamValue::Int(if negative { i128::MIN } else { i128::MAX })
        }
    }
}

/// The Python type's name, for messages ("dict", "bytes", ...).
pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".to_string())
}

/// A JSON value as a Python object (objects keep their key order).
pub fn json_to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(a) => {
            let list = PyList::empty(py);
            for item in a {
                list.append(json_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(m) => {
            let dict = PyDict::new(py);
            for (k, item) in m {
                dict.set_item(k, json_to_py(py, item)?)?;
            }
            dict.into_any()
        }
    })
}

/// A core value as a Python object (lists of strings stay lists, NaN stays NaN).
pub fn param_to_py<'py>(py: Python<'py>, v: &ParamValue) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        ParamValue::Null | ParamValue::Other(_) => py.None().into_bound(py),
        ParamValue::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        ParamValue::Int(i) => i.into_pyobject(py)?.into_any(),
        ParamValue::Float(f) => f.into_pyobject(py)?.into_any(),
        ParamValue::Str(s) => PyString::new(py, s).into_any(),
        ParamValue::List(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(param_to_py(py, item)?)?;
            }
            list.into_any()
        }
    })
}

/// A keyword argument taken as whatever Python passed and converted by the function itself, so
/// a value of the wrong type or sign is a `ValidationError` naming the keyword (with the rule),
/// never pyo3's `TypeError` or `OverflowError`. Only types are converted here; what a value
/// means (0 requests per minute = no pacing, ...) is the Rust client's business.
pub struct Arg(pub ParamValue);

impl<'a, 'py> FromPyObject<'a, 'py> for Arg {
    type Error = PyErr;
    fn extract(obj: pyo3::Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        Ok(Arg(to_param(&obj)))
    }
}

fn arg_error(field: &str, code: ViolationCode, message: String) -> PyErr {
    crate::errors::validation_err(vec![Violation::new(field, code, message)])
}

fn wrong_type(field: &str, expected: &str, got: &ParamValue) -> PyErr {
    let shown = match got {
        ParamValue::Other(_) => got.display(),
        other => format!("{} {}", other.type_name(), other.display()),
    };
    arg_error(
        field,
        ViolationCode::WrongType,
        format!("{field} must be {expected}, got {shown}"),
    )
}

impl Arg {
    /// A default: this integer.
    pub const fn int(v: i128) -> Arg {
        Arg(ParamValue::Int(v))
    }

    /// A default: None.
    pub const fn none() -> Arg {
        Arg(ParamValue::Null)
    }

    /// A default: this string.
    pub fn str(s: &str) -> Arg {
        Arg(ParamValue::Str(s.to_string()))
    }

    /// A string.
    pub fn string(&self, field: &str) -> PyResult<String> {
        match &self.0 {
            ParamValue::Str(s) => Ok(s.clone()),
            other => Err(wrong_type(field, "a string", other)),
        }
    }

    /// A non-negative integer that fits `T` (a bool is not an integer here).
    pub fn count<T: TryFrom<i128> + Into<u64>>(&self, field: &str, max: T) -> PyResult<T> {
        match &self.0 {
            ParamValue::Int(i) if *i < 0 => Err(arg_error(
                field,
                ViolationCode::OutOfRange,
                format!("{field} must be a non-negative integer, got {i}"),
            )),
            ParamValue::Int(i) => T::try_from(*i).map_err(|_| {
                arg_error(
                    field,
                    ViolationCode::OutOfRange,
                    format!("{field} must be at most {}, got {i}", max.into()),
                )
            }),
            other => Err(wrong_type(field, "a non-negative integer", other)),
        }
    }
}
