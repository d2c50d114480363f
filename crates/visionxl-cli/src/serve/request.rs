//! The OpenAI `POST /v1/images/generations` body, turned into a validated [`GenerateRequest`].
//!
//! OpenAI's own fields are read here (`model`, `size` through [`map_size`], `response_format`;
//! `user`, `quality` and `style` are accepted and ignored); every other field is handed to the
//! core by its SDK name (`prompt`, `n`, `negative_prompt`, `guidance_scale`, ..., which is what
//! the OpenAI SDKs send through `extra_body`), plus `preset`. The core validates everything and
//! reports every problem at once, unknown fields included; nothing is re-implemented here.

use serde_json::Value;
use visionxl::{GenerateRequest, Naming, ParamValue, Preset, Size, Violation, ViolationCode, wire};

use super::errors::ApiError;
use super::sizes::map_size;

/// The model id the server lists and accepts.
pub const MODEL_NAME: &str = "leonardo-vision-xl";

/// OpenAI fields that have no Vision XL meaning: accepted (tools send them with their
/// defaults) and ignored.
pub const IGNORED_FIELDS: [&str; 3] = ["user", "quality", "style"];

/// How the images are returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResponseFormat {
    /// `{"url": ...}`: the service's download URLs (the first is signed and expires).
    #[default]
    Url,
    /// `{"b64_json": ...}`: every image downloaded by the server and base64-encoded.
    B64Json,
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
}

/// Parses and validates a request body; every problem is reported at once as a 400.
pub fn parse(body: &[u8]) -> Result<ImagesRequest, ApiError> {
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

    let mut own: Vec<Violation> = Vec::new();
    let mut params: Vec<(String, ParamValue)> = Vec::with_capacity(fields.len());
    let mut format = ResponseFormat::Url;
    let mut preset = None;
    for (name, value) in &fields {
        match name.as_str() {
            "model" => match value {
                Value::Null => {}
                Value::String(m) if m.eq_ignore_ascii_case(MODEL_NAME) || m == wire::MODEL_ID => {}
                other => own.push(Violation::new(
                    "model",
                    ViolationCode::NotAllowedValue,
                    format!(
                        "this server serves only {MODEL_NAME:?} (1min.ai model id {:?}); got {}",
                        wire::MODEL_ID,
                        short(other)
                    ),
                )),
            },
            "response_format" => match value {
                Value::Null => {}
                Value::String(f) if f == "url" => format = ResponseFormat::Url,
                Value::String(f) if f == "b64_json" => format = ResponseFormat::B64Json,
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
                    Ok(size) => params.push(("size".into(), ParamValue::from(size.as_str()))),
                    Err(v) => own.push(v),
                },
                other => own.push(Violation::new(
                    "size",
                    ViolationCode::WrongType,
                    format!(
                        "size must be a string such as \"1024x1024\"; got {}",
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
            n if IGNORED_FIELDS.contains(&n) => {}
            _ => params.push((name.clone(), ParamValue::from(value))),
        }
    }

    let checked = GenerateRequest::check_params(params, Naming::Sdk, preset);
    own.extend(checked.report.errors);
    if !own.is_empty() {
        return Err(ApiError::from_violations(&own));
    }
    let size = checked.request.size;
    Ok(ImagesRequest {
        request: checked.request,
        warnings: checked.report.warnings,
        format,
        size,
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(body: Value) -> ImagesRequest {
        parse(body.to_string().as_bytes()).unwrap()
    }
    fn err(body: Value) -> ApiError {
        parse(body.to_string().as_bytes()).unwrap_err()
    }

    #[test]
    fn a_plain_openai_request() {
        let r = ok(
            json!({"model": "leonardo-vision-xl", "prompt": "a fox", "n": 3,
                          "size": "1792x1024", "response_format": "b64_json", "user": "u1"}),
        );
        assert_eq!(r.request.prompt, "a fox");
        assert_eq!(r.request.n, 3);
        assert_eq!(r.size, Size::S1024x768);
        assert_eq!(r.request.size, Size::S1024x768);
        assert_eq!(r.format, ResponseFormat::B64Json);
    }

    #[test]
    fn defaults_and_the_model_id() {
        let r = ok(json!({"prompt": "a fox"}));
        assert_eq!(
            (r.request.n, r.size, r.format),
            (1, Size::S1024x1024, ResponseFormat::Url)
        );
        ok(json!({"prompt": "a fox", "model": wire::MODEL_ID}));
        ok(
            json!({"prompt": "a fox", "model": "Leonardo-Vision-XL", "quality": "hd", "style": "vivid"}),
        );
    }

    #[test]
    fn vision_xl_parameters_by_sdk_name_and_presets() {
        let r = ok(
            json!({"prompt": "a fox", "negative_prompt": "blur", "guidance_scale": 9,
                          "seed": 42, "tiling": true, "preset_style": "anime", "preset": "max_detail"}),
        );
        assert_eq!(r.request.negative_prompt.as_deref(), Some("blur"));
        assert_eq!(r.request.guidance_scale, Some(9));
        assert_eq!(r.request.seed, Some(42));
        assert_eq!(r.request.tiling, Some(true));
        assert_eq!(r.request.num_inference_steps, Some(45), "from the preset");
        let wire = r.request.to_wire();
        assert_eq!(wire["leonardo_tilling"], true);
    }

    #[test]
    fn every_problem_at_once_with_the_first_as_param() {
        let e = err(
            json!({"prompt": "a fox", "n": 9, "guidance_scale": 99, "wat": 1,
                           "response_format": "png"}),
        );
        assert_eq!(e.status.as_u16(), 400);
        assert_eq!(e.param.as_deref(), Some("response_format"));
        for needle in ["n:", "guidance_scale:", "wat", "response_format"] {
            assert!(e.message.contains(needle), "{needle} in {}", e.message);
        }
    }

    #[test]
    fn single_problems_name_their_field() {
        let cases = [
            (json!({"prompt": "a fox", "n": 5}), "n", "out_of_range"),
            (json!({"prompt": "a fox", "n": 0}), "n", "out_of_range"),
            (
                json!({"prompt": "a fox", "size": "huge"}),
                "size",
                "not_allowed_value",
            ),
            (
                json!({"prompt": "a fox", "size": 1024}),
                "size",
                "wrong_type",
            ),
            (
                json!({"prompt": "a fox", "model": "dall-e-3"}),
                "model",
                "not_allowed_value",
            ),
            (
                json!({"prompt": "a fox", "guidance": 3}),
                "guidance",
                "unknown_field",
            ),
            (
                json!({"prompt": "a fox", "leonardo_tilling": true}),
                "leonardo_tilling",
                "unknown_field",
            ),
            (
                json!({"prompt": "a fox", "preset": "fast"}),
                "preset",
                "not_allowed_value",
            ),
            (json!({"prompt": "   "}), "prompt", "blank"),
            (json!({"n": 1}), "prompt", "required"),
            (
                json!({"prompt": "a fox", "stream": true}),
                "stream",
                "unknown_field",
            ),
        ];
        for (body, param, code) in cases {
            let e = err(body.clone());
            assert_eq!(e.param.as_deref(), Some(param), "{body}: {}", e.message);
            assert_eq!(e.code.as_deref(), Some(code), "{body}: {}", e.message);
        }
    }

    #[test]
    fn bodies_that_are_not_json_objects() {
        for body in [&b"not json"[..], b"[1,2]", b"", b"\"a fox\""] {
            let e = parse(body).unwrap_err();
            assert_eq!(e.status.as_u16(), 400);
            assert_eq!(e.code.as_deref(), Some("invalid_json"));
        }
    }
}
