//! The gallery: every image in `--out` that has a sidecar, newest first, read from the sidecars
//! (so it survives restarts and shows images made by the CLI or any SDK), and the image files
//! themselves (only files with a sidecar are served).

use std::path::Path;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use visionxl::GenerateRequest;

use super::form::sdk_params;

/// At most this many images are listed (the newest).
const MAX_ITEMS: usize = 500;

/// The gallery's items, newest first.
pub async fn list(out: &Path) -> Vec<Value> {
    let mut items = Vec::new();
    let Ok(mut dir) = tokio::fs::read_dir(out).await else {
        return items;
    };
    while let Ok(Some(entry)) = dir.next_entry().await {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(image) = name.strip_suffix(".json") else {
            continue;
        };
        if !plain_name(image) || !entry.path().with_file_name(image).is_file() {
            continue;
        }
        let Ok(bytes) = tokio::fs::read(entry.path()).await else {
            continue;
        };
        let Ok(meta) = serde_json::from_slice::<Value>(&bytes) else {
            continue;
        };
        items.push(item(image, &meta));
    }
    items.sort_by(|a, b| {
        let key = |v: &Value| v["saved_at"].as_str().unwrap_or("").to_string();
        key(b)
            .cmp(&key(a))
            .then_with(|| a["index"].as_u64().cmp(&b["index"].as_u64()))
    });
    items.truncate(MAX_ITEMS);
    items
}

/// One card: the sidecar's facts and the request's parameters by SDK name.
fn item(file: &str, meta: &Value) -> Value {
    let request = &meta["request"];
    let checked = GenerateRequest::check_wire_json(request);
    let params = sdk_params(&checked.request);
    json!({
        "file": file,
        "url": format!("/images/{}", urlencode(file)),
        "record_id": meta["record_id"],
        "index": meta["index"],
        "credits": meta["credits"],
        "saved_at": meta["saved_at"],
        "emulated": meta["emulated"],
        "seed": params.get("seed"),
        "params": params,
    })
}

/// Serves `file` from `out` when it is a plain name with a sidecar.
pub async fn image(out: &Path, file: &str) -> Response {
    if !plain_name(file) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let path = out.join(file);
    let sidecar = out.join(format!("{file}.json"));
    let Ok(meta) = tokio::fs::read(&sidecar).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mime = serde_json::from_slice::<Value>(&meta)
        .ok()
        .and_then(|m| m["content_type"].as_str().map(str::to_string))
        .filter(|m| m.starts_with("image/"))
        .unwrap_or_else(|| "application/octet-stream".into());
    match tokio::fs::read(&path).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, mime)], bytes).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// A file name with no directory part, not hidden, not a partial download.
pub(super) fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.ends_with(".part")
        && !name.contains(['/', '\\', '\0'])
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_plain_names() {
        assert!(super::plain_name("a.webp"));
        for bad in ["../a", "a/b", ".hidden", "", "x.part", "a\\b"] {
            assert!(!super::plain_name(bad), "{bad}");
        }
        assert_eq!(super::urlencode("a b.png"), "a%20b.png");
    }
}
