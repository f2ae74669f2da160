//! Records longer than `MAX_PIECE` (a decompression bomb, a giant message,
//! a line without end) go through the record consumers in pieces: the
//! filtered text keeps every byte of a passing record, JSON keeps every
//! byte of the message, and no consumer holds more than `MAX_PIECE` bytes
//! of one record.

use std::io;
use std::process::Command;

use chrono::DateTime;
use serde_json::Value;
use xlogdec::decode::event::{Event, Sink};
use xlogdec::decode::summary::Summary;
use xlogdec::decode::text::TextSink;
use xlogdec::record::{Level, Record, Records};
use xlogdec::render::color::TextRecords;
use xlogdec::render::escape::unescape;
use xlogdec::render::json::JsonSink;
use xlogdec::select::filter::{Filter, FilterOptions};
use xlogdec::select::filtered::{FilterSink, MAX_PIECE, RecordSink, Takes};

const I1: &[u8] = b"[I][2024-01-31 +8.0 10:00:00.000][1, 2*][t][a.cc:1, f][fine\n";
const W1: &[u8] = b"[W][2024-01-31 +8.0 10:00:02.000][1, 2*][t][a.cc:1, f][careful\n";
const E_HEAD: &[u8] = b"[E][2024-01-31 +8.0 10:00:01.000][1, 2*][t][a.cc:1, f][boom ";
/// The filters see 20 MiB records; JSON, slower to check, 3.5 MiB ones.
const BIG: usize = 20 << 20;
const JSON_BIG: usize = 7 << 19;

/// A record whose one line is `big` bytes long, between ordinary ones.
fn long_line(big: usize) -> Vec<u8> {
    let mut t = I1.to_vec();
    t.extend_from_slice(E_HEAD);
    t.resize(t.len() + big, b'x');
    t.extend_from_slice(b" TAILMARK\n");
    t.extend_from_slice(I1);
    t.extend_from_slice(W1);
    t
}

/// A record of `big` bytes of continuation lines after its header.
fn long_lines(big: usize) -> Vec<u8> {
    let mut t = E_HEAD.to_vec();
    t.extend_from_slice(b"starts here\n");
    let mut n = 0;
    while t.len() < big {
        t.extend_from_slice(format!("  at frame {n} of a very deep stack, in a function with a long name and longer arguments\n").as_bytes());
        n += 1;
    }
    t.extend_from_slice(b"  TAILMARK\n");
    t.extend_from_slice(I1);
    t
}

/// `big` zero bytes without a newline (a bomb's text), then a record.
fn zeros(big: usize) -> Vec<u8> {
    let mut t = vec![0u8; big];
    t.push(b'\n');
    t.extend_from_slice(W1);
    t
}

fn filter(f: impl FnOnce(&mut FilterOptions)) -> Filter {
    let now = DateTime::parse_from_rfc3339("2024-01-31T12:00:00+08:00").expect("valid");
    let mut o = FilterOptions::default();
    f(&mut o);
    Filter::new(&o, now).expect("valid filter")
}

/// Passes everything on, checking that no record or piece of one is
/// longer than `MAX_PIECE`.
struct Probe<R> {
    inner: R,
    pieces: usize,
}

impl<R: RecordSink> RecordSink for Probe<R> {
    fn record(&mut self, rec: &Record<'_>) -> io::Result<()> {
        assert!(rec.bytes.len() <= MAX_PIECE);
        self.inner.record(rec)
    }
    fn event(&mut self, event: &Event<'_>) -> io::Result<()> {
        self.inner.event(event)
    }
    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.inner.finish(summary)
    }
    fn takes(&self) -> Takes {
        self.inner.takes()
    }
    fn record_level(&mut self, level: Option<Level>, bytes: &[u8]) -> io::Result<()> {
        assert!(bytes.len() <= MAX_PIECE);
        self.inner.record_level(level, bytes)
    }
    fn run(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.inner.run(bytes)
    }
    fn record_head(&mut self, rec: &Record<'_>) -> io::Result<()> {
        assert!(rec.bytes.len() <= MAX_PIECE);
        self.pieces += 1;
        self.inner.record_head(rec)
    }
    fn record_rest(&mut self, level: Option<Level>, bytes: &[u8], more: bool) -> io::Result<()> {
        assert!(bytes.len() <= MAX_PIECE);
        self.pieces += 1;
        self.inner.record_rest(level, bytes, more)
    }
}

