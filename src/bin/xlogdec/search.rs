//! Searching records as grep does: the filter flags, context records
//! (`-A/-B/-C` with `--` between groups), counts (`-c`), and file names on
//! the lines (`-H`).

use std::cell::Cell;
use std::collections::VecDeque;
use std::io::{self, Write};
use std::ops::Range;
use std::rc::Rc;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, FixedOffset, Local};
use xlogdec::record::{Level, Record};
use xlogdec::render::shared::WriteShared;
use xlogdec::select::filter::{Filter, FilterOptions, TimeBound};
use xlogdec::select::filtered::{FilterSink, RecordSink, Takes};
use xlogdec::{Event, Sink, Summary};

const HEADING: &str = "Search and filter records (criteria combine with AND)";

/// The record filters and how matches are shown.
#[derive(clap::Args, Debug, Clone, Default)]
#[command(next_help_heading = HEADING)]
pub struct SearchArgs {
    /// Only records that match PATTERN anywhere, header (time, tag, file,
    /// function) and message, as grep searches lines. Repeat for several
    /// patterns (any may match).
    #[arg(
        short = 'e',
        long = "regexp",
        visible_alias = "grep",
        value_name = "PATTERN"
    )]
    pub patterns: Vec<String>,

    /// Only records whose message matches REGEX (continuation lines
    /// included; the header is not searched).
    #[arg(long, value_name = "REGEX")]
    pub message: Option<String>,

    /// The patterns of -e and --message are literal text, not regexes.
    #[arg(short = 'F', long)]
    pub fixed_strings: bool,

    /// Match patterns (-e, --message, --tag, --func, --file)
    /// case-insensitively.
    #[arg(short = 'i', long)]
    pub ignore_case: bool,

    /// Smart case: a pattern with no upper-case letter matches
    /// case-insensitively, one with an upper-case letter exactly (as rg).
    #[arg(short = 'S', long)]
    pub smart_case: bool,

    /// Keep the records that do NOT match -e (or --message, without -e).
    #[arg(short = 'v', long = "invert-match")]
    pub invert: bool,

    /// Only records of this level or above: V D I W E F, or verbose, debug,
    /// info, warn, error, fatal (any case).
    #[arg(short = 'l', long, value_name = "LEVEL", value_parser = parse_level)]
    pub level: Option<String>,

    /// Only records with this tag; exact, or a glob with * and ?. Repeat for
    /// several tags (any may match). -i and -S apply.
    #[arg(long, value_name = "TAG")]
    pub tag: Vec<String>,

    /// Only records whose header names this function; exact, or a glob
    /// with * and ?. Repeat for several (any may match).
    #[arg(long, value_name = "NAME")]
    pub func: Vec<String>,

    /// Only records whose header names this source file (its base name, as
    /// written: login_manager.cpp); exact, or a glob. Repeat for several.
    #[arg(long, value_name = "NAME")]
    pub file: Vec<String>,

    /// Only records of this process id.
    #[arg(long, value_name = "PID")]
    pub pid: Option<i64>,

    /// Only records of this thread id.
    #[arg(long, value_name = "TID")]
    pub tid: Option<i64>,

    /// Only records of the main thread (tid marked *).
    #[arg(long)]
    pub main_thread: bool,

    /// Only records at or after TIME: HH:MM[:SS], YYYY-MM-DD [HH:MM[:SS]],
    /// optionally with Z or +HH:MM, or relative like -2h (s, m, h, d, w).
    /// Without an offset, compared with the record's own wall clock.
    #[arg(long, value_name = "TIME", value_parser = parse_time, allow_hyphen_values = true)]
    pub since: Option<String>,

    /// Only records at or before TIME (same forms as --since); a date alone
    /// means the end of that day. Two times of day with --since after
    /// --until are a window across midnight (--since 23:50 --until 00:10).
    #[arg(long, value_name = "TIME", value_parser = parse_time, allow_hyphen_values = true)]
    pub until: Option<String>,

    /// Show N records after each match (text output; `--` between groups).
    #[arg(short = 'A', long, value_name = "N")]
    pub after_context: Option<usize>,

    /// Show N records before each match.
    #[arg(short = 'B', long, value_name = "N")]
    pub before_context: Option<usize>,

    /// Show N records before and after each match.
    #[arg(short = 'C', long, value_name = "N")]
    pub context: Option<usize>,

    /// Print only the number of matching records of each input.
    #[arg(short = 'c', long)]
    pub count: bool,

    /// Start each line with its input's name (the default with several
    /// inputs and a search, in text output): `NAME:` on matches, `NAME-`
    /// on context records.
    #[arg(short = 'H', long, overrides_with = "no_filename")]
    pub with_filename: bool,

    /// Never start lines with the input's name.
    #[arg(long, overrides_with = "with_filename")]
    pub no_filename: bool,

    /// Whether lines start with the input's name, settled by the command
    /// from the flags and the inputs (never a flag).
    #[arg(skip)]
    pub names: Cell<bool>,
}

