//! The batch manifest: an append-only JSONL file, one [`Line`] per event, that lets a rerun of
//! [`Client::generate_many`](crate::Client::generate_many) skip finished work and never pay
//! twice. Every line is read and written here, and nowhere else.
//!
//! Each line is a JSON object with `"v": 1`, its `event`, the item's `key` ([`manifest_key`])
//! and `index`, the fields of the event ([`Event`]) and the UTC time `at`, in that order:
//!
//! ```text
//! {"v":1,"event":"sending","key":"…","index":0,"attempt":1,"credits":286,"request":{…},"at":"2025-01-15T10:50:00Z"}
//! {"v":1,"event":"generated","key":"…","index":0,"record_id":"…","status":"SUCCESS","credits":286,"request":{…},"record":{…},"at":"…"}
//! {"v":1,"event":"failed","key":"…","index":0,"code":"server_error","message":"…","record_id":null,"may_have_been_charged":true,"at":"…"}
//! {"v":1,"event":"saved","key":"…","index":0,"record_id":"…","files":["out/a.webp"],"at":"…"}
//! ```
//!
//! [`ManifestWriter`] appends (flushed and synced, a failed write retried once on a fresh
//! line); [`ManifestReader`] reads it back one line at a time, so a manifest of many thousands
//! of items is never held whole in memory.
//!
//! ```no_run
//! # async fn demo() -> Result<(), visionxl::Error> {
//! use visionxl::manifest::{Entry, Event, ManifestReader};
//! if let Some(mut reader) = ManifestReader::open("run.jsonl").await? {
//!     while let Some((line_no, entry)) = reader.next().await? {
//!         if let Entry::Line(line) = entry {
//!             if let Event::Saved { files, .. } = &line.event {
//!                 println!("line {line_no}: item {} saved {files:?}", line.index);
//!             }
//!         }
//!     }
//! }
//! # Ok(()) }
//! ```

use std::path::{Path, PathBuf};

use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use visionxl_core::{Error, ErrorCode, GenerateRequest};

use crate::fs::ensure_dir;

/// The format version every line carries as `"v"`.
pub const VERSION: u32 = 1;

/// The manifest key of a request at `index`: hex of the first 16 bytes of
/// sha-256(`"visionxl-manifest-v1\n" + index + "\n" + wire JSON`).
pub fn manifest_key(index: usize, req: &GenerateRequest) -> String {
    let wire = serde_json::to_string(&req.to_wire()).unwrap_or_default();
    let mut h = Sha256::new();
    h.update(b"visionxl-manifest-v1\n");
    h.update(index.to_string().as_bytes());
    h.update(b"\n");
    h.update(wire.as_bytes());
    hex::encode(&h.finalize()[..16])
}

/// One line of the manifest: which item, what happened, when.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The item's key ([`manifest_key`]).
    pub key: String,
    /// The item's position in the batch's input.
    pub index: usize,
    /// What happened.
    pub event: Event,
    /// When, as RFC 3339 UTC (`2025-01-15T10:50:00Z`); always written, optional when read.
    pub at: Option<String>,
}

/// What a [`Line`] records (its `event` field and the fields that go with it).
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Appended and synced right before a generation request leaves: a line without a later
    /// outcome means the run stopped while the request was in flight (it may have been
    /// charged).
    Sending {
        /// The attempt within one call, from 1 (0 when a line read back lacks it).
        attempt: u32,
        /// The request's price in credits, when known.
        credits: Option<u32>,
        /// The request's `promptObject` wire JSON.
        request: Value,
    },
    /// The record is final and paid for; appended before its images are downloaded.
    Generated {
        /// The record id.
        record_id: String,
        /// Its status (`SUCCESS`, ...).
        status: String,
        /// Its price in credits, when known.
        credits: Option<u32>,
        /// The full request body (`type`, `model`, `promptObject`), or null.
        request: Value,
        /// The whole answer of the service (null when a line lacks it).
        record: Value,
    },
    /// The attempt failed.
    Failed {
        /// The error code (an [`ErrorCode`] name; kept as text so that codes of a later
        /// version survive).
        code: String,
        /// The error message.
        message: String,
        /// The record id, when the failure came after one was known.
        record_id: Option<String>,
        /// Whether the attempt may have been charged (a line without the field reads as true:
        /// never guess cheap).
        may_have_been_charged: bool,
    },
    /// The images of a record are saved.
    Saved {
        /// The record id.
        record_id: String,
        /// The image files, in order.
        files: Vec<PathBuf>,
    },
}

