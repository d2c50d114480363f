//! Batches: many generations at once, a JSONL manifest, resume without paying twice.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use futures_util::stream::{self, Stream, StreamExt};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use visionxl_core::error::Text;
use visionxl_core::{Error, ErrorCode, GenerateRequest, Record};

use crate::cancel::{CancelToken, run_cancellable};
use crate::client::{BeforeSend, Client, GenerateOptions, cancellable};
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
    /// Generations in flight at once, 1..=1000 (default 4; pacing still applies).
    pub concurrency: usize,
    /// A JSONL manifest: a `sending` line before each generation request leaves, one line per
    /// finished record, appended and flushed before its images are downloaded (the format is
    /// described on [`Client::generate_many`]). Rerunning with the same manifest skips
    /// finished work.
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
    /// Resume only: send again an item whose earlier attempt (recorded in the manifest) may
    /// already have been charged although its record id is unknown (a connection dropped or an
    /// answer broke after the request was sent, a 5xx, a timeout, a cancellation after
    /// sending, or a run killed while the request was in flight: a `sending` line with no
    /// later outcome). Default false: such an item is not sent again; it comes back as a
    /// [`BatchItem`] whose error has [`Error::may_have_been_charged`] set and says how to send
    /// it again (it keeps the earlier code; `cancelled` for a run interrupted mid-request).
    /// Opting in may pay twice for it. Items whose record id is known are never sent again
    /// while the record can be read: it is read (`GET`, free) instead. Not to be confused with
    /// [`ClientBuilder::retry_ambiguous`](crate::ClientBuilder::retry_ambiguous), which governs
    /// retries within one call.
    pub retry_ambiguous: bool,
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
            retry_ambiguous: false,
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
            .field("retry_ambiguous", &self.retry_ambiguous)
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
    /// The generation, or why it failed. On resume, an item that an earlier run may already
    /// have paid for without a known record id is not sent again (unless
    /// [`BatchOptions::retry_ambiguous`]): its error keeps the earlier code and has
    /// [`Error::may_have_been_charged`] set.
    pub result: Result<Generation, Error>,
    /// The saved files (with `out_dir`).
    pub files: Vec<PathBuf>,
    /// A failure downloading or saving after the generation succeeded: the generation is paid
    /// for and (unless [`manifest_error`](Self::manifest_error) says otherwise) recorded; rerun
    /// with the manifest to finish it without paying again.
    pub save_error: Option<Error>,
    /// The manifest could not record this item (after one retry). The images are downloaded
    /// and saved regardless (nothing paid for is dropped), but when the `generated` line is
    /// missing a rerun with this manifest does not know the generation and would pay for it
    /// again: the message names the record id, which [`Client::get_generation`] reads.
    pub manifest_error: Option<Error>,
    /// True when an earlier run (the manifest) already paid for this generation.
    pub resumed: bool,
}

impl BatchItem {
    /// True when the generation succeeded and nothing failed after it (saving, manifest).
    pub fn is_ok(&self) -> bool {
        self.result.is_ok() && self.save_error.is_none() && self.manifest_error.is_none()
    }

