//! Records out of the event stream: [`FilterSink`] cuts decoded text into
//! [`Record`]s, keeps those that pass a [`Filter`], and hands them with the
//! integrity events to a [`RecordSink`] (the text and JSON printers, the
//! statistics of `xlogdec info`, the viewer).
//!
//! Memory stays bounded: only the record still open at the end of a text
//! chunk is buffered, and at most [`MAX_PIECE`] bytes of it. A record
//! longer than that comes in pieces; it is judged by its first piece (which
//! holds its header line) and its other pieces follow that verdict. Records
//! are borrowed, never copied one by one.

use std::cmp::Ordering;
use std::io;
use std::ops::Range;

use crate::event::{Event, Sink};
use crate::filter::{Filter, Scope, TimeBound};
use crate::json::{JsonRenderer, RENDER_LIMIT, Rendered, RenderedMeta};
use crate::reader::Summary;
pub use crate::record::MAX_PIECE;
use crate::record::formats::meta::start_offset;
use crate::record::{
    DateMemo, Level, Part, Prefix, Record, RecordSplitter, Records, Timestamp, body_start,
    find_byte, formats, header_spans, parse_prefix, starts_record, whole_lines,
};
use chrono::Timelike;
use regex::bytes::Regex;

/// Receives records and the decoder's other events, in input order.
pub trait RecordSink {
    /// A record that passed the filter (with an empty filter, every record,
    /// raw text included).
    fn record(&mut self, rec: &Record<'_>) -> io::Result<()>;

    /// Any event but [`Event::Text`]: blocks and integrity findings.
    fn event(&mut self, event: &Event<'_>) -> io::Result<()>;

    /// Called once after the last event of an input.
    fn finish(&mut self, summary: &Summary) -> io::Result<()>;

    /// How much of the passed records this sink reads; [`FilterSink`]
    /// skips the work the sink does not need.
    fn takes(&self) -> Takes {
        Takes::Records
    }

    /// A passed record by its bytes and level alone (the header unparsed);
    /// called instead of [`record`](RecordSink::record) when
    /// [`takes`](RecordSink::takes) gives [`Takes::Levels`].
    fn record_level(&mut self, level: Option<Level>, bytes: &[u8]) -> io::Result<()> {
        let _ = level;
        self.record(&Record::parse(bytes))
    }

    /// Passed records that follow one another in the input, as one slice;
    /// called instead of [`record`](RecordSink::record) when
    /// [`takes`](RecordSink::takes) gives [`Takes::Runs`].
    fn run(&mut self, bytes: &[u8]) -> io::Result<()> {
        Records::new(bytes).try_for_each(|rec| self.record(&rec))
    }

    /// The first piece of a passed record longer than [`MAX_PIECE`] bytes,
    /// parsed as far as the piece goes (it holds the header line, or its
    /// first [`MAX_PIECE`] bytes); called instead of
    /// [`record`](RecordSink::record) when [`takes`](RecordSink::takes)
    /// gives [`Takes::Records`]. The rest follows in
    /// [`record_rest`](RecordSink::record_rest) calls.
    fn record_head(&mut self, rec: &Record<'_>) -> io::Result<()> {
        self.record(rec)
    }

    /// The next piece of a passed record longer than [`MAX_PIECE`] bytes,
    /// whose first piece came to [`record_head`](RecordSink::record_head)
    /// or [`record_level`](RecordSink::record_level) (a sink that takes
    /// runs gets the pieces in [`run`](RecordSink::run) instead). `level`:
    /// the record's; `more`: more pieces of it follow.
    fn record_rest(&mut self, level: Option<Level>, bytes: &[u8], more: bool) -> io::Result<()>;

    /// What the decoder's worker threads may render ahead for this sink,
    /// asked once when the filter sink is built (for a sink that takes
    /// [`Takes::Records`]). `None`, the default, asks for nothing.
    fn renderer(&self) -> Option<JsonRenderer> {
        None
    }

    /// A passed record that a worker rendered with the sink's
    /// [`renderer`](RecordSink::renderer); called instead of
    /// [`record`](RecordSink::record). The default parses it.
    fn rendered(&mut self, r: &Rendered<'_>) -> io::Result<()> {
        self.record(&Record::parse(r.bytes))
    }
}

/// What a [`RecordSink`] reads of the records it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takes {
    /// Parsed records, one by one ([`RecordSink::record`]).
    Records,
    /// Each record's bytes and level ([`RecordSink::record_level`]).
    Levels,
    /// Only bytes: contiguous passed records come as one slice
    /// ([`RecordSink::run`]).
    Runs,
}

/// `RecordSink` for a pointer type, every method forwarded to the sink it
/// points at.
macro_rules! forward_record_sink {
    ($ptr:ty) => {
        impl<R: RecordSink + ?Sized> RecordSink for $ptr {
            fn record(&mut self, rec: &Record<'_>) -> io::Result<()> {
                (**self).record(rec)
            }
            fn event(&mut self, event: &Event<'_>) -> io::Result<()> {
                (**self).event(event)
            }
            fn finish(&mut self, summary: &Summary) -> io::Result<()> {
                (**self).finish(summary)
            }
            fn takes(&self) -> Takes {
                (**self).takes()
            }
            fn record_level(&mut self, level: Option<Level>, bytes: &[u8]) -> io::Result<()> {
                (**self).record_level(level, bytes)
            }
            fn run(&mut self, bytes: &[u8]) -> io::Result<()> {
                (**self).run(bytes)
            }
            fn record_head(&mut self, rec: &Record<'_>) -> io::Result<()> {
                (**self).record_head(rec)
            }
            fn record_rest(
                &mut self,
                level: Option<Level>,
                bytes: &[u8],
                more: bool,
            ) -> io::Result<()> {
                (**self).record_rest(level, bytes, more)
            }
            fn renderer(&self) -> Option<JsonRenderer> {
                (**self).renderer()
            }
            fn rendered(&mut self, r: &Rendered<'_>) -> io::Result<()> {
                (**self).rendered(r)
            }
        }
    };
}

forward_record_sink!(&mut R);
forward_record_sink!(Box<R>);

/// A [`Sink`] that splits text into records, filters them and passes the
/// survivors on.
///
/// Integrity events (gaps, skipped ranges, locked blocks, ...) always pass:
/// before one is handed on, the record still open is completed, so the
/// output keeps the input's order. A record split across two blocks with no
/// event between them stays one record.
///
/// The receiving sink's [`takes`](RecordSink::takes), asked once when the
/// filter sink is built, decides how records are handed on: parsed, by
/// level, or as runs of contiguous records (then a text chunk whose records
/// all pass goes on in one piece).
pub struct FilterSink<R> {
    inner: R,
    gate: Gate,
    splitter: RecordSplitter,
}

/// The filter and its counters.
struct Gate {
    filter: Filter,
    /// What the filter reads, settled once.
    plan: Plan,
    /// The message regex, when it runs over whole chunks (see
    /// [`assertion_free`]) to settle at once the records it matches
    /// nowhere in (rejected, or passed with `-v`).
    scan: Option<Searcher>,
    takes: Takes,
    /// What workers may render ahead for the receiving sink.
    render: Option<JsonRenderer>,
    /// The verdict on the record whose pieces are coming: `Some(level)`
    /// when it passed.
    passing: Option<Option<Level>>,
    /// The last date read from a header, and more (see [`Memo`]).
    memo: Memo,
    /// The UTC offset of the last Mars open banner, which IM SDK lines
    /// (that write none) take.
    offset: Option<i32>,
    /// The verdict a worker gave on the last record of the last judged
    /// chunk, the one the splitter holds: its length and verdict. It
    /// serves when that record comes out unchanged (the same length: the
    /// splitter only ever appends to the record it holds, or cuts it).
    tail: Option<(usize, Verdict)>,
    seen: u64,
    passed: u64,
}

/// Passed records that follow one another in the current text chunk,
/// not yet handed on: `chunk[start..end]`.
///
/// It also keeps the last regex search over the chunk: from `searched.0`,
/// the first match is `searched.1` ([`NO_HIT`] when there is none).
struct Run<'t> {
    chunk: &'t [u8],
    start: usize,
    end: usize,
    searched: Option<(usize, Range<usize>)>,
    /// A worker's verdicts on the chunk's records (see [`Judge`]), and
    /// the first one not yet passed by.
    verdicts: &'t [Verdict],
    next: usize,
    /// What the worker rendered ahead of the chunk's records (see
    /// [`JsonRenderer`]): per rendered record, and their lines end to end.
    meta: &'t [RenderedMeta],
    rendered: &'t [u8],
}

/// The match of a search that found none: after every record.
const NO_HIT: Range<usize> = usize::MAX..usize::MAX;

/// What the message regex's search over a whole chunk tells of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Search {
    /// Nothing (no search, or bytes outside the chunk).
    Unknown,
    /// The regex matches nowhere in the record's bytes.
    NoMatch,
    /// The first match that starts in the record's bytes, as positions in
    /// them (it may run past their end).
    Hit(Range<usize>),
}

