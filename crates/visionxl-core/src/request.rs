//! [`GenerateRequest`]: a typed Vision XL request, its builder, and its wire JSON.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use crate::error::{Error, Report, Violation};
use crate::presets::Preset;
use crate::size::Size;
use crate::spec::{self, Field, Naming, PARAMS};
use crate::style;
use crate::validate;
use crate::value::ParamValue;

macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $s:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            /// The wire spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($s => Ok($name::$variant),)+
                    other => Err(format!("unknown value {other:?}")),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

string_enum!(
    /// `leonardo_transparency`.
    Transparency {
        /// No transparency.
        Disabled => "disabled",
        /// A transparent background behind the foreground (PNG with alpha).
        ForegroundOnly => "foreground_only",
    }
);

string_enum!(
    /// `leonardo_photo_real_version`.
    PhotoRealVersion {
        /// PhotoReal v2 (the only version the service takes).
        V2 => "v2",
    }
);

string_enum!(
    /// `leonardo_prompt_magic_version`.
    PromptMagicVersion {
        /// Prompt Magic v2.
        V2 => "v2",
        /// Prompt Magic v3 (the documented default).
        V3 => "v3",
    }
);

/// One of Leonardo's preset styles, accepted case-insensitively and sent upper-case.
///
/// ```
/// let s: visionxl_core::PresetStyle = "cinematic".parse().unwrap();
/// assert_eq!(s.as_str(), "CINEMATIC");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PresetStyle(&'static str);

impl PresetStyle {
    /// The upper-case wire spelling.
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl FromStr for PresetStyle {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        style::canonical(s)
            .map(PresetStyle)
            .ok_or_else(|| format!("unknown preset style {s:?}"))
    }
}

impl fmt::Display for PresetStyle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

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
    /// Text description of the image.
    pub prompt: String,
    /// What not to draw.
    pub negative_prompt: Option<String>,
    /// Image size (default 1024x1024).
    pub size: Size,
    /// Number of images, 1..=4 (default 1).
    pub n: u32,
    /// 1..=20.
    pub guidance_scale: Option<u32>,
    /// 10..=60.
    pub num_inference_steps: Option<u32>,
    /// 0..=9_999_999_998.
    pub seed: Option<u64>,
    /// Tile on all axes (`leonardo_tilling`).
    pub tiling: Option<bool>,
    /// Transparency mode.
    pub transparency: Option<Transparency>,
    /// Leonardo style preset.
    pub preset_style: Option<PresetStyle>,
    /// Uploaded asset references used as image prompts (at most 4).
    pub image_prompts: Option<Vec<String>>,
    /// Uploaded asset reference of the init image.
    pub init_image_id: Option<String>,
    /// 0.1..=0.9.
    pub init_strength: Option<f64>,
    /// Fantasy Avatar (needs `init_image_id`).
    pub fantasy_avatar: Option<bool>,
    /// Alchemy (service default: on).
    pub alchemy: Option<bool>,
    /// 0..=1.
    pub contrast_ratio: Option<f64>,
    /// Expanded domain.
    pub expanded_domain: Option<bool>,
    /// PhotoReal (needs Alchemy).
    pub photo_real: Option<bool>,
    /// PhotoReal version (sent as v2 whenever PhotoReal is on).
    pub photo_real_version: Option<PhotoRealVersion>,
    /// 0.45, 0.5 or 0.55.
    pub photo_real_strength: Option<f64>,
    /// Prompt Magic.
    pub prompt_magic: Option<bool>,
    /// Prompt Magic version.
    pub prompt_magic_version: Option<PromptMagicVersion>,
    /// 0.1..=1.0.
    pub prompt_magic_strength: Option<f64>,
    /// High contrast / RAW mode (`leonardo_hight_constrast`).
    pub high_contrast: Option<bool>,
    /// High resolution (`leonardo_hight_resolution`).
    pub high_resolution: Option<bool>,
    /// Let the service enhance the prompt.
    pub enhance_prompt: Option<bool>,
    /// Instruction for prompt enhancement.
    pub enhance_prompt_instruction: Option<String>,
}

