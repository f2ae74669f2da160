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
        if bytes.len() >= 3
            && bytes[0] == b'['
            && bytes[2] == b']'
            && let Some(level) = Level::from_letter(bytes[1])
        {
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

/// The most bytes of one record that [`RecordSplitter`] holds or hands out
/// at once: 1 MiB, the size of the decoder's text chunks and far beyond
/// any real record (a Mars block holds at most 150 KiB of text). A longer
/// record (a decompression bomb, a giant message) is handed out in pieces
/// of at most this many bytes, so memory does not grow with it.
pub const MAX_PIECE: usize = 1024 * 1024;

/// Bytes of a line after which whether it starts a record is settled
/// ([`starts_record`] reads at most 24 bytes of the built-in shapes; a
/// user-defined shape reads up to [`formats::custom::LINE_LIMIT`]).
const DECIDE: usize = 32;

/// Where a piece handed out by [`RecordSplitter`] lies in its record.
///
/// A record of at most [`MAX_PIECE`] bytes comes whole ([`Part::WHOLE`]);
/// a longer one comes as a first piece, which holds its header line (or
/// the first [`MAX_PIECE`] bytes of it), then continuation pieces, in
/// order, with nothing between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Part {
    /// The piece continues the record of the piece before it.
    pub cont: bool,
    /// More pieces of the same record follow.
    pub more: bool,
}

impl Part {
    /// A whole record.
    pub const WHOLE: Part = Part {
        cont: false,
        more: false,
    };

    /// The piece starts a record (it is whole or a first piece).
    #[inline]
    pub fn is_start(self) -> bool {
        !self.cont
    }
}

/// Splits a stream of text chunks into records, buffering only the record
/// that is still open (its end is known only when the next record starts),
/// and at most [`MAX_PIECE`] bytes of it: a longer record is handed out in
/// pieces (see [`Part`]).
///
/// Records that lie wholly inside a pushed chunk are handed out borrowed from
/// that chunk, without a copy. Feeding any chunking of a text, then
/// [`finish`](RecordSplitter::finish), yields the same records as [`Records`]
/// (for records of at most [`MAX_PIECE`] bytes; a longer one comes in the
/// same pieces whatever the chunking is, except that a piece cut for lack
/// of room may end earlier).
/// If the callback returns an error, records of that chunk may be lost: drop
/// or [`reset`](RecordSplitter::reset) the splitter.
#[derive(Debug, Default, Clone)]
pub struct RecordSplitter {
    /// The open record's bytes not handed out yet: from a record start (or
    /// the stream start), or the rest of a record whose first pieces went out.
    buf: Vec<u8>,
    /// Offset in `buf` of its last, unterminated line (`buf.len()` if none).
    pending: usize,
    /// Pieces of the open record have been handed out.
    cont: bool,
    /// The unterminated line is known to continue the open record (it
    /// was long enough to tell, or a piece was cut inside it).
    settled: bool,
}

impl RecordSplitter {
    /// An empty splitter at the start of a stream.
    pub fn new() -> RecordSplitter {
        RecordSplitter::default()
    }

