//! Validation: every documented rule, table-driven from [`crate::spec::PARAMS`], reporting every
//! problem at once, plus non-blocking warnings.

use crate::error::{Report, Violation, ViolationCode};
use crate::request::GenerateRequest;
use crate::spec::{self, Field, Kind, Naming, PARAMS, ParamSpec, Rule};
use crate::style;
use crate::suggest::did_you_mean;
use crate::value::ParamValue;

/// Every error and warning of a typed request.
///
/// ```
/// use visionxl_core::{validate, GenerateRequest};
/// let mut req = GenerateRequest::new(" ");
/// req.n = 9;
/// let report = validate(&req);
/// let codes: Vec<_> = report.errors.iter().map(|v| v.code.as_str()).collect();
/// assert_eq!(codes, ["blank", "out_of_range"]);
/// ```
pub fn validate(req: &GenerateRequest) -> Report {
    let mut errors = Vec::new();
    for spec in &PARAMS {
        let value = req.get(spec.field);
        if value == ParamValue::Null {
            continue;
        }
        if let Some(v) = check_value(spec, &value) {
            errors.push(v);
        }
    }
    if req.fantasy_avatar == Some(true) && req.init_image_id.is_none() {
        errors.push(Violation::new(
            wire(Field::FantasyAvatar),
            ViolationCode::Requires,
            "fantasy_avatar (leonardo_fantasy_avatar) requires init_image_id \
             (leonardo_init_image_id): upload an image and pass its reference",
        ));
    }
    if req.photo_real == Some(true) && req.alchemy == Some(false) {
        errors.push(Violation::new(
            wire(Field::PhotoReal),
            ViolationCode::Requires,
            "photo_real (leonardo_photo_real) requires alchemy (leonardo_alchemy): Leonardo runs \
             PhotoReal only with Alchemy on; remove alchemy=false or photo_real=true",
        ));
    }
    let warnings = warnings(req)
        .into_iter()
        .filter(|w| !errors.iter().any(|e| e.field == w.field))
        .collect();
    Report { errors, warnings }
}

fn wire(field: Field) -> &'static str {
    spec::by_field(field).wire
}

fn warnings(req: &GenerateRequest) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut ignored = |field: Field, set: bool, needs: &str| {
        if set {
            let spec = spec::by_field(field);
            out.push(Violation::new(
                spec.wire,
                ViolationCode::Ignored,
                format!("{} has no effect without {needs}", spec.label()),
            ));
        }
    };
    ignored(
        Field::InitStrength,
        req.init_strength.is_some() && req.init_image_id.is_none(),
        "init_image_id",
    );
    ignored(
        Field::EnhancePromptInstruction,
        req.enhance_prompt_instruction.is_some() && req.enhance_prompt != Some(true),
        "enhance_prompt=true",
    );
    let photo_real = req.photo_real == Some(true);
    ignored(
        Field::PhotoRealVersion,
        req.photo_real_version.is_some() && !photo_real,
        "photo_real=true",
    );
    ignored(
        Field::PhotoRealStrength,
        req.photo_real_strength.is_some() && !photo_real,
        "photo_real=true",
    );
    let magic = req.prompt_magic == Some(true);
    ignored(
        Field::PromptMagicVersion,
        req.prompt_magic_version.is_some() && !magic,
        "prompt_magic=true",
    );
    ignored(
        Field::PromptMagicStrength,
        req.prompt_magic_strength.is_some() && !magic,
        "prompt_magic=true",
    );
    if photo_real && req.photo_real_strength.is_some() {
        out.push(Violation::new(
            wire(Field::PhotoRealStrength),
            ViolationCode::UnusualCombination,
            "photo_real_strength (leonardo_photo_real_strength) is documented for PhotoReal v1 \
             only, and the service runs v2: it may be ignored",
        ));
    }
    if let Some(style) = req.preset_style {
        let alchemy = req.alchemy != Some(false);
        let (setting, allowed) = style::documented_for(alchemy, photo_real);
        if !allowed.contains(&style.as_str()) {
            out.push(Violation::new(
                wire(Field::PresetStyle),
                ViolationCode::UnusualCombination,
                format!(
                    "preset_style (leonardo_preset_style) {} is not documented with {setting}; \
                     documented: {}",
                    style.as_str(),
                    allowed.join(", ")
                ),
            ));
        }
    }
    if let Some(hint) = crate::pricing::price_hint(req.size, req.n) {
        out.push(Violation::new("n", ViolationCode::PriceHint, hint));
    }
    out
}

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
            Rule::OneOfIgnoreCase(allowed) if style::canonical(s).is_none() => v(
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