/// The message regex's search over a chunk. A pattern that is a plain
/// literal is searched for directly: the regex would search for it the
/// same way, behind more work per call, and a call is made per match.
#[derive(Debug, Clone)]
enum Searcher {
    Regex(Regex),
    Literal(Box<memchr::memmem::Finder<'static>>),
}

impl Searcher {
    fn new(re: &Regex) -> Searcher {
        match literal(re) {
            Some(lit) => {
                Searcher::Literal(Box::new(memchr::memmem::Finder::new(&lit).into_owned()))
            }
            None => Searcher::Regex(re.clone()),
        }
    }

    /// The leftmost match in `hay` that starts at `from` or later.
    #[inline]
    fn find_at(&self, hay: &[u8], from: usize) -> Option<Range<usize>> {
        match self {
            Searcher::Regex(re) => re.find_at(hay, from).map(|m| m.range()),
            Searcher::Literal(f) => {
                let at = from + f.find(&hay[from..])?;
                Some(at..at + f.needle().len())
            }
        }
    }
}

/// The text `re` matches exactly, if it is a plain literal: ASCII, no
/// character with a meaning in a pattern, and, if it has letters, not
/// case-insensitive (it does not match its letters' other case; a
/// letterless ASCII text has no other case, not even under Unicode case
/// folding).
fn literal(re: &Regex) -> Option<Vec<u8>> {
    let p = unescape(re.as_str())?;
    let p = p.as_str();
    let swapped: String = p
        .chars()
        .map(|c| match c {
            'a'..='z' => c.to_ascii_uppercase(),
            'A'..='Z' => c.to_ascii_lowercase(),
            c => c,
        })
        .collect();
    if swapped != p && re.is_match(swapped.as_bytes()) {
        return None;
    }
    Some(p.as_bytes().to_vec())
}

/// The ASCII text a pattern stands for when it is one written as
/// `regex::escape` writes a literal (as `-F` patterns are): plain
/// characters and escaped meta characters only.
fn unescape(p: &str) -> Option<String> {
    if !p.is_ascii() {
        return None;
    }
    let mut out = String::with_capacity(p.len());
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        out.push(if c == '\\' { chars.next()? } else { c });
    }
    (regex::escape(&out) == p).then_some(out)
}

impl<'t> Run<'t> {
    fn new(chunk: &'t [u8], verdicts: &'t [Verdict]) -> Run<'t> {
        Run {
            chunk,
            start: 0,
            end: 0,
            searched: None,
            verdicts,
            next: 0,
            meta: &[],
            rendered: &[],
        }
    }

    /// A run over a judged chunk, with what was rendered of it.
    fn judged(chunk: &'t [u8], v: Verdicts<'t>) -> Run<'t> {
        Run {
            meta: v.1,
            rendered: v.2,
            ..Run::new(chunk, v.0)
        }
    }

    /// What the worker rendered of the record `v` is the verdict on, a
    /// verdict of this chunk.
    #[inline]
    fn rendering<'b>(&self, v: Verdict, bytes: &'b [u8]) -> Option<Rendered<'b>>
    where
        't: 'b,
    {
        let i = v.meta as usize;
        let meta = self.meta.get(i)?;
        let from = match i {
            0 => 0,
            _ => self.meta[i - 1].json_end as usize,
        };
        let json = self.rendered.get(from..meta.json_end as usize)?;
        Some(Rendered { bytes, json, meta })
    }

    /// The worker's verdict on the chunk's `len` bytes at `from`, if it
    /// gave one on exactly these bytes. Records are looked up in chunk
    /// order.
    #[inline]
    fn verdict(&mut self, from: usize, len: usize) -> Option<Verdict> {
        let v = self.verdicts;
        while self.next < v.len() && (v[self.next].start as usize) < from {
            self.next += 1;
        }
        let at = v.get(self.next).filter(|e| e.start as usize == from)?;
        let end = v
            .get(self.next + 1)
            .map_or(self.chunk.len(), |e| e.start as usize);
        (end == from + len && at.known()).then_some(*at)
    }

    /// Where `bytes` lie in the chunk, if they do.
    #[inline]
    fn locate(&self, bytes: &[u8]) -> Option<usize> {
        let base = self.chunk.as_ptr() as usize;
        let at = bytes.as_ptr() as usize;
        (at >= base && at + bytes.len() <= base + self.chunk.len()).then(|| at - base)
    }

    /// The first match of `re` over the chunk that starts inside `bytes`,
    /// a record of the chunk (with an assertion-free `re`, `NoMatch` means
    /// that `re` matches nowhere in them). One search serves every record
    /// before the next match.
    #[inline(always)]
    fn search(&mut self, re: &Searcher, bytes: &[u8]) -> Search {
        let Some(from) = self.locate(bytes) else {
            return Search::Unknown;
        };
        let hit = match &self.searched {
            Some((at, hit)) if *at <= from && hit.start >= from => hit.clone(),
            _ => {
                let hit = re.find_at(self.chunk, from).unwrap_or(NO_HIT);
                self.searched = Some((from, hit.clone()));
                hit
            }
        };
        if hit.start < from + bytes.len() {
            Search::Hit(hit.start - from..hit.end - from)
        } else {
            Search::NoMatch
        }
    }

    /// Hands the run on, if any.
    fn flush<R: RecordSink>(&mut self, inner: &mut R) -> io::Result<()> {
        if self.start < self.end {
            inner.run(&self.chunk[self.start..self.end])?;
        }
        self.start = self.end;
        Ok(())
    }

    /// Adds passed `bytes` to the run when they lie in the chunk (then
    /// `true`); a gap before them hands the run on first.
    #[inline(always)]
    fn add<R: RecordSink>(&mut self, inner: &mut R, bytes: &[u8]) -> io::Result<bool> {
        let Some(from) = self.locate(bytes) else {
            self.flush(inner)?;
            return Ok(false);
        };
        if from != self.end {
            self.flush(inner)?;
            self.start = from;
        }
        self.end = from + bytes.len();
        Ok(true)
    }
}

impl<R: RecordSink> FilterSink<R> {
    /// Filters records into `inner`.
    pub fn new(inner: R, filter: Filter) -> FilterSink<R> {
        FilterSink {
            gate: Gate {
                plan: Plan::new(&filter),
                // Worth it when the regex is the first test a record meets
                // and matches are rare next to records: one search then
                // serves many (with `-v` too, passing those it skips).
                scan: filter
                    .regex
                    .as_ref()
                    .filter(|_| {
                        assertion_free(&filter)
                            && filter.min_level.is_none()
                            && !needs_prefix(&filter)
                    })
                    .map(Searcher::new),
                takes: inner.takes(),
                render: (inner.takes() == Takes::Records)
                    .then(|| inner.renderer())
                    .flatten(),
                passing: None,
                memo: Memo::default(),
                offset: None,
                tail: None,
                filter,
                seen: 0,
                passed: 0,
            },
            inner,
            splitter: RecordSplitter::new(),
        }
    }

    /// Records seen so far (passed or not).
    pub fn seen(&self) -> u64 {
        self.gate.seen
    }

    /// Records passed on so far.
    pub fn passed(&self) -> u64 {
        self.gate.passed
    }

    /// Bytes of the open record held back (at most [`MAX_PIECE`]).
    pub fn buffered(&self) -> usize {
        self.splitter.buffered()
    }

    /// The receiving sink.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The receiving sink back.
    pub fn into_inner(self) -> R {
        self.inner
    }

    fn flush(&mut self) -> io::Result<()> {
        let FilterSink {
            inner,
            gate,
            splitter,
        } = self;
        let r = splitter.finish_parts(|b, part| gate.offer(inner, None, b, part));
        gate.tail = None;
        r
    }
}

/// Whether a record whose bytes do not match the message regex can be
/// rejected unparsed: true when the pattern has no anchors or word
/// boundaries (then a match in the message is a match in the record, which
/// holds the message), and the match is not inverted. A pattern text that
/// merely looks like it has one only loses the shortcut.
fn regex_prefilter(filter: &Filter) -> bool {
    !filter.invert && assertion_free(filter)
}

/// Whether the message regex has no anchors or word boundaries: then it
/// matches a text exactly when it matches, from some start, the text
/// around it, so a search over a whole chunk finds the records that may
/// match (a pattern text that merely looks like it has one only loses
/// the shortcut).
fn assertion_free(filter: &Filter) -> bool {
    let Some(re) = &filter.regex else {
        return false;
    };
    let p = re.as_str();
    !p.contains(['^', '$'])
        && !["\\b", "\\B", "\\A", "\\z", "\\<", "\\>"]
            .iter()
            .any(|a| p.contains(a))
}

