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
use crate::record::{DateMemo, Header, Level, LineFormat, Record, parse_record};
use crate::render::escape::escape_bytes;
use crate::render::shared::WriteShared;
use crate::render::stats::Stats;
use crate::select::ahead::{RenderAhead, Rendered, RenderedMeta, RenderedRun};
use crate::select::filtered::RecordSink;

mod fast;
mod text;
pub use text::write_iso;
use text::*;

/// Writes the record fields of a parsed header.
fn write_header(
    out: &mut Vec<u8>,
    h: &Header<'_>,
    utf8: Utf8<'_>,
    escaped: &mut Vec<&str>,
) -> io::Result<()> {
    out.extend_from_slice(b",\"time\":");
    if write_field(out, h.timestamp.raw, &utf8) {
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
    // The keys as constants: one fixed-size copy each.
    out.extend_from_slice(b",\"tag\":");
    if write_field(out, h.tag, &utf8) {
        escaped.push("tag");
    }
    out.extend_from_slice(b",\"src_file\":");
    if write_field(out, h.file, &utf8) {
        escaped.push("src_file");
    }
    out.extend_from_slice(b",\"src_line\":");
    write_int(out, i64::from(h.line));
    out.extend_from_slice(b",\"func\":");
    if write_field(out, h.func, &utf8) {
        escaped.push("func");
    }
    match h.format {
        LineFormat::Current => out.extend_from_slice(b",\"line_format\":\"current\",\"message\":"),
        LineFormat::Legacy => out.extend_from_slice(b",\"line_format\":\"legacy\",\"message\":"),
        f => {
            out.extend_from_slice(b",\"line_format\":\"");
            out.extend_from_slice(f.name().as_bytes());
            out.extend_from_slice(b"\",\"message\":");
        }
    }
    if write_text(out, h.message, utf8.holds(h.message)) {
        escaped.push("message");
    }
    Ok(())
}

/// Writes JSON Lines for one input.
pub struct JsonSink<W: WriteShared> {
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

impl<W: WriteShared> JsonSink<W> {
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

impl<W: WriteShared> RecordSink for JsonSink<W> {
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
            heads: fast::Heads::new(&self.file),
        }))
    }

    /// A record rendered ahead: counted, and its line written as it is.
    fn rendered(&mut self, r: &Rendered<'_>) -> io::Result<()> {
        self.stats.rendered(r);
        self.write_ahead(r.json)
    }

    /// Records rendered ahead in a row: counted, their lines written at
    /// once, from the worker's buffer when it is shared.
    fn rendered_run(&mut self, run: &RenderedRun<'_>) -> io::Result<()> {
        self.stats.rendered_run(run);
        match run.shared() {
            Some((buffer, range)) => {
                self.begin_ahead()?;
                self.dest.write_shared(buffer, range)
            }
            None => self.write_ahead(run.json),
        }
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

impl<W: WriteShared> JsonSink<W> {
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
        self.begin_ahead()?;
        self.dest.write_all(json)
    }

    /// The `begin` line, if due, written before lines rendered ahead.
    fn begin_ahead(&mut self) -> io::Result<()> {
        if !self.began {
            self.begin();
            self.emit()?;
        }
        Ok(())
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
    /// What a renderer keeps on this thread from one record to the next:
    /// the last date read and its ISO text (a worker renders the records
    /// of a block in a row, most of them of one date).
    static MEMO: RefCell<fast::Memo> = RefCell::new(fast::Memo::default());
}

/// Renders `record` objects ahead of [`JsonSink`], on the decoder's
/// worker threads (see [`RecordSink::renderer`]): the same bytes the sink
/// writes, with what its summary counts of each record.
#[derive(Debug, Clone)]
pub struct JsonRenderer {
    /// The input's name, as a JSON string literal.
    file: Box<[u8]>,
    /// The start of each level's `record` objects.
    heads: fast::Heads,
}

impl RenderAhead for JsonRenderer {
    /// Renders a record with a level whose time does not take the UTC
    /// offset of an earlier line (IM SDK shapes do; they are left to the
    /// sink, which knows the offset).
    fn render(&self, bytes: &[u8], out: &mut Vec<u8>) -> Option<RenderedMeta> {
        MEMO.with(|memo| {
            let memo = &mut memo.borrow_mut();
            fast::render_mars(&self.heads, bytes, out, memo)
                .or_else(|| self.render_with(bytes, out, &mut memo.dates))
        })
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

impl<W: WriteShared> JsonSink<W> {
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
