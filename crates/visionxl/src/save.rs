//! Downloads and safe saving: streamed, `*.part` then rename, sanitised names, no silent
//! overwrite, magic bytes checked, sidecar JSON.

use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use reqwest::header::RETRY_AFTER;
use serde_json::json;
use tokio::io::{AsyncSeekExt, AsyncWriteExt};
use tracing::Instrument;
use url::Url;
use visionxl_core::{Error, ErrorCode, parse_retry_after};

use crate::generation::{GeneratedImage, Generation};
use crate::transport::chain;

/// What to do when the target file exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Existing {
    /// Fail with `io_error` naming the file.
    Refuse,
    /// Replace it.
    Overwrite,
    /// Keep it when its sidecar names the same record and index (batch resume); else refuse.
    KeepSameRecord,
}

const MAX_NAME: usize = 120;
const SNIFF: usize = 64;

/// A file name derived from a storage path that cannot leave its directory: the last path
/// segment only, no control characters, only `[A-Za-z0-9._-]` (others become `_`), no leading
/// dot (so no `..` and no hidden files), at most 120 characters, never a Windows device name.
/// Falls back to `fallback` (sanitised the same way) when nothing usable is left.
///
/// ```
/// use visionxl::save::sanitize_file_name;
/// assert_eq!(sanitize_file_name("development/images/a b.webp", "x"), "a_b.webp");
/// assert_eq!(sanitize_file_name("../../etc/passwd", "x"), "passwd");
/// assert_eq!(sanitize_file_name("..", "rec_0"), "rec_0");
/// ```
pub fn sanitize_file_name(raw: &str, fallback: &str) -> String {
    fn clean(s: &str) -> String {
        let last = s.rsplit(['/', '\\']).next().unwrap_or("");
        let mapped: String = last
            .chars()
            .filter(|c| !c.is_control())
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let trimmed = mapped
            .trim_start_matches(['.', '_'])
            .trim_end_matches(['.', '_']);
        let stem = trimmed.split('.').next().unwrap_or("").to_ascii_uppercase();
        const RESERVED: [&str; 22] = [
            "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7",
            "COM8", "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
        ];
        let reserved = RESERVED.contains(&stem.as_str());
        // Room for the '_' a device name gets in front (cutting never changes a short stem).
        let max = MAX_NAME - usize::from(reserved);
        let mut out = if trimmed.len() > max {
            match trimmed.rfind('.') {
                Some(dot) if trimmed.len() - dot <= 10 => {
                    let ext = &trimmed[dot..];
                    format!("{}{}", &trimmed[..max - ext.len()], ext)
                }
                _ => trimmed[..max].to_string(),
            }
        } else {
            trimmed.to_string()
        };
        if reserved {
            out.insert(0, '_');
        }
        out
    }
    let name = clean(raw);
    if name.is_empty() || !name.chars().any(|c| c.is_ascii_alphanumeric()) {
        let fb = clean(fallback);
        if fb.is_empty() {
            "image".to_string()
        } else {
            fb
        }
    } else {
        name
    }
}

/// `name` without its extension.
pub(crate) fn stem(name: &str) -> &str {
    match name.rfind('.') {
        Some(dot) if dot > 0 => &name[..dot],
        _ => name,
    }
}

/// `name` with `suffix` inserted before its extension.
pub(crate) fn with_suffix(name: &str, suffix: &str) -> String {
    match name.rfind('.') {
        Some(dot) if dot > 0 => format!("{}{}{}", &name[..dot], suffix, &name[dot..]),
        _ => format!("{name}{suffix}"),
    }
}

/// `name` with the extension of the real image type.
pub(crate) fn fix_extension(name: &str, ext: &str) -> String {
    let same = |a: &str, b: &str| {
        let norm = |x: &str| match x.to_ascii_lowercase().as_str() {
            "jpeg" | "jpe" => "jpg".to_string(),
            "tif" => "tiff".to_string(),
            other => other.to_string(),
        };
        norm(a) == norm(b)
    };
    match name.rfind('.') {
        Some(dot) if dot > 0 => {
            let cur = &name[dot + 1..];
            if same(cur, ext) {
                name.to_string()
            } else if !cur.is_empty()
                && cur.len() <= 5
                && cur.chars().all(|c| c.is_ascii_alphanumeric())
            {
                format!("{}.{ext}", &name[..dot])
            } else {
                format!("{name}.{ext}")
            }
        }
        _ => format!("{name}.{ext}"),
    }
}

