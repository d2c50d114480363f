//! File-name sanitising: `visionxl::save::sanitize_file_name(raw, fallback)`, which turns a
//! storage path from the service (or an upload's name) into the name an image is saved under.
//!
//! Input: `raw`, a 0xFF byte, `fallback` (both decoded as lossy UTF-8; no 0xFF: the fallback
//! is `rec_0`, as for the first image of a record).
//!
//! Checks, beyond "never panics", what the function's documentation promises: the name is not
//! empty, at most 120 characters, only `[A-Za-z0-9._-]` (so no `/`, `\` or control character),
//! no leading dot, never a Windows device name as its stem (a leading `_` only in front of
//! one), and one plain path component that stays in its directory. Idempotence is not checked:
//! the function does not promise it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use visionxl::save::sanitize_file_name;
use visionxl_fuzz::check_file_name;

fuzz_target!(|data: &[u8]| {
    let (raw, fallback) = match data.iter().position(|&b| b == 0xFF) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b"rec_0"[..]),
    };
    let raw = String::from_utf8_lossy(raw);
    let fallback = String::from_utf8_lossy(fallback);
    let name = sanitize_file_name(&raw, &fallback);
    check_file_name(&name, &raw, &fallback);
});
