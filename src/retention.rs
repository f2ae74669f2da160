//! Which xlog files are past retention, and their removal.
//!
//! The rule, shared by `xlogdec clean` and the viewer's directory mode:
//!
//! - A file's date comes from its Mars name, `PREFIX_YYYYMMDD.xlog` or
//!   `PREFIX_YYYYMMDD_N.xlog` (see [`file_date_from_name`]). A file whose
//!   name carries no valid date falls back to the local date of its
//!   modification time.
//! - A file is expired when its date is **more than** `keep_days` days
//!   before the reference day ("today"): `today - date > keep_days` (see
//!   [`is_expired`]). By default the reference day is the day of the newest
//!   dated log in the directory ([`Policy::from_newest_log`]), so that an
//!   old bundle keeps its last days as the device did. With
//!   the default of 7 days and today 2024-02-08, a file dated 2024-02-01
//!   (7 days old) is kept and one dated 2024-01-31 (8 days old) is expired.
//!   Dates in the future are never expired.
//! - Only regular files directly inside the directory whose names end in
//!   `.xlog` are candidates; with [`Policy::recursive`] real sub-directories
//!   are searched too (symlinked ones never), and with
//!   [`Policy::include_decoded`] the decoder's `*.xlog.log` outputs count
//!   as well. The writer's live `.mmap3` buffer, symlinks, directories and
//!   every other file are never candidates.
//!
//! [`scan`] examines a directory and gives every entry a [`Verdict`];
//! [`remove`] deletes the expired ones after checking each path again.
//!
//! ```
//! use chrono::NaiveDate;
//! use xlogdec::retention::{file_date_from_name, is_expired, Policy};
//!
//! let today = NaiveDate::from_ymd_opt(2024, 2, 8).unwrap();
//! let policy = Policy::new(today);
//! let date = file_date_from_name("imsdk_20240131_2.xlog").unwrap();
//! assert!(is_expired(date, &policy));
//! let date = file_date_from_name("imsdk_20240201.xlog").unwrap();
//! assert!(!is_expired(date, &policy));
//! ```

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Local, NaiveDate};

/// Days of logs kept by default, as the IM SDK does.
pub const DEFAULT_KEEP_DAYS: u32 = 7;

/// Extension of the files the Mars writer produces.
const XLOG_SUFFIX: &str = ".xlog";
/// Extension the decoder appends to its outputs (`NAME.xlog.log`).
const DECODED_SUFFIX: &str = ".xlog.log";
/// Extension of the writer's live memory-mapped buffer.
const MMAP_SUFFIX: &str = ".mmap3";

/// What to keep and where to look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Files dated more than this many days before `today` are expired.
    pub keep_days: u32,
    /// The reference day the days are counted back from ("today" in the
    /// rule): by default the newest dated log's day, see
    /// [`Policy::from_newest_log`].
    pub today: NaiveDate,
    /// Where `today` came from, to tell the user.
    pub reference: Reference,
    /// Search real sub-directories too (symlinked ones are never followed).
    pub recursive: bool,
    /// Treat the decoder's `*.xlog.log` outputs as candidates as well.
    pub include_decoded: bool,
}

impl Policy {
    /// The default policy (7 days, this directory only, `.xlog` files only)
    /// with `today` as the reference date.
    pub fn new(today: NaiveDate) -> Self {
        Policy {
            keep_days: DEFAULT_KEEP_DAYS,
            today,
            reference: Reference::Given,
            recursive: false,
            include_decoded: false,
        }
    }