/// The moment relative times (`--since -2h`) count back from: one for the run.
pub fn now() -> DateTime<FixedOffset> {
    static NOW: OnceLock<DateTime<FixedOffset>> = OnceLock::new();
    *NOW.get_or_init(|| Local::now().fixed_offset())
}

fn parse_level(s: &str) -> Result<String, String> {
    Level::parse(s)
        .map(|_| s.to_string())
        .map_err(|e| e.to_string())
}

fn parse_time(s: &str) -> Result<String, String> {
    TimeBound::parse(s, now())
        .map(|_| s.to_string())
        .map_err(|e| e.to_string())
}

impl SearchArgs {
    /// The filter options as given.
    pub fn filter_options(&self) -> FilterOptions {
        FilterOptions {
            level: self.level.clone(),
            tags: self.tag.clone(),
            pid: self.pid,
            tid: self.tid,
            main_thread: self.main_thread,
            since: self.since.clone(),
            until: self.until.clone(),
            regex: self.message.clone(),
            patterns: self.patterns.clone(),
            fixed_strings: self.fixed_strings,
            funcs: self.func.clone(),
            files: self.file.clone(),
            ignore_case: self.ignore_case,
            smart_case: self.smart_case,
            invert: self.invert,
        }
    }

    /// Records shown before and after each match.
    pub fn context(&self) -> (usize, usize) {
        let c = self.context.unwrap_or(0);
        (
            self.before_context.unwrap_or(c),
            self.after_context.unwrap_or(c),
        )
    }

    /// Whether any filter flag is given (a search, rather than a decode).
    pub fn searching(&self) -> bool {
        self.filter_options() != FilterOptions::default()
    }

    /// Settles whether lines carry the input's name: `-H`, `--no-filename`,
    /// else when several inputs are searched into one text stream.
    pub fn settle_names(&self, several: bool, text_stream: bool) {
        let default = several && text_stream && (self.searching() || self.count);
        let names = (self.with_filename || default) && !self.no_filename;
        self.names.set(names && text_stream);
    }
}

/// The separator value for a line printed without the name (grep's `--`).
const BARE: u8 = 0;

/// A writer that starts each line with `NAME` and a separator (`:` for
/// matches, `-` for context records, as grep), set by the record printer
/// through `sep` before it writes a record.
pub struct Named<W: Write> {
    inner: W,
    name: Vec<u8>,
    sep: Rc<Cell<u8>>,
    at_start: bool,
}

impl<W: Write> Named<W> {
    /// Lines of `inner` start with `name` and the current `sep`.
    pub fn new(inner: W, name: &str, sep: Rc<Cell<u8>>) -> Named<W> {
        Named {
            inner,
            name: name.as_bytes().to_vec(),
            sep,
            at_start: true,
        }
    }
}

impl<W: Write> Write for Named<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            if self.at_start && self.sep.get() != BARE {
                self.inner.write_all(&self.name)?;
                self.inner.write_all(&[self.sep.get()])?;
            }
            let end = memchr::memchr(b'\n', buf).map_or(buf.len(), |i| i + 1);
            self.inner.write_all(&buf[..end])?;
            self.at_start = buf[end - 1] == b'\n';
            buf = &buf[end..];
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A context record's bytes are kept up to this size; past it the rest is
/// not kept and a note says so.
const CONTEXT_RECORD_MAX: usize = 8 << 20;

