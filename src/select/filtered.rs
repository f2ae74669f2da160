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

use crate::decode::ahead::{BlockHook, HookResults, HookWorker, KEEP_RESULTS, Worked};
use crate::decode::event::{Event, Sink};
use crate::decode::summary::Summary;
pub use crate::record::MAX_PIECE;
use crate::record::formats::meta::start_offset;
use crate::record::{
    DateMemo, Level, Part, Prefix, Record, RecordSplitter, Records, Timestamp, body_start,
    find_byte, formats, header_spans, parse_prefix, parse_record, starts_record, whole_lines,
};
use crate::select::ahead::{RENDER_LIMIT, RenderAhead, Rendered, RenderedMeta, RenderedRun};
use crate::select::filter::{Filter, Scope, TimeBound};
use chrono::Timelike;
use regex::bytes::Regex;
use std::sync::Arc;

mod search;
use search::*;
mod decide;
use decide::*;
mod judge;
mod rendered;
use judge::*;

/// Receives records and the decoder's other events, in input order.
pub trait RecordSink {
    /// A record that passed the filter (with an empty filter, every record,
    /// raw text included).
    fn record(&mut self, rec: &Record<'_>) -> io::Result<()>;

    /// Any event but [`Event::Text`]: blocks and integrity findings. The
    /// default ignores it (a sink that keeps only records).
    fn event(&mut self, event: &Event<'_>) -> io::Result<()> {
        let _ = event;
        Ok(())
    }

    /// Called once after the last event of an input. The default does
    /// nothing.
    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        let _ = summary;
        Ok(())
    }

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
    fn renderer(&self) -> Option<Arc<dyn RenderAhead>> {
        None
    }

    /// A passed record that a worker rendered with the sink's
    /// [`renderer`](RecordSink::renderer); called instead of
    /// [`record`](RecordSink::record). The default parses it.
    fn rendered(&mut self, r: &Rendered<'_>) -> io::Result<()> {
        self.record(&Record::parse(r.bytes))
    }

