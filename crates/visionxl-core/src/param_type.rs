//! [`ParamType`]: how each Rust type of a parameter converts to and from [`ParamValue`] and
//! goes on the wire. The code `request.rs` generates from the parameter table calls only this
//! trait, so no code matches on a particular field.

use serde::Serializer;

use crate::choices::{PhotoRealVersion, PromptMagicVersion, Transparency};
use crate::preset_style::PresetStyle;
use crate::size::Size;
use crate::value::ParamValue;

/// The value type of a parameter (`u32` for `n`, [`Size`] for `size`, ...).
pub(crate) trait ParamType: Sized {
    /// The value as a loosely typed [`ParamValue`] (what `GenerateRequest::get` returns).
    fn to_value(&self) -> ParamValue;
    /// The typed value, or `None` when `value` has another type. Only called on values that
    /// passed their row's kind and rule, so `None` is a wrong type in practice.
    fn from_value(value: &ParamValue) -> Option<Self>;
    /// Writes the value as the service expects it.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error>;
}

/// Serialises a [`ParamType`] value through [`ParamType::serialize`].
pub(crate) struct OnWire<'a, T>(pub &'a T);

impl<T: ParamType> serde::Serialize for OnWire<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl ParamType for String {
    fn to_value(&self) -> ParamValue {
        ParamValue::Str(self.clone())
    }
    fn from_value(value: &ParamValue) -> Option<Self> {
        match value {
            ParamValue::Str(s) => Some(s.clone()),
            _ => None,
        }
    }
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self)
    }
}

impl ParamType for u32 {
    fn to_value(&self) -> ParamValue {
        ParamValue::Int((*self).into())
    }
    fn from_value(value: &ParamValue) -> Option<Self> {
        match value {
            ParamValue::Int(i) => u32::try_from(*i).ok(),
            _ => None,
        }
    }
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(*self)
    }
}

impl ParamType for u64 {
    fn to_value(&self) -> ParamValue {
        ParamValue::Int((*self).into())
    }
    fn from_value(value: &ParamValue) -> Option<Self> {
        match value {
            ParamValue::Int(i) => u64::try_from(*i).ok(),
            _ => None,
        }
    }
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(*self)
    }
}

impl ParamType for f64 {
    fn to_value(&self) -> ParamValue {
        ParamValue::Float(*self)
    }
    /// An integer is a number too (`1` for a float parameter).
    fn from_value(value: &ParamValue) -> Option<Self> {
        match value {
            ParamValue::Float(f) => Some(*f),
            ParamValue::Int(i) => Some(*i as f64),
            _ => None,
        }
    }
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(*self)
    }
}

impl ParamType for bool {
    fn to_value(&self) -> ParamValue {
        ParamValue::Bool(*self)
    }
    fn from_value(value: &ParamValue) -> Option<Self> {
        match value {
            ParamValue::Bool(b) => Some(*b),
            _ => None,
        }
    }
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bool(*self)
    }
}

impl ParamType for Vec<String> {
    fn to_value(&self) -> ParamValue {
        ParamValue::List(self.iter().map(String::to_value).collect())
    }
    fn from_value(value: &ParamValue) -> Option<Self> {
        match value {
            ParamValue::List(items) => items.iter().map(String::from_value).collect(),
            _ => None,
        }
    }
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(self, s)
    }
}

/// Types sent as their `as_str()` spelling and parsed with `FromStr`.
macro_rules! str_param {
    ($($t:ty),+) => {$(
        impl ParamType for $t {
            fn to_value(&self) -> ParamValue {
                ParamValue::Str(self.as_str().to_string())
            }
            fn from_value(value: &ParamValue) -> Option<Self> {
                match value {
                    ParamValue::Str(s) => s.parse().ok(),
                    _ => None,
                }
            }
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    )+};
}

str_param!(
    Size,
    Transparency,
    PresetStyle,
    PhotoRealVersion,
    PromptMagicVersion
);
