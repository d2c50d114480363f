//! What earlier runs left in the manifest, per item key, and the errors of items a rerun does
//! not send again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use visionxl_core::error::Text;
use visionxl_core::{Error, ErrorCode};

use crate::manifest::{Entry, Event, Line, ManifestReader};

/// What an earlier run left in the manifest for one key.
#[derive(Debug, Default, Clone)]
pub(crate) struct Prior {
    /// The record's JSON text: kept as text (not a `Value`) so that resuming a batch of many
    /// thousands of items costs about a kilobyte per finished item, not ten.
    pub(crate) record: Option<String>,
    pub(crate) credits: Option<u32>,
    pub(crate) files: Option<Vec<PathBuf>>,
    /// A record an earlier attempt created (and may have paid for) but whose answer was lost:
    /// read it instead of paying again.
    pub(crate) failed_record: Option<String>,
    /// An earlier attempt that may have been charged and whose record id is unknown. Sticky:
    /// a later failure that charged nothing does not clear it, only a `generated` line does.
    pub(crate) ambiguous: Option<Ambiguous>,
    /// The last event is a `sending` line with no later `generated` or `failed` line: the run
    /// was killed (or lost power) while that request was in flight. It may have been charged.
    pub(crate) interrupted: Option<Interrupted>,
}

/// A `sending` line without an outcome.
#[derive(Debug, Clone)]
pub(crate) struct Interrupted {
    pub(crate) at: Option<String>,
    pub(crate) attempt: Option<u32>,
}

/// A failed attempt that may have been charged, record id unknown.
#[derive(Debug, Clone)]
pub(crate) struct Ambiguous {
    pub(crate) code: ErrorCode,
    pub(crate) message: String,
    pub(crate) at: Option<String>,
}

/// What the manifest holds: per key, what earlier runs did; and whether the file ends in the
/// middle of a line (a crash or a failed write), so the next line must start on a new one.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    pub(crate) prior: HashMap<String, Prior>,
    pub(crate) torn_tail: bool,
}

/// Reads the manifest at `path` (none yet: nothing done), line by line.
pub(crate) async fn load(path: &Path) -> Result<Loaded, Error> {
    let Some(mut reader) = ManifestReader::open(path).await? else {
        return Ok(Loaded::default());
    };
    let mut prior: HashMap<String, Prior> = HashMap::new();
    while let Some((n, entry)) = reader.next().await? {
        match entry {
            Entry::Line(line) => prior.entry(line.key.clone()).or_default().apply(*line),
            Entry::Blank => {}
            // A crash can leave a half-written last line: skip what does not parse.
            Entry::Unreadable(_) => {
                tracing::warn!(line = n, "visionxl: skipping an unreadable manifest line");
            }
        }
    }
    Ok(Loaded {
        prior,
        torn_tail: reader.ends_torn(),
    })
}

impl Prior {
    /// Takes in one more line of this item, in file order.
    fn apply(&mut self, line: Line) {
        match line.event {
            Event::Sending { attempt, .. } => {
                self.interrupted = Some(Interrupted {
                    at: line.at,
                    attempt: (attempt > 0).then_some(attempt),
                });
            }
            Event::Generated {
                record, credits, ..
            } => {
                // The request in flight got its outcome.
                self.interrupted = None;
                self.record = Some(record.to_string());
                self.credits = credits;
                self.failed_record = None;
                self.ambiguous = None;
            }
            Event::Saved { files, .. } => self.files = Some(files),
            Event::Failed {
                code,
                message,
                record_id,
                may_have_been_charged,
            } => {
                self.interrupted = None;
                if self.record.is_none() {
                    self.failed(code, message, record_id, may_have_been_charged, line.at);
                }
            }
        }
    }

    fn failed(
        &mut self,
        code: String,
        message: String,
        record_id: Option<String>,
        charged: bool,
        at: Option<String>,
    ) {
        match (record_id, charged) {
            (Some(id), true) => self.failed_record = Some(id),
            // That record is settled (e.g. generation_failed): nothing to read back.
            (Some(id), false) => {
                if self.failed_record.as_deref() == Some(id.as_str()) {
                    self.failed_record = None;
                }
            }
            (None, true) => {
                self.ambiguous = Some(Ambiguous {
                    code: ErrorCode::parse(&code).unwrap_or(ErrorCode::ConnectionError),
                    message,
                    at,
                });
            }
            (None, false) => {}
        }
    }
}

