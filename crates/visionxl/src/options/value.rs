//! [`OptionValue`]: an option's value as a binding has it, before the table types it.

use std::fmt;
use std::time::Duration;

use secrecy::SecretString;
use visionxl_core::ParamValue;

/// A loosely typed option value, as a binding has it. `Null` leaves the option at its default.
/// Durations are seconds (an `Int` or a `Float`); under [`Naming::Camel`] they are milliseconds
/// (Node's `timeoutMs`), see [`OptionValue::from_millis`].
#[derive(Clone)]
pub enum OptionValue {
    /// Absent: the default.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i128),
    /// A float (possibly NaN or infinite: refused with `not_finite`).
    Float(f64),
    /// A string.
    Str(String),
    /// A string that must not be copied around (the API key).
    Secret(SecretString),
    /// A value of another type, named for the message (`list`, `object`, ...).
    Other(String),
}

impl fmt::Debug for OptionValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionValue::Null => f.write_str("Null"),
            OptionValue::Bool(b) => write!(f, "Bool({b})"),
            OptionValue::Int(i) => write!(f, "Int({i})"),
            OptionValue::Float(x) => write!(f, "Float({x})"),
            OptionValue::Str(_) | OptionValue::Secret(_) => f.write_str("Str(..)"),
            OptionValue::Other(t) => write!(f, "Other({t})"),
        }
    }
}

impl OptionValue {
    /// A duration given in milliseconds, as the seconds value the table takes.
    pub fn from_millis(ms: f64) -> OptionValue {
        OptionValue::Float(ms / 1000.0)
    }

    pub(super) fn type_name(&self) -> &str {
        match self {
            OptionValue::Null => "null",
            OptionValue::Bool(_) => "boolean",
            OptionValue::Int(_) => "integer",
            OptionValue::Float(_) => "float",
            OptionValue::Str(_) | OptionValue::Secret(_) => "string",
            OptionValue::Other(t) => t,
        }
    }

    /// "integer 5", "string", "list": the value for a message (strings are not shown: one may
    /// be the key).
    pub(super) fn shown(&self) -> String {
        match self {
            OptionValue::Bool(b) => format!("boolean {b}"),
            OptionValue::Int(i) => format!("integer {i}"),
            OptionValue::Float(x) => format!("float {x}"),
            other => other.type_name().to_string(),
        }
    }
}

impl From<ParamValue> for OptionValue {
    fn from(v: ParamValue) -> Self {
        match v {
            ParamValue::Null => OptionValue::Null,
            ParamValue::Bool(b) => OptionValue::Bool(b),
            ParamValue::Int(i) => OptionValue::Int(i),
            ParamValue::Float(f) => OptionValue::Float(f),
            ParamValue::Str(s) => OptionValue::Str(s),
            ParamValue::List(_) => OptionValue::Other("list".into()),
            ParamValue::Other(t) => OptionValue::Other(t),
        }
    }
}

impl From<bool> for OptionValue {
    fn from(b: bool) -> Self {
        OptionValue::Bool(b)
    }
}
impl From<u32> for OptionValue {
    fn from(n: u32) -> Self {
        OptionValue::Int(n.into())
    }
}
impl From<u64> for OptionValue {
    fn from(n: u64) -> Self {
        OptionValue::Int(n.into())
    }
}
impl From<i64> for OptionValue {
    fn from(n: i64) -> Self {
        OptionValue::Int(n.into())
    }
}
impl From<f64> for OptionValue {
    fn from(x: f64) -> Self {
        OptionValue::Float(x)
    }
}
impl From<Duration> for OptionValue {
    fn from(d: Duration) -> Self {
        OptionValue::Float(d.as_secs_f64())
    }
}
impl From<&str> for OptionValue {
    fn from(s: &str) -> Self {
        OptionValue::Str(s.to_string())
    }
}
impl From<String> for OptionValue {
    fn from(s: String) -> Self {
        OptionValue::Str(s)
    }
}
