//! The one declaration of every `promptObject` parameter.
//!
//! `with_params!` hands the table below to a macro that turns it into code. Two such macros
//! expand it: `spec.rs` makes the [`Field`](crate::spec::Field) enum and the
//! [`PARAMS`](crate::spec::PARAMS) table from it, `request.rs` makes the
//! [`GenerateRequest`](crate::GenerateRequest) struct, `new`, `get`, `set`, serialisation and
//! the builder setters. Adding a parameter is one row here (see `docs/ARCHITECTURE.md`, "How to
//! add a parameter").
//!
//! A row, in this order:
//!
//! ```text
//! /// Doc comment of the struct field (and of the builder setter).
//! Variant sdk_name: RustType = PRESENCE,
//!     wire "wireName", kind KIND, rule RULE, default SHOWN,
//!     [send |r: &GenerateRequest| -> Option<RustType> { .. },]   // optional
//!     [setter ArgType,]                                          // optional
//!     help "One line for help texts",
//!     group GROUP;
//! ```
//!
//! - `Variant`: the [`Field`](crate::spec::Field) variant; `sdk_name`: the struct field, the
//!   builder method and the SDK name every binding uses.
//! - `RustType`: the value's type; it implements `ParamType` (`param_type.rs`).
//! - PRESENCE: `required` (no default, never unset: only `prompt`), `always(EXPR)` (never
//!   unset, always sent, `EXPR` when not given) or `optional` (an `Option`, sent only when set).
//! - `wire`: the service's spelling; `kind`: a [`Kind`](crate::spec::Kind) variant; `rule`: a
//!   [`Rule`](crate::spec::Rule); `default`: the documented default for help texts (never sent).
//! - `send`: what is sent instead of the field as it is (only `photo_real_version` has one).
//! - `setter`: the builder method's argument type when it is not `RustType`.
//! - `group`: a [`Group`](crate::spec::Group) variant, the documentation's section (the
//!   playground's form groups its controls by it).
//!
//! The table names types and constants without paths; each expanding module imports them.