    /// This policy counting back from the day of the newest dated log in
    /// `dir` (the last day the SDK wrote there), so that an old bundle keeps
    /// its last `keep_days` days exactly as the device would; `today` (the
    /// machine's date) stays the reference when no log is dated, or when the
    /// newest is dated later (a device clock ahead must not expire the rest).
    /// Dates from names count first; modification times only when no name
    /// carries a date (a copy's mtime is the day it was copied).
    pub fn from_newest_log(self, dir: &Path) -> io::Result<Policy> {
        let cands = scan(dir, &self)?;
        let dated = |source| {
            cands
                .iter()
                .filter(|c| c.date_source == Some(source))
                .filter_map(|c| Some((c.date?, c)))
                .max_by_key(|(d, _)| *d)
        };
        let newest = dated(DateSource::Name).or_else(|| dated(DateSource::Mtime));
        let name = |c: &Candidate| {
            c.path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let (today, reference) = match newest {
            None => (self.today, Reference::TodayNoDatedLog),
            Some((d, c)) if d > self.today => (self.today, Reference::TodayNewestLater(name(c))),
            Some((d, c)) => (d, Reference::NewestLog(name(c))),
        };
        Ok(Policy {
            today,
            reference,
            ..self
        })
    }

    /// The first day kept: `today - keep_days`.
    pub fn first_kept_day(&self) -> NaiveDate {
        self.today - chrono::Days::new(u64::from(self.keep_days))
    }
}

/// Where the reference day of a [`Policy`] came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reference {
    /// Given explicitly (`--now`, a test).
    Given,
    /// The machine's date, asked for.
    Today,
    /// The date of the newest dated log (its file name).
    NewestLog(String),
    /// The machine's date: no log in the directory carries a date.
    TodayNoDatedLog,
    /// The machine's date: the newest log (its file name) is dated later.
    TodayNewestLater(String),
}

impl Reference {
    /// A short name for machine-readable output: `given`, `today` or
    /// `newest-log`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Reference::Given => "given",
            Reference::NewestLog(_) => "newest-log",
            Reference::Today | Reference::TodayNoDatedLog | Reference::TodayNewestLater(_) => {
                "today"
            }
        }
    }

    /// The log file the day was taken from or compared with, if any.
    pub fn file(&self) -> Option<&str> {
        match self {
            Reference::NewestLog(f) | Reference::TodayNewestLater(f) => Some(f),
            _ => None,
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reference::Given => f.write_str("given"),
            Reference::Today => f.write_str("today"),
            Reference::NewestLog(n) => write!(f, "the day of the newest log, {n}"),
            Reference::TodayNoDatedLog => f.write_str("today: no log here carries a date"),
            Reference::TodayNewestLater(n) => {
                write!(f, "today: the newest log, {n}, is dated later")
            }
        }
    }
}

/// Today's date in the local time zone.
pub fn local_today() -> NaiveDate {
    Local::now().date_naive()
}

/// The date in a Mars log file name, or `None` if the name carries none.
///
/// Accepted: `PREFIX_YYYYMMDD.xlog` and the size-split `PREFIX_YYYYMMDD_N.xlog`,
/// and the same names followed by `.log` (decoded outputs). The prefix may
/// contain underscores. The date must exist: `20240230` is not a date.
pub fn file_date_from_name(name: &str) -> Option<NaiveDate> {
    let stem = name
        .strip_suffix(DECODED_SUFFIX)
        .or_else(|| name.strip_suffix(XLOG_SUFFIX))?;
    let (rest, last) = stem.rsplit_once('_')?;
    if let Some(date) = parse_yyyymmdd(last) {
        return Some(date);
    }
    // `PREFIX_YYYYMMDD_N`: `last` is the split index.
    if last.is_empty() || !last.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (_prefix, date) = rest.rsplit_once('_')?;
    parse_yyyymmdd(date)
}

/// Parses exactly eight ASCII digits as a calendar date.
fn parse_yyyymmdd(s: &str) -> Option<NaiveDate> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year = s[0..4].parse().ok()?;
    let month = s[4..6].parse().ok()?;
    let day = s[6..8].parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Whole days from `date` to `today`; negative for dates in the future.
pub fn age_days(date: NaiveDate, today: NaiveDate) -> i64 {
    (today - date).num_days()
}

/// Whether a file dated `date` is past retention: `today - date > keep_days`.
///
/// A file exactly `keep_days` old is kept; one day older is expired.
pub fn is_expired(date: NaiveDate, policy: &Policy) -> bool {
    age_days(date, policy.today) > i64::from(policy.keep_days)
}

/// Where a candidate's date came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateSource {
    /// The Mars file name.
    Name,
    /// The file's modification time, as a local date (the name had no date).
    Mtime,
}

