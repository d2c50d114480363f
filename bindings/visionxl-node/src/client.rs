//! The network half: `NativeClient`, `NativeGeneration`, `NativeBatch`, `CancelHandle`.
//!
//! Every network or disk call returns a Promise settled from napi's tokio runtime (the JS thread
//! only converts arguments and results). Cancellation is explicit: dropping a JS Promise does not
//! stop the Rust future, so every call takes a `CancelHandle` that the JS layer fires from the
//! caller's `AbortSignal`; the future then ends at once with `cancelled` and is dropped (which
//! closes its connections).

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::{Buffer, PromiseRaw, Unknown};
use napi::{Env, Result};
use napi_derive::napi;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use visionxl::options::OptionValue;
use visionxl::{
    BatchItem, BatchOptions, CancelToken, Client, Error, ErrorCode, GenerateOptions,
    GenerateRequest, Generation, Naming, Progress, SaveOptions, Violation, run_cancellable,
};

use crate::convert::{self, params_from_unknown};
use crate::error::{OrThrow, error_json, to_napi, warnings_json};

/// A cancellation flag the JS layer fires from an `AbortSignal`.
#[napi]
#[derive(Clone, Default)]
pub struct CancelHandle {
    token: CancelToken,
}

#[napi]
impl CancelHandle {
    /// A handle not yet cancelled.
    #[napi(constructor, catch_unwind)]
    pub fn new() -> Self {
        CancelHandle::default()
    }

    /// Stops every call watching this handle (idempotent).
    #[napi(catch_unwind)]
    pub fn cancel(&self) {
        self.token.cancel();
    }

    /// Whether `cancel` was called.
    #[napi(getter, catch_unwind)]
    pub fn cancelled(&self) -> bool {
        self.token.is_cancelled()
    }
}

pub(crate) fn token(cancel: Option<&CancelHandle>) -> Option<CancelToken> {
    cancel.map(|c| c.token.clone())
}

/// The visionxl client (a cheap handle: clones share one connection pool, pacing bucket and
/// budget).
#[napi]
pub struct NativeClient {
    pub(crate) client: Client,
}

#[napi]
impl NativeClient {
    /// Builds a client from the options object as JavaScript passed it (`undefined` or `null`:
    /// every default). Each option is converted and checked by the Rust client's options table
    /// under its Node name (`timeoutMs` in milliseconds, `requestsPerMinute: 0` = pacing off);
    /// every problem is one `validation_error` naming the Node options.
    #[napi(constructor, catch_unwind)]
    pub fn new(options: Option<Unknown<'_>>) -> Result<Self> {
        let entries = match options {
            Some(o) => convert::options_entries(&o, "Client")?.or_throw()?,
            None => Vec::new(),
        };
        let mut b = Client::builder().user_agent(format!(
            "visionxl-node/{} (node)",
            env!("CARGO_PKG_VERSION")
        ));
        b.set_options(
            Naming::Camel,
            entries
                .into_iter()
                .map(|(k, v)| (k, OptionValue::from(v)))
                .collect::<Vec<_>>()
                .iter()
                .map(|(k, v)| (k.as_str(), v.clone())),
        )
        .or_throw()?;
        Ok(NativeClient {
            client: b.build().or_throw()?,
        })
    }

    /// The API base URL in use.
    #[napi(getter, catch_unwind)]
    pub fn base_url(&self) -> String {
        self.client.base_url().to_string()
    }

    /// The asset base URL in use.
    #[napi(getter, catch_unwind)]
    pub fn asset_base_url(&self) -> String {
        self.client.asset_base_url().to_string()
    }

    /// Credits left in the budget (`null`: no budget).
    #[napi(getter, catch_unwind)]
    pub fn budget_remaining(&self) -> Option<f64> {
        self.client.budget_remaining().map(|c| c as f64)
    }

