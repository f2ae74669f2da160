//! What the command line names, expanded into a list of inputs: files,
//! directories (`-r` descends), glob patterns, and the `.xlog`/`.mmap3`
//! members of archives as customers send them: `.zip`, `.tar`,
//! `.tar.gz`/`.tgz`, a `.gz` of one log, and archives inside archives.
//! Names are ordered naturally (`_2` before `_10`), so a run is
//! deterministic and reads like a listing.
//!
//! Archives are read with the `zip`, `tar` and `flate2` crates. Members of
//! a zip or a plain tar on disk are read in place when decoded; members of
//! compressed tars and of nested archives are unpacked once, while the
//! inputs are listed, into an anonymous temporary file (gone with the
//! process, even when it is killed). Every byte unpacked from one archive
//! counts against `--max-unpacked`, and archives nest at most
//! [`MAX_DEPTH`] deep: a decompression bomb is refused with an error that
//! names the member.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;
use xlogdec::names::natural_cmp_path;

mod archive;
use archive::*;

/// `inputs`, or `-` (stdin) when none are given and stdin is not a
/// terminal (like rg, bat and jq: a pipe on stdin is the input). With
/// neither, says so after `cmd` (`xlogdec info`) and gives the exit code 2.
pub fn or_stdin(inputs: &mut Vec<PathBuf>, cmd: &str) -> Result<(), i32> {
    if inputs.is_empty() {
        if io::stdin().is_terminal() {
            eprintln!("{cmd}: no input given (try `{cmd} --help`)");
            return Err(2);
        }
        inputs.push(PathBuf::from("-"));
    }
    Ok(())
}

/// How deep archives may nest: an archive in an archive in an archive...
pub const MAX_DEPTH: usize = 4;

/// The default bound on the bytes unpacked from one archive (16 GiB).
pub const DEFAULT_MAX_UNPACKED: u64 = 16 << 30;

/// One input to decode.
#[derive(Debug, Clone)]
pub enum Source {
    /// Standard input (`-`).
    Stdin,
    /// A file on disk. `rel` is its path below `--out-dir`: the named
    /// directory's own name, then the path below it (for directory
    /// inputs), else its file name.
    File {
        /// The file.
        path: PathBuf,
        /// Where its output goes below `--out-dir`.
        rel: PathBuf,
    },
    /// A member of a zip archive on disk, unpacked as it is decoded.
    Zip {
        /// The archive.
        archive: PathBuf,
        /// The member's name in the archive.
        name: String,
        /// Where its output goes below `--out-dir`: the archive's stem,
        /// then the member's (sanitised) path.
        rel: PathBuf,
    },
    /// A gzip-compressed log on disk (`NAME.xlog.gz`), unpacked as it is
    /// decoded.
    Gz {
        /// The file.
        path: PathBuf,
        /// Where its output goes below `--out-dir` (without `.gz`).
        rel: PathBuf,
    },
    /// A byte range of a file: a member of a plain tar on disk, or a
    /// member unpacked into the temporary file.
    Part(Part),
}

/// A log that is a byte range of an open file.
#[derive(Debug, Clone)]
pub struct Part {
    whole: Arc<File>,
    offset: u64,
    len: u64,
    /// The archive on disk it comes from.
    archive: PathBuf,
    /// `archive:member[:member...]`.
    shown: String,
    /// Where its output goes below `--out-dir`.
    rel: PathBuf,
}

/// An input opened for decoding, handed to the caller's decoding code.
pub enum Opened<'a> {
    /// Standard input.
    Stdin,
    /// A regular file, to map, and its size.
    Map(File, u64),
    /// A stream (a pipe, an archive member) and its size where known.
    Stream(&'a mut dyn Read, u64),
}

impl Source {
    /// The name shown in messages.
    pub fn shown(&self) -> String {
        match self {
            Source::Stdin => "-".into(),
            Source::File { path, .. } | Source::Gz { path, .. } => path.display().to_string(),
            Source::Zip { archive, name, .. } => format!("{}:{name}", archive.display()),
            Source::Part(p) => p.shown.clone(),
        }
    }

    /// Whether it is a crash buffer (by name).
    pub fn is_mmap3(&self) -> bool {
        match self {
            Source::Stdin => false,
            Source::File { path, .. } => has_ext(path, "mmap3"),
            Source::Gz { rel, .. } => has_ext(rel, "mmap3"),
            Source::Zip { name, .. } => name.ends_with(".mmap3"),
            Source::Part(p) => has_ext(&p.rel, "mmap3"),
        }
    }

