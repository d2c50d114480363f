//! [`Generation`]: a generation with blocking saves.

use std::fmt;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use visionxl_core::Error;

use super::CancelToken;
use super::local::{Shared, Work};
use crate::SaveOptions;
use crate::cancel::run_cancellable;

/// A generation with blocking saves. Dereferences to [`crate::Generation`] for its data
/// (`id()`, `images()`, `credits()`, ...). Downloads run on the calling thread with the
/// settings of the client that made it.
#[derive(Clone)]
pub struct Generation {
    inner: crate::Generation,
    shared: Arc<Shared>,
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
    pub(super) fn new(inner: crate::Generation, shared: Arc<Shared>) -> Generation {
        Generation { inner, shared }
    }

    /// The async generation inside.
    pub fn into_async(self) -> crate::Generation {
        self.inner
    }

    /// Runs `call` with this generation bound to the calling thread's connection pool.
    fn run<T: Send, Fut>(
        &self,
        call: impl FnOnce(crate::Generation) -> Fut + Send,
    ) -> Result<T, Error>
    where
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        let mut g = self.inner.clone();
        self.shared.run(Work::Other, |c| {
            g.client = c;
            call(g)
        })
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
        self.run(|g| async move { g.save_all_with(dir, opts).await })
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
        self.run(|g| async move { g.save_with(index, path, opts).await })
    }

    /// See [`crate::Generation::image_bytes`].
    pub fn image_bytes(&self, index: usize) -> Result<Bytes, Error> {
        self.run(|g| async move { g.image_bytes(index).await })
    }

    /// [`image_bytes`](Self::image_bytes), stopped by `cancel`.
    pub fn image_bytes_cancellable(
        &self,
        index: usize,
        cancel: &CancelToken,
    ) -> Result<Bytes, Error> {
        self.run(|g| async move { run_cancellable(Some(cancel), g.image_bytes(index)).await })
    }
}