    /// Bytes currently held back (of the open record); at most
    /// [`MAX_PIECE`] between calls.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Forgets any buffered text and starts a new stream.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.pending = 0;
        self.cont = false;
        self.settled = false;
    }

    /// Adds the next chunk and passes every record it completes to `emit`.
    /// A record longer than [`MAX_PIECE`] comes in pieces; each piece after
    /// the first is given unparsed, as a record without a level.
    pub fn push<E>(
        &mut self,
        chunk: &[u8],
        mut emit: impl FnMut(Record<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.push_parts(chunk, |b, part| emit(Record::part(b, part)))
    }

    /// Like [`push`](RecordSplitter::push), but hands out each record's
    /// bytes unparsed, for callers that can reject most records cheaply.
    pub fn push_bytes<E>(
        &mut self,
        chunk: &[u8],
        mut emit: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        self.push_parts(chunk, |b, _| emit(b))
    }

    /// Like [`push_bytes`](RecordSplitter::push_bytes), saying for each
    /// piece where it lies in its record.
    pub fn push_parts<E>(
        &mut self,
        chunk: &[u8],
        emit: impl FnMut(&[u8], Part) -> Result<(), E>,
    ) -> Result<(), E> {
        self.push_cut(chunk, None::<std::iter::Empty<usize>>, emit)
    }

    /// [`push_parts`](RecordSplitter::push_parts), told where the chunk's
    /// records start: `starts`, when given, are the offsets in `chunk`, in
    /// order, of every line of it that [`starts_record`] and ends with a
    /// `\n` (read as if the chunk started a line; the splitter skips any
    /// that are not line starts after all). Then lines are not looked at
    /// one by one.
    pub(crate) fn push_cut<E>(
        &mut self,
        chunk: &[u8],
        starts: Option<impl Iterator<Item = usize>>,
        mut emit: impl FnMut(&[u8], Part) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut rest = chunk;
        if !self.buf.is_empty() && self.buf.last() != Some(&b'\n') {
            // Complete the unterminated line first: it may start a record.
            let Some(n) = find_byte(b'\n', rest) else {
                self.settle(rest, false, &mut emit)?;
                return self.hold(rest, None, &mut emit);
            };
            let line = &rest[..=n];
            rest = &rest[n + 1..];
            self.settle(line, true, &mut emit)?;
            self.hold(line, Some(line.len()), &mut emit)?;
        }
        // Here `buf` is empty (stream start, or a record just handed out)
        // or ends with '\n': `rest` begins a line.
        let fresh = self.buf.is_empty() && !self.cont;
        let mut open: Option<usize> = if fresh { Some(0) } else { None };
        // A record starts at `at` (an offset in `rest`).
        let mut start = |at: usize, open: &mut Option<usize>| {
            match *open {
                None => {
                    self.hold(&rest[..at], Some(at), &mut emit)?;
                    self.close(&mut emit)?;
                }
                Some(s) => out(&rest[s..at], false, &mut emit)?,
            }
            *open = Some(at);
            Ok(())
        };
        let pos = match starts {
            Some(starts) => {
                let skip = chunk.len() - rest.len();
                for at in starts {
                    if at > skip || (at == skip && !fresh) {
                        start(at - skip, &mut open)?;
                    }
                }
                // Past the last whole line.
                memchr::memrchr(b'\n', rest).map_or(0, |n| n + 1)
            }
            None => whole_lines(rest, |pos, line_end| {
                if !(fresh && pos == 0) && starts_record(&rest[pos..line_end]) {
                    start(pos, &mut open)?;
                }
                Ok(())
            })?,
        };
        match open {
            None => self.hold(rest, Some(pos), &mut emit),
            Some(s) => self.hold(&rest[s..], Some(pos - s), &mut emit),
        }
    }

    /// Whether the open record ends with a whole line: the next chunk
    /// pushed starts a line, and its first record start closes the record.
    pub(crate) fn at_line_start(&self) -> bool {
        self.buf.last() == Some(&b'\n')
    }

    /// What [`push_cut`](RecordSplitter::push_cut) does at the first
    /// record start of a chunk pushed [`at_line_start`]: the open record
    /// takes `lead`, the chunk's lines before that start, and is handed
    /// out.
    pub(crate) fn close_with<E>(
        &mut self,
        lead: &[u8],
        mut emit: impl FnMut(&[u8], Part) -> Result<(), E>,
    ) -> Result<(), E> {
        self.hold(lead, Some(lead.len()), &mut emit)?;
        self.close(&mut emit)
    }

    /// What [`push_cut`](RecordSplitter::push_cut) does with the last
    /// record of a chunk, once the ones before it are handed out: holds
    /// `bytes`, whose last, unterminated line starts at `last_line` (their
    /// length if they end with a `\n`).
    pub(crate) fn hold_last<E>(
        &mut self,
        bytes: &[u8],
        last_line: usize,
        mut emit: impl FnMut(&[u8], Part) -> Result<(), E>,
    ) -> Result<(), E> {
        self.hold(bytes, Some(last_line), &mut emit)
    }

    /// Ends the stream: passes the open record (if any) to `emit` and resets.
    pub fn finish<E>(
        &mut self,
        mut emit: impl FnMut(Record<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.finish_parts(|b, part| emit(Record::part(b, part)))
    }

    /// Like [`finish`](RecordSplitter::finish), with unparsed bytes.
    pub fn finish_bytes<E>(
        &mut self,
        mut emit: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        self.finish_parts(|b, _| emit(b))
    }

    /// Like [`finish_bytes`](RecordSplitter::finish_bytes), saying for
    /// each piece where it lies in its record.
    pub fn finish_parts<E>(
        &mut self,
        mut emit: impl FnMut(&[u8], Part) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.buf.is_empty() && !self.cont {
            return self.reset_ok();
        }
        let ls = self.pending;
        if ls < self.buf.len() && !self.tail_known() && starts_record(&self.buf[ls..]) {
            let r = out(&self.buf[..ls], self.cont, &mut emit)
                .and_then(|()| out(&self.buf[ls..], false, &mut emit));
            self.reset();
            return r;
        }
        let r = out(&self.buf, self.cont, &mut emit);
        self.reset();
        r
    }

    fn reset_ok<E>(&mut self) -> Result<(), E> {
        self.reset();
        Ok(())
    }

    /// Whether the unterminated line belongs to the open record for sure:
    /// it is the record's first line, or it was settled.
    #[inline]
    fn tail_known(&self) -> bool {
        self.settled || (self.pending == 0 && !self.cont)
    }

    /// Decides whether the unterminated line, continued by `more` (which
    /// `complete`s it or not), starts a record, when enough of it is known:
    /// if it does, the open record before it is handed out.
    fn settle<E>(
        &mut self,
        more: &[u8],
        complete: bool,
        emit: &mut impl FnMut(&[u8], Part) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.tail_known() {
            return Ok(());
        }
        let have = self.buf.len() - self.pending;
        // A user-defined shape's regex may read the whole line.
        let limit = if formats::custom::installed().is_some() {
            formats::custom::LINE_LIMIT
        } else {
            DECIDE
        };
        let from_buf = have.min(limit);
        let from_more = (limit - from_buf).min(more.len());
        let known = from_buf + from_more;
        if !complete && known < limit {
            return Ok(()); // too short to tell yet
        }
        let starts = if limit == DECIDE {
            let mut head = [0u8; DECIDE];
            head[..from_buf].copy_from_slice(&self.buf[self.pending..self.pending + from_buf]);
            head[from_buf..known].copy_from_slice(&more[..from_more]);
            starts_record(&head[..known])
        } else {
            let mut head = self.buf[self.pending..self.pending + from_buf].to_vec();
            head.extend_from_slice(&more[..from_more]);
            starts_record(&head)
        };
        if starts {
            let ls = self.pending;
            out(&self.buf[..ls], self.cont, emit)?;
            self.buf.drain(..ls);
            self.pending = 0;
            self.cont = false;
            self.settled = false;
        } else {
            self.settled = true;
        }
        Ok(())
    }

    /// Appends `bytes` to the open record. `last_line`: where the last,
    /// unterminated line of `bytes` starts when they hold a `\n` (`None`:
    /// they continue the unterminated line). Past [`MAX_PIECE`] bytes, the
    /// bytes known to belong to the record are handed out as pieces.
    #[inline]
    fn hold<E>(
        &mut self,
        bytes: &[u8],
        last_line: Option<usize>,
        emit: &mut impl FnMut(&[u8], Part) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.buf.len() + bytes.len() <= MAX_PIECE {
            if let Some(l) = last_line {
                self.pending = self.buf.len() + l;
                self.settled = false;
            }
            self.buf.extend_from_slice(bytes);
            return Ok(());
        }
        self.hold_long(bytes, emit)
    }

    /// [`hold`](RecordSplitter::hold) past [`MAX_PIECE`]: the bytes are
    /// added a room's worth at a time, handing out pieces in between.
    #[cold]
    fn hold_long<E>(
        &mut self,
        mut bytes: &[u8],
        emit: &mut impl FnMut(&[u8], Part) -> Result<(), E>,
    ) -> Result<(), E> {
        self.buf
            .reserve_exact((MAX_PIECE + 1).saturating_sub(self.buf.len()));
        while !bytes.is_empty() {
            let room = (MAX_PIECE + 1 - self.buf.len()).min(bytes.len());
            let (step, next) = bytes.split_at(room);
            bytes = next;
            if let Some(nl) = memchr::memrchr(b'\n', step) {
                self.pending = self.buf.len() + nl + 1;
                self.settled = false;
            }
            self.buf.extend_from_slice(step);
            if self.buf.len() > MAX_PIECE {
                self.spill(emit)?;
            }
        }
        Ok(())
    }

    /// Hands out a piece of the open record, which holds more than
    /// [`MAX_PIECE`] bytes, keeping at least its last byte.
    #[cold]
    fn spill<E>(&mut self, emit: &mut impl FnMut(&[u8], Part) -> Result<(), E>) -> Result<(), E> {
        self.settle(&[], false, emit)?;
        if self.buf.len() <= MAX_PIECE {
            return Ok(()); // a record start closed the record before it
        }
        let part = Part {
            cont: self.cont,
            more: true,
        };
        let cut = if self.pending == self.buf.len() || self.tail_known() {
            // Every byte held belongs to the record.
            char_cut(&self.buf, MAX_PIECE)
        } else {
            // The short unterminated line may start a record: keep it and
            // the `\n` before it, so that the record's end stays held.
            self.pending - 1
        };
        emit(&self.buf[..cut], part)?;
        self.buf.drain(..cut);
        if self.pending >= cut {
            self.pending -= cut;
        } else {
            // The cut fell inside the unterminated line, which is settled.
            self.pending = 0;
            self.settled = true;
        }
        self.cont = true;
        Ok(())
    }

    /// Hands out the rest of the open record, which ends here.
    fn close<E>(&mut self, emit: &mut impl FnMut(&[u8], Part) -> Result<(), E>) -> Result<(), E> {
        out(&self.buf, self.cont, emit)?;
        self.buf.clear();
        self.pending = 0;
        self.cont = false;
        self.settled = false;
        Ok(())
    }
}

/// Hands out `bytes`, the end of a record (all of it unless `cont`), in
/// pieces of at most [`MAX_PIECE`] bytes.
#[inline(always)]
pub(crate) fn out<E>(
    bytes: &[u8],
    cont: bool,
    emit: &mut impl FnMut(&[u8], Part) -> Result<(), E>,
) -> Result<(), E> {
    if !cont && bytes.len() <= MAX_PIECE {
        return emit(bytes, Part::WHOLE);
    }
    out_long(bytes, cont, emit)
}

#[cold]
fn out_long<E>(
    mut bytes: &[u8],
    mut cont: bool,
    emit: &mut impl FnMut(&[u8], Part) -> Result<(), E>,
) -> Result<(), E> {
    while bytes.len() > MAX_PIECE {
        let cut = char_cut(bytes, MAX_PIECE);
        emit(&bytes[..cut], Part { cont, more: true })?;
        bytes = &bytes[cut..];
        cont = true;
    }
    emit(bytes, Part { cont, more: false })
}

/// A cut of `bytes` at `at` moved back (by at most 3 bytes) so that it
/// does not split a UTF-8 sequence.
fn char_cut(bytes: &[u8], at: usize) -> usize {
    let mut cut = at;
    while cut > at - 3 && bytes.get(cut).is_some_and(|&b| b & 0xC0 == 0x80) {
        cut -= 1;
    }
    cut
}

/// Header-less lines the writer emits itself; each starts a raw record
/// (and so does `del time out files`, see `starts_other`).
const TIP_PREFIXES: [&[u8]; 12] = [
    b"^^^^^^^^^^",
    b"$$$$$$$$$$",
    b"~~~~~ ",
    b"get mmap time: ",
    b"MARS_URL: ",
    b"MARS_PATH: ",
    b"MARS_REVISION: ",
    b"MARS_BUILD_TIME: ",
    b"MARS_BUILD_JOB: ",
    b"log appender mode:",
    b"log dir space info, ",
    b"cache dir space info, ",
];

/// Whether a line (given from its first byte; its end may be cut or include
/// the rest of the text) starts a new record. Only looks at a prefix with no `\n`.
#[inline(always)]
pub fn starts_record(line: &[u8]) -> bool {
    match line {
        // The letters of `Level::from_letter`, as one bit test.
        [b'[', b'V' | b'D' | b'I' | b'W' | b'E' | b'F', b']', ..] => true,
        [b'^' | b'$' | b'~' | b'g' | b'M' | b'l' | b'c', ..] => starts_tip(line),
        _ => starts_other(line),
    }
}

/// Whether a line starts with one of [`TIP_PREFIXES`] (or, failing that,
/// a user-defined shape's header).
#[cold]
fn starts_tip(line: &[u8]) -> bool {
    TIP_PREFIXES.iter().any(|p| line.starts_with(p)) || starts_custom(line)
}

/// Whether a line that is no Mars bracket line nor one of the appender's
/// usual tips starts a record: any line the IM SDK writes (records and
/// its banner), an IM SDK 4.0.x record, the `del time out files` tip, or
/// a record of the installed user-defined shape. Out of line: the
/// bracket lines' path stays as short as it was.
#[inline(never)]
fn starts_other(line: &[u8]) -> bool {
    match line {
        [b'T', b'I', b'M', b':', b' ', ..] => true,
        [b'0'..=b'9', ..] if formats::imsdk40::starts(line) => true,
        [b'd', ..] if line.starts_with(b"del time out files") => true,
        _ => formats::custom::installed().is_some() && starts_custom(line),
    }
}

/// Whether a line starts a record of the installed user-defined shape.
#[cold]
fn starts_custom(line: &[u8]) -> bool {
    formats::custom::starts_installed(line)
}

/// End (exclusive) of the record that starts at `start`.
fn record_end(data: &[u8], start: usize) -> usize {
    let mut pos = match find_byte(b'\n', &data[start..]) {
        Some(n) => start + n + 1,
        None => return data.len(),
    };
    while pos < data.len() {
        if starts_record(&data[pos..]) {
            return pos;
        }
        pos = match find_byte(b'\n', &data[pos..]) {
            Some(n) => pos + n + 1,
            None => return data.len(),
        };
    }
    data.len()
}

/// Calls `f` with the start and the end (its `\n`) of every whole line of
/// `text`, in order, read from the bit map of its `\n`s; returns where the
/// unterminated last line starts (the text's length if there is none). An
/// error from `f` ends the walk.
#[inline(always)]
pub(crate) fn whole_lines<E>(
    text: &[u8],
    mut f: impl FnMut(usize, usize) -> Result<(), E>,
) -> Result<usize, E> {
    let mut pos = 0;
    let mut map = [0u64; MAP_WORDS];
    let mut base = 0;
    while base < text.len() {
        let words = newline_map(&text[base..], &mut map);
        for (i, &word) in map[..words].iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let line_end = base + 64 * i + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                f(pos, line_end)?;
                pos = line_end + 1;
            }
        }
        base += 64 * words;
    }
    Ok(pos)
}