/// The directory and file name of an explicit target path.
pub(crate) fn split_target(path: &Path) -> Result<(PathBuf, String), Error> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty() && n != "." && n != "..")
        .ok_or_else(|| {
            Error::new(
                ErrorCode::IoError,
                format!("{} does not name a file", path.display()),
            )
        })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((dir, name))
}

pub(crate) async fn ensure_dir(dir: &Path) -> Result<(), Error> {
    tokio::fs::create_dir_all(dir).await.map_err(|e| {
        Error::new(
            ErrorCode::IoError,
            format!("cannot create the directory {}: {e}", dir.display()),
        )
        .with_source(e)
    })
}

fn io_err(what: String, e: std::io::Error) -> Error {
    Error::new(ErrorCode::IoError, format!("{what}: {e}")).with_source(e)
}

fn exists_error(path: &Path) -> Error {
    Error::new(
        ErrorCode::IoError,
        format!(
            "refusing to overwrite {} (it exists; turn the overwrite option on to replace it)",
            path.display()
        ),
    )
}

/// The sidecar file of an image file.
pub(crate) fn sidecar_path(image: &Path) -> PathBuf {
    let mut s = image.as_os_str().to_owned();
    s.push(".json");
    PathBuf::from(s)
}

/// A URL without its query and fragment (signed URLs carry signatures: keep them out of files
/// and messages).
pub(crate) fn strip_query(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) => {
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        }
        Err(_) => url.split(['?', '#']).next().unwrap_or("").to_string(),
    }
}

/// A download failure and its causes on one line, without the URL reqwest puts in its message
/// ("error sending request for url (…?X-Amz-Signature=…)"): a signed URL's query is a
/// credential and must stay out of errors and logs. Callers name the URL themselves, through
/// [`strip_query`].
fn chain_without_url(e: reqwest::Error) -> String {
    let text = chain(&e.without_url());
    // Belt and braces: a cause further down the chain could still quote the URL.
    match text.find('?') {
        Some(_) if text.to_ascii_lowercase().contains("x-amz-") => redact_queries(&text),
        _ => text,
    }
}

/// Every `?query` of a URL-looking word in `text` replaced by `?[redacted]`.
fn redact_queries(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(q) = rest.find('?') {
        out.push_str(&rest[..q]);
        out.push_str("?[redacted]");
        let tail = &rest[q + 1..];
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | '"' | '\'' | '>' | ','))
            .unwrap_or(tail.len());
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Now as RFC 3339 UTC, e.g. `2025-01-15T10:50:00Z`.
pub(crate) fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    rfc3339(secs)
}

fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Where downloaded bytes go.
enum Sink<'a> {
    /// A file, and who to tell how far the download is.
    File(&'a mut tokio::fs::File, Option<Meter<'a>>),
    Memory(&'a mut BytesMut),
}

/// Reports a file download's progress to [`SaveOptions::on_progress`](crate::SaveOptions).
struct Meter<'a> {
    hook: &'a crate::generation::DownloadProgressFn,
    index: usize,
}

impl Sink<'_> {
    /// Tells the meter, if any, how many bytes have arrived (of `total`, when announced).
    fn report(&self, received: u64, total: Option<u64>) {
        if let Sink::File(_, Some(m)) = self {
            (m.hook)(crate::generation::DownloadProgress {
                index: m.index,
                received,
                total,
            });
        }
    }

    async fn reset(&mut self) -> std::io::Result<()> {
        match self {
            Sink::File(f, _) => {
                f.set_len(0).await?;
                f.seek(SeekFrom::Start(0)).await?;
                Ok(())
            }
            Sink::Memory(b) => {
                b.clear();
                Ok(())
            }
        }
    }

    async fn write(&mut self, data: &[u8]) -> std::io::Result<()> {
        match self {
            Sink::File(f, _) => f.write_all(data).await,
            Sink::Memory(b) => {
                b.extend_from_slice(data);
                Ok(())
            }
        }
    }
}

/// What a finished download was.
struct Downloaded {
    kind: infer::Type,
    bytes: u64,
}