/// What becomes of the pieces of a long record still coming.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pieces {
    /// Printed as they come.
    Print,
    /// Kept as possible context before a match.
    Keep,
    /// Dropped.
    Drop,
}

/// Prints the records that match with up to `before` records before and
/// `after` records after each, and `--` between groups that do not touch
/// (grep's `-B`, `-A`, `-C`). It is fed every record (an empty filter in
/// the [`FilterSink`] before it) and judges them itself.
pub struct Context<R: RecordSink> {
    inner: R,
    filter: Filter,
    before: usize,
    after: usize,
    /// Records that may yet be shown before a match: level, bytes, and
    /// whether they were cut at [`CONTEXT_RECORD_MAX`].
    kept: VecDeque<(Option<Level>, Vec<u8>, bool)>,
    /// Records still to show after the last match.
    after_left: usize,
    /// A record was left out since the last one shown.
    gap: bool,
    shown_any: bool,
    pieces: Pieces,
    /// The `-H` separator, when names are shown.
    sep: Option<Rc<Cell<u8>>>,
}

impl<R: RecordSink> Context<R> {
    /// Context around the records `filter` passes.
    pub fn new(
        inner: R,
        filter: Filter,
        (before, after): (usize, usize),
        sep: Option<Rc<Cell<u8>>>,
    ) -> Context<R> {
        Context {
            inner,
            filter,
            before,
            after,
            kept: VecDeque::new(),
            after_left: 0,
            gap: false,
            shown_any: false,
            pieces: Pieces::Drop,
            sep,
        }
    }

    /// Before a record is shown: the separator after a gap, and `-H`'s mark.
    fn start(&mut self, matched: bool) -> io::Result<()> {
        if self.gap && self.shown_any {
            // grep prints `--` bare, without a name.
            if let Some(s) = &self.sep {
                s.set(BARE);
            }
            self.inner.record(&Record::parse(b"--\n"))?;
        }
        self.gap = false;
        self.shown_any = true;
        if let Some(s) = &self.sep {
            s.set(if matched { b':' } else { b'-' });
        }
        Ok(())
    }

    /// Shows the kept records before a match.
    fn show_kept(&mut self) -> io::Result<()> {
        while let Some((_, bytes, cut)) = self.kept.pop_front() {
            self.start(false)?;
            self.inner.record(&Record::parse(&bytes))?;
            if cut {
                let note =
                    format!("[F]xlogdec: context record cut at {CONTEXT_RECORD_MAX} bytes\n");
                self.inner.record(&Record::parse(note.as_bytes()))?;
            }
        }
        Ok(())
    }

    /// A record that is not shown now: kept as context, or dropped.
    fn keep(&mut self, level: Option<Level>, bytes: &[u8]) -> Pieces {
        if self.before == 0 {
            self.gap = true;
            return Pieces::Drop;
        }
        if self.kept.len() == self.before {
            self.kept.pop_front();
            self.gap = true;
        }
        let n = bytes.len().min(CONTEXT_RECORD_MAX);
        self.kept
            .push_back((level, bytes[..n].to_vec(), n < bytes.len()));
        Pieces::Keep
    }

    /// Judges and shows (or keeps) a record, or the first piece of one.
    fn judge(&mut self, rec: &Record<'_>, head: bool) -> io::Result<Pieces> {
        if self.filter.matches(rec) {
            self.show_kept()?;
            self.start(true)?;
            self.after_left = self.after;
        } else if self.after_left > 0 {
            self.after_left -= 1;
            self.start(false)?;
        } else {
            return Ok(self.keep(rec.level, rec.bytes));
        }
        if head {
            self.inner.record_head(rec)?;
        } else {
            self.inner.record(rec)?;
        }
        Ok(Pieces::Print)
    }
}

impl<R: RecordSink> RecordSink for Context<R> {
    fn record(&mut self, rec: &Record<'_>) -> io::Result<()> {
        self.judge(rec, false).map(|_| ())
    }

    fn record_head(&mut self, rec: &Record<'_>) -> io::Result<()> {
        self.pieces = self.judge(rec, true)?;
        Ok(())
    }

