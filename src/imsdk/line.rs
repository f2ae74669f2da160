//! What the engine is fed: one record of decoded text, seen as the IM SDK
//! lens needs it (a small struct of borrowed fields), read from the one
//! record model ([`Record`], [`meta_line`]): no second line parser.
//!
//! A record is the Mars appender's open banner (a process start, with the
//! day's UTC offset), an IM SDK banner line (`TIM: ======  SDK Version:
//! 8.1.6108`), an IM SDK log record (5.x-8.x, 4.x or 4.0.x), or anything
//! else (Mars bracket lines of other modules, raw text).

use chrono::NaiveDateTime;

use super::fields;
use super::rules::{Confidence, Event, RuleSet};
use crate::record::formats::meta::{MetaLine, ProcessStart, meta_line};
use crate::record::{LineFormat, Record};

/// One record, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line<'a> {
    /// The Mars appender's open banner (a process (re)opened the log) or
    /// an IM SDK banner line (`SDK Version`, `8.1.6108`).
    Meta(MetaLine<'a>),
    /// An IM SDK log record.
    Im(ImLine<'a>),
    /// Anything else.
    Other,
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
    meta_line(rec.bytes).map_or(Line::Other, Line::Meta)
}

/// What the engine reads of one line that depends on the line alone (its
/// shape, fields, code and matching rule): read ahead with [`read`], on
/// any thread, and given to [`Engine::picked`](super::Engine::picked)
/// with the line's bytes. Spans are byte ranges into those bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Read {
    /// The line starts with `TIM: ` (an IM SDK line, read or not).
    pub tim: bool,
    /// The length of its first line (without `\r\n`): the evidence.
    pub first: u32,
    /// What the line is.
    pub shape: Shape,
}

/// A byte range of a line.
pub type Span = (u32, u32);

/// The [`Line`] a [`Read`] stands for, as spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Not read: no line the engine looks at.
    Skipped,
    /// See [`MetaLine::Start`].
    Start(ProcessStart),
    /// See [`MetaLine::Banner`].
    Banner {
        /// The banner's key.
        key: Span,
        /// Its value.
        value: Span,
    },
    /// See [`Line::Im`], with what the rules say of it.
    Im {
        /// Local wall clock.
        time: NaiveDateTime,
        /// Process id.
        pid: i64,
        /// The function.
        function: Span,
        /// The message's first line.
        message: Span,
        /// What the rules make of it.
        known: Known,
    },
    /// See [`Line::Other`].
    Other,
}

/// What the rules make of an IM SDK line, read from the line alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    /// The code read from the message ([`RuleSet::read_code`]).
    pub code: Option<i64>,
    /// The first rule that matches: what it says.
    pub rule: Option<(Event, Confidence)>,
    /// The heartbeat interval a heartbeat line announces, in seconds.
    pub interval: Option<i64>,
}

/// What the rules make of `im`.
pub fn know(rules: &RuleSet, im: &ImLine<'_>) -> Known {
    let msg = im.message;
    let code = rules.read_code(msg);
    let rule = rules
        .find(im.function, fields::head(msg), code)
        .map(|r| (r.event, r.confidence));
    let interval = match rule {
        Some((Event::HeartbeatStart, _)) => fields::number(msg, b"heartbeat_interval")
            .or_else(|| fields::number_unit(msg, b"interval")),
        Some((Event::Heartbeat, _)) => fields::number(msg, b"heartbeat_interval"),
        _ => None,
    };
    Known {
        code,
        rule,
        interval,
    }
}

/// `part`'s place in `whole`, of which it is a sub-slice (an empty part
/// may be any empty slice).
fn span(whole: &[u8], part: &[u8]) -> Span {
    if part.is_empty() {
        return (0, 0);
    }
    let start = (part.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
    assert!(
        start
            .checked_add(part.len())
            .is_some_and(|e| e <= whole.len()),
        "the record model gives sub-slices of the line"
    );
    (start as u32, (start + part.len()) as u32)
}

/// Reads one line (a record's first line, with or without its newline)
/// as the engine would: parsed by the one record model ([`Record`]),
/// classified, its code read and its rule found. Lines longer than 4 GiB
/// are not read (the engine never sees one: the scanner keeps at most
/// [`MAX_PIECE`](crate::record::MAX_PIECE) bytes of a line).
pub fn read(rules: &RuleSet, bytes: &[u8]) -> Read {
    let tim = bytes.starts_with(b"TIM: ");
    let parse = match bytes.first() {
        Some(b'^' | b'0'..=b'9') => true,
        Some(b'T') => tim,
        _ => false,
    };
    if !parse || bytes.len() > u32::MAX as usize {
        return Read {
            tim,
            first: 0,
            shape: Shape::Skipped,
        };
    }
    let first = fields::first_line(bytes).len() as u32;
    let shape = match classify(&Record::parse(bytes)) {
        Line::Meta(MetaLine::Start(s)) => Shape::Start(s),
        Line::Meta(MetaLine::Banner { key, value }) => Shape::Banner {
            key: span(bytes, key),
            value: span(bytes, value),
        },
        Line::Im(im) => Shape::Im {
            time: im.time,
            pid: im.pid,
            function: span(bytes, im.function),
            message: span(bytes, im.message),
            known: know(rules, &im),
        },
        Line::Other => Shape::Other,
    };
    Read { tim, first, shape }
}

impl Read {
    /// The first line of `bytes` (those [`read`] was given), as
    /// [`fields::first_line`] cuts it.
    pub fn first_line<'a>(&self, bytes: &'a [u8]) -> &'a [u8] {
        &bytes[..(self.first as usize).min(bytes.len())]
    }

    /// The line read, given its bytes (those [`read`] was given).
    pub fn line<'a>(&self, bytes: &'a [u8]) -> Line<'a> {
        let at = |(s, e): Span| bytes.get(s as usize..e as usize).unwrap_or_default();
        match self.shape {
            Shape::Skipped | Shape::Other => Line::Other,
            Shape::Start(s) => Line::Meta(MetaLine::Start(s)),
            Shape::Banner { key, value } => Line::Meta(MetaLine::Banner {
                key: at(key),
                value: at(value),
            }),
            Shape::Im {
                time,
                pid,
                function,
                message,
                ..
            } => Line::Im(ImLine {
                time,
                pid,
                function: at(function),
                message: at(message),
            }),
        }
    }
}

#[cfg(test)]
mod tests;
