//! User-defined line shapes: a small TOML file with a regex whose named
//! groups are the record's fields, a map of level texts, and a time
//! format (as lnav's format definitions do).
//!
//! ```toml
//! # Lines like: 2024-03-12 09:55:35.125 <E> [1234:5678] net/conn.cpp:42 Open: refused
//! regex = '(?P<date>\d{4}-\d\d-\d\d) (?P<time>[\d:.]{12}) <(?P<level>\w)> \[(?P<pid>\d+):(?P<tid>\d+)\] (?P<file>[^:]+):(?P<line>\d+) (?P<func>\w+): (?P<msg>.*)'
//! time_format = "%Y-%m-%d %H:%M:%S%.3f"
//! [levels]
//! E = "error"
//! W = "warn"
//! ```
//!
//! The regex is matched at the start of each line that no built-in shape
//! claims (the first [`LINE_LIMIT`] bytes of it); a line it matches starts
//! a record. Groups `level`, `time` and `msg` are required; `date`, `pid`,
//! `tid`, `tag`, `file`, `line` and `func` are optional. `date` and `time`
//! are joined with one space before `time_format` (chrono's `strftime`
//! syntax; with `%z` the offset is read too) reads them. A level text is
//! looked up in `levels` (values: `V D I W E F` or a level name), else read
//! as a level letter or name itself; a line whose level is neither starts
//! a record without a level. The message runs from `msg` to the end of the
//! record (its continuation lines included).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::{DateTime, NaiveDateTime};
use regex::bytes::{Regex, RegexBuilder};
use serde::Deserialize;

use super::super::{Header, Level, LineFormat, Timestamp, int, num};
use super::{first_line, message_end};

/// The most bytes of a line the regex sees when deciding whether the line
/// starts a record.
pub const LINE_LIMIT: usize = 4096;

/// The groups a format's regex may name.
pub const GROUPS: [&str; 10] = [
    "level", "date", "time", "pid", "tid", "tag", "file", "line", "func", "msg",
];

/// The groups a format's regex must name.
pub const REQUIRED: [&str; 3] = ["level", "time", "msg"];

/// A format file that cannot be used: which file, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line format {}: {problem}", path.display())]
pub struct FormatError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong with it.
    pub problem: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FormatFile {
    name: Option<String>,
    regex: String,
    time_format: String,
    #[serde(default)]
    levels: BTreeMap<String, String>,
}

/// A user-defined line shape, ready to parse lines.
#[derive(Debug, Clone)]
pub struct CustomFormat {
    name: String,
    regex: Regex,
    time_format: String,
    with_offset: bool,
    levels: Vec<(Vec<u8>, Level)>,
}

impl CustomFormat {
    /// Reads and checks the format file at `path`.
    pub fn load(path: &Path) -> Result<CustomFormat, FormatError> {
        let text = std::fs::read_to_string(path).map_err(|e| FormatError {
            path: path.to_path_buf(),
            problem: format!("cannot read it: {e}"),
        })?;
        CustomFormat::from_toml(&text, path)
    }

    /// Checks the format in `text`, read from `path` (named in errors).
    pub fn from_toml(text: &str, path: &Path) -> Result<CustomFormat, FormatError> {
        let bad = |problem: String| FormatError {
            path: path.to_path_buf(),
            problem,
        };
        let file: FormatFile =
            toml::from_str(text).map_err(|e| bad(format!("not a format file: {e}")))?;
        let regex = RegexBuilder::new(&format!("^(?:{})", file.regex))
            .build()
            .map_err(|e| bad(format!("bad regex: {e}")))?;
        let names: Vec<&str> = regex.capture_names().flatten().collect();
        if let Some(unknown) = names.iter().find(|n| !GROUPS.contains(n)) {
            return Err(bad(format!(
                "unknown group {unknown:?} in the regex: groups are {}",
                GROUPS.join(", ")
            )));
        }
        if let Some(missing) = REQUIRED.iter().find(|r| !names.contains(r)) {
            return Err(bad(format!(
                "the regex has no group {missing:?} (it needs {})",
                REQUIRED.join(", ")
            )));
        }
        if file.time_format.trim().is_empty() {
            return Err(bad("time_format is empty".into()));
        }
        let mut levels = Vec::new();
        for (text, level) in &file.levels {
            let l = Level::parse(level).map_err(|_| {
                bad(format!(
                    "unknown level {level:?} for {text:?} in [levels]: expected one of V D I W E F or verbose, debug, info, warn, error, fatal"
                ))
            })?;
            levels.push((text.as_bytes().to_vec(), l));
        }
        let with_offset = file.time_format.contains("%z")
            || file.time_format.contains("%:z")
            || file.time_format.contains("%#z");
        Ok(CustomFormat {
            name: file.name.unwrap_or_else(|| "custom".into()),
            regex,
            time_format: file.time_format,
            with_offset,
            levels,
        })
    }