    /// Validates `params` (on this thread; a `validation_error` is thrown at once), then
    /// generates on the runtime.
    #[napi(catch_unwind, ts_return_type = "Promise<NativeGeneration>")]
    pub fn generate<'e>(
        &self,
        env: &'e Env,
        params: Unknown<'_>,
        async_mode: Option<bool>,
        cancel: Option<&CancelHandle>,
    ) -> Result<PromiseRaw<'e, NativeGeneration>> {
        let params = params_from_unknown(&params)?.or_throw()?;
        let (req, _warnings) = convert::build(params).or_throw()?;
        let client = self.client.clone();
        let opts = GenerateOptions {
            async_mode: async_mode.unwrap_or(false),
            cancel: token(cancel),
            ..GenerateOptions::default()
        };
        env.spawn_future(async move {
            let generation = client.generate_with(&req, opts).await.or_throw()?;
            Ok(NativeGeneration { generation })
        })
    }

    /// Reads a record again (`GET /api/results/{id}`); with `wait`, polls it until it is final.
    #[napi(catch_unwind, ts_return_type = "Promise<NativeGeneration>")]
    pub fn get_generation<'e>(
        &self,
        env: &'e Env,
        id: String,
        wait: Option<bool>,
        cancel: Option<&CancelHandle>,
    ) -> Result<PromiseRaw<'e, NativeGeneration>> {
        let client = self.client.clone();
        let cancel = token(cancel);
        env.spawn_future(async move {
            let fut = async {
                if wait.unwrap_or(false) {
                    client.wait_for_generation(&id).await
                } else {
                    client.get_generation(&id).await
                }
            };
            let generation = run_cancellable(cancel.as_ref(), fut).await.or_throw()?;
            Ok(NativeGeneration { generation })
        })
    }

    /// Uploads a local image file: `{reference, key, path, raw}`.
    #[napi(catch_unwind, ts_return_type = "Promise<unknown>")]
    pub fn upload_asset<'e>(
        &self,
        env: &'e Env,
        path: String,
        cancel: Option<&CancelHandle>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let client = self.client.clone();
        let cancel = token(cancel);
        env.spawn_future(async move {
            let asset = run_cancellable(cancel.as_ref(), client.upload_asset(&path))
                .await
                .or_throw()?;
            Ok(asset_json(&asset))
        })
    }

    /// Uploads image bytes held in memory, under `fileName`.
    #[napi(catch_unwind, ts_return_type = "Promise<unknown>")]
    pub fn upload_asset_bytes<'e>(
        &self,
        env: &'e Env,
        data: Buffer,
        file_name: String,
        cancel: Option<&CancelHandle>,
    ) -> Result<PromiseRaw<'e, Value>> {
        let client = self.client.clone();
        let cancel = token(cancel);
        let data = bytes::Bytes::from(data.to_vec());
        env.spawn_future(async move {
            let asset =
                run_cancellable(cancel.as_ref(), client.upload_asset_bytes(data, &file_name))
                    .await
                    .or_throw()?;
            Ok(asset_json(&asset))
        })
    }

    /// Starts a batch: every request is validated first (one `validation_error` lists the
    /// problems of every request, each message naming its index); then the batch runs on the
    /// runtime and its items are read with `NativeBatch.next()`.
    #[napi(catch_unwind)]
    pub fn generate_many(
        &self,
        requests: Vec<Unknown<'_>>,
        options: BatchCallOptions,
        cancel: Option<&CancelHandle>,
    ) -> Result<NativeBatch> {
        let mut reqs: Vec<GenerateRequest> = Vec::with_capacity(requests.len());
        let mut problems: Vec<Violation> = Vec::new();
        for (i, r) in requests.iter().enumerate() {
            let built = match params_from_unknown(r)? {
                Ok(p) => convert::build(p),
                Err(e) => Err(e),
            };
            match built {
                Ok((req, _)) => reqs.push(req),
                Err(e) => problems.extend(e.violations().iter().map(|v| {
                    Violation::new(
                        v.field.clone(),
                        v.code,
                        format!("request {i}: {}", v.message),
                    )
                })),
            }
        }
        if !problems.is_empty() {
            return Err(to_napi(Error::validation(problems)));
        }
        let progress: Arc<Mutex<Option<Progress>>> = Arc::new(Mutex::new(None));
        let slot = progress.clone();
        // Built with struct update syntax so that options the client crate adds later keep
        // their defaults; the progress callback is set afterwards.
        let mut opts = BatchOptions {
            concurrency: visionxl::options::concurrency_from(options.concurrency.unwrap_or(4.0))
                .or_throw()?,
            manifest: options.manifest.map(PathBuf::from),
            out_dir: options.out_dir.map(PathBuf::from),
            async_mode: options.async_mode.unwrap_or(false),
            overwrite: options.overwrite.unwrap_or(false),
            cancel: token(cancel),
            retry_ambiguous: options.retry_ambiguous.unwrap_or(false),
            ..BatchOptions::default()
        };
        opts.on_progress = Some(Arc::new(move |p: Progress| {
            if let Ok(mut s) = slot.lock() {
                *s = Some(p);
            }
        }));
        let total = reqs.len();
        let (tx, rx) = mpsc::unbounded_channel::<BatchMessage>();
        let client = self.client.clone();
        // Drive the batch on the runtime through the client's `generate_all` (input order, an
        // item for every position), independently of how fast JS reads the items; each
        // finished item is also sent as it comes, for `onProgress`. A dropped reader (the
        // channel closed) does not stop the batch: JS stops it with the cancel handle.
        napi::bindgen_prelude::spawn(async move {
            use futures_util::FutureExt;
            let panic_tx = tx.clone();
            let item_tx = tx.clone();
            let drive = async move {
                let items = client
                    .generate_all(reqs, opts, move |item| {
                        let p = progress.lock().ok().and_then(|mut s| s.take());
                        let _ = item_tx.send(BatchMessage::Item(Box::new(item.clone()), p));
                        ControlFlow::Continue(())
                    })
                    .await;
                let _ = tx.send(match items {
                    Ok(items) => BatchMessage::Done(items),
                    Err(e) => BatchMessage::Failed(e),
                });
            };
            // A panic must not end the batch silently (the reader would see a short batch).
            if std::panic::AssertUnwindSafe(drive)
                .catch_unwind()
                .await
                .is_err()
            {
                let _ = panic_tx.send(BatchMessage::Failed(Error::new(
                    ErrorCode::IoError,
                    "internal error: the batch stopped unexpectedly (a panic in the Rust code)",
                )));
            }
        });
        Ok(NativeBatch {
            rx: Arc::new(tokio::sync::Mutex::new(rx)),
            results: Arc::new(Mutex::new(None)),
            total: total as u32,
        })
    }

    /// A redacted description (never the key).
    #[napi(catch_unwind)]
    pub fn describe(&self) -> String {
        format!("{:?}", self.client)
    }
}

