//! The OpenAI `POST /v1/images/generations` body (and the fields of `/v1/images/edits`), turned
//! into a validated [`GenerateRequest`].
//!
//! OpenAI's own fields are read here (the table of `docs/serve.md`): `model` (the served names
//! of [`Models`]), `size` through [`map_size`], `response_format`, `quality` (-> a preset),
//! `background` (-> `transparency`), `output_format`, `output_compression`, `stream`;
//! `user`, `style`, `moderation` and `partial_images` are accepted and ignored. Every other
//! field is a Vision XL parameter, by its SDK name (`guidance_scale`) or its wire name
//! (`leonardo_guidance_scale`), both looked up in the core's table (`visionxl::spec`); the same
//! parameter given under both names with different values is a 400 naming both. The core
//! validates everything and reports every problem at once; nothing is re-implemented here.

use std::collections::HashMap;

use axum::http::StatusCode;
use serde_json::Value;
use visionxl::spec::{self, Field, ParamSpec};
use visionxl::{GenerateRequest, Naming, ParamValue, Preset, Size, Violation, ViolationCode, wire};

use super::errors::ApiError;
use super::sizes::map_size;

/// The model id the server lists and accepts.
pub const MODEL_NAME: &str = "leonardo-vision-xl";

/// OpenAI fields that have no Vision XL meaning: accepted (tools send them with their
/// defaults) and ignored.
pub const IGNORED_FIELDS: [&str; 4] = ["user", "style", "moderation", "partial_images"];

/// The `quality` values OpenAI documents and the preset each one means here (`None`: the
/// service's defaults). An explicit `preset` field wins.
pub const QUALITY_PRESETS: [(&str, Option<Preset>); 6] = [
    ("auto", None),
    ("low", None),
    ("medium", None),
    ("standard", None),
    ("high", Some(Preset::MaxDetail)),
    ("hd", Some(Preset::MaxDetail)),
];

/// The error code of two names of one parameter given with different values.
pub const CONFLICT_CODE: &str = "conflicting_parameters";

/// How the images are returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResponseFormat {
    /// `{"url": ...}`: the service's download URLs (the first is signed and expires), or the
    /// server's own with `--image-proxy`.
    #[default]
    Url,
    /// `{"b64_json": ...}`: every image downloaded by the server and base64-encoded.
    B64Json,
}

/// An image format of `output_format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// PNG.
    Png,
    /// JPEG (`output_compression` is its quality).
    Jpeg,
    /// WebP (lossless when the server re-encodes it).
    Webp,
}

impl OutputFormat {
    /// `png`, `jpeg`, `webp`.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputFormat::Png => "png",
            OutputFormat::Jpeg => "jpeg",
            OutputFormat::Webp => "webp",
        }
    }

    /// The `Content-Type`.
    pub fn mime(self) -> &'static str {
        match self {
            OutputFormat::Png => "image/png",
            OutputFormat::Jpeg => "image/jpeg",
            OutputFormat::Webp => "image/webp",
        }
    }

    /// The format of `png`, `jpeg`/`jpg`, `webp` (any case).
    pub fn parse(s: &str) -> Option<OutputFormat> {
        match s.to_ascii_lowercase().as_str() {
            "png" => Some(OutputFormat::Png),
            "jpeg" | "jpg" => Some(OutputFormat::Jpeg),
            "webp" => Some(OutputFormat::Webp),
            _ => None,
        }
    }
}

/// The model names the server answers to: [`MODEL_NAME`], the 1min.ai model id, and every
/// `--model-alias`.
#[derive(Debug, Clone, Default)]
pub struct Models {
    /// The `--model-alias` names, in the order given.
    pub aliases: Vec<String>,
}

impl Models {
    /// The served names plus these aliases.
    pub fn with_aliases(aliases: impl IntoIterator<Item = String>) -> Models {
        let mut m = Models::default();
        for a in aliases {
            let a = a.trim().to_string();
            if !a.is_empty() && !m.serves(&a) {
                m.aliases.push(a);
            }
        }
        m
    }

