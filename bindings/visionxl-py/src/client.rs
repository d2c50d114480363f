//! `Client` (blocking) and `AsyncClient` (asyncio), both over the async `visionxl::Client` on
//! the module's fork-aware runtime: the sync client is `block_on` with the GIL released, the
//! async one hands asyncio an awaitable (pyo3-async-runtimes).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyCFunction, PyDict, PyList, PyString, PyTuple};
use secrecy::{ExposeSecret, SecretString};
use visionxl::{
    BatchOptions, CancelToken, Error, GenerateRequest, Generation, Progress, SaveOptions, Violation,
};

use crate::convert::{Arg, json_to_py, repr_str};
use crate::errors::to_py_err;
use crate::request::{PyGenerateRequest, PyViolation, warnings_to_list};
use crate::runtime::{self, awaitable, block_on};

/// The API key in use, kept only to scrub it from messages (a second line of defence behind
/// the Rust client's own redaction). Never a plain `String` (DESIGN §7).
type Secret = Option<Arc<SecretString>>;

fn exposed(secret: &Secret) -> Option<&str> {
    secret.as_deref().map(ExposeSecret::expose_secret)
}

/// How a client was configured: kept so a client used in a forked child can be rebuilt there.
#[derive(Clone)]
struct Settings {
    api_key: Option<SecretString>,
    base_url: Option<String>,
    asset_base_url: Option<String>,
    timeout: Option<Duration>,
    max_retries: u32,
    retry_ambiguous: bool,
    budget: Option<u64>,
    requests_per_minute: u32,
    allow_insecure_http: bool,
    connect_timeout: Option<Duration>,
    download_timeout: Option<Duration>,
    max_image_bytes: u64,
}

impl Settings {
    fn build(&self) -> Result<visionxl::Client, Error> {
        let mut b = visionxl::Client::builder()
            .max_retries(self.max_retries)
            .retry_ambiguous(self.retry_ambiguous)
            .requests_per_minute(self.requests_per_minute)
            .allow_insecure_http(self.allow_insecure_http)
            .max_image_bytes(self.max_image_bytes);
        if let Some(k) = &self.api_key {
            b = b.api_key(k.expose_secret());
        }
        if let Some(u) = &self.base_url {
            b = b.base_url(u.clone());
        }
        if let Some(u) = &self.asset_base_url {
            b = b.asset_base_url(u.clone());
        }
        if let Some(t) = self.timeout {
            b = b.timeout(t);
        }
        if let Some(t) = self.connect_timeout {
            b = b.connect_timeout(t);
        }
        if let Some(t) = self.download_timeout {
            b = b.download_timeout(t);
        }
        if let Some(c) = self.budget {
            b = b.budget(c);
        }
        let rt = runtime::get();
        let _guard = rt.enter();
        b.build()
    }
}

/// What both clients share: the Rust client (rebuilt after a fork) and the key to scrub.
pub struct Shared {
    settings: Settings,
    state: Mutex<(u32, visionxl::Client)>,
    /// The key in use (argument or environment), only to scrub it from messages.
    secret: Secret,
}

impl Shared {
    fn new(settings: Settings) -> PyResult<Shared> {
        let secret: Secret = settings
            .api_key
            .clone()
            .or_else(|| {
                std::env::var(visionxl::ENV_API_KEY)
                    .ok()
                    .map(SecretString::from)
            })
            .map(|k| SecretString::from(k.expose_secret().trim()))
            .filter(|k| !k.expose_secret().is_empty())
            .map(Arc::new);
        let client = settings
            .build()
            .map_err(|e| to_py_err(&e, exposed(&secret)))?;
        Ok(Shared {
            settings,
            state: Mutex::new((std::process::id(), client)),
            secret,
        })
    }

    /// The Rust client for this process: the one built here, or a fresh one in a forked child
    /// (the parent's connection pool belongs to a runtime that does not exist there).
    fn client(&self) -> PyResult<visionxl::Client> {
        let pid = std::process::id();
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.0 != pid {
            let fresh = self.settings.build().map_err(|e| self.err(&e))?;
            let stale = std::mem::replace(&mut *state, (pid, fresh));
            // Its pool's tasks lived on the parent's runtime: never run its destructor here.
            std::mem::forget(stale);
        }
        Ok(state.1.clone())
    }

    fn err(&self, e: &Error) -> PyErr {
        to_py_err(e, exposed(&self.secret))
    }

    fn data(&self, generation: Generation, flavour: Flavour) -> GenData {
        GenData {
            generation,
            secret: self.secret.clone(),
            flavour,
        }
    }

