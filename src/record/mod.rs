//! The Mars log-line format -> borrowed [`Record`]s, over `&[u8]`, with no I/O.
//!
//! Decoded xlog text is a sequence of lines. A **record** is one logged
//! message: its header line plus any continuation lines (multi-line bodies).
//! The split rule is line based and keeps every byte:
//!
//! * a line that begins with `[L]`, where `L` is one of `V D I W E F`, starts a
//!   record. If the rest parses as a Mars header (any of the three formats
//!   below) the record has a [`Header`]; otherwise only its [`Level`] is known
//!   (the writer's pseudo headers `[F][ last log file:...`, `[F]log_size <= ...`
//!   and the official decoder's `[F]decode_log_file.py ...` markers);
//! * a line that begins with one of the writer's header-less tips starts a raw
//!   record (no level, no header): the `^^^^^^^^^^` open banner, the
//!   `$$$$$$$$$$` close banner, `~~~~~ ` mmap markers, `get mmap time: `,
//!   `MARS_URL: ` and the other `MARS_*: ` build lines, `log appender mode:`,
//!   `log dir space info, `, `cache dir space info, `;
//! * any other line continues the record before it; text before the first
//!   record start is a raw record of its own.
//!
//! Concatenating the `bytes` of all records gives back the input exactly.
//! [`Records`] splits a whole slice; [`RecordSplitter`] does the same on a
//! stream of chunks and yields identical records, except that it hands out
//! a record longer than [`MAX_PIECE`] bytes in pieces, to bound its memory.
//!
//! Header formats (see `docs/xlog-format.md` section 7):
//! ```text
//! current   [I][2024-01-31 +8.0 10:02:11.123][12345, 140123*][tag][file.cc:123, func][body
//! pre-2021  [I][2024-01-31 +80 10:02:11.123][12345, 140123][tag][file.cc, func, 123][body
//! 2016-17   [I][2016-12-30 +8.0 10:00:00.023][27345, 27345*][tag][file.cc, func, 557][body
//! ```
//! FUNC may contain spaces, `[`, `]` and `:`; the body may contain `][`. In the
//! current format the location ends at the first `][` after `file:LINE, `; in
//! the older ones at the first `][` preceded by `, LINE`.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};

pub mod formats;
mod scan;
pub(crate) use scan::Spans;

mod split;
pub use split::*;
mod mars;
pub use mars::*;

/// Severity of a log line, ordered from [`Level::Verbose`] (least) to [`Level::Fatal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// `V`: verbose (Mars level 0, also "All").
    Verbose,
    /// `D`: debug.
    Debug,
    /// `I`: info.
    Info,
    /// `W`: warning.
    Warn,
    /// `E`: error.
    Error,
    /// `F`: fatal.
    Fatal,
}

/// A user-supplied level name that is not one of the known spellings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown level {0:?}: expected one of V D I W E F or verbose, debug, info, warn, warning, error, fatal"
)]
pub struct ParseLevelError(pub String);

impl Level {
    /// All levels, least severe first.
    pub const ALL: [Level; 6] = [
        Level::Verbose,
        Level::Debug,
        Level::Info,
        Level::Warn,
        Level::Error,
        Level::Fatal,
    ];

    /// The level written as `letter` in a line header (`b'V'` .. `b'F'`), case-sensitive.
    #[inline]
    pub fn from_letter(letter: u8) -> Option<Level> {
        match letter {
            b'V' => Some(Level::Verbose),
            b'D' => Some(Level::Debug),
            b'I' => Some(Level::Info),
            b'W' => Some(Level::Warn),
            b'E' => Some(Level::Error),
            b'F' => Some(Level::Fatal),
            _ => None,
        }
    }

    /// The level of a record that starts with a Mars `[L]` bracket.
    #[inline(always)]
    pub fn of_bracket(bytes: &[u8]) -> Option<Level> {
        match bytes {
            [b'[', l, b']', ..] => Level::from_letter(*l),
            _ => None,
        }
    }

    /// The letter the writer prints for this level.
    pub fn letter(self) -> char {
        match self {
            Level::Verbose => 'V',
            Level::Debug => 'D',
            Level::Info => 'I',
            Level::Warn => 'W',
            Level::Error => 'E',
            Level::Fatal => 'F',
        }
    }

