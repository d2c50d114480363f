//! Values spelled as literals of each language.

use crate::value::ParamValue;

/// A POSIX shell word: single-quoted unless it is made only of safe characters.
pub(super) fn shell(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// A JSON string literal, which is also a valid Python, JavaScript and Rust string literal for
/// the text it holds (serde_json escapes quotes, back-slashes and control characters only).
pub(super) fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// A C string literal holding `s` (UTF-8 kept; `??` broken up so no trigraph forms).
pub(super) fn c_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut prev = '\0';
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '?' if prev == '?' => out.push_str("\\?"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\{:03o}", c as u32)),
            c => out.push(c),
        }
        prev = ch;
    }
    out.push('"');
    out
}

/// A number as JSON writes it (floats keep a `.` or exponent so they stay floats in Python).
pub(super) fn number(v: &ParamValue) -> String {
    match v {
        ParamValue::Int(i) => i.to_string(),
        ParamValue::Float(f) => {
            let s = serde_json::to_string(f).unwrap_or_else(|_| f.to_string());
            if s.contains(['.', 'e', 'E']) {
                s
            } else {
                format!("{s}.0")
            }
        }
        other => other.to_json().to_string(),
    }
}

/// A value in Python: `True`, `"text"`, `["a", "b"]`, `0.5`.
pub(super) fn python(v: &ParamValue) -> String {
    match v {
        ParamValue::Bool(true) => "True".into(),
        ParamValue::Bool(false) => "False".into(),
        ParamValue::Str(s) => json_str(s),
        ParamValue::List(items) => list(items, python),
        other => number(other),
    }
}

/// A value in JavaScript (JSON is valid JavaScript).
pub(super) fn js(v: &ParamValue) -> String {
    match v {
        ParamValue::Str(s) => json_str(s),
        ParamValue::List(items) => list(items, js),
        ParamValue::Bool(b) => b.to_string(),
        other => number(other),
    }
}

/// A value as a Rust `ParamValue` expression.
pub(super) fn rust(v: &ParamValue) -> String {
    match v {
        ParamValue::Bool(b) => format!("ParamValue::Bool({b})"),
        ParamValue::Int(i) => format!("ParamValue::Int({i})"),
        ParamValue::Float(_) => format!("ParamValue::Float({})", number(v)),
        ParamValue::Str(s) => format!("ParamValue::from({})", json_str(s)),
        ParamValue::List(items) => format!("ParamValue::List(vec![{}])", join(items, rust)),
        other => format!("ParamValue::from({})", json_str(other.type_name())),
    }
}

fn list(items: &[ParamValue], f: fn(&ParamValue) -> String) -> String {
    format!("[{}]", join(items, f))
}

fn join(items: &[ParamValue], f: fn(&ParamValue) -> String) -> String {
    items.iter().map(f).collect::<Vec<_>>().join(", ")
}
