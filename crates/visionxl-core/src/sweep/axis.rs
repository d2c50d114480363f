//! One axis of a sweep: a parameter (by name) and its values, from a list or from text
//! (`7,10,13`, a range `10..15:2.5`, prompts `a fox|a wolf`), or a search-and-replace of a
//! phrase in the base prompt (`prompt_sr=dusk|dawn|night`).

use serde_json::Value;

use crate::check;
use crate::error::{Violation, ViolationCode};
use crate::spec::{self, Field, Kind, Naming, ParamSpec};
use crate::value::ParamValue;

/// The name of the prompt search-and-replace axis: its first value is the phrase to find in
/// the base prompt, every value (the phrase included) replaces it in one cell.
pub const PROMPT_SR: &str = "prompt_sr";

/// The most values one range may produce (a typo in a step should not allocate millions).
pub const MAX_RANGE_VALUES: usize = 1000;

/// What an axis varies.
#[derive(Debug, Clone, PartialEq)]
pub enum AxisTarget {
    /// A parameter of the table.
    Param(&'static ParamSpec),
    /// A phrase of the base prompt, replaced by each value.
    PromptReplace(String),
}

/// One axis: what it varies and the values, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// What the axis varies.
    pub target: AxisTarget,
    /// The values, one per column (first axis), row (second) or sheet (third).
    pub values: Vec<ParamValue>,
}

/// A violation about an axis, its message prefixed with `prefix: `.
fn axis_violation(field: &str, code: ViolationCode, prefix: &str, message: &str) -> Violation {
    Violation::new(field, code, format!("{prefix}: {message}"))
}

impl Axis {
    /// An axis from `name=values` text, as the CLI's `--vary` takes it:
    /// `guidance_scale=7,10,13`, `guidance_scale=10..15:2.5`, `prompt=a fox|a wolf`,
    /// `prompt_sr=dusk|dawn`. Prompts are split on `|` (they hold commas), other values on `,`.
    ///
    /// ```
    /// use visionxl_core::sweep::Axis;
    /// use visionxl_core::{Naming, ParamValue};
    /// let steps = Axis::parse("num_inference_steps=35..50:5", Naming::Sdk).unwrap();
    /// assert_eq!(steps.values, [35, 40, 45, 50].map(ParamValue::Int));
    /// let contrast = Axis::parse("contrast_ratio=0..1:0.25", Naming::Sdk).unwrap();
    /// assert_eq!(contrast.values.len(), 5);
    /// // guidance_scale is an integer: a step of 2.5 is refused, naming the axis.
    /// let err = Axis::parse("guidance_scale=10..15:2.5", Naming::Sdk).unwrap_err();
    /// assert!(err[0].message.starts_with("guidance_scale=10..15:2.5: "));
    /// ```
    pub fn parse(text: &str, naming: Naming) -> Result<Axis, Vec<Violation>> {
        match text.split_once('=') {
            Some((name, values)) => Axis::from_text(name.trim(), values, naming),
            None => Err(vec![Violation::new(
                text,
                ViolationCode::WrongType,
                format!(
                    "{text:?}: an axis is NAME=VALUES (guidance_scale=7,10,13, \
                     guidance_scale=10..15:2.5, prompt=a fox|a wolf, prompt_sr=dusk|dawn)"
                ),
            )]),
        }
    }

    /// An axis over `name` from a value: a list of values, or a string read as in
    /// [`parse`](Self::parse) (a range, a comma- or `|`-separated list); any other single
    /// value is a one-value axis. What bindings call with `vary={name: value}`.
    pub fn from_value(
        name: &str,
        value: ParamValue,
        naming: Naming,
    ) -> Result<Axis, Vec<Violation>> {
        match value {
            ParamValue::Str(text) => Axis::from_text(name, &text, naming),
            ParamValue::List(values) => Axis::new(name, values, naming),
            other => Axis::new(name, vec![other], naming),
        }
    }

    /// An axis over `name` with these values, each checked against the parameter's row.
    pub fn new(
        name: &str,
        values: Vec<ParamValue>,
        naming: Naming,
    ) -> Result<Axis, Vec<Violation>> {
        let target = target(name, naming)?;
        let axis = Axis { target, values };
        axis.check()?;
        Ok(axis)
    }

