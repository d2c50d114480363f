//! Per-value checks: one value against its row of the parameter table, and the violations
//! that name a single parameter (`wrong_type`, `required`, `unknown_field`). A leaf: it knows
//! the table, not the request. Cross-field rules are in `validate.rs`.

use crate::error::{Violation, ViolationCode};
use crate::preset_style;
use crate::spec::{self, Kind, Naming, ParamSpec, Rule};
use crate::suggest::did_you_mean;
use crate::value::ParamValue;

/// Checks one value against its row of the table: its kind, then its rule.
/// `None` when the value is fine. [`ParamValue::Null`] is fine (absent).
pub fn check_value(spec: &ParamSpec, value: &ParamValue) -> Option<Violation> {
    let v = |code, message: String| Some(Violation::new(spec.wire, code, message));
    // Built only when a message is needed: validation of a good request allocates nothing here.
    let label = || spec.label();
    match (spec.kind, value) {
        (_, ParamValue::Null) => None,
        (Kind::String, ParamValue::Str(s)) => match spec.rule {
            Rule::NotBlank if s.trim().is_empty() => v(
                ViolationCode::Blank,
                format!("{} must not be blank", label()),
            ),
            Rule::OneOf(allowed) if !allowed.contains(&s.as_str()) => v(
                ViolationCode::NotAllowedValue,
                not_allowed_message(spec, s, allowed),
            ),
            Rule::OneOfIgnoreCase(allowed) if preset_style::canonical(s).is_none() => v(
                ViolationCode::NotAllowedValue,
                not_allowed_message(spec, s, allowed),
            ),
            _ => None,
        },
        (Kind::Integer, ParamValue::Int(i)) => match spec.rule {
            Rule::IntRange(min, max) if *i < min as i128 || *i > max as i128 => v(
                ViolationCode::OutOfRange,
                format!(
                    "{} must be between {min} and {max} (inclusive), got {i}",
                    label()
                ),
            ),
            _ => None,
        },
        (Kind::Float, ParamValue::Int(_) | ParamValue::Float(_)) => {
            let f = match value {
                ParamValue::Int(i) => *i as f64,
                ParamValue::Float(f) => *f,
                _ => unreachable!("matched above"),
            };
            if !f.is_finite() {
                return v(
                    ViolationCode::NotFinite,
                    format!("{} must be a finite number, got {f}", label()),
                );
            }
            match spec.rule {
                Rule::FloatRange(min, max) if f < min || f > max => v(
                    ViolationCode::OutOfRange,
                    format!(
                        "{} must be between {min} and {max} (inclusive), got {f}",
                        label()
                    ),
                ),
                Rule::FloatOneOf(allowed) if !allowed.iter().any(|a| (a - f).abs() < 1e-9) => v(
                    ViolationCode::NotAllowedValue,
                    format!(
                        "{} must be one of {}, got {f}",
                        label(),
                        spec.allowed().unwrap_or_default().replace(" | ", ", ")
                    ),
                ),
                _ => None,
            }
        }
        (Kind::Bool, ParamValue::Bool(_)) => None,
        (Kind::StringList, ParamValue::List(items)) => {
            if let Some((i, bad)) = items
                .iter()
                .enumerate()
                .find(|(_, it)| !matches!(it, ParamValue::Str(_)))
            {
                return v(
                    ViolationCode::WrongType,
                    format!(
                        "{} must be a list of strings; item {i} is {} {}",
                        label(),
                        bad.type_name(),
                        bad.display()
                    ),
                );
            }
            if let Rule::MaxItems(max) = spec.rule
                && items.len() > max
            {
                return v(
                    ViolationCode::TooMany,
                    format!("{} takes at most {max} items, got {}", label(), items.len()),
                );
            }
            if let Some(i) = items
                .iter()
                .position(|it| matches!(it, ParamValue::Str(s) if s.trim().is_empty()))
            {
                return v(
                    ViolationCode::Blank,
                    format!("{}: item {i} must not be blank", label()),
                );
            }
            None
        }
        _ => Some(wrong_type(spec, value)),
    }
}

/// The `wrong_type` violation for a value of the wrong JSON type.
pub fn wrong_type(spec: &ParamSpec, value: &ParamValue) -> Violation {
    Violation::new(
        spec.wire,
        ViolationCode::WrongType,
        format!(
            "{} must be {}, got {} {}",
            spec.label(),
            spec.kind.describe(),
            value.type_name(),
            value.display()
        ),
    )
}

/// The `required` violation.
pub fn required(spec: &ParamSpec) -> Violation {
    Violation::new(
        spec.wire,
        ViolationCode::Required,
        format!(
            "{} is required: {}",
            spec.label(),
            spec.description.to_lowercase()
        ),
    )
}

/// The `unknown_field` violation, with a "did you mean" across every naming.
pub fn unknown_field(name: &str, naming: Naming) -> Violation {
    let own = spec::names(naming);
    // A name spelled in another naming (e.g. a wire name passed as an SDK keyword).
    let cross = [Naming::Wire, Naming::Sdk, Naming::Camel]
        .into_iter()
        .find_map(|other| spec::lookup(name, other))
        .map(|p| match naming {
            Naming::Wire => p.wire.to_string(),
            Naming::Sdk => p.sdk.to_string(),
            Naming::Camel => p.camel().to_string(),
        });
    let suggestion = cross.or_else(|| did_you_mean(name, &own));
    let message = match suggestion {
        Some(s) => format!("unknown field {name:?} (did you mean {s:?}?)"),
        None => format!("unknown field {name:?}; known fields: {}", own.join(", ")),
    };
    Violation::new(name, ViolationCode::UnknownField, message)
}

/// "size must be one of: a, b; got "x" (did you mean "y"?)".
pub fn not_allowed_message(spec: &ParamSpec, got: &str, allowed: &[&str]) -> String {
    let mut m = format!(
        "{} must be one of: {}; got {got:?}",
        spec.label(),
        allowed.join(", ")
    );
    if let Some(s) = did_you_mean(got, allowed) {
        m.push_str(&format!(" (did you mean {s:?}?)"));
    }
    m
}
