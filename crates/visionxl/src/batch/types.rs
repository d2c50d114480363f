//! The public types of a batch: its options, its items, its progress and its stream.

use std::fmt;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::stream::Stream;
use visionxl_core::Error;

use crate::cancel::CancelToken;
use crate::generation::Generation;

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

/// Options of [`Client::generate_many`](crate::Client::generate_many).
#[derive(Clone)]
pub struct BatchOptions {
    /// Generations in flight at once, 1..=1000 (default 4; pacing still applies).
    pub concurrency: usize,
    /// A JSONL manifest: a `sending` line before each generation request leaves, one line per
    /// finished record, appended and flushed before its images are downloaded (the format is
    /// described on [`Client::generate_many`](crate::Client::generate_many)). Rerunning with the same manifest skips
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

/// One finished item of a batch. Cloning is cheap (a generation shares its client).
#[derive(Debug, Clone)]
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
    /// again: the message names the record id, which [`Client::get_generation`](crate::Client::get_generation) reads.
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

impl BatchStream {
    pub(crate) fn new(inner: Pin<Box<dyn Stream<Item = BatchItem> + Send>>, total: usize) -> Self {
        BatchStream { inner, total }
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
