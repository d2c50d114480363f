//! [`GenerateRequestBuilder`]: builds a [`GenerateRequest`] and validates it. The setters are
//! generated from the parameter table (`params.rs`).

use crate::error::{Error, Violation};
use crate::params::with_params;
use crate::presets::Preset;
use crate::request::{
    GenerateRequest, PhotoRealVersion, PresetStyle, PromptMagicVersion, Transparency,
};
use crate::size::Size;

/// Builds a [`GenerateRequest`] and validates it.
#[derive(Debug, Clone)]
pub struct GenerateRequestBuilder {
    req: GenerateRequest,
    preset: Option<Preset>,
}

impl GenerateRequest {
    /// A builder that validates on [`build`](GenerateRequestBuilder::build).
    pub fn builder(prompt: impl Into<String>) -> GenerateRequestBuilder {
        GenerateRequestBuilder {
            req: GenerateRequest::new(prompt),
            preset: None,
        }
    }
}

/// One setter per parameter except `prompt` (given to [`GenerateRequest::builder`]).
macro_rules! builder_setters {
    ($({
        $variant:ident $sdk:ident [$(#[$doc:meta])*] ($ty:ty) ($presence:ident $($init:expr)?)
        $send:tt ($($arg:ty)?) $spec:tt
    })+) => {
        impl GenerateRequestBuilder {
            $( setter!($presence; [$(#[$doc])*] $sdk: $ty $(, $arg)?); )+
        }
    };
}

/// One setter: none for `required`, `Some(value)` for `optional`. The argument is `$arg` when
/// the row names one (`impl Into<String>`), else the field's type.
macro_rules! setter {
    (required; $($rest:tt)*) => {};
    ($presence:ident; [$(#[$doc:meta])*] $sdk:ident: $ty:ty) => {
        setter!($presence; [$(#[$doc])*] $sdk: $ty, $ty);
    };
    ($presence:ident; [$(#[$doc:meta])*] $sdk:ident: $ty:ty, $arg:ty) => {
        #[doc = concat!("Sets [`", stringify!($sdk), "`](GenerateRequest::", stringify!($sdk), "):")]
        $(#[$doc])*
        #[allow(clippy::useless_conversion)]
        pub fn $sdk(mut self, value: $arg) -> Self {
            let value: $ty = value.into();
            self.req.$sdk = setter!(@wrap $presence value);
            self
        }
    };
    (@wrap optional $v:ident) => { Some($v) };
    (@wrap always $v:ident) => { $v };
}

with_params!(builder_setters);

impl GenerateRequestBuilder {
    /// A named bundle of settings; values set explicitly win over it, in any order.
    pub fn preset(mut self, preset: Preset) -> Self {
        self.preset = Some(preset);
        self
    }

    /// Validates and returns the request, or a `validation_error` listing every problem.
    pub fn build(self) -> Result<GenerateRequest, Error> {
        self.build_with_warnings().map(|(r, _)| r)
    }

    /// Like [`build`](Self::build), also returning the warnings.
    pub fn build_with_warnings(mut self) -> Result<(GenerateRequest, Vec<Violation>), Error> {
        if let Some(p) = self.preset {
            self.req.apply_preset(p);
        }
        let warnings = self.req.validate().into_result()?;
        Ok((self.req, warnings))
    }
}
