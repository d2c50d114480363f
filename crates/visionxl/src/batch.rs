//! Batches: many generations at once, a JSONL manifest, resume without paying twice.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures_util::stream::{self, Stream, StreamExt};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use visionxl_core::{Error, ErrorCode, GenerateRequest, Record};

use crate::cancel::{CancelToken, run_cancellable};
use crate::client::{Client, GenerateOptions, cancellable};
use crate::generation::Generation;
use crate::save::{Existing, utc_now};

/// Where a batch stands, passed to [`BatchOptions::on_progress`] after every finished item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// The position (in the input) of the item that just finished.
    pub index: usize,
    /// Items in the batch.
    pub total: usize,
    /// Items finished so far (succeeded + failed).
    pub completed: usize,
    /// Items that succeeded (generation and, with `out_dir`, saving).
    pub succeeded: usize,
    /// Items that failed.
    pub failed: usize,
    /// Items finished by an earlier run (found in the manifest): nothing paid this time.
    pub resumed: usize,
    /// Credits of the generations made in this run (from the price table).
    pub credits_spent: u64,
}

/// The progress callback type.
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// Options of [`Client::generate_many`].
#[derive(Clone)]
pub struct BatchOptions {
    /// Generations in flight at once (default 4; pacing still applies).
    pub concurrency: usize,
    /// A JSONL manifest: one line per finished record, appended and flushed before its images
    /// are downloaded. Rerunning with the same manifest skips finished work.
    pub manifest: Option<PathBuf>,
    /// Save every image here (with sidecars). Existing files of the same record are kept,
    /// other existing files are never overwritten unless `overwrite`.
    pub out_dir: Option<PathBuf>,
    /// Called after every finished item.
    pub on_progress: Option<ProgressFn>,
    /// Use async mode for every generation.
    pub async_mode: bool,
    /// Replace existing files in `out_dir`.
    pub overwrite: bool,
    /// Stop the batch: unfinished items end with `cancelled`.
    pub cancel: Option<CancelToken>,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            concurrency: 4,
            manifest: None,
            out_dir: None,
            on_progress: None,
            async_mode: false,
            overwrite: false,
            cancel: None,
        }
    }
}

impl fmt::Debug for BatchOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchOptions")
            .field("concurrency", &self.concurrency)
            .field("manifest", &self.manifest)
            .field("out_dir", &self.out_dir)
            .field(
                "on_progress",
                &self.on_progress.as_ref().map(|_| "Fn(Progress)"),
            )
            .field("async_mode", &self.async_mode)
            .field("overwrite", &self.overwrite)
            .field("cancel", &self.cancel)
            .finish()
    }
}

/// One finished item of a batch.
#[derive(Debug)]
pub struct BatchItem {
    /// Its position in the input.
    pub index: usize,
    /// Its manifest key (a stable hash of the request's wire JSON and its position).
    pub key: String,
    /// The generation, or why it failed.
    pub result: Result<Generation, Error>,
    /// The saved files (with `out_dir`).
    pub files: Vec<PathBuf>,
    /// A failure after the generation succeeded (download, saving, manifest): the generation
    /// is paid for and recorded; rerun with the manifest to finish it without paying again.
    pub save_error: Option<Error>,
    /// True when an earlier run (the manifest) already paid for this generation.
    pub resumed: bool,
}

impl BatchItem {
    /// True when the generation succeeded and nothing failed after it.
    pub fn is_ok(&self) -> bool {
        self.result.is_ok() && self.save_error.is_none()
    }

    /// The first error of the item, if any.
    pub fn error(&self) -> Option<&Error> {
        self.result.as_ref().err().or(self.save_error.as_ref())
    }
}

/// The items of a batch in completion order (a [`Stream`]).
pub struct BatchStream {
    inner: Pin<Box<dyn Stream<Item = BatchItem> + Send>>,
    total: usize,
}

impl fmt::Debug for BatchStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchStream")
            .field("total", &self.total)
            .finish_non_exhaustive()
    }
}

impl BatchStream {
    /// Items in the batch.
    pub fn total(&self) -> usize {
        self.total
    }
}

