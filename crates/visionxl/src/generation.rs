//! [`Generation`]: the result of a generation, with its images and how to save them.

use std::fmt;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde::Serialize;
use serde::ser::SerializeStruct;
use serde_json::Value;
use visionxl_core::{Error, GenerateRequest, Record, Status, Violation};

use crate::Client;
use crate::cancel::CancelToken;
use crate::cancel::run_cancellable;
use crate::download::{self, DownloadProgressFn, ImageSource};
use crate::fs::Existing;
use crate::names;
use crate::save::{self, SaveTarget};
use crate::sidecar::RecordInfo;

/// One result image: its position, storage path, download URL and the file name it is saved
/// under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GeneratedImage {
    index: usize,
    path: String,
    url: String,
    file_name: String,
}

impl GeneratedImage {
    /// Position in the record's `resultObject`.
    pub fn index(&self) -> usize {
        self.index
    }
    /// The storage path the service sent (`development/images/....webp`).
    pub fn path(&self) -> &str {
        &self.path
    }
    /// Where to download it: the signed temporary URL for the first image, the asset host for
    /// the others. Signed URLs expire: [`Client::get_generation`] gives fresh ones.
    pub fn url(&self) -> &str {
        &self.url
    }
    /// The safe file name [`Generation::save_all`] uses (from the storage path, sanitised; the
    /// extension is corrected from the downloaded bytes).
    pub fn file_name(&self) -> &str {
        &self.file_name
    }
}

/// Options of [`Generation::save_all_with`] and [`Generation::save_with`].
#[derive(Clone)]
pub struct SaveOptions {
    /// Replace existing files (default false: an existing file is an `io_error` naming it).
    pub overwrite: bool,
    /// Write the sidecar `NAME.json` next to each image (default true).
    pub sidecar: bool,
    /// Stop when this token is cancelled (`cancelled`; partial files are removed).
    pub cancel: Option<CancelToken>,
    /// Told how many bytes of each image have arrived (for progress bars); default none.
    pub on_progress: Option<DownloadProgressFn>,
}

impl Default for SaveOptions {
    fn default() -> Self {
        SaveOptions {
            overwrite: false,
            sidecar: true,
            cancel: None,
            on_progress: None,
        }
    }
}

impl std::fmt::Debug for SaveOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaveOptions")
            .field("overwrite", &self.overwrite)
            .field("sidecar", &self.sidecar)
            .field("cancel", &self.cancel)
            .field(
                "on_progress",
                &self.on_progress.as_ref().map(|_| "Fn(DownloadProgress)"),
            )
            .finish()
    }
}

/// A finished generation: its record id (keep it: it reads the record again), status, images,
/// price and warnings, and the means to save the images. Holds a cheap clone of the client.
#[derive(Clone)]
pub struct Generation {
    pub(crate) client: Client,
    pub(crate) record: Record,
    images: Vec<GeneratedImage>,
    request: Option<GenerateRequest>,
    warnings: Vec<Violation>,
    credits: Option<u32>,
}

impl fmt::Debug for Generation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generation")
            .field("id", &self.record.id)
            .field("status", &self.record.status)
            .field("images", &self.images)
            .field("credits", &self.credits)
            .field("warnings", &self.warnings)
            .finish_non_exhaustive()
    }
}

impl Serialize for Generation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Generation", 7)?;
        st.serialize_field("id", &self.record.id)?;
        st.serialize_field("status", &self.record.status)?;
        st.serialize_field("images", &self.images)?;
        st.serialize_field("credits", &self.credits)?;
        st.serialize_field("warnings", &self.warnings)?;
        st.serialize_field(
            "request",
            &self.request.as_ref().map(GenerateRequest::to_wire),
        )?;
        st.serialize_field("emulated", &self.is_emulated())?;
        st.end()
    }
}

