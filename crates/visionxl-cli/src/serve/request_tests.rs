//! Unit tests of `request`: OpenAI bodies and both parameter spellings through the table.

use super::*;
use serde_json::json;

fn models() -> Models {
    Models::with_aliases(["dall-e-3".to_string(), "gpt-image-1".to_string()])
}
fn ok(body: Value) -> ImagesRequest {
    parse(body.to_string().as_bytes(), &models()).unwrap()
}
fn err(body: Value) -> ApiError {
    parse(body.to_string().as_bytes(), &Models::default()).unwrap_err()
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
    let cases: Value =
        serde_json::from_str(include_str!("../../tests/data/refused_requests.json")).expect("JSON");
    let cases = cases["cases"].as_array().expect("cases").iter().map(|c| {
        (
            c["body"].clone(),
            c["param"].as_str().expect("param"),
            c["code"].as_str().expect("code"),
        )
    });
    for (body, param, code) in cases {
        let e = err(body.clone());
        assert_eq!(e.param.as_deref(), Some(param), "{body}: {}", e.message);
        assert_eq!(e.code.as_deref(), Some(code), "{body}: {}", e.message);
    }
}

#[test]
fn every_parameter_by_sdk_name_and_by_wire_name() {
    for p in spec::PARAMS.iter() {
        if matches!(p.field, Field::Prompt | Field::Size | Field::N) {
            continue;
        }
        for name in [p.sdk, p.wire] {
            let e = parse(
                json!({"prompt": "a fox", name: {"not": "a value"}})
                    .to_string()
                    .as_bytes(),
                &Models::default(),
            )
            .unwrap_err();
            assert_ne!(
                e.code.as_deref(),
                Some("unknown_field"),
                "{name}: {}",
                e.message
            );
            assert_eq!(e.param.as_deref(), Some(p.sdk), "{name}: {}", e.message);
        }
    }
    let by_wire = ok(json!({"prompt": "a fox", "leonardo_guidance_scale": 12,
                            "leonardo_seed": 3, "leonardo_tilling": true,
                            "negativePrompt": "blur"}));
    let by_sdk = ok(json!({"prompt": "a fox", "guidance_scale": 12, "seed": 3,
                           "tiling": true, "negative_prompt": "blur"}));
    assert_eq!(by_wire.request.to_wire(), by_sdk.request.to_wire());
    assert_eq!(by_wire.request.guidance_scale, Some(12));
    // Both names with one value is fine.
    let both = ok(json!({"prompt": "a fox", "seed": 3, "leonardo_seed": 3}));
    assert_eq!(both.request.seed, Some(3));
}

#[test]
fn two_names_of_one_parameter_that_disagree_are_a_400_naming_both() {
    let e = err(json!({"prompt": "a fox", "guidance_scale": 9, "leonardo_guidance_scale": 12}));
    assert_eq!(e.status.as_u16(), 400);
    assert_eq!(e.code.as_deref(), Some(CONFLICT_CODE));
    assert_eq!(e.param.as_deref(), Some("guidance_scale"));
    assert!(
        e.message.contains("`guidance_scale`") && e.message.contains("`leonardo_guidance_scale`"),
        "{}",
        e.message
    );
    let e = err(json!({"prompt": "a fox", "background": "transparent",
                       "transparency": "disabled"}));
    assert_eq!(e.code.as_deref(), Some(CONFLICT_CODE));
    assert!(e.message.contains("`background`") && e.message.contains("`transparency`"));
}

#[test]
fn openai_fields_with_a_vision_xl_meaning() {
    let r = ok(json!({"prompt": "a fox", "size": "auto", "quality": "high",
                      "background": "transparent", "output_format": "jpeg",
                      "output_compression": 80, "style": "vivid", "moderation": "low",
                      "user": "u", "partial_images": 2}));
    assert_eq!(r.size, Size::S1024x1024);
    assert_eq!(r.quality, "high");
    assert_eq!(r.request.num_inference_steps, Some(45), "max_detail");
    assert_eq!(
        r.request.to_wire()["leonardo_transparency"],
        "foreground_only"
    );
    assert_eq!(r.background, "transparent");
    assert_eq!(r.output_format, Some(OutputFormat::Jpeg));
    assert_eq!(r.output_compression, Some(80));
    for q in ["low", "medium", "auto", "standard"] {
        let r = ok(json!({"prompt": "a fox", "quality": q}));
        assert_eq!(
            r.request.num_inference_steps, None,
            "{q}: the service's defaults"
        );
    }
    let r = ok(json!({"prompt": "a fox", "quality": "hd", "preset": "defaults"}));
    assert_eq!(
        r.request.num_inference_steps,
        Some(15),
        "an explicit preset wins"
    );
    let r = ok(json!({"prompt": "a fox", "background": "opaque"}));
    assert_eq!(r.request.transparency, None);
    assert!(ok(json!({"prompt": "a fox", "stream": true})).stream);
}

#[test]
fn models_aliases_and_their_default_format() {
    assert_eq!(
        ok(json!({"prompt": "a", "model": "dall-e-3"})).format,
        ResponseFormat::Url
    );
    assert_eq!(
        ok(json!({"prompt": "a", "model": "gpt-image-1"})).format,
        ResponseFormat::B64Json
    );
    assert_eq!(
        ok(json!({"prompt": "a", "model": "gpt-image-1", "response_format": "url"})).format,
        ResponseFormat::Url
    );
    let e = err(json!({"prompt": "a", "model": "dall-e-3"}));
    assert_eq!(e.status.as_u16(), 404);
    assert_eq!(e.code.as_deref(), Some("model_not_found"));
    assert!(e.message.contains("`leonardo-vision-xl`"), "{}", e.message);
    let e = parse(br#"{"prompt": "a", "model": "x"}"#, &models()).unwrap_err();
    assert!(e.message.contains("`dall-e-3`") && e.message.contains("`gpt-image-1`"));
}

#[test]
fn multipart_text_fields_become_json_values() {
    assert_eq!(text_value("n", "2"), json!(2));
    assert_eq!(text_value("tiling", "true"), json!(true));
    assert_eq!(text_value("init_strength", " 0.3 "), json!(0.3));
    assert_eq!(text_value("image_prompts", r#"["a"]"#), json!(["a"]));
    assert_eq!(
        text_value("prompt", "42"),
        json!("42"),
        "a prompt stays text"
    );
    assert_eq!(text_value("preset_style", "anime"), json!("anime"));
}

#[test]
fn bodies_that_are_not_json_objects() {
    for body in [&b"not json"[..], b"[1,2]", b"", b"\"a fox\""] {
        let e = parse(body, &Models::default()).unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
        assert_eq!(e.code.as_deref(), Some("invalid_json"));
    }
}
