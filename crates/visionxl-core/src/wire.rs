//! Constants and the request body of the features endpoint.

use serde_json::Value;

use crate::error::{Violation, ViolationCode};
use crate::value::ParamValue;

use crate::request::GenerateRequest;

/// The Leonardo Vision XL model id.
pub const MODEL_ID: &str = "5c232a9e-9061-4777-980a-ddc8e65647c6";
/// The feature type for image generation.
pub const FEATURE_TYPE: &str = "IMAGE_GENERATOR";
/// The live service.
pub const DEFAULT_BASE_URL: &str = "https://api.1min.ai";
/// The generation endpoint's path.
pub const FEATURES_PATH: &str = "/api/features";
/// The record endpoint's path prefix (`/api/results/{id}`).
pub const RESULTS_PATH: &str = "/api/results";
/// The asset upload endpoint's path.
pub const ASSETS_PATH: &str = "/api/assets";
/// The header carrying the API key.
pub const API_KEY_HEADER: &str = "API-KEY";
/// The API key the emulator accepts out of the box.
pub const EMULATOR_API_KEY: &str = "vxl-emulator-key";

/// The whole body of `POST /api/features`; `async_mode` adds `"async": true`.
///
/// ```
/// let req = visionxl_core::GenerateRequest::new("a fox");
/// let body = visionxl_core::wire::request_body(&req, false);
/// assert_eq!(body["type"], "IMAGE_GENERATOR");
/// assert_eq!(body["promptObject"]["prompt"], "a fox");
/// ```
pub fn request_body(req: &GenerateRequest, async_mode: bool) -> Value {
    serde_json::to_value(Body::new(req, async_mode)).unwrap_or(Value::Null)
}

/// The body of `POST /api/features` as bytes, serialised straight from the typed request.
pub fn request_body_bytes(req: &GenerateRequest, async_mode: bool) -> Vec<u8> {
    serde_json::to_vec(&Body::new(req, async_mode)).unwrap_or_default()
}

/// The body of `POST /api/features`, borrowing the request.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Body<'a> {
    /// Always [`FEATURE_TYPE`].
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Always [`MODEL_ID`].
    pub model: &'static str,
    /// The request.
    #[serde(rename = "promptObject")]
    pub prompt_object: &'a GenerateRequest,
    /// `"async": true` asks for PROCESSING at once (omitted when false).
    #[serde(rename = "async", skip_serializing_if = "std::ops::Not::not")]
    pub async_mode: bool,
}

impl<'a> Body<'a> {
    /// The body for `req`.
    pub fn new(req: &'a GenerateRequest, async_mode: bool) -> Self {
        Body {
            kind: FEATURE_TYPE,
            model: MODEL_ID,
            prompt_object: req,
            async_mode,
        }
    }
}

/// True when an object with these keys is a whole request body (`{"type", "model",
/// "promptObject"}`) rather than a `promptObject` itself. Front doors that read a request from
/// JSON (or from a Python dict) accept both; `has` says whether a key is present.
pub fn is_request_body(has: impl Fn(&str) -> bool) -> bool {
    has("promptObject") && (has("type") || has("model"))
}

/// The violation for a `promptObject` that is not an object (`got` names what it was).
pub fn not_an_object(got: &str) -> Violation {
    Violation::new(
        "promptObject",
        ViolationCode::WrongType,
        format!("promptObject must be a JSON object, got {got}"),
    )
}

/// The parameters of a `promptObject` given as JSON, or of the one inside a whole request body:
/// every `(wire name, value)` pair, for [`GenerateRequest::check_params`] with wire names.
///
/// ```
/// let body = serde_json::json!({"type": "IMAGE_GENERATOR", "promptObject": {"prompt": "a fox"}});
/// let params = visionxl_core::wire::prompt_object_params(&body).unwrap();
/// assert_eq!(params[0].0, "prompt");
/// ```
pub fn prompt_object_params(json: &Value) -> Result<Vec<(String, ParamValue)>, Violation> {
    let obj = if is_request_body(|k| json.get(k).is_some()) {
        &json["promptObject"]
    } else {
        json
    };
    match obj {
        Value::Object(map) => Ok(map
            .iter()
            .map(|(k, v)| (k.clone(), ParamValue::from(v)))
            .collect()),
        other => Err(not_an_object(ParamValue::from(other).type_name())),
    }
}
