//! What every target reads from the core: the parameter table, seen the way the surfaces need it.
//!
//! Adding a source (the client-options table, say) means one more module like this one and
//! the targets that list it; the region mechanics (`regions.rs`) stay as they are.

use visionxl_core::spec::{Kind, PARAMS, ParamSpec, Rule};
use visionxl_core::{GenerateRequest, ParamValue, Preset};

/// Every kind, in the order the union types list them.
pub const KINDS: [Kind; 5] = [
    Kind::String,
    Kind::Integer,
    Kind::Float,
    Kind::Bool,
    Kind::StringList,
];

/// The one spelling of a kind in every binding ([`Kind::name`]).
pub fn kind_name(kind: Kind) -> &'static str {
    kind.name()
}

/// A parameter as the generated surfaces see it.
pub struct Param {
    /// The table row.
    pub spec: &'static ParamSpec,
    /// The value a new request holds for an optional field before the caller sets anything
    /// (`size`, `n`): the SDK's own default, shown in signatures. `None` for fields left unset
    /// (and not sent) and for required ones.
    pub sdk_default: Option<ParamValue>,
}

impl Param {
    /// The allowed strings of a parameter restricted to a list of values.
    pub fn values(&self) -> Option<&'static [&'static str]> {
        match self.spec.rule {
            Rule::OneOf(v) | Rule::OneOfIgnoreCase(v) => Some(v),
            _ => None,
        }
    }

    /// Whether the values are accepted in any letter case (and sent upper-case).
    pub fn ignores_case(&self) -> bool {
        matches!(self.spec.rule, Rule::OneOfIgnoreCase(_))
    }

    /// The name of the type alias of a parameter restricted to a list of strings:
    /// `photo_real_version` -> `PhotoRealVersion`.
    pub fn alias(&self) -> Option<String> {
        self.values().map(|_| pascal(self.spec.sdk))
    }

    /// Whether every request holds this field (required, or defaulted by the SDK).
    pub fn always_set(&self) -> bool {
        self.spec.required || self.sdk_default.is_some()
    }

    /// The documented default, when it is a value of the parameter's kind (not prose such as
    /// "random"): as JSON text.
    pub fn documented_default_json(&self) -> Option<String> {
        let d = self.spec.default?;
        let ok = match self.spec.kind {
            Kind::Integer => d.parse::<i64>().is_ok(),
            Kind::Float => d.parse::<f64>().is_ok(),
            Kind::Bool => d == "true" || d == "false",
            Kind::String => self.values().is_none_or(|v| v.contains(&d)),
            Kind::StringList => false,
        };
        match (ok, self.spec.kind) {
            (false, _) => None,
            (true, Kind::String) => Some(quote(d)),
            (true, _) => Some(d.to_string()),
        }
    }

    /// The largest integer the parameter takes, for kinds that have one.
    pub fn int_max(&self) -> Option<i64> {
        match self.spec.rule {
            Rule::IntRange(_, max) => Some(max),
            _ => None,
        }
    }
}

/// Every parameter, in the table's order.
pub fn params() -> Vec<Param> {
    let fresh = GenerateRequest::new("");
    PARAMS
        .iter()
        .map(|spec| {
            let v = fresh.get(spec.field);
            Param {
                spec,
                sdk_default: (v != ParamValue::Null && !spec.required).then_some(v),
            }
        })
        .collect()
}

/// The order of keyword lists in signatures: required first, then the fields the SDK defaults
/// (so `help()` shows `size='1024x1024', n=1` up front), then the rest, each in table order.
pub fn signature_order() -> Vec<Param> {
    let mut all = params();
    all.sort_by_key(|p| (!p.spec.required, !p.always_set()));
    all
}

/// The named bundles of settings (`preset=`), with their one-line descriptions.
pub fn presets() -> impl Iterator<Item = (&'static str, &'static str)> {
    Preset::ALL.iter().map(|p| (p.name(), p.description()))
}

/// `snake_case` -> `PascalCase`.
pub fn pascal(snake: &str) -> String {
    let camel = visionxl_core::spec::to_camel(snake);
    let mut chars = camel.chars();
    match chars.next() {
        Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// A double-quoted string, valid in Python, TypeScript, JSON and YAML.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A number as the table writes it (`0.1`, `1`), shared by every target.
pub fn number(x: f64) -> String {
    x.to_string()
}

/// `text` broken into lines of at most `width` characters (words are never split), each line
/// `prefix` then words (give the prefix its trailing space: `"#: "`).
pub fn wrap(text: &str, width: usize, prefix: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = prefix.to_string();
    for word in text.split_whitespace() {
        if line.len() > prefix.len() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::replace(&mut line, prefix.to_string()));
        }
        if line.len() > prefix.len() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

/// A description as a sentence: ends with a full stop.
pub fn sentence(text: &str) -> String {
    if text.ends_with('.') {
        text.to_string()
    } else {
        format!("{text}.")
    }
}