/// Feeds `text` to `sink` in Text events of `chunk` bytes, checking after
/// each that the open record held back stays within `MAX_PIECE`.
fn feed<R: RecordSink>(sink: &mut FilterSink<R>, text: &[u8], chunk: usize) {
    for c in text.chunks(chunk) {
        sink.event(&Event::Text(c)).expect("ok");
        assert!(sink.buffered() <= MAX_PIECE, "{}", sink.buffered());
    }
    sink.finish(&Summary::default()).expect("ok");
}

/// The filtered text of `text` (coloured or not, colour codes removed).
fn filtered(text: &[u8], f: &Filter, color: bool, chunk: usize) -> Vec<u8> {
    let printer = TextRecords::new(TextSink::new(Vec::new(), true), color);
    let mut s = FilterSink::new(
        Probe {
            inner: printer,
            pieces: 0,
        },
        f.clone(),
    );
    feed(&mut s, text, chunk);
    let out = s.into_inner().inner.into_inner().into_inner();
    if !color {
        return out;
    }
    let mut plain = Vec::with_capacity(out.len());
    let mut rest = &out[..];
    while let Some(esc) = memchr::memchr(0x1b, rest) {
        plain.extend_from_slice(&rest[..esc]);
        let end = memchr::memchr(b'm', &rest[esc..]).expect("a style");
        rest = &rest[esc + end + 1..];
    }
    plain.extend_from_slice(rest);
    plain
}

/// The records of `text` for which `keep` holds, joined.
fn expected(text: &[u8], keep: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    let mut out = Vec::new();
    for r in Records::new(text).filter(|r| keep(r.bytes)) {
        out.extend_from_slice(r.bytes);
    }
    out
}

#[test]
fn long_records_pass_whole_or_not_at_all_and_are_judged_by_their_first_piece() {
    let level_w = filter(|o| o.level = Some("W".into()));
    let boom = filter(|o| o.regex = Some("boom".into()));
    let anchored = filter(|o| o.regex = Some("^boom".into()));
    let tail = filter(|o| o.regex = Some("TAILMARK".into()));
    let not_boom = filter(|o| {
        o.regex = Some("boom".into());
        o.invert = true;
    });
    let is_e = |b: &[u8]| b.starts_with(b"[E]");
    let is_we = |b: &[u8]| b.starts_with(b"[E]") || b.starts_with(b"[W]");
    let has_level = |b: &[u8]| b.len() > 3 && b[0] == b'[' && b[2] == b']';
    for (name, text) in [
        ("long line", long_line(BIG)),
        ("long lines", long_lines(BIG)),
        ("zeros", zeros(BIG)),
    ] {
        let cases: [(&Filter, Vec<u8>); 5] = [
            (&level_w, expected(&text, is_we)),
            (&boom, expected(&text, is_e)),
            (&anchored, expected(&text, is_e)),
            // The mark lies past the first MAX_PIECE bytes: not seen.
            (&tail, Vec::new()),
            (&not_boom, expected(&text, |b| has_level(b) && !is_e(b))),
        ];
        for (k, (f, want)) in cases.iter().enumerate() {
            for (color, chunk) in [(false, 777_777), (true, MAX_PIECE)] {
                let got = filtered(&text, f, color, chunk);
                assert!(
                    got == *want,
                    "{name} filter {k} colour {color} chunk {chunk}: {} bytes, want {}",
                    got.len(),
                    want.len()
                );
            }
        }
    }
}

/// The JSON objects of `text` through a filter sink with no filter.
fn json_lines(text: &[u8], chunk: usize) -> Vec<Value> {
    let mut s = FilterSink::new(
        Probe {
            inner: JsonSink::new(Vec::new(), "in.xlog"),
            pieces: 0,
        },
        Filter::default(),
    );
    feed(&mut s, text, chunk);
    let probe = s.into_inner();
    assert!(probe.pieces > 3, "{}", probe.pieces);
    let out = probe.inner.into_inner();
    out.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("valid JSON"))
        .collect()
}

