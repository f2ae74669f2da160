//! JSON Lines output: one object per line, typed by `"type"`.
//!
//! Per input: `begin`, then `record`, `gap`, `corrupt`, `locked` and
//! `salvaged` events in input order, then `summary`. A record longer than
//! [`MAX_PIECE`](crate::record::MAX_PIECE) bytes is a `record` object
//! marked `"continued":true` followed by `continuation` objects holding
//! the rest of its message. The schema is
//! documented in the README and kept stable: fields may be added, never
//! renamed or removed.
//!
//! Text from the log is written as JSON strings. Bytes that are not UTF-8
//! are kept: such a field is written with each invalid byte as the four
//! characters `\xNN` and each backslash doubled, and its name is listed in
//! the record's `"escaped"` array, so that [`unescape`](super::escape::unescape)
//! gives the bytes back exactly. Fields of valid UTF-8 are written as is.

use std::cell::RefCell;
use std::io::{self, Write};
use std::sync::Arc;

use crate::decode::event::{BlockInfo, Event, Salvage, SeqGap};
use crate::decode::summary::Summary;
use crate::record::TimePoint;
use crate::record::{DateMemo, Header, Level, Record, Timestamp, parse_record};
use crate::render::escape::escape_bytes;
use crate::render::stats::Stats;
use crate::select::ahead::{RenderAhead, Rendered, RenderedMeta, RenderedRun};
use crate::select::filtered::RecordSink;

/// Bytes that JSON strings must escape: control characters, `"` and `\`.
const NEEDS_ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Whether any of the eight bytes of `w` is one JSON must escape (a
/// control character, `"` or `\\`).
#[inline]
fn needs_escape(w: u64) -> bool {
    escape_flags(w) != 0
}

/// The high bit of each byte of `w` that JSON must escape, and perhaps of
/// bytes above such a byte: exact word tests for a byte below 0x20 and for
/// a byte equal to each of the two, whose borrows only flag bytes above a
/// flagged one. The lowest flag is exact.
#[inline]
fn escape_flags(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGHS;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    below(w, 0x20) | zero(w ^ (ONES * u64::from(b'"'))) | zero(w ^ (ONES * u64::from(b'\\')))
}

/// Writes `s` as a JSON string literal.
fn write_str<W: Write>(out: &mut W, s: &str) -> io::Result<()> {
    out.write_all(b"\"")?;
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Eight bytes at a time past those that need no escape.
        while let Some(word) = bytes.get(i..i + 8) {
            let w = u64::from_le_bytes(word.try_into().expect("eight bytes"));
            if needs_escape(w) {
                break;
            }
            i += 8;
        }
        let Some(&b) = bytes.get(i) else {
            break;
        };
        i += 1;
        if !NEEDS_ESCAPE[usize::from(b)] {
            continue;
        }
        out.write_all(&bytes[start..i - 1])?;
        write_escape(out, b)?;
        start = i;
    }
    out.write_all(&bytes[start..])?;
    out.write_all(b"\"")
}

/// Writes the JSON escape of a byte in [`NEEDS_ESCAPE`].
#[inline]
fn write_escape<W: Write>(out: &mut W, b: u8) -> io::Result<()> {
    match b {
        b'"' => out.write_all(b"\\\""),
        b'\\' => out.write_all(b"\\\\"),
        b'\n' => out.write_all(b"\\n"),
        b'\r' => out.write_all(b"\\r"),
        b'\t' => out.write_all(b"\\t"),
        _ => write!(out, "\\u{:04x}", b),
    }
}

/// Whether `bytes` are UTF-8. SIMD validation (the simdutf8 crate): JSON
/// output checks every byte of the log's text, much of it not ASCII.
#[inline]
fn is_utf8(bytes: &[u8]) -> bool {
    simdutf8::basic::from_utf8(bytes).is_ok()
}

/// Whether the fields of a record are UTF-8, from one check of the whole
/// record: a field that lies within a record of UTF-8 is UTF-8 when it
/// starts and ends on character boundaries. Fields from elsewhere, and
/// those of a record that is not UTF-8, are checked on their own.
#[derive(Clone, Copy)]
struct Utf8<'a> {
    /// The record's bytes.
    record: &'a [u8],
    /// Whether they are UTF-8.
    valid: bool,
}