/// Words of the bit map of `\n`s that [`RecordSplitter`] reads lines'
/// ends from: 4 KiB of text at a time (one bit a byte, 64 bytes a compare
/// with AVX2), rather than a search for each `\n`, as most lines are
/// shorter than what a search costs to set up.
const MAP_WORDS: usize = 64;

/// Maps the `\n`s of the first 4 KiB of `text` into `map`, bit `i % 64`
/// of word `i / 64` for byte `i`; the words in use.
#[inline(never)]
fn newline_map(text: &[u8], map: &mut [u64; MAP_WORDS]) -> usize {
    let part = &text[..text.len().min(64 * MAP_WORDS)];
    #[cfg(target_arch = "x86_64")]
    {
        let full = part.len() / 64;
        let (blocks, tail) = part.split_at(64 * full);
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has AVX2.
            unsafe { newline_words::avx2(blocks, &mut map[..full]) };
        } else {
            newline_words::sse2(blocks, &mut map[..full]);
        }
        if !tail.is_empty() {
            // Zero bytes are no `\n`.
            let mut block = [0u8; 64];
            block[..tail.len()].copy_from_slice(tail);
            newline_words::sse2(&block, &mut map[full..=full]);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        map.fill(0);
        for i in memchr::memchr_iter(b'\n', part) {
            map[i / 64] |= 1 << (i % 64);
        }
    }
    part.len().div_ceil(64)
}

