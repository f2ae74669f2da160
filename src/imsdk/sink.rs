//! The engine driven by the decoder: a [`Sink`] that finds, in the decoded
//! text, the records the rules can match, numbers their lines and hands
//! each finding to a callback as soon as it is known.
//!
//! Most lines of an IM SDK log (messages received, heartbeat requests,
//! syncs) name nothing a rule knows. So the text is not cut into every
//! record: a [`Scanner`] runs one multi-pattern scan per chunk for the
//! words the rules name (function names, leading tags, code fields) and
//! the writers' header-less lines (`^^^^^^^^^^` process starts, `TIM:
//! ======` banners); only a line holding one, and starting a record by the
//! record model's rule ([`starts_record`]), goes to the engine
//! ([`Engine::record_matched`]). Newlines are counted in between, so line
//! numbers stay exact.
//!
//! [`DiagnoseSink::threaded`] runs the scanner on a thread of its own (the
//! chunks are copied to it, at most [`IN_FLIGHT`] at a time), so scanning
//! overlaps decoding; the engine and the callback stay on the caller's
//! thread, in order.
//!
//! Memory stays bounded: only the line still open at the end of a chunk is
//! kept, and at most [`MAX_PIECE`] bytes of it (a longer line is judged by
//! its start).

use std::io;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use aho_corasick::{AhoCorasick, MatchKind};

use super::engine::{Engine, Finding, Summary};
use super::rules::RuleSet;
use crate::decode::event::{Event, Sink};
pub use crate::record::MAX_PIECE;
use crate::record::starts_record;

/// Lines that matter whatever the rules: process starts and banners.
const ALWAYS: [&[u8]; 2] = [b"^^^^^^^^^^", b"TIM: ="];

/// Chunks in flight to a scanner thread (each at most a decoder chunk).
pub const IN_FLIGHT: usize = 8;

/// Newlines in `bytes`.
fn newlines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// Lines a scan picked out: their line numbers and bytes.
#[derive(Debug, Default)]
pub struct Hits {
    /// The picked lines, back to back.
    text: Vec<u8>,
    /// Line number, start and end in `text` of each.
    lines: Vec<(u64, usize, usize)>,
    /// An IM SDK line was seen in the scanned text.
    seen_tim: bool,
}

impl Hits {
    fn push(&mut self, line_no: u64, line: &[u8]) {
        let start = self.text.len();
        self.text.extend_from_slice(line);
        self.lines.push((line_no, start, self.text.len()));
    }

    fn clear(&mut self) {
        self.text.clear();
        self.lines.clear();
        self.seen_tim = false;
    }

    /// Feeds the picked lines to `engine`, in order.
    fn feed(&self, engine: &mut Engine) {
        for &(line_no, start, end) in &self.lines {
            engine.record_matched(line_no, &self.text[start..end]);
        }
        if self.seen_tim {
            engine.saw_imsdk();
        }
    }
}

/// Picks, out of decoded text given in chunks, the lines the rules can
/// match, with their line numbers.
#[derive(Debug, Clone)]
pub struct Scanner {
    words: AhoCorasick,
    /// Which patterns are code fields (a hit counts only with a non-zero
    /// number after it).
    code_word: Vec<bool>,
    /// The start of the line still open at the end of the last chunk.
    carry: Vec<u8>,
    /// The text seen so far ends inside a line.
    open_line: bool,
    /// Lines completed so far (newlines seen).
    lines: u64,
    seen_tim: bool,
}