fn asset_json(a: &visionxl::Asset) -> Value {
    json!({
        "reference": a.reference(),
        "key": a.key(),
        "path": a.path(),
        "raw": a.raw(),
    })
}

/// Options of `generateMany`, type-checked by the JS layer.
#[napi(object)]
#[derive(Default)]
pub struct BatchCallOptions {
    /// Calls in flight at once (1 to 1000, checked by the Rust client).
    pub concurrency: Option<f64>,
    /// JSONL manifest path (resume).
    pub manifest: Option<String>,
    /// Where images are saved.
    pub out_dir: Option<String>,
    /// Replace existing files.
    pub overwrite: Option<bool>,
    /// Submit with `"async": true` and poll the record.
    pub async_mode: Option<bool>,
    /// Also retry (or resend) requests that may have been charged.
    pub retry_ambiguous: Option<bool>,
}

enum BatchMessage {
    /// A finished item (completion order) and the progress after it.
    Item(Box<BatchItem>, Option<Progress>),
    /// Every item in input order: the end of the batch.
    Done(Vec<BatchItem>),
    Failed(Error),
}

/// A running batch; `next()` resolves to the next finished item, or `null` at the end, after
/// which `results()` holds every item in input order.
#[napi]
pub struct NativeBatch {
    rx: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<BatchMessage>>>,
    results: Arc<Mutex<Option<Vec<BatchItem>>>>,
    total: u32,
}

#[napi]
impl NativeBatch {
    /// Items in the batch.
    #[napi(getter, catch_unwind)]
    pub fn total(&self) -> u32 {
        self.total
    }

    /// The next finished item (completion order), `null` when every item was read.
    #[napi(catch_unwind, ts_return_type = "Promise<NativeBatchItem | null>")]
    pub fn next<'e>(&self, env: &'e Env) -> Result<PromiseRaw<'e, Option<NativeBatchItem>>> {
        let rx = self.rx.clone();
        let results = self.results.clone();
        env.spawn_future(async move {
            let msg = rx.lock().await.recv().await;
            match msg {
                None => Ok(None),
                Some(BatchMessage::Done(items)) => {
                    *results.lock().unwrap_or_else(|e| e.into_inner()) = Some(items);
                    Ok(None)
                }
                Some(BatchMessage::Failed(e)) => Err(to_napi(e)),
                Some(BatchMessage::Item(item, progress)) => Ok(Some(NativeBatchItem {
                    item: Mutex::new(Some(*item)),
                    progress,
                })),
            }
        })
    }

    /// Every item in input order (one for each request, `cancelled` for those never run),
    /// once `next()` has resolved to `null`; an empty array before that or when read twice.
    #[napi(catch_unwind)]
    pub fn results(&self) -> Vec<NativeBatchItem> {
        let taken = self
            .results
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        taken
            .unwrap_or_default()
            .into_iter()
            .map(|item| NativeBatchItem {
                item: Mutex::new(Some(item)),
                progress: None,
            })
            .collect()
    }
}

/// One finished item of a batch.
#[napi]
pub struct NativeBatchItem {
    item: Mutex<Option<BatchItem>>,
    progress: Option<Progress>,
}

