//! The parameter table: every `promptObject` parameter of Leonardo Vision XL, as data.
//!
//! Validation, serialisation, the CLI flags, the emulator and the bindings all read [`PARAMS`]
//! instead of repeating it.
//!
//! ```
//! let p = visionxl_core::spec::by_sdk("tiling").unwrap();
//! assert_eq!(p.wire, "leonardo_tilling"); // the service's spelling
//! ```

use std::sync::OnceLock;

use crate::style::PRESET_STYLES;

/// The JSON type a parameter takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A JSON string.
    String,
    /// A JSON integer (64-bit).
    Integer,
    /// A JSON number.
    Float,
    /// A JSON boolean.
    Bool,
    /// A JSON array of strings.
    StringList,
}

impl Kind {
    /// A short name for messages: "a string", "an integer", ...
    pub fn describe(self) -> &'static str {
        match self {
            Kind::String => "a string",
            Kind::Integer => "an integer",
            Kind::Float => "a number",
            Kind::Bool => "a boolean (true or false)",
            Kind::StringList => "a list of strings",
        }
    }
}

/// The rule a parameter's value must follow (besides its [`Kind`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rule {
    /// Any value of the right kind.
    Any,
    /// A string that is not empty or only white space.
    NotBlank,
    /// Exactly one of these strings.
    OneOf(&'static [&'static str]),
    /// One of these strings, compared case-insensitively (sent upper-case).
    OneOfIgnoreCase(&'static [&'static str]),
    /// An integer within `min..=max`.
    IntRange(i64, i64),
    /// A finite number within `min..=max`.
    FloatRange(f64, f64),
    /// Exactly one of these numbers.
    FloatOneOf(&'static [f64]),
    /// A list of at most this many non-blank strings.
    MaxItems(usize),
}

/// Names every parameter, so typed code can refer to one without a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// `prompt` (wire: `prompt`).
    Prompt,
    /// `negative_prompt` (wire: `negativePrompt`).
    NegativePrompt,
    /// `size` (wire: `size`).
    Size,
    /// `n` (wire: `n`).
    N,
    /// `guidance_scale` (wire: `leonardo_guidance_scale`).
    GuidanceScale,
    /// `num_inference_steps` (wire: `leonardo_num_inference_steps`).
    NumInferenceSteps,
    /// `seed` (wire: `leonardo_seed`).
    Seed,
    /// `tiling` (wire: `leonardo_tilling`).
    Tiling,
    /// `transparency` (wire: `leonardo_transparency`).
    Transparency,
    /// `preset_style` (wire: `leonardo_preset_style`).
    PresetStyle,
    /// `image_prompts` (wire: `leonardo_image_prompts`).
    ImagePrompts,
    /// `init_image_id` (wire: `leonardo_init_image_id`).
    InitImageId,
    /// `init_strength` (wire: `leonardo_init_strength`).
    InitStrength,
    /// `fantasy_avatar` (wire: `leonardo_fantasy_avatar`).
    FantasyAvatar,
    /// `alchemy` (wire: `leonardo_alchemy`).
    Alchemy,
    /// `contrast_ratio` (wire: `leonardo_contrast_ratio`).
    ContrastRatio,
    /// `expanded_domain` (wire: `leonardo_expanded_domain`).
    ExpandedDomain,
    /// `photo_real` (wire: `leonardo_photo_real`).
    PhotoReal,
    /// `photo_real_version` (wire: `leonardo_photo_real_version`).
    PhotoRealVersion,
    /// `photo_real_strength` (wire: `leonardo_photo_real_strength`).
    PhotoRealStrength,
    /// `prompt_magic` (wire: `leonardo_prompt_magic`).
    PromptMagic,
    /// `prompt_magic_version` (wire: `leonardo_prompt_magic_version`).
    PromptMagicVersion,
    /// `prompt_magic_strength` (wire: `leonardo_prompt_magic_strength`).
    PromptMagicStrength,
    /// `high_contrast` (wire: `leonardo_hight_constrast`).
    HighContrast,
    /// `high_resolution` (wire: `leonardo_hight_resolution`).
    HighResolution,
    /// `enhance_prompt` (wire: `leonardo_enhance_prompt`).
    EnhancePrompt,
    /// `enhance_prompt_instruction` (wire: `leonardo_enhance_prompt_instruction`).
    EnhancePromptInstruction,
}

