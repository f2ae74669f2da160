//! The engine driven by the decoder: a [`Sink`] that cuts decoded text into
//! lines, numbers them and hands each finding to a callback as soon as it
//! is known.
//!
//! Memory stays bounded: only the line still open at the end of a text
//! chunk is kept, and at most [`MAX_LINE`] bytes of it (a longer line is
//! judged by its start; the line numbers stay right).

use std::io;
use std::sync::Arc;

use super::engine::{Engine, Finding, Summary};
use super::rules::RuleSet;
use crate::event::{Event, Sink};

/// The most bytes of one line kept to judge it.
pub const MAX_LINE: usize = 64 * 1024;

/// A [`Sink`] running the IM SDK lens over one input.
pub struct DiagnoseSink<F> {
    engine: Engine,
    partial: Vec<u8>,
    /// Lines completed so far.
    lines: u64,
    on_finding: F,
    summary: Option<Summary>,
}

impl<F: FnMut(&Finding) -> io::Result<()>> DiagnoseSink<F> {
    /// A sink with these rules, calling `on_finding` for each finding in
    /// order.
    pub fn new(rules: Arc<RuleSet>, on_finding: F) -> DiagnoseSink<F> {
        DiagnoseSink {
            engine: Engine::new(rules),
            partial: Vec::new(),
            lines: 0,
            on_finding,
            summary: None,
        }
    }

    /// The summary, once the input has ended.
    pub fn summary(&self) -> Option<&Summary> {
        self.summary.as_ref()
    }

    /// Lines of decoded text seen.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// Feeds decoded text directly (tests, text inputs).
    pub fn text(&mut self, mut text: &[u8]) -> io::Result<()> {
        while let Some(nl) = memchr::memchr(b'\n', text) {
            let line = &text[..nl];
            self.lines += 1;
            if self.partial.is_empty() {
                self.engine.line(self.lines, line);
            } else {
                let room = MAX_LINE.saturating_sub(self.partial.len());
                self.partial
                    .extend_from_slice(&line[..line.len().min(room)]);
                let whole = std::mem::take(&mut self.partial);
                self.engine.line(self.lines, &whole);
                self.partial = whole;
                self.partial.clear();
            }
            text = &text[nl + 1..];
            self.emit()?;
        }
        let room = MAX_LINE.saturating_sub(self.partial.len());
        self.partial
            .extend_from_slice(&text[..text.len().min(room)]);
        Ok(())
    }

    /// Ends the input: the last line (if unterminated) is judged and the
    /// summary made.
    pub fn end(&mut self) -> io::Result<&Summary> {
        if !self.partial.is_empty() {
            self.lines += 1;
            let whole = std::mem::take(&mut self.partial);
            self.engine.line(self.lines, &whole);
        }
        let summary = self.engine.finish();
        self.emit()?;
        Ok(self.summary.insert(summary))
    }

    fn emit(&mut self) -> io::Result<()> {
        for f in self.engine.drain() {
            (self.on_finding)(&f)?;
        }
        Ok(())
    }
}

impl<F: FnMut(&Finding) -> io::Result<()>> Sink for DiagnoseSink<F> {
    fn event(&mut self, event: &Event<'_>) -> io::Result<()> {
        if let Event::Text(t) = event {
            self.text(t)?;
        }
        Ok(())
    }

    fn finish(&mut self, _summary: &crate::reader::Summary) -> io::Result<()> {
        self.end().map(|_| ())
    }
}
