//! Colours by level for a terminal, and the text printer for records.
//!
//! Colour is on only when asked for, or in `auto` mode when the output is a
//! terminal, `NO_COLOR` is unset or empty and `TERM` is not `dumb`
//! (<https://no-color.org>). A pipe never gets colour by default.

use std::io::{self, Write};

use crate::decode::event::{Event, Sink};
use crate::decode::summary::Summary;
use crate::decode::text::TextSink;
use crate::record::{Level, Record};
use crate::select::filtered::{RecordSink, Takes};

/// When to colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// Colour when writing to a terminal that accepts it.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl ColorChoice {
    /// Whether to colour, given whether the output is a terminal and the
    /// values of `NO_COLOR` and `TERM`.
    pub fn resolve(self, is_terminal: bool, no_color: Option<&str>, term: Option<&str>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                is_terminal && no_color.is_none_or(str::is_empty) && term != Some("dumb")
            }
        }
    }

    /// [`resolve`](ColorChoice::resolve) with this process's environment.
    pub fn resolve_env(self, is_terminal: bool) -> bool {
        let no_color = std::env::var("NO_COLOR").ok();
        let term = std::env::var("TERM").ok();
        self.resolve(is_terminal, no_color.as_deref(), term.as_deref())
    }
}

/// The ANSI style that starts a line of `level` (`None`: plain).
pub fn level_style(level: Level) -> Option<&'static [u8]> {
    match level {
        Level::Verbose => Some(b"\x1b[2m"),
        Level::Debug => Some(b"\x1b[36m"),
        Level::Info => None,
        Level::Warn => Some(b"\x1b[33m"),
        Level::Error => Some(b"\x1b[31m"),
        Level::Fatal => Some(b"\x1b[1;35m"),
    }
}

/// Resets the style.
pub const RESET: &[u8] = b"\x1b[0m";

/// Prints records as their bytes, coloured by level when asked; integrity
/// events are printed by a [`TextSink`] (markers or not, as it was built).
pub struct TextRecords<W: Write> {
    text: TextSink<W>,
    color: bool,
}

impl<W: Write> TextRecords<W> {
    /// A printer over `text`; `color` turns level colours on.
    pub fn new(text: TextSink<W>, color: bool) -> TextRecords<W> {
        TextRecords { text, color }
    }

    /// The text printer back.
    pub fn into_inner(self) -> TextSink<W> {
        self.text
    }
}

impl<W: Write> TextRecords<W> {
    /// Prints one record's bytes, coloured for `level` when colour is on.
    fn print(&mut self, level: Option<Level>, bytes: &[u8]) -> io::Result<()> {
        // Through the text printer, so that its pending marker lines come first.
        let style = match level {
            Some(level) if self.color => level_style(level),
            _ => None,
        };
        let Some(style) = style else {
            return self.text.event(&Event::Text(bytes));
        };
        let (body, nl) = match bytes.split_last() {
            Some((b'\n', body)) => (body, &b"\n"[..]),
            _ => (bytes, &b""[..]),
        };
        self.text.event(&Event::Text(style))?;
        let out = self.text.get_mut();
        out.write_all(body)?;
        out.write_all(RESET)?;
        out.write_all(nl)
    }
}

impl<W: Write> RecordSink for TextRecords<W> {
    fn record(&mut self, rec: &Record<'_>) -> io::Result<()> {
        self.print(rec.level, rec.bytes)
    }

    fn event(&mut self, event: &Event<'_>) -> io::Result<()> {
        self.text.event(event)
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.text.finish(summary)
    }

    /// Only the level picks a colour; without colour, only the bytes count.
    fn takes(&self) -> Takes {
        if self.color {
            Takes::Levels
        } else {
            Takes::Runs
        }
    }

    fn record_level(&mut self, level: Option<Level>, bytes: &[u8]) -> io::Result<()> {
        self.print(level, bytes)
    }

    fn run(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.print(None, bytes)
    }

    /// Each piece of a long record is coloured on its own.
    fn record_rest(&mut self, level: Option<Level>, bytes: &[u8], _more: bool) -> io::Result<()> {
        self.print(level, bytes)
    }
}

#[cfg(test)]
mod tests;
