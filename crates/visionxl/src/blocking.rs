//! The blocking client: the same calls as the async [`Client`](crate::Client), run with
//! `block_on` on a private multi-thread tokio runtime the client owns (never
//! `reqwest::blocking`). Every call has a `*_cancellable` variant taking a [`CancelToken`]
//! that another thread can fire.
//!
//! ```no_run
//! use visionxl::{blocking, GenerateRequest};
//! let client = blocking::Client::from_env()?;
//! let generation = client.generate(&GenerateRequest::new("a lighthouse at dusk"))?;
//! let files = generation.save_all("out")?;
//! # Ok::<(), visionxl::Error>(())
//! ```

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use visionxl_core::{Error, ErrorCode, GenerateRequest};

pub use crate::cancel::CancelToken;
use crate::cancel::run_cancellable;
use crate::client::{Asset, GenerateOptions};
use crate::{BatchItem, BatchOptions, BatchStream, ClientBuilder, SaveOptions};

/// Owns the runtime; shuts it down in the background so dropping the last handle never
/// blocks (or panics inside another runtime).
struct Rt(Option<tokio::runtime::Runtime>);

impl Drop for Rt {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

impl Rt {
    fn new() -> Result<Arc<Rt>, Error> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("visionxl-blocking")
            .enable_all()
            .build()
            .map_err(|e| {
                Error::new(
                    ErrorCode::IoError,
                    format!("cannot start the client's runtime: {e}"),
                )
                .with_source(e)
            })?;
        Ok(Arc::new(Rt(Some(rt))))
    }

    fn block_on<F>(&self, fut: F) -> F::Output
    where
        F: Future + Send,
        F::Output: Send,
    {
        let rt = self.0.as_ref().expect("the runtime lives as long as Rt");
        if tokio::runtime::Handle::try_current().is_ok() {
            // Called from inside an async context: blocking this thread is the caller's
            // choice, but a nested block_on would panic; run it on a helper thread.
            std::thread::scope(|s| match s.spawn(|| rt.block_on(fut)).join() {
                Ok(v) => v,
                Err(panic) => std::panic::resume_unwind(panic),
            })
        } else {
            rt.block_on(fut)
        }
    }
}

/// The blocking client. Cheap to clone; clones share the runtime, connection pool, pacing
/// bucket and budget.
#[derive(Clone)]
pub struct Client {
    inner: crate::Client,
    rt: Arc<Rt>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::Client")
            .field(&self.inner)
            .finish()
    }
}

impl ClientBuilder {
    /// Builds a [`blocking::Client`](Client).
    pub fn build_blocking(self) -> Result<Client, Error> {
        Client::from_async(self.build()?)
    }
}

impl Client {
    /// A builder (finish it with [`ClientBuilder::build_blocking`]).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client from `ONEMIN_API_KEY`, `ONEMIN_BASE_URL` and `ONEMIN_ASSET_BASE_URL`.
    pub fn from_env() -> Result<Client, Error> {
        ClientBuilder::new().build_blocking()
    }

    /// Wraps an async client (sharing its pool, bucket and budget) with a new runtime.
    pub fn from_async(client: crate::Client) -> Result<Client, Error> {
        Ok(Client {
            inner: client,
            rt: Rt::new()?,
        })
    }

    /// The async client inside.
    pub fn async_client(&self) -> &crate::Client {
        &self.inner
    }

    /// Wraps a generation of the async API (e.g. from a [`BatchItem`]) for blocking saves.
    pub fn wrap(&self, generation: crate::Generation) -> Generation {
        Generation {
            inner: generation,
            rt: self.rt.clone(),
        }
    }

    fn run<T: Send>(&self, fut: impl Future<Output = Result<T, Error>> + Send) -> Result<T, Error> {
        self.rt.block_on(fut)
    }

    /// Credits left in the budget (`None`: no budget).
    pub fn budget_remaining(&self) -> Option<u64> {
        self.inner.budget_remaining()
    }

    /// See [`crate::Client::generate`].
    pub fn generate(&self, req: &GenerateRequest) -> Result<Generation, Error> {
        self.run(self.inner.generate(req)).map(|g| self.wrap(g))
    }

    /// See [`crate::Client::generate_with`]; `opts.cancel` stops it from another thread.
    pub fn generate_with(
        &self,
        req: &GenerateRequest,
        opts: GenerateOptions,
    ) -> Result<Generation, Error> {
        self.run(self.inner.generate_with(req, opts))
            .map(|g| self.wrap(g))
    }

    /// [`generate`](Self::generate), stopped by `cancel` (`cancelled`, which says whether the
    /// request may already have been charged).
    pub fn generate_cancellable(
        &self,
        req: &GenerateRequest,
        cancel: &CancelToken,
    ) -> Result<Generation, Error> {
        let opts = GenerateOptions {
            async_mode: self.inner.inner.config.async_mode,
            cancel: Some(cancel.clone()),
            poll_timeout: None,
        };
        self.generate_with(req, opts)
    }

    /// See [`crate::Client::get_generation`].
    pub fn get_generation(&self, id: &str) -> Result<Generation, Error> {
        self.run(self.inner.get_generation(id))
            .map(|g| self.wrap(g))
    }

    /// [`get_generation`](Self::get_generation), stopped by `cancel`.
    pub fn get_generation_cancellable(
        &self,
        id: &str,
        cancel: &CancelToken,
    ) -> Result<Generation, Error> {
        self.run(run_cancellable(Some(cancel), self.inner.get_generation(id)))
            .map(|g| self.wrap(g))
    }

    /// See [`crate::Client::wait_for_generation`].
    pub fn wait_for_generation(&self, id: &str) -> Result<Generation, Error> {
        self.run(self.inner.wait_for_generation(id))
            .map(|g| self.wrap(g))
    }