/// What a filter reads of a record, settled when the filter sink is built
/// rather than asked of the filter for every record.
#[derive(Debug, Clone, Copy)]
struct Plan {
    /// The filter passes everything.
    empty: bool,
    /// The message regex may run on a record's whole bytes first (see
    /// [`regex_prefilter`]).
    prefilter: bool,
    /// The filter looks at fields before the header's location.
    prefix: bool,
    /// The filter bounds the time.
    bounded: bool,
    /// A time bound is an instant or a time of day in a given offset: a
    /// record's UTC offset matters.
    utc: bool,
    /// The filter looks at more than the level and the time.
    fields: bool,
    /// The wall-clock bounds as text, for the shapes that write their time
    /// in a fixed layout.
    window: TextWindow,
}

/// The time bounds on the wall clock as the text of a time in the layout
/// `YYYY-MM-DD HH:MM:SS.mmm`, which sorts as the times do: a record whose
/// time text sorts outside them is outside (or has no valid time, and
/// fails either way).
#[derive(Debug, Clone, Copy, Default)]
struct TextWindow {
    since: Option<TextBound>,
    until: Option<TextBound>,
    /// Every bound of the filter is here.
    whole: bool,
}

/// What the record judge keeps from one record to the next: the last
/// date read from a bracket header, and the time window as text in the
/// last UTC offset an IM SDK record was read in.
#[derive(Debug, Clone, Default)]
pub(crate) struct Memo {
    date: DateMemo,
    window: Option<(Option<i32>, TextWindow)>,
}

impl Memo {
    /// The filter's time window as text for a record read in `offset`
    /// (instants become wall-clock times there).
    #[inline]
    fn window(&mut self, f: &Filter, offset: Option<i32>) -> TextWindow {
        match self.window {
            Some((o, w)) if o == offset => w,
            _ => {
                let w = TextWindow::at(f, offset);
                self.window = Some((offset, w));
                w
            }
        }
    }
}

/// A bound's text and where its comparison starts (0 for a date and time,
/// 11 for a time of day).
#[derive(Debug, Clone, Copy)]
struct TextBound {
    text: [u8; 23],
    from: usize,
}

impl TextBound {
    /// How the time text `t` sorts against the bound's, from `from` on:
    /// as big-endian words (bytes 0..8, 8..16 and 15..23, or 11..19 and
    /// 15..23 for a time of day; a byte compared twice was equal the
    /// first time), not a call to `memcmp`.
    #[inline(always)]
    fn order(&self, t: &[u8; 23]) -> Ordering {
        let word = |b: &[u8; 23], at: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[at..at + 8]);
            u64::from_be_bytes(w)
        };
        let starts: &[usize] = if self.from == 0 {
            &[0, 8, 15]
        } else {
            &[11, 15]
        };
        for &at in starts {
            match word(t, at).cmp(&word(&self.text, at)) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        Ordering::Equal
    }

    /// The bound as text, when it is on the wall clock, to the millisecond
    /// (as the lines are), with a four-digit year.
    fn new(b: &TimeBound) -> Option<TextBound> {
        let (s, from) = match *b {
            TimeBound::Local(l) if l.nanosecond() % 1_000_000 == 0 => {
                (l.format("%Y-%m-%d %H:%M:%S%.3f").to_string(), 0)
            }
            TimeBound::TimeOfDay(t) if t.nanosecond() % 1_000_000 == 0 => {
                (format!("0000-00-00 {}", t.format("%H:%M:%S%.3f")), 11)
            }
            _ => return None,
        };
        Some(TextBound {
            text: s.as_bytes().try_into().ok()?,
            from,
        })
    }
}

impl TextWindow {
    /// The bounds on the wall clock.
    fn new(f: &Filter) -> TextWindow {
        TextWindow::with(f, TextBound::new)
    }

    /// The bounds on the wall clock, and the instants as wall-clock times
    /// in `offset` (in their own offset when it is `None`, as
    /// [`TimeBound::compare`] reads them).
    fn at(f: &Filter, offset: Option<i32>) -> TextWindow {
        TextWindow::with(f, |b| match *b {
            TimeBound::Instant {
                utc_millis,
                offset: own,
            } => {
                let local = utc_millis.checked_add(i64::from(offset.unwrap_or(own)) * 60_000)?;
                let local = chrono::DateTime::from_timestamp_millis(local)?.naive_utc();
                TextBound::new(&TimeBound::Local(local))
            }
            _ => TextBound::new(b),
        })
    }

    fn with(f: &Filter, text: impl Fn(&TimeBound) -> Option<TextBound>) -> TextWindow {
        if f.overnight {
            // A window across midnight passes times after `since` OR
            // before `until`: left to `Filter::time_passes`.
            return TextWindow::default();
        }
        let since = f.since.as_ref().and_then(&text);
        let until = f.until.as_ref().and_then(&text);
        TextWindow {
            since,
            until,
            whole: since.is_some() == f.since.is_some() && until.is_some() == f.until.is_some(),
        }
    }

    /// Whether a record whose time text is `t` is outside the bounds.
    #[inline]
    fn rejects(&self, t: &[u8; 23]) -> bool {
        self.since.is_some_and(|b| b.order(t) == Ordering::Less)
            || self.until.is_some_and(|b| b.order(t) == Ordering::Greater)
    }
}

impl Plan {
    fn new(f: &Filter) -> Plan {
        Plan {
            empty: f.is_empty(),
            prefilter: regex_prefilter(f),
            prefix: needs_prefix(f),
            bounded: f.since.is_some() || f.until.is_some(),
            utc: [f.since, f.until]
                .iter()
                .flatten()
                .any(|b| matches!(b, TimeBound::Instant { .. } | TimeBound::TimeOfDayAt(..))),
            fields: !f.tags.is_empty()
                || f.pid.is_some()
                || f.tid.is_some()
                || f.main_thread_only
                || f.regex.is_some()
                || f.message_regex.is_some()
                || f.reads_location(),
            window: TextWindow::new(f),
        }
    }
}

/// Whether the filter looks at fields before the header's location.
#[inline]
fn needs_prefix(f: &Filter) -> bool {
    !f.tags.is_empty()
        || f.pid.is_some()
        || f.tid.is_some()
        || f.main_thread_only
        || f.since.is_some()
        || f.until.is_some()
}

/// The checks of [`Filter::matches`] on the fields before the location.
fn prefix_fields_pass(f: &Filter, p: &Prefix<'_>) -> bool {
    !(f.pid.is_some_and(|x| x != p.pid)
        || f.tid.is_some_and(|x| x != p.tid)
        || (f.main_thread_only && !p.main_thread)
        || (!f.tags.is_empty() && !f.tags.iter().any(|t| t.matches(p.tag)))
        || !f.time_passes(&p.timestamp))
}

/// The checks of [`Filter::matches`] on the fields before the location,
/// parsed cheaply: `false` only for records the full check rejects too.
fn prefix_passes(f: &Filter, bytes: &[u8]) -> bool {
    match parse_prefix(bytes) {
        Some(p) => prefix_fields_pass(f, &p),
        None => false, // no full header either
    }
}

/// The record's level, from its `[L]` (or the level of another shape).
#[inline(always)]
fn level_of(bytes: &[u8]) -> Option<Level> {
    match bytes {
        [b'[', l, b']', ..] if Level::from_letter(*l).is_some() => Level::from_letter(*l),
        _ => other_level(bytes),
    }
}

/// [`level_of`] for a record that is not a Mars bracket line.
#[inline(never)]
fn other_level(bytes: &[u8]) -> Option<Level> {
    formats::level(bytes)
}