    fn repr(&self, class: &str, py: Python<'_>) -> String {
        let (base, asset, budget) = match self.state.lock() {
            Ok(s) => (
                s.1.base_url().to_string(),
                s.1.asset_base_url().to_string(),
                s.1.budget_remaining(),
            ),
            Err(_) => (String::new(), String::new(), None),
        };
        let mut out = format!(
            "{class}(base_url={}, asset_base_url={}, api_key='***'",
            repr_str(py, &base),
            repr_str(py, &asset)
        );
        if let Some(b) = budget {
            let _ = write!(out, ", budget_remaining={b}");
        }
        out.push(')');
        out
    }
}

/// The `api_key` keyword, straight into a `SecretString` (no plain copy is kept here).
fn key_arg(key: Option<&Bound<'_, PyAny>>) -> PyResult<Option<SecretString>> {
    match key {
        None => Ok(None),
        Some(k) if k.is_none() => Ok(None),
        Some(k) => match k.cast::<PyString>() {
            Ok(s) => Ok(Some(SecretString::from(s.to_cow()?.into_owned()))),
            Err(_) => Err(crate::errors::validation_err(vec![Violation::new(
                "api_key",
                visionxl::ViolationCode::WrongType,
                format!(
                    "api_key must be a string, got {}",
                    crate::convert::type_name(k)
                ),
            )])),
        },
    }
}

/// The keywords of `Client(...)`/`AsyncClient(...)`, as Python passed them.
struct ClientArgs {
    api_key: Option<SecretString>,
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
}

/// Converts the keywords to Rust types, and nothing more: a wrong type or a negative number is
/// a `ValidationError` naming the keyword; what the values mean (0 requests per minute turns
/// pacing off, as in Rust and C; `max_image_bytes=0` is refused, as in Rust and C) is the Rust
/// `ClientBuilder`'s business.
fn settings_from_args(a: ClientArgs) -> PyResult<Settings> {
    let timeout = a.timeout.opt_seconds("timeout")?;
    let connect_timeout = a.connect_timeout.opt_seconds("connect_timeout")?;
    let download_timeout = a.download_timeout.opt_seconds("download_timeout")?;
    // Stopgap until the Rust ClientBuilder checks it itself (being added there): a zero timeout
    // would make every call fail at once.
    for (field, value) in [
        ("timeout", timeout),
        ("connect_timeout", connect_timeout),
        ("download_timeout", download_timeout),
    ] {
        if value.is_some_and(|d| d.is_zero()) {
            return Err(crate::errors::validation_err(vec![Violation::new(
                field,
                visionxl::ViolationCode::OutOfRange,
                format!("{field} must be greater than 0 seconds, got 0"),
            )]));
        }
    }
    Ok(Settings {
        api_key: a.api_key,
        base_url: a.base_url.opt_string("base_url")?,
        asset_base_url: a.asset_base_url.opt_string("asset_base_url")?,
        timeout,
        max_retries: a.max_retries.count("max_retries", u32::MAX)?,
        retry_ambiguous: a.retry_ambiguous.boolean("retry_ambiguous")?,
        budget: a.budget.opt_count("budget", u64::MAX)?,
        requests_per_minute: a
            .requests_per_minute
            .count("requests_per_minute", u32::MAX)?,
        allow_insecure_http: a.allow_insecure_http.boolean("allow_insecure_http")?,
        connect_timeout,
        download_timeout,
        max_image_bytes: a.max_image_bytes.count("max_image_bytes", u64::MAX)?,
    })
}

// ---------------------------------------------------------------------------------------------
// Results: `Generation` / `Image` (the data every generation has, subclassable) extended by
// `SyncGeneration` / `SyncImage` (blocking downloads, from `Client`) and `AsyncGeneration` /
// `AsyncImage` (awaitable downloads, from `AsyncClient`).
//
// The downloads live on the concrete classes only: overriding a blocking `save` with an
// awaitable one would make an `AsyncGeneration` a `Generation` whose `save` returns something
// else, which type checkers rightly reject and which would break code written for either.

/// Which client made a generation: decides the class of its images.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavour {
    Sync,
    Async,
}

/// A generation with the key to scrub from its errors.
#[derive(Clone)]
struct GenData {
    generation: Generation,
    secret: Secret,
    flavour: Flavour,
}

impl GenData {
    fn err(&self, e: &Error) -> PyErr {
        to_py_err(e, exposed(&self.secret))
    }