impl<'a> Utf8<'a> {
    /// Checks `record` once.
    fn of(record: &'a [u8]) -> Utf8<'a> {
        Utf8 {
            record,
            valid: is_utf8(record),
        }
    }

    /// Whether `field` is UTF-8.
    #[inline]
    fn holds(&self, field: &[u8]) -> bool {
        if field.is_empty() {
            return true;
        }
        if self.valid {
            let base = self.record.as_ptr() as usize;
            let at = field.as_ptr() as usize;
            if at >= base && at - base + field.len() <= self.record.len() {
                let (start, end) = (at - base, at - base + field.len());
                // A byte 0x80..=0xBF continues a character.
                let boundary = |i: usize| self.record.get(i).is_none_or(|&b| (b as i8) >= -0x40);
                return boundary(start) && boundary(end);
            }
        }
        is_utf8(field)
    }
}

/// Writes log bytes as a JSON string literal, as `write_str` writes what
/// [`escape_bytes`] makes of them, and says whether they were escaped
/// (not UTF-8). `utf8` says whether they are UTF-8.
fn write_text(out: &mut Vec<u8>, bytes: &[u8], utf8: bool) -> bool {
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    if utf8 {
        write_chars(out, bytes, b"\\\\");
    } else {
        // As escape_bytes, then write_str: each `\` doubled, then both
        // escaped; each invalid byte `\xNN`, its backslash escaped.
        // The runs between invalid sequences found by SIMD validation, as
        // `utf8_chunks` cuts them (a long record may hold one broken
        // character at its end, where it was cut).
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let mut rest = bytes;
        while !rest.is_empty() {
            let (valid, bad) = match simdutf8::compat::from_utf8(rest) {
                Ok(_) => (rest.len(), 0),
                Err(e) => (
                    e.valid_up_to(),
                    e.error_len().unwrap_or(rest.len() - e.valid_up_to()),
                ),
            };
            write_chars(out, &rest[..valid], b"\\\\\\\\");
            let invalid;
            (invalid, rest) = rest[valid..].split_at(bad);
            for &b in invalid {
                out.extend_from_slice(&[
                    b'\\',
                    b'\\',
                    b'x',
                    HEX[usize::from(b >> 4)],
                    HEX[usize::from(b & 15)],
                ]);
            }
        }
    }
    out.push(b'"');
    !utf8
}

/// Writes `bytes` escaped for a JSON string, without the quotes: each
/// `\` as `backslash` (`\\`, or four of them for text [`escape_bytes`]
/// has doubled the backslashes of), `"` and control characters escaped,
/// the rest as it is.
#[inline]
fn write_chars<const N: usize>(out: &mut Vec<u8>, bytes: &[u8], backslash: &[u8; N]) {
    let mut start = 0;
    while let Some(n) = find_escape(&bytes[start..]) {
        let at = start + n;
        out.extend_from_slice(&bytes[start..at]);
        match bytes[at] {
            b'\\' => out.extend_from_slice(backslash),
            b => write_escape(out, b).expect("writing to a Vec cannot fail"),
        }
        start = at + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// The position of the first byte of `hay` that a JSON string escapes (a
/// control character, `"` or `\\`): sixteen bytes a compare, the last
/// sixteen (or eight) overlapping those already seen, which hold none.
#[inline]
fn find_escape(hay: &[u8]) -> Option<usize> {
    let n = hay.len();
    #[cfg(target_arch = "x86_64")]
    if n >= 16 {
        let mask = |at: usize| sse2::escape_mask(hay[at..at + 16].try_into().expect("16 bytes"));
        let mut i = 0;
        while i + 16 <= n {
            let m = mask(i);
            if m != 0 {
                return Some(i + m.trailing_zeros() as usize);
            }
            i += 16;
        }
        if i == n {
            return None;
        }
        // Each flag is exact, and the bytes before `i` have none.
        let m = mask(n - 16);
        return (m != 0).then(|| n - 16 + m.trailing_zeros() as usize);
    }
    if n >= 8 {
        let flags = |at: usize| {
            escape_flags(u64::from_le_bytes(
                hay[at..at + 8].try_into().expect("8 bytes"),
            ))
        };
        let mut i = 0;
        while i + 8 <= n {
            let f = flags(i);
            if f != 0 {
                return Some(i + f.trailing_zeros() as usize / 8);
            }
            i += 8;
        }
        if i == n {
            return None;
        }
        // The lowest flag is exact, and the bytes before `i` have none.
        let f = flags(n - 8);
        return (f != 0).then(|| n - 8 + f.trailing_zeros() as usize / 8);
    }
    hay.iter().position(|&b| NEEDS_ESCAPE[usize::from(b)])
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };

    /// Bit `i` set when byte `i` of `bytes` is one JSON escapes: below
    /// 0x20 (unsigned), `"` or `\\`.
    #[inline]
    pub(super) fn escape_mask(bytes: &[u8; 16]) -> u32 {
        // SAFETY: SSE2 is part of x86-64; one load of the 16 bytes, and
        // loadu takes any alignment.
        unsafe {
            let v = _mm_loadu_si128(bytes.as_ptr().cast::<__m128i>());
            let control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v);
            let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
            let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
            _mm_movemask_epi8(_mm_or_si128(control, _mm_or_si128(quote, backslash))) as u32
        }
    }
}

/// The two decimal digits of each number below 100.
const PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// 10^i for the digits of a u64.
const POWERS: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// The two decimal digits of `n` (< 100).
#[inline]
fn pair(n: u32) -> [u8; 2] {
    let i = n as usize * 2;
    [PAIRS[i], PAIRS[i + 1]]
}

/// Writes `n` in decimal, as `{}` does, without the formatting machinery
/// (a record has several numbers): two digits a division, in place.
fn write_int(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    let mut u = n.unsigned_abs();
    let mut count = 1;
    while count < 20 && u >= POWERS[count] {
        count += 1;
    }
    let at = out.len();
    // Room for any u64, then cut to its digits.
    out.extend_from_slice(&[0u8; 20]);
    let digits = &mut out[at..at + count];
    let mut end = count;
    while end >= 2 {
        let i = (u % 100) as usize * 2;
        u /= 100;
        digits[end - 2..end].copy_from_slice(&PAIRS[i..i + 2]);
        end -= 2;
    }
    if end == 1 {
        digits[0] = b'0' + u as u8;
    }
    out.truncate(at + count);
}

/// Writes `n` as `width` decimal digits, zero-padded (n < 10^width).
fn write_digits<W: Write>(out: &mut W, n: u32, width: usize) -> io::Result<()> {
    let mut buf = [b'0'; 10];
    let mut n = n;
    for d in buf[..width].iter_mut().rev() {
        *d = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.write_all(&buf[..width])
}

/// Writes the record fields of a parsed header.
fn write_header(
    out: &mut Vec<u8>,
    h: &Header<'_>,
    utf8: Utf8<'_>,
    escaped: &mut Vec<&str>,
) -> io::Result<()> {
    out.extend_from_slice(b",\"time\":");
    if write_text(out, h.timestamp.raw, utf8.holds(h.timestamp.raw)) {
        escaped.push("time");
    }
    out.extend_from_slice(b",\"ts\":\"");
    write_iso(out, &h.timestamp)?;
    out.extend_from_slice(b"\",\"pid\":");
    write_int(out, h.pid);
    out.extend_from_slice(b",\"tid\":");
    write_int(out, h.tid);
    out.extend_from_slice(if h.main_thread {
        b",\"main_thread\":true"
    } else {
        b",\"main_thread\":false"
    });
    for (name, bytes) in [("tag", h.tag), ("src_file", h.file)] {
        out.extend_from_slice(b",\"");
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
        if write_text(out, bytes, utf8.holds(bytes)) {
            escaped.push(name);
        }
    }
    out.extend_from_slice(b",\"src_line\":");
    write_int(out, i64::from(h.line));
    out.extend_from_slice(b",\"func\":");
    if write_text(out, h.func, utf8.holds(h.func)) {
        escaped.push("func");
    }
    let format = h.format.name();
    out.extend_from_slice(b",\"line_format\":\"");
    out.extend_from_slice(format.as_bytes());
    out.extend_from_slice(b"\",\"message\":");
    if write_text(out, h.message, utf8.holds(h.message)) {
        escaped.push("message");
    }
    Ok(())
}

/// `2024-01-31T10:02:11.123+08:00`, or without offset when it is unknown.
pub fn write_iso<W: Write>(out: &mut W, ts: &Timestamp<'_>) -> io::Result<()> {
    use chrono::{Datelike, Timelike};
    let l = ts.local;
    let year = l.year();
    if (0..10_000).contains(&year) {
        // The common case in one write.
        let y = year as u32;
        let ms = l.nanosecond() / 1_000_000 % 1000;
        let ([y0, y1], [y2, y3]) = (pair(y / 100), pair(y % 100));
        let ([m0, m1], [d0, d1]) = (pair(l.month()), pair(l.day()));
        let ([h0, h1], [i0, i1]) = (pair(l.hour()), pair(l.minute()));
        let ([s0, s1], [f1, f2]) = (pair(l.second()), pair(ms % 100));
        let f0 = b'0' + (ms / 100) as u8;
        out.write_all(&[
            y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1, b'T', h0, h1, b':', i0, i1, b':', s0, s1,
            b'.', f0, f1, f2,
        ])?;
    } else {
        write!(out, "{year:04}")?;
        for (sep, n, w) in [
            (b'-', l.month(), 2),
            (b'-', l.day(), 2),
            (b'T', l.hour(), 2),
            (b':', l.minute(), 2),
            (b':', l.second(), 2),
            (b'.', l.nanosecond() / 1_000_000 % 1000, 3),
        ] {
            out.write_all(&[sep])?;
            write_digits(out, n, w)?;
        }
    }
    if let Some(off) = ts.offset_minutes {
        let sign = if off < 0 { b'-' } else { b'+' };
        let a = off.unsigned_abs();
        if a / 60 < 100 {
            let ([h0, h1], [m0, m1]) = (pair(a / 60), pair(a % 60));
            out.write_all(&[sign, h0, h1, b':', m0, m1])?;
        } else {
            write!(out, "{}{}:", sign as char, a / 60)?;
            write_digits(out, a % 60, 2)?;
        }
    }
    Ok(())
}

/// Writes JSON Lines for one input.
pub struct JsonSink<W: Write> {
    /// The line being built: one write per line to `dest`.
    out: Vec<u8>,
    dest: W,
    /// The input's name, already a JSON string literal.
    file: Vec<u8>,
    began: bool,
    stats: Stats,
    escaped: Vec<&'static str>,
    /// The record whose pieces are coming has a header: its message, like
    /// any record's, is written without its final newline.
    rest_header: bool,
}

impl<W: Write> JsonSink<W> {
    /// A writer for the input named `file`.
    pub fn new(out: W, file: &str) -> JsonSink<W> {
        let mut lit = Vec::new();
        write_str(&mut lit, file).expect("writing to a Vec cannot fail");
        JsonSink {
            out: Vec::with_capacity(4096),
            dest: out,
            file: lit,
            began: false,
            stats: Stats::new(),
            escaped: Vec::new(),
            rest_header: false,
        }
    }

    /// The writer back.
    pub fn into_inner(self) -> W {
        self.dest
    }

    /// Writes the lines built so far.
    fn emit(&mut self) -> io::Result<()> {
        let r = self.dest.write_all(&self.out);
        self.out.clear();
        r
    }

    /// Starts a line `{"type":"T","file":...`, after the `begin` line if due.
    fn open(&mut self, kind: &str) -> io::Result<()> {
        self.begin();
        self.out.write_all(b"{\"type\":\"")?;
        self.out.write_all(kind.as_bytes())?;
        self.out.write_all(b"\",\"file\":")?;
        self.out.write_all(&self.file)
    }

    /// A line about a whole block: its place, its seq and why.
    fn block_finding(&mut self, kind: &str, block: &BlockInfo, reason: &str) -> io::Result<()> {
        self.open(kind)?;
        let len = block.block_len();
        write!(
            self.out,
            ",\"offset\":{},\"length\":{len},\"seq\":{},\"reason\":",
            block.offset, block.seq
        )?;
        write_str(&mut self.out, reason)?;
        self.out.write_all(b"}\n")
    }
}

impl<W: Write> RecordSink for JsonSink<W> {
    fn record(&mut self, rec: &Record<'_>) -> io::Result<()> {
        self.write_record(rec, false)
    }

    /// The first piece of a long record: a `record` object with
    /// `"continued":true`, whose message (or text) is the piece's, up to its
    /// last byte.
    fn record_head(&mut self, rec: &Record<'_>) -> io::Result<()> {
        self.rest_header = rec.header.is_some();
        self.write_record(rec, true)
    }

    /// A `continuation` object: the next bytes of the record's message (or
    /// text); the last one of a record with a header drops the final newline.
    fn record_rest(&mut self, _: Option<Level>, bytes: &[u8], more: bool) -> io::Result<()> {
        self.open("continuation")?;
        let text = match bytes.split_last() {
            Some((b'\n', body)) if !more && self.rest_header => body,
            _ => bytes,
        };
        self.out.write_all(b",\"text\":")?;
        let (s, e) = escape_bytes(text);
        write_str(&mut self.out, &s)?;
        if more {
            self.out.write_all(b",\"continued\":true")?;
        }
        if e {
            self.out.write_all(b",\"escaped\":[\"text\"]")?;
        }
        self.out.write_all(b"}\n")?;
        self.emit()
    }

    /// Workers may render records ahead (see [`JsonRenderer`]).
    fn renderer(&self) -> Option<Arc<dyn RenderAhead>> {
        Some(Arc::new(JsonRenderer {
            file: self.file.clone().into_boxed_slice(),
        }))
    }

    /// A record rendered ahead: counted, and its line written as it is.
    fn rendered(&mut self, r: &Rendered<'_>) -> io::Result<()> {
        self.stats.rendered(r);
        self.write_ahead(r.json)
    }

    /// Records rendered ahead in a row: counted, their lines written at once.
    fn rendered_run(&mut self, run: &RenderedRun<'_>) -> io::Result<()> {
        self.stats.rendered_run(run);
        self.write_ahead(run.json)
    }

    fn event(&mut self, event: &Event<'_>) -> io::Result<()> {
        self.stats.event(event)?;
        self.line(event)?;
        self.emit()
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.open("summary")?;
        // The summary object from the statistics, without its first brace.
        let body = self.stats.to_json(summary).to_string();
        let rest = body.strip_prefix('{').unwrap_or(&body);
        if rest != "}" {
            self.out.write_all(b",")?;
        }
        self.out.write_all(rest.as_bytes())?;
        self.out.write_all(b"\n")?;
        self.emit()?;
        self.dest.flush()
    }
}

impl<W: Write> JsonSink<W> {
    /// Writes a `record` object; `continued`: `rec` is the first piece of a
    /// longer record, whose message goes on in `continuation` objects.
    fn write_record(&mut self, rec: &Record<'_>, continued: bool) -> io::Result<()> {
        self.stats.record(rec)?;
        self.begin();
        let mut escaped = std::mem::take(&mut self.escaped);
        let r = render_record(&mut self.out, &self.file, rec, continued, &mut escaped);
        self.escaped = escaped;
        r?;
        self.emit()
    }

    /// Writes lines rendered ahead, after the `begin` line if due.
    fn write_ahead(&mut self, json: &[u8]) -> io::Result<()> {
        if !self.began {
            self.begin();
            self.emit()?;
        }
        self.dest.write_all(json)
    }

    /// The `begin` line, if due.
    fn begin(&mut self) {
        if !self.began {
            self.began = true;
            self.out.extend_from_slice(b"{\"type\":\"begin\",\"file\":");
            self.out.extend_from_slice(&self.file);
            self.out.extend_from_slice(b"}\n");
        }
    }
}

/// Writes the `record` object of `rec` (see [`JsonSink`]) for the input
/// whose name, as a JSON string literal, is `file`; `continued`: `rec` is
/// the first piece of a longer record. `escaped` is scratch space.
fn render_record(
    out: &mut Vec<u8>,
    file: &[u8],
    rec: &Record<'_>,
    continued: bool,
    escaped: &mut Vec<&'static str>,
) -> io::Result<()> {
    out.extend_from_slice(b"{\"type\":\"record\",\"file\":");
    out.extend_from_slice(file);
    match rec.level {
        Some(l) => out.extend_from_slice(&[
            b',',
            b'"',
            b'l',
            b'e',
            b'v',
            b'e',
            b'l',
            b'"',
            b':',
            b'"',
            l.letter() as u8,
            b'"',
        ]),
        None => out.extend_from_slice(b",\"level\":null"),
    }
    escaped.clear();
    let utf8 = Utf8::of(rec.bytes);
    match &rec.header {
        Some(h) if continued => {
            // The piece's last byte is not the record's: keep a newline.
            let from = h.message.as_ptr() as usize - rec.bytes.as_ptr() as usize;
            let h = Header {
                message: &rec.bytes[from..],
                ..*h
            };
            write_header(out, &h, utf8, escaped)?
        }
        Some(h) => write_header(out, h, utf8, escaped)?,
        None => {
            // Raw text and level-only lines: the bytes as they are.
            out.extend_from_slice(b",\"text\":");
            if write_text(out, rec.bytes, utf8.valid) {
                escaped.push("text");
            }
        }
    }
    if !escaped.is_empty() {
        out.extend_from_slice(b",\"escaped\":[");
        for (i, name) in escaped.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(b",");
            }
            out.extend_from_slice(b"\"");
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"\"");
        }
        out.extend_from_slice(b"]");
    }
    if continued {
        out.extend_from_slice(b",\"continued\":true");
    }
    out.extend_from_slice(b"}\n");
    Ok(())
}

