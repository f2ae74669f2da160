//! What the engine is fed: one line of decoded text, seen as the IM SDK
//! lens needs it (a small struct of borrowed fields).
//!
//! [`classify`] reads a line's shape: the Mars appender's file header
//! (`^^^^^^^^^^...[pid,tid][2024-03-12 +0800 09:55:35]`, a process start),
//! an IM SDK banner (`TIM: ======  SDK Version: 8.1.6108`), an IM SDK
//! line of 5.x-8.x (`TIM: date time L pid-tid |-file:line func |message`)
//! or 4.x (`TIM: date time/L/pid-tid /Module -file.cpp.line func /message`),
//! or anything else (Mars bracket lines of other modules, message dumps).

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// One line, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line<'a> {
    /// The Mars appender's header: a process (re)opened the log.
    MarsHeader(MarsHeader),
    /// An IM SDK banner line: `key` and `value` (`SDK Version`, `8.1.6108`);
    /// both empty for the `=====` rule line.
    Banner {
        /// The banner's key.
        key: &'a [u8],
        /// Its value.
        value: &'a [u8],
    },
    /// An IM SDK log line.
    Im(ImLine<'a>),
    /// Anything else.
    Other,
}

/// The Mars appender's header line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarsHeader {
    /// The process id.
    pub pid: Option<i64>,
    /// The wall clock when the log was opened.
    pub time: Option<NaiveDateTime>,
    /// The UTC offset of that wall clock, in minutes east.
    pub offset_minutes: Option<i32>,
}

/// The fields of an IM SDK line the lens reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImLine<'a> {
    /// Local wall clock (no offset is written on the line).
    pub time: NaiveDateTime,
    /// Level letter (`V D I W E`).
    pub level: u8,
    /// Process id.
    pub pid: i64,
    /// The function (empty for Java components without one).
    pub function: &'a [u8],
    /// The message's first line.
    pub message: &'a [u8],
}

/// Classifies one line (without its `\n`).
pub fn classify(line: &[u8]) -> Line<'_> {
    if let Some(rest) = line.strip_prefix(b"TIM: ") {
        return im(rest).unwrap_or(Line::Other);
    }
    if line.starts_with(b"^^^^^^^^^^") {
        return Line::MarsHeader(mars_header(line));
    }
    Line::Other
}

fn im(rest: &[u8]) -> Option<Line<'_>> {
    if rest.first() == Some(&b'=') {
        let body = rest.trim_ascii_start();
        let body = &body[body.iter().take_while(|&&b| b == b'=').count()..];
        let body = body.trim_ascii();
        if body.is_empty() {
            return Some(Line::Banner {
                key: b"",
                value: b"",
            });
        }
        let colon = memchr::memchr(b':', body)?;
        return Some(Line::Banner {
            key: body[..colon].trim_ascii(),
            value: body[colon + 1..].trim_ascii(),
        });
    }
    let time = datetime(rest.get(..23)?)?;
    let after = &rest[23..];
    match after {
        [b' ', level, b' ', tail @ ..] => modern(time, *level, tail),
        [b'/', level, b'/', tail @ ..] => v4(time, *level, tail),
        _ => None,
    }
}

/// `pid-tid   |-file:line   Func   |message` or `pid-tid |-Component |message`.
fn modern(time: NaiveDateTime, level: u8, tail: &[u8]) -> Option<Line<'_>> {
    let pid = leading_int(tail)?;
    let loc = memchr::memmem::find(tail, b"|-")? + 2;
    let bar = loc + memchr::memchr(b'|', &tail[loc..])?;
    let mut words = tail[loc..bar]
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty());
    let first = words.next().unwrap_or(b"");
    // With `file:line` the next word is the function; a Java component
    // has none.
    let function = if first.contains(&b':') {
        words.next().unwrap_or(b"")
    } else {
        b""
    };
    Some(Line::Im(ImLine {
        time,
        level,
        pid,
        function,
        message: first_line(&tail[bar + 1..]),
    }))
}

/// `pid-tid   /Module   -file.cpp.line  Func   /message`.
fn v4(time: NaiveDateTime, level: u8, tail: &[u8]) -> Option<Line<'_>> {
    let pid = leading_int(tail)?;
    let module = memchr::memchr(b'/', tail)?;
    let dash = module + memchr::memmem::find(&tail[module..], b" -")? + 2;
    let after_file = dash + tail[dash..].iter().position(|b| b.is_ascii_whitespace())?;
    let mut i = after_file;
    while i < tail.len() && tail[i].is_ascii_whitespace() {
        i += 1;
    }
    let (function, msg_at) = if tail.get(i) == Some(&b'/') {
        (&b""[..], i + 1)
    } else {
        let end = i + tail[i..]
            .iter()
            .position(|&b| b == b'/' || b.is_ascii_whitespace())
            .unwrap_or(tail.len() - i);
        let slash = end + memchr::memchr(b'/', &tail[end..])?;
        (&tail[i..end], slash + 1)
    };
    Some(Line::Im(ImLine {
        time,
        level,
        pid,
        function,
        message: first_line(&tail[msg_at..]),
    }))
}

fn first_line(s: &[u8]) -> &[u8] {
    super::fields::first_line(s)
}