/// Whether the record in `bytes` passes, with its level: the answer of
/// `filter.matches(&Record::parse(bytes))`, parsing only what the filter
/// reads (the level letter; the fields before the location when a filter
/// is on them; the location only to find where the message starts).
///
/// `search`: what a search over the whole chunk found of the message
/// regex in `bytes` (for an assertion-free regex only); `memo`: the last
/// date read.
#[inline(always)]
fn decide(
    filter: &Filter,
    plan: &Plan,
    bytes: &[u8],
    search: Search,
    memo: &mut Memo,
    offset: Option<i32>,
) -> Option<Option<Level>> {
    if plan.empty {
        return Some(level_of(bytes));
    }
    let (level, l) = match bytes {
        [b'[', c, b']', ..] if Level::from_letter(*c).is_some() => {
            let l = Level::from_letter(*c);
            (l, l?)
        }
        _ => return decide_other(filter, plan, bytes, search, memo, offset),
    };
    if filter.min_level.is_some_and(|m| l < m) {
        return None;
    }
    if plan.prefilter
        && let Some(re) = &filter.regex
        && match &search {
            Search::NoMatch => true,
            // A match inside the bytes is one of the bytes alone.
            Search::Hit(h) if h.end <= bytes.len() => false,
            _ => !re.is_match(bytes),
        }
    {
        return None;
    }
    let body = if plan.prefix {
        let bounded = plan.bounded;
        if bounded {
            // The time first, cut out on its own: a time bound rejects most
            // records before the rest of the header is read. (Where the
            // header is one, its time is this text; where it is not, the
            // record fails either way.)
            let time = match bytes.get(3..) {
                Some([b'[', rest @ ..]) => &rest[..find_byte(b']', rest)?],
                _ => return None,
            };
            let ts = memo.date.timestamp(time)?;
            if !filter.time_passes(&ts) {
                return None;
            }
        }
        let p = header_spans(bytes)?;
        if filter.pid.is_some_and(|x| Some(x) != p.pid(bytes))
            || filter.tid.is_some_and(|x| Some(x) != p.tid(bytes))
            || (filter.main_thread_only && !p.main_thread())
            || (!filter.tags.is_empty() && !filter.tags.iter().any(|t| t.matches(&bytes[p.tag()])))
            || (!bounded && !memo.date.ok_spans(bytes, &p))
        {
            return None;
        }
        p.body
    } else {
        body_start(bytes, &mut memo.date)?
    };
    let end = bytes.len() - usize::from(bytes.last() == Some(&b'\n'));
    if let Some(re) = &filter.regex {
        // Where the pattern looks: the message, or the whole record.
        let from = match filter.scope {
            Scope::Message => body,
            Scope::Record => 0,
        };
        let matches = match search {
            Search::NoMatch => false,
            // A match inside the text searched is one of that text alone.
            Search::Hit(h) if h.start >= from && h.end <= end => true,
            _ => re.is_match(&bytes[from..end]),
        };
        if matches == filter.invert {
            return None;
        }
    }
    if let Some(m) = &filter.message_regex
        && !m.is_match(&bytes[body..end])
    {
        return None;
    }
    if filter.reads_location()
        && !Record::parse(bytes)
            .header
            .is_some_and(|h| filter.rest_passes(&h))
    {
        return None;
    }
    Some(level)
}

/// [`decide`] for a record that is not a Mars bracket line (an IM SDK
/// shape, a user-defined one, raw text): the level and the time, read at
/// their places, reject most records before the record is parsed.
/// `offset`: the UTC offset of the Mars open banner before the record,
/// for the shapes that write none.
#[inline(never)]
fn decide_other(
    filter: &Filter,
    plan: &Plan,
    bytes: &[u8],
    search: Search,
    memo: &mut Memo,
    offset: Option<i32>,
) -> Option<Option<Level>> {
    let level = formats::level(bytes)?;
    if filter.min_level.is_some_and(|m| level < m) {
        return None;
    }
    if plan.prefilter
        && let Some(re) = &filter.regex
        && match &search {
            Search::NoMatch => true,
            Search::Hit(h) if h.end <= bytes.len() => false,
            _ => !re.is_match(bytes),
        }
    {
        return None;
    }
    let time = formats::time_text(bytes);
    if plan.bounded
        && let Some(text) = time
    {
        // The header's own time, where it has one: compared as text with
        // the bounds on the wall clock (a time that is no time fails
        // anyway), read for the others.
        let window = if plan.utc {
            memo.window(filter, offset)
        } else {
            plan.window
        };
        if window.rejects(text) {
            return None;
        }
        if !window.whole {
            let ts = Timestamp {
                local: formats::local_time(text)?,
                offset_minutes: offset,
                raw: b"",
            };
            if !filter.time_passes(&ts) {
                return None;
            }
        }
    }
    if !plan.fields && time.is_some() {
        // Only the level and the time were asked about: the header need
        // only be one.
        return formats::header_ok(bytes).then_some(Some(level));
    }
    let mut rec = Record::parse(bytes);
    rec.borrow_offset(offset);
    filter.matches(&rec).then_some(rec.level)
}

impl Gate {
    /// Passes the record in `bytes` to `inner` when it passes the filter,
    /// the way `inner` takes records; `run` gathers contiguous records of
    /// the current chunk for a sink that takes runs. A piece of a longer
    /// record (see `part`) that starts it is judged like a record; the
    /// pieces after it share its verdict.
    #[inline(always)]
    fn offer<R: RecordSink>(
        &mut self,
        inner: &mut R,
        mut run: Option<&mut Run<'_>>,
        bytes: &[u8],
        part: Part,
    ) -> io::Result<()> {
        let known = self.known(run.as_deref_mut(), bytes);
        if part != Part::WHOLE {
            return self.offer_piece(inner, run, bytes, part);
        }
        self.seen += 1;
        match self.takes {
            Takes::Records => {
                if let Some(v) = known {
                    if v.pass().is_none() {
                        return Ok(());
                    }
                    if let Some(r) = run.as_deref().and_then(|run| run.rendering(v, bytes)) {
                        self.passed += 1;
                        return inner.rendered(&r);
                    }
                }
                self.offer_parsed(inner, bytes, false)
            }
            Takes::Levels => {
                let Some(level) = self.verdict(known, run.as_deref_mut(), bytes) else {
                    return Ok(());
                };
                self.passed += 1;
                inner.record_level(level, bytes)
            }
            Takes::Runs => {
                if self.verdict(known, run.as_deref_mut(), bytes).is_none() {
                    return Ok(());
                }
                self.passed += 1;
                match run {
                    Some(run) => {
                        if !run.add(inner, bytes)? {
                            inner.run(bytes)?;
                        }
                        Ok(())
                    }
                    None => inner.run(bytes),
                }
            }
        }
    }

    /// [`offer`](Gate::offer) for a piece of a record longer than
    /// [`MAX_PIECE`] bytes.
    #[cold]
    fn offer_piece<R: RecordSink>(
        &mut self,
        inner: &mut R,
        run: Option<&mut Run<'_>>,
        bytes: &[u8],
        part: Part,
    ) -> io::Result<()> {
        if !part.cont {
            // The first piece: judged as a record (by what it holds).
            self.passing = None;
            if self.takes == Takes::Records {
                self.seen += 1;
                return self.offer_parsed(inner, bytes, true);
            }
            let before = self.passed;
            self.offer(inner, run, bytes, Part::WHOLE)?;
            if self.passed > before {
                self.passing = Some(level_of(bytes));
            }
            return Ok(());
        }
        let Some(level) = self.passing else {
            return Ok(());
        };
        if !part.more {
            self.passing = None;
        }
        match (self.takes, run) {
            (Takes::Runs, Some(run)) => {
                if !run.add(inner, bytes)? {
                    inner.run(bytes)?;
                }
                Ok(())
            }
            (Takes::Runs, None) => inner.run(bytes),
            _ => inner.record_rest(level, bytes, part.more),
        }
    }

    /// A worker's verdict on `bytes` (see [`Judge`]), if one was given on
    /// exactly these bytes. A record that is not in the current chunk comes
    /// from the splitter's buffer: the held tail of the last judged chunk,
    /// whose verdict serves it only once, and only unchanged.
    #[inline]
    fn known(&mut self, run: Option<&mut Run<'_>>, bytes: &[u8]) -> Option<Verdict> {
        if self.tail.is_none() && run.as_ref().is_none_or(|r| r.verdicts.is_empty()) {
            return None; // nothing was judged ahead
        }
        if let Some(run) = run
            && let Some(from) = run.locate(bytes)
        {
            return run.verdict(from, bytes.len());
        }
        match self.tail.take() {
            // What was rendered of it went with its chunk.
            Some((len, v)) if len == bytes.len() => Some(Verdict {
                meta: Verdict::NONE,
                ..v
            }),
            _ => None,
        }
    }

    /// Whether the record in `bytes` passes, with its level: the worker's
    /// verdict when there is one, else [`decide`]'s.
    #[inline]
    fn verdict(
        &mut self,
        known: Option<Verdict>,
        run: Option<&mut Run<'_>>,
        bytes: &[u8],
    ) -> Option<Option<Level>> {
        if let Some(v) = known {
            return v.pass();
        }
        self.learn_offset(bytes);
        let search = self.search(run, bytes);
        decide(
            &self.filter,
            &self.plan,
            bytes,
            search,
            &mut self.memo,
            self.offset,
        )
    }

    /// Takes the UTC offset of a Mars open banner, which the IM SDK
    /// records after it take. Every open banner comes through here: a
    /// worker leaves its verdict to the sink (see [`Judge::verdict`]), so
    /// it is decided by [`Gate::verdict`] or parsed by
    /// [`Gate::offer_parsed`].
    #[inline(always)]
    fn learn_offset(&mut self, bytes: &[u8]) {
        if bytes.first() == Some(&b'^')
            && let Some(offset) = start_offset(bytes)
        {
            self.offset = offset;
        }
    }

    /// What the message regex's search over the chunk, one for all the
    /// records it holds, found in `bytes`.
    #[inline]
    fn search(&self, run: Option<&mut Run<'_>>, bytes: &[u8]) -> Search {
        match (&self.scan, run) {
            (Some(re), Some(run)) => run.search(re, bytes),
            _ => Search::Unknown,
        }
    }