    /// The path below `--out-dir` (without the output suffix).
    pub fn rel(&self) -> Option<&Path> {
        match self {
            Source::Stdin => None,
            Source::File { rel, .. } | Source::Zip { rel, .. } | Source::Gz { rel, .. } => {
                Some(rel)
            }
            Source::Part(p) => Some(&p.rel),
        }
    }

    /// What makes two sources the same input: the path as its components
    /// (`logs//a.xlog` is `logs/a.xlog`), and the member.
    fn key(&self) -> String {
        let norm = |p: &Path| p.components().collect::<PathBuf>().display().to_string();
        match self {
            Source::Stdin => "-".into(),
            Source::File { path, .. } => format!("file:{}", norm(path)),
            Source::Gz { path, .. } => format!("gz:{}", norm(path)),
            Source::Zip { archive, name, .. } => format!("zip:{}:{name}", norm(archive)),
            Source::Part(p) => format!("part:{}", p.shown),
        }
    }

    fn rel_mut(&mut self) -> Option<&mut PathBuf> {
        match self {
            Source::Stdin => None,
            Source::File { rel, .. } | Source::Zip { rel, .. } | Source::Gz { rel, .. } => {
                Some(rel)
            }
            Source::Part(p) => Some(&mut p.rel),
        }
    }

    /// The file on disk it is read from (for not overwriting inputs).
    pub fn disk_path(&self) -> Option<&Path> {
        match self {
            Source::Stdin => None,
            Source::File { path, .. } | Source::Gz { path, .. } => Some(path),
            Source::Zip { archive, .. } => Some(archive),
            Source::Part(p) => Some(&p.archive),
        }
    }

    /// Input size in bytes, where cheaply known (progress).
    pub fn size(&self) -> u64 {
        match self {
            Source::Stdin => 0,
            Source::File { path, .. } | Source::Gz { path, .. } => {
                std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
            }
            Source::Zip { archive, name, .. } => File::open(archive)
                .ok()
                .and_then(|f| zip::ZipArchive::new(f).ok())
                .and_then(|mut z| z.by_name(name).ok().map(|e| e.size()))
                .unwrap_or(0),
            Source::Part(p) => p.len,
        }
    }

    /// Opens it and hands it to `decode`; what is unpacked on the way
    /// fails the read past `max_unpacked` bytes (a decompression bomb).
    pub fn open_with<T>(
        &self,
        max_unpacked: u64,
        decode: impl FnOnce(Opened<'_>) -> T,
    ) -> Result<T, String> {
        match self {
            Source::Stdin => {
                // A gzipped log piped in (`gzip -c a.xlog | xlogdec`) is
                // unpacked; the bytes looked at stay in stdin's buffer.
                let stdin = io::stdin();
                let mut lock = stdin.lock();
                if lock.fill_buf().is_ok_and(|b| b.starts_with(b"\x1f\x8b")) {
                    let budget = Budget::new(max_unpacked);
                    let gz = flate2::bufread::MultiGzDecoder::new(lock);
                    let mut r = budget.count(gz, "standard input".into());
                    return Ok(decode(Opened::Stream(&mut r, 0)));
                }
                drop(lock);
                Ok(decode(Opened::Stdin))
            }
            Source::File { path, .. } => {
                let mut file = File::open(path).map_err(|e| io_message(&e))?;
                let meta = file.metadata().map_err(|e| e.to_string())?;
                if meta.is_dir() {
                    Err("is a directory".into())
                } else if meta.is_file() {
                    Ok(decode(Opened::Map(file, meta.len())))
                } else {
                    Ok(decode(Opened::Stream(&mut file, 0)))
                }
            }
            Source::Gz { path, .. } => {
                let file = File::open(path).map_err(|e| io_message(&e))?;
                let size = file.metadata().map(|m| m.len()).unwrap_or(0);
                let budget = Budget::new(max_unpacked);
                let mut r = budget.count(
                    MultiGzDecoder::new(BufReader::new(file)),
                    path.display().to_string(),
                );
                Ok(decode(Opened::Stream(&mut r, size)))
            }
            Source::Zip { archive, name, .. } => {
                let file = File::open(archive).map_err(|e| io_message(&e))?;
                let mut z = zip::ZipArchive::new(BufReader::new(file))
                    .map_err(|e| format!("not a readable zip archive: {e}"))?;
                let entry = z
                    .by_name(name)
                    .map_err(|e| format!("cannot read zip member: {e}"))?;
                let size = entry.size();
                let budget = Budget::new(max_unpacked);
                let mut r = budget.count(entry, self.shown());
                Ok(decode(Opened::Stream(&mut r, size)))
            }
            Source::Part(p) => {
                let mut r = RangeReader {
                    file: Arc::clone(&p.whole),
                    pos: p.offset,
                    end: p.offset + p.len,
                };
                Ok(decode(Opened::Stream(&mut r, p.len)))
            }
        }
    }
}

/// Reads `file[pos..end]` by positioned reads (readers on several
/// threads may share the file).
struct RangeReader {
    file: Arc<File>,
    pos: u64,
    end: u64,
}

impl Read for RangeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = buf.len().min((self.end - self.pos) as usize);
        if want == 0 {
            return Ok(0);
        }
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::read_at(&*self.file, &mut buf[..want], self.pos)?;
        #[cfg(windows)]
        let n = std::os::windows::fs::FileExt::seek_read(&*self.file, &mut buf[..want], self.pos)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the archive ends before the member does",
            ));
        }
        self.pos += n as u64;
        Ok(n)
    }
}

