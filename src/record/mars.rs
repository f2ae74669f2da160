//! The Mars bracket header: its prefix, location and timestamp, parsed
//! with a memo of the last date seen.

use super::*;

/// The value of 1..=`max` ASCII digits (`max` at most 18: no overflow).
#[inline(always)]
fn digits(b: &[u8], max: usize) -> Option<i64> {
    if b.is_empty() || b.len() > max {
        return None;
    }
    let mut v = 0i64;
    for &c in b {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + i64::from(d);
    }
    Some(v)
}

/// Unsigned decimal of 1..=9 ASCII digits.
#[inline]
pub(super) fn num(b: &[u8]) -> Option<u32> {
    // Nine digits fit in a u32.
    digits(b, 9).map(|v| v as u32)
}

/// Signed decimal (optional `-`, up to 18 digits).
#[inline(always)]
pub(super) fn int(b: &[u8]) -> Option<i64> {
    match b.split_first() {
        Some((b'-', rest)) => digits(rest, 18).map(|v| -v),
        _ => digits(b, 18),
    }
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
pub(super) fn long_header_spans(rec: &[u8]) -> Option<Spans> {
    scalar_spans(&rec[..find_byte(b'\n', rec).unwrap_or(rec.len())])
}

/// [`header_spans`] by the field-by-field parser.
pub(super) fn scalar_spans(line: &[u8]) -> Option<Spans> {
    let p = split_prefix(line)?;
    let (file, _, func, body, format) = parse_location(line, p.loc_start)?;
    let at = |field: &[u8]| field.as_ptr() as usize - line.as_ptr() as usize;
    let (file_end, func) = (at(file) + file.len(), (at(func), at(func) + func.len()));
    let legacy = format == LineFormat::Legacy;
    Some(Spans {
        time_end: at(p.time) + p.time.len(),
        comma: p.pid_at.end,
        tid_end: p.tid_at.end,
        close: p.tid_at.end + usize::from(p.main_thread),
        tag_end: at(p.tag) + p.tag.len(),
        body,
        file_end,
        // `file:LINE, func][`, or `file, func, LINE][`.
        line: match legacy {
            false => (file_end + 1, func.0 - 2),
            true => (func.1 + 2, body - 2),
        },
        func,
        legacy,
        clock_ok: p.time.len() >= 12 && time_of_day(&p.time[p.time.len() - 12..]).is_some(),
    })
}

impl Spans {
    /// The process id, read from `line` (whose fields these are).
    #[inline]
    pub(crate) fn pid(&self, line: &[u8]) -> Option<i64> {
        int(&line[self.pid_text()])
    }

    /// The thread id, read from `line` (whose fields these are).
    #[inline]
    pub(crate) fn tid(&self, line: &[u8]) -> Option<i64> {
        int(&line[self.tid_text()])
    }

    /// The source line number, read from `line` (whose fields these are).
    #[inline]
    pub(crate) fn line_number(&self, line: &[u8]) -> Option<u32> {
        num(&line[self.line.0..self.line.1])
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
pub(super) fn same_head(raw: &[u8], text: &[u8; 32], n: usize) -> bool {
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
pub(super) fn time_of_day(time: &[u8]) -> Option<NaiveTime> {
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

/// `YYYY-MM-DD` as numbers (each field 1..=9 digits).
#[inline]
pub(super) fn date_fields(date: &[u8]) -> Option<(u32, u32, u32)> {
    if let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *date {
        // The usual layout, without a split.
        return Some((num(&[y0, y1, y2, y3])?, num(&[m0, m1])?, num(&[d0, d1])?));
    }
    let mut d = date.splitn(3, |&c| c == b'-');
    Some((num(d.next()?)?, num(d.next()?)?, num(d.next()?)?))
}

/// Parses `[L][time][pid, tid*][tag][location][` at the start of `rec`.
pub(super) fn parse_header(rec: &[u8]) -> Option<Header<'_>> {
    let line_end = find_byte(b'\n', rec).unwrap_or(rec.len());
    let line = &rec[..line_end];
    let p = parse_prefix(line)?;
    let loc = parse_location(line, p.loc_start)?;
    Some(assemble(rec, p, loc))
}

/// The header of record `rec` from its prefix and its location; the
/// message runs to the record's end, without its last newline.
#[inline(always)]
fn assemble<'a>(rec: &'a [u8], p: Prefix<'a>, loc: Location<'a>) -> Header<'a> {
    let (file, line, func, body, format) = loc;
    let msg_end = rec.len() - usize::from(rec.last() == Some(&b'\n'));
    Header {
        timestamp: p.timestamp,
        pid: p.pid,
        tid: p.tid,
        main_thread: p.main_thread,
        tag: p.tag,
        file,
        line,
        func,
        message: &rec[body..msg_end],
        format,
    }
}

/// [`Record::parse`] with a memo of the last date read: the same record,
/// its header found by the one-pass scan ([`header_spans`]) and its time
/// read through `memo` (records in a row share their date). For writers
/// that parse every record (JSON output).
#[inline]
pub(crate) fn parse_record<'a>(bytes: &'a [u8], memo: &mut DateMemo) -> Record<'a> {
    if let Some(level) = Level::of_bracket(bytes) {
        return Record {
            bytes,
            level: Some(level),
            header: header_with(bytes, memo),
        };
    }
    Record::parse(bytes)
}

/// [`parse_header`] by [`header_spans`] and `memo`.
#[inline]
fn header_with<'a>(rec: &'a [u8], memo: &mut DateMemo) -> Option<Header<'a>> {
    let s = header_spans(rec)?;
    let p = Prefix {
        timestamp: memo.timestamp(&rec[4..s.time_end])?,
        pid: s.pid(rec)?,
        tid: s.tid(rec)?,
        main_thread: s.main_thread(),
        tag: &rec[s.tag()],
        loc_start: s.tag_end + 2,
    };
    // The location as the location parser reads it: the spans are its
    // fields.
    let format = match s.legacy {
        false => LineFormat::Current,
        true => LineFormat::Legacy,
    };
    let loc = (
        &rec[s.file()],
        s.line_number(rec)?,
        &rec[s.func.0..s.func.1],
        s.body,
        format,
    );
    Some(assemble(rec, p, loc))
}

pub(super) type Location<'a> = (&'a [u8], u32, &'a [u8], usize, LineFormat);

/// Location bracket from `start` (just after its `[`): `file:LINE, func][`
/// or `file, func, LINE][`. Returns the fields and where the body starts.
pub(super) fn parse_location(line: &[u8], start: usize) -> Option<Location<'_>> {
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
