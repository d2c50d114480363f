//! [`ParamValue`]: a parameter value as it arrives from JSON or a binding, before it is typed.

use serde_json::Value;

/// A loosely typed parameter value. Bindings convert their native values into this (keeping
/// non-finite floats, which JSON cannot carry), and the core checks and types it.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    /// JSON `null` / Python `None` / JS `undefined`: the same as absent.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer (wide enough for any JSON or Python integer that matters here).
    Int(i128),
    /// A float, possibly NaN or infinite.
    Float(f64),
    /// A string.
    Str(String),
    /// A list.
    List(Vec<ParamValue>),
    /// A value of another type (object, bytes, ...), named for the error message.
    Other(String),
}

impl ParamValue {
    /// The JSON-ish type name, for messages: "string", "integer", ...
    pub fn type_name(&self) -> &str {
        match self {
            ParamValue::Null => "null",
            ParamValue::Bool(_) => "boolean",
            ParamValue::Int(_) => "integer",
            ParamValue::Float(_) => "float",
            ParamValue::Str(_) => "string",
            ParamValue::List(_) => "list",
            ParamValue::Other(t) => t,
        }
    }

    /// The value as JSON (non-finite floats become `null`, as serde_json does).
    pub fn to_json(&self) -> Value {
        match self {
            ParamValue::Null | ParamValue::Other(_) => Value::Null,
            ParamValue::Bool(b) => Value::Bool(*b),
            ParamValue::Int(i) => {
                if let Ok(v) = i64::try_from(*i) {
                    Value::from(v)
                } else if let Ok(v) = u64::try_from(*i) {
                    Value::from(v)
                } else {
                    Value::from(*i as f64)
                }
            }
            ParamValue::Float(f) => Value::from(*f),
            ParamValue::Str(s) => Value::String(s.clone()),
            ParamValue::List(v) => Value::Array(v.iter().map(ParamValue::to_json).collect()),
        }
    }

    /// The value as JSON, consuming it (no copy of strings).
    pub fn into_json(self) -> Value {
        match self {
            ParamValue::Str(s) => Value::String(s),
            ParamValue::List(v) => Value::Array(v.into_iter().map(ParamValue::into_json).collect()),
            other => other.to_json(),
        }
    }

    /// A short rendering for messages (strings quoted).
    pub fn display(&self) -> String {
        match self {
            ParamValue::Str(s) => format!("{s:?}"),
            ParamValue::Float(f) => f.to_string(),
            ParamValue::Other(t) => format!("a value of type {t}"),
            other => other.to_json().to_string(),
        }
    }
}

impl From<&Value> for ParamValue {
    fn from(v: &Value) -> Self {
        match v {
            Value::Null => ParamValue::Null,
            Value::Bool(b) => ParamValue::Bool(*b),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    ParamValue::Int(i as i128)
                } else if let Some(u) = n.as_u64() {
                    ParamValue::Int(u as i128)
                } else {
                    ParamValue::Float(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(s) => ParamValue::Str(s.clone()),
            Value::Array(a) => ParamValue::List(a.iter().map(ParamValue::from).collect()),
            Value::Object(_) => ParamValue::Other("object".into()),
        }
    }
}

impl From<bool> for ParamValue {
    fn from(v: bool) -> Self {
        ParamValue::Bool(v)
    }
}
impl From<i64> for ParamValue {
    fn from(v: i64) -> Self {
        ParamValue::Int(v as i128)
    }
}
impl From<f64> for ParamValue {
    fn from(v: f64) -> Self {
        ParamValue::Float(v)
    }
}
impl From<&str> for ParamValue {
    fn from(v: &str) -> Self {
        ParamValue::Str(v.to_string())
    }
}
impl From<String> for ParamValue {
    fn from(v: String) -> Self {
        ParamValue::Str(v)
    }
}
