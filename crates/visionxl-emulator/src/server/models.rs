//! `GET /models`: the catalog entry of Leonardo Vision XL, from the core's parameter table.

use axum::extract::RawQuery;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};
use visionxl_core::{spec, wire};

use super::reply::json_response;

pub(super) async fn models(RawQuery(query): RawQuery) -> Response {
    let feature = query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "feature")
        .map(|(_, v)| v.to_string());
    if feature.as_deref().is_some_and(|f| f != wire::FEATURE_TYPE) {
        return json_response(StatusCode::OK, &json!({ "models": [] }));
    }
    json_response(StatusCode::OK, &json!({ "models": [catalog_entry()] }))
}

fn catalog_entry() -> Value {
    let pricing: Vec<Value> = visionxl_core::pricing::price_table()
        .map(|(size, n, credits)| json!({"size": size.as_str(), "n": n, "credits": credits}))
        .collect();
    let parameters: Vec<Value> = spec::PARAMS
        .iter()
        .map(|p| {
            json!({
                "name": p.wire,
                "type": match p.kind {
                    spec::Kind::String => "string",
                    spec::Kind::Integer => "integer",
                    spec::Kind::Float => "number",
                    spec::Kind::Bool => "boolean",
                    spec::Kind::StringList => "array",
                },
                "required": p.required,
                "default": p.default,
                "allowed": p.allowed(),
                "description": p.description,
            })
        })
        .collect();
    json!({
        "uuid": wire::MODEL_ID,
        "modelId": wire::MODEL_ID,
        "name": "Leonardo Vision XL",
        "provider": "Leonardo.Ai",
        "feature": [wire::FEATURE_TYPE],
        "sizes": spec::SIZES,
        "maxImages": visionxl_core::pricing::MAX_N,
        "pricing": pricing,
        "parameters": parameters,
        "emulated": true,
    })
}