    /// The format's name (`name` in the file, else `custom`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether `line` (from its first byte; it may go on past its `\n`)
    /// starts a record of this shape.
    pub fn starts(&self, line: &[u8]) -> bool {
        let line = &line[..line.len().min(LINE_LIMIT)];
        self.regex.is_match(first_line(line))
    }

    /// Parses a record whose first line this shape matches: its level
    /// (when known), and its header when the time parses. `None` when the
    /// regex does not match.
    pub fn parse<'a>(&self, rec: &'a [u8]) -> Option<(Option<Level>, Option<Header<'a>>)> {
        let line = first_line(rec);
        let caps = self.regex.captures(&line[..line.len().min(LINE_LIMIT)])?;
        let text = |name: &str| caps.name(name).map(|m| m.as_bytes());
        let level_text = text("level").unwrap_or_default();
        let level = self
            .levels
            .iter()
            .find(|(t, _)| t == level_text)
            .map(|&(_, l)| l)
            .or_else(|| Level::parse(std::str::from_utf8(level_text).ok()?).ok());
        let Some(level) = level else {
            return Some((None, None));
        };
        let time = caps.name("time")?;
        let date = caps.name("date");
        let raw = match date {
            Some(d) if d.start() < time.start() => &line[d.start()..time.end()],
            _ => time.as_bytes(),
        };
        let joined = match date {
            Some(d) => [d.as_bytes(), b" ", time.as_bytes()].concat(),
            None => time.as_bytes().to_vec(),
        };
        let Some((local, offset_minutes)) = self.read_time(std::str::from_utf8(&joined).ok())
        else {
            return Some((Some(level), None));
        };
        let msg = caps.name("msg")?;
        let header = Header {
            timestamp: Timestamp {
                local,
                offset_minutes,
                raw,
            },
            pid: text("pid").and_then(int).unwrap_or(0),
            tid: text("tid").and_then(int).unwrap_or(0),
            main_thread: false,
            tag: text("tag").unwrap_or_default(),
            file: text("file").unwrap_or_default(),
            line: text("line").and_then(num).unwrap_or(0),
            func: text("func").unwrap_or_default(),
            message: &rec[msg.start()..message_end(rec).max(msg.start())],
            format: LineFormat::Custom,
        };
        Some((Some(level), Some(header)))
    }

    fn read_time(&self, s: Option<&str>) -> Option<(NaiveDateTime, Option<i32>)> {
        let s = s?;
        if self.with_offset {
            let t = DateTime::parse_from_str(s, &self.time_format).ok()?;
            return Some((t.naive_local(), Some(t.offset().local_minus_utc() / 60)));
        }
        Some((
            NaiveDateTime::parse_from_str(s, &self.time_format).ok()?,
            None,
        ))
    }
}

static INSTALLED: OnceLock<CustomFormat> = OnceLock::new();

/// Makes `format` known to every record parser of the process (it is
/// tried on lines that no built-in shape claims). Once per process: a
/// second call changes nothing and returns `false`.
pub fn install(format: CustomFormat) -> bool {
    INSTALLED.set(format).is_ok()
}

/// The installed format, if any.
#[inline]
pub fn installed() -> Option<&'static CustomFormat> {
    INSTALLED.get()
}

/// [`CustomFormat::parse`] with the installed format.
#[inline]
pub(crate) fn parse_installed(rec: &[u8]) -> Option<(Option<Level>, Option<Header<'_>>)> {
    installed()?.parse(rec)
}

/// [`CustomFormat::starts`] with the installed format.
#[inline]
pub(crate) fn starts_installed(line: &[u8]) -> bool {
    installed().is_some_and(|f| f.starts(line))
}

#[cfg(test)]
mod tests;