    fn raw<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, self.generation.raw())
    }

    fn request(&self) -> Option<PyGenerateRequest> {
        self.generation.request().map(|r| PyGenerateRequest {
            inner: r.clone(),
            warnings: self.generation.warnings().to_vec(),
        })
    }

    /// The Python object for this generation: a `SyncGeneration` or an `AsyncGeneration`.
    fn into_py(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let flavour = self.flavour;
        let base = PyClassInitializer::from(PyGeneration { data: self });
        Ok(match flavour {
            Flavour::Sync => Py::new(py, base.add_subclass(PySyncGeneration))?.into_any(),
            Flavour::Async => Py::new(py, base.add_subclass(PyAsyncGeneration))?.into_any(),
        })
    }

    /// The Python object for image `index`: a `SyncImage` or an `AsyncImage`.
    fn image(&self, py: Python<'_>, index: usize) -> PyResult<Py<PyAny>> {
        let base = PyClassInitializer::from(PyImage {
            data: self.clone(),
            index,
        });
        Ok(match self.flavour {
            Flavour::Sync => Py::new(py, base.add_subclass(PySyncImage))?.into_any(),
            Flavour::Async => Py::new(py, base.add_subclass(PyAsyncImage))?.into_any(),
        })
    }

    fn html(&self) -> String {
        let g = &self.generation;
        let mut out = format!(
            "<div class=\"visionxl-generation\"><div><code>{}</code> {} &middot; {} credits</div>",
            escape(g.id()),
            escape(g.status().as_str()),
            g.credits()
                .map_or_else(|| "?".to_string(), |c| c.to_string())
        );
        for img in g.images() {
            let _ = write!(
                out,
                "<img src=\"{}\" alt=\"{}\" style=\"max-width:256px;margin:2px\"/>",
                escape(img.url()),
                escape(img.path())
            );
        }
        out.push_str("</div>");
        out
    }

    fn save_options(overwrite: bool) -> SaveOptions {
        SaveOptions {
            overwrite,
            ..SaveOptions::default()
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The name of an object's class (`SyncGeneration`, a user's subclass, ...), for `__repr__`.
fn class_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "Generation".to_string())
}

/// `PIL.Image.open(BytesIO(data))`, or an ImportError that names Pillow.
fn to_pil<'py>(py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let image_mod = import_pil(py)?;
    let buf = py
        .import("io")?
        .getattr("BytesIO")?
        .call1((PyBytes::new(py, data),))?;
    let img = image_mod.call_method1("open", (buf,))?;
    img.call_method0("load")?;
    Ok(img)
}

fn import_pil(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    py.import("PIL.Image").map_err(|e| {
        let err = pyo3::exceptions::PyImportError::new_err(
            "Image.to_pil() needs the Pillow package, which is not installed: \
             pip install Pillow (or pip install 'visionxl[pil]')",
        );
        err.set_cause(py, Some(e));
        err
    })
}

/// PNG bytes of an image for IPython, or None (no Pillow, or the download failed: IPython then
/// falls back to `_repr_html_`).
fn png_for_display(py: Python<'_>, data: &[u8]) -> Option<Py<PyBytes>> {
    if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(PyBytes::new(py, data).unbind());
    }
    let img = to_pil(py, data).ok()?;
    let buf = py
        .import("io")
        .ok()?
        .getattr("BytesIO")
        .ok()?
        .call0()
        .ok()?;
    img.call_method1("save", (&buf, "PNG")).ok()?;
    let out = buf.call_method0("getvalue").ok()?;
    out.cast_into::<PyBytes>().ok().map(Bound::unbind)
}

/// Bytes handed back to Python from a task.
struct BytesOut(bytes::Bytes);

impl<'py> IntoPyObject<'py> for BytesOut {
    type Target = PyBytes;
    type Output = Bound<'py, PyBytes>;
    type Error = PyErr;
    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &self.0))
    }
}

/// The result of a generation: its record id (keep it: `get_generation(id)` reads the record
/// again), status, images, price in credits, validation warnings and the raw answer.
///
/// Both clients return one: `Client` a `SyncGeneration` (`generation.save(dir)` downloads),
/// `AsyncClient` an `AsyncGeneration` (`await generation.save(dir)`). This base class holds
/// what they share, so code that only reads results can take any `Generation`.
#[pyclass(module = "visionxl", name = "Generation", frozen, subclass)]
pub struct PyGeneration {
    data: GenData,
}

/// A generation from `Client`: a `Generation` whose downloads block (releasing the GIL).
/// `save(dir)` downloads every image (with a `NAME.json` sidecar each).
#[pyclass(module = "visionxl", name = "SyncGeneration", frozen, extends = PyGeneration)]
pub struct PySyncGeneration;