/// Downloads image `img` of `generation` into `sink`, retrying what is safe to retry.
async fn download(
    generation: &Generation,
    img: &GeneratedImage,
    sink: &mut Sink<'_>,
) -> Result<Downloaded, Error> {
    let client = &generation.client;
    let cfg = &client.inner.config;
    let record_id = generation.id();
    let mut retries = 0u32;
    loop {
        let span = tracing::debug_span!(
            "visionxl.download",
            record_id,
            index = img.index(),
            url = %client.inner.redactor.scrub(&strip_query(img.url())),
            attempt = retries + 1,
        );
        let result = download_once(generation, img, sink).instrument(span).await;
        match result {
            Ok(d) => return Ok(d),
            Err((err, retryable)) => {
                // Download errors quote URLs and transport messages: scrub the key here, the
                // one place they are made, before they are logged or returned.
                let err = client.inner.redactor.error(err);
                let delay = if retryable {
                    cfg.retry
                        .next_delay(retries, &err, true, rand::random::<f64>())
                } else {
                    None
                };
                match delay {
                    Some(d) => {
                        tracing::warn!(
                            target: "visionxl",
                            record_id,
                            index = img.index(),
                            attempt = retries + 1,
                            delay_ms = d.as_millis() as u64,
                            "visionxl.retry: download failed ({}), retrying",
                            err.message()
                        );
                        tokio::time::sleep(d).await;
                        retries += 1;
                        sink.reset()
                            .await
                            .map_err(|e| io_err("cannot reset the partial download".into(), e))?;
                    }
                    None => return Err(err),
                }
            }
        }
    }
}

/// One download attempt; the error says whether another attempt may help.
async fn download_once(
    generation: &Generation,
    img: &GeneratedImage,
    sink: &mut Sink<'_>,
) -> Result<Downloaded, (Error, bool)> {
    let client = &generation.client;
    let cfg = &client.inner.config;
    let record_id = generation.id().to_string();
    let index = img.index();
    let shown = strip_query(img.url());
    let base = |msg: String| {
        Error::new(ErrorCode::DownloadError, msg).with_record_id(Some(record_id.clone()))
    };
    let url = Url::parse(img.url()).map_err(|e| {
        (
            base(format!("image {index} has a bad URL {shown:?}: {e}")),
            false,
        )
    })?;
    let mut resp = client
        .inner
        .downloads
        .get(url.clone())
        .timeout(cfg.download_timeout)
        .send()
        .await
        .map_err(|e| {
            (
                base(format!(
                    "cannot download image {index} from {shown}: {}",
                    chain_without_url(e)
                )),
                true,
            )
        })?;
    let status = resp.status().as_u16();
    if !(200..300).contains(&status) {
        let mut body = BytesMut::new();
        while let Ok(Some(c)) = resp.chunk().await {
            if body.len() + c.len() > 16 * 1024 {
                break;
            }
            body.extend_from_slice(&c);
        }
        let text = String::from_utf8_lossy(&body).to_ascii_lowercase();
        let signed = url.query().is_some_and(|q| {
            let q = q.to_ascii_lowercase();
            q.contains("x-amz-") || q.contains("signature") || q.contains("expires")
        });
        let expired =
            matches!(status, 400 | 401 | 403 | 410) && (signed || text.contains("expired"));
        let err = if expired {
            let advice = visionxl_core::error::Text::new()
                .lit(format!(
                    "the download URL of image {index} of record {record_id} has expired or was \
                     refused (HTTP {status} from {shown}); the images are not lost: call client."
                ))
                .text(&visionxl_core::error::Text::get_generation(&record_id))
                .lit(" for fresh URLs and save again");
            base(String::new()).with_text(advice)
        } else {
            base(format!(
                "cannot download image {index} of record {record_id}: HTTP {status} from {shown}"
            ))
        };
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let retryable = status == 429 || status >= 500;
        return Err((
            err.with_status(status).with_retry_after(retry_after),
            retryable,
        ));
    }
    if resp
        .content_length()
        .is_some_and(|n| n > cfg.max_image_bytes)
    {
        return Err((
            base(format!(
                "image {index} of record {record_id} is larger than the limit of {} bytes (max_image_bytes)",
                cfg.max_image_bytes
            ))
            .with_status(status),
            false,
        ));
    }
    let mut head = BytesMut::new();
    let mut kind: Option<infer::Type> = None;
    let mut total = 0u64;
    let announced = resp.content_length();
    sink.report(0, announced);
    let broken = |e: reqwest::Error| {
        (
            base(format!(
                "the download of image {index} from {shown} broke off: {}",
                chain_without_url(e)
            ))
            .with_status(status),
            true,
        )
    };
    let sniff = |head: &[u8]| -> Result<infer::Type, (Error, bool)> {
        match infer::get(head) {
            Some(k) if k.matcher_type() == infer::MatcherType::Image => Ok(k),
            other => Err((
                base(format!(
                    "image {index} of record {record_id} from {shown} is not an image ({})",
                    other.map(|k| k.mime_type()).unwrap_or("unknown content")
                ))
                .with_status(status),
                false,
            )),
        }
    };
    let write_err = |e: std::io::Error| (io_err("cannot write the image".into(), e), false);
    // The first and last bytes, to tell a whole image from one cut short or mangled by an
    // answer that still ended cleanly (see `incomplete`).
    let mut first: Vec<u8> = Vec::with_capacity(ENDS);
    let mut tail: Vec<u8> = Vec::with_capacity(ENDS);
    loop {
        let chunk = match resp.chunk().await {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => return Err(broken(e)),
        };
        total += chunk.len() as u64;
        sink.report(total, announced);
        keep_ends(&mut first, &mut tail, &chunk);
        if total > cfg.max_image_bytes {
            return Err((
                base(format!(
                    "image {index} of record {record_id} is larger than the limit of {} bytes (max_image_bytes)",
                    cfg.max_image_bytes
                ))
                .with_status(status),
                false,
            ));
        }
        if kind.is_none() {
            head.extend_from_slice(&chunk);
            if head.len() >= SNIFF {
                kind = Some(sniff(&head)?);
                sink.write(&head).await.map_err(write_err)?;
                head.clear();
            }
        } else {
            sink.write(&chunk).await.map_err(write_err)?;
        }
    }
    let kind = match kind {
        Some(k) => k,
        None => {
            let k = sniff(&head)?;
            sink.write(&head).await.map_err(write_err)?;
            k
        }
    };
    if let Some(why) = incomplete(kind.extension(), &first, &tail, total) {
        // Retryable: the next download may well be whole.
        return Err((
            base(format!(
                "image {index} of record {record_id} from {shown} is incomplete ({why}): the \
                 download was cut short or mangled"
            ))
            .with_status(status),
            true,
        ));
    }
    Ok(Downloaded { kind, bytes: total })
}

