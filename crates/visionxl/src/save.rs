//! Saving images safely: streamed to `*.part` then renamed, sanitised names, no silent
//! overwrite, magic bytes checked, a sidecar JSON per image.
//!
//! The steps live in their own modules: file names (`names`), downloading with truncation
//! checks (`download`), adopting a file already there (`adopt`), the sidecar (`sidecar`) and
//! atomic writes (`fs`). This module puts them together for one image.

use std::path::{Path, PathBuf};

use tokio::io::AsyncWriteExt;
use visionxl_core::Error;

use crate::adopt::{same_bytes, same_record, sidecar_missing};
use crate::download::{DownloadProgressFn, Downloader, ImageSource, Meter, Sink, download};
use crate::fs::{Existing, exists_error, io_err, part_file, persist};
use crate::names::fix_extension;
pub use crate::names::sanitize_file_name;
use crate::sidecar::{RecordInfo, sidecar_path, write_sidecar};

/// Where and how one image is saved.
#[derive(Clone, Copy)]
pub(crate) struct SaveTarget<'a> {
    pub(crate) dir: &'a Path,
    /// The file name (its extension is corrected to the real image type).
    pub(crate) name: &'a str,
    pub(crate) existing: Existing,
    /// What the sidecar says of the record; `None`: no sidecar.
    pub(crate) sidecar: Option<&'a RecordInfo>,
    pub(crate) on_progress: Option<&'a DownloadProgressFn>,
}

/// Saves one image as `dir/name` (extension fixed), with its sidecar. Errors name the record.
pub(crate) async fn save_image(
    dl: &Downloader,
    src: &ImageSource<'_>,
    to: &SaveTarget<'_>,
) -> Result<PathBuf, Error> {
    save_image_inner(dl, src, to)
        .await
        .map_err(|e| match e.record_id() {
            Some(_) => e,
            None => e.with_record_id(Some(src.record_id.to_string())),
        })
}

async fn save_image_inner(
    dl: &Downloader,
    src: &ImageSource<'_>,
    to: &SaveTarget<'_>,
) -> Result<PathBuf, Error> {
    let SaveTarget {
        dir,
        name,
        existing,
        sidecar,
        on_progress,
    } = *to;
    let planned = dir.join(name);
    // A record's images are usually named from their path, extension included: check early so
    // nothing is downloaded for nothing.
    if existing != Existing::Overwrite && tokio::fs::try_exists(&planned).await.unwrap_or(false) {
        let keep = existing == Existing::KeepSameRecord;
        if keep && same_record(&planned, src.record_id, src.index).await {
            return Ok(planned);
        }
        // Without a sidecar it may be this very image, saved by a run cut off before its
        // sidecar: the download below tells, by its bytes.
        if !(keep && sidecar_missing(&planned).await) {
            return Err(exists_error(&planned));
        }
    }
    let tmp = part_file(dir, name).map_err(|e| {
        io_err(
            format!("cannot create a temporary file in {}", dir.display()),
            e,
        )
    })?;
    let (std_file, tmp_path) = tmp.into_parts();
    let mut file = tokio::fs::File::from_std(std_file);
    let meter = on_progress.map(|hook| Meter {
        hook,
        index: src.index,
    });
    let done = download(dl, src, &mut Sink::File(&mut file, meter)).await?;
    let finish = async {
        file.flush().await?;
        file.sync_all().await
    };
    finish
        .await
        .map_err(|e| io_err(format!("cannot write {}", tmp_path.display()), e))?;
    drop(file);
    let final_name = fix_extension(name, done.kind.extension());
    let target = dir.join(&final_name);
    let sidecar_file = sidecar_path(&target);
    if existing == Existing::KeepSameRecord && tokio::fs::try_exists(&target).await.unwrap_or(false)
    {
        if same_record(&target, src.record_id, src.index).await {
            return Ok(target);
        }
        if sidecar_missing(&target).await && same_bytes(&target, &tmp_path).await {
            // The image of an earlier save that was cut off before its sidecar: finish it.
            if let Some(info) = sidecar {
                write_sidecar(info, src, &sidecar_file, &final_name, &done, existing).await?;
            }
            return Ok(target);
        }
    }
    if existing != Existing::Overwrite
        && tokio::fs::try_exists(&sidecar_file).await.unwrap_or(false)
    {
        return Err(exists_error(&sidecar_file));
    }
    persist(tmp_path, &target, existing, "cannot move the download to")?;
    if let Some(info) = sidecar {
        write_sidecar(info, src, &sidecar_file, &final_name, &done, existing).await?;
    }
    tracing::debug!(record_id = src.record_id, file = %target.display(), bytes = done.bytes, "visionxl: image saved");
    Ok(target)
}