impl Stream for BatchStream {
    type Item = BatchItem;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<BatchItem>> {
        self.inner.as_mut().poll_next(cx)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

/// The manifest key of a request at `index`: hex of the first 16 bytes of
/// sha-256(`"visionxl-manifest-v1\n" + index + "\n" + wire JSON`).
pub fn manifest_key(index: usize, req: &GenerateRequest) -> String {
    let wire = serde_json::to_string(&req.to_wire()).unwrap_or_default();
    let mut h = Sha256::new();
    h.update(b"visionxl-manifest-v1\n");
    h.update(index.to_string().as_bytes());
    h.update(b"\n");
    h.update(wire.as_bytes());
    hex::encode(&h.finalize()[..16])
}

/// What an earlier run left in the manifest for one key.
#[derive(Debug, Default, Clone)]
struct Done {
    record: Option<Value>,
    credits: Option<u64>,
    files: Option<Vec<PathBuf>>,
    failed_record: Option<String>,
}

async fn load_manifest(path: &Path) -> Result<HashMap<String, Done>, Error> {
    let text = match tokio::fs::read_to_string(path).await {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(e) => {
            return Err(Error::new(
                ErrorCode::IoError,
                format!("cannot read the manifest {}: {e}", path.display()),
            )
            .with_source(e));
        }
    };
    let mut map: HashMap<String, Done> = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        // A crash can leave a half-written last line: skip what does not parse.
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            tracing::warn!(
                line = n + 1,
                "visionxl: skipping an unreadable manifest line"
            );
            continue;
        };
        let Some(key) = v["key"].as_str() else {
            continue;
        };
        let entry = map.entry(key.to_string()).or_default();
        match v["event"].as_str() {
            Some("generated") => {
                entry.record = Some(v["record"].clone());
                entry.credits = v["credits"].as_u64();
                entry.failed_record = None;
            }
            Some("saved") => {
                entry.files = v["files"].as_array().map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(PathBuf::from)
                        .collect()
                });
            }
            Some("failed") if entry.record.is_none() => {
                entry.failed_record = v["record_id"].as_str().map(str::to_string);
            }
            _ => {}
        }
    }
    Ok(map)
}

/// Appends lines to the manifest, one writer at a time, flushed and synced.
struct Manifest {
    file: tokio::sync::Mutex<tokio::fs::File>,
    path: PathBuf,
}

impl Manifest {
    async fn open(path: &Path) -> Result<Manifest, Error> {
        if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            crate::save::ensure_dir(dir).await?;
        }
        let file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .await
            .map_err(|e| {
                Error::new(
                    ErrorCode::IoError,
                    format!("cannot open the manifest {}: {e}", path.display()),
                )
                .with_source(e)
            })?;
        Ok(Manifest {
            file: tokio::sync::Mutex::new(file),
            path: path.to_path_buf(),
        })
    }

    async fn append(&self, line: &Value) -> Result<(), Error> {
        let mut text = serde_json::to_string(line).unwrap_or_default();
        text.push('\n');
        let mut f = self.file.lock().await;
        let w = async {
            f.write_all(text.as_bytes()).await?;
            f.flush().await?;
            f.sync_data().await
        };
        w.await.map_err(|e| {
            Error::new(
                ErrorCode::IoError,
                format!("cannot append to the manifest {}: {e}", self.path.display()),
            )
            .with_source(e)
        })
    }
}

struct Shared {
    client: Client,
    opts: BatchOptions,
    manifest: Option<Manifest>,
    progress: Mutex<Progress>,
}

