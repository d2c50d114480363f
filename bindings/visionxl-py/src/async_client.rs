//! `AsyncClient`, the asyncio client: the same arguments and methods as `Client`, each
//! returning an awaitable (pyo3-async-runtimes) run on the Rust tokio runtime.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict, PyTuple};
use visionxl::{Error, Generation, Progress};

use crate::batch::{
    CallbackFailure, after_scheduled_callbacks, batch_args, batch_outcome, run_batch,
};
use crate::client::client_common;
use crate::convert::Arg;
use crate::request::PyGenerateRequest;
use crate::results::{Flavour, PyAsset};
use crate::runtime::{self, awaitable};
use crate::settings::Shared;

/// The asyncio client: the same arguments and methods as `Client`, each returning an
/// awaitable (run on the Rust tokio runtime; cancelling the task cancels the request).
///
/// `AsyncClient(api_key=None, *, base_url=None, asset_base_url=None, timeout=None,
/// max_retries=2, retry_ambiguous=False, budget=None, requests_per_minute=180,
/// allow_insecure_http=False, connect_timeout=None, download_timeout=None,
/// max_image_bytes=67108864)`: see `Client`.
#[pyclass(module = "visionxl", name = "AsyncClient", frozen)]
pub struct PyAsyncClient {
    pub(crate) shared: Arc<Shared>,
}

impl PyAsyncClient {
    /// A client call that yields a generation, as an awaitable of `AsyncGeneration` (errors
    /// mapped to the package's exceptions).
    fn awaitable_generation<'py, F, Fut>(
        &self,
        py: Python<'py>,
        call: F,
    ) -> PyResult<Bound<'py, PyAny>>
    where
        F: FnOnce(visionxl::Client) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<Generation, Error>> + Send + 'static,
    {
        let client = self.shared.client()?;
        let shared = self.shared.clone();
        awaitable(py, async move {
            let generation = call(client).await.map_err(|e| shared.err(&e))?;
            Python::attach(|py| shared.data(generation, Flavour::Async).into_py(py))
        })
    }
}