/// The bytes one archive may still unpack; the first reader to go past
/// it notes what it was reading (archive readers may reword the error it
/// returns, so the note is what the message is made from).
struct Budget {
    left: Cell<u64>,
    max: u64,
    blown: RefCell<Option<String>>,
}

impl Budget {
    fn new(max: u64) -> Budget {
        Budget {
            left: Cell::new(max),
            max,
            blown: RefCell::new(None),
        }
    }

    /// `inner`, counted against the budget; `what` names it in the error.
    fn count<R: Read>(&self, inner: R, what: String) -> Counted<'_, R> {
        Counted {
            inner,
            budget: self,
            what,
        }
    }

    fn message(&self, what: &str) -> String {
        format!(
            "{what} unpacks to more than {} bytes (a decompression bomb?): refused \
             (--max-unpacked raises the limit)",
            self.max
        )
    }

    /// The error to report: the bomb if one went off, else `other`.
    fn or(&self, other: String) -> String {
        self.blown.borrow().clone().unwrap_or(other)
    }
}

/// A reader whose bytes count against a [`Budget`]: past it, reads fail.
struct Counted<'b, R> {
    inner: R,
    budget: &'b Budget,
    what: String,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let left = self.budget.left.get();
        if n as u64 > left {
            let m = self.budget.message(&self.what);
            self.budget.blown.borrow_mut().get_or_insert(m.clone());
            return Err(io::Error::other(m));
        }
        self.budget.left.set(left - n as u64);
        Ok(n)
    }
}