/// How many bytes of each end of a download [`incomplete`] looks at.
const ENDS: usize = 12;

/// Keeps the first and the last [`ENDS`] bytes of a download, chunk by chunk.
fn keep_ends(first: &mut Vec<u8>, tail: &mut Vec<u8>, chunk: &[u8]) {
    if first.len() < ENDS {
        let take = (ENDS - first.len()).min(chunk.len());
        first.extend_from_slice(&chunk[..take]);
    }
    if chunk.len() >= ENDS {
        tail.clear();
        tail.extend_from_slice(&chunk[chunk.len() - ENDS..]);
    } else {
        tail.extend_from_slice(chunk);
        let excess = tail.len().saturating_sub(ENDS);
        tail.drain(..excess);
    }
}

/// Why a download whose magic bytes say `ext` is not a whole image, for the formats whose
/// ends tell: a WebP shorter than its RIFF header announces, a PNG that does not end with its
/// IEND chunk. An answer can end cleanly and still be cut short or mangled (a proxy, a
/// truncated object): saved as it is, the paid image would be lost while the save succeeds.
fn incomplete(ext: &str, first: &[u8], tail: &[u8], total: u64) -> Option<String> {
    const IEND: [u8; ENDS] = [0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82];
    match ext {
        "webp" if first.len() >= 8 && first.starts_with(b"RIFF") => {
            let size = u32::from_le_bytes([first[4], first[5], first[6], first[7]]);
            let whole = u64::from(size) + 8;
            (total < whole)
                .then(|| format!("{total} of the {whole} bytes its RIFF header announces"))
        }
        "png" if tail != IEND => Some("it does not end with an IEND chunk".to_string()),
        _ => None,
    }
}

/// The bytes of one image, in memory.
pub(crate) async fn download_bytes(
    generation: &Generation,
    img: &GeneratedImage,
) -> Result<Bytes, Error> {
    let mut buf = BytesMut::new();
    download(generation, img, &mut Sink::Memory(&mut buf)).await?;
    Ok(buf.freeze())
}