    /// Passed records rendered ahead that follow one another in a chunk;
    /// called instead of [`rendered`](RecordSink::rendered) for each. The
    /// default hands them to it one by one.
    fn rendered_run(&mut self, run: &RenderedRun<'_>) -> io::Result<()> {
        run.records().try_for_each(|r| self.rendered(&r))
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
            fn renderer(&self) -> Option<Arc<dyn RenderAhead>> {
                (**self).renderer()
            }
            fn rendered(&mut self, r: &Rendered<'_>) -> io::Result<()> {
                (**self).rendered(r)
            }
            fn rendered_run(&mut self, run: &RenderedRun<'_>) -> io::Result<()> {
                (**self).rendered_run(run)
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
    /// For a sink with a renderer, the texts no worker judged (one
    /// decoding thread) are judged and rendered here as a worker would:
    /// that way renders faster than a parsed record at a time.
    here: Option<Box<JudgedHere>>,
}

/// The filter and its counters.
struct Gate {
    /// The filter, and what it reads, settled once.
    planned: Planned,
    /// The message regex, when it runs over whole chunks (see
    /// [`assertion_free`]) to settle at once the records it matches
    /// nowhere in (rejected, or passed with `-v`).
    scan: Option<Searcher>,
    takes: Takes,
    /// What workers may render ahead for the receiving sink.
    render: Option<Arc<dyn RenderAhead>>,
    /// The verdict on the record whose pieces are coming: `Some(level)`
    /// when it passed.
    passing: Option<Option<Level>>,
    /// The last date read from a header, the UTC offset of the last Mars
    /// open banner, and more (see [`Memo`]).
    memo: Memo,
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
    /// [`RenderAhead`]): per rendered record, and their lines end to end.
    meta: &'t [RenderedMeta],
    rendered: &'t [u8],
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
                tail: None,
                planned: Planned::new(filter),
                seen: 0,
                passed: 0,
            },
            inner,
            splitter: RecordSplitter::new(),
            here: None,
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
            ..
        } = self;
        let r = splitter.finish_parts(|b, part| gate.offer(inner, None, b, part));
        gate.tail = None;
        r
    }
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
    /// verdict when there is one, else [`Planned::decide`]'s.
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
        self.planned.decide(bytes, search, &mut self.memo)
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
            self.memo.offset = offset;
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
        let Planned { filter, plan } = &self.planned;
        if let Some(min) = filter.min_level
            && level_of(bytes).is_none_or(|l| l < min)
        {
            return Ok(());
        }
        if plan.prefilter
            && let Some(re) = &filter.regex
            && !re.is_match(bytes)
        {
            return Ok(());
        }
        if plan.prefix && bytes.first() == Some(&b'[') && !prefix_passes(filter, bytes) {
            return Ok(());
        }
        let mut rec = parse_record(bytes, &mut self.memo.date);
        rec.borrow_offset(self.memo.offset);
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
        if !verdicts.is_empty() && self.splitter.at_line_start() {
            match self.gate.takes {
                Takes::Runs => return self.judged_runs(text, verdicts),
                Takes::Records if !judged.1.is_empty() => {
                    return self.judged_rendered(text, judged);
                }
                _ => {}
            }
        }
        let FilterSink {
            inner,
            gate,
            splitter,
            ..
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

    /// [`text`](FilterSink::text) for a judged chunk that starts a line,
    /// to a sink that takes runs: the splitter's work done from the
    /// verdicts' starts (as [`RecordSplitter::push_cut`] does it), and the
    /// records between the first and the last start, which lie whole in
    /// the chunk, passed on by their verdicts alone, in runs.
    fn judged_runs(&mut self, text: &[u8], verdicts: &[Verdict]) -> io::Result<()> {
        let (inner, gate) = (&mut self.inner, &mut self.gate);
        let mut run = Run::new(text, verdicts);
        let first = verdicts[0].start as usize;
        self.splitter.close_with(&text[..first], |b, part| {
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
        self.splitter
            .hold_last(&text[from..], lines_end - from, |b, part| {
                gate.offer(inner, Some(&mut run), b, part)
            })?;
        gate.tail = last.known().then_some((text.len() - from, last));
        run.flush(inner)
    }
}

impl<R: RecordSink> Sink for FilterSink<R> {
    fn event(&mut self, event: &Event<'_>) -> io::Result<()> {
        match event {
            Event::Text(text) if self.gate.render.is_some() => self.judge_here(text),
            Event::Text(text) => self.text(text, Verdicts::NONE),
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

    fn hook(&self) -> Option<Arc<dyn BlockHook>> {
        self.judge().map(|j| Arc::new(j) as Arc<dyn BlockHook>)
    }

    fn worked_text(&mut self, text: &[u8], worked: Worked<'_>) -> io::Result<()> {
        match worked.results.as_any().downcast_ref::<Judged>() {
            Some(judged) => self.judged_text(text, judged.block(worked.block)),
            None => self.text(text, Verdicts::NONE),
        }
    }
}

impl<R: RecordSink> FilterSink<R> {
    /// Judging a record is the costly part of filtering, and depends on
    /// its bytes alone: worker threads may do it (an empty filter has
    /// nothing to judge).
    pub(crate) fn judge(&self) -> Option<Judge> {
        let g = &self.gate;
        (!g.planned.plan.empty || g.render.is_some()).then(|| Judge {
            planned: g.planned.clone(),
            scan: g.scan.clone(),
            render: g.render.clone(),
            spare: Arc::default(),
        })
    }

    /// A text with the verdicts of this sink's [`Judge`] on its records.
    pub(crate) fn judged_text(&mut self, text: &[u8], verdicts: Verdicts<'_>) -> io::Result<()> {
        self.text(text, verdicts)
    }
}

#[cfg(test)]
mod tests;
