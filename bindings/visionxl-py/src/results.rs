//! The results of the clients: `Generation` / `Image` (the data every generation has,
//! subclassable) extended by `SyncGeneration` / `SyncImage` (blocking downloads, from `Client`)
//! and `AsyncGeneration` / `AsyncImage` (awaitable downloads, from `AsyncClient`); `Asset` and
//! `Progress`.
//!
//! The downloads live on the concrete classes only: overriding a blocking `save` with an
//! awaitable one would make an `AsyncGeneration` a `Generation` whose `save` returns something
//! else, which type checkers rightly reject and which would break code written for either.

use std::fmt::Write as _;
use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};
use visionxl::{Error, Generation, Progress, SaveOptions};

use crate::convert::{json_to_py, repr_str};
use crate::errors::to_py_err;
use crate::request::{PyGenerateRequest, PyViolation, warnings_to_list};
use crate::runtime::{awaitable, block_on};

/// Which client made a generation: decides the class of its images.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    Sync,
    Async,
}

/// A generation and the client flavour that made it.
#[derive(Clone)]
pub struct GenData {
    pub generation: Generation,
    pub flavour: Flavour,
}

impl GenData {
    fn err(&self, e: &Error) -> PyErr {
        to_py_err(e)
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
    pub fn into_py(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
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
    pub(crate) data: GenData,
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
    pub(crate) asset: visionxl::Asset,
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