/// The error of an item not sent again because an earlier attempt may have been charged.
pub(crate) fn not_resent_error(amb: &Ambiguous) -> Error {
    let when = amb
        .at
        .as_deref()
        .map(|at| format!(" at {at}"))
        .unwrap_or_default();
    Error::new(
        amb.code,
        format!(
            "not sent again: this item may already have been charged in a previous run \
             ({code}{when}: {msg}) and its record id is unknown; check the account's history, \
             then rerun with the retry_ambiguous option on to send it again, which may pay \
             for it twice",
            code = amb.code.as_str(),
            msg = amb.message,
        ),
    )
    .with_may_have_been_charged(true)
}

/// The error of an item not sent again because an earlier run was killed (or lost power)
/// while its generation request was in flight: a `sending` line with no outcome.
pub(crate) fn interrupted_error(int: &Interrupted) -> Error {
    let mut when = String::new();
    if let Some(at) = &int.at {
        when.push_str(&format!(" (sent at {at}"));
        if let Some(n) = int.attempt {
            when.push_str(&format!(", attempt {n}"));
        }
        when.push(')');
    }
    Error::new(
        ErrorCode::Cancelled,
        format!(
            "not sent again: the previous run was interrupted while this request was in \
             flight{when}, so it may already have been charged and its record id is unknown; \
             check the 1min.ai history for it, then rerun with the retry_ambiguous option on to \
             send it again, which may pay for it \
             twice"
        ),
    )
    .with_may_have_been_charged(true)
}

/// The error of an item whose earlier record could not be read back (still processing,
/// unreachable, ...): it is not sent again, the record may hold the paid images.
pub(crate) fn unrecovered_error(e: Error, id: &str) -> Error {
    let msg = e
        .text()
        .lit(format!(
            " (record {id}, from a previous run, may already have been charged: it was not sent \
             again; read it later with "
        ))
        .text(&Text::get_generation(id))
        .lit(" or rerun with this manifest)");
    e.with_text(msg)
        .with_record_id(Some(id.to_string()))
        .with_may_have_been_charged(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sending_without_an_outcome_is_interrupted_and_an_outcome_clears_it() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.jsonl");
        let text = [
            r#"{"v":1,"event":"sending","key":"a","index":0,"attempt":1,"at":"t1"}"#,
            r#"{"v":1,"event":"sending","key":"b","index":1,"attempt":1,"at":"t1"}"#,
            r#"{"v":1,"event":"failed","key":"b","index":1,"code":"rate_limited","message":"m","record_id":null,"may_have_been_charged":false,"at":"t2"}"#,
            r#"{"v":1,"event":"sending","key":"b","index":1,"attempt":2,"at":"t3"}"#,
            r#"{"v":1,"event":"sending","key":"c","index":2,"attempt":1,"at":"t1"}"#,
            r#"{"v":1,"event":"generated","key":"c","index":2,"record_id":"r","record":{},"at":"t2"}"#,
            r#"{"v":1,"event":"sending","key":"d","index":3,"attempt":1,"at":"t1"}"#,
            r#"{"v":1,"event":"failed","key":"d","index":3,"code":"server_error","message":"m","record_id":null,"may_have_been_charged":true,"at":"t2"}"#,
            r#"{"v":1,"event":"sen"#,
        ]
        .join("\n");
        std::fs::write(&path, text).unwrap();
        let loaded = rt.block_on(load(&path)).unwrap();
        assert!(loaded.torn_tail);
        let a = loaded.prior["a"].interrupted.as_ref().unwrap();
        assert_eq!((a.at.as_deref(), a.attempt), (Some("t1"), Some(1)));
        let b = loaded.prior["b"].interrupted.as_ref().unwrap();
        assert_eq!((b.at.as_deref(), b.attempt), (Some("t3"), Some(2)));
        assert!(loaded.prior["c"].interrupted.is_none());
        assert!(loaded.prior["c"].record.is_some());
        assert!(loaded.prior["d"].interrupted.is_none());
        assert_eq!(
            loaded.prior["d"].ambiguous.as_ref().map(|a| a.code),
            Some(ErrorCode::ServerError)
        );
    }
}
