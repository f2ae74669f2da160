//! The `record` object of a Mars bracket line written straight from the
//! line's bytes, for the records workers render ahead: the header's fields
//! are found by the one-pass scan and copied as they stand, the ISO time
//! is the date and offset of the last record (kept as text) around the
//! time of day as written, and the numbers are their digits when they
//! hold no leading zero. The bytes are [`render_record`](super::render_record)'s
//! for every record this path takes (tests compare the two); a record it
//! does not take (no full header, not UTF-8, a date or number written
//! unusually) is left to that general path.

use std::ops::Range;

use chrono::NaiveDate;

use super::text::{Utf8, write_bare, write_int, write_iso};
use crate::record::{DateMemo, Level, TimePoint, header_spans};
use crate::select::ahead::RenderedMeta;

/// What a renderer writes of every record of its input, made once: the
/// start of the object up to the time's text for each level (its opening
/// quote included), the input's name included.
#[derive(Debug, Clone)]
pub(super) enum Heads {
    /// Each as one fixed-size copy, when they fit.
    Pieces(Box<[Piece<128>; 6]>),
    /// Else as they are.
    Long([Box<[u8]>; 6]),
}

impl Heads {
    /// The heads for the input whose name, as a JSON string literal, is
    /// `file`.
    pub(super) fn new(file: &[u8]) -> Heads {
        let head = |letter: char| {
            let mut h = b"{\"type\":\"record\",\"file\":".to_vec();
            h.extend_from_slice(file);
            h.extend_from_slice(b",\"level\":\"");
            h.push(letter as u8);
            h.extend_from_slice(b"\",\"time\":\"");
            h.into_boxed_slice()
        };
        let heads = Level::ALL.map(|l| head(l.letter()));
        let pieces = heads
            .iter()
            .map(|h| Piece::of(&[h]))
            .collect::<Option<Vec<_>>>()
            .and_then(|p| p.try_into().ok());
        match pieces {
            Some(p) => Heads::Pieces(Box::new(p)),
            None => Heads::Long(heads),
        }
    }

    /// Writes the head of a record of `level`.
    #[inline(always)]
    fn write(&self, out: &mut Vec<u8>, level: Level) {
        match self {
            Heads::Pieces(p) => p[level as usize].write(out),
            Heads::Long(h) => out.extend_from_slice(&h[level as usize]),
        }
    }
}

/// A piece of at most `N` bytes, written as one fixed-size copy.
#[derive(Debug, Clone, Copy)]
pub(super) struct Piece<const N: usize = 32> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> Piece<N> {
    fn of(parts: &[&[u8]]) -> Option<Piece<N>> {
        let mut p = Piece {
            bytes: [0; N],
            len: 0,
        };
        for part in parts {
            p.bytes
                .get_mut(p.len..p.len + part.len())?
                .copy_from_slice(part);
            p.len += part.len();
        }
        Some(p)
    }

    #[inline(always)]
    fn write(&self, out: &mut Vec<u8>) {
        let at = out.len();
        out.extend_from_slice(&self.bytes);
        out.truncate(at + self.len);
    }
}

/// The ISO text around the time of day for the last date and offset read
/// on this thread: `","ts":"YYYY-MM-DDT` (with the quote that closes the
/// time before it) and `+08:00","pid":`.
#[derive(Debug, Clone, Default)]
pub(super) struct IsoMemo {
    key: Option<(NaiveDate, Option<i32>)>,
    /// The pieces, when the ISO time of that date and offset is the date,
    /// `T`, the time of day as written and the offset.
    pieces: Option<(Piece, Piece)>,
}

/// The state a worker thread keeps between the records it renders.
#[derive(Debug, Clone, Default)]
pub(super) struct Memo {
    pub(super) dates: DateMemo,
    iso: IsoMemo,
}

/// A number of a header: its text when that is how [`write_int`] writes
/// its value (digits without a leading zero), else its value.
#[derive(Clone, Copy)]
enum Number<'a> {
    Text(&'a [u8]),
    Value(i64),
}

impl<'a> Number<'a> {
    /// The number at `at` in `bytes`, which the header's spans say is
    /// digits (after a `-` for an id): its text when it starts with a
    /// digit other than zero, else what `value` reads of it.
    #[inline(always)]
    fn of(bytes: &'a [u8], at: Range<usize>, value: impl FnOnce() -> Option<i64>) -> Option<Self> {
        match bytes.get(at) {
            Some(text @ [b'1'..=b'9', ..]) => Some(Number::Text(text)),
            _ => value().map(Number::Value),
        }
    }