impl Scanner {
    /// A scanner for the words of `rules`.
    pub fn new(rules: &RuleSet) -> Scanner {
        let mut words: Vec<&[u8]> = rules.words().collect();
        words.extend(ALWAYS);
        let code_word = words.iter().map(|w| rules.is_code_field(w)).collect();
        let words = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&words)
            .expect("a few short words build an automaton");
        Scanner {
            words,
            code_word,
            carry: Vec::new(),
            open_line: false,
            lines: 0,
            seen_tim: false,
        }
    }

    /// Lines completed so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// Whether the text so far ends inside a line.
    pub fn open_line(&self) -> bool {
        self.open_line
    }

    /// Scans the next chunk, adding the lines it completes to `out`.
    pub fn chunk(&mut self, mut text: &[u8], out: &mut Hits) {
        if text.is_empty() {
            return;
        }
        if self.open_line {
            // Complete the line the last chunk left open.
            let Some(nl) = memchr::memchr(b'\n', text) else {
                self.keep(text);
                return;
            };
            self.keep(&text[..=nl]);
            let line = std::mem::take(&mut self.carry);
            self.lines += 1;
            self.one(self.lines, &line, out);
            self.carry = line;
            self.carry.clear();
            self.open_line = false;
            text = &text[nl + 1..];
        }
        let whole = memchr::memrchr(b'\n', text).map_or(0, |i| i + 1);
        self.scan(&text[..whole], out);
        if whole < text.len() {
            self.open_line = true;
            self.keep(&text[whole..]);
        }
        out.seen_tim |= self.seen_tim;
    }

    /// Ends the text: the last line, if unterminated, is judged.
    pub fn end(&mut self, out: &mut Hits) {
        if self.open_line {
            let line = std::mem::take(&mut self.carry);
            self.one(self.lines + 1, &line, out);
        }
        out.seen_tim |= self.seen_tim;
    }

    /// Keeps the start of the open line, up to [`MAX_PIECE`] bytes.
    fn keep(&mut self, bytes: &[u8]) {
        let room = MAX_PIECE.saturating_sub(self.carry.len());
        self.carry
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    /// Judges one whole line on its own (one carried over chunks).
    fn one(&mut self, line_no: u64, line: &[u8], out: &mut Hits) {
        if !self.seen_tim && line.starts_with(b"TIM: ") {
            self.seen_tim = true;
        }
        if starts_record(line) && self.matters(line) {
            out.push(line_no, line);
        }
    }

    /// Whether a line holds a word, a code field counting only with a
    /// non-zero number.
    fn matters(&self, line: &[u8]) -> bool {
        let mut pos = 0;
        while let Some(m) = self.words.find(&line[pos..]) {
            let end = pos + m.end();
            if !self.code_word[m.pattern().as_usize()]
                || super::fields::number_at(line, end, false).is_some_and(|n| n != 0)
            {
                return true;
            }
            pos = end;
        }
        false
    }

    /// Whole lines: the ones holding a word are picked.
    fn scan(&mut self, text: &[u8], out: &mut Hits) {
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
            let end = hit + memchr::memchr(b'\n', &text[hit..]).map_or(text.len() - hit, |i| i + 1);
            if self.code_word[m.pattern().as_usize()] {
                // `error code:0`: not a reason to read the line; the rest
                // of it may hold another word.
                let after = pos + m.end();
                let code = super::fields::number_at(&text[..end], after, false);
                if code.is_none_or(|n| n == 0) {
                    pos = after;
                    continue;
                }
            }
            let start = memchr::memrchr(b'\n', &text[..hit]).map_or(0, |i| i + 1);
            let line = &text[start..end];
            if starts_record(line) {
                self.lines += newlines(&text[counted..start]);
                counted = start;
                out.push(self.lines + 1, line);
            }
            pos = end;
        }
        self.lines += newlines(&text[counted..]);
    }
}

/// What a scanner thread is sent.
enum Job {
    /// A chunk, and a picked-lines buffer to fill (handed back for reuse).
    Chunk(Vec<u8>, Hits),
    End,
}

/// What a scanner thread sends back.
struct Done {
    hits: Hits,
    /// The chunk's buffer, for reuse.
    buf: Option<Vec<u8>>,
    /// The scanner's line count after this job.
    lines: u64,
    open_line: bool,
    last: bool,
}

/// A scanner on a thread of its own.
struct Threaded {
    jobs: SyncSender<Job>,
    done: Receiver<Done>,
    thread: Option<JoinHandle<()>>,
    /// Buffers handed back, and how many exist.
    free: Vec<Vec<u8>>,
    made: usize,
    /// Picked-lines buffers handed back (as many as chunk buffers).
    free_hits: Vec<Hits>,
}

