//! Running a batch: [`Client::generate_many`] (a stream in completion order) and
//! [`Client::generate_all`] (every item, in input order).

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};

use futures_util::stream::{self, StreamExt};
use visionxl_core::{Error, ErrorCode, GenerateRequest};

use super::item::{Shared, run_item};
use super::resume::{self, Prior};
use super::types::{BatchItem, BatchOptions, BatchStream, Progress};
use crate::cancel::CancelToken;
use crate::client::Client;
use crate::manifest::{ManifestWriter, manifest_key};

impl Client {
    /// Runs many generations, `opts.concurrency` at a time (all paced by the client's bucket
    /// and charged against its budget), as a stream of items in completion order.
    ///
    /// With `opts.manifest`, each finished record is appended (and flushed) to the JSONL
    /// manifest before its images are downloaded; a rerun with the same manifest and requests
    /// skips what is finished, downloads what was paid for but not saved, and never pays twice
    /// for it. Fails at once only when the manifest cannot be read or opened.
    ///
    /// The manifest ([`crate::manifest`]) is append-only JSONL, one event per line, every line with `"v": 1`, the
    /// item's `key` ([`manifest_key`](crate::manifest_key)), its `index` and the UTC time `at`:
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
        let (prior, manifest) = match &opts.manifest {
            Some(p) => {
                let loaded = resume::load(p).await?;
                let m = ManifestWriter::open(p, loaded.torn_tail).await?;
                (loaded.prior, Some(m))
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
        let work: Vec<(usize, String, GenerateRequest, Option<Prior>)> = requests
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                let key = manifest_key(i, &r);
                let p = prior.get(&key).cloned();
                (i, key, r, p)
            })
            .collect();
        let s2 = shared.clone();
        let inner = stream::iter(work)
            .map(move |(index, key, req, prior)| {
                let shared = shared.clone();
                async move { run_item(&shared, index, key, req, prior).await }
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
        Ok(BatchStream::new(Box::pin(inner), total))
    }

    /// Runs a batch to its end and returns every item **in input order** (`items[i]` is
    /// request `i`), calling `on_item` as each one finishes (in completion order).
    ///
    /// `on_item` returning [`ControlFlow::Break`] stops the batch: the batch's cancel token
    /// ([`BatchOptions::cancel`], or one made for the call) is cancelled, so items in flight
    /// end with `cancelled` (saying whether their request had left) and items not started send
    /// nothing (`cancelled`, or their earlier run's result on resume); `on_item` is not called
    /// again. Every input
    /// position gets an item all the same: one the batch never reached is a [`not_run_error`]
    /// (`cancelled`, never charged). The manifest rules are those of
    /// [`generate_many`](Self::generate_many). Fails at once only when the manifest cannot
    /// be read or opened.
    ///
    /// ```no_run
    /// # async fn demo(client: visionxl::Client) -> Result<(), visionxl::Error> {
    /// use std::ops::ControlFlow;
    /// use visionxl::{BatchOptions, GenerateRequest};
    /// let reqs = (0..10).map(|i| GenerateRequest::new(format!("tile {i}"))).collect();
    /// let items = client
    ///     .generate_all(reqs, BatchOptions::default(), |item| {
    ///         // Stop at the first failure.
    ///         if item.is_ok() { ControlFlow::Continue(()) } else { ControlFlow::Break(()) }
    ///     })
    ///     .await?;
    /// for item in &items {
    ///     println!("{} ok={}", item.index, item.is_ok());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn generate_all<F>(
        &self,
        requests: Vec<GenerateRequest>,
        mut opts: BatchOptions,
        mut on_item: F,
    ) -> Result<Vec<BatchItem>, Error>
    where
        F: FnMut(&BatchItem) -> ControlFlow<()> + Send,
    {
        let cancel = opts.cancel.get_or_insert_with(CancelToken::new).clone();
        let keys: Vec<String> = requests
            .iter()
            .enumerate()
            .map(|(i, r)| manifest_key(i, r))
            .collect();
        let mut stream = self.generate_many(requests, opts).await?;
        let mut slots: Vec<Option<BatchItem>> = keys.iter().map(|_| None).collect();
        let mut stopped = false;
        while let Some(item) = stream.next().await {
            if !stopped && on_item(&item).is_break() {
                stopped = true;
                cancel.cancel();
            }
            if let Some(slot) = slots.get_mut(item.index) {
                *slot = Some(item);
            }
        }
        Ok(slots
            .into_iter()
            .zip(keys)
            .enumerate()
            .map(|(index, (slot, key))| {
                slot.unwrap_or_else(|| BatchItem {
                    index,
                    key,
                    result: Err(not_run_error()),
                    files: Vec::new(),
                    save_error: None,
                    manifest_error: None,
                    resumed: false,
                })
            })
            .collect())
    }
}

/// The error of an item a batch never ran ([`Client::generate_all`]): `cancelled`, with
/// nothing sent and nothing charged.
pub fn not_run_error() -> Error {
    Error::new(
        ErrorCode::Cancelled,
        "not run: the batch stopped before this item started; nothing was sent for it",
    )
}