impl GenerateRequest {
    /// A request for one 1024x1024 image of `prompt`, every other field unset.
    pub fn new(prompt: impl Into<String>) -> Self {
        GenerateRequest {
            prompt: prompt.into(),
            negative_prompt: None,
            size: Size::default(),
            n: 1,
            guidance_scale: None,
            num_inference_steps: None,
            seed: None,
            tiling: None,
            transparency: None,
            preset_style: None,
            image_prompts: None,
            init_image_id: None,
            init_strength: None,
            fantasy_avatar: None,
            alchemy: None,
            contrast_ratio: None,
            expanded_domain: None,
            photo_real: None,
            photo_real_version: None,
            photo_real_strength: None,
            prompt_magic: None,
            prompt_magic_version: None,
            prompt_magic_strength: None,
            high_contrast: None,
            high_resolution: None,
            enhance_prompt: None,
            enhance_prompt_instruction: None,
        }
    }

    /// A builder that validates on [`build`](GenerateRequestBuilder::build).
    pub fn builder(prompt: impl Into<String>) -> GenerateRequestBuilder {
        GenerateRequestBuilder {
            req: GenerateRequest::new(prompt),
            preset: None,
        }
    }

    /// Every error and warning of this request.
    pub fn validate(&self) -> Report {
        validate::validate(self)
    }

    /// The price in credits (from the documented table), or a `validation_error` for a bad `n`.
    pub fn credits(&self) -> Result<u32, Error> {
        crate::pricing::estimate_credits(self.size, self.n)
    }

    /// Fills the fields the preset sets and this request leaves unset (explicit values win).
    pub fn apply_preset(&mut self, preset: Preset) {
        preset.apply(self);
    }

    /// The value of one parameter, [`ParamValue::Null`] when unset.
    pub fn get(&self, field: Field) -> ParamValue {
        fn o<T: Into<ParamValue>>(v: Option<T>) -> ParamValue {
            v.map_or(ParamValue::Null, Into::into)
        }
        fn s(v: &Option<String>) -> ParamValue {
            v.as_ref()
                .map_or(ParamValue::Null, |s| ParamValue::Str(s.clone()))
        }
        fn i<T: Into<i128>>(v: Option<T>) -> ParamValue {
            v.map_or(ParamValue::Null, |x| ParamValue::Int(x.into()))
        }
        match field {
            Field::Prompt => ParamValue::Str(self.prompt.clone()),
            Field::NegativePrompt => s(&self.negative_prompt),
            Field::Size => ParamValue::Str(self.size.as_str().into()),
            Field::N => ParamValue::Int(self.n.into()),
            Field::GuidanceScale => i(self.guidance_scale),
            Field::NumInferenceSteps => i(self.num_inference_steps),
            Field::Seed => i(self.seed),
            Field::Tiling => o(self.tiling),
            Field::Transparency => o(self.transparency.map(|v| v.as_str())),
            Field::PresetStyle => o(self.preset_style.map(|v| v.as_str())),
            Field::ImagePrompts => self.image_prompts.as_ref().map_or(ParamValue::Null, |v| {
                ParamValue::List(v.iter().map(|s| ParamValue::Str(s.clone())).collect())
            }),
            Field::InitImageId => s(&self.init_image_id),
            Field::InitStrength => o(self.init_strength),
            Field::FantasyAvatar => o(self.fantasy_avatar),
            Field::Alchemy => o(self.alchemy),
            Field::ContrastRatio => o(self.contrast_ratio),
            Field::ExpandedDomain => o(self.expanded_domain),
            Field::PhotoReal => o(self.photo_real),
            Field::PhotoRealVersion => o(self.photo_real_version.map(|v| v.as_str())),
            Field::PhotoRealStrength => o(self.photo_real_strength),
            Field::PromptMagic => o(self.prompt_magic),
            Field::PromptMagicVersion => o(self.prompt_magic_version.map(|v| v.as_str())),
            Field::PromptMagicStrength => o(self.prompt_magic_strength),
            Field::HighContrast => o(self.high_contrast),
            Field::HighResolution => o(self.high_resolution),
            Field::EnhancePrompt => o(self.enhance_prompt),
            Field::EnhancePromptInstruction => s(&self.enhance_prompt_instruction),
        }
    }