/// Calls `$callback! { rows }` with every parameter row, in the documentation's order.
macro_rules! with_params {
    ($callback:ident) => {
        $crate::params::params_rows! { $callback;
            /// Text description of the image.
            Prompt prompt: String = required,
                wire "prompt", kind String, rule Rule::NotBlank, default None,
                help "Text description of the image to generate",
                group Basic;
            /// What not to draw.
            NegativePrompt negative_prompt: String = optional,
                wire "negativePrompt", kind String, rule Rule::Any, default None,
                setter impl Into<String>,
                help "What you do not want in the image",
                group Basic;
            /// Image size (default 1024x1024).
            Size size: Size = always(Size::default()),
                wire "size", kind String, rule Rule::OneOf(SIZES), default Some("1024x1024"),
                help "Image dimensions (width x height)",
                group Basic;
            /// Number of images, 1..=4 (default 1).
            N n: u32 = always(1),
                wire "n", kind Integer, rule Rule::IntRange(1, 4), default Some("1"),
                help "Number of images to generate",
                group Basic;
            /// Guidance scale, 1..=20.
            GuidanceScale guidance_scale: u32 = optional,
                wire "leonardo_guidance_scale", kind Integer, rule Rule::IntRange(1, 20),
                default Some("7"),
                help "How strongly the generation follows the prompt",
                group LeonardoCommon;
            /// Inference steps, 10..=60.
            NumInferenceSteps num_inference_steps: u32 = optional,
                wire "leonardo_num_inference_steps", kind Integer, rule Rule::IntRange(10, 60),
                default Some("15"),
                help "Number of inference steps",
                group LeonardoCommon;
            /// Seed, 0..=9_999_999_998.
            Seed seed: u64 = optional,
                wire "leonardo_seed", kind Integer, rule Rule::IntRange(0, 9_999_999_998),
                default Some("random"),
                help "Fixed seed for reproducible generations",
                group LeonardoCommon;
            /// Tile on all axes (`leonardo_tilling`).
            Tiling tiling: bool = optional,
                wire "leonardo_tilling", kind Bool, rule Rule::Any, default Some("false"),
                help "Make images tile on all axes",
                group LeonardoCommon;
            /// Transparency mode.
            Transparency transparency: Transparency = optional,
                wire "leonardo_transparency", kind String,
                rule Rule::OneOf(&["disabled", "foreground_only"]), default None,
                help "Transparency mode",
                group LeonardoCommon;
            /// Leonardo style preset (sent upper-case).
            PresetStyle preset_style: PresetStyle = optional,
                wire "leonardo_preset_style", kind String,
                rule Rule::OneOfIgnoreCase(PRESET_STYLES),
                default Some("DYNAMIC with Alchemy, LEONARDO without"),
                help "Leonardo style preset",
                group LeonardoCommon;
            /// Uploaded asset references used as image prompts (at most 4).
            ImagePrompts image_prompts: Vec<String> = optional,
                wire "leonardo_image_prompts", kind StringList, rule Rule::MaxItems(4),
                default None,
                help "Uploaded images to use as image prompts",
                group ImageGuidance;
            /// Uploaded asset reference of the init image.
            InitImageId init_image_id: String = optional,
                wire "leonardo_init_image_id", kind String, rule Rule::NotBlank, default None,
                setter impl Into<String>,
                help "Init image that influences the generation (required by Fantasy Avatar)",
                group ImageGuidance;
            /// Init strength, 0.1..=0.9.
            InitStrength init_strength: f64 = optional,
                wire "leonardo_init_strength", kind Float, rule Rule::FloatRange(0.1, 0.9),
                default None,
                help "How strongly the images follow the init image",
                group ImageGuidance;
            /// Fantasy Avatar (needs `init_image_id`).
            FantasyAvatar fantasy_avatar: bool = optional,
                wire "leonardo_fantasy_avatar", kind Bool, rule Rule::Any, default Some("false"),
                help "Fantasy Avatar mode (needs an init image)",
                group ImageGuidance;
            /// Alchemy (service default: on).
            Alchemy alchemy: bool = optional,
                wire "leonardo_alchemy", kind Bool, rule Rule::Any, default Some("true"),
                help "Alchemy enhancement",
                group Alchemy;
            /// Contrast ratio, 0..=1.
            ContrastRatio contrast_ratio: f64 = optional,
                wire "leonardo_contrast_ratio", kind Float, rule Rule::FloatRange(0.0, 1.0),
                default None,
                help "Contrast ratio",
                group Alchemy;
            /// Expanded domain.
            ExpandedDomain expanded_domain: bool = optional,
                wire "leonardo_expanded_domain", kind Bool, rule Rule::Any, default Some("false"),
                help "Expanded domain",
                group Alchemy;
            /// PhotoReal (needs Alchemy).
            PhotoReal photo_real: bool = optional,
                wire "leonardo_photo_real", kind Bool, rule Rule::Any, default Some("false"),
                help "PhotoReal pipeline (requires Alchemy)",
                group Alchemy;
            /// PhotoReal version (sent as v2 whenever PhotoReal is on).
            PhotoRealVersion photo_real_version: PhotoRealVersion = optional,
                wire "leonardo_photo_real_version", kind String, rule Rule::OneOf(&["v2"]),
                default Some("v2"),
                send |r: &GenerateRequest| match r.photo_real {
                    Some(true) => Some(r.photo_real_version.unwrap_or(PhotoRealVersion::V2)),
                    _ => r.photo_real_version,
                },
                help "PhotoReal version",
                group Alchemy;
            /// PhotoReal strength: 0.45, 0.5 or 0.55.
            PhotoRealStrength photo_real_strength: f64 = optional,
                wire "leonardo_photo_real_strength", kind Float,
                rule Rule::FloatOneOf(&[0.45, 0.5, 0.55]), default Some("0.55"),
                help "PhotoReal strength (documented for v1 only)",
                group Alchemy;
            /// Prompt Magic.
            PromptMagic prompt_magic: bool = optional,
                wire "leonardo_prompt_magic", kind Bool, rule Rule::Any, default Some("false"),
                help "Prompt Magic",
                group PromptMagic;
            /// Prompt Magic version.
            PromptMagicVersion prompt_magic_version: PromptMagicVersion = optional,
                wire "leonardo_prompt_magic_version", kind String,
                rule Rule::OneOf(&["v2", "v3"]), default Some("v3"),
                help "Prompt Magic version",
                group PromptMagic;
            /// Prompt Magic strength, 0.1..=1.0.
            PromptMagicStrength prompt_magic_strength: f64 = optional,
                wire "leonardo_prompt_magic_strength", kind Float,
                rule Rule::FloatRange(0.1, 1.0), default None,
                help "Prompt Magic strength",
                group PromptMagic;
            /// High contrast / RAW mode (`leonardo_hight_constrast`).
            HighContrast high_contrast: bool = optional,
                wire "leonardo_hight_constrast", kind Bool, rule Rule::Any, default Some("false"),
                help "High contrast (controls RAW mode)",
                group PromptMagic;
            /// High resolution (`leonardo_hight_resolution`).
            HighResolution high_resolution: bool = optional,
                wire "leonardo_hight_resolution", kind Bool, rule Rule::Any,
                default Some("false"),
                help "High resolution",
                group PromptMagic;
            /// Let the service enhance the prompt.
            EnhancePrompt enhance_prompt: bool = optional,
                wire "leonardo_enhance_prompt", kind Bool, rule Rule::Any, default Some("false"),
                help "Let the service rewrite the prompt",
                group EnhancePrompt;
            /// Instruction for prompt enhancement.
            EnhancePromptInstruction enhance_prompt_instruction: String = optional,
                wire "leonardo_enhance_prompt_instruction", kind String, rule Rule::Any,
                default None,
                setter impl Into<String>,
                help "Instruction for prompt enhancement (only with enhance_prompt)",
                group EnhancePrompt;
        }
    };
}

/// Parses the rows (the one place that knows the row syntax) and hands them to `$callback` in
/// a fixed shape, one brace group per row:
///
/// ```text
/// { Variant sdk_name [#[doc = ".."] ..] (RustType) (PRESENCE [INIT]) (SEND?) (SETTER_ARG?)
///   (wire kind (rule) (default) help group) }
/// ```
///
/// Each callback takes the groups it needs and skips the others as single token trees.
macro_rules! params_rows {
    ($callback:ident; $(
        $(#[$doc:meta])*
        $variant:ident $sdk:ident : $ty:ty = $presence:ident $(($init:expr))?,
            wire $wire:literal, kind $kind:ident, rule $rule:expr, default $shown:expr,
            $(send $send:expr,)?
            $(setter $arg:ty,)?
            help $help:literal,
            group $group:ident;
    )+) => {
        $callback! { $(
            { $variant $sdk [$(#[$doc])*] ($ty) ($presence $($init)?) ($($send)?) ($($arg)?)
              ($wire $kind ($rule) ($shown) $help $group) }
        )+ }
    };
}

pub(crate) use {params_rows, with_params};
