use serde_json::Value;

use super::*;
use crate::Size;

fn busy() -> GenerateRequest {
    GenerateRequest::builder("it's a \"fox\" ?? \\ ünï")
        .size(Size::S512x512)
        .n(2)
        .seed(9_999_999_998)
        .tiling(true)
        .alchemy(false)
        .contrast_ratio(0.5)
        .init_strength(0.3)
        .init_image_id("assets/a b.png")
        .image_prompts(vec!["x".into(), "y'z".into()])
        .preset_style("anime".parse().unwrap())
        .build()
        .unwrap()
}

/// The text between `-d '` and the last `'`, shell quoting undone.
fn curl_body(curl: &str) -> Value {
    let start = curl.find(" -d '").unwrap() + 5;
    let quoted = &curl[start..curl.len() - 1];
    serde_json::from_str(&quoted.replace("'\\''", "'")).unwrap()
}

#[test]
fn curl_body_is_the_wire_json_and_holds_no_key() {
    let req = busy();
    for async_mode in [false, true] {
        let text = curl(&req, "http://127.0.0.1:9/", async_mode);
        assert_eq!(curl_body(&text), wire::request_body(&req, async_mode));
        assert!(text.starts_with("curl -sS -X POST http://127.0.0.1:9/api/features "));
        assert!(text.contains("-H \"API-KEY: <api-key>\""));
    }
}

#[test]
fn every_language_names_every_set_parameter_its_way() {
    let req = busy();
    let all = all(&req, "https://api.1min.ai");
    assert_eq!(all.iter().map(|(l, _)| *l).collect::<Vec<_>>(), LANGUAGES);
    for (p, _) in set_values(&req).into_iter().skip(1) {
        assert!(
            rust(&req).contains(&format!("(\"{}\", ", p.sdk)),
            "{}",
            p.sdk
        );
        assert!(
            python(&req).contains(&format!("    {}=", p.sdk)),
            "{}",
            p.sdk
        );
        assert!(
            node(&req).contains(&format!("  {}: ", p.camel())),
            "{}",
            p.sdk
        );
        assert!(cli(&req).contains(&p.sdk.replace('_', "-")) || p.sdk == "n");
    }
    assert!(python(&req).contains("    alchemy=False,"));
    assert!(python(&req).contains("    image_prompts=[\"x\", \"y'z\"],"));
    assert!(node(&req).contains("  contrastRatio: 0.5,"));
    assert!(rust(&req).contains("(\"seed\", ParamValue::Int(9999999998)),"));
    assert!(cli(&req).contains(" --alchemy=false --contrast-ratio 0.5"));
    assert!(cli(&req).contains(" --image-prompts x --image-prompts 'y'\\''z'"));
}

#[test]
fn the_c_literal_is_the_prompt_object() {
    let req = busy();
    let text = c(&req);
    let line = text
        .lines()
        .find(|l| l.contains("const char *prompt_object = "))
        .unwrap();
    let lit = line.split_once(" = ").unwrap().1.trim_end_matches(';');
    // Undo the C escapes this module writes.
    let inner = &lit[1..lit.len() - 1];
    let mut json = String::new();
    let mut chars = inner.chars();
    while let Some(ch) = chars.next() {
        if ch == '\\' {
            match chars.next().unwrap() {
                'n' => json.push('\n'),
                '?' => json.push('?'),
                other => json.push(other),
            }
        } else {
            json.push(ch);
        }
    }
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v, req.to_wire());
    assert!(!inner.contains("??"), "no trigraphs");
}

/// The binding's own keyword and field lists (generated from the table) hold every name the
/// Python and Node snippets use.
#[test]
fn python_and_node_names_are_the_bindings() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let pyi = std::fs::read_to_string(root.join("python/visionxl/_native.pyi")).unwrap();
    let dts = std::fs::read_to_string(root.join("node/index.d.ts")).unwrap();
    let req = busy();
    for line in python(&req)
        .lines()
        .filter(|l| l.starts_with("    ") && l.contains('='))
    {
        let name = line.trim().split('=').next().unwrap();
        assert!(
            pyi.contains(&format!("        {name}: ")),
            "{name} not a keyword"
        );
    }
    for line in node(&req).lines().filter(|l| l.starts_with("  ")) {
        let name = line.trim().split(':').next().unwrap();
        assert!(
            dts.contains(&format!("  {name}?: ")) || name == "prompt",
            "{name}"
        );
    }
}