/// Does the sidecar of `image` name this record and index?
async fn same_record(image: &Path, record_id: &str, index: usize) -> bool {
    let Ok(text) = tokio::fs::read(sidecar_path(image)).await else {
        return false;
    };
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&text) else {
        return false;
    };
    v["record_id"] == record_id && v["index"] == index
}

/// Do the two files hold the same bytes? (Read in chunks: images may be large.)
async fn same_bytes(a: &Path, b: &Path) -> bool {
    use tokio::io::AsyncReadExt;
    let (Ok(ma), Ok(mb)) = (tokio::fs::metadata(a).await, tokio::fs::metadata(b).await) else {
        return false;
    };
    if ma.len() != mb.len() {
        return false;
    }
    let (Ok(mut fa), Ok(mut fb)) = (
        tokio::fs::File::open(a).await,
        tokio::fs::File::open(b).await,
    ) else {
        return false;
    };
    let (mut ba, mut bb) = (vec![0u8; 64 << 10], vec![0u8; 64 << 10]);
    loop {
        let Ok(n) = fa.read(&mut ba).await else {
            return false;
        };
        if n == 0 {
            return true;
        }
        if fb.read_exact(&mut bb[..n]).await.is_err() || ba[..n] != bb[..n] {
            return false;
        }
    }
}

/// An image file without its sidecar (`KeepSameRecord` only): an earlier save may have been cut
/// off between moving the image into place and writing the sidecar.
async fn sidecar_missing(image: &Path) -> bool {
    !tokio::fs::try_exists(sidecar_path(image))
        .await
        .unwrap_or(true)
}

/// Saves one image as `dir/name` (extension fixed), with its sidecar. Errors name the record.
pub(crate) async fn save_image(
    generation: &Generation,
    img: &GeneratedImage,
    dir: &Path,
    name: &str,
    existing: Existing,
    sidecar: bool,
    on_progress: Option<&crate::generation::DownloadProgressFn>,
) -> Result<PathBuf, Error> {
    save_image_inner(generation, img, dir, name, existing, sidecar, on_progress)
        .await
        .map_err(|e| match e.record_id() {
            Some(_) => e,
            None => e.with_record_id(Some(generation.id().to_string())),
        })
}

async fn save_image_inner(
    generation: &Generation,
    img: &GeneratedImage,
    dir: &Path,
    name: &str,
    existing: Existing,
    sidecar: bool,
    on_progress: Option<&crate::generation::DownloadProgressFn>,
) -> Result<PathBuf, Error> {
    let planned = dir.join(name);
    // A record's images are usually named from their path, extension included: check early so
    // nothing is downloaded for nothing.
    if existing != Existing::Overwrite && tokio::fs::try_exists(&planned).await.unwrap_or(false) {
        let keep = existing == Existing::KeepSameRecord;
        if keep && same_record(&planned, generation.id(), img.index()).await {
            return Ok(planned);
        }
        // Without a sidecar it may be this very image, saved by a run cut off before its
        // sidecar: the download below tells, by its bytes.
        if !(keep && sidecar_missing(&planned).await) {
            return Err(exists_error(&planned));
        }
    }
    let tmp = part_file(dir, name).map_err(|e| {
        io_err(
            format!("cannot create a temporary file in {}", dir.display()),
            e,
        )
    })?;
    let (std_file, tmp_path) = tmp.into_parts();
    let mut file = tokio::fs::File::from_std(std_file);
    let meter = on_progress.map(|hook| Meter {
        hook,
        index: img.index(),
    });
    let done = download(generation, img, &mut Sink::File(&mut file, meter)).await?;
    let finish = async {
        file.flush().await?;
        file.sync_all().await
    };
    finish
        .await
        .map_err(|e| io_err(format!("cannot write {}", tmp_path.display()), e))?;
    drop(file);
    let final_name = fix_extension(name, done.kind.extension());
    let target = dir.join(&final_name);
    let sidecar_file = sidecar_path(&target);
    if existing == Existing::KeepSameRecord && tokio::fs::try_exists(&target).await.unwrap_or(false)
    {
        if same_record(&target, generation.id(), img.index()).await {
            return Ok(target);
        }
        if sidecar_missing(&target).await && same_bytes(&target, &tmp_path).await {
            // The image of an earlier save that was cut off before its sidecar: finish it.
            if sidecar {
                write_sidecar(generation, img, &sidecar_file, &final_name, &done, existing).await?;
            }
            return Ok(target);
        }
    }
    if existing != Existing::Overwrite
        && tokio::fs::try_exists(&sidecar_file).await.unwrap_or(false)
    {
        return Err(exists_error(&sidecar_file));
    }
    let persisted = if existing == Existing::Overwrite {
        tmp_path.persist(&target).map_err(|e| e.error)
    } else {
        tmp_path.persist_noclobber(&target).map_err(|e| e.error)
    };
    match persisted {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(exists_error(&target));
        }
        Err(e) => {
            return Err(io_err(
                format!("cannot move the download to {}", target.display()),
                e,
            ));
        }
    }
    if sidecar {
        write_sidecar(generation, img, &sidecar_file, &final_name, &done, existing).await?;
    }
    tracing::debug!(record_id = generation.id(), file = %target.display(), bytes = done.bytes, "visionxl: image saved");
    Ok(target)
}

