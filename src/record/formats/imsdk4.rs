//! IM SDK 4.x lines (2019–2020):
//!
//! ```text
//! TIM: 2020-01-21 09:55:35.295/I/22008-22113     /Common      -imcore_manager.cpp.947  OnUserSigExpired                   /userSig expired|loginStatus:logining
//! TIM: 2020-01-21 09:55:35.297/I/22008-22113     /IMSDK       -BaseManager.0                                              /Login failed, code 6206|msg userSig expired
//! ```
//!
//! `TIM: ` + local date and time + `/L/` + `pid-tid` + `/Module` +
//! `-file.line` (a dot before the line number; `Name.0` for Java code) +
//! the function + `/` + the message. The tag is the module.

use super::super::{Header, Level, LineFormat, find_near, int, num};
use super::imsdk::{SEP, parse_with};
use super::{find_either, local_header, local_time, message_end, skip_spaces, trim};

/// Parses a 4.x record: its level, and its header when every field parses.
pub fn parse(rec: &[u8]) -> Option<(Option<Level>, Option<Header<'_>>)> {
    parse_with(rec, b'/', header)
}

fn header<'a>(rec: &'a [u8], line: &'a [u8]) -> Option<Header<'a>> {
    let raw = &line[5..SEP];
    let local = local_time(raw)?;
    let i = SEP + 3;
    let dash = i + find_near(b'-', &line[i..])?;
    let pid = int(&line[i..dash])?;
    let tid_end = find_either(line, dash + 1, b' ', b'/')?;
    let tid = int(&line[dash + 1..tid_end])?;
    let slash = skip_spaces(line, tid_end);
    if line.get(slash) != Some(&b'/') {
        return None;
    }
    let module_start = slash + 1;
    let module_end = module_start + find_near(b' ', &line[module_start..])?;
    let tag = &line[module_start..module_end];
    let at = skip_spaces(line, module_end);
    if tag.is_empty() || line.get(at) != Some(&b'-') {
        return None;
    }
    let loc_start = at + 1;
    let loc_end = find_either(line, loc_start, b' ', b'/')?;
    let loc = &line[loc_start..loc_end];
    let dot = loc.iter().rposition(|&c| c == b'.')?;
    let line_no = num(&loc[dot + 1..])?;
    let func_start = skip_spaces(line, loc_end);
    let body = func_start + find_near(b'/', &line[func_start..])?;
    let place = (tag, &loc[..dot], line_no, trim(&line[func_start..body]));
    let message = &rec[body + 1..message_end(rec)];
    Some(local_header(
        raw,
        local,
        (pid, tid),
        place,
        message,
        LineFormat::ImSdk4,
    ))
}

#[cfg(test)]
mod tests;