    /// Lower-case name, as accepted by [`Level::parse`].
    pub fn name(self) -> &'static str {
        match self {
            Level::Verbose => "verbose",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
            Level::Fatal => "fatal",
        }
    }

    /// Parses a user's level: a letter `V D I W E F` or a name `verbose debug
    /// info warn warning error fatal`, in any case, surrounding spaces ignored.
    pub fn parse(s: &str) -> Result<Level, ParseLevelError> {
        let t = s.trim().to_ascii_lowercase();
        let level = match t.as_str() {
            "v" | "verbose" => Level::Verbose,
            "d" | "debug" => Level::Debug,
            "i" | "info" => Level::Info,
            "w" | "warn" | "warning" => Level::Warn,
            "e" | "error" => Level::Error,
            "f" | "fatal" => Level::Fatal,
            _ => return Err(ParseLevelError(s.to_string())),
        };
        Ok(level)
    }
}

impl FromStr for Level {
    type Err = ParseLevelError;
    fn from_str(s: &str) -> Result<Level, ParseLevelError> {
        Level::parse(s)
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The time of a line: the local wall-clock time as written, plus its UTC offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timestamp<'a> {
    /// Local date and time as written (millisecond precision).
    pub local: NaiveDateTime,
    /// UTC offset in minutes (east positive) when the offset text parses.
    /// The writer prints it in tenths of an hour, so it is rounded to the
    /// nearest 15 minutes (`+5.8` for Nepal's +5:45 gives 345).
    pub offset_minutes: Option<i32>,
    /// The text between the brackets, e.g. `2024-01-31 +8.0 10:02:11.123`.
    pub raw: &'a [u8],
}

impl Timestamp<'_> {
    /// Milliseconds since the Unix epoch (UTC), when the offset is known.
    pub fn utc_millis(&self) -> Option<i64> {
        let off = self.offset_minutes?;
        Some(self.local_millis() - i64::from(off) * 60_000)
    }

    /// The local time as if it were UTC, in milliseconds since the epoch:
    /// comparable between lines that share an offset.
    pub fn local_millis(&self) -> i64 {
        self.local.and_utc().timestamp_millis()
    }

    /// The time with its offset, when the offset is known.
    pub fn datetime(&self) -> Option<DateTime<FixedOffset>> {
        let off = FixedOffset::east_opt(self.offset_minutes? * 60)?;
        self.local.and_local_timezone(off).single()
    }
}

/// Which location layout a header used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LineFormat {
    /// Since Oct 2021: `[file:LINE, func]`.
    Current,
    /// Before Oct 2021 and 2016-17 writers: `[file, func, LINE]`.
    Legacy,
    /// IM SDK 5.x – 8.x: `TIM: DATE TIME L pid-tid |-file:line Func |msg`.
    ImSdk,
    /// IM SDK 4.x: `TIM: DATE TIME/L/pid-tid /Module -file.line Func /msg`.
    ImSdk4,
    /// IM SDK 4.0.x: `DATE TIME|[n|]thread|L| file:line |Func > msg`.
    ImSdk40,
    /// A user-defined shape (see [`formats::custom`]).
    Custom,
}

impl LineFormat {
    /// The name of the shape in JSON output (`line_format`).
    pub fn name(self) -> &'static str {
        match self {
            LineFormat::Current => "current",
            LineFormat::Legacy => "legacy",
            LineFormat::ImSdk => "imsdk",
            LineFormat::ImSdk4 => "imsdk4",
            LineFormat::ImSdk40 => "imsdk40",
            LineFormat::Custom => "custom",
        }
    }

    /// Whether lines of this shape carry no UTC offset of their own, so
    /// that they take the one of the Mars open banner before them.
    pub fn borrows_offset(self) -> bool {
        matches!(
            self,
            LineFormat::ImSdk | LineFormat::ImSdk4 | LineFormat::ImSdk40
        )
    }
}

/// The parsed header of a record, borrowing from the record's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header<'a> {
    /// When the line was written.
    pub timestamp: Timestamp<'a>,
    /// Process id.
    pub pid: i64,
    /// Thread id.
    pub tid: i64,
    /// The thread id was marked `*`: the line comes from the main thread.
    pub main_thread: bool,
    /// Tag (may be empty).
    pub tag: &'a [u8],
    /// Source file name (basename).
    pub file: &'a [u8],
    /// Source line number.
    pub line: u32,
    /// Function name (may be empty, may contain spaces and brackets).
    pub func: &'a [u8],
    /// The body: from after the header to the end of the record, continuation
    /// lines included, without the final `\n` (a `\r` before it is kept).
    pub message: &'a [u8],
    /// Location layout of this header.
    pub format: LineFormat,
}