/// Writes the JSON sidecar of a saved image.
async fn write_sidecar(
    generation: &Generation,
    img: &GeneratedImage,
    sidecar_file: &Path,
    final_name: &str,
    done: &Downloaded,
    existing: Existing,
) -> Result<(), Error> {
    let meta = json!({
        "record_id": generation.id(),
        "index": img.index(),
        "file": final_name,
        "storage_path": img.path(),
        "source_url": strip_query(img.url()),
        "content_type": done.kind.mime_type(),
        "bytes": done.bytes,
        "credits": generation.credits(),
        "status": generation.status().as_str(),
        "created_at": generation.created_at(),
        "saved_at": utc_now(),
        "emulated": generation.is_emulated(),
        "request": generation.request_wire(),
        "sdk": format!("visionxl-rust/{}", env!("CARGO_PKG_VERSION")),
    });
    write_file_atomic(
        sidecar_file,
        &serde_json::to_vec_pretty(&meta).unwrap_or_default(),
        existing,
    )
    .await
}

/// Writes `data` to `path` through a temporary file and a rename.
pub(crate) async fn write_file_atomic(
    path: &Path,
    data: &[u8],
    existing: Existing,
) -> Result<(), Error> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = part_file(dir, &name).map_err(|e| {
        io_err(
            format!("cannot create a temporary file in {}", dir.display()),
            e,
        )
    })?;
    let (std_file, tmp_path) = tmp.into_parts();
    let mut file = tokio::fs::File::from_std(std_file);
    let w = async {
        file.write_all(data).await?;
        file.flush().await?;
        file.sync_all().await
    };
    w.await
        .map_err(|e| io_err(format!("cannot write {}", path.display()), e))?;
    drop(file);
    let persisted = if existing == Existing::Overwrite {
        tmp_path.persist(path).map_err(|e| e.error)
    } else {
        tmp_path.persist_noclobber(path).map_err(|e| e.error)
    };
    match persisted {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(exists_error(path)),
        Err(e) => Err(io_err(format!("cannot write {}", path.display()), e)),
    }
}

/// A `.NAME.XXXX.part` file in `dir`, created with the usual `0666 & !umask` permissions (0644
/// for most users) rather than a temporary file's 0600, so the renamed image is readable as any
/// other file the user saves.
fn part_file(dir: &Path, name: &str) -> std::io::Result<tempfile::NamedTempFile> {
    let prefix = format!(".{name}.");
    let mut b = tempfile::Builder::new();
    b.prefix(&prefix).suffix(".part");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(std::fs::Permissions::from_mode(0o666));
    }
    b.tempfile_in(dir)
}

#[cfg(test)]
mod tests {

