//! The sidecar `NAME.json` written next to each saved image: which record, request and price
//! it comes from, and when it was saved.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use visionxl_core::Error;

use crate::download::{Downloaded, ImageSource, strip_query};
use crate::fs::{Existing, write_file_atomic};
use crate::time::utc_now;

/// What a sidecar says of the record an image belongs to (the same for all its images).
#[derive(Debug, Clone)]
pub(crate) struct RecordInfo {
    pub(crate) credits: Option<u32>,
    pub(crate) status: String,
    pub(crate) created_at: Option<String>,
    pub(crate) emulated: bool,
    /// The full request body (see `Generation::request_wire`).
    pub(crate) request: Value,
}

/// The sidecar file of an image file.
pub(crate) fn sidecar_path(image: &Path) -> PathBuf {
    let mut s = image.as_os_str().to_owned();
    s.push(".json");
    PathBuf::from(s)
}

/// Writes the JSON sidecar of a saved image.
pub(crate) async fn write_sidecar(
    info: &RecordInfo,
    img: &ImageSource<'_>,
    sidecar_file: &Path,
    final_name: &str,
    done: &Downloaded,
    existing: Existing,
) -> Result<(), Error> {
    let meta = json!({
        "record_id": img.record_id,
        "index": img.index,
        "file": final_name,
        "storage_path": img.storage_path,
        "source_url": strip_query(img.url),
        "content_type": done.kind.mime_type(),
        "bytes": done.bytes,
        "credits": info.credits,
        "status": info.status,
        "created_at": info.created_at,
        "saved_at": utc_now(),
        "emulated": info.emulated,
        "request": info.request,
        "sdk": format!("visionxl-rust/{}", env!("CARGO_PKG_VERSION")),
    });
    write_file_atomic(
        sidecar_file,
        &serde_json::to_vec_pretty(&meta).unwrap_or_default(),
        existing,
    )
    .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn sidecar_sits_next_to_its_image() {
        use std::path::{Path, PathBuf};
        assert_eq!(
            super::sidecar_path(Path::new("d/a.webp")),
            PathBuf::from("d/a.webp.json")
        );
    }
}