impl Client {
    /// Runs many generations, `opts.concurrency` at a time (all paced by the client's bucket
    /// and charged against its budget), as a stream of items in completion order.
    ///
    /// With `opts.manifest`, each finished record is appended (and flushed) to the JSONL
    /// manifest before its images are downloaded; a rerun with the same manifest and requests
    /// skips what is finished, downloads what was paid for but not saved, and never pays twice
    /// for it. Fails at once only when the manifest cannot be read or opened.
    ///
    /// ```no_run
    /// # async fn demo(client: visionxl::Client) -> Result<(), visionxl::Error> {
    /// use futures_util::StreamExt;
    /// use visionxl::{BatchOptions, GenerateRequest};
    /// let reqs = (0..10).map(|i| GenerateRequest::new(format!("tile {i}"))).collect();
    /// let mut items = client
    ///     .generate_many(reqs, BatchOptions {
    ///         concurrency: 4,
    ///         manifest: Some("run.jsonl".into()),
    ///         out_dir: Some("out".into()),
    ///         ..Default::default()
    ///     })
    ///     .await?;
    /// while let Some(item) = items.next().await {
    ///     println!("{} ok={}", item.index, item.is_ok());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn generate_many(
        &self,
        requests: Vec<GenerateRequest>,
        opts: BatchOptions,
    ) -> Result<BatchStream, Error> {
        let (done, manifest) = match &opts.manifest {
            Some(p) => (load_manifest(p).await?, Some(Manifest::open(p).await?)),
            None => (HashMap::new(), None),
        };
        let total = requests.len();
        let concurrency = opts.concurrency.max(1);
        let shared = Arc::new(Shared {
            client: self.clone(),
            opts,
            manifest,
            progress: Mutex::new(Progress {
                total,
                ..Progress::default()
            }),
        });
        let work: Vec<(usize, String, GenerateRequest, Option<Done>)> = requests
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                let key = manifest_key(i, &r);
                let d = done.get(&key).cloned();
                (i, key, r, d)
            })
            .collect();
        let s2 = shared.clone();
        let inner = stream::iter(work)
            .map(move |(index, key, req, done)| {
                let shared = shared.clone();
                async move { run_item(&shared, index, key, req, done).await }
            })
            .buffer_unordered(concurrency)
            .map(move |item: BatchItem| {
                let snapshot = {
                    let mut p = s2.progress.lock().unwrap_or_else(|e| e.into_inner());
                    p.index = item.index;
                    p.completed += 1;
                    if item.is_ok() {
                        p.succeeded += 1;
                    } else {
                        p.failed += 1;
                    }
                    if item.resumed {
                        p.resumed += 1;
                    } else if let Ok(g) = &item.result {
                        p.credits_spent += u64::from(g.credits().unwrap_or(0));
                    }
                    *p
                };
                if let Some(cb) = &s2.opts.on_progress {
                    cb(snapshot);
                }
                item
            });
        Ok(BatchStream {
            inner: Box::pin(inner),
            total,
        })
    }
}

