//! Records out of the event stream: [`FilterSink`] cuts decoded text into
//! [`Record`]s, keeps those that pass a [`Filter`], and hands them with the
//! integrity events to a [`RecordSink`] (the text and JSON printers, the
//! statistics of `xlogdec info`, the viewer).
//!
//! Memory stays bounded: only the record still open at the end of a text
//! chunk is buffered. Records are borrowed, never copied one by one.

use std::cmp::Ordering;
use std::io;

use crate::event::{Event, Sink};
use crate::filter::Filter;
use crate::reader::Summary;
use crate::record::{Level, Record, RecordSplitter, parse_prefix};

/// Receives records and the decoder's other events, in input order.
pub trait RecordSink {
    /// A record that passed the filter (with an empty filter, every record,
    /// raw text included).
    fn record(&mut self, rec: &Record<'_>) -> io::Result<()>;

    /// Any event but [`Event::Text`]: blocks and integrity findings.
    fn event(&mut self, event: &Event<'_>) -> io::Result<()>;

    /// Called once after the last event of an input.
    fn finish(&mut self, summary: &Summary) -> io::Result<()>;
}

impl<R: RecordSink + ?Sized> RecordSink for &mut R {
    fn record(&mut self, rec: &Record<'_>) -> io::Result<()> {
        (**self).record(rec)
    }
    fn event(&mut self, event: &Event<'_>) -> io::Result<()> {
        (**self).event(event)
    }
    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        (**self).finish(summary)
    }
}

impl<R: RecordSink + ?Sized> RecordSink for Box<R> {
    fn record(&mut self, rec: &Record<'_>) -> io::Result<()> {
        (**self).record(rec)
    }
    fn event(&mut self, event: &Event<'_>) -> io::Result<()> {
        (**self).event(event)
    }
    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        (**self).finish(summary)
    }
}

/// A [`Sink`] that splits text into records, filters them and passes the
/// survivors on.
///
/// Integrity events (gaps, skipped ranges, locked blocks, ...) always pass:
/// before one is handed on, the record still open is completed, so the
/// output keeps the input's order. A record split across two blocks with no
/// event between them stays one record.
pub struct FilterSink<R> {
    inner: R,
    filter: Filter,
    /// The message regex may run on a record's whole bytes first.
    prefilter: bool,
    splitter: RecordSplitter,
    seen: u64,
    passed: u64,
}

impl<R: RecordSink> FilterSink<R> {
    /// Filters records into `inner`.
    pub fn new(inner: R, filter: Filter) -> FilterSink<R> {
        FilterSink {
            inner,
            prefilter: regex_prefilter(&filter),
            filter,
            splitter: RecordSplitter::new(),
            seen: 0,
            passed: 0,
        }
    }

    /// Records seen so far (passed or not).
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// Records passed on so far.
    pub fn passed(&self) -> u64 {
        self.passed
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
            filter,
            prefilter,
            splitter,
            seen,
            passed,
        } = self;
        splitter.finish_bytes(|b| offer(inner, filter, *prefilter, seen, passed, b))
    }
}

/// Whether a record whose bytes do not match the message regex can be
/// rejected unparsed: true when the pattern has no anchors or word
/// boundaries (then a match in the message is a match in the record, which
/// holds the message), and the match is not inverted. A pattern text that
/// merely looks like it has one only loses the shortcut.
fn regex_prefilter(filter: &Filter) -> bool {
    let Some(re) = &filter.regex else {
        return false;
    };
    let p = re.as_str();
    !filter.invert
        && !p.contains(['^', '$'])
        && !["\\b", "\\B", "\\A", "\\z", "\\<", "\\>"]
            .iter()
            .any(|a| p.contains(a))
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

/// The checks of [`Filter::matches`] on the fields before the location,
/// parsed cheaply: `false` only for records the full check rejects too.
fn prefix_passes(f: &Filter, bytes: &[u8]) -> bool {
    let Some(p) = parse_prefix(bytes) else {
        return false; // no full header either
    };
    !(f.pid.is_some_and(|x| x != p.pid)
        || f.tid.is_some_and(|x| x != p.tid)
        || (f.main_thread_only && !p.main_thread)
        || (!f.tags.is_empty() && !f.tags.iter().any(|t| t.matches(p.tag)))
        || f.since
            .is_some_and(|b| b.compare(&p.timestamp) == Ordering::Less)
        || f.until
            .is_some_and(|b| b.compare(&p.timestamp) == Ordering::Greater))
}

/// Passes the record in `bytes` to `inner` when it passes `filter`; the
/// level, the regex (see [`regex_prefilter`]) and the fields before the
/// location are checked before the whole header is parsed.
#[inline]
fn offer<R: RecordSink>(
    inner: &mut R,
    filter: &Filter,
    prefilter: bool,
    seen: &mut u64,
    passed: &mut u64,
    bytes: &[u8],
) -> io::Result<()> {
    *seen += 1;
    if let Some(min) = filter.min_level {
        let level = match bytes {
            [b'[', l, b']', ..] => Level::from_letter(*l),
            _ => None,
        };
        if level.is_none_or(|l| l < min) {
            return Ok(());
        }
    }
    if prefilter
        && let Some(re) = &filter.regex
        && !re.is_match(bytes)
    {
        return Ok(());
    }
    if needs_prefix(filter) && !prefix_passes(filter, bytes) {
        return Ok(());
    }
    let rec = Record::parse(bytes);
    if !filter.matches(&rec) {
        return Ok(());
    }
    *passed += 1;
    inner.record(&rec)
}

impl<R: RecordSink> Sink for FilterSink<R> {
    fn event(&mut self, event: &Event<'_>) -> io::Result<()> {
        match event {
            Event::Text(text) => {
                let FilterSink {
                    inner,
                    filter,
                    prefilter,
                    splitter,
                    seen,
                    passed,
                } = self;
                splitter.push_bytes(text, |b| offer(inner, filter, *prefilter, seen, passed, b))
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
}
