//! [`GenerateRequest`]: a typed Vision XL request and its wire JSON, generated from the
//! parameter table (`params.rs`). Building one from named values is in `parse.rs`, the builder
//! in `builder.rs`, validation in `validate.rs`.

use serde_json::Value;

pub use crate::choices::{PhotoRealVersion, PromptMagicVersion, Transparency};
pub use crate::preset_style::PresetStyle;

use crate::check;
use crate::error::{Error, Report, Violation};
use crate::param_type::{OnWire, ParamType};
use crate::params::with_params;
use crate::size::Size;
use crate::spec::{self, Field};
use crate::value::ParamValue;

/// Makes the struct, `new`, `get`, `set` and `Serialize` from the parameter table.
macro_rules! request_type {
    ($({
        $variant:ident $sdk:ident [$(#[$doc:meta])*] ($ty:ty) ($presence:ident $($init:expr)?)
        ($($send:expr)?) $arg:tt ($wire:literal $($spec:tt)*)
    })+) => {
        /// A Vision XL generation request: every parameter of the spec, typed.
        ///
        /// Unset optional fields are omitted from the wire JSON, so the service applies its own
        /// defaults. `size` and `n` are always sent (the documentation marks them required).
        ///
        /// ```
        /// use visionxl_core::{GenerateRequest, Size};
        /// let req = GenerateRequest::builder("a lighthouse at dusk")
        ///     .size(Size::S1024x768)
        ///     .n(2)
        ///     .seed(42)
        ///     .tiling(true)
        ///     .build()
        ///     .unwrap();
        /// let wire = req.to_wire();
        /// assert_eq!(wire["leonardo_tilling"], true);
        /// assert_eq!(wire["size"], "1024x768");
        /// ```
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub struct GenerateRequest {
            $( $(#[$doc])* pub $sdk: slot_type!($presence $ty), )+
        }

        impl GenerateRequest {
            /// A request for one 1024x1024 image of `prompt`, every other field unset.
            pub fn new(prompt: impl Into<String>) -> Self {
                GenerateRequest { $( $sdk: slot_new!(prompt; $presence $($init)?), )+ }
            }

            /// The value of one parameter, [`ParamValue::Null`] when unset.
            pub fn get(&self, field: Field) -> ParamValue {
                match field { $( Field::$variant => slot_get!(self.$sdk; $presence), )+ }
            }

            /// Sets one parameter from a loosely typed value ([`ParamValue::Null`] unsets it;
            /// `size` and `n` go back to their defaults, `prompt` cannot be unset).
            ///
            /// Checks the value's type and rule first, so a bad value is reported as the same
            /// [`Violation`] validation would give, and the request is left unchanged.
            pub fn set(&mut self, field: Field, value: ParamValue) -> Result<(), Violation> {
                self.set_ref(field, &value)
            }

            /// [`set`](Self::set) from a borrowed value (the typed field copies what it keeps).
            pub(crate) fn set_ref(&mut self, field: Field, value: &ParamValue) -> Result<(), Violation> {
                let spec = spec::by_field(field);
                if *value == ParamValue::Null {
                    match field {
                        $( Field::$variant => slot_reset!(self.$sdk, spec; $presence $($init)?), )+
                    }
                    return Ok(());
                }
                if let Some(v) = check::check_value(spec, value) {
                    return Err(v);
                }
                // The value passed its kind and rule, so the conversion succeeds.
                let bad = || check::wrong_type(spec, value);
                match field {
                    $( Field::$variant => {
                        let v = <$ty as ParamType>::from_value(value).ok_or_else(bad)?;
                        self.$sdk = slot_wrap!($presence v);
                    } )+
                }
                Ok(())
            }
        }

        impl serde::Serialize for GenerateRequest {
            /// Serialises the `promptObject` exactly as [`GenerateRequest::to_wire`] describes,
            /// straight from the typed fields (no intermediate JSON tree).
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut m = s.serialize_map(None)?;
                $( slot_serialize!(m, self, $sdk, $wire; $presence; $($send)?); )+
                m.end()
            }
        }
    };
}

/// The struct field's type: `T`, or `Option<T>` for an optional parameter.
macro_rules! slot_type {
    (optional $ty:ty) => { Option<$ty> };
    ($presence:ident $ty:ty) => { $ty };
}

/// The value in `new`.
macro_rules! slot_new {
    ($prompt:ident; required) => {
        $prompt.into()
    };
    ($prompt:ident; always $init:expr) => {
        $init
    };
    ($prompt:ident; optional) => {
        None
    };
}

/// The field as a [`ParamValue`].
macro_rules! slot_get {
    ($slot:expr; optional) => {
        $slot.as_ref().map_or(ParamValue::Null, ParamType::to_value)
    };
    ($slot:expr; $presence:ident) => {
        ParamType::to_value(&$slot)
    };
}

/// What `set(field, Null)` does.
macro_rules! slot_reset {
    ($slot:expr, $spec:ident; required) => {
        return Err(check::required($spec))
    };
    ($slot:expr, $spec:ident; always $init:expr) => {
        $slot = $init
    };
    ($slot:expr, $spec:ident; optional) => {
        $slot = None
    };
}

/// A typed value as the field holds it.
macro_rules! slot_wrap {
    (optional $v:ident) => {
        Some($v)
    };
    ($presence:ident $v:ident) => {
        $v
    };
}

/// Writes one map entry: always for `required`/`always`, when set (or when `send` gives a value)
/// for `optional`.
macro_rules! slot_serialize {
    ($m:ident, $req:ident, $sdk:ident, $wire:literal; optional; $send:expr) => {
        #[allow(clippy::redundant_closure_call)]
        if let Some(v) = &($send)($req) {
            $m.serialize_entry($wire, &OnWire(v))?;
        }
    };
    ($m:ident, $req:ident, $sdk:ident, $wire:literal; optional;) => {
        if let Some(v) = &$req.$sdk {
            $m.serialize_entry($wire, &OnWire(v))?;
        }
    };
    ($m:ident, $req:ident, $sdk:ident, $wire:literal; $presence:ident;) => {
        $m.serialize_entry($wire, &OnWire(&$req.$sdk))?
    };
}

with_params!(request_type);

impl GenerateRequest {
    /// The price in credits (from the documented table), or a `validation_error` for a bad `n`.
    pub fn credits(&self) -> Result<u32, Error> {
        crate::pricing::estimate_credits(self.size, self.n)
    }

    /// The `promptObject` as sent: wire names, set fields only, preset style upper-case, and
    /// `leonardo_photo_real_version` = `v2` whenever PhotoReal is on.
    pub fn to_wire(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// A request as far as it could be built, with every error and warning found.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The request (fields with errors are left unset).
    pub request: GenerateRequest,
    /// Every error and warning.
    pub report: Report,
}

impl Checked {
    /// The request and its warnings, or a `validation_error` with every error.
    pub fn into_request(self) -> Result<(GenerateRequest, Vec<Violation>), Error> {
        let warnings = self.report.into_result()?;
        Ok((self.request, warnings))
    }
}