    /// The first error of the item, if any: the generation's, else saving's, else the
    /// manifest's.
    pub fn error(&self) -> Option<&Error> {
        self.result
            .as_ref()
            .err()
            .or(self.save_error.as_ref())
            .or(self.manifest_error.as_ref())
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
    /// The record's JSON text: kept as text (not a `Value`) so that resuming a batch of many
    /// thousands of items costs about a kilobyte per finished item, not ten.
    record: Option<String>,
    credits: Option<u64>,
    files: Option<Vec<PathBuf>>,
    /// A record an earlier attempt created (and may have paid for) but whose answer was lost:
    /// read it instead of paying again.
    failed_record: Option<String>,
    /// An earlier attempt that may have been charged and whose record id is unknown. Sticky:
    /// a later failure that charged nothing does not clear it, only a `generated` line does.
    ambiguous: Option<Ambiguous>,
    /// The last event is a `sending` line with no later `generated` or `failed` line: the run
    /// was killed (or lost power) while that request was in flight. It may have been charged.
    interrupted: Option<Interrupted>,
}

/// A `sending` line without an outcome.
#[derive(Debug, Clone)]
struct Interrupted {
    at: Option<String>,
    attempt: Option<u64>,
}

/// A failed attempt that may have been charged, record id unknown.
#[derive(Debug, Clone)]
struct Ambiguous {
    code: ErrorCode,
    message: String,
    at: Option<String>,
}

/// What the manifest holds: per key, what earlier runs did; and whether the file ends in the
/// middle of a line (a crash or a failed write), so the next line must start on a new one.
#[derive(Debug, Default)]
struct Loaded {
    done: HashMap<String, Done>,
    torn_tail: bool,
}

async fn load_manifest(path: &Path) -> Result<Loaded, Error> {
    let read_error = |e: std::io::Error| {
        Error::new(
            ErrorCode::IoError,
            format!("cannot read the manifest {}: {e}", path.display()),
        )
        .with_source(e)
    };
    let file = match tokio::fs::File::open(path).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Loaded::default()),
        Err(e) => return Err(read_error(e)),
    };
    // Line by line: a manifest of many thousands of items is never held whole in memory.
    let mut reader = tokio::io::BufReader::new(file);
    let mut line = Vec::new();
    let mut torn_tail = false;
    let mut map: HashMap<String, Done> = HashMap::new();
    for n in 1.. {
        line.clear();
        if reader
            .read_until(b'\n', &mut line)
            .await
            .map_err(read_error)?
            == 0
        {
            break;
        }
        torn_tail = line.last() != Some(&b'\n');
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        // A crash can leave a half-written last line: skip what does not parse.
        let Ok(v) = serde_json::from_slice::<Value>(&line) else {
            tracing::warn!(line = n, "visionxl: skipping an unreadable manifest line");
            continue;
        };
        let Some(key) = v["key"].as_str() else {
            continue;
        };
        let entry = map.entry(key.to_string()).or_default();
        let event = v["event"].as_str();
        if matches!(event, Some("generated" | "failed")) {
            // The request in flight got its outcome.
            entry.interrupted = None;
        }
        match event {
            Some("sending") => {
                entry.interrupted = Some(Interrupted {
                    at: v["at"].as_str().map(str::to_string),
                    attempt: v["attempt"].as_u64(),
                });
            }
            Some("generated") => {
                entry.record = Some(v["record"].to_string());
                entry.credits = v["credits"].as_u64();
                entry.failed_record = None;
                entry.ambiguous = None;
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
                // A line without the flag is treated as possibly charged: never guess cheap.
                let charged = v["may_have_been_charged"].as_bool().unwrap_or(true);
                match (v["record_id"].as_str(), charged) {
                    (Some(id), true) => entry.failed_record = Some(id.to_string()),
                    // That record is settled (e.g. generation_failed): nothing to read back.
                    (Some(id), false) => {
                        if entry.failed_record.as_deref() == Some(id) {
                            entry.failed_record = None;
                        }
                    }
                    (None, true) => {
                        entry.ambiguous = Some(Ambiguous {
                            code: v["code"]
                                .as_str()
                                .and_then(ErrorCode::parse)
                                .unwrap_or(ErrorCode::ConnectionError),
                            message: v["message"].as_str().unwrap_or_default().to_string(),
                            at: v["at"].as_str().map(str::to_string),
                        });
                    }
                    (None, false) => {}
                }
            }
            _ => {}
        }
    }
    Ok(Loaded {
        done: map,
        torn_tail,
    })
}

/// Appends lines to the manifest, one writer at a time, flushed and synced.
struct Manifest {
    file: tokio::sync::Mutex<ManifestFile>,
    path: PathBuf,
}

struct ManifestFile {
    file: tokio::fs::File,
    /// The file may end with a partial line (an earlier crash or failed write): the next line
    /// starts with a newline so it is not glued to the torn one (blank lines are skipped).
    torn: bool,
}

