//! Reads the batch manifest back, line by line, and checks its story of every item: no torn
//! or blank line, a `sending` line per attempt (attempts counting 1, 2, ... within a call), an
//! outcome after every `sending`, `generated` only after a `sending` (or as the read-back of a
//! record an earlier `failed` line named), `saved` only after its `generated`. Lines are read
//! with the client's own typed [`Line`], so the verifier and the writer share one format.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use visionxl::manifest::{Event, Line};

use crate::findings::Findings;

/// Lines of the manifest by event.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ManifestCounts {
    /// Lines in the file.
    pub lines: usize,
    /// Lines by `event`.
    pub by_event: BTreeMap<String, usize>,
}

/// What the manifest says of one item.
#[derive(Debug, Clone, Default)]
pub(crate) struct ItemLines {
    /// `sending` lines: requests that left (or were about to).
    pub sendings: u32,
    /// Record ids of its `generated` lines.
    pub generated: Vec<String>,
    /// Record ids named by its `failed` lines (with `may_have_been_charged`).
    pub failed_records: Vec<String>,
    /// Its `saved` lines: record id and files.
    pub saved: Vec<(String, Vec<PathBuf>)>,
}

/// The format version of a line (the typed [`Line`] does not keep it).
#[derive(Deserialize)]
struct Version {
    v: Option<u64>,
}

/// Where an item stands while its lines are read in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// No request in flight.
    Idle,
    /// A `sending` line with this attempt number, no outcome yet.
    InFlight(u64),
}

/// The manifest read back.
pub(crate) struct Read {
    pub counts: ManifestCounts,
    pub items: Vec<ItemLines>,
}

