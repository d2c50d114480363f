//! File names: what a storage path becomes on disk (sanitised so it cannot leave its
//! directory), and the small edits saving makes to a name.

use std::path::{Path, PathBuf};

use visionxl_core::{Error, ErrorCode};

const MAX_NAME: usize = 120;

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

#[cfg(test)]
mod tests {
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
    fn extensions() {
        assert_eq!(fix_extension("a.webp", "webp"), "a.webp");
        assert_eq!(fix_extension("a.webp", "png"), "a.png");
        assert_eq!(fix_extension("a.JPEG", "jpg"), "a.JPEG");
        assert_eq!(fix_extension("a", "png"), "a.png");
        assert_eq!(fix_extension("a.tar_gz_long", "png"), "a.tar_gz_long.png");
        assert_eq!(with_suffix("a.webp", "_1"), "a_1.webp");
        assert_eq!(with_suffix("a", "_1"), "a_1");
    }
}
