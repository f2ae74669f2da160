//! Outputs written atomically: a temporary file beside the target, synced
//! and renamed into place, so no half-written file ever carries the
//! target's name. Shared by the command line and the viewer's save.

use std::io;
use std::path::Path;
use tempfile::NamedTempFile;

/// A new temporary file in the directory of `target` (the rename must not
/// cross file systems), named `.xlogdec-*.tmp`.
pub fn temp_beside(target: &Path) -> io::Result<NamedTempFile> {
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    tempfile::Builder::new()
        .prefix(".xlogdec-")
        .suffix(".tmp")
        .tempfile_in(dir)
}

/// Syncs `tmp` to disk and renames it to `target`.
pub fn persist(tmp: NamedTempFile, target: &Path) -> io::Result<()> {
    tmp.as_file().sync_all()?;
    tmp.persist(target).map_err(|e| e.error)?;
    Ok(())
}
