//! One item of a batch, step by step: find its generation (from the manifest, from a record an
//! earlier run lost, or new), refuse to pay twice, then save its images.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use futures_util::future::BoxFuture;
use serde_json::Value;
use visionxl_core::error::Text;
use visionxl_core::{Error, ErrorCode, GenerateRequest, Record, Violation};

use super::resume::{Prior, interrupted_error, not_resent_error, unrecovered_error};
use super::types::{BatchItem, BatchOptions, Progress};
use crate::cancel::{cancelled_error, run_cancellable};
use crate::client::{BeforeSend, Client, GenerateOptions};
use crate::fs::Existing;
use crate::generation::Generation;
use crate::manifest::{Event, Line, ManifestWriter};

/// What every item of one batch shares.
pub(crate) struct Shared {
    pub(crate) client: Client,
    pub(crate) opts: BatchOptions,
    pub(crate) manifest: Option<ManifestWriter>,
    pub(crate) progress: Mutex<Progress>,
}

/// One item's request and what is known of it before anything runs.
struct Work {
    req: GenerateRequest,
    warnings: Vec<Violation>,
    credits: Option<u32>,
}

/// Runs one item to its end: the outcome is always a [`BatchItem`], never a panic or an early
/// error.
pub(crate) async fn run_item(
    shared: &Shared,
    index: usize,
    key: String,
    req: GenerateRequest,
    prior: Option<Prior>,
) -> BatchItem {
    let mut item = BatchItem {
        index,
        key,
        result: Err(cancelled_error()),
        files: Vec::new(),
        save_error: None,
        manifest_error: None,
        resumed: false,
    };
    let prior = prior.unwrap_or_default();
    let work = Work {
        warnings: req.validate().warnings,
        credits: req.credits().ok(),
        req,
    };
    let generation = match find_generation(shared, &mut item, &work, &prior).await {
        Ok(g) => g,
        Err(e) => {
            item.result = Err(e);
            return item;
        }
    };
    // A manifest failure does not stop saving: the generation is paid for and in hand, so its
    // images are saved regardless.
    if let Some(dir) = &shared.opts.out_dir {
        save_item(shared, &mut item, &generation, &prior, dir).await;
    }
    item.result = Ok(generation);
    item
}

/// Step 1: the generation of the item, from the cheapest source that has it.
async fn find_generation(
    shared: &Shared,
    item: &mut BatchItem,
    work: &Work,
    prior: &Prior,
) -> Result<Generation, Error> {
    if let Some(g) = recorded_generation(shared, item, work, prior) {
        return Ok(g);
    }
    if let Some(g) = recover_lost_record(shared, item, work, prior).await? {
        return Ok(g);
    }
    refuse_possibly_charged(shared, prior)?;
    generate_new(shared, item, work).await
}

/// A generation the manifest already holds (`generated` line): nothing to pay or fetch.
fn recorded_generation(
    shared: &Shared,
    item: &mut BatchItem,
    work: &Work,
    prior: &Prior,
) -> Option<Generation> {
    let raw = prior.record.as_deref()?;
    let parsed = serde_json::from_str::<Value>(raw)
        .ok()
        .map(|v| Record::from_body(&v));
    match parsed.unwrap_or(Ok(None)) {
        Ok(Some(record)) => {
            item.resumed = true;
            Some(Generation::new(
                shared.client.clone(),
                record,
                Some(work.req.clone()),
                work.warnings.clone(),
                prior.credits.or(work.credits),
            ))
        }
        _ => {
            tracing::warn!(
                index = item.index,
                "visionxl: manifest record unreadable; generating again"
            );
            None
        }
    }
}

/// A record an earlier run created but lost the answer of: read it (`GET`, free) instead of
/// paying again. `Ok(None)`: there is none, or it failed and may be generated again.
async fn recover_lost_record(
    shared: &Shared,
    item: &mut BatchItem,
    work: &Work,
    prior: &Prior,
) -> Result<Option<Generation>, Error> {
    let Some(id) = &prior.failed_record else {
        return Ok(None);
    };
    let client = &shared.client;
    let fut = client.wait_for_generation(id);
    match run_cancellable(shared.opts.cancel.as_ref(), fut).await {
        Ok(g) => {
            item.resumed = true;
            let g = Generation::new(
                client.clone(),
                g.record,
                Some(work.req.clone()),
                work.warnings.clone(),
                work.credits,
            );
            item.manifest_error = append_generated(shared, &item.key, item.index, &g).await;
            Ok(Some(g))
        }
        // The record ended as a FAILURE: there is nothing to recover, the item may be
        // generated again (unless an attempt without a record id may have been charged).
        Err(e) if e.code() == ErrorCode::GenerationFailed => {
            tracing::info!(
                index = item.index,
                record_id = %id,
                "visionxl: the record an earlier run lost has failed; generating again"
            );
            Ok(None)
        }
        Err(e) if e.code() == ErrorCode::NotFound && shared.opts.retry_ambiguous => {
            tracing::warn!(
                index = item.index,
                record_id = %id,
                "visionxl: the record an earlier run lost cannot be found; sending again \
                 (the retry_ambiguous option)"
            );
            Ok(None)
        }
        Err(e) => Err(unrecovered_error(e, id)),
    }
}