/// The `\n` bit map words of whole 64-byte blocks.
#[cfg(target_arch = "x86_64")]
mod newline_words {
    use std::arch::x86_64::{
        __m128i, __m256i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
        _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_set1_epi8,
    };

    /// The word of each 64 bytes of `blocks` into `words`, 32 bytes a
    /// compare.
    ///
    /// # Safety
    /// The processor must have AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn avx2(blocks: &[u8], words: &mut [u64]) {
        let nl = _mm256_set1_epi8(b'\n' as i8);
        for (block, word) in blocks.chunks_exact(64).zip(words) {
            // SAFETY: two loads of 32 of the block's 64 bytes; loadu takes
            // any alignment.
            let (a, b) = unsafe {
                (
                    _mm256_loadu_si256(block.as_ptr().cast::<__m256i>()),
                    _mm256_loadu_si256(block.as_ptr().add(32).cast::<__m256i>()),
                )
            };
            let lo = _mm256_movemask_epi8(_mm256_cmpeq_epi8(a, nl)) as u32;
            let hi = _mm256_movemask_epi8(_mm256_cmpeq_epi8(b, nl)) as u32;
            *word = u64::from(lo) | (u64::from(hi) << 32);
        }
    }

    /// [`avx2`] sixteen bytes a compare (SSE2 is part of x86-64).
    pub(super) fn sse2(blocks: &[u8], words: &mut [u64]) {
        for (block, word) in blocks.chunks_exact(64).zip(words) {
            let mut w = 0;
            for i in 0..4 {
                // SAFETY: a load of 16 of the block's 64 bytes; loadu takes
                // any alignment.
                let bits = unsafe {
                    let v = _mm_loadu_si128(block.as_ptr().add(16 * i).cast::<__m128i>());
                    _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8)))
                };
                w |= u64::from(bits as u16) << (16 * i);
            }
            *word = w;
        }
    }
}

/// Position of the first `needle` in `hay` (SIMD via memchr: record
/// splitting and header parsing scan every byte of the decoded text).
#[inline]
pub(crate) fn find_byte(needle: u8, hay: &[u8]) -> Option<usize> {
    memchr::memchr(needle, hay)
}

/// Position of the first `needle` in `hay`, for the short fields of a
/// header where a plain loop beats a vectorised search's set-up.
/// Eight bytes at a time (a header's fields are tens of bytes long).
#[inline]
fn find_near(needle: u8, hay: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pattern = LO * u64::from(needle);
    let mut words = hay.chunks_exact(8);
    let mut at = 0;
    for word in words.by_ref() {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let x = u64::from_le_bytes(w) ^ pattern;
        // The lowest byte flagged is the first zero byte of x (borrows only
        // flag bytes above a zero one).
        let zero = x.wrapping_sub(LO) & !x & HI;
        if zero != 0 {
            return Some(at + (zero.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| b == needle)
        .map(|n| at + n)
}

/// Position of the first `a` immediately followed by `b`.
#[inline]
fn find_pair(a: u8, b: u8, hay: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(n) = find_near(a, &hay[from..]) {
        let p = from + n;
        if hay.get(p + 1) == Some(&b) {
            return Some(p);
        }
        from = p + 1;
    }
    None
}

/// Unsigned decimal of 1..=9 ASCII digits.
#[inline]
fn num(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    let mut v = 0u32;
    for &c in b {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + u32::from(d);
    }
    Some(v)
}

/// Signed decimal (optional `-`, up to 18 digits).
#[inline(always)]
fn int(b: &[u8]) -> Option<i64> {
    let (neg, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut v = 0i64;
    for &c in digits {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + i64::from(d);
    }
    Some(if neg { -v } else { v })
}

/// The fields of a header before its location, `[L][time][pid, tid*][tag][`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefix<'a> {
    /// When the line was written.
    pub timestamp: Timestamp<'a>,
    /// Process id.
    pub pid: i64,
    /// Thread id.
    pub tid: i64,
    /// The thread id was marked `*`.
    pub main_thread: bool,
    /// Tag.
    pub tag: &'a [u8],
    /// Where the location bracket's text starts.
    pub(crate) loc_start: usize,
}

/// Parses the header fields before the location, without looking for the
/// end of the line: cheaper than [`Record::parse`], for rejecting records
/// early. When the record has a full header, the fields are the header's;
/// `None` means it has none.
pub fn parse_prefix(rec: &[u8]) -> Option<Prefix<'_>> {
    let p = split_prefix(rec)?;
    Some(Prefix {
        timestamp: parse_timestamp(p.time)?,
        pid: p.pid,
        tid: p.tid,
        main_thread: p.main_thread,
        tag: p.tag,
        loc_start: p.loc_start,
    })
}

/// The fields before the location with the time still unread: a
/// [`Prefix`] exactly when [`parse_timestamp`] accepts `time`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawPrefix<'a> {
    /// The text between the time's brackets.
    pub(crate) time: &'a [u8],
    pub(crate) pid: i64,
    pub(crate) tid: i64,
    /// Where the pid's and the tid's text lie (the tid's without its `*`).
    pub(crate) pid_at: Range<usize>,
    pub(crate) tid_at: Range<usize>,
    pub(crate) main_thread: bool,
    pub(crate) tag: &'a [u8],
    pub(crate) loc_start: usize,
}

/// [`parse_prefix`] but for the time, which is only cut out.
pub(crate) fn split_prefix(line: &[u8]) -> Option<RawPrefix<'_>> {
    if line.len() < 4 || line[0] != b'[' || line[2] != b']' || line[3] != b'[' {
        return None;
    }
    let mut i = 4;
    let ts_end = i + find_near(b']', &line[i..])?;
    let time = &line[i..ts_end];
    i = ts_end + 1;

    if line.get(i) != Some(&b'[') {
        return None;
    }
    i += 1;
    let comma = i + find_near(b',', &line[i..])?;
    let pid = int(&line[i..comma])?;
    let pid_at = i..comma;
    if line.get(comma + 1) != Some(&b' ') {
        return None;
    }
    i = comma + 2;
    let close = i + find_near(b']', &line[i..])?;
    let (tid_text, main_thread) = match line[i..close].split_last() {
        Some((b'*', t)) => (t, true),
        _ => (&line[i..close], false),
    };
    let tid = int(tid_text)?;
    let tid_at = i..i + tid_text.len();
    i = close + 1;

    if line.get(i) != Some(&b'[') {
        return None;
    }
    i += 1;
    let tag_end = i + find_pair(b']', b'[', &line[i..])?;
    Some(RawPrefix {
        time,
        pid,
        tid,
        pid_at,
        tid_at,
        main_thread,
        tag: &line[i..tag_end],
        loc_start: tag_end + 2,
    })
}