    #[inline(always)]
    fn write(self, out: &mut Vec<u8>) {
        match self {
            Number::Text(t) => out.extend_from_slice(t),
            Number::Value(n) => write_int(out, n),
        }
    }
}

/// Renders the `record` object of `bytes` (a whole record, as workers
/// render them) onto `out` when it is a Mars bracket line this path
/// takes; `None` leaves `out` as it was.
#[inline(always)]
pub(super) fn render_mars(
    heads: &Heads,
    bytes: &[u8],
    out: &mut Vec<u8>,
    memo: &mut Memo,
) -> Option<RenderedMeta> {
    let level = Level::of_bracket(bytes)?;
    let s = header_spans(bytes)?;
    let raw = &bytes[4..s.time_end];
    let ts = memo.dates.timestamp(raw)?;
    let pid = Number::of(bytes, s.pid_text(), || s.pid(bytes))?;
    let tid = Number::of(bytes, s.tid_text(), || s.tid(bytes))?;
    let line = Number::of(bytes, s.line.0..s.line.1, || {
        s.line_number(bytes).map(i64::from)
    })?;
    let utf8 = Utf8::of(bytes);
    if !utf8.valid {
        return None;
    }
    let key = (ts.local.date(), ts.offset_minutes);
    if memo.iso.key != Some(key) {
        memo.iso = IsoMemo {
            key: Some(key),
            pieces: iso_pieces(&ts),
        };
    }
    let (ts_head, ts_tail) = memo.iso.pieces?;
    // The time of day is the last 12 bytes of a time that parses.
    let clock = raw.last_chunk::<12>()?;
    let start = out.len();
    out.reserve(bytes.len() + 320);
    // Each constant holds the quotes around the fields beside it.
    heads.write(out, level);
    let mut whole = write_bare(out, raw, &utf8).is_some();
    ts_head.write(out);
    out.extend_from_slice(clock);
    ts_tail.write(out);
    pid.write(out);
    out.extend_from_slice(b",\"tid\":");
    tid.write(out);
    out.extend_from_slice(if s.main_thread() {
        b",\"main_thread\":true,\"tag\":\""
    } else {
        b",\"main_thread\":false,\"tag\":\""
    });
    let tag = s.tag();
    whole &= write_bare(out, &bytes[tag.clone()], &utf8).is_some();
    out.extend_from_slice(b"\",\"src_file\":\"");
    whole &= write_bare(out, &bytes[s.file()], &utf8).is_some();
    out.extend_from_slice(b"\",\"src_line\":");
    line.write(out);
    out.extend_from_slice(b",\"func\":\"");
    whole &= write_bare(out, &bytes[s.func.0..s.func.1], &utf8).is_some();
    out.extend_from_slice(if s.legacy {
        b"\",\"line_format\":\"legacy\",\"message\":\""
    } else {
        b"\",\"line_format\":\"current\",\"message\":\""
    });
    let end = bytes.len() - usize::from(bytes.last() == Some(&b'\n'));
    whole &= write_bare(out, &bytes[s.body..end], &utf8).is_some();
    out.extend_from_slice(b"\"}\n");
    match (u32::try_from(out.len()), u32::try_from(bytes.len())) {
        (Ok(json_end), Ok(len)) if whole => Some(RenderedMeta {
            json_end,
            level,
            time: Some(TimePoint::from(&ts)),
            tag: tag.start as u32..tag.end as u32,
            len,
        }),
        _ => {
            // A field escaped, or too long: the general path's.
            out.truncate(start);
            None
        }
    }
}

/// The text before and after the time of day in the ISO time of `ts`,
/// with the keys around it, when that time is the date, `T`, the time of
/// day as written and the offset (a year of four digits).
fn iso_pieces(ts: &crate::record::Timestamp<'_>) -> Option<(Piece, Piece)> {
    let mut iso = Vec::with_capacity(32);
    write_iso(&mut iso, ts).ok()?;
    let clock = ts.raw.last_chunk::<12>()?;
    if iso.get(10) != Some(&b'T') || iso.get(11..23) != Some(&clock[..]) {
        return None;
    }
    let head = Piece::of(&[b"\",\"ts\":\"", &iso[..11]])?;
    let tail = Piece::of(&[&iso[23..], b"\",\"pid\":"])?;
    Some((head, tail))
}

#[cfg(test)]
mod tests;
