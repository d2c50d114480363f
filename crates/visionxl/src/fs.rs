//! File-system steps every writer shares: creating directories, `*.part` temporary files and
//! atomic writes that never replace a file unless told to.

use std::path::Path;

use tokio::io::AsyncWriteExt;
use visionxl_core::{Error, ErrorCode};

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

/// Creates `dir` and its parents (`io_error` naming it).
pub(crate) async fn ensure_dir(dir: &Path) -> Result<(), Error> {
    tokio::fs::create_dir_all(dir).await.map_err(|e| {
        Error::new(
            ErrorCode::IoError,
            format!("cannot create the directory {}: {e}", dir.display()),
        )
        .with_source(e)
    })
}

/// An `io_error` saying `what` failed, with its cause.
pub(crate) fn io_err(what: String, e: std::io::Error) -> Error {
    Error::new(ErrorCode::IoError, format!("{what}: {e}")).with_source(e)
}

/// The `io_error` of a file that exists and must not be replaced.
pub(crate) fn exists_error(path: &Path) -> Error {
    Error::new(
        ErrorCode::IoError,
        format!(
            "refusing to overwrite {} (it exists; turn the overwrite option on to replace it)",
            path.display()
        ),
    )
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
    persist(tmp_path, path, existing, "cannot write")
}

/// Moves a finished temporary file to `target`, replacing an existing file only with
/// [`Existing::Overwrite`]; `failed` starts the message of any other failure.
pub(crate) fn persist(
    tmp: tempfile::TempPath,
    target: &Path,
    existing: Existing,
    failed: &str,
) -> Result<(), Error> {
    let persisted = if existing == Existing::Overwrite {
        tmp.persist(target).map_err(|e| e.error)
    } else {
        tmp.persist_noclobber(target).map_err(|e| e.error)
    };
    match persisted {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(exists_error(target)),
        Err(e) => Err(io_err(format!("{failed} {}", target.display()), e)),
    }
}

/// A `.NAME.XXXX.part` file in `dir`, created with the usual `0666 & !umask` permissions (0644
/// for most users) rather than a temporary file's 0600, so the renamed file is readable as any
/// other file the user saves.
pub(crate) fn part_file(dir: &Path, name: &str) -> std::io::Result<tempfile::NamedTempFile> {
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
        use std::path::Path;
        let dir = tempfile::tempdir().unwrap();
        let part = super::part_file(dir.path(), "img.webp").unwrap();
        let plain = dir.path().join("plain");
        std::fs::File::create(&plain).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(part.path()), mode(&plain), "0666 & !umask, not 0600");
    }
}