client_common!(PyAsyncClient, "AsyncClient", {
    fn __aenter__<'py>(slf: Py<Self>, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        awaitable(py, async move { Ok(slf) })
    }

    #[pyo3(signature = (*_args))]
    fn __aexit__<'py>(
        &self,
        py: Python<'py>,
        _args: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        awaitable(py, async move { Ok(false) })
    }

    /// Generates images; awaitable, returning the `Generation` (an `AsyncGeneration`).
    ///
    /// `generate(prompt, *, size="1024x1024", n=1, negative_prompt=None, guidance_scale=None,
    /// num_inference_steps=None, seed=None, tiling=None, transparency=None, preset_style=None,
    /// image_prompts=None, init_image_id=None, init_strength=None, fantasy_avatar=None,
    /// alchemy=None, contrast_ratio=None, expanded_domain=None, photo_real=None,
    /// photo_real_version=None, photo_real_strength=None, prompt_magic=None,
    /// prompt_magic_version=None, prompt_magic_strength=None, high_contrast=None,
    /// high_resolution=None, enhance_prompt=None, enhance_prompt_instruction=None, preset=None)`
    ///
    /// The keywords are those of `GenerateRequest` (or pass a `GenerateRequest` alone).
    /// Validation errors are raised at once, before anything is awaited or sent. Cancelling the
    /// awaiting task cancels the request.
    #[pyo3(signature = (prompt = None, *, preset = None, **params), text_signature = "($self, prompt, *, size='1024x1024', n=1, negative_prompt=None, guidance_scale=None, num_inference_steps=None, seed=None, tiling=None, transparency=None, preset_style=None, image_prompts=None, init_image_id=None, init_strength=None, fantasy_avatar=None, alchemy=None, contrast_ratio=None, expanded_domain=None, photo_real=None, photo_real_version=None, photo_real_strength=None, prompt_magic=None, prompt_magic_version=None, prompt_magic_strength=None, high_contrast=None, high_resolution=None, enhance_prompt=None, enhance_prompt_instruction=None, preset=None)")]
    fn generate<'py>(
        &self,
        py: Python<'py>,
        prompt: Option<&Bound<'py, PyAny>>,
        preset: Option<&Bound<'py, PyAny>>,
        params: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let req = PyGenerateRequest::from_call(prompt, preset, params)?;
        self.awaitable_generation(py, move |c| async move { c.generate(&req.inner).await })
    }

    /// Reads a record again; awaitable, returning an `AsyncGeneration` (see
    /// `Client.get_generation`).
    fn get_generation<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
        self.awaitable_generation(py, move |c| async move { c.get_generation(&id).await })
    }

    /// Reads a record and polls it until it is final; awaitable.
    fn wait_for_generation<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
        self.awaitable_generation(py, move |c| async move { c.wait_for_generation(&id).await })
    }

    /// Uploads a local image; awaitable, returning the `Asset` (see `Client.upload_asset`).
    fn upload_asset<'py>(&self, py: Python<'py>, path: PathBuf) -> PyResult<Bound<'py, PyAny>> {
        let client = self.shared.client()?;
        let shared = self.shared.clone();
        awaitable(py, async move {
            let asset = client
                .upload_asset(&path)
                .await
                .map_err(|e| shared.err(&e))?;
            Ok(PyAsset { asset })
        })
    }

    /// Uploads image bytes held in memory; awaitable, returning the `Asset`.
    #[pyo3(signature = (data, file_name = "asset.png"))]
    fn upload_asset_bytes<'py>(
        &self,
        py: Python<'py>,
        data: Vec<u8>,
        file_name: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let client = self.shared.client()?;
        let shared = self.shared.clone();
        let file_name = file_name.to_string();
        awaitable(py, async move {
            let asset = client
                .upload_asset_bytes(bytes::Bytes::from(data), &file_name)
                .await
                .map_err(|e| shared.err(&e))?;
            Ok(PyAsset { asset })
        })
    }

    /// Runs many generations concurrently; awaitable, returning results in input order, with
    /// the semantics of `Client.generate_many`: an exception in `on_progress` cancels the rest
    /// of the batch and is raised once it is over, and a raised exception carries
    /// `partial_results` (`AsyncGeneration`s and exceptions, in input order). `on_progress`
    /// runs on the event loop's thread (scheduled with `call_soon_threadsafe`).
    #[pyo3(
        signature = (requests, *, concurrency = Arg::int(4), on_progress = None, manifest = None, out_dir = None, overwrite = false, return_exceptions = true),
        text_signature = "($self, requests, *, concurrency=4, on_progress=None, manifest=None, out_dir=None, overwrite=False, return_exceptions=True)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn generate_many<'py>(
        &self,
        py: Python<'py>,
        requests: &Bound<'py, PyAny>,
        concurrency: Arg,
        on_progress: Option<Py<PyAny>>,
        manifest: Option<PathBuf>,
        out_dir: Option<PathBuf>,
        overwrite: bool,
        return_exceptions: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut args = batch_args(requests, concurrency, manifest, out_dir, overwrite)?;
        let failure = CallbackFailure::default();
        let mut event_loop: Option<Py<PyAny>> = None;
        if let Some(cb) = on_progress {
            let lp = py
                .import("asyncio")?
                .call_method0("get_running_loop")?
                .unbind();
            event_loop = Some(lp.clone_ref(py));
            let cancel = args.cancel.clone();
            let failure = failure.clone();
            let cb = Arc::new(cb);
            args.opts.on_progress = Some(Arc::new(move |p: Progress| {
                runtime::attach_from_task(|py| {
                    // Runs `cb` on the loop's thread; a failure there is kept and cancels the
                    // batch, as in the blocking client.
                    let (cb, failure, cancel) = (cb.clone(), failure.clone(), cancel.clone());
                    let scheduled = PyCFunction::new_closure(
                        py,
                        None,
                        None,
                        move |args: &Bound<'_, PyTuple>, _: Option<&Bound<'_, PyDict>>| {
                            failure.call(args.py(), &cb, p, &cancel);
                        },
                    )
                    .and_then(|call| lp.bind(py).call_method1("call_soon_threadsafe", (call,)));
                    if let Err(e) = scheduled {
                        e.write_unraisable(py, None);
                    }
                });
            }));
        }
        let client = self.shared.client()?;
        let shared = self.shared.clone();
        awaitable(py, async move {
            let slots = run_batch(client, Flavour::Async, args)
                .await
                .map_err(|e| shared.err(&e))?;
            // Let every progress callback already scheduled run first: the last ones may raise.
            if let Some(lp) = &event_loop {
                after_scheduled_callbacks(lp).await;
            }
            Python::attach(|py| batch_outcome(py, slots, return_exceptions, failure.take()))
        })
    }
});
