//! Helpers shared by the fuzz targets in `fuzz_targets/`: the input framing (a few header lines,
//! then a body) and the invariants every saved file name keeps.

use std::borrow::Cow;
use std::path::{Component, Path};

use visionxl_core::{Error, ErrorCode};

/// An input split into `N` header lines (lossy UTF-8, a trailing `\r` dropped) and the body
/// (every byte after the `N`th newline). Missing lines are empty.
pub fn frame<const N: usize>(data: &[u8]) -> ([Cow<'_, str>; N], &[u8]) {
    let mut rest = data;
    let lines = std::array::from_fn(|_| {
        let (line, tail) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = tail;
        String::from_utf8_lossy(line.strip_suffix(b"\r").unwrap_or(line))
    });
    (lines, rest)
}

/// An HTTP status from a header line: its digits as a `u16`, else 200 (most inputs should reach
/// the body parsers).
pub fn status(line: &str) -> u16 {
    line.trim().parse().unwrap_or(200)
}

/// `None` for an empty header line.
pub fn header(line: &str) -> Option<&str> {
    (!line.is_empty()).then_some(line)
}

/// Whether `code` is one an HTTP error answer maps to (authentication, permission, credits,
/// rate limit, bad request, not found, server error): never a transport or client-side code.
pub fn is_http_error_code(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::AuthenticationError
            | ErrorCode::PermissionDenied
            | ErrorCode::InsufficientCredits
            | ErrorCode::RateLimited
            | ErrorCode::BadRequest
            | ErrorCode::NotFound
            | ErrorCode::ServerError
    )
}

/// The Windows device names `sanitize_file_name` promises never to return as a stem.
pub const RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// True when `name`'s stem (before the first dot) is a Windows device name.
pub fn is_reserved(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or("").to_ascii_uppercase();
    RESERVED.contains(&stem.as_str())
}

/// Asserts what `visionxl::save::sanitize_file_name` promises of its result: not empty, at most
/// 120 characters, only `[A-Za-z0-9._-]`, no leading dot, never a Windows device name (a
/// leading `_` only in front of one), and one plain path component that stays in its directory.
pub fn check_file_name(name: &str, raw: &str, fallback: &str) {
    let ctx = || format!("raw {raw:?}, fallback {fallback:?} -> {name:?}");
    assert!(!name.is_empty(), "empty file name: {}", ctx());
    assert!(
        name.len() <= 120,
        "file name longer than 120 ({}): {}",
        name.len(),
        ctx()
    );
    assert!(
        name.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')),
        "character outside [A-Za-z0-9._-]: {}",
        ctx()
    );
    assert!(!name.starts_with('.'), "leading dot: {}", ctx());
    assert!(!is_reserved(name), "Windows device name: {}", ctx());
    if let Some(rest) = name.strip_prefix('_') {
        assert!(
            is_reserved(rest),
            "leading '_' without a device name: {}",
            ctx()
        );
    }
    let dir = Path::new("/saved/images");
    let joined = dir.join(name);
    assert_eq!(
        joined.parent(),
        Some(dir),
        "escapes its directory: {}",
        ctx()
    );
    let parts: Vec<_> = Path::new(name).components().collect();
    assert!(
        matches!(parts.as_slice(), [Component::Normal(_)]),
        "not one plain path component: {}",
        ctx()
    );
}

/// Asserts what every [`Error`] promises: a stable code that round-trips through its string,
/// a message that is not blank, and a `Display` that starts with the code.
pub fn check_error(e: &Error) {
    let code = e.code();
    assert_eq!(ErrorCode::parse(code.as_str()), Some(code), "{e:?}");
    assert!(!e.message().trim().is_empty(), "blank message: {e:?}");
    assert!(e.to_string().starts_with(code.as_str()), "{e:?}");
}