    /// Whether `model` names Vision XL here (the main name in any case, the rest exactly).
    pub fn serves(&self, model: &str) -> bool {
        model.eq_ignore_ascii_case(MODEL_NAME)
            || model == wire::MODEL_ID
            || self.aliases.iter().any(|a| a == model)
    }

    /// Every name listed by `GET /v1/models`.
    pub fn listed(&self) -> Vec<String> {
        let mut v = vec![MODEL_NAME.to_string()];
        v.extend(self.aliases.iter().cloned());
        v
    }

    /// The 404 for a model this server does not serve.
    pub fn not_found(&self, model: &str) -> ApiError {
        let names: Vec<String> = self.listed().iter().map(|n| format!("`{n}`")).collect();
        ApiError::new(
            StatusCode::NOT_FOUND,
            super::errors::INVALID_REQUEST,
            format!(
                "The model `{model}` does not exist on this server; it serves {} (all Leonardo \
                 Vision XL; `visionxl serve --model-alias NAME` adds a name).",
                names.join(", ")
            ),
        )
        .with_param("model")
        .with_code("model_not_found")
    }
}

/// A request ready to send.
#[derive(Debug, Clone)]
pub struct ImagesRequest {
    /// The validated Vision XL request.
    pub request: GenerateRequest,
    /// Warnings of the core's validation (they never block).
    pub warnings: Vec<Violation>,
    /// How the caller wants the images.
    pub format: ResponseFormat,
    /// The Vision XL size used (after mapping).
    pub size: Size,
    /// The model name as the caller sent it (or [`MODEL_NAME`]).
    pub model: String,
    /// `quality` as asked (`auto` when absent), echoed in the answer.
    pub quality: String,
    /// `background` as asked (`auto` when absent), echoed in the answer.
    pub background: String,
    /// The format the caller wants the bytes in; `None`: as the service made them.
    pub output_format: Option<OutputFormat>,
    /// `output_compression` (0..=100) for jpeg.
    pub output_compression: Option<u8>,
    /// `stream: true`: answer with server-sent events.
    pub stream: bool,
}

/// Parses and validates a JSON request body; every problem is reported at once as a 400, an
/// unknown model as a 404.
pub fn parse(body: &[u8], models: &Models) -> Result<ImagesRequest, ApiError> {
    let json: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::invalid_request(format!(
            "We could not parse the JSON body of your request ({e}). The body must be a JSON \
             object such as {{\"model\": \"{MODEL_NAME}\", \"prompt\": \"a fox\"}}."
        ))
        .with_code("invalid_json")
    })?;
    let Value::Object(fields) = json else {
        return Err(
            ApiError::invalid_request("the request body must be a JSON object")
                .with_code("invalid_json"),
        );
    };
    parse_fields(fields.iter().map(|(k, v)| (k.as_str(), v)), models)
}