/// The device and inode of every input read from disk (for a zip member,
/// its archive; for `-` standard input when it is a file), with the name
/// shown for it: an output with one of these ids would destroy an input.
pub fn input_ids(sources: &[Source]) -> HashMap<(u64, u64), String> {
    let mut ids = HashMap::new();
    for s in sources {
        let id = match s.disk_path() {
            Some(p) => xlogdec::render::atomic::file_id(p).ok().flatten(),
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
    meta.is_file()
        .then(|| xlogdec::render::atomic::id_of(&meta))
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

/// What the arguments expand to.
#[derive(Debug, Default)]
pub struct Expanded {
    /// The inputs, in order.
    pub sources: Vec<Source>,
    /// Arguments that could not be used (exit 2).
    pub errors: Vec<ExpandError>,
    /// Directories and archives that hold no log file (said on stderr;
    /// exit 1 with `--strict`).
    pub empty: Vec<ExpandError>,
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

/// The kinds of archive read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Zip,
    Tar,
    TarGz,
    /// A gzip stream of one log.
    Gz,
}

/// The archive kind of a file on disk, by its first bytes (then its name).
fn sniff(path: &Path) -> Option<Kind> {
    let mut head = [0u8; 512];
    let n = File::open(path)
        .and_then(|f| read_full(f, &mut head))
        .ok()?;
    let head = &head[..n];
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Some(Kind::Zip);
    }
    if is_tar_header(head) {
        return Some(Kind::Tar);
    }
    if head.starts_with(b"\x1f\x8b") {
        // A tar inside? Look at the first unpacked header.
        let mut inner = [0u8; 512];
        let gz = File::open(path).map(|f| MultiGzDecoder::new(BufReader::new(f)));
        let n = gz.and_then(|g| read_full(g, &mut inner)).unwrap_or(0);
        if is_tar_header(&inner[..n]) || name_kind(&path.to_string_lossy()) == Some(Kind::TarGz) {
            return Some(Kind::TarGz);
        }
        return Some(Kind::Gz);
    }
    match name_kind(&path.to_string_lossy()) {
        // A named archive that is none of the above is reported by the
        // archive reader.
        Some(Kind::Gz) | None => None,
        k => k,
    }
}

fn read_full<R: Read>(mut r: R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// A POSIX or GNU tar header: `ustar` at byte 257.
fn is_tar_header(head: &[u8]) -> bool {
    head.len() >= 262 && &head[257..262] == b"ustar"
}

/// The archive kind a name says (`.zip`, `.tar`, `.tgz`, `.tar.gz`, `.gz`).
fn name_kind(name: &str) -> Option<Kind> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".zip") {
        Some(Kind::Zip)
    } else if lower.ends_with(".tar") {
        Some(Kind::Tar)
    } else if lower.ends_with(".tgz") || lower.ends_with(".tar.gz") {
        Some(Kind::TarGz)
    } else if lower.ends_with(".gz") {
        Some(Kind::Gz)
    } else {
        None
    }
}

/// An archive's name without its archive suffix (`a.tar.gz` -> `a`).
fn archive_stem(name: &str) -> &str {
    let lower = name.to_ascii_lowercase();
    for suffix in [".tar.gz", ".tgz", ".zip", ".tar", ".gz"] {
        if lower.ends_with(suffix) && name.len() > suffix.len() {
            return &name[..name.len() - suffix.len()];
        }
    }
    name
}

/// Whether a member is a macOS resource fork or Finder litter
/// (`__MACOSX/...`, `._NAME`), never a log.
fn is_apple_double(name: &str) -> bool {
    name.split(['/', '\\'])
        .any(|part| part == "__MACOSX" || part.starts_with("._"))
}

/// Expands the arguments in order. Directories are descended only with
/// `recursive` (else their direct `.xlog`/`.mmap3` files are taken).
/// Problems are returned beside the sources, so the good inputs still run.
///
/// Each argument's outputs under `--out-dir` start with its own name (the
/// directory's or archive's, or the file's); when two arguments would
/// share one, the later gets `NAME-2`, `NAME-3`, ... so none collide.
pub fn expand(args: &[PathBuf], recursive: bool, max_unpacked: u64) -> Expanded {
    let mut ex = Expanded::default();
    let mut seen = std::collections::HashSet::new();
    // First component of `rel` -> the argument that took it.
    let mut tops: HashMap<PathBuf, usize> = HashMap::new();
    for (index, arg) in args.iter().enumerate() {
        let shown = arg.display().to_string();
        let mut got = Expanded::default();
        if arg == Path::new("-") {
            got.sources.push(Source::Stdin);
        } else if !arg.exists() && is_glob(&shown) {
            match glob_paths(&shown) {
                Ok(paths) if paths.is_empty() => got.errors.push(ExpandError {
                    arg: shown.clone(),
                    message: "no file matches".into(),
                }),
                Ok(paths) => {
                    for p in paths {
                        add_path(&p, recursive, max_unpacked, &mut got);
                    }
                }
                Err(message) => got.errors.push(ExpandError {
                    arg: shown.clone(),
                    message,
                }),
            }
        } else {
            add_path(arg, recursive, max_unpacked, &mut got);
        }
        // The same input named twice is decoded once.
        got.sources.retain(|s| seen.insert(s.key()));
        // Keep this argument's outputs apart from earlier arguments'.
        let mut renamed: HashMap<PathBuf, PathBuf> = HashMap::new();
        for src in &mut got.sources {
            let Some(rel) = src.rel_mut() else { continue };
            let Some(first) = rel.components().next() else {
                continue;
            };
            let first = PathBuf::from(first.as_os_str());
            let top = match renamed.get(&first) {
                Some(t) => t.clone(),
                None => {
                    let mut top = first.clone();
                    let mut n = 1;
                    while tops.get(&top).is_some_and(|&owner| owner != index) {
                        n += 1;
                        top = numbered(&first, n);
                    }
                    tops.insert(top.clone(), index);
                    renamed.insert(first.clone(), top.clone());
                    top
                }
            };
            if top != first {
                let rest = rel
                    .strip_prefix(&first)
                    .unwrap_or(Path::new(""))
                    .to_path_buf();
                *rel = top.join(rest);
            }
        }
        ex.sources.append(&mut got.sources);
        ex.errors.append(&mut got.errors);
        ex.empty.append(&mut got.empty);
    }
    ex
}

/// `name` with `-n` before its extension (`a.xlog` -> `a-2.xlog`, `logs`
/// -> `logs-2`).
fn numbered(name: &Path, n: usize) -> PathBuf {
    let s = name.to_string_lossy();
    match s.find('.').filter(|&i| i > 0) {
        Some(i) => PathBuf::from(format!("{}-{n}{}", &s[..i], &s[i..])),
        None => PathBuf::from(format!("{s}-{n}")),
    }
}

fn glob_paths(pattern: &str) -> Result<Vec<PathBuf>, String> {
    // As a shell does: `*` matches no leading dot (nor macOS `._` litter).
    let opts = glob::MatchOptions {
        require_literal_leading_dot: true,
        ..glob::MatchOptions::new()
    };
    let paths = glob::glob_with(pattern, opts).map_err(|e| format!("bad glob pattern: {e}"))?;
    let mut v: Vec<PathBuf> = paths.filter_map(Result::ok).collect();
    v.sort_by(|a, b| natural_cmp_path(a, b));
    Ok(v)
}

/// The name a directory argument goes by below `--out-dir`: its own
/// (`.` and `..` resolved).
fn dir_name(dir: &Path) -> PathBuf {
    let own = dir
        .file_name()
        .filter(|n| *n != "." && *n != "..")
        .map(PathBuf::from);
    own.or_else(|| {
        dir.canonicalize()
            .ok()
            .and_then(|c| c.file_name().map(PathBuf::from))
    })
    .unwrap_or_else(|| PathBuf::from("root"))
}

fn file_rel(path: &Path) -> PathBuf {
    PathBuf::from(path.file_name().unwrap_or(path.as_os_str()))
}

fn add_path(path: &Path, recursive: bool, max_unpacked: u64, ex: &mut Expanded) {
    let shown = path.display().to_string();
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => match walk(path, recursive) {
            Ok(files) => {
                if files.is_empty() {
                    let hint = if !recursive && has_subdir(path) {
                        " (-r looks in its sub-directories)"
                    } else {
                        ""
                    };
                    ex.empty.push(ExpandError {
                        arg: shown,
                        message: format!("no .xlog or .mmap3 file in this directory{hint}"),
                    });
                }
                let top = dir_name(path);
                for f in files {
                    let rel = top.join(f.strip_prefix(path).unwrap_or(&f));
                    ex.sources.push(Source::File { path: f, rel });
                }
            }
            Err(e) => ex.errors.push(ExpandError {
                arg: shown,
                message: io_message(&e),
            }),
        },
        Ok(m) if m.is_file() => match sniff(path) {
            Some(kind) => add_archive(path, kind, max_unpacked, ex),
            None => ex.sources.push(Source::File {
                path: path.to_path_buf(),
                rel: file_rel(path),
            }),
        },
        // A missing or unreadable file is reported when it is opened, with
        // the others' results.
        _ => ex.sources.push(Source::File {
            path: path.to_path_buf(),
            rel: file_rel(path),
        }),
    }
}

fn has_subdir(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|rd| {
        rd.filter_map(Result::ok)
            .any(|e| e.file_type().is_ok_and(|t| t.is_dir()))
    })
}

/// The `.xlog`/`.mmap3` files in `dir` (and below, with `recursive`;
/// symlinked directories are not followed), in natural order; macOS
/// litter (`._NAME`, `__MACOSX/`) left by unpacking a Mac zip is skipped.
pub fn walk(dir: &Path, recursive: bool) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by(|a, b| natural_cmp_path(Path::new(&a.file_name()), Path::new(&b.file_name())));
    for e in entries {
        let path = e.path();
        if is_apple_double(&e.file_name().to_string_lossy()) {
            continue;
        }
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
mod tests;
