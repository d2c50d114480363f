//! `Client`, the blocking client: `block_on` over the async `visionxl::Client` on the module's
//! fork-aware runtime, with the GIL released. The constructor and properties it shares with
//! `AsyncClient` are the `client_common!` macro here.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use visionxl::Progress;

use crate::batch::{CallbackFailure, batch_args, batch_outcome, run_batch};
use crate::convert::Arg;
use crate::request::PyGenerateRequest;
use crate::results::{Flavour, PyAsset};
use crate::runtime::block_on;
use crate::settings::Shared;

/// The blocking client of the 1min.ai API for Leonardo Vision XL. Safe to share across
/// threads (one connection pool, one pacing bucket, one budget); every network call and
/// download releases the GIL, and Ctrl-C interrupts a call in the main thread.
///
/// `Client(api_key=None, *, base_url=None, asset_base_url=None, timeout=None, max_retries=2,
/// retry_ambiguous=False, budget=None, requests_per_minute=180, allow_insecure_http=False,
/// connect_timeout=None, download_timeout=None, max_image_bytes=67108864)`
///
/// - `api_key`: else the `ONEMIN_API_KEY` environment variable (`AuthenticationError` when
///   neither is set). Never shown by `repr()` or in error messages.
/// - `base_url`: else `ONEMIN_BASE_URL`, else `https://api.1min.ai`. Plain `http://` only to
///   a loopback host unless `allow_insecure_http=True`.
/// - `asset_base_url`: where result images are downloaded from (`https://asset.1min.ai`).
/// - `timeout`: seconds for a whole generation request (default 300: generation is slow).
/// - `max_retries`: retries of connection failures before sending and of 429s.
/// - `retry_ambiguous`: also retry requests that may have reached the service (and may be
///   charged twice).
/// - `budget`: credits this client may spend; a request that would exceed what is left raises
///   `BudgetExceededError` before anything is sent.
/// - `requests_per_minute`: the pace shared by every call of this client (0 turns pacing off).
/// - `connect_timeout`: seconds to wait for a connection (default 10).
/// - `download_timeout`: seconds one image download may take in all (default 120).
/// - `max_image_bytes`: the largest image a save or download accepts, in bytes (default
///   67108864, 64 MiB), checked from `Content-Length` before downloading and while streaming:
///   a larger image raises `DownloadError` naming the limit. Must be greater than 0.
///
/// A value of the wrong type, a negative number, or a zero timeout or `max_image_bytes`
/// raises `ValidationError` naming the keyword.
#[pyclass(module = "visionxl", name = "Client", frozen)]
pub struct PyClient {
    pub(crate) shared: Arc<Shared>,
}

/// The constructor, properties and `repr` both clients share.
macro_rules! client_common {
    ($ty:ident, $name:literal, { $($extra:tt)* }) => {
        #[pymethods]
        impl $ty {
            #[new]
            #[pyo3(
                signature = (api_key = None, *, base_url = Arg::none(), asset_base_url = Arg::none(), timeout = Arg::none(), max_retries = Arg::int(2), retry_ambiguous = Arg(visionxl::ParamValue::Bool(false)), budget = Arg::none(), requests_per_minute = Arg::int(visionxl::DEFAULT_REQUESTS_PER_MINUTE as i128), allow_insecure_http = Arg(visionxl::ParamValue::Bool(false)), connect_timeout = Arg::none(), download_timeout = Arg::none(), max_image_bytes = Arg::int(visionxl::DEFAULT_MAX_IMAGE_BYTES as i128)),
                text_signature = "(api_key=None, *, base_url=None, asset_base_url=None, timeout=None, max_retries=2, retry_ambiguous=False, budget=None, requests_per_minute=180, allow_insecure_http=False, connect_timeout=None, download_timeout=None, max_image_bytes=67108864)"
            )]
            #[allow(clippy::too_many_arguments)]
            fn py_new(
                api_key: Option<&Bound<'_, PyAny>>,
                base_url: Arg,
                asset_base_url: Arg,
                timeout: Arg,
                max_retries: Arg,
                retry_ambiguous: Arg,
                budget: Arg,
                requests_per_minute: Arg,
                allow_insecure_http: Arg,
                connect_timeout: Arg,
                download_timeout: Arg,
                max_image_bytes: Arg,
            ) -> PyResult<Self> {
                let shared = $crate::settings::shared_from_args(
                    $crate::settings::key_arg(api_key)?,
                    [
                        ("base_url", base_url),
                        ("asset_base_url", asset_base_url),
                        ("timeout", timeout),
                        ("max_retries", max_retries),
                        ("retry_ambiguous", retry_ambiguous),
                        ("budget", budget),
                        ("requests_per_minute", requests_per_minute),
                        ("allow_insecure_http", allow_insecure_http),
                        ("connect_timeout", connect_timeout),
                        ("download_timeout", download_timeout),
                        ("max_image_bytes", max_image_bytes),
                    ],
                )?;
                Ok($ty {
                    shared: Arc::new(shared),
                })
            }

            /// The API base URL in use.
            #[getter]
            fn base_url(&self) -> PyResult<String> {
                Ok(self.shared.client()?.base_url().to_string())
            }

            /// The base URL images are downloaded from.
            #[getter]
            fn asset_base_url(&self) -> PyResult<String> {
                Ok(self.shared.client()?.asset_base_url().to_string())
            }

            /// Credits left in the budget (None: no budget).
            #[getter]
            fn budget_remaining(&self) -> PyResult<Option<u64>> {
                Ok(self.shared.client()?.budget_remaining())
            }

            fn __repr__(&self, py: Python<'_>) -> String {
                self.shared.repr($name, py)
            }

            fn __str__(&self, py: Python<'_>) -> String {
                self.shared.repr($name, py)
            }

            $($extra)*
        }
    };
}