    /// [`offer`](Gate::offer) to a sink that takes parsed records: the
    /// level, the regex (see [`regex_prefilter`]) and the fields before the
    /// location are checked before the whole header is parsed.
    /// `head`: `bytes` are the first piece of a longer record.
    #[inline]
    fn offer_parsed<R: RecordSink>(
        &mut self,
        inner: &mut R,
        bytes: &[u8],
        head: bool,
    ) -> io::Result<()> {
        self.learn_offset(bytes);
        let filter = &self.filter;
        if let Some(min) = filter.min_level
            && level_of(bytes).is_none_or(|l| l < min)
        {
            return Ok(());
        }
        if self.plan.prefilter
            && let Some(re) = &filter.regex
            && !re.is_match(bytes)
        {
            return Ok(());
        }
        if self.plan.prefix && bytes.first() == Some(&b'[') && !prefix_passes(filter, bytes) {
            return Ok(());
        }
        let mut rec = Record::parse(bytes);
        rec.borrow_offset(self.offset);
        if !filter.matches(&rec) {
            return Ok(());
        }
        self.passed += 1;
        if head {
            self.passing = Some(rec.level);
            return inner.record_head(&rec);
        }
        inner.record(&rec)
    }
}

impl<R: RecordSink> FilterSink<R> {
    /// Filters a text chunk, with a worker's verdicts on its records (or
    /// none).
    fn text(&mut self, text: &[u8], judged: Verdicts<'_>) -> io::Result<()> {
        let verdicts = judged.0;
        if !verdicts.is_empty() && self.gate.takes == Takes::Runs && self.splitter.at_line_start() {
            return self.judged_runs(text, verdicts);
        }
        let FilterSink {
            inner,
            gate,
            splitter,
        } = self;
        let mut run = Run::judged(text, judged);
        // The verdicts say where the records start: lines need not be read.
        let starts = (!verdicts.is_empty()).then(|| verdicts.iter().map(|v| v.start as usize));
        splitter.push_cut(text, starts, |b, part| {
            gate.offer(inner, Some(&mut run), b, part)
        })?;
        // The splitter now holds the chunk's last record: the verdict on
        // it waits for it to come out.
        gate.tail = verdicts
            .last()
            .filter(|v| v.known())
            .map(|v| (text.len() - v.start as usize, *v));
        run.flush(inner)
    }
}

impl<R: RecordSink> FilterSink<R> {
    /// [`text`](FilterSink::text) for a judged chunk that starts a line,
    /// to a sink that takes runs: the splitter's work done from the
    /// verdicts' starts (as [`RecordSplitter::push_cut`] does it), and the
    /// records between the first and the last start, which lie whole in
    /// the chunk, passed on by their verdicts alone, in runs.
    fn judged_runs(&mut self, text: &[u8], verdicts: &[Verdict]) -> io::Result<()> {
        let FilterSink {
            inner,
            gate,
            splitter,
        } = self;
        let mut run = Run::new(text, verdicts);
        let first = verdicts[0].start as usize;
        splitter.close_with(&text[..first], |b, part| {
            gate.offer(inner, Some(&mut run), b, part)
        })?;
        for pair in verdicts.windows(2) {
            let (a, b) = (pair[0].start as usize, pair[1].start as usize);
            if !pair[0].known() {
                // Longer than a piece: the pieces are judged one by one.
                run.flush(inner)?;
                crate::record::out(&text[a..b], false, &mut |bytes: &[u8], part| {
                    gate.offer(inner, Some(&mut run), bytes, part)
                })?;
                continue;
            }
            gate.seen += 1;
            if pair[0].pass().is_some() {
                gate.passed += 1;
                if run.end != a {
                    run.flush(inner)?;
                    run.start = a;
                }
                run.end = b;
            }
        }
        let last = verdicts[verdicts.len() - 1];
        let from = last.start as usize;
        // The last start is that of a whole line, so a `\n` follows it.
        let lines_end = memchr::memrchr(b'\n', text).map_or(from, |n| n + 1);
        splitter.hold_last(&text[from..], lines_end - from, |b, part| {
            gate.offer(inner, Some(&mut run), b, part)
        })?;
        gate.tail = last.known().then_some((text.len() - from, last));
        run.flush(inner)
    }
}

impl<R: RecordSink> Sink for FilterSink<R> {
    fn event(&mut self, event: &Event<'_>) -> io::Result<()> {
        match event {
            Event::Text(text) => self.text(text, Verdicts(&[], &[], &[])),
            Event::Block(_) => self.inner.event(event),
            _ => {
                self.flush()?;
                self.inner.event(event)
            }
        }
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.flush()?;
        self.inner.finish(summary)
    }

    /// Judging a record is the costly part of filtering, and depends on
    /// its bytes alone: worker threads may do it (an empty filter has
    /// nothing to judge).
    fn judge(&self) -> Option<Judge> {
        let g = &self.gate;
        (!g.plan.empty || g.render.is_some()).then(|| Judge {
            filter: g.filter.clone(),
            plan: g.plan,
            scan: g.scan.clone(),
            render: g.render.clone(),
        })
    }

    fn judged_text(&mut self, text: &[u8], verdicts: Verdicts<'_>) -> io::Result<()> {
        self.text(text, verdicts)
    }
}

/// What [`FilterSink`] lets worker threads compute ahead of it: whether
/// each record of a decoded block passes the filter, and, for a sink with
/// a [`renderer`](RecordSink::renderer), the output of those that pass.
/// The sink then only cuts records and hands on those that pass.
#[derive(Debug, Clone)]
pub struct Judge {
    filter: Filter,
    plan: Plan,
    scan: Option<Searcher>,
    render: Option<JsonRenderer>,
}

/// The shortest average record a [`Judge`] gives verdicts on: a verdict
/// takes 12 bytes, so verdicts take at most 3/4 of the memory of the text.
const MIN_JUDGED: usize = 16;

/// One verdict of a [`Judge`]: on the record that starts at `start` in its
/// text and ends where the next verdict's record starts (the last one at
/// the text's end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Verdict {
    start: u32,
    /// [`Verdict::REJECT`], [`Verdict::UNKNOWN`], or a pass: 1 + the
    /// level's place in [`Level::ALL`] (0 without a level).
    code: u8,
    /// The record's place among those rendered ahead in its chunk
    /// ([`Verdict::NONE`]: not rendered).
    meta: u32,
}

impl Verdict {
    const REJECT: u8 = 0xFF;
    /// No verdict: the record is too long to be judged whole (it comes in
    /// pieces, judged by the first).
    const UNKNOWN: u8 = 0xFE;
    /// Not rendered ahead.
    const NONE: u32 = u32::MAX;

    fn new(start: usize, pass: Option<Option<Level>>) -> Verdict {
        let code = match pass {
            None => Verdict::REJECT,
            Some(None) => 0,
            Some(Some(l)) => 1 + Level::ALL.iter().position(|&x| x == l).unwrap_or(0) as u8,
        };
        Verdict {
            start: start as u32,
            code,
            meta: Verdict::NONE,
        }
    }

    #[inline]
    fn known(self) -> bool {
        self.code != Verdict::UNKNOWN
    }

    /// What [`decide`] says: `Some(level)` for a pass.
    #[inline]
    fn pass(self) -> Option<Option<Level>> {
        match self.code {
            0 => Some(None),
            c => Level::ALL.get(usize::from(c) - 1).map(|&l| Some(l)),
        }
    }
}

/// A [`Judge`]'s verdicts on the records of one text chunk, for
/// [`Sink::judged_text`], with what it rendered of them: per rendered
/// record, and their output end to end.
#[derive(Debug, Clone, Copy)]
pub struct Verdicts<'a>(
    pub(crate) &'a [Verdict],
    pub(crate) &'a [RenderedMeta],
    pub(crate) &'a [u8],
);

impl Judge {
    /// Appends to `out` a verdict on each record of `text` that starts
    /// with a line of its own: the records [`FilterSink`] cuts out of it
    /// where the text starts a line, each up to the next record start, the
    /// last up to the text's end. The sink uses a verdict only on a record
    /// with exactly those bytes. A text too long for the verdicts'
    /// offsets gets none, and so does one of records shorter than
    /// [`MIN_JUDGED`] bytes on average (no log is made of them; their
    /// verdicts would take more memory than the text).
    #[cfg(test)]
    pub(crate) fn judge(&self, text: &[u8], memo: &mut Memo, out: &mut Vec<Verdict>) {
        let mut done = Judged::default();
        std::mem::swap(&mut done.verdicts, out);
        self.judge_into(text, memo, &mut done);
        std::mem::swap(&mut done.verdicts, out);
    }