impl Manifest {
    async fn open(path: &Path, torn_tail: bool) -> Result<Manifest, Error> {
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
            file: tokio::sync::Mutex::new(ManifestFile {
                file,
                torn: torn_tail,
            }),
            path: path.to_path_buf(),
        })
    }

    /// Appends one line; a failed write is retried once, on a fresh line.
    async fn append(&self, line: &Value) -> Result<(), Error> {
        let mut text = serde_json::to_string(line).unwrap_or_default();
        text.push('\n');
        let mut f = self.file.lock().await;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let prefix: &[u8] = if f.torn { b"\n" } else { b"" };
            // Torn until the write completes: if this future is dropped mid-write (a cancelled
            // call), the next line still starts on a fresh line (blank lines are skipped).
            f.torn = true;
            let result = self.write(&mut f.file, prefix, &text, line).await;
            match result {
                Ok(()) => {
                    f.torn = false;
                    return Ok(());
                }
                Err(e) => {
                    // Part of the line may be in the file: the next one starts on a new line.
                    if attempt < 2 {
                        tracing::warn!(
                            error = %e,
                            manifest = %self.path.display(),
                            "visionxl: appending to the manifest failed; retrying once"
                        );
                        continue;
                    }
                    return Err(Error::new(
                        ErrorCode::IoError,
                        format!(
                            "cannot append to the manifest {} (tried twice): {e}",
                            self.path.display()
                        ),
                    )
                    .with_source(e));
                }
            }
        }
    }

    async fn write(
        &self,
        file: &mut tokio::fs::File,
        prefix: &[u8],
        text: &str,
        line: &Value,
    ) -> std::io::Result<()> {
        #[cfg(test)]
        if inject::take(&self.path, line["event"].as_str().unwrap_or_default()) {
            // A write that broke off half way: the torn half stays in the file.
            file.write_all(prefix).await?;
            file.write_all(&text.as_bytes()[..text.len() / 2]).await?;
            file.flush().await?;
            return Err(std::io::Error::other("injected manifest write failure"));
        }
        #[cfg(not(test))]
        let _ = line;
        file.write_all(prefix).await?;
        file.write_all(text.as_bytes()).await?;
        file.flush().await?;
        file.sync_data().await
    }
}

/// Test seam: make the next appends of one event to one manifest fail half way.
#[cfg(test)]
pub(crate) mod inject {
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;

    static FAILURES: Mutex<Vec<(PathBuf, String, u32)>> = Mutex::new(Vec::new());

    /// The next `times` appends of `event` lines to `manifest` fail after writing half a line.
    pub(crate) fn fail_appends(manifest: &Path, event: &str, times: u32) {
        let mut f = FAILURES.lock().unwrap_or_else(|e| e.into_inner());
        f.push((manifest.to_path_buf(), event.to_string(), times));
    }

    pub(super) fn take(manifest: &Path, event: &str) -> bool {
        let mut f = FAILURES.lock().unwrap_or_else(|e| e.into_inner());
        match f
            .iter_mut()
            .find(|(p, e, n)| p == manifest && e == event && *n > 0)
        {
            Some(entry) => {
                entry.2 -= 1;
                true
            }
            None => false,
        }
    }
}

/// Appends the `sending` line of one item before each of its generation POSTs, so that a run
/// killed mid-request leaves a trace and its rerun does not pay again blindly.
struct SendingLine<'a> {
    manifest: &'a Manifest,
    key: &'a str,
    index: usize,
    credits: Option<u32>,
    request: Value,
}