thread_local! {
    /// The last date a renderer read on this thread (a worker renders the
    /// records of a block in a row, most of them of one date).
    static DATES: RefCell<DateMemo> = RefCell::new(DateMemo::default());
}

/// Renders `record` objects ahead of [`JsonSink`], on the decoder's
/// worker threads (see [`RecordSink::renderer`]): the same bytes the sink
/// writes, with what its summary counts of each record.
#[derive(Debug, Clone)]
pub struct JsonRenderer {
    /// The input's name, as a JSON string literal.
    file: Box<[u8]>,
}

impl RenderAhead for JsonRenderer {
    /// Renders a record with a level whose time does not take the UTC
    /// offset of an earlier line (IM SDK shapes do; they are left to the
    /// sink, which knows the offset).
    fn render(&self, bytes: &[u8], out: &mut Vec<u8>) -> Option<RenderedMeta> {
        DATES.with(|memo| self.render_with(bytes, out, &mut memo.borrow_mut()))
    }
}

impl JsonRenderer {
    /// [`RenderAhead::render`] with the thread's memo of dates.
    #[inline(always)]
    fn render_with(
        &self,
        bytes: &[u8],
        out: &mut Vec<u8>,
        memo: &mut DateMemo,
    ) -> Option<RenderedMeta> {
        let rec = parse_record(bytes, memo);
        let level = rec.level?;
        if rec.header.is_some_and(|h| h.format.borrows_offset()) {
            return None;
        }
        let mut escaped = Vec::new();
        render_record(out, &self.file, &rec, false, &mut escaped).ok()?;
        let base = bytes.as_ptr() as usize;
        let (time, tag) = match &rec.header {
            Some(h) => {
                let at = (h.tag.as_ptr() as usize - base) as u32;
                (
                    Some(TimePoint::from(&h.timestamp)),
                    at..at + h.tag.len() as u32,
                )
            }
            None => (None, 0..0),
        };
        Some(RenderedMeta {
            json_end: u32::try_from(out.len()).ok()?,
            level,
            time,
            tag,
            len: u32::try_from(bytes.len()).ok()?,
        })
    }
}