    /// [`Judge::judge`], appending to `done`: verdicts, and, with a
    /// renderer, the output of the passed records a worker may render
    /// (see [`JsonRenderer::render`]) while `done` holds less than
    /// [`RENDER_LIMIT`] of it.
    pub(crate) fn judge_into(&self, text: &[u8], memo: &mut Memo, done: &mut Judged) {
        if u32::try_from(text.len()).is_err() {
            return;
        }
        let Judged {
            verdicts: out,
            meta,
            rendered,
        } = done;
        let first = out.len();
        let mut ahead = Ahead {
            meta_first: meta.len(),
            json_first: rendered.len(),
            meta,
            rendered,
        };
        let most = text.len() / MIN_JUDGED + 1;
        let mut run = Run::new(text, &[]);
        let mut open = None;
        // The offset of the Mars open banner before a record: unknown
        // until one is seen in this text.
        let mut context = None;
        // Lines' ends as the splitter finds them; too many records stop
        // the walk.
        let walked = whole_lines(text, |pos, line_end| {
            if starts_record(&text[pos..line_end]) {
                if let Some(s) = open {
                    if out.len() - first == most {
                        return Err(());
                    }
                    out.push(self.verdict(&mut run, s, pos, memo, &mut context, &mut ahead));
                }
                open = Some(pos);
            }
            Ok(())
        });
        if walked.is_err() {
            out.truncate(first);
            ahead.meta.truncate(ahead.meta_first);
            ahead.rendered.truncate(ahead.json_first);
            return;
        }
        if let Some(s) = open {
            out.push(self.verdict(&mut run, s, text.len(), memo, &mut context, &mut ahead));
        }
    }

    /// The verdict on `run.chunk[start..end]`. `context`: the UTC offset
    /// of the last Mars open banner of the text, `None` before the first.
    /// The sink judges an open banner itself (it learns the offset from
    /// it), and the records that take an offset they cannot be sure of.
    fn verdict(
        &self,
        run: &mut Run<'_>,
        start: usize,
        end: usize,
        memo: &mut Memo,
        context: &mut Option<Option<i32>>,
        ahead: &mut Ahead<'_>,
    ) -> Verdict {
        let unknown = Verdict {
            start: start as u32,
            code: Verdict::UNKNOWN,
            meta: Verdict::NONE,
        };
        if end - start > MAX_PIECE {
            return unknown;
        }
        let bytes = &run.chunk[start..end];
        match bytes[0] {
            b'[' => {}
            b'^' => {
                if let Some(offset) = start_offset(bytes) {
                    *context = Some(offset);
                    return unknown;
                }
            }
            _ if self.plan.utc && context.is_none() => return unknown,
            _ => {}
        }
        let search = match &self.scan {
            Some(re) => run.search(re, bytes),
            None => Search::Unknown,
        };
        let pass = decide(
            &self.filter,
            &self.plan,
            bytes,
            search,
            memo,
            context.flatten(),
        );
        let mut v = Verdict::new(start, pass);
        if pass.is_some()
            && let Some(render) = &self.render
            && ahead.rendered.len() < RENDER_LIMIT
        {
            let at = ahead.rendered.len();
            match render.render(bytes, ahead.rendered) {
                Some(mut m) => {
                    m.json_end -= ahead.json_first as u32;
                    v.meta = (ahead.meta.len() - ahead.meta_first) as u32;
                    ahead.meta.push(m);
                }
                None => ahead.rendered.truncate(at),
            }
        }
        v
    }
}

/// What a [`Judge`] gives: verdicts, and what it rendered ahead.
#[derive(Debug, Default)]
pub(crate) struct Judged {
    pub(crate) verdicts: Vec<Verdict>,
    pub(crate) meta: Vec<RenderedMeta>,
    pub(crate) rendered: Vec<u8>,
}

