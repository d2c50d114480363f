//! Python: the stubs of the extension (`python/visionxl/_native.pyi`), the type aliases and
//! `GenerateParams` (`python/visionxl/types.py`).

use visionxl_core::ParamValue;
use visionxl_core::spec::Kind;

use crate::model::{self, KINDS, Param, kind_name, presets, quote, sentence, wrap};
use crate::options;
use crate::regions::Region;

/// Python's line length (ruff's default).
const WIDTH: usize = 99;

/// Where a type appears: lists are `Sequence` in arguments, `List` elsewhere; a property gives
/// back a case-insensitive value as the plain (upper-case) string.
#[derive(Clone, Copy, PartialEq)]
enum Position {
    Argument,
    Property,
    Dict,
}

/// The Python type of a parameter's value, without `Optional`.
fn base_type(p: &Param, pos: Position) -> String {
    if p.ignores_case() && pos == Position::Property {
        return "str".into(); // any string goes in; what comes out is the upper-case value
    }
    if let Some(alias) = p.alias() {
        return alias;
    }
    match (p.spec.kind, pos) {
        (Kind::String, _) => "str",
        (Kind::Integer, _) => "int",
        (Kind::Float, _) => "float",
        (Kind::Bool, _) => "bool",
        (Kind::StringList, Position::Argument) => "Sequence[str]",
        (Kind::StringList, Position::Property | Position::Dict) => "List[str]",
    }
    .to_string()
}

/// A value as Python source, with the given quote for strings.
pub fn literal(v: &ParamValue, quote_char: char) -> String {
    match v {
        ParamValue::Null => "None".into(),
        ParamValue::Bool(true) => "True".into(),
        ParamValue::Bool(false) => "False".into(),
        ParamValue::Str(s) if quote_char == '\'' => format!("'{s}'"),
        other => other.to_json().to_string(),
    }
}

/// The keyword-only parameters of `GenerateRequest(...)`, `validate(...)` and `generate(...)`
/// (everything but the positional `prompt`), then `preset`.
fn keywords() -> Vec<String> {
    let mut out: Vec<String> = model::signature_order()
        .iter()
        .filter(|p| !p.spec.required)
        .map(|p| match &p.sdk_default {
            Some(v) => format!(
                "{}: {} = {},",
                p.spec.sdk,
                base_type(p, Position::Argument),
                literal(v, '"')
            ),
            None => format!(
                "{}: Optional[{}] = None,",
                p.spec.sdk,
                base_type(p, Position::Argument)
            ),
        })
        .collect();
    out.push("preset: Optional[Preset] = None,".into());
    out
}

/// The read-only properties of `GenerateRequest`: every parameter under its SDK name.
fn properties() -> Vec<String> {
    let mut out = Vec::new();
    for p in model::signature_order() {
        let ty = base_type(&p, Position::Property);
        let ty = if p.always_set() {
            ty
        } else {
            format!("Optional[{ty}]")
        };
        out.push("@property".into());
        out.push(format!("def {}(self) -> {ty}: ...", p.spec.sdk));
    }
    out
}

/// `Parameter.kind`: the one spelling of each kind.
fn param_kind() -> Vec<String> {
    let kinds: Vec<String> = KINDS.iter().map(|k| quote(kind_name(*k))).collect();
    vec![
        "@property".into(),
        format!("def kind(self) -> Literal[{}]: ...", kinds.join(", ")),
    ]
}

/// The names `types.py` defines from the table (and `_native.pyi` imports).
fn type_names() -> Vec<String> {
    let mut names: Vec<String> = model::params().iter().filter_map(Param::alias).collect();
    names.push("Preset".into());
    names.push("GenerateParams".into());
    names
}

/// `Literal["a", "b"]`, or one value a line when that is too long for `prefix`.
fn literal_type(values: &[&str], prefix: &str, indent: &str) -> Vec<String> {
    let quoted: Vec<String> = values.iter().map(|v| quote(v)).collect();
    let one_line = format!("{prefix}Literal[{}]", quoted.join(", "));
    if one_line.len() + indent.len() <= WIDTH {
        return vec![one_line];
    }
    let mut out = vec![format!("{prefix}Literal[")];
    out.extend(quoted.iter().map(|q| format!("{indent}    {q},")));
    out.push(format!("{indent}]"));
    out
}

