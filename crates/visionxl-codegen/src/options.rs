//! What the client-option targets read: `visionxl::options::CLIENT_OPTIONS`, seen the way the
//! surfaces need it (Python keywords, Node options and their docs).

use visionxl::options::{CLIENT_OPTIONS, ClientOption, OptionKind, OptionRange};

use crate::model::sentence;

/// The keywords of Python's `Client(...)` taken by position too (before the `*`).
const PYTHON_POSITIONAL: &[&str] = &["api_key"];

/// The options Python's `Client(...)` / `AsyncClient(...)` take, in the table's order.
pub fn python_options() -> impl Iterator<Item = &'static ClientOption> {
    CLIENT_OPTIONS.iter().filter(|o| o.python_default.is_some())
}

/// The options Node's `new Client({...})` takes, in the table's order.
pub fn node_options() -> impl Iterator<Item = &'static ClientOption> {
    CLIENT_OPTIONS.iter().filter(|o| o.in_node)
}

/// Whether a Python keyword is also positional.
pub fn python_positional(o: &ClientOption) -> bool {
    PYTHON_POSITIONAL.contains(&o.name)
}

/// The Python keyword's default as Python source.
pub fn python_default(o: &ClientOption) -> &'static str {
    o.python_default.unwrap_or("None")
}

/// The Python type of an option's value, without `Optional`.
pub fn python_type(kind: OptionKind) -> &'static str {
    match kind {
        OptionKind::Str | OptionKind::Secret | OptionKind::Url => "str",
        OptionKind::Bool => "bool",
        OptionKind::Count | OptionKind::Bytes => "int",
        OptionKind::Duration => "float",
    }
}

/// The TypeScript type of an option's value.
pub fn ts_type(kind: OptionKind) -> &'static str {
    match kind {
        OptionKind::Str | OptionKind::Secret | OptionKind::Url => "string",
        OptionKind::Bool => "boolean",
        OptionKind::Count | OptionKind::Bytes | OptionKind::Duration => "number",
    }
}

/// `text` with every snake_case option name it mentions spelled as Node spells it.
fn node_names(text: &str) -> String {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::new();
    let mut word = String::new();
    for c in text.chars().chain(std::iter::once('\0')) {
        if is_ident(c) {
            word.push(c);
            continue;
        }
        match CLIENT_OPTIONS
            .iter()
            .find(|o| o.name.contains('_') && o.name == word)
        {
            Some(o) => out.push_str(o.node_name),
            None => out.push_str(&word),
        }
        word.clear();
        if c != '\0' {
            out.push(c);
        }
    }
    out
}

/// A default for people, in Node's units: durations (`"300 s"`) in milliseconds.
fn node_default(o: &ClientOption) -> String {
    if o.kind == OptionKind::Duration
        && let Some(secs) = o
            .default
            .strip_suffix(" s")
            .and_then(|s| s.parse::<u64>().ok())
    {
        return format!("{} ms", secs * 1000);
    }
    node_names(o.default)
}

/// The values an option accepts, in Node's units, as a sentence (empty when any value of the
/// kind goes).
fn node_range(o: &ClientOption) -> String {
    let unit = match (o.kind, o.unit) {
        (OptionKind::Duration, _) => ", in ms".to_string(),
        (_, "") => String::new(),
        (_, unit) => format!(", in {unit}"),
    };
    match (o.range, o.kind) {
        (OptionRange::Int { min, max }, _) if max == u64::MAX => {
            format!("An integer >= {min}{unit}.")
        }
        (OptionRange::Int { min, max }, _) => format!("An integer from {min} to {max}{unit}."),
        (OptionRange::Positive, _) => format!("Greater than 0{unit}."),
        (OptionRange::Any, OptionKind::Duration) => "In ms.".to_string(),
        (OptionRange::Any, _) => String::new(),
    }
}

/// The JSDoc text of a Node option: the row's doc, its range and unit, its default.
pub fn node_doc(o: &ClientOption) -> String {
    let mut parts = vec![sentence(&node_names(o.doc))];
    let range = node_range(o);
    if !range.is_empty() {
        parts.push(range);
    }
    parts.push(format!("Default: {}.", node_default(o)));
    parts.join(" ")
}

/// A Python parameter list for `help()` and pyo3's `text_signature`: `first` (`$cls`, or
/// nothing), then every keyword with its default.
pub fn python_signature() -> String {
    let mut parts = Vec::new();
    let mut star = false;
    for o in python_options() {
        if !python_positional(o) && !star {
            parts.push("*".to_string());
            star = true;
        }
        parts.push(format!("{}={}", o.name, python_default(o)));
    }
    format!("({})", parts.join(", "))
}