/// The same for fields already split (multipart edits send every value as text: numbers and
/// booleans there are read by [`text_value`]).
pub fn parse_fields<'a>(
    fields: impl IntoIterator<Item = (&'a str, &'a Value)>,
    models: &Models,
) -> Result<ImagesRequest, ApiError> {
    let mut own: Vec<Violation> = Vec::new();
    let mut conflicts: Vec<Violation> = Vec::new();
    let mut params: Vec<(&'static str, ParamValue)> = Vec::new();
    // Each Vision XL parameter seen, with the name it came under and its value.
    let mut seen: HashMap<Field, (String, ParamValue)> = HashMap::new();
    let mut give = |name: &str,
                    spec: &'static ParamSpec,
                    value: ParamValue,
                    params: &mut Vec<(&'static str, ParamValue)>,
                    conflicts: &mut Vec<Violation>| {
        if value == ParamValue::Null {
            return;
        }
        if let Some((first, earlier)) = seen.get(&spec.field) {
            if *earlier != value {
                conflicts.push(Violation::new(
                    spec.wire,
                    ViolationCode::NotAllowedValue,
                    format!(
                        "`{first}` and `{name}` both set {} and disagree ({} vs {}); send one \
                         of them",
                        spec.label(),
                        short_param(earlier),
                        short_param(&value)
                    ),
                ));
            }
            return;
        }
        seen.insert(spec.field, (name.to_string(), value.clone()));
        params.push((spec.sdk, value));
    };
    let mut format = None;
    let mut preset = None;
    let mut quality_preset = None;
    let mut model = MODEL_NAME.to_string();
    let mut quality = "auto".to_string();
    let mut background = "auto".to_string();
    let mut output_format = None;
    let mut output_compression = None;
    let mut stream = false;
    let mut unknown: Vec<(String, ParamValue)> = Vec::new();
    for (name, value) in fields {
        match name {
            "model" => match value {
                Value::Null => {}
                Value::String(m) if models.serves(m) => model = m.clone(),
                Value::String(m) => return Err(models.not_found(m)),
                other => own.push(Violation::new(
                    "model",
                    ViolationCode::WrongType,
                    format!("model must be a string; got {}", short(other)),
                )),
            },
            "response_format" => match value {
                Value::Null => {}
                Value::String(f) if f == "url" => format = Some(ResponseFormat::Url),
                Value::String(f) if f == "b64_json" => format = Some(ResponseFormat::B64Json),
                other => own.push(Violation::new(
                    "response_format",
                    ViolationCode::NotAllowedValue,
                    format!(
                        "response_format must be \"url\" or \"b64_json\"; got {}",
                        short(other)
                    ),
                )),
            },
            "size" => match value {
                Value::Null => {}
                Value::String(s) => match map_size(s) {
                    Ok(size) => give(
                        "size",
                        spec::by_field(Field::Size),
                        ParamValue::from(size.as_str()),
                        &mut params,
                        &mut conflicts,
                    ),
                    Err(v) => own.push(v),
                },
                other => own.push(Violation::new(
                    "size",
                    ViolationCode::WrongType,
                    format!(
                        "size must be a string such as \"1024x1024\" or \"auto\"; got {}",
                        short(other)
                    ),
                )),
            },
            "preset" => match value {
                Value::Null => {}
                Value::String(p) => match p.parse::<Preset>() {
                    Ok(p) => preset = Some(p),
                    Err(e) => own.extend(e.violations().iter().cloned()),
                },
                other => own.push(Violation::new(
                    "preset",
                    ViolationCode::WrongType,
                    format!("preset must be a string; got {}", short(other)),
                )),
            },
            "quality" => match value {
                Value::Null => {}
                Value::String(q) => {
                    match QUALITY_PRESETS
                        .iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case(q))
                    {
                        Some((n, p)) => {
                            quality = n.to_string();
                            quality_preset = *p;
                        }
                        None => own.push(Violation::new(
                            "quality",
                            ViolationCode::NotAllowedValue,
                            format!(
                                "quality must be one of {}; got {q:?}",
                                QUALITY_PRESETS.map(|(n, _)| n).join(", ")
                            ),
                        )),
                    }
                }
                other => own.push(Violation::new(
                    "quality",
                    ViolationCode::WrongType,
                    format!("quality must be a string; got {}", short(other)),
                )),
            },
            "background" => match value {
                Value::Null => {}
                Value::String(b) => match b.to_ascii_lowercase().as_str() {
                    "transparent" => {
                        background = "transparent".into();
                        give(
                            "background",
                            spec::by_field(Field::Transparency),
                            ParamValue::from("foreground_only"),
                            &mut params,
                            &mut conflicts,
                        );
                    }
                    b @ ("opaque" | "auto") => background = b.to_string(),
                    _ => own.push(Violation::new(
                        "background",
                        ViolationCode::NotAllowedValue,
                        format!(
                            "background must be \"transparent\", \"opaque\" or \"auto\"; got {b:?}"
                        ),
                    )),
                },
                other => own.push(Violation::new(
                    "background",
                    ViolationCode::WrongType,
                    format!("background must be a string; got {}", short(other)),
                )),
            },
            "output_format" => match value {
                Value::Null => {}
                Value::String(f) => match OutputFormat::parse(f) {
                    Some(f) => output_format = Some(f),
                    None => own.push(Violation::new(
                        "output_format",
                        ViolationCode::NotAllowedValue,
                        format!("output_format must be \"png\", \"jpeg\" or \"webp\"; got {f:?}"),
                    )),
                },
                other => own.push(Violation::new(
                    "output_format",
                    ViolationCode::WrongType,
                    format!("output_format must be a string; got {}", short(other)),
                )),
            },
            "output_compression" => match value {
                Value::Null => {}
                v => match v.as_u64().filter(|c| *c <= 100) {
                    Some(c) => output_compression = Some(c as u8),
                    None => own.push(Violation::new(
                        "output_compression",
                        ViolationCode::OutOfRange,
                        format!(
                            "output_compression must be an integer from 0 to 100; got {}",
                            short(v)
                        ),
                    )),
                },
            },
            "stream" => match value {
                Value::Null | Value::Bool(false) => {}
                Value::Bool(true) => stream = true,
                other => own.push(Violation::new(
                    "stream",
                    ViolationCode::WrongType,
                    format!("stream must be true or false; got {}", short(other)),
                )),
            },
            n if IGNORED_FIELDS.contains(&n) => {}
            _ => match spec::by_sdk(name).or_else(|| spec::by_wire(name)) {
                Some(p) => give(
                    name,
                    p,
                    ParamValue::from(value),
                    &mut params,
                    &mut conflicts,
                ),
                None => unknown.push((name.to_string(), ParamValue::from(value))),
            },
        }
    }

    let names = params
        .into_iter()
        .map(|(n, v)| (n.to_string(), v))
        .chain(unknown);
    let checked = GenerateRequest::check_params(names, Naming::Sdk, preset.or(quality_preset));
    let conflict = !conflicts.is_empty();
    conflicts.extend(own);
    own = conflicts;
    own.extend(checked.report.errors);
    if !own.is_empty() {
        let mut e = ApiError::from_violations(&own);
        if conflict {
            e.code = Some(CONFLICT_CODE.into());
        }
        return Err(e);
    }
    let size = checked.request.size;
    let format = format.unwrap_or(if model.to_ascii_lowercase().starts_with("gpt-image") {
        ResponseFormat::B64Json
    } else {
        ResponseFormat::Url
    });
    Ok(ImagesRequest {
        request: checked.request,
        warnings: checked.report.warnings,
        format,
        size,
        model,
        quality,
        background,
        output_format,
        output_compression,
        stream,
    })
}

/// A multipart text field as JSON: `true`/`false`, numbers and JSON arrays as such, the rest
/// as a string.
pub fn text_value(name: &str, text: &str) -> Value {
    let t = text.trim();
    let keep_text = matches!(
        name,
        "prompt" | "negative_prompt" | "negativePrompt" | "model" | "size" | "user"
    );
    if !keep_text
        && let Ok(v @ (Value::Bool(_) | Value::Number(_) | Value::Array(_) | Value::Null)) =
            serde_json::from_str::<Value>(t)
    {
        return v;
    }
    Value::String(text.to_string())
}

/// A value for an error message, cut short.
fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}...", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

fn short_param(v: &ParamValue) -> String {
    let s = match v {
        ParamValue::Str(s) => format!("{s:?}"),
        ParamValue::Int(i) => i.to_string(),
        ParamValue::Float(f) => f.to_string(),
        ParamValue::Bool(b) => b.to_string(),
        other => format!("{other:?}"),
    };
    if s.chars().count() > 60 {
        format!("{}...", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