/// One record: a header line and its continuation lines, or raw text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Record<'a> {
    /// All bytes of the record, every line with its `\n` (the last one may lack it at end of input).
    pub bytes: &'a [u8],
    /// Level from `[L]` at the start; `None` for raw text.
    pub level: Option<Level>,
    /// Full header; `None` for raw text and level-only pseudo headers.
    pub header: Option<Header<'a>>,
}

impl<'a> Record<'a> {
    /// Parses the bytes of one record (as cut by [`Records`] or [`RecordSplitter`]).
    pub fn parse(bytes: &'a [u8]) -> Record<'a> {
        if let Some(level) = Level::of_bracket(bytes) {
            return Record {
                bytes,
                level: Some(level),
                header: parse_header(bytes),
            };
        }
        if let Some((level, header)) = formats::parse(bytes) {
            return Record {
                bytes,
                level,
                header,
            };
        }
        Record {
            bytes,
            level: None,
            header: None,
        }
    }

    /// [`parse`](Record::parse), giving a header of a shape that writes no
    /// UTC offset (the IM SDK's) the offset `context`: the one of the Mars
    /// open banner before the record (see [`formats::meta::start_offset`]).
    pub fn parse_in(bytes: &'a [u8], context: Option<i32>) -> Record<'a> {
        let mut rec = Record::parse(bytes);
        rec.borrow_offset(context);
        rec
    }

    /// Gives the header, when its shape writes no UTC offset, the offset
    /// `context` (see [`parse_in`](Record::parse_in)).
    #[inline]
    pub fn borrow_offset(&mut self, context: Option<i32>) {
        if let Some(h) = &mut self.header
            && h.format.borrows_offset()
            && h.timestamp.offset_minutes.is_none()
        {
            h.timestamp.offset_minutes = context;
        }
    }

    /// A piece handed out by [`RecordSplitter`]: parsed when it starts a
    /// record, else raw bytes (no level, no header).
    #[inline]
    pub fn part(bytes: &'a [u8], part: Part) -> Record<'a> {
        if part.cont {
            Record {
                bytes,
                level: None,
                header: None,
            }
        } else {
            Record::parse(bytes)
        }
    }

    /// The level, also for level-only pseudo headers.
    pub fn level(&self) -> Option<Level> {
        self.level
    }

    /// True for text without `[L]` (banners, build info, leading garbage).
    pub fn is_raw(&self) -> bool {
        self.level.is_none()
    }

    /// The message body when the header parsed.
    pub fn message(&self) -> Option<&'a [u8]> {
        self.header.map(|h| h.message)
    }
}

/// Iterator over the records of a complete text.
#[derive(Debug, Clone)]
pub struct Records<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Records<'a> {
    /// Records of `data`, the whole decoded text.
    pub fn new(data: &'a [u8]) -> Records<'a> {
        Records { data, pos: 0 }
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Record<'a>;

    fn next(&mut self) -> Option<Record<'a>> {
        if self.pos >= self.data.len() {
            return None;
        }
        let start = self.pos;
        let end = record_end(self.data, start);
        self.pos = end;
        Some(Record::parse(&self.data[start..end]))
    }
}
/// A record's time: local wall clock and UTC offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimePoint {
    /// Local date and time as written.
    pub local: NaiveDateTime,
    /// UTC offset in minutes, when known.
    pub offset_minutes: Option<i32>,
}

impl From<&Timestamp<'_>> for TimePoint {
    fn from(t: &Timestamp<'_>) -> TimePoint {
        TimePoint {
            local: t.local,
            offset_minutes: t.offset_minutes,
        }
    }
}

impl fmt::Display for TimePoint {
    /// `2024-01-31 10:02:11.123 +08:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.local.format("%Y-%m-%d %H:%M:%S%.3f"))?;
        if let Some(off) = self.offset_minutes {
            let sign = if off < 0 { '-' } else { '+' };
            let a = off.unsigned_abs();
            write!(f, " {sign}{:02}:{:02}", a / 60, a % 60)?;
        }
        Ok(())
    }
}

impl TimePoint {
    /// ISO 8601: `2024-01-31T10:02:11.123+08:00` (no offset when unknown).
    pub fn iso(&self) -> String {
        let mut s = self.local.format("%Y-%m-%dT%H:%M:%S%.3f").to_string();
        if let Some(off) = self.offset_minutes {
            let sign = if off < 0 { '-' } else { '+' };
            let a = off.unsigned_abs();
            s.push_str(&format!("{sign}{:02}:{:02}", a / 60, a % 60));
        }
        s
    }
}

#[cfg(test)]
mod tests;
