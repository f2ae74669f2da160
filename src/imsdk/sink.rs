//! The engine driven by the decoder: a [`Sink`] that finds, in the decoded
//! text, the records the rules can match, numbers their lines and hands
//! each finding to a callback as soon as it is known.
//!
//! The lines the rules can match are picked and read ahead by a
//! [`Picker`] (see [`scan`](super::scan)), block by block, as if each
//! block started a line; the sink numbers them (newlines are counted in
//! between, so line numbers stay exact), mends the line a block boundary
//! cuts, and feeds them to the [`Engine`] in order.
//!
//! [`DiagnoseSink::threaded`] has the decoder's worker threads pick and
//! read the blocks they decode ([`ScanHook`]), in parallel; text that
//! comes without their work is copied to a thread of the sink's (at most
//! [`IN_FLIGHT`] chunks at a time), so picking overlaps decoding. The
//! engine and the callback stay on the caller's thread, in order.
//!
//! Memory stays bounded: only the line still open at the end of a chunk is
//! kept, and at most [`MAX_PIECE`] bytes of it (a longer line is judged by
//! its start).

use std::io;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use super::engine::{Engine, Finding, Summary};
use super::rules::RuleSet;
use super::scan::{Pick, Picker, Picks, ScanHook, Scanned};
use crate::decode::ahead::{BlockHook, HookResults, Worked};
use crate::decode::event::{Event, Sink};
pub use crate::record::MAX_PIECE;
use crate::record::starts_record;

/// Chunks in flight to a scanner thread (each at most a decoder chunk).
pub const IN_FLIGHT: usize = 8;

/// Where the numbering stands: the lines seen, and the start of the one
/// still open.
#[derive(Debug, Default)]
struct Lines {
    /// The start of the line still open at the end of the last chunk.
    carry: Vec<u8>,
    /// The text seen so far ends inside a line.
    open_line: bool,
    /// Lines completed so far (newlines seen).
    lines: u64,
    /// An IM SDK line was seen.
    seen_tim: bool,
}

impl Lines {
    /// Keeps the start of the open line, up to [`MAX_PIECE`] bytes.
    fn keep(&mut self, bytes: &[u8]) {
        let room = MAX_PIECE.saturating_sub(self.carry.len());
        self.carry
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    /// Judges one whole line on its own (one carried over chunks).
    fn one(&mut self, picker: &Picker, engine: &mut Engine, line_no: u64, line: &[u8]) {
        if !self.seen_tim && line.starts_with(b"TIM: ") {
            self.seen_tim = true;
        }
        if starts_record(line) && picker.matters(line) {
            engine.picked(line_no, line, &picker.read(line));
        }
    }

    /// Takes the next chunk, scanned (as if it started a line) into `b`
    /// and `picks`: mends the line the last chunk left open, feeds the
    /// picked lines with their numbers, and keeps the line left open.
    fn chunk(
        &mut self,
        picker: &Picker,
        engine: &mut Engine,
        text: &[u8],
        b: Scanned,
        picks: &[Pick],
    ) {
        if text.is_empty() {
            return;
        }
        let base = self.lines;
        // Picks before `from` are in the line the last chunk left open.
        let mut from = 0;
        if self.open_line {
            let Some(end) = b.first_end else {
                self.keep(text);
                return;
            };
            self.keep(&text[..end]);
            let line = std::mem::take(&mut self.carry);
            self.one(picker, engine, base + 1, &line);
            self.carry = line;
            self.carry.clear();
            self.open_line = false;
            from = end;
            self.seen_tim |= b.tim_rest;
        } else {
            self.seen_tim |= b.tim_first || b.tim_rest;
        }
        for p in picks.iter().filter(|p| p.start >= from) {
            engine.picked(base + p.line + 1, &text[p.start..p.end], &p.read);
        }
        self.lines = base + b.newlines;
        if b.whole < text.len() {
            self.open_line = true;
            self.keep(&text[b.whole..]);
        }
    }

    /// Ends the text: the last line, if unterminated, is judged.
    fn end(&mut self, picker: &Picker, engine: &mut Engine) {
        if self.open_line {
            let line = std::mem::take(&mut self.carry);
            self.one(picker, engine, self.lines + 1, &line);
        }
        if self.seen_tim {
            engine.saw_imsdk();
        }
    }
}

/// Scans `text` as one block into `picks` (emptied first).
fn scan_one(picker: &Picker, text: &[u8], picks: &mut Picks) {
    picks.clear();
    picker.block(text, picks);
    picks.end_block();
}

/// What a scanner thread is sent: a chunk, and a store for its picks
/// (both handed back for reuse).
struct Job(Vec<u8>, Picks);

/// A scanner on a thread of its own.
struct Threaded {
    jobs: SyncSender<Job>,
    done: Receiver<Job>,
    thread: Option<JoinHandle<()>>,
    /// Chunks sent and not yet taken back.
    in_flight: usize,
    /// Jobs handed back, and how many exist.
    free: Vec<Job>,
    made: usize,
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

/// A [`Sink`] running the IM SDK lens over one input.
pub struct DiagnoseSink<F> {
    engine: Engine,
    picker: Arc<Picker>,
    lines: Lines,
    /// Picks of text scanned on the caller's thread.
    inline: Picks,
    /// The scanner thread, if any.
    thread: Option<Threaded>,
    /// The decoder's workers pick and read ahead.
    hooked: bool,
    on_finding: F,
    summary: Option<Summary>,
}

impl<F: FnMut(&Finding) -> io::Result<()>> DiagnoseSink<F> {
    /// A sink with these rules, calling `on_finding` for each finding in
    /// order; everything runs on the caller's thread.
    pub fn new(rules: Arc<RuleSet>, on_finding: F) -> DiagnoseSink<F> {
        DiagnoseSink {
            picker: Arc::new(Picker::new(Arc::clone(&rules))),
            engine: Engine::new(rules),
            lines: Lines::default(),
            inline: Picks::default(),
            thread: None,
            hooked: false,
            on_finding,
            summary: None,
        }
    }