/// Where a [`Judge`] renders a chunk's records ahead: the buffers, and
/// where the chunk's part of them starts.
struct Ahead<'a> {
    meta: &'a mut Vec<RenderedMeta>,
    rendered: &'a mut Vec<u8>,
    meta_first: usize,
    json_first: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::FilterOptions;
    use chrono::DateTime;
    use regex::bytes::RegexBuilder;

    /// Keeps record bytes and event names.
    #[derive(Default)]
    struct Log(Vec<String>);

    impl RecordSink for Log {
        fn record(&mut self, rec: &Record<'_>) -> io::Result<()> {
            self.0.push(String::from_utf8_lossy(rec.bytes).into_owned());
            Ok(())
        }
        fn event(&mut self, event: &Event<'_>) -> io::Result<()> {
            let name = match event {
                Event::Block(_) => "block",
                Event::SeqGap { .. } => "gap",
                _ => "other",
            };
            self.0.push(name.into());
            Ok(())
        }
        fn finish(&mut self, _summary: &Summary) -> io::Result<()> {
            self.0.push("finish".into());
            Ok(())
        }
        fn record_rest(&mut self, _: Option<Level>, bytes: &[u8], _: bool) -> io::Result<()> {
            let piece = String::from_utf8_lossy(bytes);
            self.0.last_mut().expect("a first piece").push_str(&piece);
            Ok(())
        }
    }

    fn filter(level: &str) -> Filter {
        let now = DateTime::parse_from_rfc3339("2024-01-31T12:00:00+08:00").expect("valid");
        Filter::new(
            &FilterOptions {
                level: Some(level.into()),
                ..Default::default()
            },
            now,
        )
        .expect("valid filter")
    }

    const E1: &str = "[E][2024-01-31 +8.0 10:00:00.000][1, 2*][t][a.cc:1, f][boom\n";
    const I1: &str = "[I][2024-01-31 +8.0 10:00:01.000][1, 2*][t][a.cc:1, f][fine\n";

    #[test]
    fn records_pass_whole_and_events_keep_their_place() {
        let mut s = FilterSink::new(Log::default(), filter("W"));
        let first = format!("banner\n{E1}  more\n{}", &I1[..20]);
        s.event(&Event::Text(first.as_bytes())).expect("ok");
        s.event(&Event::Text(&I1.as_bytes()[20..])).expect("ok");
        s.event(&Event::Text(E1.as_bytes())).expect("ok");
        s.event(&Event::SeqGap {
            offset: 0,
            first: 2,
            last: 3,
        })
        .expect("ok");
        s.event(&Event::Text(b"  tail of nothing\n")).expect("ok");
        s.finish(&Summary::default()).expect("ok");
        assert_eq!((s.seen(), s.passed()), (5, 2));
        let got = s.into_inner().0;
        let want = vec![
            format!("{E1}  more\n"),
            E1.to_string(),
            "gap".into(),
            "finish".into(),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn regex_sees_the_message_only_with_or_without_the_shortcut() {
        let now = DateTime::parse_from_rfc3339("2024-01-31T12:00:00+08:00").expect("valid");
        let run = |pattern: &str, invert: bool| {
            let f = Filter::new(
                &FilterOptions {
                    regex: Some(pattern.into()),
                    invert,
                    ..Default::default()
                },
                now,
            )
            .expect("valid filter");
            let mut s = FilterSink::new(Log::default(), f);
            s.event(&Event::Text(format!("{E1}{I1}").as_bytes()))
                .expect("ok");
            s.finish(&Summary::default()).expect("ok");
            s.into_inner().0.len() - 1
        };
        assert_eq!(run("boom", false), 1);
        assert_eq!(run("^boom$", false), 1); // anchored: no shortcut
        assert_eq!(run(r"\bfine\b", false), 1);
        assert_eq!(run(r"a\.cc", false), 0); // in the header, not the message
        assert_eq!(run(r"^\[E\]", false), 0);
        assert_eq!(run("boom", true), 1);
        assert_eq!(run(r"a\.cc", true), 2);
        assert!(regex_prefilter(&Filter {
            regex: Some(regex::bytes::Regex::new("x+y").expect("valid")),
            ..Default::default()
        }));
        assert!(!regex_prefilter(&Filter {
            regex: Some(regex::bytes::Regex::new(r"\bx").expect("valid")),
            ..Default::default()
        }));
    }

    #[test]
    fn prefix_fields_are_the_headers_fields() {
        use crate::record::Records;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/text");
        let mut checked = 0;
        for name in [
            "b_async_zlib.xlog.expected.log",
            "o_pre2021_linefmt_async_zlib.xlog.expected.log",
            "j06_bad_length_field.xlog.expected.log",
        ] {
            let text = std::fs::read(dir.join(name)).expect("corpus text");
            for rec in Records::new(&text) {
                let prefix = parse_prefix(rec.bytes);
                match (rec.header, prefix) {
                    (Some(h), Some(p)) => {
                        assert_eq!(
                            (h.timestamp, h.pid, h.tid, h.main_thread, h.tag),
                            (p.timestamp, p.pid, p.tid, p.main_thread, p.tag)
                        );
                        checked += 1;
                    }
                    (Some(_), None) => panic!("{name}: header without prefix"),
                    (None, _) => {}
                }
            }
        }
        assert!(checked > 2000, "{checked}");
    }

    /// A text printer made to take records the way `takes` says.
    struct Forced {
        inner: crate::color::TextRecords<Vec<u8>>,
        takes: Takes,
    }

    impl RecordSink for Forced {
        fn record(&mut self, rec: &Record<'_>) -> io::Result<()> {
            self.inner.record(rec)
        }
        fn event(&mut self, event: &Event<'_>) -> io::Result<()> {
            self.inner.event(event)
        }
        fn finish(&mut self, summary: &Summary) -> io::Result<()> {
            self.inner.finish(summary)
        }
        fn takes(&self) -> Takes {
            self.takes
        }
        fn record_rest(
            &mut self,
            level: Option<Level>,
            bytes: &[u8],
            more: bool,
        ) -> io::Result<()> {
            self.inner.record_rest(level, bytes, more)
        }
    }

    /// `text` in chunks of `chunk` bytes, or, for a `chunk` of the form
    /// `LINES + n`, of about `n` bytes each ended at a line's end, as
    /// decoded blocks are.
    fn chunks(text: &[u8], chunk: usize) -> Vec<&[u8]> {
        if chunk < LINES {
            return text.chunks(chunk).collect();
        }
        let mut out = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            let at = (chunk - LINES).min(rest.len() - 1);
            let end = find_byte(b'\n', &rest[at..]).map_or(rest.len(), |n| at + n + 1);
            out.push(&rest[..end]);
            rest = &rest[end..];
        }
        out
    }

    const LINES: usize = 1 << 30;

    /// Prints `text` through a filter sink, in [`chunks`] of `chunk` with
    /// a gap marker after the third; `judged`: with the sink's verdicts on
    /// each chunk, as worker threads give them.
    fn print(
        text: &[u8],
        f: &Filter,
        color: bool,
        takes: Option<Takes>,
        chunk: usize,
        judged: bool,
    ) -> Vec<u8> {
        let printer =
            crate::color::TextRecords::new(crate::text::TextSink::new(Vec::new(), true), color);
        let takes = takes.unwrap_or(printer.takes());
        let mut s = FilterSink::new(
            Forced {
                inner: printer,
                takes,
            },
            f.clone(),
        );
        let judge = s.judge().filter(|_| judged);
        let mut memo = Memo::default();
        let mut verdicts = Vec::new();
        for (i, part) in chunks(text, chunk).into_iter().enumerate() {
            match &judge {
                Some(j) => {
                    verdicts.clear();
                    j.judge(part, &mut memo, &mut verdicts);
                    s.judged_text(part, Verdicts(&verdicts, &[], &[]))
                        .expect("ok");
                }
                None => s.event(&Event::Text(part)).expect("ok"),
            }
            if i == 2 {
                s.event(&Event::SeqGap {
                    offset: 0,
                    first: 7,
                    last: 8,
                })
                .expect("ok");
            }
        }
        s.finish(&Summary::default()).expect("ok");
        s.into_inner().inner.into_inner().into_inner()
    }

    #[test]
    fn fast_paths_give_the_bytes_of_the_parsed_path() {
        let now = DateTime::parse_from_rfc3339("2024-01-31T12:00:00+08:00").expect("valid");
        let opts = |f: &dyn Fn(&mut FilterOptions)| {
            let mut o = FilterOptions::default();
            f(&mut o);
            Filter::new(&o, now).expect("valid filter")
        };
        let filters = [
            Filter::default(),
            opts(&|o| o.level = Some("V".into())),
            opts(&|o| o.level = Some("W".into())),
            opts(&|o| {
                o.level = Some("E".into());
                o.tags = vec!["im*".into(), "TIM?anager".into()];
            }),
            opts(&|o| {
                o.since = Some("10:03".into());
                o.until = Some("2024-01-31 10:05 +08:00".into());
                o.main_thread = true;
            }),
            opts(&|o| o.regex = Some(r"elapsed:\d+ms".into())),
            opts(&|o| {
                o.level = Some("I".into());
                o.regex = Some("LOGIN|kicked".into());
                o.ignore_case = true;
            }),
            opts(&|o| {
                o.regex = Some("user=".into());
                o.invert = true;
            }),
            opts(&|o| o.regex = Some(r"^\[|\]$".into())),
            opts(&|o| o.pid = Some(1)),
            // Matches that run from one record into the next.
            opts(&|o| o.regex = Some(r"[0-9}]\n\[[DI]|\n ".into())),
            // Matches in the header, or across its end, and empty ones.
            opts(&|o| {
                o.regex = Some(r"\]\[|, ".into());
                o.invert = true;
            }),
            opts(&|o| o.regex = Some(r"\]\[[^\]]*ms|z*".into())),
            // Whole-record patterns: in the header, across it, several,
            // literal, with case folding, inverted, and with the message
            // regex, functions and files beside them.
            opts(&|o| o.patterns = vec!["SendHeartbeat".into()]),
            opts(&|o| o.patterns = vec![r"\]\[login\]|ret=2".into(), "10:02:1".into()]),
            opts(&|o| {
                o.patterns = vec!["[26289, 26289*]".into()];
                o.fixed_strings = true;
            }),
            opts(&|o| {
                o.patterns = vec!["timmanager".into()];
                o.smart_case = true;
                o.invert = true;
            }),
            opts(&|o| o.patterns = vec![r"^\[E\]|\n\[".into()]),
            opts(&|o| {
                o.patterns = vec!["imsdk".into()];
                o.regex = Some("ret=".into());
                o.funcs = vec!["*Login*".into(), "SendHeartbeat".into()];
            }),
            opts(&|o| {
                o.files = vec!["login_manager.*".into()];
                o.level = Some("W".into());
            }),
        ];
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/text");
        let mut passed = 0;
        for name in [
            "b_async_zlib.xlog.expected.log",
            "h_multiday_imsdk_20240129.xlog.expected.log",
            "j06_bad_length_field.xlog.expected.log",
            "o_pre2021_linefmt_async_zlib.xlog.expected.log",
        ] {
            let text = std::fs::read(dir.join(name)).expect("corpus text");
            for (k, f) in filters.iter().enumerate() {
                let plan = Plan::new(f);
                // One memo for all records, as in the sink.
                let mut memo = Memo::default();
                for rec in Records::new(&text) {
                    let want = f.matches(&rec).then_some(rec.level);
                    assert_eq!(
                        decide(f, &plan, rec.bytes, Search::Unknown, &mut memo, None),
                        want,
                        "{name} filter {k}"
                    );
                    if let Some(re) = &f.regex
                        && assertion_free(f)
                    {
                        // Told what a search over the whole text finds from
                        // the record on (a match may run into the next
                        // record): the same answer.
                        let from = rec.bytes.as_ptr() as usize - text.as_ptr() as usize;
                        let search = match re.find_at(&text, from) {
                            Some(m) if m.start() < from + rec.bytes.len() => {
                                Search::Hit(m.start() - from..m.end() - from)
                            }
                            _ => Search::NoMatch,
                        };
                        assert_eq!(
                            decide(f, &plan, rec.bytes, search.clone(), &mut memo, None),
                            want,
                            "{name} filter {k} {search:?}"
                        );
                    }
                    passed += usize::from(want.is_some());
                }
                for color in [false, true] {
                    for chunk in [97, 1000, 4093, 65536, LINES + 50, LINES + 3000] {
                        let parsed = print(&text, f, color, Some(Takes::Records), chunk, false);
                        let fast = print(&text, f, color, None, chunk, false);
                        assert!(
                            fast == parsed,
                            "{name} filter {k} colour {color} chunk {chunk}"
                        );
                        // Judged ahead, whatever the takes.
                        for takes in [None, Some(Takes::Records), Some(Takes::Levels)] {
                            let judged = print(&text, f, color, takes, chunk, true);
                            assert!(
                                judged == parsed,
                                "{name} filter {k} colour {color} chunk {chunk} judged {takes:?}"
                            );
                        }
                    }
                }
            }
        }
        assert!(passed > 10_000, "{passed}");
    }

    /// The IM SDK shapes' own path ([`decide_other`], the text window, the
    /// header check, the open banners' offsets) answers as the full parse
    /// and [`Filter::matches`] do, and every way of printing gives the same
    /// bytes, judged ahead or not.
    #[test]
    fn imsdk_records_are_judged_as_the_parser_judges_them() {
        let now = DateTime::parse_from_rfc3339("2024-03-12T12:00:00+08:00").expect("valid");
        let opts = |f: &dyn Fn(&mut FilterOptions)| {
            let mut o = FilterOptions::default();
            f(&mut o);
            Filter::new(&o, now).expect("valid filter")
        };
        let filters = [
            opts(&|o| o.level = Some("W".into())),
            opts(&|o| o.level = Some("E".into())),
            opts(&|o| {
                o.since = Some("2024-03-12 10:00".into());
                o.until = Some("2024-03-12 11:42:48.769".into());
            }),
            opts(&|o| {
                o.since = Some("10:43:26.8635".into());
                o.until = Some("12:00".into());
                o.level = Some("I".into());
            }),
            opts(&|o| {
                o.since = Some("2024-03-12 02:00Z".into());
                o.until = Some("2024-03-12 04:00:00.5 +00:00".into());
            }),
            opts(&|o| o.since = Some("10:00+09:00".into())),
            opts(&|o| {
                o.since = Some("2024-03-12 10:00".into());
                o.until = Some("2024-03-12 03:00Z".into());
            }),
            opts(&|o| o.tags = vec!["NetworkInfoCenter".into(), "Co*".into()]),
            opts(&|o| o.pid = Some(16633)),
            opts(&|o| o.tid = Some(4243)),
            opts(&|o| o.main_thread = true),
            opts(&|o| o.regex = Some(r"error_code:[1-9]".into())),
            opts(&|o| {
                o.regex = Some("TIM: |login".into());
                o.invert = true;
                o.level = Some("D".into());
            }),
        ];
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/imsdk");
        let mut passed = 0;
        for name in [
            "imsdk_20240312.xlog.expected.log",
            "imsdk4_20240312.xlog.expected.log",
            "mixed_20240312.xlog.expected.log",
        ] {
            let text = std::fs::read(dir.join(name)).expect("corpus text");
            for (k, f) in filters.iter().enumerate() {
                let plan = Plan::new(f);
                let mut memo = Memo::default();
                let mut offset = None;
                for rec in Records::new(&text) {
                    if let Some(o) = start_offset(rec.bytes) {
                        offset = o;
                    }
                    let want = f
                        .matches(&Record::parse_in(rec.bytes, offset))
                        .then_some(rec.level);
                    let got = decide(f, &plan, rec.bytes, Search::Unknown, &mut memo, offset);
                    assert_eq!(
                        got,
                        want,
                        "{name} filter {k}: {}",
                        String::from_utf8_lossy(rec.bytes)
                    );
                    passed += usize::from(want.is_some());
                }
                for chunk in [97, 4093, 65536] {
                    for color in [false, true] {
                        let parsed = print(&text, f, color, Some(Takes::Records), chunk, false);
                        for takes in [None, Some(Takes::Records), Some(Takes::Levels)] {
                            for judged in [false, true] {
                                let got = print(&text, f, color, takes, chunk, judged);
                                assert!(
                                    got == parsed,
                                    "{name} filter {k} chunk {chunk} {takes:?} judged {judged}"
                                );
                            }
                        }
                    }
                }
            }
        }
        assert!(passed > 2000, "{passed}");
    }

    /// A literal pattern is searched for directly, and finds what the
    /// regex finds; a case-insensitive or non-literal one keeps the regex.
    #[test]
    fn literal_search_finds_what_the_regex_finds() {
        let text =
            format!("{E1}{I1}user=1 USER=2 User=3 a.cc a-cc [t] \u{212A}ick kick=\n").into_bytes();
        let build = |p: &str, icase: bool| {
            RegexBuilder::new(p)
                .case_insensitive(icase)
                .build()
                .expect("valid")
        };
        for (p, icase, direct) in [
            ("user=", false, true),
            ("user=", true, false),
            ("a.cc", false, false),
            ("a-cc", false, false),
            ("[t]", false, false),
            ("kick", true, false),
            ("kick", false, true),
            ("2 ", true, true),
            ("", false, true),
        ] {
            let re = build(p, icase);
            let s = Searcher::new(&re);
            assert_eq!(
                matches!(s, Searcher::Literal(_)),
                direct,
                "{p:?} -i {icase}"
            );
            for from in 0..=text.len() {
                let want = re.find_at(&text, from).map(|m| m.range());
                assert_eq!(s.find_at(&text, from), want, "{p:?} -i {icase} from {from}");
            }
        }
    }

    /// Records longer than a piece, judged ahead or not, in chunks that end
    /// at lines' ends: the same output.
    #[test]
    fn long_records_come_out_the_same_when_judged() {
        let long = format!("{}{}\n", &E1[..E1.len() - 1], "x".repeat(MAX_PIECE * 5 / 2));
        let long_i = long.replacen("[E]", "[I]", 1);
        let text = [E1, &long, I1, E1, &long_i, E1, &long, I1, &long].concat();
        let now = DateTime::parse_from_rfc3339("2024-01-31T12:00:00+08:00").expect("valid");
        for (level, regex) in [("W", None), ("V", Some("boom")), ("I", Some("x{20}"))] {
            let f = Filter::new(
                &FilterOptions {
                    level: Some(level.into()),
                    regex: regex.map(Into::into),
                    ..Default::default()
                },
                now,
            )
            .expect("valid filter");
            for chunk in [LINES + 50, LINES + MAX_PIECE * 3, 300_000] {
                let want = print(
                    text.as_bytes(),
                    &f,
                    false,
                    Some(Takes::Records),
                    chunk,
                    false,
                );
                let got = print(text.as_bytes(), &f, false, None, chunk, true);
                assert!(got == want, "-l {level} -e {regex:?} chunk {chunk}");
            }
        }
    }

    /// The sink obeys a verdict given on exactly a record's bytes, in the
    /// chunk or held at its end, and ignores any other.
    #[test]
    fn verdicts_serve_exactly_the_records_they_were_given_on() {
        let mut memo = Memo::default();
        let judge = |text: &[u8], memo: &mut Memo| {
            let mut v = Vec::new();
            let sink = FilterSink::new(Log::default(), filter("W"));
            sink.judge().expect("a filter").judge(text, memo, &mut v);
            v
        };
        // Records far shorter than any log's get no verdicts at all.
        let tiny = "[E]\n".repeat(100);
        assert!(judge(tiny.as_bytes(), &mut memo).is_empty());
        assert_eq!(judge(&tiny.as_bytes()[..8], &mut memo).len(), 2);
        let text = format!("banner\n{E1}{I1}{E1}");
        let v = judge(text.as_bytes(), &mut memo);
        let starts: Vec<u32> = v.iter().map(|v| v.start).collect();
        assert_eq!(
            starts,
            [7, 7 + E1.len() as u32, 7 + (E1.len() + I1.len()) as u32]
        );
        assert_eq!(
            v.iter().map(|v| v.pass()).collect::<Vec<_>>(),
            [Some(Some(Level::Error)), None, Some(Some(Level::Error))]
        );
        // Every verdict a reject: where the sink believes one, the record
        // is left out, so it was not judged again.
        let reject = |v: &[Verdict]| {
            v.iter()
                .map(|v| Verdict::new(v.start as usize, None))
                .collect::<Vec<_>>()
        };
        let run = |chunks: &[(&str, Option<Vec<Verdict>>)]| {
            let mut s = FilterSink::new(Log::default(), filter("W"));
            for (c, v) in chunks {
                match v {
                    Some(v) => s
                        .judged_text(c.as_bytes(), Verdicts(v, &[], &[]))
                        .expect("ok"),
                    None => s.event(&Event::Text(c.as_bytes())).expect("ok"),
                }
            }
            s.finish(&Summary::default()).expect("ok");
            s.into_inner().0
        };
        assert_eq!(run(&[(&text, None)]), [E1, E1, "finish"]);
        // The last record is held, and comes out unchanged at the end.
        assert_eq!(run(&[(&text, Some(reject(&v)))]), ["finish"]);
        // Held, then continued by the next chunk: judged anew.
        let got = run(&[(&text, Some(reject(&v))), ("  more\n", None)]);
        assert_eq!(got, [format!("{E1}  more\n").as_str(), "finish"]);
        // Held with its line unfinished, then completed: judged anew.
        let cut = &text[..text.len() - 10];
        let vc = judge(cut.as_bytes(), &mut memo);
        let got = run(&[(cut, Some(reject(&vc))), (&text[text.len() - 10..], None)]);
        assert_eq!(got, [E1, "finish"]);
        // A pass is believed too, with its level.
        let mut s = FilterSink::new(
            Forced {
                inner: crate::color::TextRecords::new(
                    crate::text::TextSink::new(Vec::new(), true),
                    false,
                ),
                takes: Takes::Levels,
            },
            filter("W"),
        );
        let pass = [
            Verdict::new(0, Some(Some(Level::Info))),
            Verdict::new(I1.len(), None),
        ];
        s.judged_text(
            format!("{I1}{I1}").as_bytes(),
            Verdicts(&pass[..], &[], &[]),
        )
        .expect("ok");
        s.finish(&Summary::default()).expect("ok");
        let out = s.into_inner().inner.into_inner().into_inner();
        assert_eq!(out, I1.as_bytes(), "the first I1 only");
        // A chunk that starts inside a line: what the worker read as a
        // record start there is not one, and its verdict is unused.
        let second = format!("{E1}{I1}");
        let v2 = judge(second.as_bytes(), &mut memo);
        assert_eq!(v2[0].start, 0);
        let first = format!("{E1}  x");
        let got = run(&[(&first, None), (&second, Some(reject(&v2)))]);
        assert_eq!(got, [format!("{E1}  x{E1}").as_str(), "finish"]);
    }
}
