//! The blocking client: the same calls as the async [`Client`](crate::Client), each run to
//! its end on the calling thread (per calling thread, kept-alive connections on which an API
//! call is one write and one read, and a current-thread tokio runtime for downloads, uploads
//! and waits; see `local.rs`; never `reqwest::blocking`). Every call has a `*_cancellable`
//! variant taking a [`CancelToken`] that another thread can fire: it also breaks a read
//! blocked on the socket.
//!
//! Threads: a client and its generations may be used from any number of threads at once;
//! clones share the settings, the pacing bucket and the budget. Fork: runtimes and
//! connections do not survive `fork()`; build clients in the child.
//!
//! ```no_run
//! use visionxl::{blocking, GenerateRequest};
//! let client = blocking::Client::from_env()?;
//! let generation = client.generate(&GenerateRequest::new("a lighthouse at dusk"))?;
//! let files = generation.save_all("out")?;
//! # Ok::<(), visionxl::Error>(())
//! ```

mod batch;
mod generation;
mod local;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use visionxl_core::{Error, GenerateRequest};

pub use self::batch::BatchIter;
pub use self::generation::Generation;
pub use crate::cancel::CancelToken;
use crate::cancel::run_cancellable;
use crate::client::{Asset, GenerateOptions};
use crate::{BatchItem, BatchOptions, ClientBuilder, SaveOptions};
use local::{Shared, Work};