/// A generation from `AsyncClient`: a `Generation` whose downloads are awaitable
/// (`await generation.save(dir)`).
#[pyclass(module = "visionxl", name = "AsyncGeneration", frozen, extends = PyGeneration)]
pub struct PyAsyncGeneration;

/// One generated image: `url` to download it from, the service's storage `path`, its
/// `file_name` and `index`. `SyncImage` (from `Client`) adds blocking `save(path)`, `read()` and
/// `to_pil()`; `AsyncImage` (from `AsyncClient`) the same as awaitables.
#[pyclass(module = "visionxl", name = "Image", frozen, subclass)]
pub struct PyImage {
    data: GenData,
    index: usize,
}

/// An image from `Client`: an `Image` with blocking downloads: `save(path)`, `read()` for the
/// bytes, `to_pil()` for a Pillow image.
#[pyclass(module = "visionxl", name = "SyncImage", frozen, extends = PyImage)]
pub struct PySyncImage;

/// An image from `AsyncClient`: an `Image` with awaitable downloads.
#[pyclass(module = "visionxl", name = "AsyncImage", frozen, extends = PyImage)]
pub struct PyAsyncImage;

#[pymethods]
impl PyGeneration {
    /// The record id (`aiRecord.uuid`).
    #[getter]
    fn id(&self) -> &str {
        self.data.generation.id()
    }
    /// `"SUCCESS"` (or `"PROCESSING"`, ... for a record read before it finished).
    #[getter]
    fn status(&self) -> &str {
        self.data.generation.status().as_str()
    }
    /// The images, in the service's order (`SyncImage`s or `AsyncImage`s, as the generation).
    #[getter]
    fn images<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let items = (0..self.data.generation.images().len())
            .map(|index| self.data.image(py, index))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, items)
    }
    /// The price in credits from the documented table (None when unknown).
    #[getter]
    fn credits(&self) -> Option<u32> {
        self.data.generation.credits()
    }
    /// Validation warnings of the request (never blocking).
    #[getter]
    fn warnings(&self) -> Vec<PyViolation> {
        warnings_to_list(self.data.generation.warnings())
    }
    /// The whole answer of the service, as a dict.
    #[getter]
    fn raw<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.data.raw(py)
    }
    /// The request: as sent, or rebuilt from the service's echo (None when unknown).
    #[getter]
    fn request(&self) -> Option<PyGenerateRequest> {
        self.data.request()
    }
    /// When the record was made (ISO 8601, as sent), or None.
    #[getter]
    fn created_at(&self) -> Option<&str> {
        self.data.generation.created_at()
    }
    /// True when the record comes from the visionxl emulator (a test double).
    #[getter]
    fn is_emulated(&self) -> bool {
        self.data.generation.is_emulated()
    }
    fn __len__(&self) -> usize {
        self.data.generation.images().len()
    }
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.images(py)?.try_iter()?.into_any())
    }
    fn __repr__(slf: &Bound<'_, Self>) -> String {
        let g = &slf.get().data.generation;
        format!(
            "{}(id={}, status={}, images={}, credits={})",
            class_name(slf.as_any()),
            repr_str(slf.py(), g.id()),
            repr_str(slf.py(), g.status().as_str()),
            g.images().len(),
            g.credits()
                .map_or_else(|| "None".to_string(), |c| c.to_string())
        )
    }
    /// Jupyter: the images inline (by URL; signed URLs expire).
    fn _repr_html_(&self) -> String {
        self.data.html()
    }
}

#[pymethods]
impl PySyncGeneration {
    /// Downloads every image into `directory` (created if missing) and returns the files, in
    /// order, as `pathlib.Path`s. Each image is streamed to a temporary name and renamed, named
    /// from the service's path (sanitised; the extension fixed from the real image type) and
    /// gets a sidecar `NAME.json` (record id, full request, price, time). An existing file is
    /// never replaced unless `overwrite=True`. The GIL is released while downloading.
    #[pyo3(signature = (directory, *, overwrite = false))]
    fn save(slf: &Bound<'_, Self>, directory: PathBuf, overwrite: bool) -> PyResult<Vec<PathBuf>> {
        let data = slf.as_super().get().data.clone();
        let task = data.clone();
        let out = block_on(slf.py(), async move {
            task.generation
                .save_all_with(&directory, GenData::save_options(overwrite))
                .await
        })?;
        out.map_err(|e| data.err(&e))
    }

    /// Jupyter: the first image as PNG (needs Pillow for WebP images; None otherwise).
    fn _repr_png_(slf: &Bound<'_, Self>) -> Option<Py<PyBytes>> {
        let data = slf.as_super().get().data.clone();
        if data.generation.images().is_empty() {
            return None;
        }
        let bytes = block_on(
            slf.py(),
            async move { data.generation.image_bytes(0).await },
        )
        .ok()?
        .ok()?;
        png_for_display(slf.py(), &bytes)
    }
}