impl Generation {
    pub(crate) fn new(
        client: Client,
        record: Record,
        request: Option<GenerateRequest>,
        warnings: Vec<Violation>,
        credits: Option<u32>,
    ) -> Self {
        let refs = record.images(client.asset_base_url());
        let mut taken: Vec<String> = Vec::with_capacity(refs.len());
        let images = refs
            .into_iter()
            .map(|r| {
                let fallback = format!("{}_{}", record.id, r.index);
                let mut name = names::sanitize_file_name(&r.path, &fallback);
                // Unique by stem: the extension may change to the real image type on saving.
                let stem = |n: &str| names::stem(n).to_ascii_lowercase();
                if taken.contains(&stem(&name)) {
                    name = names::with_suffix(&name, &format!("_{}", r.index));
                }
                taken.push(stem(&name));
                GeneratedImage {
                    index: r.index,
                    path: r.path,
                    url: r.url,
                    file_name: name,
                }
            })
            .collect();
        Generation {
            client,
            record,
            images,
            request,
            warnings,
            credits,
        }
    }

    /// The record id (`aiRecord.uuid`).
    pub fn id(&self) -> &str {
        &self.record.id
    }
    /// SUCCESS (or PROCESSING / another string for a record read with
    /// [`Client::get_generation`] before it finished).
    pub fn status(&self) -> &Status {
        &self.record.status
    }
    /// The images, in `resultObject` order.
    pub fn images(&self) -> &[GeneratedImage] {
        &self.images
    }
    /// The price in credits from the documented table (`None` when the request is unknown).
    pub fn credits(&self) -> Option<u32> {
        self.credits
    }
    /// Validation warnings of the request (never blocking).
    pub fn warnings(&self) -> &[Violation] {
        &self.warnings
    }
    /// The request: as sent by [`Client::generate`], or rebuilt from the service's echo for a
    /// record read with [`Client::get_generation`].
    pub fn request(&self) -> Option<&GenerateRequest> {
        self.request.as_ref()
    }
    /// The whole answer body as received.
    pub fn raw(&self) -> &Value {
        &self.record.raw
    }
    /// The parsed record.
    pub fn record(&self) -> &Record {
        &self.record
    }
    /// When the record was made (ISO 8601, as sent).
    pub fn created_at(&self) -> Option<&str> {
        self.record.created_at.as_deref()
    }
    /// True when the record comes from the visionxl emulator (a test double).
    pub fn is_emulated(&self) -> bool {
        let raw = &self.record.raw;
        let flag = |v: Option<&Value>| v.and_then(Value::as_bool).unwrap_or(false);
        flag(raw.get("emulated"))
            || flag(raw.pointer("/aiRecord/emulated"))
            || flag(raw.pointer("/aiRecord/aiRecordDetail/emulated"))
    }
    /// The client this generation downloads with.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The request body to record in sidecars and manifests: the full wire JSON.
    pub(crate) fn request_wire(&self) -> Value {
        match (&self.request, &self.record.prompt_object) {
            (Some(r), _) => visionxl_core::wire::request_body(r, false),
            (None, Some(p)) => serde_json::json!({
                "type": visionxl_core::wire::FEATURE_TYPE,
                "model": self.record.model.clone().unwrap_or_else(|| visionxl_core::wire::MODEL_ID.to_string()),
                "promptObject": p,
            }),
            (None, None) => Value::Null,
        }
    }

    /// Downloads every image into `dir` (created if missing) and returns the files, in order.
    /// See [`save_all_with`](Self::save_all_with).
    pub async fn save_all(&self, dir: impl AsRef<Path>) -> Result<Vec<PathBuf>, Error> {
        self.save_all_with(dir, SaveOptions::default()).await
    }

    /// Downloads every image into `dir`: streamed to `*.part` then renamed, names from the
    /// storage paths (sanitised, extension fixed from the magic bytes), never overwriting
    /// unless `opts.overwrite`, each with a sidecar `NAME.json` (record id, full request,
    /// credits, UTC time, source URL). Downloads are retried; an expired temporary URL is a
    /// `download_error` naming the record id ([`Client::get_generation`] gives fresh URLs).
    pub async fn save_all_with(
        &self,
        dir: impl AsRef<Path>,
        opts: SaveOptions,
    ) -> Result<Vec<PathBuf>, Error> {
        let existing = if opts.overwrite {
            Existing::Overwrite
        } else {
            Existing::Refuse
        };
        let dir = dir.as_ref().to_path_buf();
        run_cancellable(
            opts.cancel.as_ref(),
            self.save_all_inner(&dir, existing, opts.sidecar, opts.on_progress.as_ref()),
        )
        .await
    }