async fn run_item(
    shared: &Shared,
    index: usize,
    key: String,
    req: GenerateRequest,
    done: Option<Done>,
) -> BatchItem {
    let client = &shared.client;
    let mut item = BatchItem {
        index,
        key,
        result: Err(crate::cancel::cancelled_error()),
        files: Vec::new(),
        save_error: None,
        resumed: false,
    };
    let done = done.unwrap_or_default();
    let warnings = req.validate().warnings;
    let credits = req.credits().ok();

    // 1. Find the generation: from the manifest, from a record an earlier run lost, or new.
    let mut generation: Option<Generation> = None;
    if let Some(raw) = &done.record {
        match Record::from_body(raw) {
            Ok(Some(record)) => {
                item.resumed = true;
                generation = Some(Generation::new(
                    client.clone(),
                    record,
                    Some(req.clone()),
                    warnings.clone(),
                    done.credits.map(|c| c as u32).or(credits),
                ));
            }
            _ => tracing::warn!(
                index,
                "visionxl: manifest record unreadable; generating again"
            ),
        }
    }
    if generation.is_none()
        && let Some(id) = &done.failed_record
    {
        // An earlier run lost the answer but knew the record: read it instead of paying again.
        let fut = client.wait_for_generation(id);
        if let Ok(g) = cancellable(shared.opts.cancel.as_ref(), fut).await {
            item.resumed = true;
            let g = Generation::new(
                client.clone(),
                g.record,
                Some(req.clone()),
                warnings.clone(),
                credits,
            );
            if let Err(e) = append_generated(shared, &item.key, index, &g).await {
                item.save_error = Some(e);
            }
            generation = Some(g);
        }
    }
    let generation = match generation {
        Some(g) => g,
        None => {
            let opts = GenerateOptions {
                async_mode: shared.opts.async_mode,
                cancel: shared.opts.cancel.clone(),
                poll_timeout: None,
            };
            match client.generate_with(&req, opts).await {
                Ok(g) => {
                    if let Err(e) = append_generated(shared, &item.key, index, &g).await {
                        item.save_error = Some(e);
                    }
                    g
                }
                Err(e) => {
                    if let Some(m) = &shared.manifest {
                        let line = json!({
                            "v": 1,
                            "event": "failed",
                            "key": item.key,
                            "index": index,
                            "code": e.code().as_str(),
                            "message": e.message(),
                            "record_id": e.record_id(),
                            "may_have_been_charged": e.may_have_been_charged(),
                            "at": utc_now(),
                        });
                        if let Err(me) = m.append(&line).await {
                            tracing::warn!(error = %me, "visionxl: could not record a failure in the manifest");
                        }
                    }
                    item.result = Err(e);
                    return item;
                }
            }
        }
    };

    // 2. Save, unless an earlier run did.
    if let Some(dir) = &shared.opts.out_dir
        && item.save_error.is_none()
    {
        if let (true, Some(files)) = (item.resumed, &done.files) {
            item.files = files.clone();
        } else {
            let existing = if shared.opts.overwrite {
                Existing::Overwrite
            } else {
                Existing::KeepSameRecord
            };
            let fut = save_refreshing(client, &generation, dir, existing);
            match run_cancellable(
                shared.opts.cancel.as_ref(),
                fut,
                crate::cancel::cancelled_error,
            )
            .await
            {
                Ok(files) => {
                    if let Some(m) = &shared.manifest {
                        let line = json!({
                            "v": 1,
                            "event": "saved",
                            "key": item.key,
                            "index": index,
                            "record_id": generation.id(),
                            "files": files,
                            "at": utc_now(),
                        });
                        if let Err(e) = m.append(&line).await {
                            item.save_error = Some(e);
                        }
                    }
                    item.files = files;
                }
                Err(e) => item.save_error = Some(e),
            }
        }
    }
    item.result = Ok(generation);
    item
}

async fn append_generated(
    shared: &Shared,
    key: &str,
    index: usize,
    g: &Generation,
) -> Result<(), Error> {
    let Some(m) = &shared.manifest else {
        return Ok(());
    };
    let line = json!({
        "v": 1,
        "event": "generated",
        "key": key,
        "index": index,
        "record_id": g.id(),
        "status": g.status().as_str(),
        "credits": g.credits(),
        "request": g.request_wire(),
        "record": g.raw(),
        "at": utc_now(),
    });
    m.append(&line).await
}

/// Saves every image; when a signed URL has expired, reads the record again for fresh URLs.
async fn save_refreshing(
    client: &Client,
    g: &Generation,
    dir: &Path,
    existing: Existing,
) -> Result<Vec<PathBuf>, Error> {
    match g.save_all_inner(dir, existing, true).await {
        Err(e)
            if e.code() == ErrorCode::DownloadError
                && matches!(e.status(), Some(400 | 401 | 403 | 410)) =>
        {
            tracing::info!(
                record_id = g.id(),
                "visionxl: download refused; reading the record for fresh URLs"
            );
            let fresh = client.get_generation(g.id()).await?;
            let fresh = Generation::new(
                client.clone(),
                fresh.record,
                g.request().cloned(),
                g.warnings().to_vec(),
                g.credits(),
            );
            let keep = if existing == Existing::Overwrite {
                Existing::Overwrite
            } else {
                Existing::KeepSameRecord
            };
            fresh.save_all_inner(dir, keep, true).await
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stable_and_positional() {
        let a = GenerateRequest::new("a fox");
        let k0 = manifest_key(0, &a);
        assert_eq!(k0, manifest_key(0, &a.clone()));
        assert_ne!(k0, manifest_key(1, &a));
        assert_ne!(k0, manifest_key(0, &GenerateRequest::new("a fox ")));
        assert_eq!(k0.len(), 32);
    }
}