/// Reads `text` (the manifest of `keys.len()` items, `keys[i]` the key of item `i`) and
/// reports every break of the rules in `findings`.
pub(crate) fn read(text: &str, keys: &[String], findings: &mut Findings) -> Read {
    let index_of: HashMap<&str, usize> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect();
    let mut items = vec![ItemLines::default(); keys.len()];
    let mut states = vec![State::Idle; keys.len()];
    // The record id a `failed` line named last (may be read back later), per item.
    let mut readable: Vec<Option<String>> = vec![None; keys.len()];
    let mut counts = ManifestCounts::default();

    if !text.is_empty() && !text.ends_with('\n') {
        findings.add("the manifest ends in the middle of a line (a torn last line)".to_string());
    }
    for (n, line) in text.lines().enumerate() {
        let at = n + 1;
        counts.lines += 1;
        if line.trim().is_empty() {
            findings.add(format!(
                "line {at} is blank (a torn write was followed by a fresh line)"
            ));
            continue;
        }
        let parsed = match Line::parse(line.as_bytes()) {
            Ok(parsed) => parsed,
            Err(e) => {
                findings.add(format!(
                    "line {at} is not a manifest line ({e}): a torn or lost line"
                ));
                continue;
            }
        };
        *counts
            .by_event
            .entry(parsed.event.name().to_string())
            .or_default() += 1;
        // The typed line reads old and partial lines leniently; a line this version wrote
        // has its version and time.
        let version = serde_json::from_str::<Version>(line).map_or(None, |v| v.v);
        if version != Some(1) || parsed.at.is_none() {
            findings.add(format!("line {at} lacks \"v\": 1 or \"at\": {line:.120}"));
        }
        let Some(&i) = index_of.get(parsed.key.as_str()) else {
            findings.add(format!(
                "line {at} names no item of this batch: {line:.120}"
            ));
            continue;
        };
        if parsed.index != i {
            findings.add(format!(
                "line {at}: index {} does not match its key (item {i})",
                parsed.index
            ));
        }
        let item = &mut items[i];
        let state = &mut states[i];
        match parsed.event {
            Event::Sending { attempt, .. } => {
                let attempt = u64::from(attempt);
                let expected = match *state {
                    State::Idle => 1,
                    State::InFlight(prev) => prev + 1,
                };
                if attempt != expected {
                    findings.add(format!(
                        "line {at}: item {i} sends attempt {attempt} where attempt {expected} \
                         was due (a lost sending or outcome line)"
                    ));
                }
                item.sendings += 1;
                *state = State::InFlight(attempt);
            }
            Event::Failed {
                record_id,
                may_have_been_charged,
                ..
            } => {
                if *state == State::Idle {
                    findings.add(format!(
                        "line {at}: item {i} failed with no request in flight (a lost sending line)"
                    ));
                }
                *state = State::Idle;
                if may_have_been_charged && let Some(id) = record_id {
                    item.failed_records.push(id.clone());
                    readable[i] = Some(id);
                }
            }
            Event::Generated {
                record_id,
                request,
                record,
                ..
            } => {
                if record_id.is_empty() {
                    findings.add(format!("line {at}: item {i} generated without a record id"));
                    continue;
                }
                let id = record_id;
                let read_back = readable[i].as_deref() == Some(id.as_str());
                if *state == State::Idle && !read_back {
                    findings.add(format!(
                        "line {at}: item {i} generated record {id} with no request in flight and \
                         no earlier failure naming it (a lost sending line)"
                    ));
                }
                if record.is_null() || request.is_null() {
                    findings.add(format!(
                        "line {at}: the generated line of record {id} lacks the record or the \
                         request"
                    ));
                }
                *state = State::Idle;
                item.generated.push(id);
            }
            Event::Saved { record_id, files } => {
                if record_id.is_empty() {
                    findings.add(format!("line {at}: item {i} saved without a record id"));
                    continue;
                }
                let id = record_id;
                if !item.generated.contains(&id) {
                    findings.add(format!(
                        "line {at}: item {i} saved record {id} before any generated line named it \
                         (a lost generated line)"
                    ));
                }
                item.saved.push((id, files));
            }
        }
    }
    for (i, state) in states.iter().enumerate() {
        if let State::InFlight(a) = state {
            findings.add(format!(
                "item {i}: attempt {a} was sent and no outcome line follows (a lost line)"
            ));
        }
    }
    Read { counts, items }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Vec<String> {
        vec!["k0".into(), "k1".into()]
    }

    fn line(event: &str, key: &str, index: usize, extra: &str) -> String {
        format!(r#"{{"v":1,"event":"{event}","key":"{key}","index":{index},"at":"t"{extra}}}"#)
    }

    #[test]
    fn a_clean_story_has_no_findings() {
        let text = [
            line("sending", "k0", 0, r#","attempt":1"#),
            line("sending", "k1", 1, r#","attempt":1"#),
            line("sending", "k1", 1, r#","attempt":2"#),
            line(
                "failed",
                "k1",
                1,
                r#","record_id":"r1","may_have_been_charged":true"#,
            ),
            line(
                "generated",
                "k0",
                0,
                r#","record_id":"r0","record":{},"request":{}"#,
            ),
            line("saved", "k0", 0, r#","record_id":"r0","files":["a.webp"]"#),
            // Pass 2 reads r1 back: generated with no sending line.
            line(
                "generated",
                "k1",
                1,
                r#","record_id":"r1","record":{},"request":{}"#,
            ),
            line("saved", "k1", 1, r#","record_id":"r1","files":["b.webp"]"#),
        ]
        .join("\n")
            + "\n";
        let mut f = Findings::default();
        let r = read(&text, &keys(), &mut f);
        assert_eq!(f.count, 0, "{:?}", f.examples);
        assert_eq!(r.counts.lines, 8);
        assert_eq!(r.items[1].sendings, 2);
        assert_eq!(r.items[1].generated, vec!["r1".to_string()]);
        assert_eq!(r.items[0].saved[0].1, vec![PathBuf::from("a.webp")]);
    }

    #[test]
    fn lost_and_torn_lines_are_found() {
        let text = [
            line("sending", "k0", 0, r#","attempt":2"#),
            line(
                "generated",
                "k1",
                1,
                r#","record_id":"r1","record":{},"request":{}"#,
            ),
            line("saved", "k0", 0, r#","record_id":"r9","files":[]"#),
            r#"{"v":1,"event":"sen"#.to_string(),
        ]
        .join("\n");
        let mut f = Findings::default();
        read(&text, &keys(), &mut f);
        // attempt 2 first; generated with nothing in flight; saved before generated; a line
        // that is not JSON; a torn end; item 0 still in flight.
        assert_eq!(f.count, 6, "{:?}", f.examples);
    }
}
