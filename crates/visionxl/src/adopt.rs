//! Adopting a file already on disk instead of writing it again (batch resume): it is kept when
//! its sidecar names the same record and image, or when it holds the very bytes just
//! downloaded but lost its sidecar to a save cut short.

use std::path::Path;

use crate::sidecar::sidecar_path;

/// Does the sidecar of `image` name this record and index?
pub(crate) async fn same_record(image: &Path, record_id: &str, index: usize) -> bool {
    let Ok(text) = tokio::fs::read(sidecar_path(image)).await else {
        return false;
    };
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&text) else {
        return false;
    };
    v["record_id"] == record_id && v["index"] == index
}

/// Do the two files hold the same bytes? (Read in chunks: images may be large.)
pub(crate) async fn same_bytes(a: &Path, b: &Path) -> bool {
    use tokio::io::AsyncReadExt;
    let (Ok(ma), Ok(mb)) = (tokio::fs::metadata(a).await, tokio::fs::metadata(b).await) else {
        return false;
    };
    if ma.len() != mb.len() {
        return false;
    }
    let (Ok(mut fa), Ok(mut fb)) = (
        tokio::fs::File::open(a).await,
        tokio::fs::File::open(b).await,
    ) else {
        return false;
    };
    let (mut ba, mut bb) = (vec![0u8; 64 << 10], vec![0u8; 64 << 10]);
    loop {
        let Ok(n) = fa.read(&mut ba).await else {
            return false;
        };
        if n == 0 {
            return true;
        }
        if fb.read_exact(&mut bb[..n]).await.is_err() || ba[..n] != bb[..n] {
            return false;
        }
    }
}

/// An image file without its sidecar (`KeepSameRecord` only): an earlier save may have been cut
/// off between moving the image into place and writing the sidecar.
pub(crate) async fn sidecar_missing(image: &Path) -> bool {
    !tokio::fs::try_exists(sidecar_path(image))
        .await
        .unwrap_or(true)
}
