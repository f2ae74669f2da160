//! What the engine is fed: one record of decoded text, seen as the IM SDK
//! lens needs it (a small struct of borrowed fields), read from the one
//! record model ([`Record`], [`meta_line`]): no second line parser.
//!
//! A record is the Mars appender's open banner (a process start, with the
//! day's UTC offset), an IM SDK banner line (`TIM: ======  SDK Version:
//! 8.1.6108`), an IM SDK log record (5.x-8.x, 4.x or 4.0.x), or anything
//! else (Mars bracket lines of other modules, raw text).

use chrono::NaiveDateTime;

use crate::record::formats::meta::{MetaLine, meta_line};
use crate::record::{LineFormat, Record};

/// One record, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line<'a> {
    /// The Mars appender's open banner: a process (re)opened the log.
    MarsHeader(MarsHeader),
    /// An IM SDK banner line: `key` and `value` (`SDK Version`, `8.1.6108`).
    Banner {
        /// The banner's key.
        key: &'a [u8],
        /// Its value.
        value: &'a [u8],
    },
    /// An IM SDK log record.
    Im(ImLine<'a>),
    /// Anything else.
    Other,
}

/// The Mars appender's open banner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarsHeader {
    /// The process id.
    pub pid: Option<i64>,
    /// The wall clock when the log was opened.
    pub time: Option<NaiveDateTime>,
    /// The UTC offset of that wall clock, in minutes east.
    pub offset_minutes: Option<i32>,
}

/// The fields of an IM SDK record the lens reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImLine<'a> {
    /// Local wall clock (no offset is written on the line).
    pub time: NaiveDateTime,
    /// Process id.
    pub pid: i64,
    /// The function (empty for Java components without one).
    pub function: &'a [u8],
    /// The message's first line (what follows is a message dump).
    pub message: &'a [u8],
}

/// Classifies a record (as cut by [`Records`](crate::record::Records) or
/// [`RecordSplitter`](crate::record::RecordSplitter)).
pub fn classify<'a>(rec: &Record<'a>) -> Line<'a> {
    if let Some(h) = &rec.header {
        return match h.format {
            LineFormat::ImSdk | LineFormat::ImSdk4 | LineFormat::ImSdk40 => Line::Im(ImLine {
                time: h.timestamp.local,
                pid: h.pid,
                function: h.func,
                message: super::fields::first_line(h.message),
            }),
            _ => Line::Other,
        };
    }
    if !matches!(rec.bytes.first(), Some(b'^' | b'T')) {
        return Line::Other;
    }
    match meta_line(rec.bytes) {
        Some(MetaLine::Start(s)) => Line::MarsHeader(MarsHeader {
            pid: s.pid,
            time: Some(s.local),
            offset_minutes: s.offset_minutes,
        }),
        Some(MetaLine::Banner { key, value }) => Line::Banner { key, value },
        None => Line::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(s: &str) -> Line<'_> {
        classify(&Record::parse(s.as_bytes()))
    }

    fn im_line(s: &str) -> ImLine<'_> {
        match of(s) {
            Line::Im(l) => l,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn modern_lines() {
        let l = im_line(
            "TIM: 2024-03-12 09:55:35.882 I 16633-16789     |-login.cpp:780                           LogRequestEnd                           |Login success|task_id:1|error_code:0 error_message:OK\n",
        );
        assert_eq!(l.function, b"LogRequestEnd");
        assert_eq!(l.pid, 16633);
        assert!(l.message.starts_with(b"Login success|"));
        assert_eq!(l.time.to_string(), "2024-03-12 09:55:35.882");
        let j = im_line(
            "TIM: 2024-03-12 09:55:35.532 D 16633-16789     |-TIMPush-TIMPushProvider                                                         |onConnectSuccess",
        );
        assert_eq!(j.function, b"");
        assert_eq!(j.message, b"onConnectSuccess");
        let dump = im_line(
            "TIM: 2024-03-12 09:59:35.278 I 1-2     |-message_sender.cpp:1052                 SendMessageComplete                     |error code:0|error message:Success|message:\nmessage_type:c2c\n",
        );
        assert_eq!(dump.message, b"error code:0|error message:Success|message:");
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
            of("TIM: ======  SDK Version: 8.1.6108\n"),
            Line::Banner {
                key: b"SDK Version",
                value: b"8.1.6108"
            }
        );
        assert_eq!(
            of("TIM: ======  Ver: 4.6.51"),
            Line::Banner {
                key: b"Ver",
                value: b"4.6.51"
            }
        );
        let Line::MarsHeader(h) = of(
            "^^^^^^^^^^Dec 10 2021^^^15:15:13^^^^^^^^^^[16633,16633][2024-03-12 +0800 09:55:35]\n",
        ) else {
            panic!()
        };
        assert_eq!(h.pid, Some(16633));
        assert_eq!(h.offset_minutes, Some(480));
        assert_eq!(h.time.unwrap().to_string(), "2024-03-12 09:55:35");
        assert_eq!(
            of("[I][2024-03-12 +8.0 06:55:58.319][4242, 4243][x][y.cc:1, z][body"),
            Line::Other
        );
        assert_eq!(of("TIM: garbage"), Line::Other);
    }
}