/// Where the message of `rec` starts when its first line is a full header:
/// `Some` exactly when [`Record::parse`] finds a header (given a level
/// letter), with the header's message starting there. Cheaper than a parse:
/// no field is built, the UTC offset is not read (it never decides whether
/// a header is one).
///
/// `memo` keeps the last date read: records in a row share it.
#[inline(always)]
pub(crate) fn body_start(rec: &[u8], memo: &mut DateMemo) -> Option<usize> {
    let s = header_spans(rec)?;
    if !memo.ok_spans(rec, &s) {
        return None;
    }
    Some(s.body)
}

/// Where the fields of the header on the first line of `rec` lie: `Some`
/// exactly when [`split_prefix`] and the location parser accept that line,
/// with their fields; the time is only cut out.
#[inline(always)]
pub(crate) fn header_spans(rec: &[u8]) -> Option<Spans> {
    match scan::fields(rec) {
        Ok(spans) => spans,
        Err(()) => long_header_spans(rec),
    }
}

/// [`header_spans`] for a header too long for the one-pass scan.
#[cold]
fn long_header_spans(rec: &[u8]) -> Option<Spans> {
    scalar_spans(&rec[..find_byte(b'\n', rec).unwrap_or(rec.len())])
}

/// [`header_spans`] by the field-by-field parser.
fn scalar_spans(line: &[u8]) -> Option<Spans> {
    let p = split_prefix(line)?;
    let body = body_after_prefix(line, p.loc_start)?;
    let at = |field: &[u8]| field.as_ptr() as usize - line.as_ptr() as usize;
    Some(Spans {
        time_end: at(p.time) + p.time.len(),
        comma: p.pid_at.end,
        tid_end: p.tid_at.end,
        close: p.tid_at.end + usize::from(p.main_thread),
        tag_end: at(p.tag) + p.tag.len(),
        body,
        clock_ok: p.time.len() >= 12 && time_of_day(&p.time[p.time.len() - 12..]).is_some(),
    })
}

impl Spans {
    /// The process id, read from `line` (whose fields these are).
    pub(crate) fn pid(&self, line: &[u8]) -> Option<i64> {
        int(&line[self.pid_text()])
    }

    /// The thread id, read from `line` (whose fields these are).
    pub(crate) fn tid(&self, line: &[u8]) -> Option<i64> {
        int(&line[self.tid_text()])
    }
}

/// The date and UTC offset text of the last timestamp read (`DATE TZ `)
/// with their values: records in a row mostly share them, so a timestamp
/// that starts with the same bytes only needs its time of day read.
#[derive(Debug, Clone)]
pub(crate) struct DateMemo {
    text: [u8; 32],
    /// Bytes of `text` in use; 0: none yet.
    len: usize,
    date: NaiveDate,
    offset: Option<i32>,
}

impl Default for DateMemo {
    fn default() -> DateMemo {
        DateMemo {
            text: [0; 32],
            len: 0,
            date: NaiveDate::MIN,
            offset: None,
        }
    }
}

impl DateMemo {
    /// [`parse_timestamp`]`(raw)`, reading only the time of day when `raw`
    /// starts with the date and offset text of the last one read.
    #[inline]
    pub(crate) fn timestamp<'a>(&mut self, raw: &'a [u8]) -> Option<Timestamp<'a>> {
        let n = self.len;
        if n > 0 && raw.len() == n + 12 && same_head(raw, &self.text, n) {
            // The memo holds `DATE TZ ` with exactly two spaces, the last
            // at its end: `raw` splits where parse_timestamp splits it.
            return Some(Timestamp {
                local: self.date.and_time(time_of_day(&raw[n..])?),
                offset_minutes: self.offset,
                raw,
            });
        }
        self.read(raw)
    }

    /// Whether [`parse_timestamp`] accepts the time of the header `spans`
    /// found in `line`, without building it (`spans` checked the time of
    /// day already).
    #[inline(always)]
    pub(crate) fn ok_spans(&mut self, line: &[u8], spans: &Spans) -> bool {
        if !spans.clock_ok {
            // The time of day is the last 12 bytes of any time that parses.
            return false;
        }
        let raw = &line[4..spans.time_end];
        let n = self.len;
        if n > 0 && raw.len() == n + 12 && same_head(raw, &self.text, n) {
            return true;
        }
        self.read(raw).is_some()
    }

    /// [`parse_timestamp`], remembering the date and offset it accepts.
    fn read<'a>(&mut self, raw: &'a [u8]) -> Option<Timestamp<'a>> {
        let ts = parse_timestamp(raw)?;
        // Accepted: the time of day is the last 12 bytes.
        let head = raw.len() - 12;
        if head <= self.text.len() {
            self.text[..head].copy_from_slice(&raw[..head]);
            self.len = head;
            self.date = ts.local.date();
            self.offset = ts.offset_minutes;
        }
        Some(ts)
    }
}

/// Whether the first `n` bytes (at most 32, and at most `raw.len()`) of
/// `raw` and `text` are the same: as a few word compares where they fit
/// (a date and offset are 16 bytes), not a call to `memcmp`.
#[inline(always)]
fn same_head(raw: &[u8], text: &[u8; 32], n: usize) -> bool {
    let word = |b: &[u8], at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[at..at + 8]);
        u64::from_le_bytes(w)
    };
    match n {
        8..=16 => word(raw, 0) == word(text, 0) && word(raw, n - 8) == word(text, n - 8),
        17..=32 => [0, 8, n - 16, n - 8]
            .iter()
            .all(|&at| word(raw, at) == word(text, at)),
        _ => raw[..n] == text[..n],
    }
}

/// `HH:MM:SS.mmm`.
#[inline]
fn time_of_day(time: &[u8]) -> Option<NaiveTime> {
    if time.len() != 12 || time[2] != b':' || time[5] != b':' || time[8] != b'.' {
        return None;
    }
    NaiveTime::from_hms_milli_opt(
        num(&time[0..2])?,
        num(&time[3..5])?,
        num(&time[6..8])?,
        num(&time[9..12])?,
    )
}

/// Where the message starts, given the first line of a record and where
/// its location bracket's text starts (from [`parse_prefix`] on that line).
#[inline]
pub(crate) fn body_after_prefix(line: &[u8], loc_start: usize) -> Option<usize> {
    parse_location(line, loc_start).map(|l| l.3)
}

/// `YYYY-MM-DD` as numbers (each field 1..=9 digits).
#[inline]
fn date_fields(date: &[u8]) -> Option<(u32, u32, u32)> {
    if let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *date {
        // The usual layout, without a split.
        return Some((num(&[y0, y1, y2, y3])?, num(&[m0, m1])?, num(&[d0, d1])?));
    }
    let mut d = date.splitn(3, |&c| c == b'-');
    Some((num(d.next()?)?, num(d.next()?)?, num(d.next()?)?))
}

