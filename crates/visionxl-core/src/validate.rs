//! Validation of a whole request: every value checked against its row of
//! [`crate::spec::PARAMS`] (through `check.rs`), the cross-field rules, and the non-blocking
//! warnings, all reported at once.

use crate::error::{Report, Violation, ViolationCode};
use crate::preset_style;
use crate::request::GenerateRequest;
use crate::spec::{self, Field, PARAMS};
use crate::value::ParamValue;

pub use crate::check::{check_value, not_allowed_message, required, unknown_field, wrong_type};

impl GenerateRequest {
    /// Every error and warning of this request.
    pub fn validate(&self) -> Report {
        validate(self)
    }
}

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
    cross_field(req, errors)
}

/// The cross-field rules and the warnings of a request whose values were checked one by one
/// already (`errors`: what that found; a warning on a field with an error is left out).
pub(crate) fn cross_field(req: &GenerateRequest, mut errors: Vec<Violation>) -> Report {
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
        let (setting, allowed) = preset_style::documented_for(alchemy, photo_real);
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