fn leading_int(s: &[u8]) -> Option<i64> {
    let n = s.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&s[..n.min(18)]).ok()?.parse().ok()
}

fn num(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// `2024-03-12 09:55:35.125`.
fn datetime(s: &[u8]) -> Option<NaiveDateTime> {
    if s.len() != 23 || s[4] != b'-' || s[7] != b'-' || s[10] != b' ' || s[19] != b'.' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(num(&s[0..4])? as i32, num(&s[5..7])?, num(&s[8..10])?)?;
    if s[13] != b':' || s[16] != b':' {
        return None;
    }
    let time = NaiveTime::from_hms_milli_opt(
        num(&s[11..13])?,
        num(&s[14..16])?,
        num(&s[17..19])?,
        num(&s[20..23])?,
    )?;
    Some(date.and_time(time))
}

/// `^^^^^^^^^^Dec 10 2021^^^15:15:13^^^^^^^^^^[16633,16633][2024-03-12 +0800 09:55:35]`.
fn mars_header(line: &[u8]) -> MarsHeader {
    let mut h = MarsHeader {
        pid: None,
        time: None,
        offset_minutes: None,
    };
    let Some(open) = memchr::memmem::rfind(line, b"][") else {
        return h;
    };
    if let Some(pstart) = memchr::memrchr(b'[', &line[..open]) {
        let ids = &line[pstart + 1..open];
        h.pid = leading_int(ids.trim_ascii());
    }
    let clock = &line[open + 2..];
    let clock = clock.strip_suffix(b"]").unwrap_or(clock).trim_ascii_end();
    // `2024-03-12 +0800 09:55:35`
    let parts: Vec<&[u8]> = clock.split(|&b| b == b' ').collect();
    if let [date, off, time] = parts[..] {
        h.offset_minutes = offset(off);
        let mut t = Vec::with_capacity(23);
        t.extend_from_slice(date);
        t.push(b' ');
        t.extend_from_slice(time);
        t.extend_from_slice(b".000");
        h.time = datetime(&t);
    }
    h
}

/// `+0800` -> 480, `-0530` -> -330.
fn offset(s: &[u8]) -> Option<i32> {
    let (sign, digits) = match s.first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    if digits.len() != 4 {
        return None;
    }
    let h = num(&digits[..2])? as i32;
    let m = num(&digits[2..])? as i32;
    (h <= 14 && m < 60).then_some(sign * (h * 60 + m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn im_line(s: &str) -> ImLine<'_> {
        match classify(s.as_bytes()) {
            Line::Im(l) => l,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn modern_lines() {
        let l = im_line(
            "TIM: 2024-03-12 09:55:35.882 I 16633-16789     |-login.cpp:780                           LogRequestEnd                           |Login success|task_id:1|error_code:0 error_message:OK",
        );
        assert_eq!(l.function, b"LogRequestEnd");
        assert_eq!(l.pid, 16633);
        assert_eq!(l.level, b'I');
        assert!(l.message.starts_with(b"Login success|"));
        assert_eq!(l.time.to_string(), "2024-03-12 09:55:35.882");
        let j = im_line(
            "TIM: 2024-03-12 09:55:35.532 D 16633-16789     |-TIMPush-TIMPushProvider                                                         |onConnectSuccess",
        );
        assert_eq!(j.function, b"");
        assert_eq!(j.message, b"onConnectSuccess");
    }

    #[test]
    fn v4_lines() {
        let l = im_line(
            "TIM: 2020-01-21 09:55:35.295/I/22008-22113     /Common      -imcore_manager.cpp.947  OnUserSigExpired                   /userSig expired|loginStatus:logining",
        );
        assert_eq!(l.function, b"OnUserSigExpired");
        assert_eq!(l.message, b"userSig expired|loginStatus:logining");
        let j = im_line(
            "TIM: 2020-01-21 09:55:35.297/I/22008-22113     /IMSDK       -BaseManager.0                                              /Login failed, code 6206|msg userSig expired",
        );
        assert_eq!(j.function, b"");
        assert_eq!(j.message, b"Login failed, code 6206|msg userSig expired");
    }

    #[test]
    fn banners_and_headers() {
        assert_eq!(
            classify(b"TIM: ======  SDK Version: 8.1.6108"),
            Line::Banner {
                key: b"SDK Version",
                value: b"8.1.6108"
            }
        );
        assert_eq!(
            classify(b"TIM: ======  Ver: 4.6.51"),
            Line::Banner {
                key: b"Ver",
                value: b"4.6.51"
            }
        );
        assert!(matches!(
            classify(b"TIM: ================="),
            Line::Banner { key: b"", .. }
        ));
        let Line::MarsHeader(h) = classify(
            b"^^^^^^^^^^Dec 10 2021^^^15:15:13^^^^^^^^^^[16633,16633][2024-03-12 +0800 09:55:35]",
        ) else {
            panic!()
        };
        assert_eq!(h.pid, Some(16633));
        assert_eq!(h.offset_minutes, Some(480));
        assert_eq!(h.time.unwrap().to_string(), "2024-03-12 09:55:35");
        assert_eq!(
            classify(b"[I][2024-03-12 +8.0 06:55:58.319][4242, 4243][x][y][z"),
            Line::Other
        );
        assert_eq!(classify(b"TIM: garbage"), Line::Other);
    }
}
