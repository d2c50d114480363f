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

/// The parameters of a `promptObject` given as JSON text (or of the one inside a whole request
/// body), read straight from the text: the same pairs, in the same order, as
/// [`prompt_object_params`] of the text parsed into a [`Value`], without building that tree
/// (no map of every key, no copy of every string).
///
/// The outer `Err` is the text not being JSON (serde_json's error, as parsing it into a
/// [`Value`] gives); the inner one is [`not_an_object`].
///
/// ```
/// let text = r#"{"type": "IMAGE_GENERATOR", "promptObject": {"prompt": "a fox", "n": 2}}"#;
/// let params = visionxl_core::wire::prompt_object_params_from_str(text).unwrap().unwrap();
/// assert_eq!(params[1], ("n".to_string(), visionxl_core::ParamValue::Int(2)));
/// ```
#[allow(clippy::type_complexity)]
pub fn prompt_object_params_from_str(
    text: &str,
) -> Result<Result<Vec<(String, ParamValue)>, Violation>, serde_json::Error> {
    let top: stream::Node = serde_json::from_str(text)?;
    Ok(top.into_params())
}

/// What [`prompt_object_params_from_str`] reads: JSON straight into [`ParamValue`]s, with the
/// rules of a [`Value`] (an object keeps a key where it first appears and the value it last
/// had; a nested object is read whole, so its errors are the same, and becomes
/// `Other("object")`).
mod stream {
    use std::collections::HashMap;
    use std::fmt;

    use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

    use super::{ParamValue, Violation, is_request_body, not_an_object};
    use crate::spec::PARAMS;

    /// The text, or the `promptObject` in it: an object (its pairs and, at the top, its
    /// `promptObject` read as one of these), or any other value.
    pub(super) enum Node {
        Object {
            pairs: Vec<(String, ParamValue)>,
            prompt_object: Option<Box<Node>>,
        },
        Other(ParamValue),
    }