/// The type aliases: one per parameter restricted to a list of strings, and `Preset`.
fn value_types() -> Vec<String> {
    let mut out = Vec::new();
    for p in model::params() {
        let (Some(alias), Some(values)) = (p.alias(), p.values()) else {
            continue;
        };
        let mut doc = format!("``{}``: {}", p.spec.wire, sentence(p.spec.description));
        if let Some(d) = p.spec.default {
            doc.push_str(&format!(" Documented default: {d}."));
        }
        if p.ignores_case() {
            doc.push_str(" Accepted in any letter case, sent upper-case.");
        }
        out.extend(wrap(&doc, WIDTH, "#: "));
        if p.ignores_case() {
            let lit = literal_type(values, "", "    ");
            if lit.len() == 1 {
                out.push(format!("{alias} = Union[{}, str]", lit[0]));
            } else {
                out.push(format!("{alias} = Union["));
                out.push(format!("    {}", lit[0]));
                out.extend(lit[1..].iter().cloned());
                out.last_mut().expect("closing bracket").push(',');
                out.push("    str,".into());
                out.push("]".into());
            }
        } else {
            out.extend(literal_type(values, &format!("{alias} = "), ""));
        }
        out.push(String::new());
    }
    let names: Vec<&str> = presets().map(|(name, _)| name).collect();
    let described: Vec<String> = presets()
        .map(|(name, desc)| format!(" ``{name}``: {}", sentence(desc)))
        .collect();
    let doc = format!(
        "A named bundle of settings; explicit values win over it.{}",
        described.concat()
    );
    out.extend(wrap(&doc, WIDTH, "#: "));
    out.extend(literal_type(&names, "Preset = ", ""));
    out
}

/// `GenerateParams`: the required parameters in a base class, the rest optional.
fn generate_params() -> Vec<String> {
    let field = |p: &Param| {
        let mut lines = wrap(&sentence(p.spec.description), WIDTH, "    #: ");
        lines.push(format!(
            "    {}: {}",
            p.spec.sdk,
            base_type(p, Position::Dict)
        ));
        lines
    };
    let params = model::params();
    let mut out = vec!["class _Required(TypedDict):".to_string()];
    for p in params.iter().filter(|p| p.spec.required) {
        out.extend(field(p));
    }
    out.extend([
        String::new(),
        String::new(),
        "class GenerateParams(_Required, total=False):".into(),
        "    \"\"\"Every keyword of ``generate``/``GenerateRequest``, as a dict.\"\"\"".into(),
    ]);
    out.push(String::new());
    for p in params.iter().filter(|p| !p.spec.required) {
        out.extend(field(p));
    }
    out.push("    #: A named bundle of settings; explicit values win over it.".into());
    out.push("    preset: Preset".into());
    out
}

/// The regions of `python/visionxl/_native.pyi`.
pub fn stub_regions() -> Vec<Region> {
    let mut imports = type_names();
    imports.sort();
    vec![
        Region::new(
            "types-imports",
            imports.iter().map(|n| format!("{n},")).collect(),
        ),
        Region::new("generate-keywords", keywords()),
        Region::new("request-properties", properties()),
        Region::new("param-kind", param_kind()),
        Region::options("client-keywords", client_keywords()),
    ]
}

/// The parameters of `Client(...)` and `AsyncClient(...)` (after `cls`), from the client
/// options table: the positional ones, `*`, then the keyword-only ones.
fn client_keywords() -> Vec<String> {
    let mut out = Vec::new();
    let mut star = false;
    for o in options::python_options() {
        if !options::python_positional(o) && !star {
            out.push("*,".into());
            star = true;
        }
        let ty = options::python_type(o.kind);
        out.push(match options::python_default(o) {
            "None" => format!("{}: Optional[{ty}] = None,", o.name),
            d => format!("{}: {ty} = {d},", o.name),
        });
    }
    out
}

/// The regions of `python/visionxl/types.py`.
pub fn types_regions() -> Vec<Region> {
    vec![
        Region::new(
            "all-names",
            type_names()
                .iter()
                .map(|n| format!("{},", quote(n)))
                .collect(),
        ),
        Region::new("value-types", value_types()),
        Region::new("generate-params", generate_params()),
    ]
}

/// A Python parameter list for `help()`: `first` (`$self, prompt`, ...), then every keyword with
/// its default, strings in `quote_char`.
pub fn signature(first: &str, quote_char: char) -> String {
    let mut parts = vec![first.to_string(), "*".into()];
    for p in model::signature_order().iter().filter(|p| !p.spec.required) {
        let default = p.sdk_default.as_ref().unwrap_or(&ParamValue::Null);
        parts.push(format!("{}={}", p.spec.sdk, literal(default, quote_char)));
    }
    parts.push("preset=None".into());
    format!("({})", parts.join(", "))
}