impl DateSource {
    /// A short lowercase name: `name` or `mtime`.
    pub fn as_str(self) -> &'static str {
        match self {
            DateSource::Name => "name",
            DateSource::Mtime => "mtime",
        }
    }
}

/// Why an entry is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeepReason {
    /// A log file within the retention period (or dated in the future).
    Fresh,
    /// The writer's live `.mmap3` buffer: never removed.
    LiveBuffer,
    /// A symbolic link: never followed, never removed.
    Symlink,
    /// A directory that was not searched (no recursion asked for).
    Directory,
    /// A decoded `*.xlog.log` output, and decoded outputs were not included.
    DecodedOutput,
    /// A regular file that is not an xlog file.
    NotXlog,
    /// Not a regular file (fifo, socket, device).
    NotRegularFile,
    /// The entry could not be examined; the text says why.
    Unreadable(String),
}

impl fmt::Display for KeepReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeepReason::Fresh => f.write_str("within retention"),
            KeepReason::LiveBuffer => f.write_str("live .mmap3 buffer"),
            KeepReason::Symlink => f.write_str("symbolic link"),
            KeepReason::Directory => f.write_str("directory"),
            KeepReason::DecodedOutput => f.write_str("decoded output, not included"),
            KeepReason::NotXlog => f.write_str("not an xlog file"),
            KeepReason::NotRegularFile => f.write_str("not a regular file"),
            KeepReason::Unreadable(why) => write!(f, "cannot be examined: {why}"),
        }
    }
}

/// The verdict on one examined entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Past retention: [`remove`] deletes it.
    Expired,
    /// Kept, and why.
    Kept(KeepReason),
}

/// One entry examined by [`scan`], with its verdict.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The entry's path: the scanned directory joined with the entry's
    /// path relative to it.
    pub path: PathBuf,
    /// The file's date, for log files (`None` for entries that are not).
    pub date: Option<NaiveDate>,
    /// Where `date` came from.
    pub date_source: Option<DateSource>,
    /// `today - date` in days, when there is a date.
    pub age_days: Option<i64>,
    /// Size in bytes at scan time (0 for entries that are not regular files).
    pub size: u64,
    /// Expired, or kept and why.
    pub verdict: Verdict,
    /// The scanned directory, canonicalized: removal refuses paths that no
    /// longer resolve inside it.
    root: Arc<PathBuf>,
}

impl Candidate {
    /// Whether [`remove`] would delete this entry.
    pub fn is_expired(&self) -> bool {
        self.verdict == Verdict::Expired
    }
}

/// Examines `dir` and returns every entry with a verdict, sorted by path.
///
/// `dir` itself may be a symlink to a directory; nothing below it is
/// followed. An error means `dir` is unusable (missing, not a directory,
/// unreadable). Problems with single entries or sub-directories do not
/// stop the scan: they come back as [`KeepReason::Unreadable`].
pub fn scan(dir: &Path, policy: &Policy) -> io::Result<Vec<Candidate>> {
    let meta = fs::metadata(dir)?;
    if !meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            "not a directory",
        ));
    }
    let root = Arc::new(fs::canonicalize(dir)?);
    let entries = read_dir_sorted(dir)?;
    let mut out = Vec::new();
    scan_entries(entries, policy, &root, &mut out);
    Ok(out)
}

/// The paths in `dir`, sorted by file name (naturally: `_2` before `_10`).
fn read_dir_sorted(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut paths = fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<io::Result<Vec<_>>>()?;
    paths.sort_by(|a, b| crate::names::natural_cmp_path(a, b));
    Ok(paths)
}