#[napi]
impl NativeBatchItem {
    /// `{index, key, resumed, files, error, saveError, progress}` (errors as encoded data;
    /// `saveError` is the save error, else the manifest error).
    #[napi(catch_unwind)]
    pub fn info(&self) -> Value {
        let guard = self.item.lock().unwrap_or_else(|e| e.into_inner());
        let progress = self.progress.map(|p| {
            json!({
                "index": p.index,
                "total": p.total,
                "completed": p.completed,
                "succeeded": p.succeeded,
                "failed": p.failed,
                "resumed": p.resumed,
                "creditsSpent": p.credits_spent,
            })
        });
        match guard.as_ref() {
            None => Value::Null,
            Some(item) => json!({
                "index": item.index,
                "key": item.key,
                "resumed": item.resumed,
                "files": item.files.iter().map(|f| f.to_string_lossy()).collect::<Vec<_>>(),
                "error": item.result.as_ref().err().map(error_json),
                // What failed after the (paid) generation: saving, else recording it in the
                // manifest (`index.d.ts`: "download, saving, manifest"), as Python's item error
                // and `BatchItem::is_ok` count both.
                "saveError": item
                    .save_error
                    .as_ref()
                    .or(item.manifest_error.as_ref())
                    .map(error_json),
                "progress": progress,
            }),
        }
    }

    /// The generation of the item (once), `null` when it failed.
    #[napi(catch_unwind)]
    pub fn take_generation(&self) -> Option<NativeGeneration> {
        let mut guard = self.item.lock().unwrap_or_else(|e| e.into_inner());
        let item = guard.as_mut()?;
        let result = std::mem::replace(&mut item.result, Err(visionxl::cancelled_error()));
        match result {
            Ok(generation) => Some(NativeGeneration { generation }),
            Err(e) => {
                item.result = Err(e);
                None
            }
        }
    }
}

/// A finished generation and the means to fetch its images.
#[napi]
pub struct NativeGeneration {
    pub(crate) generation: Generation,
}

#[napi]
impl NativeGeneration {
    /// `{id, status, images, credits, warnings, raw, createdAt, emulated, request}`.
    #[napi(catch_unwind)]
    pub fn data(&self) -> Value {
        let g = &self.generation;
        json!({
            "id": g.id(),
            "status": g.status().as_str(),
            "images": g.images().iter().map(|i| json!({
                "index": i.index(),
                "path": i.path(),
                "url": i.url(),
                "fileName": i.file_name(),
            })).collect::<Vec<_>>(),
            "credits": g.credits(),
            "warnings": warnings_json(g.warnings()),
            "raw": g.raw(),
            "createdAt": g.created_at(),
            "emulated": g.is_emulated(),
            "request": g.request().map(GenerateRequest::to_wire),
        })
    }

    /// Downloads every image into `dir` (with sidecars); resolves to the written paths.
    #[napi(catch_unwind, ts_return_type = "Promise<string[]>")]
    pub fn save<'e>(
        &self,
        env: &'e Env,
        dir: String,
        overwrite: Option<bool>,
        sidecar: Option<bool>,
        cancel: Option<&CancelHandle>,
    ) -> Result<PromiseRaw<'e, Vec<String>>> {
        let g = self.generation.clone();
        let opts = SaveOptions {
            overwrite: overwrite.unwrap_or(false),
            sidecar: sidecar.unwrap_or(true),
            cancel: token(cancel),
            on_progress: None,
        };
        env.spawn_future(async move {
            let paths = g.save_all_with(&dir, opts).await.or_throw()?;
            Ok(paths
                .into_iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect())
        })
    }

    /// Downloads image `index` to `path` (extension corrected to the real type); resolves to
    /// the path written.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn save_image<'e>(
        &self,
        env: &'e Env,
        index: u32,
        path: String,
        overwrite: Option<bool>,
        sidecar: Option<bool>,
        cancel: Option<&CancelHandle>,
    ) -> Result<PromiseRaw<'e, String>> {
        let g = self.generation.clone();
        let opts = SaveOptions {
            overwrite: overwrite.unwrap_or(false),
            sidecar: sidecar.unwrap_or(true),
            cancel: token(cancel),
            on_progress: None,
        };
        env.spawn_future(async move {
            let p = g.save_with(index as usize, &path, opts).await.or_throw()?;
            Ok(p.to_string_lossy().into_owned())
        })
    }

    /// The bytes of image `index` as a Buffer.
    #[napi(catch_unwind, ts_return_type = "Promise<Buffer>")]
    pub fn image_bytes<'e>(
        &self,
        env: &'e Env,
        index: u32,
        cancel: Option<&CancelHandle>,
    ) -> Result<PromiseRaw<'e, Buffer>> {
        let g = self.generation.clone();
        let cancel = token(cancel);
        env.spawn_future(async move {
            let bytes = match &cancel {
                Some(t) => g.image_bytes_cancellable(index as usize, t).await,
                None => g.image_bytes(index as usize).await,
            }
            .or_throw()?;
            Ok(Buffer::from(bytes.to_vec()))
        })
    }
}
