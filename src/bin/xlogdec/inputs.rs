//! What the command line names, expanded into a list of inputs: files,
//! directories (`-r` descends), glob patterns, and the `.xlog`/`.mmap3`
//! members of `.zip` archives. Each expansion is sorted, so a run is
//! deterministic.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// One input to decode.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    /// Standard input (`-`).
    Stdin,
    /// A file on disk. `rel` is its path below the directory that was
    /// named (for directory inputs), else its file name.
    File {
        /// The file.
        path: PathBuf,
        /// Where its output goes below `--out-dir`.
        rel: PathBuf,
    },
    /// A member of a zip archive.
    Zip {
        /// The archive.
        archive: PathBuf,
        /// The member's name in the archive.
        name: String,
        /// Where its output goes below `--out-dir`: the archive's stem,
        /// then the member's (sanitised) path.
        rel: PathBuf,
    },
}

impl Source {
    /// The name shown in messages.
    pub fn shown(&self) -> String {
        match self {
            Source::Stdin => "-".into(),
            Source::File { path, .. } => path.display().to_string(),
            Source::Zip { archive, name, .. } => format!("{}:{name}", archive.display()),
        }
    }

    /// Whether it is a crash buffer (by name).
    pub fn is_mmap3(&self) -> bool {
        match self {
            Source::Stdin => false,
            Source::File { path, .. } => has_ext(path, "mmap3"),
            Source::Zip { name, .. } => name.ends_with(".mmap3"),
        }
    }

    /// The path below `--out-dir` (without the output suffix).
    pub fn rel(&self) -> Option<&Path> {
        match self {
            Source::Stdin => None,
            Source::File { rel, .. } | Source::Zip { rel, .. } => Some(rel),
        }
    }

    /// The file on disk it is read from (for not overwriting inputs).
    pub fn disk_path(&self) -> Option<&Path> {
        match self {
            Source::Stdin => None,
            Source::File { path, .. } => Some(path),
            Source::Zip { archive, .. } => Some(archive),
        }
    }

    /// Input size in bytes, where cheaply known (progress).
    pub fn size(&self) -> u64 {
        match self {
            Source::Stdin => 0,
            Source::File { path, .. } => std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
            Source::Zip { archive, name, .. } => File::open(archive)
                .ok()
                .and_then(|f| zip::ZipArchive::new(f).ok())
                .and_then(|mut z| z.by_name(name).ok().map(|e| e.size()))
                .unwrap_or(0),
        }
    }
}

/// The device and inode of every input read from disk (for a zip member,
/// its archive; for `-` standard input when it is a file), with the name
/// shown for it: an output with one of these ids would destroy an input.
pub fn input_ids(sources: &[Source]) -> HashMap<(u64, u64), String> {
    let mut ids = HashMap::new();
    for s in sources {
        let id = match s.disk_path() {
            Some(p) => xlogdec::atomic::file_id(p).ok().flatten(),
            None => stdin_id(),
        };
        if let Some(id) = id {
            ids.entry(id).or_insert_with(|| s.shown());
        }
    }
    ids
}

/// The device and inode of standard input, when it is a file (`< FILE`).
#[cfg(unix)]
fn stdin_id() -> Option<(u64, u64)> {
    use std::os::fd::AsFd;
    let fd = io::stdin().as_fd().try_clone_to_owned().ok()?;
    let meta = File::from(fd).metadata().ok()?;
    meta.is_file().then(|| xlogdec::atomic::id_of(&meta))
}

#[cfg(not(unix))]
fn stdin_id() -> Option<(u64, u64)> {
    None
}

/// An argument that expanded to nothing usable.
#[derive(Debug)]
pub struct ExpandError {
    /// The argument as given.
    pub arg: String,
    /// What is wrong with it.
    pub message: String,
}

/// What a directory holds that is decoded.
fn is_log(path: &Path) -> bool {
    has_ext(path, "xlog") || has_ext(path, "mmap3")
}

fn has_ext(path: &Path, ext: &str) -> bool {
    path.extension().is_some_and(|e| e == ext)
}

fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Whether `path` starts like a zip archive (local header or empty
/// archive), or is named `.zip`.
pub fn is_zip(path: &Path) -> bool {
    if has_ext(path, "zip") {
        return true;
    }
    let mut magic = [0u8; 4];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && (magic == *b"PK\x03\x04" || magic == *b"PK\x05\x06")
}

/// Expands the arguments in order. Directories are descended only with
/// `recursive` (else their direct `.xlog`/`.mmap3` files are taken).
/// Problems are returned beside the sources, so the good inputs still run.
pub fn expand(args: &[PathBuf], recursive: bool) -> (Vec<Source>, Vec<ExpandError>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for arg in args {
        let shown = arg.display().to_string();
        let err = |message: String| ExpandError {
            arg: shown.clone(),
            message,
        };
        if arg == Path::new("-") {
            out.push(Source::Stdin);
            continue;
        }
        if !arg.exists() && is_glob(&shown) {
            match glob_paths(&shown) {
                Ok(paths) if paths.is_empty() => errors.push(err("no file matches".into())),
                Ok(paths) => {
                    for p in paths {
                        add_path(&p, recursive, &mut out, &mut errors);
                    }
                }
                Err(e) => errors.push(err(e)),
            }
            continue;
        }
        add_path(arg, recursive, &mut out, &mut errors);
    }
    // The same input named twice is decoded once.
    let mut seen = std::collections::HashSet::new();
    out.retain(|s| seen.insert(s.clone()));
    (out, errors)
}

fn glob_paths(pattern: &str) -> Result<Vec<PathBuf>, String> {
    let paths = glob::glob(pattern).map_err(|e| format!("bad glob pattern: {e}"))?;
    let mut v: Vec<PathBuf> = paths.filter_map(Result::ok).collect();
    v.sort();
    Ok(v)
}

fn add_path(path: &Path, recursive: bool, out: &mut Vec<Source>, errors: &mut Vec<ExpandError>) {
    let shown = path.display().to_string();
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => match walk(path, recursive) {
            Ok(files) => {
                for f in files {
                    let rel = f.strip_prefix(path).unwrap_or(&f).to_path_buf();
                    out.push(Source::File { path: f, rel });
                }
            }
            Err(e) => errors.push(ExpandError {
                arg: shown,
                message: io_message(&e),
            }),
        },
        Ok(m) if m.is_file() && is_zip(path) => match zip_members(path) {
            Ok(v) => out.extend(v),
            Err(message) => errors.push(ExpandError {
                arg: shown,
                message,
            }),
        },
        // A missing or unreadable file is reported when it is opened, with
        // the others' results.
        _ => out.push(Source::File {
            path: path.to_path_buf(),
            rel: PathBuf::from(path.file_name().unwrap_or(path.as_os_str())),
        }),
    }
}

/// The `.xlog`/`.mmap3` files in `dir` (and below, with `recursive`;
/// symlinked directories are not followed), sorted.
pub fn walk(dir: &Path, recursive: bool) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let ty = e.file_type()?;
        if ty.is_dir() {
            if recursive {
                files.extend(walk(&path, true)?);
            }
        } else if is_log(&path) && path.is_file() {
            files.push(path);
        }
    }
    Ok(files)
}

/// The decodable members of a zip archive, sorted by name.
fn zip_members(archive: &Path) -> Result<Vec<Source>, String> {
    let f = File::open(archive).map_err(|e| io_message(&e))?;
    let z = zip::ZipArchive::new(f).map_err(|e| format!("not a readable zip archive: {e}"))?;
    let stem = PathBuf::from(archive.file_stem().unwrap_or(archive.as_os_str()));
    let mut names: Vec<(String, PathBuf)> = Vec::new();
    for name in z.file_names() {
        let name = name.map_err(|e| format!("bad member name in zip archive: {e}"))?;
        if !(name.ends_with(".xlog") || name.ends_with(".mmap3")) {
            continue;
        }
        // Only names that stay inside the output directory.
        let Some(safe) = sanitise(&name) else {
            return Err(format!("member {name:?} would leave the output directory"));
        };
        names.push((name.to_string(), stem.join(safe)));
    }
    names.sort();
    Ok(names
        .into_iter()
        .map(|(name, rel)| Source::Zip {
            archive: archive.to_path_buf(),
            name,
            rel,
        })
        .collect())
}

/// A member name as a relative path with no `..`, root or drive part.
fn sanitise(name: &str) -> Option<PathBuf> {
    let mut p = PathBuf::new();
    for part in name.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => return None,
            s if s.contains(':') => return None,
            s => p.push(s),
        }
    }
    (!p.as_os_str().is_empty()).then_some(p)
}

/// A short text for an I/O error on an input.
pub fn io_message(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_member_names_cannot_leave_the_output_directory() {
        assert_eq!(sanitise("a/b.xlog"), Some(PathBuf::from("a/b.xlog")));
        assert_eq!(sanitise("/abs/b.xlog"), Some(PathBuf::from("abs/b.xlog")));
        assert_eq!(sanitise("../b.xlog"), None);
        assert_eq!(sanitise("a/../../b.xlog"), None);
        assert_eq!(sanitise("C:/b.xlog"), None);
    }
}