/// One row of the parameter table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamSpec {
    /// The typed handle of this parameter.
    pub field: Field,
    /// The name on the wire, exactly as the service spells it.
    pub wire: &'static str,
    /// The SDK name (Rust, Python, C setters, CLI flags with `-` for `_`).
    pub sdk: &'static str,
    /// The JSON type.
    pub kind: Kind,
    /// The value rule.
    pub rule: Rule,
    /// Whether the request is invalid without it.
    pub required: bool,
    /// The documented default, for display only (never sent).
    pub default: Option<&'static str>,
    /// One line for help texts.
    pub description: &'static str,
}

impl ParamSpec {
    /// The camelCase name used by the Node package (`guidance_scale` -> `guidanceScale`),
    /// made once for the whole table.
    pub fn camel(&self) -> &'static str {
        static CAMEL: OnceLock<Vec<String>> = OnceLock::new();
        let names = CAMEL.get_or_init(|| PARAMS.iter().map(|p| to_camel(p.sdk)).collect());
        // PARAMS lists the fields in declaration order (checked by a test).
        &names[self.field as usize]
    }

    /// "guidance_scale (leonardo_guidance_scale)", or just the name when both agree.
    pub fn label(&self) -> String {
        if self.sdk == self.wire {
            self.wire.to_string()
        } else {
            format!("{} ({})", self.sdk, self.wire)
        }
    }

    /// The allowed values or range, for help texts: `1..=20`, `disabled | foreground_only`.
    pub fn allowed(&self) -> Option<String> {
        match self.rule {
            Rule::Any | Rule::NotBlank => None,
            Rule::OneOf(v) | Rule::OneOfIgnoreCase(v) => Some(v.join(" | ")),
            Rule::IntRange(a, b) => Some(format!("{a}..={b}")),
            Rule::FloatRange(a, b) => Some(format!("{a}..={b}")),
            Rule::FloatOneOf(v) => Some(
                v.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(" | "),
            ),
            Rule::MaxItems(n) => Some(format!("at most {n} items")),
        }
    }
}

/// `snake_case` -> `camelCase`.
pub fn to_camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The four image sizes Vision XL accepts.
pub const SIZES: &[&str] = &["512x512", "1024x768", "768x1024", "1024x1024"];

macro_rules! p {
    ($field:ident, $wire:literal, $sdk:literal, $kind:ident, $rule:expr, $req:literal, $default:expr, $desc:literal) => {
        ParamSpec {
            field: Field::$field,
            wire: $wire,
            sdk: $sdk,
            kind: Kind::$kind,
            rule: $rule,
            required: $req,
            default: $default,
            description: $desc,
        }
    };
}

