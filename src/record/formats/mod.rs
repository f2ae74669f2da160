//! The shapes of a log line, one module each. Each recognises its own
//! header line and fills the same [`Header`] fields, so every consumer of
//! [`Record`](super::Record) works on every shape.
//!
//! | shape | module | a line starts with |
//! |---|---|---|
//! | Mars bracket, current and pre-2021 | the parent module | `[L][` |
//! | IM SDK 5.x – 8.x | [`imsdk`] | `TIM: DATE TIME L ` |
//! | IM SDK 4.x | [`imsdk4`] | `TIM: DATE TIME/L/` |
//! | IM SDK 4.0.x | [`imsdk40`] | `DATE TIME\|` |
//! | user-defined | [`custom`] | what its regex matches |
//!
//! Lines that no shape claims and that are not the writers' own header-less
//! lines (see [`meta`]) continue the record before them.

use super::{Header, Level, LineFormat, Timestamp};

pub mod custom;
pub mod imsdk;
pub mod imsdk4;
pub mod imsdk40;
pub mod meta;

/// Level and header of a record that is not a Mars bracket line: `None`
/// when no shape claims its first line; a level without a header when the
/// line names a level but its other fields do not parse.
#[inline]
pub(crate) fn parse(rec: &[u8]) -> Option<(Option<Level>, Option<Header<'_>>)> {
    match rec.first()? {
        b'T' if rec.starts_with(imsdk::PREFIX) => match rec.get(imsdk::SEP) {
            Some(b'/') => imsdk4::parse(rec),
            _ => imsdk::parse(rec),
        },
        b'0'..=b'9' if imsdk40::starts(rec) => imsdk40::parse(rec),
        _ => custom::parse_installed(rec),
    }
}

/// The level of a record that is not a Mars bracket line, read cheaply
/// (only the built-in shapes' fixed places; a user-defined shape is
/// parsed).
#[inline]
pub(crate) fn level(rec: &[u8]) -> Option<Level> {
    match rec.first()? {
        b'T' if rec.starts_with(imsdk::PREFIX) => imsdk::level(rec),
        b'0'..=b'9' if imsdk40::starts(rec) => imsdk40::level(rec),
        _ => custom::parse_installed(rec).and_then(|(l, _)| l),
    }
}

/// The first line of `rec`, without its `\n`.
#[inline]
pub(crate) fn first_line(rec: &[u8]) -> &[u8] {
    &rec[..super::find_byte(b'\n', rec).unwrap_or(rec.len())]
}

/// The end of a record's message: its last byte, less a final `\n`.
#[inline]
pub(crate) fn message_end(rec: &[u8]) -> usize {
    rec.len() - usize::from(rec.last() == Some(&b'\n'))
}

/// Where a header says its line was written: (tag, file, line, function).
pub(crate) type Location<'a> = (&'a [u8], &'a [u8], u32, &'a [u8]);

/// The header of a shape that writes a local time without a UTC offset
/// and marks no main thread (every IM SDK shape): the time's text `raw`,
/// read as `local`; the process and thread ids; the location; the message.
#[inline]
pub(crate) fn local_header<'a>(
    raw: &'a [u8],
    local: chrono::NaiveDateTime,
    (pid, tid): (i64, i64),
    (tag, file, line, func): Location<'a>,
    message: &'a [u8],
    format: LineFormat,
) -> Header<'a> {
    Header {
        timestamp: Timestamp {
            local,
            offset_minutes: None,
            raw,
        },
        pid,
        tid,
        main_thread: false,
        tag,
        file,
        line,
        func,
        message,
        format,
    }
}

/// `YYYY-MM-DD HH:MM:SS.mmm`, the local time the IM SDK writes: every
/// digit and separator in its place.
#[inline]
pub(crate) fn local_time(raw: &[u8]) -> Option<chrono::NaiveDateTime> {
    let [y, mo, d, h, mi, s, ms] = time_fields(raw)?;
    chrono::NaiveDate::from_ymd_opt(y as i32, mo, d)?.and_hms_milli_opt(h, mi, s, ms)
}

/// Whether [`local_time`] accepts `raw`, without building the time (read
/// at fixed places: this runs for every record a time filter passes).
#[inline]
pub(crate) fn time_ok(raw: &[u8]) -> bool {
    let Some([y, mo, d, h, mi, s, _]) = time_fields(raw) else {
        return false;
    };
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = match mo {
        2 => 28 + u32::from(leap),
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (1..=12).contains(&mo) && (1..=days).contains(&d) && h < 24 && mi < 60 && s < 60
}

/// The numbers of `YYYY-MM-DD HH:MM:SS.mmm` when every digit and
/// separator is in its place (their ranges unchecked).
#[inline(always)]
fn time_fields(raw: &[u8]) -> Option<[u32; 7]> {
    let raw: &[u8; 23] = raw.try_into().ok()?;
    if raw[4] != b'-'
        || raw[7] != b'-'
        || raw[10] != b' '
        || raw[13] != b':'
        || raw[16] != b':'
        || raw[19] != b'.'
    {
        return None;
    }
    let d = |i: usize| u32::from(raw[i].wrapping_sub(b'0'));
    let mut bad = 0;
    let mut n = |from: usize, to: usize| {
        let mut v = 0;
        for i in from..to {
            let x = d(i);
            bad |= u32::from(x > 9);
            v = v * 10 + x;
        }
        v
    };
    let f = [
        n(0, 4),
        n(5, 7),
        n(8, 10),
        n(11, 13),
        n(14, 16),
        n(17, 19),
        n(20, 23),
    ];
    (bad == 0).then_some(f)
}

/// The text of the local time of a record of a built-in shape that is not
/// a Mars bracket line, at its place (whether it is a valid time or not).
#[inline]
pub(crate) fn time_text(rec: &[u8]) -> Option<&[u8; 23]> {
    let t = match rec.first()? {
        b'T' if rec.starts_with(imsdk::PREFIX) => rec.get(5..imsdk::SEP)?,
        b'0'..=b'9' if imsdk40::starts(rec) => rec.get(..23)?,
        _ => return None,
    };
    t.try_into().ok()
}

/// Whether the first line of `rec`, a record of a built-in shape that is
/// not a Mars bracket line, is a full header: exactly when
/// [`Record::parse`](super::Record::parse) finds one, without building it.
#[inline]
pub(crate) fn header_ok(rec: &[u8]) -> bool {
    match rec.first() {
        Some(b'T') if rec.starts_with(imsdk::PREFIX) => match rec.get(imsdk::SEP) {
            Some(b'/') => imsdk4::parse(rec).is_some_and(|(_, h)| h.is_some()),
            _ => imsdk::header_ok(rec),
        },
        _ => parse(rec).is_some_and(|(_, h)| h.is_some()),
    }
}

/// `s` without leading and trailing spaces.
#[inline]
pub(crate) fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&c| c != b' ').unwrap_or(s.len());
    let end = s.iter().rposition(|&c| c != b' ').map_or(start, |e| e + 1);
    &s[start..end]
}

/// Index of the first byte at or after `from` that is not a space.
#[inline]
pub(crate) fn skip_spaces(line: &[u8], mut from: usize) -> usize {
    while line.get(from) == Some(&b' ') {
        from += 1;
    }
    from
}

/// Index of the first of `a` or `b` at or after `from`.
#[inline]
pub(crate) fn find_either(line: &[u8], from: usize, a: u8, b: u8) -> Option<usize> {
    memchr::memchr2(a, b, line.get(from..)?).map(|n| from + n)
}

#[cfg(test)]
mod tests;
