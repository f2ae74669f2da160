//! Outputs that never destroy what is there: a regular file is written to a
//! temporary file beside it, synced and renamed into place, so no
//! half-written file ever carries the target's name; anything else a user
//! may name (a FIFO, a character device) is written in place, as a shell
//! redirection would, and never replaced by a regular file. Shared by the
//! command line and the viewer's save.
//!
//! - A symbolic link is followed: its target is what gets replaced (a link
//!   to nothing is refused).
//! - A new file gets the mode a shell redirection gives it (0666 less the
//!   umask); a replaced file keeps its mode (and, where allowed, its owner).
//!
//! ```no_run
//! use std::io::Write;
//! use xlogdec::render::atomic::{Destination, OutFile};
//!
//! let dest = Destination::of("out.log".as_ref())?;
//! let mut out = OutFile::create(&dest)?;
//! out.write_all(b"decoded text\n")?;
//! out.commit()?; // only now does out.log change
//! # Ok::<(), std::io::Error>(())
//! ```

use std::fs::{self, File};
use std::io::{self, IoSlice, Write};
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

/// What a replaced regular file had, to give the new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Existing {
    /// Permission bits (and sticky; never setuid or setgid).
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
}

/// Where an output named by the user goes, judged by what is there now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A regular file, new or existing, replaced atomically. `path` is the
    /// file itself, symbolic links followed.
    Replace {
        /// The file to create or replace.
        path: PathBuf,
        /// What the file has now, if it exists.
        existing: Option<Existing>,
    },
    /// Not a regular file (a FIFO, a character or block device): written in
    /// place, as a shell redirection writes it.
    InPlace {
        /// The node, symbolic links followed.
        path: PathBuf,
    },
}

/// A refusal; the caller names the path.
fn refuse(why: &str) -> io::Error {
    io::Error::other(why.to_string())
}

impl Destination {
    /// Looks at `target`: missing (a new file), a regular file, a symbolic
    /// link (followed), or another node (written in place). A directory, a
    /// socket and a link to nothing are refused.
    pub fn of(target: &Path) -> io::Result<Destination> {
        let meta = match fs::symlink_metadata(target) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Destination::Replace {
                    path: target.to_path_buf(),
                    existing: None,
                });
            }
            Err(e) => return Err(e),
        };
        let (path, meta) = if meta.file_type().is_symlink() {
            match fs::metadata(target) {
                Ok(m) => (fs::canonicalize(target)?, m),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    return Err(refuse(
                        "is a symbolic link to a missing file (not replaced: name a file)",
                    ));
                }
                Err(e) => return Err(e),
            }
        } else {
            (target.to_path_buf(), meta)
        };
        let ty = meta.file_type();
        if ty.is_dir() {
            return Err(refuse("is a directory"));
        }
        if ty.is_file() {
            return Ok(Destination::Replace {
                path,
                existing: Some(existing(&meta)),
            });
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if ty.is_socket() {
                return Err(refuse("is a socket"));
            }
        }
        Ok(Destination::InPlace { path })
    }

    /// The file or node written, symbolic links followed.
    pub fn path(&self) -> &Path {
        match self {
            Destination::Replace { path, .. } | Destination::InPlace { path } => path,
        }
    }
}

#[cfg(unix)]
fn existing(meta: &fs::Metadata) -> Existing {
    use std::os::unix::fs::MetadataExt;
    Existing {
        // Not setuid or setgid: the new file holds text.
        mode: meta.mode() & 0o1777,
        uid: meta.uid(),
        gid: meta.gid(),
    }
}

#[cfg(not(unix))]
fn existing(_meta: &fs::Metadata) -> Existing {
    Existing {
        mode: 0o644,
        uid: 0,
        gid: 0,
    }
}