impl Drop for Threaded {
    fn drop(&mut self) {
        // Closing both channels ends the thread wherever it waits.
        drop(std::mem::replace(&mut self.jobs, sync_channel(1).0));
        drop(std::mem::replace(&mut self.done, sync_channel(1).1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Where the scanning runs.
enum Scan {
    Inline(Scanner, Hits),
    Threaded(Threaded),
}

/// A [`Sink`] running the IM SDK lens over one input.
pub struct DiagnoseSink<F> {
    engine: Engine,
    scan: Scan,
    lines: u64,
    open_line: bool,
    on_finding: F,
    summary: Option<Summary>,
}

impl<F: FnMut(&Finding) -> io::Result<()>> DiagnoseSink<F> {
    /// A sink with these rules, calling `on_finding` for each finding in
    /// order; everything runs on the caller's thread.
    pub fn new(rules: Arc<RuleSet>, on_finding: F) -> DiagnoseSink<F> {
        let scanner = Scanner::new(&rules);
        DiagnoseSink {
            engine: Engine::new(rules),
            scan: Scan::Inline(scanner, Hits::default()),
            lines: 0,
            open_line: false,
            on_finding,
            summary: None,
        }
    }

    /// Like [`new`](DiagnoseSink::new), the scanning done on a thread of
    /// its own (inline should the thread not start).
    pub fn threaded(rules: Arc<RuleSet>, on_finding: F) -> DiagnoseSink<F> {
        let mut sink = DiagnoseSink::new(rules, on_finding);
        let Scan::Inline(scanner, _) = &sink.scan else {
            unreachable!("a new sink scans inline");
        };
        let mut scanner = scanner.clone();
        let (jobs, job_rx) = sync_channel::<Job>(IN_FLIGHT);
        let (done_tx, done) = sync_channel::<Done>(IN_FLIGHT + 1);
        let thread = std::thread::Builder::new()
            .name("imsdk-scan".into())
            .spawn(move || {
                while let Ok(job) = job_rx.recv() {
                    let (hits, buf, last) = match job {
                        Job::Chunk(buf, mut hits) => {
                            hits.clear();
                            scanner.chunk(&buf, &mut hits);
                            (hits, Some(buf), false)
                        }
                        Job::End => {
                            let mut hits = Hits::default();
                            scanner.end(&mut hits);
                            (hits, None, true)
                        }
                    };
                    let d = Done {
                        hits,
                        buf,
                        lines: scanner.lines(),
                        open_line: scanner.open_line(),
                        last,
                    };
                    if done_tx.send(d).is_err() || last {
                        return;
                    }
                }
            });
        if let Ok(thread) = thread {
            sink.scan = Scan::Threaded(Threaded {
                jobs,
                done,
                thread: Some(thread),
                free: Vec::new(),
                made: 0,
                free_hits: Vec::new(),
            });
        }
        sink
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
        if text.is_empty() {
            return Ok(());
        }
        match &mut self.scan {
            Scan::Inline(scanner, hits) => {
                hits.clear();
                scanner.chunk(text, hits);
                hits.feed(&mut self.engine);
                self.lines = scanner.lines();
                self.open_line = scanner.open_line();
            }
            Scan::Threaded(t) => {
                // A free buffer, or a new one while fewer than the queue
                // holds exist; else wait for one to come back.
                let mut buf = loop {
                    if let Some(b) = t.free.pop() {
                        break b;
                    }
                    if t.made < IN_FLIGHT + 2 {
                        t.made += 1;
                        break Vec::new();
                    }
                    let d = t.done.recv().map_err(|_| scanner_gone())?;
                    Self::take(&mut self.engine, &mut self.lines, &mut self.open_line, t, d);
                };
                buf.clear();
                buf.extend_from_slice(text);
                let hits = t.free_hits.pop().unwrap_or_default();
                t.jobs
                    .send(Job::Chunk(buf, hits))
                    .map_err(|_| scanner_gone())?;
                while let Ok(d) = t.done.try_recv() {
                    Self::take(&mut self.engine, &mut self.lines, &mut self.open_line, t, d);
                }
            }
        }
        self.emit()
    }

    /// Takes a scanner thread's result: its lines to the engine.
    fn take(engine: &mut Engine, lines: &mut u64, open: &mut bool, t: &mut Threaded, d: Done) {
        d.hits.feed(engine);
        *lines = d.lines;
        *open = d.open_line;
        if let Some(b) = d.buf {
            t.free.push(b);
            t.free_hits.push(d.hits);
        }
    }

    /// Ends the input: the last line is judged and the summary made.
    pub fn end(&mut self) -> io::Result<&Summary> {
        match &mut self.scan {
            Scan::Inline(scanner, hits) => {
                hits.clear();
                scanner.end(hits);
                hits.feed(&mut self.engine);
            }
            Scan::Threaded(t) => {
                t.jobs.send(Job::End).map_err(|_| scanner_gone())?;
                loop {
                    let d = t.done.recv().map_err(|_| scanner_gone())?;
                    let last = d.last;
                    Self::take(&mut self.engine, &mut self.lines, &mut self.open_line, t, d);
                    for f in self.engine.drain() {
                        (self.on_finding)(&f)?;
                    }
                    if last {
                        break;
                    }
                }
            }
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

fn scanner_gone() -> io::Error {
    io::Error::other("the IM SDK scanner thread stopped")
}

impl<F: FnMut(&Finding) -> io::Result<()>> Sink for DiagnoseSink<F> {
    fn event(&mut self, event: &Event<'_>) -> io::Result<()> {
        if let Event::Text(t) = event {
            self.text(t)?;
        }
        Ok(())
    }

    fn finish(&mut self, _summary: &crate::decode::summary::Summary) -> io::Result<()> {
        self.end().map(|_| ())
    }
}