/// An earlier attempt may have been charged and its record id is unknown: not sent again
/// unless [`BatchOptions::retry_ambiguous`].
fn refuse_possibly_charged(shared: &Shared, prior: &Prior) -> Result<(), Error> {
    if shared.opts.retry_ambiguous {
        return Ok(());
    }
    if let Some(int) = &prior.interrupted {
        return Err(interrupted_error(int));
    }
    if let Some(amb) = &prior.ambiguous {
        return Err(not_resent_error(amb));
    }
    Ok(())
}

/// A new generation, with a `sending` line before each POST and its outcome recorded.
async fn generate_new(
    shared: &Shared,
    item: &mut BatchItem,
    work: &Work,
) -> Result<Generation, Error> {
    let opts = GenerateOptions {
        async_mode: shared.opts.async_mode,
        cancel: shared.opts.cancel.clone(),
        poll_timeout: None,
    };
    let hook = shared.manifest.as_ref().map(|manifest| SendingLine {
        manifest,
        key: &item.key,
        index: item.index,
        credits: work.credits,
        request: work.req.to_wire(),
    });
    let result = shared
        .client
        .generate_hooked(&work.req, opts, hook.as_ref().map(|h| h as &dyn BeforeSend))
        .await;
    match result {
        Ok(g) => {
            item.manifest_error = append_generated(shared, &item.key, item.index, &g).await;
            Ok(g)
        }
        Err(e) => {
            append_failed(shared, &item.key, item.index, &e).await;
            Err(e)
        }
    }
}

/// Step 2: the item's images, saved into `dir` unless an earlier run did.
async fn save_item(
    shared: &Shared,
    item: &mut BatchItem,
    generation: &Generation,
    prior: &Prior,
    dir: &Path,
) {
    if let (true, Some(files)) = (item.resumed, &prior.files) {
        item.files = files.clone();
        return;
    }
    let existing = if shared.opts.overwrite {
        Existing::Overwrite
    } else {
        Existing::KeepSameRecord
    };
    let fut = save_refreshing(&shared.client, generation, dir, existing);
    match run_cancellable(shared.opts.cancel.as_ref(), fut).await {
        Ok(files) => {
            if let Err(e) = append_saved(shared, item, generation.id(), &files).await
                && item.manifest_error.is_none()
            {
                let msg = format!(
                    "{}; the images of record {} are saved, and a rerun with this manifest \
                     finds them again without paying",
                    e.message(),
                    generation.id()
                );
                item.manifest_error = Some(e.with_message(msg));
            }
            item.files = files;
        }
        Err(e) => item.save_error = Some(e),
    }
}

/// Appends the `sending` line of one item before each of its generation POSTs, so that a run
/// killed mid-request leaves a trace and its rerun does not pay again blindly.
struct SendingLine<'a> {
    manifest: &'a ManifestWriter,
    key: &'a str,
    index: usize,
    credits: Option<u32>,
    request: Value,
}

impl BeforeSend for SendingLine<'_> {
    fn before_send(&self, attempt: u32) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            let line = Line::now(
                self.key,
                self.index,
                Event::Sending {
                    attempt,
                    credits: self.credits,
                    request: self.request.clone(),
                },
            );
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

/// Records a finished generation in the manifest (the append is retried once). `Some`: it
/// could not, and a rerun would not know about this paid generation.
async fn append_generated(
    shared: &Shared,
    key: &str,
    index: usize,
    g: &Generation,
) -> Option<Error> {
    let m = shared.manifest.as_ref()?;
    let line = Line::now(
        key,
        index,
        Event::Generated {
            record_id: g.id().to_string(),
            status: g.status().as_str().to_string(),
            credits: g.credits(),
            request: g.request_wire(),
            record: g.raw().clone(),
        },
    );
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

/// Records a failed attempt; a manifest failure is only logged (the item fails anyway).
async fn append_failed(shared: &Shared, key: &str, index: usize, e: &Error) {
    let Some(m) = &shared.manifest else {
        return;
    };
    let line = Line::now(
        key,
        index,
        Event::Failed {
            code: e.code().as_str().to_string(),
            message: e.message().to_string(),
            record_id: e.record_id().map(str::to_string),
            may_have_been_charged: e.may_have_been_charged(),
        },
    );
    if let Err(me) = m.append(&line).await {
        tracing::warn!(error = %me, "visionxl: could not record a failure in the manifest");
    }
}

/// Records the saved files of an item.
async fn append_saved(
    shared: &Shared,
    item: &BatchItem,
    record_id: &str,
    files: &[PathBuf],
) -> Result<(), Error> {
    let Some(m) = &shared.manifest else {
        return Ok(());
    };
    let line = Line::now(
        item.key.as_str(),
        item.index,
        Event::Saved {
            record_id: record_id.to_string(),
            files: files.to_vec(),
        },
    );
    m.append(&line).await
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
