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
use crate::filter::Filter;
use crate::reader::Summary;
pub use crate::record::MAX_PIECE;
use crate::record::{
    DateMemo, Level, Part, Prefix, Record, RecordSplitter, Records, body_start, find_byte,
    header_spans, parse_prefix,
};
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
    /// The message regex runs over whole chunks (see [`assertion_free`]) to
    /// settle at once the records it matches nowhere in (rejected, or
    /// passed with `-v`).
    scan: bool,
    takes: Takes,
    /// The verdict on the record whose pieces are coming: `Some(level)`
    /// when it passed.
    passing: Option<Option<Level>>,
    /// The last date read from a header.
    memo: DateMemo,
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

impl Run<'_> {
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
    fn search(&mut self, re: &Regex, bytes: &[u8]) -> Search {
        let Some(from) = self.locate(bytes) else {
            return Search::Unknown;
        };
        let hit = match &self.searched {
            Some((at, hit)) if *at <= from && hit.start >= from => hit.clone(),
            _ => {
                let hit = re.find_at(self.chunk, from).map_or(NO_HIT, |m| m.range());
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
                scan: assertion_free(&filter)
                    && filter.min_level.is_none()
                    && !needs_prefix(&filter),
                takes: inner.takes(),
                passing: None,
                memo: DateMemo::default(),
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
        splitter.finish_parts(|b, part| gate.offer(inner, None, b, part))
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
}

impl Plan {
    fn new(f: &Filter) -> Plan {
        Plan {
            empty: f.is_empty(),
            prefilter: regex_prefilter(f),
            prefix: needs_prefix(f),
            bounded: f.since.is_some() || f.until.is_some(),
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
        || f.since
            .is_some_and(|b| b.compare(&p.timestamp) == Ordering::Less)
        || f.until
            .is_some_and(|b| b.compare(&p.timestamp) == Ordering::Greater))
}

/// The checks of [`Filter::matches`] on the fields before the location,
/// parsed cheaply: `false` only for records the full check rejects too.
fn prefix_passes(f: &Filter, bytes: &[u8]) -> bool {
    match parse_prefix(bytes) {
        Some(p) => prefix_fields_pass(f, &p),
        None => false, // no full header either
    }
}

/// The record's level, from its `[L]`.
#[inline]
fn level_of(bytes: &[u8]) -> Option<Level> {
    match bytes {
        [b'[', l, b']', ..] => Level::from_letter(*l),
        _ => None,
    }
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
    plan: Plan,
    bytes: &[u8],
    search: Search,
    memo: &mut DateMemo,
) -> Option<Option<Level>> {
    let level = level_of(bytes);
    if plan.empty {
        return Some(level);
    }
    let l = level?;
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
            let ts = memo.timestamp(time)?;
            if filter
                .since
                .is_some_and(|b| b.compare(&ts) == Ordering::Less)
                || filter
                    .until
                    .is_some_and(|b| b.compare(&ts) == Ordering::Greater)
            {
                return None;
            }
        }
        let p = header_spans(bytes)?;
        if filter.pid.is_some_and(|x| Some(x) != p.pid(bytes))
            || filter.tid.is_some_and(|x| Some(x) != p.tid(bytes))
            || (filter.main_thread_only && !p.main_thread())
            || (!filter.tags.is_empty() && !filter.tags.iter().any(|t| t.matches(&bytes[p.tag()])))
            || (!bounded && !memo.ok_spans(bytes, &p))
        {
            return None;
        }
        p.body
    } else {
        body_start(bytes, memo)?
    };
    if let Some(re) = &filter.regex {
        let end = bytes.len() - usize::from(bytes.last() == Some(&b'\n'));
        let matches = match search {
            Search::NoMatch => false,
            // A match inside the message is one of the message alone.
            Search::Hit(h) if h.start >= body && h.end <= end => true,
            _ => re.is_match(&bytes[body..end]),
        };
        if matches == filter.invert {
            return None;
        }
    }
    Some(level)
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
        if part != Part::WHOLE {
            return self.offer_piece(inner, run, bytes, part);
        }
        self.seen += 1;
        match self.takes {
            Takes::Records => self.offer_parsed(inner, bytes, false),
            Takes::Levels => {
                let search = self.search(run.as_deref_mut(), bytes);
                let Some(level) = decide(&self.filter, self.plan, bytes, search, &mut self.memo)
                else {
                    return Ok(());
                };
                self.passed += 1;
                inner.record_level(level, bytes)
            }
            Takes::Runs => {
                let search = self.search(run.as_deref_mut(), bytes);
                if decide(&self.filter, self.plan, bytes, search, &mut self.memo).is_none() {
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

    /// What the message regex's search over the chunk, one for all the
    /// records it holds, found in `bytes`.
    #[inline]
    fn search(&self, run: Option<&mut Run<'_>>, bytes: &[u8]) -> Search {
        match (&self.filter.regex, run) {
            (Some(re), Some(run)) if self.scan => run.search(re, bytes),
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
        if self.plan.prefix && !prefix_passes(filter, bytes) {
            return Ok(());
        }
        let rec = Record::parse(bytes);
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

impl<R: RecordSink> Sink for FilterSink<R> {
    fn event(&mut self, event: &Event<'_>) -> io::Result<()> {
        match event {
            Event::Text(text) => {
                let FilterSink {
                    inner,
                    gate,
                    splitter,
                } = self;
                let mut run = Run {
                    chunk: text,
                    start: 0,
                    end: 0,
                    searched: None,
                };
                splitter.push_parts(text, |b, part| gate.offer(inner, Some(&mut run), b, part))?;
                run.flush(inner)
            }
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::FilterOptions;
    use chrono::DateTime;

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

    /// Prints `text` through a filter sink, in chunks of `chunk` bytes with
    /// a gap marker after the third.
    fn print(text: &[u8], f: &Filter, color: bool, takes: Option<Takes>, chunk: usize) -> Vec<u8> {
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
        for (i, part) in text.chunks(chunk).enumerate() {
            s.event(&Event::Text(part)).expect("ok");
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
                let mut memo = DateMemo::default();
                for rec in Records::new(&text) {
                    let want = f.matches(&rec).then_some(rec.level);
                    assert_eq!(
                        decide(f, plan, rec.bytes, Search::Unknown, &mut memo),
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
                            decide(f, plan, rec.bytes, search.clone(), &mut memo),
                            want,
                            "{name} filter {k} {search:?}"
                        );
                    }
                    passed += usize::from(want.is_some());
                }
                for color in [false, true] {
                    for chunk in [4093, 65536] {
                        let parsed = print(&text, f, color, Some(Takes::Records), chunk);
                        let fast = print(&text, f, color, None, chunk);
                        assert!(
                            fast == parsed,
                            "{name} filter {k} colour {color} chunk {chunk}"
                        );
                    }
                }
            }
        }
        assert!(passed > 10_000, "{passed}");
    }
}