    /// Like [`new`](DiagnoseSink::new), the picking done on the decoder's
    /// worker threads, and for text without their work on a thread of its
    /// own (inline should the thread not start).
    pub fn threaded(rules: Arc<RuleSet>, on_finding: F) -> DiagnoseSink<F> {
        let mut sink = DiagnoseSink::new(rules, on_finding);
        sink.hooked = true;
        let picker = Arc::clone(&sink.picker);
        let (jobs, job_rx) = sync_channel::<Job>(IN_FLIGHT);
        let (done_tx, done) = sync_channel::<Job>(IN_FLIGHT + 1);
        let thread = std::thread::Builder::new()
            .name("imsdk-scan".into())
            .spawn(move || {
                while let Ok(Job(buf, mut picks)) = job_rx.recv() {
                    scan_one(&picker, &buf, &mut picks);
                    if done_tx.send(Job(buf, picks)).is_err() {
                        return;
                    }
                }
            });
        if let Ok(thread) = thread {
            sink.thread = Some(Threaded {
                jobs,
                done,
                thread: Some(thread),
                in_flight: 0,
                free: Vec::new(),
                made: 0,
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
        self.lines.lines + u64::from(self.summary.is_some() && self.lines.open_line)
    }

    /// Feeds decoded text directly (tests, text inputs).
    pub fn text(&mut self, text: &[u8]) -> io::Result<()> {
        if text.is_empty() {
            return Ok(());
        }
        if self.thread.is_none() {
            self.scan_here(text);
            return self.emit();
        }
        // A free job, or a new one while fewer than the queue holds
        // exist; else wait for one to come back.
        let mut job = loop {
            let t = self.thread.as_mut().expect("the thread is there");
            if let Some(j) = t.free.pop() {
                break j;
            }
            if t.made < IN_FLIGHT + 2 {
                t.made += 1;
                break Job(Vec::new(), Picks::default());
            }
            self.take_one(true)?;
        };
        let t = self.thread.as_mut().expect("the thread is there");
        job.0.clear();
        job.0.extend_from_slice(text);
        t.jobs.send(job).map_err(|_| scanner_gone())?;
        t.in_flight += 1;
        while self.take_one(false)? {}
        self.emit()
    }

    /// Scans `text` on this thread and takes it.
    fn scan_here(&mut self, text: &[u8]) {
        scan_one(&self.picker, text, &mut self.inline);
        if let Some((b, picks)) = self.inline.block(0) {
            let engine = &mut self.engine;
            self.lines.chunk(&self.picker, engine, text, b, picks);
        }
    }

    /// Takes the scanner thread's next result, waiting for it if `wait`.
    /// Returns whether one was taken.
    fn take_one(&mut self, wait: bool) -> io::Result<bool> {
        let Some(t) = self.thread.as_mut().filter(|t| t.in_flight > 0) else {
            return Ok(false);
        };
        let job = if wait {
            t.done.recv().map_err(|_| scanner_gone())?
        } else {
            match t.done.try_recv() {
                Ok(j) => j,
                Err(std::sync::mpsc::TryRecvError::Empty) => return Ok(false),
                Err(_) => return Err(scanner_gone()),
            }
        };
        t.in_flight -= 1;
        if let Some((b, picks)) = job.1.block(0) {
            self.lines
                .chunk(&self.picker, &mut self.engine, &job.0, b, picks);
        }
        if let Some(t) = self.thread.as_mut() {
            t.free.push(job);
        }
        Ok(true)
    }

    /// Takes every chunk the scanner thread still has.
    fn take_all(&mut self) -> io::Result<()> {
        while self.take_one(true)? {
            for f in self.engine.drain() {
                (self.on_finding)(&f)?;
            }
        }
        Ok(())
    }

    /// A block's text with what a worker picked in it.
    fn worked(&mut self, text: &[u8], worked: Worked<'_>) -> io::Result<()> {
        if text.is_empty() {
            return Ok(());
        }
        // What the thread holds comes first.
        self.take_all()?;
        let block = worked
            .results
            .as_any()
            .downcast_ref::<Picks>()
            .and_then(|p| p.block(worked.block))
            .filter(|(b, _)| b.len == Some(text.len()));
        match block {
            Some((b, picks)) => self
                .lines
                .chunk(&self.picker, &mut self.engine, text, b, picks),
            // Not worked on (a block the worker could not decode).
            None => self.scan_here(text),
        }
        self.emit()
    }

    /// Ends the input: the last line is judged and the summary made.
    pub fn end(&mut self) -> io::Result<&Summary> {
        self.take_all()?;
        self.lines.end(&self.picker, &mut self.engine);
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

    fn hook(&self) -> Option<Arc<dyn BlockHook>> {
        self.hooked
            .then(|| Arc::new(ScanHook(Arc::clone(&self.picker))) as Arc<dyn BlockHook>)
    }

    fn worked_text(&mut self, text: &[u8], worked: Worked<'_>) -> io::Result<()> {
        self.worked(text, worked)
    }
}