/// The blocking client. Cheap to clone; clones share the per-thread runtimes and connection
/// pools, the pacing bucket and the budget.
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::Client")
            .field(&self.shared.base)
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

    /// Wraps an async client (sharing its settings, bucket and budget; blocking calls use
    /// connection pools of their own, one per calling thread).
    pub fn from_async(client: crate::Client) -> Result<Client, Error> {
        let shared = Shared::new(client);
        // The building thread usually makes the first call: give it its runtime and pool now,
        // so that call starts as promptly as any later one.
        if tokio::runtime::Handle::try_current().is_err() {
            shared.prepare()?;
        }
        Ok(Client { shared })
    }

    /// The async client inside.
    pub fn async_client(&self) -> &crate::Client {
        &self.shared.base
    }

    /// Wraps a generation of the async API (e.g. from a [`BatchItem`]) for blocking saves,
    /// which download with this client's settings.
    pub fn wrap(&self, mut generation: crate::Generation) -> Generation {
        // A generation made on a calling thread's pool downloads, once handed out, with the
        // client as built (whose pool any runtime can drive); blocking saves rebind it to the
        // saving thread's pool.
        generation.client = self.shared.base.clone();
        Generation::new(generation, self.shared.clone())
    }

    fn run<T: Send, Fut>(
        &self,
        work: Work,
        call: impl FnOnce(crate::Client) -> Fut + Send,
    ) -> Result<T, Error>
    where
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        self.shared.run(work, call)
    }

    /// Credits left in the budget (`None`: no budget).
    pub fn budget_remaining(&self) -> Option<u64> {
        self.shared.base.budget_remaining()
    }

    /// See [`crate::Client::generate`].
    pub fn generate(&self, req: &GenerateRequest) -> Result<Generation, Error> {
        self.run(Work::Api, |c| async move { c.generate(req).await })
            .map(|g| self.wrap(g))
    }

    /// See [`crate::Client::generate_with`]; `opts.cancel` stops it from another thread.
    pub fn generate_with(
        &self,
        req: &GenerateRequest,
        opts: GenerateOptions,
    ) -> Result<Generation, Error> {
        self.run(
            Work::Api,
            |c| async move { c.generate_with(req, opts).await },
        )
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
            async_mode: self.shared.base.inner.config.async_mode,
            cancel: Some(cancel.clone()),
            poll_timeout: None,
        };
        self.generate_with(req, opts)
    }

    /// See [`crate::Client::get_generation`].
    pub fn get_generation(&self, id: &str) -> Result<Generation, Error> {
        self.run(Work::Api, |c| async move { c.get_generation(id).await })
            .map(|g| self.wrap(g))
    }

    /// [`get_generation`](Self::get_generation), stopped by `cancel`.
    pub fn get_generation_cancellable(
        &self,
        id: &str,
        cancel: &CancelToken,
    ) -> Result<Generation, Error> {
        self.run(Work::Api, |c| async move {
            run_cancellable(Some(cancel), c.get_generation(id)).await
        })
        .map(|g| self.wrap(g))
    }

    /// See [`crate::Client::wait_for_generation`].
    pub fn wait_for_generation(&self, id: &str) -> Result<Generation, Error> {
        self.run(
            Work::Api,
            |c| async move { c.wait_for_generation(id).await },
        )
        .map(|g| self.wrap(g))
    }

    /// [`wait_for_generation`](Self::wait_for_generation), stopped by `cancel`.
    pub fn wait_for_generation_cancellable(
        &self,
        id: &str,
        cancel: &CancelToken,
    ) -> Result<Generation, Error> {
        self.run(Work::Api, |c| async move {
            run_cancellable(Some(cancel), c.wait_for_generation(id)).await
        })
        .map(|g| self.wrap(g))
    }

    /// See [`crate::Client::upload_asset`].
    pub fn upload_asset(&self, path: impl AsRef<Path>) -> Result<Asset, Error> {
        let path = path.as_ref().to_path_buf();
        self.run(Work::Other, |c| async move { c.upload_asset(path).await })
    }

    /// [`upload_asset`](Self::upload_asset), stopped by `cancel`.
    pub fn upload_asset_cancellable(
        &self,
        path: impl AsRef<Path>,
        cancel: &CancelToken,
    ) -> Result<Asset, Error> {
        let path = path.as_ref().to_path_buf();
        self.run(Work::Other, |c| async move {
            run_cancellable(Some(cancel), c.upload_asset(path)).await
        })
    }

    /// See [`crate::Client::upload_asset_bytes`].
    pub fn upload_asset_bytes(&self, data: Bytes, file_name: &str) -> Result<Asset, Error> {
        self.run(Work::Other, |c| async move {
            c.upload_asset_bytes(data, file_name).await
        })
    }

    /// [`upload_asset_bytes`](Self::upload_asset_bytes), stopped by `cancel`.
    pub fn upload_asset_bytes_cancellable(
        &self,
        data: Bytes,
        file_name: &str,
        cancel: &CancelToken,
    ) -> Result<Asset, Error> {
        self.run(Work::Other, |c| async move {
            run_cancellable(Some(cancel), c.upload_asset_bytes(data, file_name)).await
        })
    }

    /// Saves every image of `generation` into `dir` as [`Generation::save_all_with`] does, but
    /// downloading with **this** client's settings (download timeout, `max_image_bytes`,
    /// retries), whichever client made or read the generation.
    pub fn save_all_with(
        &self,
        generation: &crate::Generation,
        dir: impl AsRef<Path>,
        opts: SaveOptions,
    ) -> Result<Vec<PathBuf>, Error> {
        let dir = dir.as_ref().to_path_buf();
        let mut g = generation.clone();
        self.run(Work::Other, |c| async move {
            g.client = c;
            g.save_all_with(dir, opts).await
        })
    }

    /// Saves image `index` of `generation` to `path` as [`Generation::save_with`] does, with
    /// this client's download settings (see [`save_all_with`](Self::save_all_with)).
    pub fn save_with(
        &self,
        generation: &crate::Generation,
        index: usize,
        path: impl AsRef<Path>,
        opts: SaveOptions,
    ) -> Result<PathBuf, Error> {
        let path = path.as_ref().to_path_buf();
        let mut g = generation.clone();
        self.run(Work::Other, |c| async move {
            g.client = c;
            g.save_with(index, path, opts).await
        })
    }

    /// See [`crate::Client::generate_many`]: the items as a blocking iterator in completion
    /// order. `opts.cancel` stops the batch from another thread. The iterator owns a runtime
    /// and connection pool of its own, so any thread may advance it.
    pub fn generate_many(
        &self,
        requests: Vec<GenerateRequest>,
        opts: BatchOptions,
    ) -> Result<BatchIter, Error> {
        BatchIter::start(self.clone(), requests, opts)
    }

    /// See [`crate::Client::generate_all`]: every item in input order, `on_item` called on
    /// the calling thread as each finishes (a blocking call it makes on this client runs on a
    /// helper thread); [`ControlFlow::Break`](std::ops::ControlFlow) stops the batch.
    pub fn generate_all<F>(
        &self,
        requests: Vec<GenerateRequest>,
        opts: BatchOptions,
        on_item: F,
    ) -> Result<Vec<BatchItem>, Error>
    where
        F: FnMut(&BatchItem) -> std::ops::ControlFlow<()> + Send,
    {
        let items = self.run(Work::Batch, |c| async move {
            c.generate_all(requests, opts, on_item).await
        })?;
        Ok(items.into_iter().map(|i| self.rebind(i)).collect())
    }

    /// An item whose generation downloads with the client as built (see [`wrap`](Self::wrap)).
    fn rebind(&self, mut item: BatchItem) -> BatchItem {
        if let Ok(g) = &mut item.result {
            g.client = self.shared.base.clone();
        }
        item
    }
}
