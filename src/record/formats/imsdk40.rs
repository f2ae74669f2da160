//! IM SDK 4.0.x and older lines (rare now):
//!
//! ```text
//! 2019-03-11 18:17:20.970|looper_logic|I|       imcore_manager_task.cpp:223 |Encode               > set offline push|param|config:openPush=1
//! 2019-09-24 17:13:08.135|  2048|looper_logic|E|                cos_helper.cpp:436 |operator()           > FetchToken failed, ... errorCode = 60008
//! ```
//!
//! Local date and time + `|` + an optional thread number + `|` + the
//! thread's name + `|L|` + `file:line` (padded on the left) + `|` + the
//! function + `> ` + the message. No process id is written (the header's
//! pid is 0); the thread number, when written, is the tid (else 0). The
//! tag is the thread's name.

use super::super::{Header, Level, LineFormat, find_near, int, num};
use super::{first_line, local_header, local_time, message_end, trim};

/// Length of the leading `YYYY-MM-DD HH:MM:SS.mmm`.
const TIME_LEN: usize = 23;

/// Whether a line (of at least its first 24 bytes, possibly cut after)
/// starts like a 4.0.x record: `dddd-dd-dd dd:dd:dd.ddd|`.
#[inline]
pub(crate) fn starts(line: &[u8]) -> bool {
    let Some(head) = line.get(..=TIME_LEN) else {
        return false;
    };
    head.iter().enumerate().all(|(i, &c)| match i {
        4 | 7 => c == b'-',
        10 => c == b' ',
        13 | 16 => c == b':',
        19 => c == b'.',
        TIME_LEN => c == b'|',
        _ => c.is_ascii_digit(),
    })
}

/// The fields between the time and the location: (tid, thread name, level).
fn fields(line: &[u8]) -> Option<(i64, &[u8], Level, usize)> {
    let mut parts = line[TIME_LEN + 1..].splitn(4, |&c| c == b'|');
    let first = parts.next()?;
    let second = parts.next()?;
    let (tid, thread, letter) = match int(trim(first)) {
        Some(tid) => (tid, second, parts.next()?),
        None => (0, first, second),
    };
    let letter = trim(letter);
    let level = match letter {
        [l] => Level::from_letter(*l)?,
        _ => return None,
    };
    let loc_start = letter.as_ptr() as usize - line.as_ptr() as usize + letter.len() + 1;
    Some((tid, trim(thread), level, loc_start))
}

/// The level of a 4.0.x record.
#[inline]
pub(crate) fn level(rec: &[u8]) -> Option<Level> {
    if !starts(rec) {
        return None;
    }
    fields(first_line(rec)).map(|f| f.2)
}

/// Parses a 4.0.x record: its level, and its header when every field parses.
pub fn parse(rec: &[u8]) -> Option<(Option<Level>, Option<Header<'_>>)> {
    let line = first_line(rec);
    if !starts(line) {
        return None;
    }
    let (tid, thread, level, loc_start) = fields(line)?;
    Some((Some(level), header(rec, line, tid, thread, loc_start)))
}

fn header<'a>(
    rec: &'a [u8],
    line: &'a [u8],
    tid: i64,
    tag: &'a [u8],
    loc_start: usize,
) -> Option<Header<'a>> {
    let raw = &line[..TIME_LEN];
    let local = local_time(raw)?;
    let rest = line.get(loc_start..)?;
    let bar = find_near(b'|', rest)?;
    let loc = trim(&rest[..bar]);
    let colon = loc.iter().rposition(|&c| c == b':')?;
    let line_no = num(&loc[colon + 1..])?;
    let func_start = loc_start + bar + 1;
    let arrow = memchr::memmem::find(&line[func_start..], b"> ")?;
    let body = func_start + arrow + 2;
    let place = (
        tag,
        &loc[..colon],
        line_no,
        trim(&line[func_start..func_start + arrow]),
    );
    let message = &rec[body..message_end(rec)];
    Some(local_header(
        raw,
        local,
        (0, tid),
        place,
        message,
        LineFormat::ImSdk40,
    ))
}

#[cfg(test)]
mod tests;