impl BeforeSend for SendingLine<'_> {
    fn before_send(&self, attempt: u32) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            let line = json!({
                "v": 1,
                "event": "sending",
                "key": self.key,
                "index": self.index,
                "attempt": attempt,
                "credits": self.credits,
                "request": self.request,
                "at": utc_now(),
            });
            self.manifest.append(&line).await.map_err(|e| {
                let msg = format!(
                    "{}; the generation request was not sent, because a run killed while it is \
                     in flight could not tell that it may have been charged",
                    e.message()
                );
                e.with_message(msg)
            })
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
    /// The manifest is append-only JSONL, one event per line, every line with `"v": 1`, the
    /// item's `key` ([`manifest_key`]), its `index` and the UTC time `at`:
    /// - `sending`: appended and synced right before each generation request leaves, with
    ///   `attempt` (from 1), `credits` (the price) and `request` (the wire JSON). When it
    ///   cannot be written, the request is not sent (the item fails with `io_error`).
    /// - `generated`: the record is final: `record_id`, `status`, `credits`, `request`,
    ///   `record` (the whole answer).
    /// - `failed`: `code`, `message`, `record_id` (or null), `may_have_been_charged`.
    /// - `saved`: `record_id`, `files`.
    ///
    /// An item whose last event is `sending` (the run was killed, or the machine lost power,
    /// while that request was in flight) may have been charged: a rerun does not send it again
    /// unless [`BatchOptions::retry_ambiguous`]; it comes back as `cancelled` with
    /// [`Error::may_have_been_charged`] set. Unreadable lines (a torn last line) are skipped,
    /// and manifests written before `sending` lines existed resume as before.
    ///
    /// On a rerun, an item whose earlier attempt failed after the request may have reached the
    /// service is not sent again: when the record id is known the record is read instead
    /// (`GET`, free; sent again only when it ended as a FAILURE), and when it is unknown the
    /// item comes back with an error that keeps the earlier code and has
    /// [`Error::may_have_been_charged`] set, unless [`BatchOptions::retry_ambiguous`]. Items
    /// that failed without any charge (validation, budget, a failed generation, ...) are sent
    /// again. When the manifest cannot record a finished generation (after one retry), its
    /// images are saved all the same and the item reports it in
    /// [`BatchItem::manifest_error`].
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
        crate::options::check_concurrency(opts.concurrency)?;
        let (done, manifest) = match &opts.manifest {
            Some(p) => {
                let loaded = load_manifest(p).await?;
                let m = Manifest::open(p, loaded.torn_tail).await?;
                (loaded.done, Some(m))
            }
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
        manifest_error: None,
        resumed: false,
    };
    let done = done.unwrap_or_default();
    let warnings = req.validate().warnings;
    let credits = req.credits().ok();

    // 1. Find the generation: from the manifest, from a record an earlier run lost, or new.
    let mut generation: Option<Generation> = None;
    if let Some(raw) = &done.record {
        let parsed = serde_json::from_str::<Value>(raw)
            .ok()
            .map(|v| Record::from_body(&v));
        match parsed.unwrap_or(Ok(None)) {
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
        match cancellable(shared.opts.cancel.as_ref(), fut).await {
            Ok(g) => {
                item.resumed = true;
                let g = Generation::new(
                    client.clone(),
                    g.record,
                    Some(req.clone()),
                    warnings.clone(),
                    credits,
                );
                item.manifest_error = append_generated(shared, &item.key, index, &g).await;
                generation = Some(g);
            }
            // The record ended as a FAILURE: there is nothing to recover, the item may be
            // generated again (unless an attempt without a record id may have been charged).
            Err(e) if e.code() == ErrorCode::GenerationFailed => tracing::info!(
                index,
                record_id = %id,
                "visionxl: the record an earlier run lost has failed; generating again"
            ),
            Err(e) if e.code() == ErrorCode::NotFound && shared.opts.retry_ambiguous => {
                tracing::warn!(
                    index,
                    record_id = %id,
                    "visionxl: the record an earlier run lost cannot be found; sending again \
                     (the retry_ambiguous option)"
                );
            }
            Err(e) => {
                item.result = Err(unrecovered_error(e, id));
                return item;
            }
        }
    }
    if generation.is_none() && !shared.opts.retry_ambiguous {
        if let Some(int) = &done.interrupted {
            item.result = Err(interrupted_error(int));
            return item;
        }
        if let Some(amb) = &done.ambiguous {
            item.result = Err(not_resent_error(amb));
            return item;
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
            let hook = shared.manifest.as_ref().map(|manifest| SendingLine {
                manifest,
                key: &item.key,
                index,
                credits,
                request: req.to_wire(),
            });
            let result = client
                .generate_hooked(&req, opts, hook.as_ref().map(|h| h as &dyn BeforeSend))
                .await;
            match result {
                Ok(g) => {
                    item.manifest_error = append_generated(shared, &item.key, index, &g).await;
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

    // 2. Save, unless an earlier run did. A manifest failure does not stop this: the
    //    generation is paid for and in hand, so its images are saved regardless.
    if let Some(dir) = &shared.opts.out_dir {
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
                        if let Err(e) = m.append(&line).await
                            && item.manifest_error.is_none()
                        {
                            let msg = format!(
                                "{}; the images of record {} are saved, and a rerun with this \
                                 manifest finds them again without paying",
                                e.message(),
                                generation.id()
                            );
                            item.manifest_error = Some(e.with_message(msg));
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

/// The error of an item not sent again because an earlier attempt may have been charged.
fn not_resent_error(amb: &Ambiguous) -> Error {
    let when = amb
        .at
        .as_deref()
        .map(|at| format!(" at {at}"))
        .unwrap_or_default();
    Error::new(
        amb.code,
        format!(
            "not sent again: this item may already have been charged in a previous run \
             ({code}{when}: {msg}) and its record id is unknown; check the account's history, \
             then rerun with the retry_ambiguous option on to send it again, which may pay \
             for it twice",
            code = amb.code.as_str(),
            msg = amb.message,
        ),
    )
    .with_may_have_been_charged(true)
}

/// The error of an item not sent again because an earlier run was killed (or lost power)
/// while its generation request was in flight: a `sending` line with no outcome.
fn interrupted_error(int: &Interrupted) -> Error {
    let mut when = String::new();
    if let Some(at) = &int.at {
        when.push_str(&format!(" (sent at {at}"));
        if let Some(n) = int.attempt {
            when.push_str(&format!(", attempt {n}"));
        }
        when.push(')');
    }
    Error::new(
        ErrorCode::Cancelled,
        format!(
            "not sent again: the previous run was interrupted while this request was in \
             flight{when}, so it may already have been charged and its record id is unknown; \
             check the 1min.ai history for it, then rerun with the retry_ambiguous option on to \
             send it again, which may pay for it \
             twice"
        ),
    )
    .with_may_have_been_charged(true)
}

/// The error of an item whose earlier record could not be read back (still processing,
/// unreachable, ...): it is not sent again, the record may hold the paid images.
fn unrecovered_error(e: Error, id: &str) -> Error {
    let msg = e
        .text()
        .lit(format!(
            " (record {id}, from a previous run, may already have been charged: it was not sent \
             again; read it later with "
        ))
        .text(&Text::get_generation(id))
        .lit(" or rerun with this manifest)");
    e.with_text(msg)
        .with_record_id(Some(id.to_string()))
        .with_may_have_been_charged(true)
}

/// Records a finished generation in the manifest (the append is retried once). `Some`: it
/// could not, and a rerun would not know about this paid generation.
async fn append_generated(
    shared: &Shared,
    key: &str,
    index: usize,
    g: &Generation,
) -> Option<Error> {
    let m = shared.manifest.as_ref()?;
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
    let e = m.append(&line).await.err()?;
    tracing::error!(
        record_id = g.id(),
        error = %e,
        "visionxl: a paid generation could not be recorded in the manifest"
    );
    let msg = e
        .text()
        .lit(format!(
            "; record {id} is paid for but not recorded: its images are saved all the same, but \
             a rerun with this manifest would not know it and would pay for it again (read it \
             with ",
            id = g.id()
        ))
        .text(&Text::get_generation(g.id()))
        .lit(")");
    Some(e.with_text(msg).with_record_id(Some(g.id().to_string())))
}

/// Saves every image; when a signed URL has expired, reads the record again for fresh URLs.
async fn save_refreshing(
    client: &Client,
    g: &Generation,
    dir: &Path,
    existing: Existing,
) -> Result<Vec<PathBuf>, Error> {
    match g.save_all_inner(dir, existing, true, None).await {
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
            fresh.save_all_inner(dir, keep, true, None).await
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use visionxl_emulator::{Emulator, EmulatorConfig};

    async fn emulator() -> Emulator {
        Emulator::start(EmulatorConfig::default()).await.unwrap()
    }

    fn client(emu: &Emulator) -> Client {
        Client::builder()
            .ignore_env()
            .api_key(emu.api_key())
            .base_url(emu.base_url())
            .requests_per_minute(0)
            .build()
            .unwrap()
    }

    async fn run(client: &Client, reqs: &[GenerateRequest], opts: BatchOptions) -> Vec<BatchItem> {
        client
            .generate_many(reqs.to_vec(), opts)
            .await
            .unwrap()
            .collect()
            .await
    }

    #[tokio::test]
    async fn a_paid_generation_the_manifest_cannot_record_is_still_saved_and_reported() {
        let emu = emulator().await;
        let client = client(&emu);
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("m.jsonl");
        let out = dir.path().join("out");
        // Both the append and its retry break off half way.
        inject::fail_appends(&manifest, "generated", 2);
        let reqs = [GenerateRequest::new("a paid fox")];
        let opts = || BatchOptions {
            manifest: Some(manifest.clone()),
            out_dir: Some(out.clone()),
            ..Default::default()
        };
        let items = run(&client, &reqs, opts()).await;
        let item = &items[0];
        let g = item.result.as_ref().expect("the generation succeeded");
        assert_eq!(item.files.len(), 1, "the paid image is saved: {item:?}");
        assert!(item.files[0].exists());
        assert!(item.save_error.is_none(), "{item:?}");
        let e = item
            .manifest_error
            .as_ref()
            .expect("the manifest failure is reported");
        assert_eq!(e.code(), ErrorCode::IoError);
        assert_eq!(e.record_id(), Some(g.id()));
        assert!(e.message().contains(g.id()), "{e}");
        assert!(e.message().contains("pay for it again"), "{e}");
        assert!(!item.is_ok());
        assert_eq!(item.error().map(Error::code), Some(ErrorCode::IoError));
        assert_eq!(emu.ledger().charges.len(), 1);
        // The torn halves did not swallow the "saved" line that followed them.
        let text = std::fs::read_to_string(&manifest).unwrap();
        assert!(
            text.lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .any(|l| l["event"] == "saved" && l["record_id"] == g.id())
        );
    }

    #[tokio::test]
    async fn a_failed_manifest_append_is_retried_once_on_a_fresh_line() {
        let emu = emulator().await;
        let client = client(&emu);
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("m.jsonl");
        let out = dir.path().join("out");
        inject::fail_appends(&manifest, "generated", 1);
        let reqs = [GenerateRequest::new("a retried fox")];
        let opts = || BatchOptions {
            manifest: Some(manifest.clone()),
            out_dir: Some(out.clone()),
            ..Default::default()
        };
        let items = run(&client, &reqs, opts()).await;
        assert!(items[0].is_ok(), "{:?}", items[0]);
        assert_eq!(items[0].files.len(), 1);
        // The retried line is readable despite the torn half before it: a rerun pays nothing.
        let items = run(&client, &reqs, opts()).await;
        assert!(items[0].is_ok() && items[0].resumed, "{:?}", items[0]);
        assert_eq!(emu.ledger().charges.len(), 1);
    }

    #[tokio::test]
    async fn a_sending_line_that_cannot_be_written_stops_the_request() {
        let emu = emulator().await;
        let client = client(&emu);
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("m.jsonl");
        // The append and its retry both break off half way.
        inject::fail_appends(&manifest, "sending", 2);
        let reqs = [GenerateRequest::new("an unrecorded fox")];
        let opts = || BatchOptions {
            manifest: Some(manifest.clone()),
            ..Default::default()
        };
        let items = run(&client, &reqs, opts()).await;
        let e = items[0].result.as_ref().unwrap_err();
        assert_eq!(e.code(), ErrorCode::IoError, "{e}");
        assert!(!e.may_have_been_charged(), "{e}");
        assert!(e.message().contains("was not sent"), "{e}");
        assert_eq!(emu.ledger().charges.len(), 0, "nothing left");
        // The rerun (the manifest works again) sends it: the torn halves are skipped.
        let items = run(&client, &reqs, opts()).await;
        assert!(items[0].is_ok(), "{:?}", items[0]);
        assert_eq!(emu.ledger().charges.len(), 1);
    }

    #[test]
    fn sending_without_an_outcome_is_interrupted_and_an_outcome_clears_it() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.jsonl");
        let text = [
            r#"{"v":1,"event":"sending","key":"a","index":0,"attempt":1,"at":"t1"}"#,
            r#"{"v":1,"event":"sending","key":"b","index":1,"attempt":1,"at":"t1"}"#,
            r#"{"v":1,"event":"failed","key":"b","index":1,"code":"rate_limited","message":"m","record_id":null,"may_have_been_charged":false,"at":"t2"}"#,
            r#"{"v":1,"event":"sending","key":"b","index":1,"attempt":2,"at":"t3"}"#,
            r#"{"v":1,"event":"sending","key":"c","index":2,"attempt":1,"at":"t1"}"#,
            r#"{"v":1,"event":"generated","key":"c","index":2,"record_id":"r","record":{},"at":"t2"}"#,
            r#"{"v":1,"event":"sending","key":"d","index":3,"attempt":1,"at":"t1"}"#,
            r#"{"v":1,"event":"failed","key":"d","index":3,"code":"server_error","message":"m","record_id":null,"may_have_been_charged":true,"at":"t2"}"#,
            r#"{"v":1,"event":"sen"#,
        ]
        .join("\n");
        std::fs::write(&path, text).unwrap();
        let loaded = rt.block_on(load_manifest(&path)).unwrap();
        assert!(loaded.torn_tail);
        let a = loaded.done["a"].interrupted.as_ref().unwrap();
        assert_eq!((a.at.as_deref(), a.attempt), (Some("t1"), Some(1)));
        let b = loaded.done["b"].interrupted.as_ref().unwrap();
        assert_eq!((b.at.as_deref(), b.attempt), (Some("t3"), Some(2)));
        assert!(loaded.done["c"].interrupted.is_none());
        assert!(loaded.done["c"].record.is_some());
        assert!(loaded.done["d"].interrupted.is_none());
        assert_eq!(
            loaded.done["d"].ambiguous.as_ref().map(|a| a.code),
            Some(ErrorCode::ServerError)
        );
    }

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