fn scan_entries(
    paths: Vec<PathBuf>,
    policy: &Policy,
    root: &Arc<PathBuf>,
    out: &mut Vec<Candidate>,
) {
    for path in paths {
        let kept = |reason| Candidate {
            path: path.clone(),
            date: None,
            date_source: None,
            age_days: None,
            size: 0,
            verdict: Verdict::Kept(reason),
            root: Arc::clone(root),
        };
        let meta = match fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            // Vanished since the directory was listed: nothing to judge.
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => {
                out.push(kept(KeepReason::Unreadable(e.to_string())));
                continue;
            }
        };
        let file_type = meta.file_type();
        if file_type.is_symlink() {
            out.push(kept(KeepReason::Symlink));
            continue;
        }
        if file_type.is_dir() {
            if !policy.recursive {
                out.push(kept(KeepReason::Directory));
                continue;
            }
            match read_dir_sorted(&path) {
                Ok(children) => scan_entries(children, policy, root, out),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => out.push(kept(KeepReason::Unreadable(e.to_string()))),
            }
            continue;
        }
        // Names that are not UTF-8 cannot be Mars names; judge them as text
        // anyway so that `.xlog` files with odd prefixes still count.
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.ends_with(MMAP_SUFFIX) || name.contains(".mmap3.") {
            out.push(kept(KeepReason::LiveBuffer));
            continue;
        }
        let is_log = if name.ends_with(XLOG_SUFFIX) {
            true
        } else if name.ends_with(DECODED_SUFFIX) {
            if !policy.include_decoded {
                out.push(kept(KeepReason::DecodedOutput));
                continue;
            }
            true
        } else {
            false
        };
        if !file_type.is_file() {
            out.push(kept(KeepReason::NotRegularFile));
            continue;
        }
        if !is_log {
            out.push(kept(KeepReason::NotXlog));
            continue;
        }
        let (date, source) = match file_date_from_name(&name) {
            Some(date) => (date, DateSource::Name),
            None => match meta.modified() {
                Ok(mtime) => (
                    DateTime::<Local>::from(mtime).date_naive(),
                    DateSource::Mtime,
                ),
                Err(e) => {
                    out.push(kept(KeepReason::Unreadable(format!(
                        "no date in the name and no modification time: {e}"
                    ))));
                    continue;
                }
            },
        };
        let verdict = if is_expired(date, policy) {
            Verdict::Expired
        } else {
            Verdict::Kept(KeepReason::Fresh)
        };
        out.push(Candidate {
            path: path.clone(),
            date: Some(date),
            date_source: Some(source),
            age_days: Some(age_days(date, policy.today)),
            size: meta.len(),
            verdict,
            root: Arc::clone(root),
        });
    }
}

/// Why a file could not be removed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RemoveError {
    /// The path is no longer a regular file (replaced by a symlink, a
    /// directory, ...) since the scan.
    #[error("no longer a regular file")]
    NotRegularFile,
    /// The path no longer resolves inside the scanned directory (a parent
    /// directory was replaced by a symlink since the scan).
    #[error("no longer inside the scanned directory")]
    OutsideDir,
    /// The file system refused (permissions, the file vanished, ...).
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// The outcome of removing one expired file.
#[derive(Debug)]
pub struct Removal {
    /// The file, as judged by [`scan`].
    pub candidate: Candidate,
    /// Bytes freed, or why the file is still there.
    pub result: Result<u64, RemoveError>,
}

/// Removes the expired candidates and reports on each; kept ones are skipped.
///
/// Just before each removal the path is checked again, without following
/// symlinks: it must still be a regular file, and its parent must still
/// resolve inside the scanned directory. A failure is reported and the
/// rest continue. (The check and the unlink are two system calls, so a
/// path swapped between them is not caught; the unlink itself never
/// follows a final symlink.)
pub fn remove(candidates: &[Candidate]) -> Vec<Removal> {
    candidates
        .iter()
        .filter(|c| c.is_expired())
        .map(|c| Removal {
            candidate: c.clone(),
            result: remove_one(c),
        })
        .collect()
}

fn remove_one(c: &Candidate) -> Result<u64, RemoveError> {
    let meta = fs::symlink_metadata(&c.path)?;
    if !meta.file_type().is_file() {
        return Err(RemoveError::NotRegularFile);
    }
    let parent = c.path.parent().ok_or(RemoveError::OutsideDir)?;
    let parent = fs::canonicalize(parent)?;
    if !parent.starts_with(c.root.as_path()) {
        return Err(RemoveError::OutsideDir);
    }
    fs::remove_file(&c.path)?;
    Ok(meta.len())
}

#[cfg(test)]
mod tests;