/// Parses `[L][time][pid, tid*][tag][location][` at the start of `rec`.
fn parse_header(rec: &[u8]) -> Option<Header<'_>> {
    let line_end = find_byte(b'\n', rec).unwrap_or(rec.len());
    let line = &rec[..line_end];
    let Prefix {
        timestamp,
        pid,
        tid,
        main_thread,
        tag,
        loc_start: i,
    } = parse_prefix(line)?;

    let (file, line_no, func, body, format) = parse_location(line, i)?;
    let msg_end = if rec.last() == Some(&b'\n') {
        rec.len() - 1
    } else {
        rec.len()
    };
    Some(Header {
        timestamp,
        pid,
        tid,
        main_thread,
        tag,
        file,
        line: line_no,
        func,
        message: &rec[body..msg_end],
        format,
    })
}

type Location<'a> = (&'a [u8], u32, &'a [u8], usize, LineFormat);

/// Location bracket from `start` (just after its `[`): `file:LINE, func][`
/// or `file, func, LINE][`. Returns the fields and where the body starts.
fn parse_location(line: &[u8], start: usize) -> Option<Location<'_>> {
    let loc = &line[start..];
    let comma = find_pair(b',', b' ', loc)?;
    let before = &loc[..comma];
    let func_start = start + comma + 2;
    if let Some(colon) = before.iter().rposition(|&c| c == b':')
        && let Some(n) = num(&before[colon + 1..])
    {
        let end = func_start + find_pair(b']', b'[', &line[func_start..])?;
        return Some((
            &before[..colon],
            n,
            &line[func_start..end],
            end + 2,
            LineFormat::Current,
        ));
    }
    // Legacy: the first `][` preceded by `, DIGITS` that lies after the file.
    let mut from = func_start;
    while let Some(n) = find_pair(b']', b'[', &line[from..]) {
        let p = from + n;
        let mut q = p;
        while q > func_start && line[q - 1].is_ascii_digit() {
            q -= 1;
        }
        if q < p
            && q >= func_start + 2
            && &line[q - 2..q] == b", "
            && let Some(n) = num(&line[q..p])
        {
            return Some((
                before,
                n,
                &line[func_start..q - 2],
                p + 2,
                LineFormat::Legacy,
            ));
        }
        from = p + 1;
    }
    None
}

/// `YYYY-MM-DD TZ HH:MM:SS.mmm`.
pub(crate) fn parse_timestamp(raw: &[u8]) -> Option<Timestamp<'_>> {
    let sp1 = find_near(b' ', raw)?;
    let date = &raw[..sp1];
    let rest = &raw[sp1 + 1..];
    let sp2 = find_near(b' ', rest)?;
    let tz = &rest[..sp2];
    let time = &rest[sp2 + 1..];

    let (y, mo, da) = date_fields(date)?;
    if time.len() != 12 || time[2] != b':' || time[5] != b':' || time[8] != b'.' {
        return None;
    }
    let h = num(&time[0..2])?;
    let mi = num(&time[3..5])?;
    let s = num(&time[6..8])?;
    let ms = num(&time[9..12])?;
    let local =
        NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, mo, da)?.and_hms_milli_opt(h, mi, s, ms)?;
    Some(Timestamp {
        local,
        offset_minutes: parse_offset(tz),
        raw,
    })
}

