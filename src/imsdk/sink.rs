//! The engine driven by the decoder: a [`Sink`] that cuts decoded text into
//! records (the one record model's [`RecordSplitter`]), numbers their lines
//! and hands each finding to a callback as soon as it is known.
//!
//! Memory stays bounded: the splitter keeps only the record still open at
//! the end of a text chunk, and at most [`MAX_PIECE`] bytes of it (a longer
//! record comes in pieces, judged by its first; the line numbers stay
//! right).

use std::io;
use std::sync::Arc;

use super::engine::{Engine, Finding, Summary};
use super::rules::RuleSet;
use crate::event::{Event, Sink};
pub use crate::record::MAX_PIECE;
use crate::record::{Part, RecordSplitter};

/// A [`Sink`] running the IM SDK lens over one input.
pub struct DiagnoseSink<F> {
    engine: Engine,
    splitter: RecordSplitter,
    /// Lines completed so far (newlines seen).
    lines: u64,
    /// The text seen so far ends inside a line.
    open_line: bool,
    on_finding: F,
    summary: Option<Summary>,
}

/// Feeds one piece of a record to the engine; returns the newlines in it.
fn feed(engine: &mut Engine, lines: u64, bytes: &[u8], part: Part) -> u64 {
    if part.is_start() {
        engine.record(lines + 1, bytes);
    }
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

impl<F: FnMut(&Finding) -> io::Result<()>> DiagnoseSink<F> {
    /// A sink with these rules, calling `on_finding` for each finding in
    /// order.
    pub fn new(rules: Arc<RuleSet>, on_finding: F) -> DiagnoseSink<F> {
        DiagnoseSink {
            engine: Engine::new(rules),
            splitter: RecordSplitter::new(),
            lines: 0,
            open_line: false,
            on_finding,
            summary: None,
        }
    }

    /// The summary, once the input has ended.
    pub fn summary(&self) -> Option<&Summary> {
        self.summary.as_ref()
    }

    /// Lines of decoded text seen (an unterminated last line counts once
    /// the input has ended).
    pub fn lines(&self) -> u64 {
        self.lines + u64::from(self.summary.is_some() && self.open_line)
    }

    /// Feeds decoded text directly (tests, text inputs).
    pub fn text(&mut self, text: &[u8]) -> io::Result<()> {
        if let Some(&last) = text.last() {
            self.open_line = last != b'\n';
        }
        let (engine, lines) = (&mut self.engine, &mut self.lines);
        self.splitter.push_parts(text, |bytes, part| {
            *lines += feed(engine, *lines, bytes, part);
            Ok::<(), io::Error>(())
        })?;
        self.emit()
    }

    /// Ends the input: the last record is judged and the summary made.
    pub fn end(&mut self) -> io::Result<&Summary> {
        let (engine, lines) = (&mut self.engine, &mut self.lines);
        self.splitter.finish_parts(|bytes, part| {
            *lines += feed(engine, *lines, bytes, part);
            Ok::<(), io::Error>(())
        })?;
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