#[pymethods]
impl PyAsyncGeneration {
    /// Downloads every image into `directory` (see `SyncGeneration.save`); awaitable,
    /// returning the files as `pathlib.Path`s.
    #[pyo3(signature = (directory, *, overwrite = false))]
    fn save<'py>(
        slf: &Bound<'py, Self>,
        directory: PathBuf,
        overwrite: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let data = slf.as_super().get().data.clone();
        awaitable(slf.py(), async move {
            data.generation
                .save_all_with(&directory, GenData::save_options(overwrite))
                .await
                .map_err(|e| data.err(&e))
        })
    }
}

#[pymethods]
impl PyImage {
    /// Position in the generation.
    #[getter]
    fn index(&self) -> usize {
        self.index
    }
    /// Where to download it (signed temporary URLs expire: `get_generation` gives fresh ones).
    #[getter]
    fn url(&self) -> &str {
        self.data.generation.images()[self.index].url()
    }
    /// The storage path the service sent (`development/images/....webp`).
    #[getter]
    fn path(&self) -> &str {
        self.data.generation.images()[self.index].path()
    }
    /// The safe file name `save` uses for it.
    #[getter]
    fn file_name(&self) -> &str {
        self.data.generation.images()[self.index].file_name()
    }
    /// The record id of its generation.
    #[getter]
    fn generation_id(&self) -> &str {
        self.data.generation.id()
    }
    fn __repr__(slf: &Bound<'_, Self>) -> String {
        let this = slf.get();
        format!(
            "{}(index={}, url={})",
            class_name(slf.as_any()),
            this.index,
            repr_str(slf.py(), this.url())
        )
    }
    /// Jupyter: the image inline, by URL.
    fn _repr_html_(&self) -> String {
        format!(
            "<img src=\"{}\" alt=\"{}\" style=\"max-width:512px\"/>",
            escape(self.url()),
            escape(self.path())
        )
    }
}

/// The generation and index of an image object.
fn image_of<T: pyo3::PyClass<BaseType = PyImage>>(slf: &Bound<'_, T>) -> (GenData, usize) {
    let img = slf.as_super().get();
    (img.data.clone(), img.index)
}

#[pymethods]
impl PySyncImage {
    /// Downloads the image to `path` and returns the path written (its extension is corrected
    /// to the real image type), with a sidecar `NAME.json`. Never replaces an existing file
    /// unless `overwrite=True`. The GIL is released while downloading.
    #[pyo3(signature = (path, *, overwrite = false))]
    fn save(slf: &Bound<'_, Self>, path: PathBuf, overwrite: bool) -> PyResult<PathBuf> {
        let (data, index) = image_of(slf);
        let task = data.clone();
        let out = block_on(slf.py(), async move {
            task.generation
                .save_with(index, &path, GenData::save_options(overwrite))
                .await
        })?;
        out.map_err(|e| data.err(&e))
    }

    /// Downloads the image and returns its bytes (checked to be an image).
    fn read<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyBytes>> {
        let (data, index) = image_of(slf);
        let task = data.clone();
        let out = block_on(
            slf.py(),
            async move { task.generation.image_bytes(index).await },
        )?;
        let bytes = out.map_err(|e| data.err(&e))?;
        Ok(PyBytes::new(slf.py(), &bytes))
    }

    /// Downloads the image as a `PIL.Image.Image`. Needs Pillow (`pip install Pillow`); without
    /// it, raises ImportError saying so (before downloading anything).
    fn to_pil<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        import_pil(slf.py())?;
        let bytes = Self::read(slf)?;
        to_pil(slf.py(), bytes.as_bytes())
    }

    /// Jupyter: the image as PNG (needs Pillow for WebP images; None otherwise).
    fn _repr_png_(slf: &Bound<'_, Self>) -> Option<Py<PyBytes>> {
        let bytes = Self::read(slf).ok()?;
        png_for_display(slf.py(), bytes.as_bytes())
    }
}