/// The writer's UTC offset text, in minutes rounded to 15: `+8.0`, `-2.5`,
/// `+0.0` (hours, `%+.1f`), `+80`, `-40`, `0` (tenths of an hour), and the
/// Android / Windows variants `+-40`, `+-5.0`.
pub fn parse_offset(tz: &[u8]) -> Option<i32> {
    let mut s = tz;
    if let Some(r) = s.strip_prefix(b"+") {
        s = r;
    }
    let neg = match s.strip_prefix(b"-") {
        Some(r) => {
            s = r;
            true
        }
        None => false,
    };
    let minutes = match s.iter().position(|&c| c == b'.') {
        Some(dot) => {
            let hours = num(&s[..dot])?;
            let frac = &s[dot + 1..];
            if frac.len() > 3 {
                return None;
            }
            let scale = 10u32.pow(frac.len() as u32);
            let f = num(frac)?;
            hours.checked_mul(60)? + (f * 60 + scale / 2) / scale
        }
        None => num(s)?.checked_mul(6)?,
    };
    if minutes > 18 * 60 {
        return None;
    }
    let rounded = (minutes + 7) / 15 * 15;
    let m = i32::try_from(rounded).ok()?;
    Some(if neg { -m } else { m })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_near_matches_naive_search() {
        let hay: Vec<u8> = (0..300u32).map(|i| (i * 7 % 13) as u8 + b'0').collect();
        for start in 0..40 {
            for len in 0..60 {
                let h = &hay[start..start + len];
                for needle in (b'0'..b'0' + 14).chain([0x80, 0xff]) {
                    assert_eq!(find_near(needle, h), h.iter().position(|&b| b == needle));
                }
            }
        }
        // Bytes just above and below the needle: no false hit from a borrow.
        let h = [b'[', b']' + 1, b']' - 1, 0, 0xff, b']', b']', 1, b']'];
        assert_eq!(find_near(b']', &h), Some(5));
        assert_eq!(find_near(b'\0', &h), Some(3));
    }

    #[test]
    fn find_byte_matches_naive_search() {
        let hay: Vec<u8> = (0..200u32).map(|i| (i * 37 % 251) as u8).collect();
        for start in 0..40 {
            for needle in [0u8, 1, 10, 0x80, 0xff, 200, 37] {
                let h = &hay[start..];
                assert_eq!(
                    find_byte(needle, h),
                    h.iter().position(|&b| b == needle),
                    "needle {needle} start {start}"
                );
            }
        }
        // The borrow trick must not report a byte above a true match as the first one.
        let h = b"\x01\x00\x0a\x0a\x0b\x0a0123456789abcdef";
        assert_eq!(find_byte(0x0a, h), Some(2));
        assert_eq!(find_byte(0x00, h), Some(1));
    }

    #[test]
    fn newline_maps_mark_every_newline() {
        let text: Vec<u8> = (0..9000u32)
            .map(|i| match i {
                _ if i % 7 == 0 || i % 64 == 63 || i % 4096 == 0 => b'\n',
                _ => (i * 37 % 251) as u8,
            })
            .collect();
        for start in [0, 1, 63, 64, 65, 4095, 4096, 4097, 8990] {
            for len in [0, 1, 63, 64, 65, 200, 4096, 4097, 9000] {
                let part = &text[start..(start + len).min(text.len())];
                let mapped = part.len().min(64 * MAP_WORDS);
                let mut map = [u64::MAX; MAP_WORDS];
                assert_eq!(newline_map(part, &mut map), mapped.div_ceil(64));
                for (i, &b) in part[..mapped].iter().enumerate() {
                    assert_eq!(
                        map[i / 64] >> (i % 64) & 1 == 1,
                        b == b'\n',
                        "{start} {len} {i}"
                    );
                }
                if !mapped.is_multiple_of(64) {
                    // Past the end of the text: no newline.
                    assert_eq!(map[mapped / 64] >> (mapped % 64), 0);
                }
                #[cfg(target_arch = "x86_64")]
                {
                    let blocks = &part[..mapped / 64 * 64];
                    let mut sse2 = [0; MAP_WORDS];
                    newline_words::sse2(blocks, &mut sse2);
                    assert_eq!(sse2[..mapped / 64], map[..mapped / 64]);
                    if std::arch::is_x86_feature_detected!("avx2") {
                        let mut avx2 = [0; MAP_WORDS];
                        // SAFETY: the processor has AVX2.
                        unsafe { newline_words::avx2(blocks, &mut avx2) };
                        assert_eq!(avx2, sse2);
                    }
                }
            }
        }
    }

    /// Splits `text` pushed in `chunk`-byte pieces; checks the pieces'
    /// flags and sizes and the splitter's buffer, and joins the pieces of
    /// each record back.
    fn split_parts(text: &[u8], chunk: usize) -> Vec<Vec<u8>> {
        let mut sp = RecordSplitter::new();
        let mut recs: Vec<Vec<u8>> = Vec::new();
        let mut open = false;
        let mut take = |b: &[u8], p: Part| {
            assert!(b.len() <= MAX_PIECE, "piece of {}", b.len());
            assert!(!b.is_empty() || !p.cont, "empty continuation");
            assert_eq!(p.cont, open, "a continuation follows a piece with more");
            if p.cont {
                recs.last_mut().expect("open record").extend_from_slice(b);
            } else {
                recs.push(b.to_vec());
            }
            open = p.more;
            Ok::<(), ()>(())
        };
        for c in text.chunks(chunk) {
            sp.push_parts(c, &mut take).expect("ok");
            assert!(sp.buffered() <= MAX_PIECE, "{}", sp.buffered());
        }
        sp.finish_parts(&mut take).expect("ok");
        assert!(!open, "the last record was ended");
        recs
    }

    #[test]
    fn long_records_come_in_pieces_and_join_back() {
        let head = b"[E][2024-01-31 +8.0 10:00:00.000][1, 2*][t][a.cc:1, f][";
        let rec = b"[I][2024-01-31 +8.0 10:00:01.000][1, 2*][t][a.cc:1, f][ok\n";
        let mut line_bomb = head.to_vec();
        line_bomb.resize(3 * MAX_PIECE + 17, b'x');
        let zeros = vec![0u8; 2 * MAX_PIECE + 5];
        let mut lines = head.to_vec();
        while lines.len() < 3 * MAX_PIECE {
            lines.extend_from_slice("  continued \u{4e2d}\u{6587} line\n".as_bytes());
        }
        let mut mixed = rec.to_vec();
        mixed.extend_from_slice(&lines);
        mixed.extend_from_slice(rec);
        mixed.extend_from_slice(&line_bomb);
        mixed.push(b'\n');
        mixed.extend_from_slice(rec);
        // A long record ending in a short line, then a record start cut short.
        mixed.extend_from_slice(&zeros);
        mixed.extend_from_slice(b"\n[W]");
        for text in [&line_bomb[..], &zeros, &lines, &mixed] {
            let want: Vec<Vec<u8>> = Records::new(text).map(|r| r.bytes.to_vec()).collect();
            for chunk in [MAX_PIECE, 4093, 3 * MAX_PIECE / 2, text.len()] {
                assert!(split_parts(text, chunk) == want, "chunk {chunk}");
            }
        }
    }

    #[test]
    fn offsets() {
        let cases: [(&[u8], Option<i32>); 14] = [
            (b"+8.0", Some(480)),
            (b"+5.5", Some(330)),
            (b"-4.0", Some(-240)),
            (b"-2.5", Some(-150)),
            (b"+0.0", Some(0)),
            (b"+1.0", Some(60)),
            (b"+80", Some(480)),
            (b"+55", Some(330)),
            (b"-40", Some(-240)),
            (b"0", Some(0)),
            (b"+-40", Some(-240)),
            (b"+-5.0", Some(-300)),
            (b"+5.8", Some(345)), // Nepal +5:45 printed with one decimal
            (b"x", None),
        ];
        for (text, want) in cases {
            assert_eq!(
                parse_offset(text),
                want,
                "{}",
                String::from_utf8_lossy(text)
            );
        }
        assert_eq!(parse_offset(b"+57"), Some(345)); // Nepal as 20700/360 = 57 tenths
        assert_eq!(parse_offset(b"+99.0"), None);
    }

    #[test]
    fn levels_parse_and_order() {
        assert_eq!(Level::parse("warning"), Ok(Level::Warn));
        assert_eq!(Level::parse("W"), Ok(Level::Warn));
        assert_eq!(Level::parse(" DEBUG "), Ok(Level::Debug));
        assert_eq!(Level::parse("e"), Ok(Level::Error));
        assert!(Level::parse("critical").is_err());
        assert!(Level::Verbose < Level::Debug && Level::Error < Level::Fatal);
        for l in Level::ALL {
            assert_eq!(Level::from_letter(l.letter() as u8), Some(l));
            assert_eq!(Level::parse(l.name()), Ok(l));
        }
    }

    /// The message start of a full parse, for comparison with `body_start`.
    fn parsed_body(rec: &[u8]) -> Option<usize> {
        let m = Record::parse(rec).message()?;
        Some(m.as_ptr() as usize - rec.as_ptr() as usize)
    }

    #[test]
    fn body_start_agrees_with_the_full_parse() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/text");
        let mut headers = 0;
        // One memo throughout, so most answers come from it.
        let mut memo = DateMemo::default();
        for entry in std::fs::read_dir(dir).expect("corpus text") {
            let text = std::fs::read(entry.expect("entry").path()).expect("readable");
            for rec in Records::new(&text) {
                if rec.level.is_some() {
                    assert_eq!(body_start(rec.bytes, &mut memo), parsed_body(rec.bytes));
                    headers += usize::from(rec.header.is_some());
                }
            }
        }
        assert!(headers > 5000, "{headers}");
        // Every one-byte damage of a header: both agree on whether it is one.
        let line = b"[E][2024-02-29 +8.0 23:59:59.999][-12, 34*][t g][a.cc:10, f(x)][m\n".to_vec();
        let legacy = b"[I][2024-01-31 -2.5 10:00:00.000][1, 2][][a.cc, f, 7][m".to_vec();
        for base in [line, legacy] {
            assert!(body_start(&base, &mut memo).is_some());
            for i in 0..base.len() {
                for b in [
                    b'0', b'9', b'-', b' ', b']', b'[', b',', b':', b'*', b'x', b'\n',
                ] {
                    let mut bad = base.clone();
                    bad[i] = b;
                    if Record::parse(&bad).level.is_none() {
                        continue; // no level letter: never asked
                    }
                    // After the undamaged header, and from scratch.
                    assert!(body_start(&base, &mut memo).is_some());
                    assert_eq!(
                        body_start(&bad, &mut memo),
                        parsed_body(&bad),
                        "{}",
                        String::from_utf8_lossy(&bad)
                    );
                    assert_eq!(
                        body_start(&bad, &mut DateMemo::default()),
                        parsed_body(&bad),
                        "{}",
                        String::from_utf8_lossy(&bad)
                    );
                }
            }
        }
        for ts in [
            "2023-02-29 +8.0 10:00:00.000",
            "2024-01-31 +8.0 24:00:00.000",
        ] {
            let rec = format!("[I][{ts}][1, 2][t][a.cc:1, f][m");
            assert_eq!(body_start(rec.as_bytes(), &mut memo), None, "{ts}");
        }
    }

    /// The one-pass scan's answer for the first line of `rec`, checked
    /// against the field-by-field parser's.
    fn check_scan(rec: &[u8]) -> scan::Scan {
        let line = &rec[..find_byte(b'\n', rec).unwrap_or(rec.len())];
        let got = scan::scan(rec);
        match &got {
            scan::Scan::Header(s) => assert_eq!(
                Some(s),
                scalar_spans(line).as_ref(),
                "{}",
                String::from_utf8_lossy(rec)
            ),
            scan::Scan::NotHeader => {
                assert_eq!(scalar_spans(line), None, "{}", String::from_utf8_lossy(rec))
            }
            scan::Scan::Unknown => assert!(line.len() >= 128, "{}", String::from_utf8_lossy(rec)),
        }
        got
    }

    #[test]
    fn the_one_pass_scan_finds_the_parsers_fields() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/text");
        let mut fast = 0;
        for entry in std::fs::read_dir(dir).expect("corpus text") {
            let text = std::fs::read(entry.expect("entry").path()).expect("readable");
            for rec in Records::new(&text) {
                fast += usize::from(matches!(check_scan(rec.bytes), scan::Scan::Header(_)));
            }
        }
        assert!(fast > 5000, "{fast}");
        // Fields of every length put each delimiter on every side of the
        // 16-, 32-, 64- and 128-byte boundaries, and past the window.
        for n in 0..150 {
            let field = "x".repeat(n);
            let digits = "7".repeat(n.min(20));
            for line in [
                format!("[E][2024-02-29 +8.0 23:59:59.999][-12, 34*][{field}][a.cc:10, f][m\n"),
                format!("[I][2024-01-31 -2.5 10:00:00.000][1, 2][t][{field}.cc, f, 7][m"),
                format!("[I][2024-01-31 +80 10:00:00.000][1, 2][t][a.cc:9, {field}][m\nmore"),
                format!(
                    "[W][2024-01-31 +8.0 10:00:00.000][{digits}, {digits}][t][a:{digits}, f][m"
                ),
                format!("[D][{field} 10:00:00.000][1, 2][t][a.cc:1, f]"),
            ] {
                check_scan(line.as_bytes());
            }
        }
        // Locations whose line number is odd: the current layout only when
        // the last colon before `, ` is followed by 1..=9 digits up to it.
        for loc in [
            "a:b:12, f",
            "a:12x, f",
            "a::, f",
            "a:, f",
            ":1, f",
            "a:1234567890, f",
            "a:123456789, f",
            "1:2:3, f, 4",
            "a, f, 7",
            "a:7, f, 8",
            "7, f, 8",
            "a:b, 9",
            "a:1 , f, 2",
            "a:0, f][x, 3",
        ] {
            for tail in ["][m\n", "][m", "]\n[m", "][", "]"] {
                let line = format!("[I][2024-01-31 +8.0 10:00:00.000][1, 2][t][{loc}{tail}");
                check_scan(line.as_bytes());
            }
        }
        // Every one-byte damage of headers of several lengths.
        let bases = [
            &b"[E][2024-02-29 +8.0 23:59:59.999][-12, 34*][t g][a.cc:10, f(x)][m\n"[..],
            b"[I][2024-01-31 -2.5 10:00:00.000][1, 2][][a.cc, f, 7][m",
            b"[F][2024-01-31 +8.0 10:00:00.000][123456789, 987654321*][a_tag_that_is_long][some/long/path/file_name.cc:12345, Namespace::Class::function(int)][m\n",
        ];
        for base in bases {
            // The last is longer than the window: the scalar parser's.
            assert!(!matches!(check_scan(base), scan::Scan::NotHeader));
            for i in 0..base.len() {
                for b in [
                    b'0', b'9', b'-', b' ', b']', b'[', b',', b':', b'*', b'.', b'x', b'\n', 0x80,
                    0xFF,
                ] {
                    let mut bad = base.to_vec();
                    bad[i] = b;
                    check_scan(&bad);
                    check_scan(&bad[..i]);
                }
            }
        }
    }

    #[test]
    fn date_memo_reads_timestamps_as_parse_timestamp_does() {
        let mut memo = DateMemo::default();
        let base = b"2024-02-29 +8.0 23:59:59.999";
        let mut seen = 0;
        for prev in [
            &base[..],
            b"2024-02-29 -2.5 10:00:00.000",
            b"2024-02-29 +8.0 ",
        ] {
            for i in 0..base.len() {
                for b in [b'0', b'9', b'-', b' ', b'.', b':', b'x'] {
                    let mut bad = base.to_vec();
                    bad[i] = b;
                    // After an accepted (or rejected) neighbour.
                    assert_eq!(memo.timestamp(prev), parse_timestamp(prev));
                    assert_eq!(memo.timestamp(&bad), parse_timestamp(&bad));
                    assert_eq!(memo.timestamp(prev), parse_timestamp(prev));
                    let mut rec = b"[I][".to_vec();
                    rec.extend_from_slice(&bad);
                    rec.extend_from_slice(b"][1, 2][t][a.cc:1, f][m");
                    let spans = header_spans(&rec).expect("fields around the time");
                    let ok = parse_timestamp(&bad).is_some();
                    assert_eq!(memo.ok_spans(&rec, &spans), ok);
                    seen += usize::from(parse_timestamp(&bad).is_some());
                }
            }
        }
        assert!(seen > 10, "{seen}");
        for raw in [
            &b"2024-02-29 +8.0 23:59:59.9999"[..],
            b"2024-02-29 +8.0 23:59:59.99",
            b"2024-02-29 +8.0 24:00:00.000",
            b"2024-02-29 +8.0 23:60:00.000",
            b"2024-02-29 +8.0  23:59:59.999",
        ] {
            assert!(memo.timestamp(base).is_some());
            assert_eq!(
                memo.timestamp(raw),
                None,
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
    }
}