    impl<'de> de::Deserialize<'de> for Node {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(NodeVisitor::TOP)
        }
    }

    impl Node {
        pub(super) fn into_params(self) -> Result<Vec<(String, ParamValue)>, Violation> {
            match self {
                Node::Object {
                    pairs,
                    prompt_object,
                } => {
                    if !is_request_body(|k| pairs.iter().any(|(name, _)| name == k)) {
                        return Ok(pairs);
                    }
                    match prompt_object.map(|b| *b) {
                        Some(Node::Object { pairs, .. }) => Ok(pairs),
                        Some(Node::Other(v)) => Err(not_an_object(v.type_name())),
                        None => unreachable!("is_request_body saw promptObject"),
                    }
                }
                Node::Other(v) => Err(not_an_object(v.type_name())),
            }
        }
    }

    /// Pairs in first-seen order, a repeated key taking its last value (as serde_json's
    /// order-preserving map does). Small objects are searched in place; large ones get an index.
    struct Pairs {
        pairs: Vec<(String, ParamValue)>,
        index: Option<HashMap<String, usize>>,
    }

    /// The size from which [`Pairs`] keeps an index.
    const INDEX_FROM: usize = 32;

    impl Pairs {
        /// Room for every parameter once: no regrowing while a request is read.
        fn new() -> Self {
            Pairs {
                pairs: Vec::with_capacity(PARAMS.len()),
                index: None,
            }
        }

        fn insert(&mut self, key: String, value: ParamValue) {
            let at = match &self.index {
                Some(index) => index.get(&key).copied(),
                None => self.pairs.iter().position(|(k, _)| *k == key),
            };
            if let Some(i) = at {
                self.pairs[i].1 = value;
                return;
            }
            let at = self.pairs.len();
            match &mut self.index {
                Some(index) => {
                    index.insert(key.clone(), at);
                }
                None if at + 1 >= INDEX_FROM => {
                    let mut index: HashMap<String, usize> = (self.pairs.iter())
                        .enumerate()
                        .map(|(i, (k, _))| (k.clone(), i))
                        .collect();
                    index.insert(key.clone(), at);
                    self.index = Some(index);
                }
                None => {}
            }
            self.pairs.push((key, value));
        }
    }

    /// Reads one value as `ParamValue::from(&Value)` would make it.
    struct Loose;

    impl<'de> DeserializeSeed<'de> for Loose {
        type Value = ParamValue;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<ParamValue, D::Error> {
            d.deserialize_any(NodeVisitor::NESTED)
                .map(|node| match node {
                    Node::Object { .. } => ParamValue::Other("object".into()),
                    Node::Other(v) => v,
                })
        }
    }

    /// Reads a [`Node`]. At the top, `promptObject` is read as a node of its own; below, every
    /// value is [`Loose`]. An object deeper than a `promptObject` is read whole (so it fails
    /// where a [`Value`](serde_json::Value) would), then named only: its pairs are not kept.
    #[derive(Clone, Copy)]
    struct NodeVisitor {
        /// The text itself (where a `promptObject` may be).
        top: bool,
        /// An object here holds parameters (the text, or its `promptObject`).
        params: bool,
    }

    impl NodeVisitor {
        const TOP: NodeVisitor = NodeVisitor {
            top: true,
            params: true,
        };
        const PROMPT_OBJECT: NodeVisitor = NodeVisitor {
            top: false,
            params: true,
        };
        const NESTED: NodeVisitor = NodeVisitor {
            top: false,
            params: false,
        };
    }

    impl<'de> DeserializeSeed<'de> for NodeVisitor {
        type Value = Node;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for NodeVisitor {
        type Value = Node;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any valid JSON value")
        }
        fn visit_bool<E: de::Error>(self, b: bool) -> Result<Node, E> {
            Ok(Node::Other(ParamValue::Bool(b)))
        }
        fn visit_i64<E: de::Error>(self, i: i64) -> Result<Node, E> {
            Ok(Node::Other(ParamValue::Int(i.into())))
        }
        fn visit_u64<E: de::Error>(self, u: u64) -> Result<Node, E> {
            Ok(Node::Other(ParamValue::Int(u.into())))
        }
        fn visit_f64<E: de::Error>(self, f: f64) -> Result<Node, E> {
            Ok(Node::Other(ParamValue::Float(f)))
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<Node, E> {
            Ok(Node::Other(ParamValue::Str(s.to_string())))
        }
        fn visit_string<E: de::Error>(self, s: String) -> Result<Node, E> {
            Ok(Node::Other(ParamValue::Str(s)))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
            Ok(Node::Other(ParamValue::Null))
        }
        fn visit_none<E: de::Error>(self) -> Result<Node, E> {
            Ok(Node::Other(ParamValue::Null))
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
            let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
            while let Some(v) = seq.next_element_seed(Loose)? {
                items.push(v);
            }
            Ok(Node::Other(ParamValue::List(items)))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
            if !self.params {
                while map.next_key::<String>()?.is_some() {
                    map.next_value_seed(Loose)?;
                }
                return Ok(Node::Other(ParamValue::Other("object".into())));
            }
            let mut pairs = Pairs::new();
            let mut prompt_object = None;
            while let Some(key) = map.next_key::<String>()? {
                let value = if self.top && key == "promptObject" {
                    // Kept whole for a request body, and as a value for a promptObject that
                    // names it as a parameter (the last one given, as a map keeps).
                    let node = map.next_value_seed(NodeVisitor::PROMPT_OBJECT)?;
                    let value = match &node {
                        Node::Object { .. } => ParamValue::Other("object".into()),
                        Node::Other(v) => v.clone(),
                    };
                    prompt_object = Some(Box::new(node));
                    value
                } else {
                    map.next_value_seed(Loose)?
                };
                pairs.insert(key, value);
            }
            Ok(Node::Object {
                pairs: pairs.pairs,
                prompt_object,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text read straight gives what parsing it into a `Value` first gives, errors too.
    fn same_as_value(text: &str) {
        let straight = prompt_object_params_from_str(text).map_err(|e| e.to_string());
        let via_value = serde_json::from_str::<Value>(text)
            .map(|v| prompt_object_params(&v))
            .map_err(|e| e.to_string());
        assert_eq!(straight, via_value, "{text}");
    }

    #[test]
    fn reading_json_text_straight_matches_the_value_tree() {
        let many: String = (0..100).map(|i| format!("\"k{}\": {i},", i % 40)).collect();
        let cases = [
            r#"{"prompt": "a fox", "n": 2, "leonardo_tilling": true}"#,
            r#"{"prompt": "a\u00e9\n\"x\"", "n": -3, "size": null, "x": 1.5e3, "y": 18446744073709551615}"#,
            r#"{"big": 1844674407370955161500, "neg": -9223372036854775808, "f": -0.0, "e": 1e-400}"#,
            r#"{"list": ["a", 1, null, [true], {"k": [1, 2]}], "obj": {"a": {"b": {}}}}"#,
            r#"{"n": 1, "prompt": "x", "n": 3, "n": "four"}"#,
            r#"{"type": "IMAGE_GENERATOR", "promptObject": {"prompt": "a", "n": 1, "n": 2}}"#,
            r#"{"model": "m", "promptObject": {"prompt": "a", "promptObject": {"x": 1}}}"#,
            r#"{"promptObject": {"prompt": "a"}}"#,
            r#"{"promptObject": {"prompt": "a"}, "type": null}"#,
            r#"{"promptObject": null, "type": "t"}"#,
            r#"{"promptObject": [1, 2], "model": "m"}"#,
            r#"{"promptObject": "text", "model": "m", "promptObject": 3}"#,
            r#"{"promptObject": 3, "model": "m", "promptObject": {"prompt": "b"}}"#,
            r#"{"promptObject": {"prompt": "b"}, "model": "m", "promptObject": false}"#,
            r#"{"prompt": "x", "promptObject": 7}"#,
            r#"{}"#,
            r#"[]"#,
            r#"[{"prompt": "a"}]"#,
            r#"null"#,
            r#"true"#,
            r#"12"#,
            r#"-1.5"#,
            r#""text""#,
            r#"{"a": 1e400}"#,
            r#"{"a": {"b": 1e400}}"#,
            r#"{"a": [1, 2,]}"#,
            r#"{"a": 1,}"#,
            r#"{"a": 1} x"#,
            r#"{"a": "\ud800"}"#,
            r#"{"a": "\ud800"}"#,
            r#"{1: 2}"#,
            r#"{"a" 1}"#,
            r#""#,
            r#"   "#,
            r#"{"a": tru}"#,
            r#"{"a": 01}"#,
        ];
        for text in cases {
            same_as_value(text);
        }
        same_as_value(&format!("{{{many} \"end\": true}}"));
        same_as_value(&format!(
            "{{\"type\": 1, \"promptObject\": {{{many} \"end\": true}}}}"
        ));
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        same_as_value(&format!("{{\"a\": {deep}}}"));
        let deep = format!("{}{}", "{\"a\":".repeat(200), "}".repeat(200));
        same_as_value(&deep);
        let every_field = include_str!("../../../tests/vectors/every_field.json");
        let case: Value = serde_json::from_str(every_field).unwrap();
        same_as_value(&case["wire"].to_string());
        same_as_value(every_field);
    }
}