#[pymethods]
impl PyAsyncImage {
    /// Downloads the image to `path` (see `SyncImage.save`); awaitable, returning the path.
    #[pyo3(signature = (path, *, overwrite = false))]
    fn save<'py>(
        slf: &Bound<'py, Self>,
        path: PathBuf,
        overwrite: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (data, index) = image_of(slf);
        awaitable(slf.py(), async move {
            data.generation
                .save_with(index, &path, GenData::save_options(overwrite))
                .await
                .map_err(|e| data.err(&e))
        })
    }

    /// Downloads the image; awaitable, returning its bytes.
    fn read<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let (data, index) = image_of(slf);
        awaitable(slf.py(), async move {
            data.generation
                .image_bytes(index)
                .await
                .map(BytesOut)
                .map_err(|e| data.err(&e))
        })
    }

    /// Downloads the image as a `PIL.Image.Image`; awaitable. Needs Pillow: without it,
    /// raises ImportError at once, saying so.
    fn to_pil<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        import_pil(slf.py())?;
        let (data, index) = image_of(slf);
        awaitable(slf.py(), async move {
            let bytes = data
                .generation
                .image_bytes(index)
                .await
                .map_err(|e| data.err(&e))?;
            Python::attach(|py| to_pil(py, &bytes).map(Bound::unbind))
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Assets and progress.

/// An uploaded asset: pass `reference` (or the asset itself, via `str()`) as `init_image_id`
/// or in `image_prompts`.
#[pyclass(module = "visionxl", name = "Asset", frozen)]
pub struct PyAsset {
    asset: visionxl::Asset,
}

#[pymethods]
impl PyAsset {
    /// The reference to pass on (`fileContent.path`, else `asset.key`).
    #[getter]
    fn reference(&self) -> &str {
        self.asset.reference()
    }
    /// `asset.key`, when the service sent one.
    #[getter]
    fn key(&self) -> Option<&str> {
        self.asset.key()
    }
    /// `fileContent.path`, when the service sent one.
    #[getter]
    fn path(&self) -> Option<&str> {
        self.asset.path()
    }
    /// The whole answer, as a dict.
    #[getter]
    fn raw<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, self.asset.raw())
    }
    fn __str__(&self) -> &str {
        self.asset.reference()
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        format!("Asset(reference={})", repr_str(py, self.asset.reference()))
    }
}

/// Where a `generate_many` batch stands, passed to `on_progress` after every finished item.
#[pyclass(module = "visionxl", name = "Progress", frozen, get_all)]
pub struct PyProgress {
    /// The position (in the input) of the item that just finished.
    index: usize,
    /// Items in the batch.
    total: usize,
    /// Items finished so far (succeeded + failed).
    completed: usize,
    /// Items that succeeded.
    succeeded: usize,
    /// Items that failed.
    failed: usize,
    /// Items an earlier run already paid for (found in the manifest).
    resumed: usize,
    /// Credits of the generations made in this run (from the price table).
    credits_spent: u64,
}

impl From<Progress> for PyProgress {
    fn from(p: Progress) -> Self {
        PyProgress {
            index: p.index,
            total: p.total,
            completed: p.completed,
            succeeded: p.succeeded,
            failed: p.failed,
            resumed: p.resumed,
            credits_spent: p.credits_spent,
        }
    }
}