    /// An axis over `name` from text: a range `start..end[:step]` for numbers, else a list.
    pub fn from_text(name: &str, text: &str, naming: Naming) -> Result<Axis, Vec<Violation>> {
        let target = target(name, naming)?;
        let label = target_name(&target);
        let values = match &target {
            AxisTarget::PromptReplace(_) => {
                split(text, '|').into_iter().map(ParamValue::from).collect()
            }
            AxisTarget::Param(p) if p.field == Field::Prompt => {
                split(text, '|').into_iter().map(ParamValue::from).collect()
            }
            AxisTarget::Param(p) => match parse_range(p, text) {
                Some(range) => range?,
                None => {
                    let mut values = Vec::new();
                    let mut errors = Vec::new();
                    for item in split(text, ',') {
                        match parse_item(p, &item) {
                            Ok(v) => values.push(v),
                            Err(m) => errors.push(axis_violation(
                                p.wire,
                                ViolationCode::WrongType,
                                &format!("{label}={item}"),
                                &m,
                            )),
                        }
                    }
                    if !errors.is_empty() {
                        return Err(errors);
                    }
                    values
                }
            },
        };
        let target = match target {
            AxisTarget::PromptReplace(_) => AxisTarget::PromptReplace(
                values
                    .first()
                    .and_then(|v| match v {
                        ParamValue::Str(s) => Some(s.clone()),
                        _ => None,
                    })
                    .unwrap_or_default(),
            ),
            t => t,
        };
        let axis = Axis { target, values };
        axis.check()?;
        Ok(axis)
    }

    /// The axis's name: the parameter's SDK name, or `prompt_sr`.
    pub fn name(&self) -> &str {
        target_name(&self.target)
    }

    /// The name as `naming` spells it (`guidanceScale` for Node).
    pub fn name_in(&self, naming: Naming) -> &str {
        match (&self.target, naming) {
            (AxisTarget::Param(p), Naming::Camel) => p.camel(),
            (AxisTarget::Param(p), Naming::Wire) => p.wire,
            _ => self.name(),
        }
    }

    /// A value as a label shows it: strings as they are, the rest as JSON.
    pub fn value_label(value: &ParamValue) -> String {
        match value {
            ParamValue::Str(s) => s.clone(),
            other => other.to_json().to_string(),
        }
    }

    /// The values as JSON.
    pub fn values_json(&self) -> Vec<Value> {
        self.values.iter().map(ParamValue::to_json).collect()
    }