impl Event {
    /// The `event` field: `sending`, `generated`, `failed` or `saved`.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Sending { .. } => "sending",
            Event::Generated { .. } => "generated",
            Event::Failed { .. } => "failed",
            Event::Saved { .. } => "saved",
        }
    }
}

impl Line {
    /// A line of `event` for item `index` (key `key`), stamped with the current time.
    pub fn now(key: impl Into<String>, index: usize, event: Event) -> Line {
        Line {
            key: key.into(),
            index,
            event,
            at: Some(crate::time::utc_now()),
        }
    }

    /// Parses one line (without its newline).
    pub fn parse(text: &[u8]) -> Result<Line, serde_json::Error> {
        serde_json::from_slice(text)
    }

    /// The line as JSON text, without a newline (the on-disk form).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl Serialize for Line {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("v", &VERSION)?;
        m.serialize_entry("event", self.event.name())?;
        m.serialize_entry("key", &self.key)?;
        m.serialize_entry("index", &self.index)?;
        match &self.event {
            Event::Sending {
                attempt,
                credits,
                request,
            } => {
                m.serialize_entry("attempt", attempt)?;
                m.serialize_entry("credits", credits)?;
                m.serialize_entry("request", request)?;
            }
            Event::Generated {
                record_id,
                status,
                credits,
                request,
                record,
            } => {
                m.serialize_entry("record_id", record_id)?;
                m.serialize_entry("status", status)?;
                m.serialize_entry("credits", credits)?;
                m.serialize_entry("request", request)?;
                m.serialize_entry("record", record)?;
            }
            Event::Failed {
                code,
                message,
                record_id,
                may_have_been_charged,
            } => {
                m.serialize_entry("code", code)?;
                m.serialize_entry("message", message)?;
                m.serialize_entry("record_id", record_id)?;
                m.serialize_entry("may_have_been_charged", may_have_been_charged)?;
            }
            Event::Saved { record_id, files } => {
                m.serialize_entry("record_id", record_id)?;
                m.serialize_entry("files", files)?;
            }
        }
        m.serialize_entry("at", &self.at)?;
        m.end()
    }
}

/// Every field a line may hold, as read (lenient: what an event does not need may be absent).
#[derive(Deserialize)]
struct RawLine {
    event: String,
    key: String,
    index: usize,
    #[serde(default)]
    at: Option<String>,
    #[serde(default)]
    attempt: Option<u32>,
    #[serde(default)]
    credits: Option<u32>,
    #[serde(default)]
    request: Value,
    #[serde(default)]
    record_id: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    record: Value,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    may_have_been_charged: Option<bool>,
    #[serde(default)]
    files: Option<Vec<PathBuf>>,
}

impl<'de> Deserialize<'de> for Line {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Line, D::Error> {
        let r = RawLine::deserialize(d)?;
        let event = match r.event.as_str() {
            "sending" => Event::Sending {
                // Read without it, the line still says a request was in flight.
                attempt: r.attempt.unwrap_or(0),
                credits: r.credits,
                request: r.request,
            },
            "generated" => Event::Generated {
                // The record holds its id too: a line without the field still resumes.
                record_id: r.record_id.unwrap_or_default(),
                status: r.status.unwrap_or_default(),
                credits: r.credits,
                request: r.request,
                record: r.record,
            },
            "failed" => Event::Failed {
                code: r.code.unwrap_or_default(),
                message: r.message.unwrap_or_default(),
                record_id: r.record_id,
                may_have_been_charged: r.may_have_been_charged.unwrap_or(true),
            },
            "saved" => Event::Saved {
                record_id: r.record_id.unwrap_or_default(),
                files: r.files.unwrap_or_default(),
            },
            other => return Err(D::Error::custom(format!("unknown event {other:?}"))),
        };
        Ok(Line {
            key: r.key,
            index: r.index,
            event,
            at: r.at,
        })
    }
}

