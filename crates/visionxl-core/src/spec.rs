//! The parameter table: every `promptObject` parameter of Leonardo Vision XL, as data.
//!
//! Validation, serialisation, the CLI flags, the emulator, the bindings and the code generator
//! all read [`PARAMS`] instead of repeating it. [`Field`] and [`PARAMS`] are generated from the
//! one declaration of each parameter in `params.rs` (`docs/ARCHITECTURE.md`, "The one-table
//! rule").
//!
//! ```
//! let p = visionxl_core::spec::by_sdk("tiling").unwrap();
//! assert_eq!(p.wire, "leonardo_tilling"); // the service's spelling
//! ```

use std::sync::OnceLock;

use crate::params::with_params;
use crate::preset_style::PRESET_STYLES;

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
    /// The one spelling of the kind for machines: `string`, `integer`, `number`, `boolean` or
    /// `string_list`. Every binding and generated file uses exactly these names.
    pub fn name(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::Integer => "integer",
            Kind::Float => "number",
            Kind::Bool => "boolean",
            Kind::StringList => "string_list",
        }
    }

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

/// The section of the Vision XL documentation a parameter belongs to (the playground's form
/// groups its controls by it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    /// Prompt, negative prompt, size, n.
    Basic,
    /// Guidance, steps, seed, tiling, transparency, preset style.
    LeonardoCommon,
    /// Init image and image prompts.
    ImageGuidance,
    /// Alchemy and PhotoReal.
    Alchemy,
    /// Prompt Magic, high contrast, high resolution.
    PromptMagic,
    /// Prompt enhancement.
    EnhancePrompt,
}

impl Group {
    /// Every group, in the documentation's order.
    pub const ALL: [Group; 6] = [
        Group::Basic,
        Group::LeonardoCommon,
        Group::ImageGuidance,
        Group::Alchemy,
        Group::PromptMagic,
        Group::EnhancePrompt,
    ];

    /// The machine name: `basic`, `leonardo_common`, ...
    pub fn name(self) -> &'static str {
        match self {
            Group::Basic => "basic",
            Group::LeonardoCommon => "leonardo_common",
            Group::ImageGuidance => "image_guidance",
            Group::Alchemy => "alchemy",
            Group::PromptMagic => "prompt_magic",
            Group::EnhancePrompt => "enhance_prompt",
        }
    }

    /// The documentation's heading: "Basic", "Leonardo Common", ...
    pub fn title(self) -> &'static str {
        match self {
            Group::Basic => "Basic",
            Group::LeonardoCommon => "Leonardo Common",
            Group::ImageGuidance => "Image Guidance",
            Group::Alchemy => "Alchemy",
            Group::PromptMagic => "Prompt Magic",
            Group::EnhancePrompt => "Enhance Prompt",
        }
    }
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
    /// The documentation's section.
    pub group: Group,
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

    /// A label for forms: the SDK name in words, "Guidance scale", "N" for `n`.
    pub fn title(&self) -> String {
        let words = self.sdk.replace('_', " ");
        let mut c = words.chars();
        match c.next() {
            Some(f) => f.to_uppercase().chain(c).collect(),
            None => String::new(),
        }
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

/// Makes [`Field`] and [`PARAMS`] from the parameter table (`params.rs`).
macro_rules! spec_table {
    ($({
        $variant:ident $sdk:ident $docs:tt $ty:tt ($presence:ident $($init:expr)?) $send:tt
        $arg:tt ($wire:literal $kind:ident ($rule:expr) ($shown:expr) $help:literal $group:ident)
    })+) => {
        /// Names every parameter, so typed code can refer to one without a string.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Field {
            $(
                #[doc = concat!("`", stringify!($sdk), "` (wire: `", $wire, "`).")]
                $variant,
            )+
        }

        const COUNT: usize = [$(stringify!($variant)),+].len();

        /// Every `promptObject` parameter, in the documentation's order.
        pub static PARAMS: [ParamSpec; COUNT] = [$(
            ParamSpec {
                field: Field::$variant,
                wire: $wire,
                sdk: stringify!($sdk),
                kind: Kind::$kind,
                rule: $rule,
                required: is_required!($presence),
                default: $shown,
                description: $help,
                group: Group::$group,
            },
        )+];
    };
}

/// `required` rows are the ones a request is invalid without.
macro_rules! is_required {
    (required) => {
        true
    };
    ($other:ident) => {
        false
    };
}

with_params!(spec_table);

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
    fn table_has_unique_rows_and_every_field_once() {
        assert!(
            PARAMS.len() >= 27,
            "the documented parameters are all there"
        );
        let mut wires: Vec<_> = PARAMS.iter().map(|p| p.wire).collect();
        wires.sort();
        wires.dedup();
        assert_eq!(wires.len(), PARAMS.len());
        let mut sdks: Vec<_> = PARAMS.iter().map(|p| p.sdk).collect();
        sdks.sort();
        sdks.dedup();
        assert_eq!(sdks.len(), PARAMS.len());
        for (i, p) in PARAMS.iter().enumerate() {
            assert_eq!(p.field as usize, i, "PARAMS must follow Field's order");
            assert_eq!(by_field(p.field).wire, p.wire);
        }
    }

    #[test]
    fn kind_names_are_the_one_spelling() {
        let kinds = [
            Kind::String,
            Kind::Integer,
            Kind::Float,
            Kind::Bool,
            Kind::StringList,
        ];
        assert_eq!(
            kinds.map(Kind::name),
            ["string", "integer", "number", "boolean", "string_list"]
        );
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
    fn every_group_holds_parameters_in_one_run() {
        let mut seen = Vec::new();
        for p in PARAMS.iter() {
            if seen.last() != Some(&p.group) {
                assert!(!seen.contains(&p.group), "{:?} is split", p.group);
                seen.push(p.group);
            }
        }
        assert_eq!(seen, Group::ALL);
        assert_eq!(by_sdk("guidance_scale").unwrap().title(), "Guidance scale");
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