    /// Sets one parameter from a loosely typed value ([`ParamValue::Null`] unsets it).
    ///
    /// Checks the value's type and rule first, so a bad value is reported as the same
    /// [`Violation`] validation would give, and the request is left unchanged.
    pub fn set(&mut self, field: Field, value: ParamValue) -> Result<(), Violation> {
        let spec = spec::by_field(field);
        if value == ParamValue::Null {
            return match field {
                Field::Prompt => Err(validate::required(spec)),
                Field::Size => {
                    self.size = Size::default();
                    Ok(())
                }
                Field::N => {
                    self.n = 1;
                    Ok(())
                }
                _ => {
                    self.clear(field);
                    Ok(())
                }
            };
        }
        if let Some(v) = validate::check_value(spec, &value) {
            return Err(v);
        }
        // The value passed its kind and rule, so every conversion below succeeds.
        let bad = || validate::wrong_type(spec, &value);
        let string = || match &value {
            ParamValue::Str(s) => Ok(s.clone()),
            _ => Err(bad()),
        };
        let boolean = || match value {
            ParamValue::Bool(b) => Ok(b),
            _ => Err(bad()),
        };
        let float = || match value {
            ParamValue::Float(f) => Ok(f),
            ParamValue::Int(i) => Ok(i as f64),
            _ => Err(bad()),
        };
        let int = || match value {
            ParamValue::Int(i) => u64::try_from(i).map_err(|_| bad()),
            _ => Err(bad()),
        };
        let small = || int().and_then(|i| u32::try_from(i).map_err(|_| bad()));
        match field {
            Field::Prompt => self.prompt = string()?,
            Field::NegativePrompt => self.negative_prompt = Some(string()?),
            Field::Size => self.size = string()?.parse().map_err(|_| bad())?,
            Field::N => self.n = small()?,
            Field::GuidanceScale => self.guidance_scale = Some(small()?),
            Field::NumInferenceSteps => self.num_inference_steps = Some(small()?),
            Field::Seed => self.seed = Some(int()?),
            Field::Tiling => self.tiling = Some(boolean()?),
            Field::Transparency => self.transparency = Some(string()?.parse().map_err(|_| bad())?),
            Field::PresetStyle => self.preset_style = Some(string()?.parse().map_err(|_| bad())?),
            Field::ImagePrompts => {
                let ParamValue::List(items) = &value else {
                    return Err(bad());
                };
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        ParamValue::Str(s) => out.push(s.clone()),
                        _ => return Err(bad()),
                    }
                }
                self.image_prompts = Some(out);
            }
            Field::InitImageId => self.init_image_id = Some(string()?),
            Field::InitStrength => self.init_strength = Some(float()?),
            Field::FantasyAvatar => self.fantasy_avatar = Some(boolean()?),
            Field::Alchemy => self.alchemy = Some(boolean()?),
            Field::ContrastRatio => self.contrast_ratio = Some(float()?),
            Field::ExpandedDomain => self.expanded_domain = Some(boolean()?),
            Field::PhotoReal => self.photo_real = Some(boolean()?),
            Field::PhotoRealVersion => {
                self.photo_real_version = Some(string()?.parse().map_err(|_| bad())?)
            }
            Field::PhotoRealStrength => self.photo_real_strength = Some(float()?),
            Field::PromptMagic => self.prompt_magic = Some(boolean()?),
            Field::PromptMagicVersion => {
                self.prompt_magic_version = Some(string()?.parse().map_err(|_| bad())?)
            }
            Field::PromptMagicStrength => self.prompt_magic_strength = Some(float()?),
            Field::HighContrast => self.high_contrast = Some(boolean()?),
            Field::HighResolution => self.high_resolution = Some(boolean()?),
            Field::EnhancePrompt => self.enhance_prompt = Some(boolean()?),
            Field::EnhancePromptInstruction => self.enhance_prompt_instruction = Some(string()?),
        }
        Ok(())
    }

    fn clear(&mut self, field: Field) {
        match field {
            Field::Prompt => self.prompt.clear(),
            Field::NegativePrompt => self.negative_prompt = None,
            Field::Size => self.size = Size::default(),
            Field::N => self.n = 1,
            Field::GuidanceScale => self.guidance_scale = None,
            Field::NumInferenceSteps => self.num_inference_steps = None,
            Field::Seed => self.seed = None,
            Field::Tiling => self.tiling = None,
            Field::Transparency => self.transparency = None,
            Field::PresetStyle => self.preset_style = None,
            Field::ImagePrompts => self.image_prompts = None,
            Field::InitImageId => self.init_image_id = None,
            Field::InitStrength => self.init_strength = None,
            Field::FantasyAvatar => self.fantasy_avatar = None,
            Field::Alchemy => self.alchemy = None,
            Field::ContrastRatio => self.contrast_ratio = None,
            Field::ExpandedDomain => self.expanded_domain = None,
            Field::PhotoReal => self.photo_real = None,
            Field::PhotoRealVersion => self.photo_real_version = None,
            Field::PhotoRealStrength => self.photo_real_strength = None,
            Field::PromptMagic => self.prompt_magic = None,
            Field::PromptMagicVersion => self.prompt_magic_version = None,
            Field::PromptMagicStrength => self.prompt_magic_strength = None,
            Field::HighContrast => self.high_contrast = None,
            Field::HighResolution => self.high_resolution = None,
            Field::EnhancePrompt => self.enhance_prompt = None,
            Field::EnhancePromptInstruction => self.enhance_prompt_instruction = None,
        }
    }

    /// The `promptObject` as sent: wire names, set fields only, preset style upper-case, and
    /// `leonardo_photo_real_version` = `v2` whenever PhotoReal is on.
    pub fn to_wire(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Builds a request from named values (wire, snake_case or camelCase names), checking every
    /// value. `Ok` carries the request and its warnings; `Err` is a `validation_error` listing
    /// every problem: unknown fields, wrong types, broken rules.
    ///
    /// ```
    /// use visionxl_core::{GenerateRequest, Naming, ParamValue};
    /// let (req, _warnings) = GenerateRequest::from_params(
    ///     [("prompt", ParamValue::from("a fox")), ("guidance_scale", ParamValue::Int(9))],
    ///     Naming::Sdk,
    ///     None,
    /// ).unwrap();
    /// assert_eq!(req.guidance_scale, Some(9));
    /// ```
    pub fn from_params<I, K>(
        params: I,
        naming: Naming,
        preset: Option<Preset>,
    ) -> Result<(GenerateRequest, Vec<Violation>), Error>
    where
        I: IntoIterator<Item = (K, ParamValue)>,
        K: AsRef<str>,
    {
        Self::check_params(params, naming, preset).into_request()
    }

    /// Like [`from_params`](Self::from_params), but returns the partial request together with
    /// the full [`Report`] instead of failing (what `validate` front doors show).
    pub fn check_params<I, K>(params: I, naming: Naming, preset: Option<Preset>) -> Checked
    where
        I: IntoIterator<Item = (K, ParamValue)>,
        K: AsRef<str>,
    {
        let mut req = GenerateRequest::new(String::new());
        let mut errors = Vec::new();
        let mut saw_prompt = false;
        for (name, value) in params {
            let name = name.as_ref();
            let Some(spec) = spec::lookup(name, naming) else {
                errors.push(validate::unknown_field(name, naming));
                continue;
            };
            if spec.field == Field::Prompt && value != ParamValue::Null {
                saw_prompt = true;
            }
            if let Err(v) = req.set(spec.field, value) {
                errors.push(v);
            }
        }
        if !saw_prompt && !errors.iter().any(|e| e.field == "prompt") {
            errors.push(validate::required(spec::by_field(Field::Prompt)));
        }
        if let Some(p) = preset {
            req.apply_preset(p);
        }
        let mut report = req.validate();
        // A field already reported while parsing is not reported again.
        report
            .errors
            .retain(|v| !errors.iter().any(|e| e.field == v.field));
        report
            .warnings
            .retain(|v| !errors.iter().any(|e| e.field == v.field));
        errors.append(&mut report.errors);
        Checked {
            request: req,
            report: Report {
                errors,
                warnings: report.warnings,
            },
        }
    }

    /// Parses a `promptObject` in wire names (or a whole request body holding one), as
    /// `visionxl validate FILE` and C's `vxl_request_from_json` do.
    pub fn from_wire_json(json: &Value) -> Result<(GenerateRequest, Vec<Violation>), Error> {
        Self::check_wire_json(json).into_request()
    }

    /// Like [`from_wire_json`](Self::from_wire_json), returning the full report.
    pub fn check_wire_json(json: &Value) -> Checked {
        match crate::wire::prompt_object_params(json) {
            Ok(params) => GenerateRequest::check_params(params, Naming::Wire, None),
            Err(v) => Checked {
                request: GenerateRequest::new(String::new()),
                report: Report {
                    errors: vec![v],
                    warnings: Vec::new(),
                },
            },
        }
    }
}