/// Every `promptObject` parameter, in the documentation's order.
pub static PARAMS: [ParamSpec; 27] = [
    p!(
        Prompt,
        "prompt",
        "prompt",
        String,
        Rule::NotBlank,
        true,
        None,
        "Text description of the image to generate"
    ),
    p!(
        NegativePrompt,
        "negativePrompt",
        "negative_prompt",
        String,
        Rule::Any,
        false,
        None,
        "What you do not want in the image"
    ),
    p!(
        Size,
        "size",
        "size",
        String,
        Rule::OneOf(SIZES),
        false,
        Some("1024x1024"),
        "Image dimensions (width x height)"
    ),
    p!(
        N,
        "n",
        "n",
        Integer,
        Rule::IntRange(1, 4),
        false,
        Some("1"),
        "Number of images to generate"
    ),
    p!(
        GuidanceScale,
        "leonardo_guidance_scale",
        "guidance_scale",
        Integer,
        Rule::IntRange(1, 20),
        false,
        Some("7"),
        "How strongly the generation follows the prompt"
    ),
    p!(
        NumInferenceSteps,
        "leonardo_num_inference_steps",
        "num_inference_steps",
        Integer,
        Rule::IntRange(10, 60),
        false,
        Some("15"),
        "Number of inference steps"
    ),
    p!(
        Seed,
        "leonardo_seed",
        "seed",
        Integer,
        Rule::IntRange(0, 9_999_999_998),
        false,
        Some("random"),
        "Fixed seed for reproducible generations"
    ),
    p!(
        Tiling,
        "leonardo_tilling",
        "tiling",
        Bool,
        Rule::Any,
        false,
        Some("false"),
        "Make images tile on all axes"
    ),
    p!(
        Transparency,
        "leonardo_transparency",
        "transparency",
        String,
        Rule::OneOf(&["disabled", "foreground_only"]),
        false,
        None,
        "Transparency mode"
    ),
    p!(
        PresetStyle,
        "leonardo_preset_style",
        "preset_style",
        String,
        Rule::OneOfIgnoreCase(PRESET_STYLES),
        false,
        Some("DYNAMIC with Alchemy, LEONARDO without"),
        "Leonardo style preset"
    ),
    p!(
        ImagePrompts,
        "leonardo_image_prompts",
        "image_prompts",
        StringList,
        Rule::MaxItems(4),
        false,
        None,
        "Uploaded images to use as image prompts"
    ),
    p!(
        InitImageId,
        "leonardo_init_image_id",
        "init_image_id",
        String,
        Rule::NotBlank,
        false,
        None,
        "Init image that influences the generation (required by Fantasy Avatar)"
    ),
    p!(
        InitStrength,
        "leonardo_init_strength",
        "init_strength",
        Float,
        Rule::FloatRange(0.1, 0.9),
        false,
        None,
        "How strongly the images follow the init image"
    ),
    p!(
        FantasyAvatar,
        "leonardo_fantasy_avatar",
        "fantasy_avatar",
        Bool,
        Rule::Any,
        false,
        Some("false"),
        "Fantasy Avatar mode (needs an init image)"
    ),
    p!(
        Alchemy,
        "leonardo_alchemy",
        "alchemy",
        Bool,
        Rule::Any,
        false,
        Some("true"),
        "Alchemy enhancement"
    ),
    p!(
        ContrastRatio,
        "leonardo_contrast_ratio",
        "contrast_ratio",
        Float,
        Rule::FloatRange(0.0, 1.0),
        false,
        None,
        "Contrast ratio"
    ),
    p!(
        ExpandedDomain,
        "leonardo_expanded_domain",
        "expanded_domain",
        Bool,
        Rule::Any,
        false,
        Some("false"),
        "Expanded domain"
    ),
    p!(
        PhotoReal,
        "leonardo_photo_real",
        "photo_real",
        Bool,
        Rule::Any,
        false,
        Some("false"),
        "PhotoReal pipeline (requires Alchemy)"
    ),
    p!(
        PhotoRealVersion,
        "leonardo_photo_real_version",
        "photo_real_version",
        String,
        Rule::OneOf(&["v2"]),
        false,
        Some("v2"),
        "PhotoReal version"
    ),
    p!(
        PhotoRealStrength,
        "leonardo_photo_real_strength",
        "photo_real_strength",
        Float,
        Rule::FloatOneOf(&[0.45, 0.5, 0.55]),
        false,
        Some("0.55"),
        "PhotoReal strength (documented for v1 only)"
    ),
    p!(
        PromptMagic,
        "leonardo_prompt_magic",
        "prompt_magic",
        Bool,
        Rule::Any,
        false,
        Some("false"),
        "Prompt Magic"
    ),
    p!(
        PromptMagicVersion,
        "leonardo_prompt_magic_version",
        "prompt_magic_version",
        String,
        Rule::OneOf(&["v2", "v3"]),
        false,
        Some("v3"),
        "Prompt Magic version"
    ),
    p!(
        PromptMagicStrength,
        "leonardo_prompt_magic_strength",
        "prompt_magic_strength",
        Float,
        Rule::FloatRange(0.1, 1.0),
        false,
        None,
        "Prompt Magic strength"
    ),
    p!(
        HighContrast,
        "leonardo_hight_constrast",
        "high_contrast",
        Bool,
        Rule::Any,
        false,
        Some("false"),
        "High contrast (controls RAW mode)"
    ),
    p!(
        HighResolution,
        "leonardo_hight_resolution",
        "high_resolution",
        Bool,
        Rule::Any,
        false,
        Some("false"),
        "High resolution"
    ),
    p!(
        EnhancePrompt,
        "leonardo_enhance_prompt",
        "enhance_prompt",
        Bool,
        Rule::Any,
        false,
        Some("false"),
        "Let the service rewrite the prompt"
    ),
    p!(
        EnhancePromptInstruction,
        "leonardo_enhance_prompt_instruction",
        "enhance_prompt_instruction",
        String,
        Rule::Any,
        false,
        None,
        "Instruction for prompt enhancement (only with enhance_prompt)"
    ),
];

