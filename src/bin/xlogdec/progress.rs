//! The progress bar on stderr: bytes of input read, over all inputs.
//! Shown only when stderr is a terminal, the decoded text does not go to a
//! terminal (the bar would be drawn into it), the run is long enough to
//! matter (several inputs, or one large file), and neither `--no-progress`
//! nor `-q` was given.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{self, IsTerminal};
use xlogdec::input::{Input, Window};

/// A single input below this size gets no bar.
const LARGE_INPUT: u64 = 64 * 1024 * 1024;

/// Progress over a run (a no-op when hidden).
#[derive(Clone)]
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A hidden progress.
    pub fn hidden() -> Progress {
        Progress { bar: None }
    }

    /// A bar for `files` inputs of `total()` bytes, if wanted (`total` is
    /// only asked when the bar can show).
    pub fn new(files: usize, total: impl FnOnce() -> u64, enabled: bool) -> Progress {
        if !enabled || !io::stderr().is_terminal() {
            return Progress::hidden();
        }
        let total = total();
        if files < 2 && total < LARGE_INPUT {
            return Progress::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message(format!("0/{files} files"));
        Progress { bar: Some(bar) }
    }

    /// Input bytes were read.
    pub fn read(&self, bytes: u64) {
        if let Some(b) = &self.bar {
            b.inc(bytes);
            // An input of unknown size (standard input) grows the total.
            if b.length().is_some_and(|len| b.position() > len) {
                b.set_length(b.position());
            }
        }
    }

    /// `done` of `files` inputs are finished.
    pub fn files_done(&self, done: usize, files: usize) {
        if let Some(b) = &self.bar {
            b.set_message(format!("{done}/{files} files"));
        }
    }

    /// Prints a line above the bar (or plainly, without one).
    pub fn println(&self, line: &str) {
        match &self.bar {
            Some(b) => b.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// An input that reports how far the decoder has read.
pub struct Counted<'p, I> {
    inner: I,
    progress: &'p Progress,
    /// Offset reported so far.
    pos: u64,
}

impl<'p, I: Input> Counted<'p, I> {
    /// Wraps `inner`.
    pub fn new(inner: I, progress: &'p Progress) -> Self {
        Counted {
            inner,
            progress,
            pos: 0,
        }
    }

    /// Reports the rest of an input of `size` bytes as read.
    pub fn done(&mut self, size: u64) {
        if size > self.pos {
            self.progress.read(size - self.pos);
            self.pos = size;
        }
    }
}

impl<I: Input> Input for Counted<'_, I> {
    fn fetch(&mut self, from: u64, to: u64) -> io::Result<Window<'_>> {
        let Counted {
            inner,
            progress,
            pos,
        } = self;
        let w = inner.fetch(from, to)?;
        // Only what exists counts: the decoder asks for `u64::MAX - 1` to
        // learn the size.
        let reached = from.min(w.end());
        if reached > *pos {
            progress.read(reached - *pos);
            *pos = reached;
        }
        Ok(w)
    }

    fn release(&mut self, offset: u64) {
        self.inner.release(offset)
    }

    fn size_hint(&self) -> Option<u64> {
        self.inner.size_hint()
    }
}