impl serde::Serialize for GenerateRequest {
    /// Serialises the `promptObject` exactly as [`GenerateRequest::to_wire`] describes, straight
    /// from the typed fields (no intermediate JSON tree).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        macro_rules! opt {
            ($p:expr, $v:expr) => {
                if let Some(v) = &$v {
                    m.serialize_entry($p.wire, v)?;
                }
            };
        }
        for p in &PARAMS {
            match p.field {
                Field::Prompt => m.serialize_entry(p.wire, &self.prompt)?,
                Field::NegativePrompt => opt!(p, self.negative_prompt),
                Field::Size => m.serialize_entry(p.wire, self.size.as_str())?,
                Field::N => m.serialize_entry(p.wire, &self.n)?,
                Field::GuidanceScale => opt!(p, self.guidance_scale),
                Field::NumInferenceSteps => opt!(p, self.num_inference_steps),
                Field::Seed => opt!(p, self.seed),
                Field::Tiling => opt!(p, self.tiling),
                Field::Transparency => opt!(p, self.transparency.map(|v| v.as_str())),
                Field::PresetStyle => opt!(p, self.preset_style.map(|v| v.as_str())),
                Field::ImagePrompts => opt!(p, self.image_prompts),
                Field::InitImageId => opt!(p, self.init_image_id),
                Field::InitStrength => opt!(p, self.init_strength),
                Field::FantasyAvatar => opt!(p, self.fantasy_avatar),
                Field::Alchemy => opt!(p, self.alchemy),
                Field::ContrastRatio => opt!(p, self.contrast_ratio),
                Field::ExpandedDomain => opt!(p, self.expanded_domain),
                Field::PhotoReal => opt!(p, self.photo_real),
                Field::PhotoRealVersion => {
                    let v = match (self.photo_real, self.photo_real_version) {
                        (Some(true), v) => Some(v.unwrap_or(PhotoRealVersion::V2)),
                        (_, v) => v,
                    };
                    opt!(p, v.map(|v| v.as_str()))
                }
                Field::PhotoRealStrength => opt!(p, self.photo_real_strength),
                Field::PromptMagic => opt!(p, self.prompt_magic),
                Field::PromptMagicVersion => opt!(p, self.prompt_magic_version.map(|v| v.as_str())),
                Field::PromptMagicStrength => opt!(p, self.prompt_magic_strength),
                Field::HighContrast => opt!(p, self.high_contrast),
                Field::HighResolution => opt!(p, self.high_resolution),
                Field::EnhancePrompt => opt!(p, self.enhance_prompt),
                Field::EnhancePromptInstruction => opt!(p, self.enhance_prompt_instruction),
            }
        }
        m.end()
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