pub(crate) use client_common;

client_common!(PyClient, "Client", {
    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, PyTuple>) -> bool {
        false
    }

    /// Generates images and returns the `Generation` (a `SyncGeneration`).
    ///
    // <codegen:doc-signature-generate> generated by visionxl-codegen from the parameter table; do not edit — cargo run -p visionxl-codegen
    /// `generate(prompt, *, size="1024x1024", n=1, negative_prompt=None, guidance_scale=None,
    /// num_inference_steps=None, seed=None, tiling=None, transparency=None, preset_style=None,
    /// image_prompts=None, init_image_id=None, init_strength=None, fantasy_avatar=None,
    /// alchemy=None, contrast_ratio=None, expanded_domain=None, photo_real=None,
    /// photo_real_version=None, photo_real_strength=None, prompt_magic=None,
    /// prompt_magic_version=None, prompt_magic_strength=None, high_contrast=None,
    /// high_resolution=None, enhance_prompt=None, enhance_prompt_instruction=None, preset=None)`
    // </codegen:doc-signature-generate>
    ///
    /// The keywords are those of `GenerateRequest` (or pass a `GenerateRequest` alone). The
    /// request is validated first (`ValidationError` lists every problem; nothing is sent),
    /// checked against the budget, paced, sent, and a PROCESSING record is polled until it is
    /// final. Errors are `VisionXLError` subclasses with a stable `.code`. The GIL is released
    /// for the whole call; Ctrl-C interrupts it.
    // <codegen:text-signature-method> generated by visionxl-codegen from the parameter table; do not edit — cargo run -p visionxl-codegen
    #[pyo3(signature = (prompt = None, *, preset = None, **params), text_signature = "($self, prompt, *, size='1024x1024', n=1, negative_prompt=None, guidance_scale=None, num_inference_steps=None, seed=None, tiling=None, transparency=None, preset_style=None, image_prompts=None, init_image_id=None, init_strength=None, fantasy_avatar=None, alchemy=None, contrast_ratio=None, expanded_domain=None, photo_real=None, photo_real_version=None, photo_real_strength=None, prompt_magic=None, prompt_magic_version=None, prompt_magic_strength=None, high_contrast=None, high_resolution=None, enhance_prompt=None, enhance_prompt_instruction=None, preset=None)")]
    // </codegen:text-signature-method>
    fn generate(
        &self,
        py: Python<'_>,
        prompt: Option<&Bound<'_, PyAny>>,
        preset: Option<&Bound<'_, PyAny>>,
        params: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        let req = PyGenerateRequest::from_call(prompt, preset, params)?;
        let client = self.shared.client()?;
        let out = block_on(py, async move { client.generate(&req.inner).await })?;
        let generation = out.map_err(|e| self.shared.err(&e))?;
        self.shared.data(generation, Flavour::Sync).into_py(py)
    }

    /// Reads a record again (`GET /api/results/{id}`): fresh download URLs for a generation
    /// made earlier. `NotFoundError` when there is no such record. A PROCESSING record is
    /// returned as it is (`wait_for_generation` polls it to the end).
    fn get_generation(&self, py: Python<'_>, id: String) -> PyResult<Py<PyAny>> {
        let client = self.shared.client()?;
        let out = block_on(py, async move { client.get_generation(&id).await })?;
        let generation = out.map_err(|e| self.shared.err(&e))?;
        self.shared.data(generation, Flavour::Sync).into_py(py)
    }

    /// Reads a record and polls it until it is final (SUCCESS, or `APIError` with code
    /// `generation_failed`).
    fn wait_for_generation(&self, py: Python<'_>, id: String) -> PyResult<Py<PyAny>> {
        let client = self.shared.client()?;
        let out = block_on(py, async move { client.wait_for_generation(&id).await })?;
        let generation = out.map_err(|e| self.shared.err(&e))?;
        self.shared.data(generation, Flavour::Sync).into_py(py)
    }

    /// Uploads a local image (`POST /api/assets`) for use as `init_image_id` or in
    /// `image_prompts`; returns the `Asset`. The file must be an image (checked from its bytes).
    fn upload_asset(&self, py: Python<'_>, path: PathBuf) -> PyResult<PyAsset> {
        let client = self.shared.client()?;
        let out = block_on(py, async move { client.upload_asset(&path).await })?;
        Ok(PyAsset {
            asset: out.map_err(|e| self.shared.err(&e))?,
        })
    }

    /// Uploads image bytes held in memory, under `file_name`; returns the `Asset`.
    #[pyo3(signature = (data, file_name = "asset.png"))]
    fn upload_asset_bytes(
        &self,
        py: Python<'_>,
        data: Vec<u8>,
        file_name: &str,
    ) -> PyResult<PyAsset> {
        let client = self.shared.client()?;
        let file_name = file_name.to_string();
        let out = block_on(py, async move {
            client
                .upload_asset_bytes(bytes::Bytes::from(data), &file_name)
                .await
        })?;
        Ok(PyAsset {
            asset: out.map_err(|e| self.shared.err(&e))?,
        })
    }

    /// Runs many generations concurrently and returns their results in input order.
    ///
    /// `requests`: `GenerateRequest`s, dicts of `generate` keywords, or prompt strings; all are
    /// validated before anything is sent. `concurrency`: generations in flight (pacing and the
    /// budget still apply; 1 to 1000, as in every language). `on_progress(progress)`:
    /// called with a `Progress` after every finished item; an exception in it cancels the rest
    /// of the batch (they end as `cancelled`), the callback is not called again, and the
    /// exception is raised once the batch is over. `manifest`: a JSONL file recording every
    /// paid record; a rerun with it skips what is done. `out_dir`: also save every image there.
    /// With `return_exceptions=True` (the default) a failed item is its exception in the list;
    /// with False the first failure (in input order) is raised after the batch.
    ///
    /// Nothing paid for is lost: whenever `generate_many` raises after the batch ran (a failing
    /// `on_progress`, or `return_exceptions=False`), the exception has a `partial_results`
    /// attribute holding the list it would have returned: a `SyncGeneration` for every item
    /// that finished (and was paid for) and an exception for every other.
    #[pyo3(
        signature = (requests, *, concurrency = Arg::int(4), on_progress = None, manifest = None, out_dir = None, overwrite = false, return_exceptions = true),
        text_signature = "($self, requests, *, concurrency=4, on_progress=None, manifest=None, out_dir=None, overwrite=False, return_exceptions=True)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn generate_many(
        &self,
        py: Python<'_>,
        requests: &Bound<'_, PyAny>,
        concurrency: Arg,
        on_progress: Option<Py<PyAny>>,
        manifest: Option<PathBuf>,
        out_dir: Option<PathBuf>,
        overwrite: bool,
        return_exceptions: bool,
    ) -> PyResult<Py<PyList>> {
        let mut args = batch_args(requests, concurrency, manifest, out_dir, overwrite)?;
        let failure = CallbackFailure::default();
        if let Some(cb) = on_progress {
            let cancel = args.cancel.clone();
            let failure = failure.clone();
            args.opts.on_progress = Some(Arc::new(move |p: Progress| {
                Python::attach(|py| failure.call(py, &cb, p, &cancel));
            }));
        }
        let client = self.shared.client()?;
        let out = block_on(py, run_batch(client, Flavour::Sync, args, failure.clone()))?;
        let slots = out.map_err(|e| self.shared.err(&e))?;
        batch_outcome(py, slots, return_exceptions, failure.take())
    }
});