    #[cfg(unix)]
    #[test]
    fn saved_files_get_the_permissions_of_any_new_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let part = part_file(dir.path(), "img.webp").unwrap();
        let plain = dir.path().join("plain");
        std::fs::File::create(&plain).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(part.path()), mode(&plain), "0666 & !umask, not 0600");
    }

    use super::*;

    #[test]
    fn sanitising() {
        let s = |r| sanitize_file_name(r, "rec_1");
        assert_eq!(
            s("development/images/2025_01_15_abc.webp"),
            "2025_01_15_abc.webp"
        );
        assert_eq!(s("../../../etc/passwd"), "passwd");
        assert_eq!(s("..\\..\\windows\\system32\\x.dll"), "x.dll");
        assert_eq!(s("/abs/path.png"), "path.png");
        assert_eq!(s(".."), "rec_1");
        assert_eq!(s("images/"), "rec_1");
        assert_eq!(s(".hidden.webp"), "hidden.webp");
        assert_eq!(s("a\u{0}b\nc\u{7f}.webp"), "abc.webp");
        assert_eq!(s("naïve café.png"), "na_ve_caf_.png");
        assert_eq!(s("CON.webp"), "_CON.webp");
        assert_eq!(s("file.webp. . "), "file.webp");
        let long = format!("{}.webp", "x".repeat(500));
        let out = s(&long);
        assert_eq!(out.len(), MAX_NAME);
        assert!(out.ends_with(".webp"));
        // Found by fuzzing (docs/RELIABILITY.md): the '_' in front of a device name fits too.
        let device = sanitize_file_name(&format!("con.{}", "x".repeat(200)), "x");
        assert_eq!(device.len(), MAX_NAME);
        assert!(device.starts_with("_con.xxx"));
        let device = sanitize_file_name(&format!("CON.{}.webp", "x".repeat(200)), "x");
        assert_eq!((device.len(), &device[..5]), (MAX_NAME, "_CON."));
        assert!(device.ends_with("x.webp"));
        assert_eq!(sanitize_file_name("../..", "../../x"), "x");
        assert_eq!(sanitize_file_name("", ""), "image");
    }

    #[test]
    fn cut_or_mangled_webp_and_png_are_incomplete() {
        let mut webp = b"RIFF".to_vec();
        webp.extend_from_slice(&92u32.to_le_bytes());
        webp.extend_from_slice(b"WEBPVP8L");
        webp.resize(100, 7);
        let ends = |data: &[u8], chunk: usize| {
            let (mut first, mut tail) = (Vec::new(), Vec::new());
            for c in data.chunks(chunk) {
                keep_ends(&mut first, &mut tail, c);
            }
            (first, tail)
        };
        for chunk in [1, 5, 12, 13, 100] {
            let (f, t) = ends(&webp, chunk);
            assert_eq!(incomplete("webp", &f, &t, 100), None, "chunks of {chunk}");
            assert_eq!(&t[..], &webp[88..]);
            let (f, t) = ends(&webp[..60], chunk);
            assert!(
                incomplete("webp", &f, &t, 60)
                    .unwrap()
                    .contains("60 of the 100")
            );
        }
        let mut png = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
        png.resize(40, 1);
        png.extend_from_slice(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]);
        for chunk in [1, 7, 52] {
            let (f, t) = ends(&png, chunk);
            assert_eq!(incomplete("png", &f, &t, 52), None);
            let mut mangled = png[..26].to_vec();
            mangled.extend_from_slice(b"<<garbage");
            let (f, t) = ends(&mangled, chunk);
            assert!(incomplete("png", &f, &t, 35).is_some());
        }
        assert_eq!(incomplete("jpg", b"", b"", 3), None);
    }

    #[test]
    fn extensions() {
        assert_eq!(fix_extension("a.webp", "webp"), "a.webp");
        assert_eq!(fix_extension("a.webp", "png"), "a.png");
        assert_eq!(fix_extension("a.JPEG", "jpg"), "a.JPEG");
        assert_eq!(fix_extension("a", "png"), "a.png");
        assert_eq!(fix_extension("a.tar_gz_long", "png"), "a.tar_gz_long.png");
        assert_eq!(with_suffix("a.webp", "_1"), "a_1.webp");
        assert_eq!(with_suffix("a", "_1"), "a_1");
    }

    #[test]
    fn times_and_urls() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_736_938_200), "2025-01-15T10:50:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(
            strip_query("https://x.s3.amazonaws.com/a/b.webp?X-Amz-Signature=zzz#f"),
            "https://x.s3.amazonaws.com/a/b.webp"
        );
        assert_eq!(
            redact_queries("url (http://h/a.webp?X-Amz-Signature=abc&X-Amz-Expires=1): refused"),
            "url (http://h/a.webp?[redacted]): refused"
        );
        assert_eq!(redact_queries("no query here"), "no query here");
        assert_eq!(
            sidecar_path(Path::new("d/a.webp")),
            PathBuf::from("d/a.webp.json")
        );
    }
}