/// A string field's bytes, unescaped when listed in `escaped`.
fn field(v: &Value, name: &str) -> Vec<u8> {
    let s = v[name].as_str().expect("a string");
    let escaped = v["escaped"]
        .as_array()
        .is_some_and(|a| a.iter().any(|e| e == name));
    if escaped {
        unescape(s).expect("escaped text")
    } else {
        s.as_bytes().to_vec()
    }
}

#[test]
fn json_keeps_every_byte_of_a_long_record_in_continuation_objects() {
    for text in [long_line(JSON_BIG), long_lines(JSON_BIG), zeros(JSON_BIG)] {
        let want: Vec<Record> = Records::new(&text).collect();
        for chunk in [MAX_PIECE, 777_777] {
            let lines = json_lines(&text, chunk);
            // Join each record object with the continuations after it.
            let mut got: Vec<(Value, Vec<u8>)> = Vec::new();
            let mut open = false;
            for v in &lines {
                match v["type"].as_str() {
                    Some("record") => {
                        assert!(!open, "a record inside a continued one");
                        let name = if v["message"].is_string() {
                            "message"
                        } else {
                            "text"
                        };
                        got.push((v.clone(), field(v, name)));
                        open = v["continued"] == true;
                    }
                    Some("continuation") => {
                        assert!(open, "a continuation without its record");
                        got.last_mut().expect("a record").1.extend(field(v, "text"));
                        open = v["continued"] == true;
                    }
                    _ => assert!(!open, "{v}"),
                }
            }
            assert!(!open);
            assert_eq!(got.len(), want.len());
            for ((v, body), rec) in got.iter().zip(&want) {
                match rec.header {
                    Some(h) => {
                        assert!(body == h.message, "message of {} bytes", body.len());
                        assert_eq!(
                            v["level"],
                            rec.level.map(|l| l.letter().to_string()).unwrap()
                        );
                    }
                    None => assert!(*body == rec.bytes),
                }
            }
            let summary = lines.last().expect("summary");
            assert_eq!(summary["type"], "summary");
            assert_eq!(summary["records"], want.len() as u64);
        }
    }
}

/// An async zlib block around `text`, flushed as Mars flushes.
fn block(text: &[u8]) -> Vec<u8> {
    use flate2::{Compress, FlushCompress};
    let mut c = Compress::new(flate2::Compression::best(), false);
    let mut payload = Vec::with_capacity(text.len() / 100 + (1 << 16));
    c.compress_vec(text, &mut payload, FlushCompress::Sync)
        .expect("compresses");
    assert_eq!(c.total_in() as usize, text.len());
    let mut block = Vec::new();
    let frame = xlogdec::decode::writer::Frame::plain(0x09);
    xlogdec::decode::writer::frame_block(&mut block, frame, &payload).expect("framed");
    block
}

#[test]
fn a_long_record_in_a_block_passes_the_binary_filters_and_merge_whole() {
    let text = long_line(BIG);
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("long.xlog");
    std::fs::write(&input, block(&text)).expect("written");
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_xlogdec"))
            .args(["-j1", "--no-markers"])
            .args(args)
            .arg(&input)
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let want = expected(&text, |b| b.starts_with(b"[E]") || b.starts_with(b"[W]"));
    assert!(run(&["-l", "W"]) == want);
    assert!(run(&["-e", "boom"]) == expected(&text, |b| b.starts_with(b"[E]")));
    // Two copies merged: the long record's pieces stay together, once
    // per input (the long record is not a copy candidate).
    let other = dir.path().join("other.xlog");
    std::fs::write(&other, block(I1)).expect("written");
    let out = Command::new(env!("CARGO_BIN_EXE_xlogdec"))
        .args(["-j1", "--no-markers", "--merge"])
        .arg(&input)
        .arg(&other)
        .output()
        .expect("runs");
    assert!(out.status.success());
    // The other input's record is a copy of the first one: shown once.
    assert!(out.stdout == text, "{} bytes", out.stdout.len());
}
