//! Downloading images: streamed, retried where that is safe, capped in size, checked to be an
//! image by its magic bytes and to be whole (a WebP or PNG cut short is an error, not a saved
//! file). Works from plain data ([`Downloader`] settings, an [`ImageSource`]), not a client.

use std::io::SeekFrom;
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use reqwest::header::RETRY_AFTER;
use tokio::io::{AsyncSeekExt, AsyncWriteExt};
use tracing::Instrument;
use url::Url;
use visionxl_core::{Error, ErrorCode, RetryPolicy, parse_retry_after};

use crate::fs::io_err;
use crate::redact::Redactor;
use crate::transport::chain;

/// How many bytes are looked at to tell the image type.
const SNIFF: usize = 64;

/// How far the download of one image is ([`SaveOptions::on_progress`](crate::SaveOptions)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownloadProgress {
    /// The image's position in the record.
    pub index: usize,
    /// Bytes received so far (back to 0 when a download is retried).
    pub received: u64,
    /// The size the server announced (`Content-Length`), when it did.
    pub total: Option<u64>,
}

/// A download progress callback, called from the download task as bytes arrive.
pub type DownloadProgressFn = std::sync::Arc<dyn Fn(DownloadProgress) + Send + Sync>;

/// What downloading needs of the client's settings: its download HTTP client (never carrying
/// the key), the timeout, size cap and retry policy, and the key's redactor.
#[derive(Clone)]
pub(crate) struct Downloader {
    pub(crate) http: reqwest::Client,
    pub(crate) timeout: Duration,
    pub(crate) max_image_bytes: u64,
    pub(crate) retry: RetryPolicy,
    pub(crate) redactor: Redactor,
}

/// One image to download: its record, position and URL.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ImageSource<'a> {
    pub(crate) record_id: &'a str,
    pub(crate) index: usize,
    pub(crate) url: &'a str,
    /// The storage path the service sent (for the sidecar).
    pub(crate) storage_path: &'a str,
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

/// Where downloaded bytes go.
pub(crate) enum Sink<'a> {
    /// A file, and who to tell how far the download is.
    File(&'a mut tokio::fs::File, Option<Meter<'a>>),
    Memory(&'a mut BytesMut),
}

/// Reports a file download's progress to [`SaveOptions::on_progress`](crate::SaveOptions).
pub(crate) struct Meter<'a> {
    pub(crate) hook: &'a DownloadProgressFn,
    pub(crate) index: usize,
}

impl Sink<'_> {
    /// Tells the meter, if any, how many bytes have arrived (of `total`, when announced).
    fn report(&self, received: u64, total: Option<u64>) {
        if let Sink::File(_, Some(m)) = self {
            (m.hook)(DownloadProgress {
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
pub(crate) struct Downloaded {
    pub(crate) kind: infer::Type,
    pub(crate) bytes: u64,
}

/// Downloads image `img` into `sink`, retrying what is safe to retry.
pub(crate) async fn download(
    dl: &Downloader,
    img: &ImageSource<'_>,
    sink: &mut Sink<'_>,
) -> Result<Downloaded, Error> {
    let record_id = img.record_id;
    let mut retries = 0u32;
    loop {
        let span = tracing::debug_span!(
            "visionxl.download",
            record_id,
            index = img.index,
            url = %dl.redactor.scrub(&strip_query(img.url)),
            attempt = retries + 1,
        );
        let result = download_once(dl, img, sink).instrument(span).await;
        match result {
            Ok(d) => return Ok(d),
            Err((err, retryable)) => {
                // Download errors quote URLs and transport messages: scrub the key here, the
                // one place they are made, before they are logged or returned.
                let err = dl.redactor.error(err);
                let delay = if retryable {
                    dl.retry
                        .next_delay(retries, &err, true, rand::random::<f64>())
                } else {
                    None
                };
                match delay {
                    Some(d) => {
                        tracing::warn!(
                            target: "visionxl",
                            record_id,
                            index = img.index,
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
    dl: &Downloader,
    img: &ImageSource<'_>,
    sink: &mut Sink<'_>,
) -> Result<Downloaded, (Error, bool)> {
    let record_id = img.record_id.to_string();
    let index = img.index;
    let shown = strip_query(img.url);
    let base = |msg: String| {
        Error::new(ErrorCode::DownloadError, msg).with_record_id(Some(record_id.clone()))
    };
    let url = Url::parse(img.url).map_err(|e| {
        (
            base(format!("image {index} has a bad URL {shown:?}: {e}")),
            false,
        )
    })?;
    let mut resp = dl
        .http
        .get(url.clone())
        .timeout(dl.timeout)
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
    let too_large = || {
        (
            base(format!(
                "image {index} of record {record_id} is larger than the limit of {} bytes (max_image_bytes)",
                dl.max_image_bytes
            ))
            .with_status(status),
            false,
        )
    };
    if resp
        .content_length()
        .is_some_and(|n| n > dl.max_image_bytes)
    {
        return Err(too_large());
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
        if total > dl.max_image_bytes {
            return Err(too_large());
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
pub(crate) async fn download_bytes(dl: &Downloader, img: &ImageSource<'_>) -> Result<Bytes, Error> {
    let mut buf = BytesMut::new();
    download(dl, img, &mut Sink::Memory(&mut buf)).await?;
    Ok(buf.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn urls() {
        assert_eq!(
            strip_query("https://x.s3.amazonaws.com/a/b.webp?X-Amz-Signature=zzz#f"),
            "https://x.s3.amazonaws.com/a/b.webp"
        );
        assert_eq!(
            redact_queries("url (http://h/a.webp?X-Amz-Signature=abc&X-Amz-Expires=1): refused"),
            "url (http://h/a.webp?[redacted]): refused"
        );
        assert_eq!(redact_queries("no query here"), "no query here");
    }
}