/// Builds a [`GenerateRequest`] and validates it.
#[derive(Debug, Clone)]
pub struct GenerateRequestBuilder {
    req: GenerateRequest,
    preset: Option<Preset>,
}

macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty => $conv:expr;)+) => {
        impl GenerateRequestBuilder {
            $(
                $(#[$doc])*
                pub fn $name(mut self, value: $ty) -> Self {
                    #[allow(clippy::redundant_closure_call)]
                    { self.req.$name = ($conv)(value); }
                    self
                }
            )+
        }
    };
}

setters! {
    /// What not to draw.
    negative_prompt: impl Into<String> => |v| Some(Into::<String>::into(v));
    /// Image size.
    size: Size => |v| v;
    /// Number of images, 1..=4.
    n: u32 => |v| v;
    /// Guidance scale, 1..=20.
    guidance_scale: u32 => Some;
    /// Inference steps, 10..=60.
    num_inference_steps: u32 => Some;
    /// Seed, 0..=9_999_999_998.
    seed: u64 => Some;
    /// Tiling.
    tiling: bool => Some;
    /// Transparency mode.
    transparency: Transparency => Some;
    /// Preset style.
    preset_style: PresetStyle => Some;
    /// Image prompts (asset references), at most 4.
    image_prompts: Vec<String> => Some;
    /// Init image (asset reference).
    init_image_id: impl Into<String> => |v| Some(Into::<String>::into(v));
    /// Init strength, 0.1..=0.9.
    init_strength: f64 => Some;
    /// Fantasy Avatar.
    fantasy_avatar: bool => Some;
    /// Alchemy.
    alchemy: bool => Some;
    /// Contrast ratio, 0..=1.
    contrast_ratio: f64 => Some;
    /// Expanded domain.
    expanded_domain: bool => Some;
    /// PhotoReal.
    photo_real: bool => Some;
    /// PhotoReal version.
    photo_real_version: PhotoRealVersion => Some;
    /// PhotoReal strength: 0.45, 0.5 or 0.55.
    photo_real_strength: f64 => Some;
    /// Prompt Magic.
    prompt_magic: bool => Some;
    /// Prompt Magic version.
    prompt_magic_version: PromptMagicVersion => Some;
    /// Prompt Magic strength, 0.1..=1.0.
    prompt_magic_strength: f64 => Some;
    /// High contrast (RAW mode).
    high_contrast: bool => Some;
    /// High resolution.
    high_resolution: bool => Some;
    /// Prompt enhancement.
    enhance_prompt: bool => Some;
    /// Instruction for prompt enhancement.
    enhance_prompt_instruction: impl Into<String> => |v| Some(Into::<String>::into(v));
}

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