    /// Every value checked against the parameter's row; a violation per bad value, naming it.
    fn check(&self) -> Result<(), Vec<Violation>> {
        let name = self.name();
        let mut errors = Vec::new();
        if self.values.is_empty() {
            errors.push(Violation::new(
                name,
                ViolationCode::Required,
                format!("{name}: an axis needs at least one value"),
            ));
        }
        for v in &self.values {
            let prefix = format!("{name}={}", Axis::value_label(v));
            match &self.target {
                AxisTarget::Param(p) => {
                    if p.kind == Kind::StringList {
                        errors.push(axis_violation(
                            p.wire,
                            ViolationCode::NotAllowedValue,
                            name,
                            "a list parameter cannot be swept",
                        ));
                        break;
                    }
                    if *v == ParamValue::Null {
                        errors.push(axis_violation(
                            p.wire,
                            ViolationCode::Required,
                            &prefix,
                            "an axis value must not be null",
                        ));
                    } else if let Some(bad) = check::check_value(p, v) {
                        errors.push(axis_violation(&bad.field, bad.code, &prefix, &bad.message));
                    }
                }
                AxisTarget::PromptReplace(_) => match v {
                    ParamValue::Str(_) => {}
                    other => errors.push(axis_violation(
                        PROMPT_SR,
                        ViolationCode::WrongType,
                        &prefix,
                        &format!("a replacement must be a string, got {}", other.type_name()),
                    )),
                },
            }
        }
        if let AxisTarget::PromptReplace(phrase) = &self.target
            && phrase.trim().is_empty()
            && errors.is_empty()
        {
            errors.push(Violation::new(
                PROMPT_SR,
                ViolationCode::Blank,
                "prompt_sr: the first value is the phrase to replace and must not be blank",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// The name of a target.
fn target_name(t: &AxisTarget) -> &str {
    match t {
        AxisTarget::Param(p) => p.sdk,
        AxisTarget::PromptReplace(_) => PROMPT_SR,
    }
}

/// Looks the axis name up in the table (or `prompt_sr`).
fn target(name: &str, naming: Naming) -> Result<AxisTarget, Vec<Violation>> {
    if name == PROMPT_SR || name == "promptSr" {
        return Ok(AxisTarget::PromptReplace(String::new()));
    }
    match spec::lookup(name, naming) {
        Some(p) => Ok(AxisTarget::Param(p)),
        None => {
            let v = check::unknown_field(name, naming);
            Err(vec![Violation::new(
                v.field,
                v.code,
                format!("cannot vary {name:?}: {}", v.message),
            )])
        }
    }
}

/// Items of a list, trimmed, empty ones dropped.
fn split(text: &str, sep: char) -> Vec<String> {
    text.split(sep)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// One list item as the parameter's kind.
fn parse_item(p: &ParamSpec, item: &str) -> Result<ParamValue, String> {
    let kind = p.kind.describe();
    match p.kind {
        Kind::Integer => item
            .parse::<i128>()
            .map(ParamValue::Int)
            .map_err(|_| format!("{} must be {kind}, got {item:?}", p.sdk)),
        Kind::Float => item
            .parse::<f64>()
            .map(ParamValue::Float)
            .map_err(|_| format!("{} must be {kind}, got {item:?}", p.sdk)),
        Kind::Bool => match item.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(ParamValue::Bool(true)),
            "false" | "no" | "off" | "0" => Ok(ParamValue::Bool(false)),
            _ => Err(format!("{} must be {kind}, got {item:?}", p.sdk)),
        },
        Kind::String => Ok(ParamValue::Str(item.to_string())),
        Kind::StringList => Err(format!("{}: a list parameter cannot be swept", p.sdk)),
    }
}

/// `start..end[:step]` (inclusive of `end` when a step lands on it); `None` when `text` is
/// not a range.
fn parse_range(p: &ParamSpec, text: &str) -> Option<Result<Vec<ParamValue>, Vec<Violation>>> {
    let (start, rest) = text.split_once("..")?;
    let (end, step) = match rest.split_once(':') {
        Some((e, s)) => (e, Some(s)),
        None => (rest, None),
    };
    let fail = |code, m: String| {
        Some(Err(vec![axis_violation(
            p.wire,
            code,
            &format!("{}={text}", p.sdk),
            &m,
        )]))
    };
    if !matches!(p.kind, Kind::Integer | Kind::Float) {
        return fail(
            ViolationCode::WrongType,
            format!(
                "a range start..end:step needs a numeric parameter, and {} is {}",
                p.sdk,
                p.kind.describe()
            ),
        );
    }
    let num = |s: &str| s.trim().parse::<f64>().ok().filter(|f| f.is_finite());
    let (Some(a), Some(b)) = (num(start), num(end)) else {
        return fail(
            ViolationCode::WrongType,
            "a range is start..end or start..end:step, with numbers".into(),
        );
    };
    let step = match step.map(num) {
        None => 1.0,
        Some(Some(s)) => s,
        Some(None) => {
            return fail(ViolationCode::WrongType, "the step must be a number".into());
        }
    };
    if step <= 0.0 || b < a {
        return fail(
            ViolationCode::OutOfRange,
            "a range needs start <= end and a step above 0".into(),
        );
    }
    let count = ((b - a) / step + 1e-9).floor() + 1.0;
    if count > MAX_RANGE_VALUES as f64 {
        return fail(
            ViolationCode::TooMany,
            format!("the range has {count} values, more than {MAX_RANGE_VALUES}"),
        );
    }
    let integer = p.kind == Kind::Integer;
    if integer && [a, b, step].iter().any(|x| x.fract() != 0.0) {
        return fail(
            ViolationCode::WrongType,
            format!(
                "{} is an integer: start, end and step must be whole numbers",
                p.sdk
            ),
        );
    }
    let values = (0..count as usize)
        .map(|i| {
            let x = a + step * i as f64;
            if integer {
                ParamValue::Int(x.round() as i128)
            } else {
                // 0.1 + 0.2 prints as 0.3: round away the float noise of the steps.
                ParamValue::Float((x * 1e9).round() / 1e9)
            }
        })
        .collect();
    Some(Ok(values))
}