/// The device and inode of what `path` names, symbolic links followed;
/// `None` when there is nothing there. Two paths name the same file when
/// their ids are equal, however they are spelt.
pub fn file_id(path: &Path) -> io::Result<Option<(u64, u64)>> {
    match fs::metadata(path) {
        Ok(m) => Ok(Some(id_of(&m))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The device and inode of an open file's metadata.
#[cfg(unix)]
pub fn id_of(meta: &fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

/// The device and inode of an open file's metadata (not known here).
#[cfg(not(unix))]
pub fn id_of(_meta: &fs::Metadata) -> (u64, u64) {
    (0, 0)
}

/// A new temporary file in the directory of `target` (the rename must not
/// cross file systems), named `.xlogdec-*.tmp`, with the mode a shell
/// redirection would give a new file (0666 less the umask), or the mode
/// (and owner, where allowed) of the file it will replace.
fn temp_for(target: &Path, existing: Option<Existing>) -> io::Result<NamedTempFile> {
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut b = tempfile::Builder::new();
    b.prefix(".xlogdec-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // open(2) applies the umask to this mode.
        b.permissions(fs::Permissions::from_mode(0o666));
    }
    let tmp = b.tempfile_in(dir).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => io::Error::new(
            io::ErrorKind::NotFound,
            format!("no such directory {}", dir.display()),
        ),
        io::ErrorKind::PermissionDenied => io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "cannot create a file in {}: permission denied",
                dir.display()
            ),
        ),
        _ => e,
    })?;
    #[cfg(unix)]
    if let Some(e) = existing {
        use std::os::unix::fs::PermissionsExt;
        // Only root may give a file away; others keep what they may.
        let _ = std::os::unix::fs::fchown(tmp.as_file(), Some(e.uid), Some(e.gid));
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(e.mode))?;
    }
    #[cfg(not(unix))]
    let _ = existing;
    Ok(tmp)
}

/// A temporary file for the output `target` (see [`Destination::of`]):
/// beside the file a symbolic link points to, with the mode the result
/// must have. A target that is not a regular file is refused: only
/// [`OutFile`] writes those.
pub fn temp_beside(target: &Path) -> io::Result<NamedTempFile> {
    match Destination::of(target)? {
        Destination::Replace { path, existing } => temp_for(&path, existing),
        Destination::InPlace { .. } => Err(refuse("is not a regular file")),
    }
}

/// Syncs `tmp` to disk and renames it to `target` (to the file a
/// symbolic link points to: the link stays).
pub fn persist(tmp: NamedTempFile, target: &Path) -> io::Result<()> {
    let path = match Destination::of(target)? {
        Destination::Replace { path, .. } => path,
        Destination::InPlace { .. } => return Err(refuse("is not a regular file")),
    };
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// An output being written: a temporary file renamed into place by
/// [`OutFile::commit`] (dropped uncommitted, it leaves nothing behind), or
/// a FIFO or device written in place.
#[derive(Debug)]
pub struct OutFile {
    kind: Kind,
    written: u64,
}

#[derive(Debug)]
enum Kind {
    Temp { tmp: NamedTempFile, target: PathBuf },
    Direct(File),
}

impl OutFile {
    /// Starts writing `dest`: creates the temporary file, or opens the
    /// node for writing (a FIFO waits for its reader here).
    pub fn create(dest: &Destination) -> io::Result<OutFile> {
        let kind = match dest {
            Destination::Replace { path, existing } => Kind::Temp {
                tmp: temp_for(path, *existing)?,
                target: path.clone(),
            },
            Destination::InPlace { path } => {
                Kind::Direct(fs::OpenOptions::new().write(true).open(path)?)
            }
        };
        Ok(OutFile { kind, written: 0 })
    }

    /// The temporary file, while there is one (to remove on a signal).
    pub fn temp_path(&self) -> Option<&Path> {
        match &self.kind {
            Kind::Temp { tmp, .. } => Some(tmp.path()),
            Kind::Direct(_) => None,
        }
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Makes the output final: syncs the temporary file and renames it into
    /// place, or flushes the node written in place.
    pub fn commit(self) -> io::Result<()> {
        match self.kind {
            Kind::Temp { tmp, target } => {
                tmp.as_file().sync_all()?;
                tmp.persist(target).map_err(|e| e.error)?;
                Ok(())
            }
            Kind::Direct(mut f) => f.flush(),
        }
    }
}

impl Write for OutFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = match &mut self.kind {
            Kind::Temp { tmp, .. } => tmp.write(buf)?,
            Kind::Direct(f) => f.write(buf)?,
        };
        self.written += n as u64;
        Ok(n)
    }

    /// One `writev` for several slices (the output thread writes shared
    /// lines between its own bytes).
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let n = match &mut self.kind {
            Kind::Temp { tmp, .. } => tmp.write_vectored(bufs)?,
            Kind::Direct(f) => f.write_vectored(bufs)?,
        };
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.kind {
            Kind::Temp { tmp, .. } => tmp.flush(),
            Kind::Direct(f) => f.flush(),
        }
    }
}

#[cfg(all(test, unix))]
mod tests;