/// One line as [`ManifestReader`] found it.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// A line that parses.
    Line(Box<Line>),
    /// An empty (or whitespace) line: the writer starts a fresh line after a torn write.
    Blank,
    /// A line that does not parse (a torn last line, a half-written line): why.
    Unreadable(String),
}

/// Reads a manifest line by line.
#[derive(Debug)]
pub struct ManifestReader {
    path: PathBuf,
    reader: tokio::io::BufReader<tokio::fs::File>,
    buf: Vec<u8>,
    line_no: usize,
    torn_tail: bool,
}

impl ManifestReader {
    /// Opens the manifest at `path`; `None` when there is no such file (a first run).
    pub async fn open(path: impl AsRef<Path>) -> Result<Option<ManifestReader>, Error> {
        let path = path.as_ref();
        match tokio::fs::File::open(path).await {
            Ok(file) => Ok(Some(ManifestReader {
                path: path.to_path_buf(),
                reader: tokio::io::BufReader::new(file),
                buf: Vec::new(),
                line_no: 0,
                torn_tail: false,
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(read_error(path, e)),
        }
    }

    /// The next line and its number (from 1); `None` at the end of the file.
    pub async fn next(&mut self) -> Result<Option<(usize, Entry)>, Error> {
        self.buf.clear();
        let n = self
            .reader
            .read_until(b'\n', &mut self.buf)
            .await
            .map_err(|e| read_error(&self.path, e))?;
        if n == 0 {
            return Ok(None);
        }
        self.line_no += 1;
        self.torn_tail = self.buf.last() != Some(&b'\n');
        let entry = if self.buf.iter().all(u8::is_ascii_whitespace) {
            Entry::Blank
        } else {
            match Line::parse(&self.buf) {
                Ok(line) => Entry::Line(Box::new(line)),
                Err(e) => Entry::Unreadable(e.to_string()),
            }
        };
        Ok(Some((self.line_no, entry)))
    }

    /// True when the last line read does not end with a newline (a crash or a failed write
    /// cut it off): the next line written must start on a new line.
    pub fn ends_torn(&self) -> bool {
        self.torn_tail
    }
}

fn read_error(path: &Path, e: std::io::Error) -> Error {
    Error::new(
        ErrorCode::IoError,
        format!("cannot read the manifest {}: {e}", path.display()),
    )
    .with_source(e)
}

/// Appends lines to a manifest, one writer at a time, each flushed and synced before
/// [`append`](Self::append) returns.
#[derive(Debug)]
pub struct ManifestWriter {
    file: tokio::sync::Mutex<WriterFile>,
    path: PathBuf,
}

#[derive(Debug)]
struct WriterFile {
    file: tokio::fs::File,
    /// The file may end with a partial line (an earlier crash or failed write): the next line
    /// starts with a newline so it is not glued to the torn one (blank lines are skipped).
    torn: bool,
}

impl ManifestWriter {
    /// Opens (creates) the manifest at `path` for appending, creating its directory.
    /// `torn_tail`: the file ends in the middle of a line ([`ManifestReader::ends_torn`]).
    pub async fn open(path: impl AsRef<Path>, torn_tail: bool) -> Result<ManifestWriter, Error> {
        let path = path.as_ref();
        if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            ensure_dir(dir).await?;
        }
        let file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .await
            .map_err(|e| {
                Error::new(
                    ErrorCode::IoError,
                    format!("cannot open the manifest {}: {e}", path.display()),
                )
                .with_source(e)
            })?;
        Ok(ManifestWriter {
            file: tokio::sync::Mutex::new(WriterFile {
                file,
                torn: torn_tail,
            }),
            path: path.to_path_buf(),
        })
    }

    /// Appends one line; a failed write is retried once, on a fresh line (`io_error` when
    /// both fail).
    pub async fn append(&self, line: &Line) -> Result<(), Error> {
        let mut text = line.to_json();
        text.push('\n');
        let mut f = self.file.lock().await;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let prefix: &[u8] = if f.torn { b"\n" } else { b"" };
            // Torn until the write completes: if this future is dropped mid-write (a cancelled
            // call), the next line still starts on a fresh line (blank lines are skipped).
            f.torn = true;
            match self.write(&mut f.file, prefix, &text, line).await {
                Ok(()) => {
                    f.torn = false;
                    return Ok(());
                }
                // Part of the line may be in the file: the next one starts on a new line.
                Err(e) if attempt < 2 => tracing::warn!(
                    error = %e,
                    manifest = %self.path.display(),
                    "visionxl: appending to the manifest failed; retrying once"
                ),
                Err(e) => {
                    return Err(Error::new(
                        ErrorCode::IoError,
                        format!(
                            "cannot append to the manifest {} (tried twice): {e}",
                            self.path.display()
                        ),
                    )
                    .with_source(e));
                }
            }
        }
    }

    async fn write(
        &self,
        file: &mut tokio::fs::File,
        prefix: &[u8],
        text: &str,
        line: &Line,
    ) -> std::io::Result<()> {
        #[cfg(test)]
        if inject::take(&self.path, line.event.name()) {
            // A write that broke off half way: the torn half stays in the file.
            file.write_all(prefix).await?;
            file.write_all(&text.as_bytes()[..text.len() / 2]).await?;
            file.flush().await?;
            return Err(std::io::Error::other("injected manifest write failure"));
        }
        #[cfg(not(test))]
        let _ = line;
        file.write_all(prefix).await?;
        file.write_all(text.as_bytes()).await?;
        file.flush().await?;
        file.sync_data().await
    }
}

/// Test seam: make the next appends of one event to one manifest fail half way.
#[cfg(test)]
pub(crate) mod inject {
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;