#[pymethods]
impl PyProgress {
    fn __repr__(&self) -> String {
        format!(
            "Progress(index={}, total={}, completed={}, succeeded={}, failed={}, resumed={}, credits_spent={})",
            self.index,
            self.total,
            self.completed,
            self.succeeded,
            self.failed,
            self.resumed,
            self.credits_spent
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Batches.

/// The requests of `generate_many`: each a `GenerateRequest`, a dict of `generate` keywords, or
/// a prompt string. Every one is validated before anything is sent.
fn collect_requests(requests: &Bound<'_, PyAny>) -> PyResult<Vec<GenerateRequest>> {
    let py = requests.py();
    let mut out = Vec::new();
    for (i, item) in requests.try_iter()?.enumerate() {
        let item = item?;
        let built = if let Ok(req) = item.cast::<PyGenerateRequest>() {
            Ok(req.get().clone())
        } else if let Ok(d) = item.cast::<PyDict>() {
            let params = d.copy()?;
            let prompt = params.get_item("prompt")?;
            if prompt.is_some() {
                params.del_item("prompt")?;
            }
            let preset = params.get_item("preset")?;
            if preset.is_some() {
                params.del_item("preset")?;
            }
            PyGenerateRequest::from_call(prompt.as_ref(), preset.as_ref(), Some(&params))
        } else if item.is_instance_of::<PyString>() {
            PyGenerateRequest::from_call(Some(&item), None, None)
        } else {
            Err(crate::errors::validation_err(vec![Violation::new(
                "requests",
                visionxl::ViolationCode::WrongType,
                format!(
                    "requests[{i}] must be a GenerateRequest, a dict of generate() keywords or a \
                     prompt string, got {}",
                    crate::convert::type_name(&item)
                ),
            )]))
        };
        match built {
            Ok(r) => out.push(r.inner),
            Err(e) => {
                // Say which request is wrong, keeping the exception's class and attributes.
                let value = e.value(py);
                if let Ok(msg) = value.getattr("message").and_then(|m| m.extract::<String>()) {
                    let msg = format!("requests[{i}]: {msg}");
                    let _ = value.setattr("message", &msg);
                    let _ = value.setattr("args", (msg,));
                }
                return Err(e);
            }
        }
    }
    Ok(out)
}

struct BatchArgs {
    requests: Vec<GenerateRequest>,
    opts: BatchOptions,
    cancel: CancelToken,
}

fn batch_args(
    requests: &Bound<'_, PyAny>,
    concurrency: Arg,
    manifest: Option<PathBuf>,
    out_dir: Option<PathBuf>,
    overwrite: bool,
) -> PyResult<BatchArgs> {
    // Only converted: what 0 means is the Rust batch's business (it runs one at a time).
    let concurrency = concurrency.count("concurrency", u32::MAX)? as usize;
    let requests = collect_requests(requests)?;
    let cancel = CancelToken::new();
    Ok(BatchArgs {
        requests,
        opts: BatchOptions {
            concurrency,
            manifest,
            out_dir,
            overwrite,
            cancel: Some(cancel.clone()),
            ..BatchOptions::default()
        },
        cancel,
    })
}

/// The first exception raised by a batch's `on_progress`: once it is set the batch is
/// cancelled, the callback is not called again, and the exception is raised after the batch.
#[derive(Clone, Default)]
struct CallbackFailure(Arc<Mutex<Option<PyErr>>>);

impl CallbackFailure {
    fn is_set(&self) -> bool {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).is_some()
    }

    /// Calls `cb(progress)` unless an earlier call failed; a failure is kept (the first only)
    /// and cancels the batch.
    fn call(&self, py: Python<'_>, cb: &Py<PyAny>, progress: Progress, cancel: &CancelToken) {
        if self.is_set() {
            return;
        }
        let result = Py::new(py, PyProgress::from(progress)).and_then(|p| cb.call1(py, (p,)));
        if let Err(e) = result {
            let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
            if slot.is_none() {
                *slot = Some(e);
            }
            cancel.cancel();
        }
    }

    fn take(&self) -> Option<PyErr> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// One finished batch item as Python sees it: the generation, or the exception.
enum Slot {
    Done(Box<GenData>),
    Failed(PyErr),
}

async fn run_batch(
    client: visionxl::Client,
    secret: Secret,
    flavour: Flavour,
    args: BatchArgs,
) -> Result<Vec<Slot>, Error> {
    let total = args.requests.len();
    let mut stream = client.generate_many(args.requests, args.opts).await?;
    let mut slots: Vec<Option<Slot>> = (0..total).map(|_| None).collect();
    while let Some(item) = stream.next().await {
        let failure = match item.error() {
            Some(e) if !item.is_ok() => Some(to_py_err(e, exposed(&secret))),
            _ => None,
        };
        let slot = match (item.result, failure) {
            (Ok(generation), None) => Slot::Done(Box::new(GenData {
                generation,
                secret: secret.clone(),
                flavour,
            })),
            (_, Some(e)) => Slot::Failed(e),
            (Err(e), None) => Slot::Failed(to_py_err(&e, exposed(&secret))),
        };
        if item.index < total {
            slots[item.index] = Some(slot);
        }
    }
    Ok(slots
        .into_iter()
        .map(|s| {
            s.unwrap_or_else(|| {
                Slot::Failed(to_py_err(
                    &Error::new(
                        visionxl::ErrorCode::Cancelled,
                        "the batch ended before this item",
                    ),
                    None,
                ))
            })
        })
        .collect())
}

/// What `generate_many` returns or raises once the batch is over. The list holds every item in
/// input order (a generation, or its exception). A failing `on_progress` is raised, and so is
/// the first failed item when `return_exceptions` is off; either way the exception carries the
/// whole list as `partial_results`, so nothing paid for is lost.
fn batch_outcome(
    py: Python<'_>,
    slots: Vec<Slot>,
    return_exceptions: bool,
    callback_failure: Option<PyErr>,
) -> PyResult<Py<PyList>> {
    let list = PyList::empty(py);
    let mut first_failure: Option<PyErr> = None;
    for slot in slots {
        match slot {
            Slot::Done(d) => list.append(d.into_py(py)?)?,
            Slot::Failed(e) => {
                if first_failure.is_none() {
                    first_failure = Some(e.clone_ref(py));
                }
                list.append(e.into_value(py))?;
            }
        }
    }
    let raised = match callback_failure {
        Some(e) => Some(e),
        None if !return_exceptions => first_failure,
        None => None,
    };
    match raised {
        Some(e) => {
            attach_partial_results(py, &e, &list);
            Err(e)
        }
        None => Ok(list.unbind()),
    }
}

/// Sets `partial_results` on the exception; an exception that takes no attributes gets a note
/// naming the record ids instead (`add_note`, Python 3.11+).
fn attach_partial_results(py: Python<'_>, e: &PyErr, results: &Bound<'_, PyList>) {
    let value = e.value(py);
    if value.setattr("partial_results", results).is_ok() {
        return;
    }
    let ids: Vec<String> = results
        .iter()
        .filter_map(|r| r.cast_into::<PyGeneration>().ok())
        .map(|g| g.get().data.generation.id().to_string())
        .collect();
    if !ids.is_empty() {
        let note = format!(
            "generate_many: records generated before this error: {}",
            ids.join(", ")
        );
        let _ = value.call_method1("add_note", (note,));
    }
}

/// Runs `f` on the event loop after everything already scheduled there (asyncio runs
/// `call_soon_threadsafe` callbacks in order) and waits for it; returns at once when the loop
/// cannot take it (closed).
async fn after_scheduled_callbacks(event_loop: &Py<PyAny>) {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let tx = Mutex::new(Some(tx));
    let scheduled = runtime::attach_from_task(|py| -> PyResult<()> {
        let barrier = PyCFunction::new_closure(
            py,
            None,
            None,
            move |_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>| {
                if let Some(tx) = tx.lock().unwrap_or_else(|p| p.into_inner()).take() {
                    let _ = tx.send(());
                }
            },
        )?;
        event_loop
            .bind(py)
            .call_method1("call_soon_threadsafe", (barrier,))?;
        Ok(())
    });
    if let Some(Ok(())) = scheduled {
        let _ = rx.await;
    }
}

// ---------------------------------------------------------------------------------------------
// The clients.

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
    shared: Arc<Shared>,
}

/// The asyncio client: the same arguments and methods as `Client`, each returning an
/// awaitable (run on the Rust tokio runtime; cancelling the task cancels the request).
///
/// `AsyncClient(api_key=None, *, base_url=None, asset_base_url=None, timeout=None,
/// max_retries=2, retry_ambiguous=False, budget=None, requests_per_minute=180,
/// allow_insecure_http=False, connect_timeout=None, download_timeout=None,
/// max_image_bytes=67108864)`: see `Client`.
#[pyclass(module = "visionxl", name = "AsyncClient", frozen)]
pub struct PyAsyncClient {
    shared: Arc<Shared>,
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
                let settings = settings_from_args(ClientArgs {
                    api_key: key_arg(api_key)?,
                    base_url,
                    asset_base_url,
                    timeout,
                    max_retries,
                    retry_ambiguous,
                    budget,
                    requests_per_minute,
                    allow_insecure_http,
                    connect_timeout,
                    download_timeout,
                    max_image_bytes,
                })?;
                Ok($ty {
                    shared: Arc::new(Shared::new(settings)?),
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
    /// budget still apply; 0 runs them one at a time, as in Rust). `on_progress(progress)`:
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
        let secret = self.shared.secret.clone();
        let out = block_on(py, run_batch(client, secret, Flavour::Sync, args))?;
        let slots = out.map_err(|e| self.shared.err(&e))?;
        batch_outcome(py, slots, return_exceptions, failure.take())
    }
});

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
    /// The keywords are those of `GenerateRequest` (or pass a `GenerateRequest` alone).
    /// Validation errors are raised at once, before anything is awaited or sent. Cancelling the
    /// awaiting task cancels the request.
    // <codegen:text-signature-method> generated by visionxl-codegen from the parameter table; do not edit — cargo run -p visionxl-codegen
    #[pyo3(signature = (prompt = None, *, preset = None, **params), text_signature = "($self, prompt, *, size='1024x1024', n=1, negative_prompt=None, guidance_scale=None, num_inference_steps=None, seed=None, tiling=None, transparency=None, preset_style=None, image_prompts=None, init_image_id=None, init_strength=None, fantasy_avatar=None, alchemy=None, contrast_ratio=None, expanded_domain=None, photo_real=None, photo_real_version=None, photo_real_strength=None, prompt_magic=None, prompt_magic_version=None, prompt_magic_strength=None, high_contrast=None, high_resolution=None, enhance_prompt=None, enhance_prompt_instruction=None, preset=None)")]
    // </codegen:text-signature-method>
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
            let slots = run_batch(client, shared.secret.clone(), Flavour::Async, args)
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
