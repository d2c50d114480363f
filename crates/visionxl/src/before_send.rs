//! [`Client::generate_with_before_send`]: a generation that tells its caller right before each
//! POST leaves, so "sending" can be recorded somewhere durable first (a queue's item state in
//! Redis, as the batch manifest does on disk).

use futures_util::future::BoxFuture;
use visionxl_core::{Error, GenerateRequest};

use crate::client::{BeforeSend, Client, GenerateOptions};
use crate::generation::Generation;

/// A caller's closure as the client's before-send hook.
struct FnHook<F>(F);

impl<F> BeforeSend for FnHook<F>
where
    F: Fn(u32) -> BoxFuture<'static, Result<(), Error>> + Send + Sync,
{
    fn before_send(&self, attempt: u32) -> BoxFuture<'_, Result<(), Error>> {
        (self.0)(attempt)
    }
}

impl Client {
    /// [`generate_with`](Self::generate_with), calling `before_send(attempt)` (from 1) right
    /// before each generation POST leaves, after validation, the budget and pacing. An error
    /// from it stops the call with nothing sent this time (an earlier attempt may still have
    /// been charged, and the error says so).
    ///
    /// ```no_run
    /// # async fn demo(client: visionxl::Client, req: visionxl::GenerateRequest) -> Result<(), visionxl::Error> {
    /// use futures_util::FutureExt;
    /// let g = client
    ///     .generate_with_before_send(&req, Default::default(), |attempt| {
    ///         async move {
    ///             println!("attempt {attempt} is leaving: record it before it may be charged");
    ///             Ok(())
    ///         }
    ///         .boxed()
    ///     })
    ///     .await?;
    /// # let _ = g; Ok(()) }
    /// ```
    pub async fn generate_with_before_send<F>(
        &self,
        req: &GenerateRequest,
        opts: GenerateOptions,
        before_send: F,
    ) -> Result<Generation, Error>
    where
        F: Fn(u32) -> BoxFuture<'static, Result<(), Error>> + Send + Sync,
    {
        self.generate_hooked(req, opts, Some(&FnHook(before_send)))
            .await
    }
}
