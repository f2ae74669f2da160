//! The engine driven by the decoder: a [`Sink`] that finds, in the decoded
//! text, the records the rules can match, numbers their lines and hands
//! each finding to a callback as soon as it is known.
//!
//! Most lines of an IM SDK log (messages received, heartbeat requests,
//! syncs) name nothing a rule knows. So the text is not cut into every
//! record: one multi-pattern scan per chunk looks for the words the rules
//! name (function names, leading tags, code fields) and the writers'
//! header-less lines (`^^^^^^^^^^` process starts, `TIM: ======` banners);
//! only a line holding one, and starting a record by the record model's
//! rule ([`starts_record`]), is parsed ([`Engine::record`]). Newlines are
//! counted in between, so line numbers stay exact.
//!
//! Memory stays bounded: only the line still open at the end of a chunk is
//! kept, and at most [`MAX_PIECE`] bytes of it (a longer line is judged by
//! its start).

use std::io;
use std::sync::Arc;

use aho_corasick::{AhoCorasick, MatchKind};

use super::engine::{Engine, Finding, Summary};
use super::rules::RuleSet;
use crate::event::{Event, Sink};
pub use crate::record::MAX_PIECE;
use crate::record::starts_record;

/// Lines that matter whatever the rules: process starts and banners.
const ALWAYS: [&[u8]; 2] = [b"^^^^^^^^^^", b"TIM: ="];

/// A [`Sink`] running the IM SDK lens over one input.
pub struct DiagnoseSink<F> {
    engine: Engine,
    words: AhoCorasick,
    /// The start of the line still open at the end of the last chunk.
    carry: Vec<u8>,
    /// The text seen so far ends inside a line.
    open_line: bool,
    /// Lines completed so far (newlines seen).
    lines: u64,
    seen_tim: bool,
    on_finding: F,
    summary: Option<Summary>,
}

/// Newlines in `bytes`.
fn newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

impl<F: FnMut(&Finding) -> io::Result<()>> DiagnoseSink<F> {
    /// A sink with these rules, calling `on_finding` for each finding in
    /// order.
    pub fn new(rules: Arc<RuleSet>, on_finding: F) -> DiagnoseSink<F> {
        let mut words: Vec<&[u8]> = rules.words().collect();
        words.extend(ALWAYS);
        let words = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&words)
            .expect("a few short words build an automaton");
        DiagnoseSink {
            engine: Engine::new(rules),
            words,
            carry: Vec::new(),
            open_line: false,
            lines: 0,
            seen_tim: false,
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
    pub fn text(&mut self, mut text: &[u8]) -> io::Result<()> {
        if text.is_empty() {
            return Ok(());
        }
        if self.open_line {
            // Complete the line the last chunk left open.
            let Some(nl) = memchr::memchr(b'\n', text) else {
                self.keep(text);
                return Ok(());
            };
            self.keep(&text[..=nl]);
            let line = std::mem::take(&mut self.carry);
            self.lines += 1;
            self.one(self.lines, &line);
            self.carry = line;
            self.carry.clear();
            self.open_line = false;
            text = &text[nl + 1..];
        }
        let whole = memchr::memrchr(b'\n', text).map_or(0, |i| i + 1);
        self.scan(&text[..whole]);
        if whole < text.len() {
            self.open_line = true;
            self.keep(&text[whole..]);
        }
        self.emit()
    }

    /// Keeps the start of the open line, up to [`MAX_PIECE`] bytes.
    fn keep(&mut self, bytes: &[u8]) {
        let room = MAX_PIECE.saturating_sub(self.carry.len());
        self.carry
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    /// Judges one whole line on its own (one carried over chunks).
    fn one(&mut self, line_no: u64, line: &[u8]) {
        if !self.seen_tim && line.starts_with(b"TIM: ") {
            self.seen_tim = true;
        }
        if starts_record(line) && self.words.is_match(line) {
            self.engine.record_matched(line_no, line);
        }
    }

    /// Whole lines: the ones holding a word are judged.
    fn scan(&mut self, text: &[u8]) {
        if !self.seen_tim && memchr::memmem::find(text, b"TIM: ").is_some() {
            self.seen_tim = true;
        }
        let mut pos = 0;
        // Newlines are counted up to `counted`.
        let mut counted = 0;
        while pos < text.len() {
            let Some(m) = self.words.find(&text[pos..]) else {
                break;
            };
            let hit = pos + m.start();
            let start = memchr::memrchr(b'\n', &text[..hit]).map_or(0, |i| i + 1);
            let end = hit + memchr::memchr(b'\n', &text[hit..]).map_or(text.len() - hit, |i| i + 1);
            let line = &text[start..end];
            if starts_record(line) {
                self.lines += newlines(&text[counted..start]);
                counted = start;
                self.engine.record_matched(self.lines + 1, line);
            }
            pos = end;
        }
        self.lines += newlines(&text[counted..]);
    }

    /// Ends the input: the last line is judged and the summary made.
    pub fn end(&mut self) -> io::Result<&Summary> {
        if self.open_line {
            let line = std::mem::take(&mut self.carry);
            self.one(self.lines + 1, &line);
        }
        if self.seen_tim {
            self.engine.saw_imsdk();
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
