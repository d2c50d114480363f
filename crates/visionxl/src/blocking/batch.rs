//! [`BatchIter`]: a batch as a blocking iterator.

use std::fmt;

use futures_util::StreamExt;
use visionxl_core::{Error, GenerateRequest};

use super::Client;
use super::local::Local;
use crate::{BatchItem, BatchOptions, BatchStream};

/// The items of a blocking batch, in completion order. Owns a runtime and a connection pool
/// of its own, so it may be advanced from any thread (one at a time).
pub struct BatchIter {
    // Declared before `local`: the stream's connections close before their runtime.
    stream: BatchStream,
    local: Local,
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
    pub(super) fn start(
        client: Client,
        requests: Vec<GenerateRequest>,
        opts: BatchOptions,
    ) -> Result<BatchIter, Error> {
        let local = Local::new(client.async_client(), false)?;
        let on = local.client.clone();
        let stream = std::thread::scope(|s| {
            // A helper thread when called from inside an async context, as every blocking call.
            if tokio::runtime::Handle::try_current().is_ok() {
                s.spawn(|| local.block_on(on.generate_many(requests, opts)))
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p))
            } else {
                local.block_on(on.generate_many(requests, opts))
            }
        })?;
        Ok(BatchIter {
            stream,
            local,
            client,
        })
    }

    /// Items in the batch.
    pub fn total(&self) -> usize {
        self.stream.total()
    }
}

impl Iterator for BatchIter {
    type Item = BatchItem;
    fn next(&mut self) -> Option<BatchItem> {
        let stream = &mut self.stream;
        let item = if tokio::runtime::Handle::try_current().is_ok() {
            let local = &self.local;
            std::thread::scope(|s| {
                s.spawn(|| local.block_on(stream.next()))
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p))
            })
        } else {
            self.local.block_on(stream.next())
        }?;
        Some(self.client.rebind(item))
    }
}