    pub(crate) async fn save_all_inner(
        &self,
        dir: &Path,
        existing: Existing,
        sidecar: bool,
        on_progress: Option<&DownloadProgressFn>,
    ) -> Result<Vec<PathBuf>, Error> {
        crate::fs::ensure_dir(dir).await?;
        let info = sidecar.then(|| self.record_info());
        let dl = self.client.downloader();
        let jobs = self.images.iter().map(|img| {
            let to = SaveTarget {
                dir,
                name: &img.file_name,
                existing,
                sidecar: info.as_ref(),
                on_progress,
            };
            async move { save::save_image(dl, &self.source(img), &to).await }
        });
        // Every image runs to its end even when another fails: dropping a save half way could
        // leave an image without its sidecar. The first error (in image order) is returned.
        futures_util::future::join_all(jobs)
            .await
            .into_iter()
            .collect()
    }

    /// What the download of `img` needs to know.
    fn source<'a>(&'a self, img: &'a GeneratedImage) -> ImageSource<'a> {
        ImageSource {
            record_id: &self.record.id,
            index: img.index,
            url: &img.url,
            storage_path: &img.path,
        }
    }

    /// What the sidecars of this generation's images say of it.
    fn record_info(&self) -> RecordInfo {
        RecordInfo {
            credits: self.credits,
            status: self.status().as_str().to_string(),
            created_at: self.created_at().map(str::to_string),
            emulated: self.is_emulated(),
            request: self.request_wire(),
        }
    }

    /// Downloads image `index` to `path` (its extension is corrected to the real image type;
    /// the path actually written is returned), with a sidecar, never overwriting.
    pub async fn save(&self, index: usize, path: impl AsRef<Path>) -> Result<PathBuf, Error> {
        self.save_with(index, path, SaveOptions::default()).await
    }

    /// [`save`](Self::save) with options.
    pub async fn save_with(
        &self,
        index: usize,
        path: impl AsRef<Path>,
        opts: SaveOptions,
    ) -> Result<PathBuf, Error> {
        let img = self.image(index)?;
        let path = path.as_ref();
        let (dir, name) = names::split_target(path)?;
        let existing = if opts.overwrite {
            Existing::Overwrite
        } else {
            Existing::Refuse
        };
        let info = opts.sidecar.then(|| self.record_info());
        let to = SaveTarget {
            dir: &dir,
            name: &name,
            existing,
            sidecar: info.as_ref(),
            on_progress: opts.on_progress.as_ref(),
        };
        let fut = async {
            crate::fs::ensure_dir(&dir).await?;
            save::save_image(self.client.downloader(), &self.source(img), &to).await
        };
        run_cancellable(opts.cancel.as_ref(), fut).await
    }

    /// The bytes of image `index` (checked to be an image, at most `max_image_bytes`), for
    /// callers that want them in memory (a Node `Buffer`, a Python `bytes` for PIL).
    pub async fn image_bytes(&self, index: usize) -> Result<Bytes, Error> {
        let img = self.image(index)?;
        download::download_bytes(self.client.downloader(), &self.source(img)).await
    }

    /// [`image_bytes`](Self::image_bytes), stopped by `cancel`.
    pub async fn image_bytes_cancellable(
        &self,
        index: usize,
        cancel: &CancelToken,
    ) -> Result<Bytes, Error> {
        let img = self.image(index)?;
        run_cancellable(
            Some(cancel),
            download::download_bytes(self.client.downloader(), &self.source(img)),
        )
        .await
    }

    fn image(&self, index: usize) -> Result<&GeneratedImage, Error> {
        self.images.get(index).ok_or_else(|| {
            Error::validation(vec![Violation::new(
                "index",
                visionxl_core::ViolationCode::OutOfRange,
                format!(
                    "image index {index} is out of range: record {} has {} image(s)",
                    self.record.id,
                    self.images.len()
                ),
            )])
        })
    }
}