impl<W: Write> JsonSink<W> {
    /// Builds the line of a non-text event (none for blocks).
    fn line(&mut self, event: &Event<'_>) -> io::Result<()> {
        match event {
            Event::SeqGap(SeqGap {
                offset,
                first,
                last,
            }) => {
                self.open("gap")?;
                writeln!(
                    self.out,
                    ",\"offset\":{offset},\"first\":{first},\"last\":{last}}}"
                )
            }
            Event::Skipped {
                offset,
                len,
                reason,
            } => {
                self.open("corrupt")?;
                write!(
                    self.out,
                    ",\"offset\":{offset},\"length\":{len},\"reason\":"
                )?;
                write_str(&mut self.out, &reason.to_string())?;
                self.out.write_all(b"}\n")
            }
            Event::DecompressError { block, message } => {
                self.block_finding("corrupt", block, &format!("decompress error: {message}"))
            }
            Event::Locked { block, reason } => self.block_finding("locked", block, reason.as_str()),
            Event::Salvaged { block, how } => {
                self.open("salvaged")?;
                let (how, have) = match how {
                    Salvage::Mmap3 => ("mmap3", u64::from(block.len)),
                    Salvage::Truncated { have } => ("truncated", *have),
                };
                writeln!(
                    self.out,
                    ",\"offset\":{},\"seq\":{},\"how\":\"{how}\",\"payload_bytes\":{have},\"payload_len\":{}}}",
                    block.offset, block.seq, block.len
                )
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests;