    fn record_rest(&mut self, level: Option<Level>, bytes: &[u8], more: bool) -> io::Result<()> {
        match self.pieces {
            Pieces::Print => self.inner.record_rest(level, bytes, more),
            Pieces::Keep => {
                if let Some((_, kept, cut)) = self.kept.back_mut() {
                    let room = CONTEXT_RECORD_MAX.saturating_sub(kept.len());
                    kept.extend_from_slice(&bytes[..room.min(bytes.len())]);
                    *cut |= room < bytes.len();
                }
                Ok(())
            }
            Pieces::Drop => Ok(()),
        }
    }

    fn event(&mut self, event: &Event<'_>) -> io::Result<()> {
        if let Some(s) = &self.sep {
            s.set(b':');
        }
        self.inner.event(event)
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.inner.finish(summary)
    }
}

/// Counts the records that pass and prints the number at the end of the
/// input (`NAME:N` with names).
pub struct Count<'w> {
    filtered: FilterSink<Discard>,
    out: Box<dyn Write + 'w>,
    name: Option<String>,
}

impl<'w> Count<'w> {
    /// Counts what `filter` passes; `name` starts the line when given.
    pub fn new(filter: Filter, out: Box<dyn Write + 'w>, name: Option<String>) -> Count<'w> {
        Count {
            filtered: FilterSink::new(Discard, filter),
            out,
            name,
        }
    }
}

impl Sink for Count<'_> {
    fn event(&mut self, event: &Event<'_>) -> io::Result<()> {
        self.filtered.event(event)
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.filtered.finish(summary)?;
        let n = self.filtered.passed();
        match &self.name {
            Some(name) => writeln!(self.out, "{name}:{n}")?,
            None => writeln!(self.out, "{n}")?,
        }
        self.out.flush()
    }
}

/// A record sink that keeps nothing (the count is the filter's).
pub struct Discard;

impl RecordSink for Discard {
    fn record(&mut self, _rec: &Record<'_>) -> io::Result<()> {
        Ok(())
    }
    fn takes(&self) -> Takes {
        Takes::Runs
    }
    fn run(&mut self, _bytes: &[u8]) -> io::Result<()> {
        Ok(())
    }
    fn record_rest(&mut self, _: Option<Level>, _: &[u8], _: bool) -> io::Result<()> {
        Ok(())
    }
}

/// The writer of one input's text in a stream of several: before the
/// input's first byte, `sep` when an earlier input wrote something (grep's
/// `--` between the context groups of two files).
pub struct Between<'a, W: Write + ?Sized> {
    inner: &'a mut W,
    sep: Option<&'static [u8]>,
    /// Something was written to the stream, by this input or an earlier one.
    wrote: &'a mut bool,
    started: bool,
}

impl<'a, W: Write + ?Sized> Between<'a, W> {
    /// One input's writer into `inner`.
    pub fn new(inner: &'a mut W, sep: Option<&'static [u8]>, wrote: &'a mut bool) -> Self {
        Between {
            inner,
            sep,
            wrote,
            started: false,
        }
    }
}

impl<W: Write + ?Sized> Between<'_, W> {
    /// Starts the input's text (with `sep` when due) before `len` bytes.
    #[inline]
    fn start(&mut self, len: usize) -> io::Result<()> {
        if len > 0 && !self.started {
            if *self.wrote
                && let Some(sep) = self.sep
            {
                self.inner.write_all(sep)?;
            }
            self.started = true;
            *self.wrote = true;
        }
        Ok(())
    }
}

impl<W: Write + ?Sized> Write for Between<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.start(buf.len())?;
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W: WriteShared + ?Sized> WriteShared for Between<'_, W> {
    fn write_shared(&mut self, bytes: &Arc<Vec<u8>>, range: Range<usize>) -> io::Result<()> {
        self.start(range.len())?;
        self.inner.write_shared(bytes, range)
    }
}

impl SearchArgs {
    /// What goes between the texts of two inputs: grep's `--` when context
    /// records are shown.
    pub fn between_inputs(&self) -> Option<&'static [u8]> {
        (self.context() != (0, 0) && !self.count).then_some(b"--\n")
    }
}