/// How names are spelled in a parameter map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// The service's wire names (`leonardo_tilling`).
    Wire,
    /// SDK snake_case names (`tiling`).
    Sdk,
    /// SDK camelCase names (`guidanceScale`), as in Node.
    Camel,
}

/// The row for a wire name.
pub fn by_wire(name: &str) -> Option<&'static ParamSpec> {
    PARAMS.iter().find(|p| p.wire == name)
}

/// The row for an SDK (snake_case) name.
pub fn by_sdk(name: &str) -> Option<&'static ParamSpec> {
    PARAMS.iter().find(|p| p.sdk == name)
}

/// The row for a typed field.
pub fn by_field(field: Field) -> &'static ParamSpec {
    // PARAMS lists the fields in declaration order (checked by a test).
    &PARAMS[field as usize]
}

/// The row for a name spelled as `naming` says.
pub fn lookup(name: &str, naming: Naming) -> Option<&'static ParamSpec> {
    match naming {
        Naming::Wire => by_wire(name),
        Naming::Sdk => by_sdk(name),
        Naming::Camel => PARAMS.iter().find(|p| p.camel() == name),
    }
}

/// Every name a parameter can be spelled with under `naming`.
pub fn names(naming: Naming) -> Vec<String> {
    PARAMS
        .iter()
        .map(|p| match naming {
            Naming::Wire => p.wire.to_string(),
            Naming::Sdk => p.sdk.to_string(),
            Naming::Camel => p.camel().to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_27_unique_rows_and_every_field_once() {
        let mut wires: Vec<_> = PARAMS.iter().map(|p| p.wire).collect();
        wires.sort();
        wires.dedup();
        assert_eq!(wires.len(), 27);
        let mut sdks: Vec<_> = PARAMS.iter().map(|p| p.sdk).collect();
        sdks.sort();
        sdks.dedup();
        assert_eq!(sdks.len(), 27);
        for (i, p) in PARAMS.iter().enumerate() {
            assert_eq!(p.field as usize, i, "PARAMS must follow Field's order");
            assert_eq!(by_field(p.field).wire, p.wire);
        }
    }

    #[test]
    fn misspelled_wire_names_are_kept() {
        assert_eq!(by_sdk("tiling").unwrap().wire, "leonardo_tilling");
        assert_eq!(
            by_sdk("high_contrast").unwrap().wire,
            "leonardo_hight_constrast"
        );
        assert_eq!(
            by_sdk("high_resolution").unwrap().wire,
            "leonardo_hight_resolution"
        );
    }

    #[test]
    fn camel_names() {
        assert_eq!(to_camel("num_inference_steps"), "numInferenceSteps");
        assert_eq!(
            lookup("negativePrompt", Naming::Camel).unwrap().sdk,
            "negative_prompt"
        );
        assert!(lookup("leonardo_tilling", Naming::Sdk).is_none());
    }
}