    /// [`wait_for_generation`](Self::wait_for_generation), stopped by `cancel`.
    pub fn wait_for_generation_cancellable(
        &self,
        id: &str,
        cancel: &CancelToken,
    ) -> Result<Generation, Error> {
        self.run(run_cancellable(
            Some(cancel),
            self.inner.wait_for_generation(id),
        ))
        .map(|g| self.wrap(g))
    }

    /// See [`crate::Client::upload_asset`].
    pub fn upload_asset(&self, path: impl AsRef<Path>) -> Result<Asset, Error> {
        let path = path.as_ref().to_path_buf();
        self.run(self.inner.upload_asset(path))
    }

    /// [`upload_asset`](Self::upload_asset), stopped by `cancel`.
    pub fn upload_asset_cancellable(
        &self,
        path: impl AsRef<Path>,
        cancel: &CancelToken,
    ) -> Result<Asset, Error> {
        let path = path.as_ref().to_path_buf();
        self.run(run_cancellable(Some(cancel), self.inner.upload_asset(path)))
    }

    /// See [`crate::Client::upload_asset_bytes`].
    pub fn upload_asset_bytes(&self, data: Bytes, file_name: &str) -> Result<Asset, Error> {
        self.run(self.inner.upload_asset_bytes(data, file_name))
    }

    /// See [`crate::Client::generate_many`]: the items as a blocking iterator in completion
    /// order. `opts.cancel` stops the batch from another thread.
    pub fn generate_many(
        &self,
        requests: Vec<GenerateRequest>,
        opts: BatchOptions,
    ) -> Result<BatchIter, Error> {
        let stream = self.run(self.inner.generate_many(requests, opts))?;
        Ok(BatchIter {
            stream,
            client: self.clone(),
        })
    }

    /// See [`crate::Client::generate_all`]: every item in input order, `on_item` called (on
    /// the runtime's thread) as each finishes; [`ControlFlow::Break`](std::ops::ControlFlow)
    /// stops the batch.
    pub fn generate_all<F>(
        &self,
        requests: Vec<GenerateRequest>,
        opts: BatchOptions,
        on_item: F,
    ) -> Result<Vec<BatchItem>, Error>
    where
        F: FnMut(&BatchItem) -> std::ops::ControlFlow<()> + Send,
    {
        self.run(self.inner.generate_all(requests, opts, on_item))
    }
}

/// The items of a blocking batch, in completion order.
pub struct BatchIter {
    stream: BatchStream,
    client: Client,
}

impl fmt::Debug for BatchIter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchIter")
            .field("total", &self.stream.total())
            .finish()
    }
}

impl BatchIter {
    /// Items in the batch.
    pub fn total(&self) -> usize {
        self.stream.total()
    }
}

impl Iterator for BatchIter {
    type Item = BatchItem;
    fn next(&mut self) -> Option<BatchItem> {
        let stream = &mut self.stream;
        self.client.rt.block_on(stream.next())
    }
}

/// A generation with blocking saves. Dereferences to [`crate::Generation`] for its data
/// (`id()`, `images()`, `credits()`, ...).
#[derive(Clone)]
pub struct Generation {
    inner: crate::Generation,
    rt: Arc<Rt>,
}

impl fmt::Debug for Generation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl Deref for Generation {
    type Target = crate::Generation;
    fn deref(&self) -> &crate::Generation {
        &self.inner
    }
}

impl Generation {
    /// The async generation inside.
    pub fn into_async(self) -> crate::Generation {
        self.inner
    }

    /// See [`crate::Generation::save_all`].
    pub fn save_all(&self, dir: impl AsRef<Path>) -> Result<Vec<PathBuf>, Error> {
        self.save_all_with(dir, SaveOptions::default())
    }

    /// See [`crate::Generation::save_all_with`]; `opts.cancel` stops it from another thread.
    pub fn save_all_with(
        &self,
        dir: impl AsRef<Path>,
        opts: SaveOptions,
    ) -> Result<Vec<PathBuf>, Error> {
        let dir = dir.as_ref().to_path_buf();
        self.rt.block_on(self.inner.save_all_with(dir, opts))
    }

    /// [`save_all`](Self::save_all), stopped by `cancel`.
    pub fn save_all_cancellable(
        &self,
        dir: impl AsRef<Path>,
        cancel: &CancelToken,
    ) -> Result<Vec<PathBuf>, Error> {
        self.save_all_with(
            dir,
            SaveOptions {
                cancel: Some(cancel.clone()),
                ..SaveOptions::default()
            },
        )
    }

    /// See [`crate::Generation::save`].
    pub fn save(&self, index: usize, path: impl AsRef<Path>) -> Result<PathBuf, Error> {
        self.save_with(index, path, SaveOptions::default())
    }

    /// See [`crate::Generation::save_with`].
    pub fn save_with(
        &self,
        index: usize,
        path: impl AsRef<Path>,
        opts: SaveOptions,
    ) -> Result<PathBuf, Error> {
        let path = path.as_ref().to_path_buf();
        self.rt.block_on(self.inner.save_with(index, path, opts))
    }

    /// See [`crate::Generation::image_bytes`].
    pub fn image_bytes(&self, index: usize) -> Result<Bytes, Error> {
        self.rt.block_on(self.inner.image_bytes(index))
    }

    /// [`image_bytes`](Self::image_bytes), stopped by `cancel`.
    pub fn image_bytes_cancellable(
        &self,
        index: usize,
        cancel: &CancelToken,
    ) -> Result<Bytes, Error> {
        self.rt
            .block_on(self.inner.image_bytes_cancellable(index, cancel))
    }
}