    static FAILURES: Mutex<Vec<(PathBuf, String, u32)>> = Mutex::new(Vec::new());

    /// The next `times` appends of `event` lines to `manifest` fail after writing half a line.
    pub(crate) fn fail_appends(manifest: &Path, event: &str, times: u32) {
        let mut f = FAILURES.lock().unwrap_or_else(|e| e.into_inner());
        f.push((manifest.to_path_buf(), event.to_string(), times));
    }

    pub(super) fn take(manifest: &Path, event: &str) -> bool {
        let mut f = FAILURES.lock().unwrap_or_else(|e| e.into_inner());
        match f
            .iter_mut()
            .find(|(p, e, n)| p == manifest && e == event && *n > 0)
        {
            Some(entry) => {
                entry.2 -= 1;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The lines as the batch wrote them with `json!` before this module: byte for byte.
    #[test]
    fn lines_are_written_exactly_as_before() {
        let sending = Line {
            key: "k".into(),
            index: 3,
            event: Event::Sending {
                attempt: 2,
                credits: Some(286),
                request: json!({"prompt": "a fox"}),
            },
            at: Some("t".into()),
        };
        let old = json!({"v": 1, "event": "sending", "key": "k", "index": 3, "attempt": 2,
            "credits": 286, "request": {"prompt": "a fox"}, "at": "t"});
        assert_eq!(sending.to_json(), old.to_string());
        let generated = Line {
            key: "k".into(),
            index: 0,
            event: Event::Generated {
                record_id: "r".into(),
                status: "SUCCESS".into(),
                credits: None,
                request: json!({"type": "IMAGE_GENERATOR"}),
                record: json!({"aiRecord": {"uuid": "r"}}),
            },
            at: Some("t".into()),
        };
        let old = json!({"v": 1, "event": "generated", "key": "k", "index": 0, "record_id": "r",
            "status": "SUCCESS", "credits": null, "request": {"type": "IMAGE_GENERATOR"},
            "record": {"aiRecord": {"uuid": "r"}}, "at": "t"});
        assert_eq!(generated.to_json(), old.to_string());
        let failed = Line {
            key: "k".into(),
            index: 1,
            event: Event::Failed {
                code: "server_error".into(),
                message: "m".into(),
                record_id: None,
                may_have_been_charged: true,
            },
            at: Some("t".into()),
        };
        let old = json!({"v": 1, "event": "failed", "key": "k", "index": 1,
            "code": "server_error", "message": "m", "record_id": null,
            "may_have_been_charged": true, "at": "t"});
        assert_eq!(failed.to_json(), old.to_string());
        let saved = Line {
            key: "k".into(),
            index: 1,
            event: Event::Saved {
                record_id: "r".into(),
                files: vec![PathBuf::from("out/a.webp")],
            },
            at: Some("t".into()),
        };
        let old = json!({"v": 1, "event": "saved", "key": "k", "index": 1, "record_id": "r",
            "files": ["out/a.webp"], "at": "t"});
        assert_eq!(saved.to_json(), old.to_string());
        for line in [sending, generated, failed, saved] {
            assert_eq!(Line::parse(line.to_json().as_bytes()).unwrap(), line);
        }
    }

    #[test]
    fn reading_is_lenient_where_the_old_reader_was() {
        let l = Line::parse(br#"{"v":1,"event":"failed","key":"k","index":0,"code":"x"}"#).unwrap();
        assert!(matches!(
            l.event,
            Event::Failed {
                may_have_been_charged: true,
                record_id: None,
                ..
            }
        ));
        assert_eq!(l.at, None);
        let l = Line::parse(br#"{"v":1,"event":"generated","key":"k","index":0,"record_id":"r"}"#)
            .unwrap();
        assert!(matches!(
            l.event,
            Event::Generated {
                record: Value::Null,
                ..
            }
        ));
        let l = Line::parse(br#"{"v":1,"event":"sending","key":"k","index":0}"#).unwrap();
        assert!(matches!(l.event, Event::Sending { attempt: 0, .. }));
        assert!(Line::parse(br#"{"v":1,"event":"later","key":"k","index":0}"#).is_err());
        assert!(Line::parse(br#"{"v":1,"event":"sen"#).is_err());
    }

    #[tokio::test]
    async fn the_reader_numbers_lines_and_tells_blank_unreadable_and_torn() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.jsonl");
        assert!(ManifestReader::open(&path).await.unwrap().is_none());
        let saved = Line::now(
            "k",
            0,
            Event::Saved {
                record_id: "r".into(),
                files: vec![],
            },
        );
        let text = format!("{}\n\n{{\"v\":1,\"ev\n{}", saved.to_json(), saved.to_json());
        std::fs::write(&path, text).unwrap();
        let mut reader = ManifestReader::open(&path).await.unwrap().unwrap();
        let mut seen = Vec::new();
        while let Some((n, entry)) = reader.next().await.unwrap() {
            seen.push((n, entry));
        }
        assert_eq!(seen.len(), 4);
        assert_eq!(seen[0], (1, Entry::Line(Box::new(saved.clone()))));
        assert_eq!(seen[1], (2, Entry::Blank));
        assert!(matches!(seen[2], (3, Entry::Unreadable(_))));
        assert_eq!(seen[3], (4, Entry::Line(Box::new(saved))));
        assert!(reader.ends_torn(), "the last line has no newline");
    }

    #[tokio::test]
    async fn the_writer_starts_a_fresh_line_after_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("m.jsonl");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "{\"v\":1,\"eve").unwrap();
        let line = Line::now(
            "k",
            1,
            Event::Sending {
                attempt: 1,
                credits: None,
                request: Value::Null,
            },
        );
        let w = ManifestWriter::open(&path, true).await.unwrap();
        w.append(&line).await.unwrap();
        w.append(&line).await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert_eq!(Line::parse(lines[1].as_bytes()).unwrap(), line);
        assert_eq!(Line::parse(lines[2].as_bytes()).unwrap(), line);
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn keys_are_stable_and_positional() {
        let a = GenerateRequest::new("a fox");
        let k0 = manifest_key(0, &a);
        assert_eq!(k0, manifest_key(0, &a.clone()));
        assert_ne!(k0, manifest_key(1, &a));
        assert_ne!(k0, manifest_key(0, &GenerateRequest::new("a fox ")));
        assert_eq!(k0.len(), 32);
    }
}
