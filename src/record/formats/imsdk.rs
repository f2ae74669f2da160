//! IM SDK 5.x – 8.x lines, which the SDK formats itself:
//!
//! ```text
//! TIM: 2022-01-20 15:37:21.769 E 25763-25810     |-TIMNetworkCenterAndroid.cpp:124         GetSocketInfo                           |sockfd failure!
//! TIM: 2024-03-12 09:55:35.291 W 16633-16633     |-NetworkInfoCenter                                                               |NetworkInfoCenter has init
//! ```
//!
//! `TIM: ` + local date and time (no UTC offset) + level letter +
//! `pid-tid`, then `|-` and either `file:line` and the function, or a
//! component name (Java and plugin code), then `|` and the message. The
//! tag is the component; a line with a file and line number has an empty
//! tag. The main thread is not marked.

use super::super::{Header, Level, LineFormat, find_near, int, num};
use super::{
    Location, first_line, local_header, local_time, message_end, skip_spaces, time_ok, trim,
};

/// What every IM SDK line (records and banner) starts with.
pub(crate) const PREFIX: &[u8] = b"TIM: ";

/// Where the separator after the time lies: a space in 5.x – 8.x lines,
/// `/` in 4.x lines.
pub(crate) const SEP: usize = 28;

/// Where the level letter lies, in 5.x – 8.x and 4.x lines alike.
const LEVEL_AT: usize = 29;

/// The level of a `TIM: ` line of either IM SDK shape (5.x – 8.x or 4.x),
/// read at its fixed place; `None` for the banner and other lines.
#[inline]
pub(crate) fn level(rec: &[u8]) -> Option<Level> {
    if rec.len() <= LEVEL_AT + 1 || !rec.starts_with(PREFIX) {
        return None;
    }
    let sep = rec[SEP];
    if !matches!(sep, b' ' | b'/') || rec[LEVEL_AT + 1] != sep || !rec[5].is_ascii_digit() {
        return None;
    }
    Level::from_letter(rec[LEVEL_AT])
}

/// Parses a 5.x – 8.x record: its level, and its header when every field
/// parses. `None` when the first line is not one (the banner, a logcat copy).
pub fn parse(rec: &[u8]) -> Option<(Option<Level>, Option<Header<'_>>)> {
    parse_with(rec, b' ', header)
}

/// Parses a `TIM: ` record whose first line has `sep` after the time (` `
/// in 5.x – 8.x lines, `/` in 4.x ones): its level, and the header that
/// the shape's `header` reads from the record and its first line.
#[inline(always)]
pub(super) fn parse_with<'a>(
    rec: &'a [u8],
    sep: u8,
    header: impl FnOnce(&'a [u8], &'a [u8]) -> Option<Header<'a>>,
) -> Option<(Option<Level>, Option<Header<'a>>)> {
    let line = first_line(rec);
    if line.get(SEP) != Some(&sep) {
        return None;
    }
    let level = level(line)?;
    Some((Some(level), header(rec, line)))
}

/// Whether `line` holds a full 5.x – 8.x header: what [`parse`] finds,
/// without building its fields. `line` may go on past its first line (a
/// whole record): no check reads past a `\n`.
#[inline]
pub(crate) fn header_ok(line: &[u8]) -> bool {
    line.get(SEP) == Some(&b' ')
        && level(line).is_some()
        && time_ok(&line[5..SEP])
        && fields_end(line).is_some()
}

/// The fields after the time, checked: the `pid-tid`, `|-`, a non-empty
/// location and the `|` after it (the body starts after it); the
/// location's split cannot fail. Gives the ids, where the location starts
/// and its closing `|`. Each check fails at a `\n`, so `line` may be a
/// whole record.
#[inline]
fn fields_end(line: &[u8]) -> Option<(i64, i64, usize, usize)> {
    let i = LEVEL_AT + 2;
    let dash = i + find_near(b'-', &line[i..])?;
    let pid = int(&line[i..dash])?;
    // The tid's digits, then a space or the `|`.
    let mut tid_end = dash + 1;
    while line.get(tid_end).is_some_and(u8::is_ascii_digit) {
        tid_end += 1;
    }
    if !matches!(line.get(tid_end), Some(b' ' | b'|')) {
        return None;
    }
    let tid = int(&line[dash + 1..tid_end])?;
    let at = skip_spaces(line, tid_end);
    if line.get(at..at + 2) != Some(b"|-") {
        return None;
    }
    let loc_start = at + 2;
    // The location is padded to 80 columns: a vectorised search. A `\n`
    // first means that `line` (a record's bytes) has no header line.
    let bar = loc_start + memchr::memchr2(b'|', b'\n', &line[loc_start..])?;
    if line[bar] != b'|' || line[loc_start..bar].iter().all(|&c| c == b' ') {
        return None;
    }
    Some((pid, tid, loc_start, bar))
}

fn header<'a>(rec: &'a [u8], line: &'a [u8]) -> Option<Header<'a>> {
    if line.get(SEP) != Some(&b' ') {
        return None;
    }
    let raw = &line[5..SEP];
    let local = local_time(raw)?;
    let (pid, tid, loc_start, bar) = fields_end(line)?;
    let loc = trim(&line[loc_start..bar]);
    let message = &rec[bar + 1..message_end(rec)];
    let ids = (pid, tid);
    Some(local_header(
        raw,
        local,
        ids,
        location(loc)?,
        message,
        LineFormat::ImSdk,
    ))
}

/// `file:line   Func` -> (no tag, file, line, func); `Component` -> (the
/// component, no file, 0, no func).
fn location(loc: &[u8]) -> Option<Location<'_>> {
    if loc.is_empty() {
        return None;
    }
    let word_end = find_near(b' ', loc).unwrap_or(loc.len());
    let word = &loc[..word_end];
    if let Some(colon) = word.iter().rposition(|&c| c == b':')
        && colon > 0
        && let Some(n) = num(&word[colon + 1..])
    {
        return Some((b"", &word[..colon], n, trim(&loc[word_end..])));
    }
    Some((loc, b"", 0, b""))
}

#[cfg(test)]
mod tests;
