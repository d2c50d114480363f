//! Soak test of the visionxl client against the emulator with random faults.
//!
//! [`run()`] drives the public client API — [`visionxl::Client::generate_many`] with a JSONL
//! manifest and an `out_dir` — against an emulator given by base URL, over HTTP only (its
//! control endpoints `/_emulator/chaos` and `/_emulator/ledger`, records and pictures), so the
//! emulator may live in another process:
//!
//! 1. **pass 1**: random faults of every kind on (`POST /_emulator/chaos {"rate", "seed"}`),
//!    `generations` items at `concurrency`, each with a unique prompt (512x512, `n` 1 or 2,
//!    some transparent PNGs); the client paces nothing and keeps its default retry policy;
//! 2. **pass 2**: faults off, the same batch resumes the same manifest: records whose id is
//!    known are read back and their images downloaded, items that may have been charged
//!    without a known id are not sent again;
//! 3. **checks** ([`SoakReport::checks`]): no panics; at most one charge per item and none for
//!    an item never sent (every ledger charge is mapped to its item through its record's
//!    prompt); every charged record of an item that ended ok is saved, with its sidecar,
//!    decodable at the asked size and byte-identical to what the emulator serves, and every
//!    other charge belongs to an item reported "may have been charged, record id unknown"; the
//!    manifest parses line by line and tells every attempt and outcome; the RSS stays within a
//!    bound; the faults met, by kind.
//!
//! The `visionxl-soak` binary runs it against an emulator in a child process and prints the
//! report; `tests/soak.rs` runs a small one in the test suite. `visionxl-soak verify`
//! ([`outcomes::verify_files`]) runs the same checks on a run another program drove (the
//! Python and Node soaks) from its manifest, output directory and outcomes file.
#![warn(missing_docs)]

pub mod config;
pub mod control;
mod error;
pub mod evidence;
pub mod findings;
pub mod manifest;
pub mod outcomes;
pub mod panics;
pub mod process;
pub mod report;
pub mod rss;
pub mod run;
pub mod verify;
pub mod workload;

pub use config::SoakConfig;
pub use error::SoakError;
pub use report::{Check, SoakReport};
pub use run::run_blocking as run;
