//! The loader thread: decodes the opened files with the library's
//! [`Decoder`] into a [`StoreSink`] and sends rows (and where their text
//! lies in the file) to the viewer in batches, small ones first so the
//! first screen shows at once.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

use crate::decode::event::{BlockInfo, Event, LockReason, Sink};
use crate::decode::format::is_magic;
use crate::decode::input::MmapInput;
use crate::decode::reader::{Decoder, Mmap3Mode, Options};
use crate::decode::summary::Summary;
use crate::decode::text::TextSink;
use crate::record::{Level, Record, RecordSplitter};
use crate::select::filter::Filter;
use crate::select::filtered::{FilterSink, RecordSink};
use crate::tui::lens::FileLens;
use crate::tui::store::{Batch, Piece, RowKind};

/// The first batch is sent after this much held work (a row counts 64
/// bytes, arena text its size: 256 rows, a first screen and more), or
/// after [`FIRST_WAIT`].
const FIRST_BATCH: usize = 16 * 1024;
/// Batches grow to this size.
const MAX_BATCH: usize = 8 * 1024 * 1024;
/// A batch is sent at the latest after this long.
const FIRST_WAIT: Duration = Duration::from_millis(30);
/// Text files are read in pieces of this size.
const READ_PIECE: usize = 1024 * 1024;

/// What the loader tells the viewer.
#[derive(Debug)]
pub enum Msg {
    /// More rows; `pos` is the input offset reached in file `file`.
    Batch {
        /// The rows.
        batch: Batch,
        /// File index.
        file: u16,
        /// Bytes of that file consumed so far.
        pos: u64,
    },
    /// File `file` is done (`summary` is `None` for a text file).
    FileDone {
        /// File index.
        file: u16,
        /// The decoder's counts.
        summary: Option<Summary>,
        /// Why the file could not be read, if it could not.
        error: Option<String>,
    },
    /// Every file is done.
    AllDone,
}

/// A running loader; dropping it asks the thread to stop.
pub struct Loader {
    /// Messages from the thread.
    pub rx: Receiver<Msg>,
    stop: Arc<AtomicBool>,
}

impl Drop for Loader {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Loader {
    /// Starts loading `files` in order; file `i` gets index `i`.
    pub fn spawn(files: Vec<PathBuf>, opts: Options) -> Loader {
        let (tx, rx) = channel();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::spawn(move || {
            for (i, f) in files.iter().enumerate() {
                let file = i as u16;
                let (summary, error) = match load_one(f, file, &opts, &tx, &flag) {
                    Ok(s) => (s, None),
                    Err(e) => (None, Some(e)),
                };
                if flag.load(Ordering::Relaxed)
                    || tx
                        .send(Msg::FileDone {
                            file,
                            summary,
                            error,
                        })
                        .is_err()
                {
                    return;
                }
            }
            let _ = tx.send(Msg::AllDone);
        });
        Loader { rx, stop }
    }
}

/// How a file is read.
fn is_xlog(path: &Path, head: &[u8]) -> bool {
    match path.extension().and_then(|e| e.to_str()) {
        Some("xlog" | "mmap3") => true,
        _ => head.first().is_some_and(|&b| is_magic(b)),
    }
}

fn load_one(
    path: &Path,
    file: u16,
    opts: &Options,
    tx: &Sender<Msg>,
    stop: &Arc<AtomicBool>,
) -> Result<Option<Summary>, String> {
    let shown = path.display();
    let f = File::open(path).map_err(|e| format!("{shown}: {e}"))?;
    let mut head = [0u8; 1];
    let n = (&f).read(&mut head).map_err(|e| format!("{shown}: {e}"))?;
    if !is_xlog(path, &head[..n]) {
        // Already-decoded text: records straight from the splitter.
        let mut f = File::open(path).map_err(|e| format!("{shown}: {e}"))?;
        let log = Rc::new(RefCell::new(TextLog::default()));
        let mut sink = StoreSink::new(file, tx.clone(), stop.clone(), log);
        sink.batch.plain = true;
        let mut splitter = RecordSplitter::new();
        let mut buf = vec![0u8; READ_PIECE];
        loop {
            let n = match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(format!("{shown}: read error at byte {}: {e}", sink.pos));
                }
            };
            sink.pos += n as u64;
            splitter
                .push(&buf[..n], |r| sink.record(&r))
                .map_err(|e| e.to_string())?;
        }
        splitter
            .finish(|r| sink.record(&r))
            .map_err(|e| e.to_string())?;
        sink.finish(&Summary::default())
            .map_err(|e| e.to_string())?;
        return Ok(None);
    }
    let mut o = opts.clone();
    let mmap3 = path.extension().is_some_and(|e| e == "mmap3");
    if mmap3 {
        o.mmap3 = Mmap3Mode::Always;
    }
    let mut input = MmapInput::open(&f).map_err(|e| format!("{shown}: {e}"))?;
    let mut sink = store_sink(file, tx.clone(), stop.clone(), mmap3);
    Decoder::new(o)
        .decode(&mut input, &mut sink)
        .map(Some)
        .map_err(|e| format!("{shown}: {e}"))
}

/// Where the decoded text of a file comes from, as the decoder goes:
/// the pieces (one per block) and the ranges that cannot be decoded again
/// block by block (salvaged and recovered blocks, crash buffers).
#[derive(Debug, Default)]
pub struct TextLog {
    /// Decoded bytes seen so far.
    text_off: u64,
    open: Option<Piece>,
    closed: Vec<Piece>,
    /// Ranges of the decoded text kept in memory; the last may be open
    /// (`u64::MAX`).
    pinned: VecDeque<(u64, u64)>,
    pin_all: bool,
}

impl TextLog {
    fn close(&mut self) {
        if let Some(p) = self.open.take()
            && p.len > 0
        {
            self.closed.push(p);
        }
        if let Some(last) = self.pinned.back_mut()
            && last.1 == u64::MAX
        {
            last.1 = self.text_off;
        }
    }

    fn block(&mut self, b: &BlockInfo) {
        self.close();
        self.open = Some(Piece {
            text: self.text_off,
            len: 0,
            offset: b.offset,
            block_len: b.block_len(),
        });
    }

    fn pin(&mut self) {
        self.close();
        self.pinned.push_back((self.text_off, u64::MAX));
    }

    fn text(&mut self, len: usize) {
        match &mut self.open {
            Some(p) => p.len += len as u64,
            // Text outside a block the decoder could redo: kept.
            None if self.pinned.back().is_none_or(|r| r.1 != u64::MAX) => {
                self.pinned.push_back((self.text_off, u64::MAX))
            }
            None => {}
        }
        self.text_off += len as u64;
    }

    /// Whether the decoded range `from..to` must be kept in memory.
    fn is_pinned(&mut self, from: u64, to: u64) -> bool {
        if self.pin_all {
            return true;
        }
        while self.pinned.front().is_some_and(|r| r.1 <= from) {
            self.pinned.pop_front();
        }
        self.pinned.iter().any(|r| r.0 < to && r.1 > from)
    }

    /// The pieces since the last call, the open one as far as it goes.
    fn take_pieces(&mut self) -> Vec<Piece> {
        let mut v = std::mem::take(&mut self.closed);
        if let Some(p) = self.open
            && p.len > 0
        {
            v.push(p);
        }
        v
    }
}

/// The decoder's sink for the viewer: notes where each block's text goes
/// ([`TextLog`]) and passes the events on to a [`FilterSink`] with an
/// empty filter (so every record), which cuts the text into records for
/// a [`StoreSink`].
pub struct Tracked {
    inner: FilterSink<StoreSink>,
    log: Rc<RefCell<TextLog>>,
}

impl Sink for Tracked {
    fn event(&mut self, event: &Event<'_>) -> io::Result<()> {
        {
            let mut log = self.log.borrow_mut();
            match event {
                Event::Text(t) => log.text(t.len()),
                Event::Block(b) => log.block(b),
                Event::Salvaged { .. } | Event::Recovered { .. } => log.pin(),
                _ => log.close(),
            }
        }
        self.inner.event(event)
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.log.borrow_mut().close();
        self.inner.finish(summary)
    }
}

/// The viewer's end of the record stream: a [`RecordSink`] that turns
/// records into rows (their place in the decoded text, not their bytes)
/// and completes the open record before each integrity event. Integrity
/// rows hold the very line the text printer writes for the event, so the
/// rows of a file concatenate to the CLI's output.
pub struct StoreSink {
    file: u16,
    batch: Batch,
    locked: Vec<(BlockInfo, LockReason)>,
    tx: Sender<Msg>,
    stop: Arc<AtomicBool>,
    /// Input offset reached.
    pub pos: u64,
    /// Decoded offset of the next record.
    rec_off: u64,
    log: Rc<RefCell<TextLog>>,
    limit: usize,
    since: Instant,
    /// The IM SDK lens over this file's records.
    lens: FileLens,
}

/// The decoder's sink for the viewer; `pin_all` keeps every row's text in
/// memory (a crash buffer: small, and not decodable block by block).
pub fn store_sink(file: u16, tx: Sender<Msg>, stop: Arc<AtomicBool>, pin_all: bool) -> Tracked {
    let log = Rc::new(RefCell::new(TextLog {
        pin_all,
        ..Default::default()
    }));
    let sink = StoreSink::new(file, tx, stop, log.clone());
    Tracked {
        inner: FilterSink::new(sink, Filter::default()),
        log,
    }
}

impl StoreSink {
    /// A sink for file `file` sending to `tx`.
    pub fn new(
        file: u16,
        tx: Sender<Msg>,
        stop: Arc<AtomicBool>,
        log: Rc<RefCell<TextLog>>,
    ) -> StoreSink {
        StoreSink {
            file,
            batch: Batch::default(),
            locked: Vec::new(),
            tx,
            stop,
            pos: 0,
            rec_off: 0,
            log,
            limit: FIRST_BATCH,
            since: Instant::now(),
            lens: FileLens::default(),
        }
    }

    fn send(&mut self) -> io::Result<()> {
        if self.stop.load(Ordering::Relaxed) {
            return Err(io::Error::other("viewer closed"));
        }
        let next = Batch::after(&self.batch);
        self.lens.sent += self.batch.rows.len() as u64;
        let mut batch = std::mem::replace(&mut self.batch, next);
        batch.pieces = self.log.borrow_mut().take_pieces();
        self.limit = (self.limit * 4).min(MAX_BATCH);
        self.since = Instant::now();
        self.tx
            .send(Msg::Batch {
                batch,
                file: self.file,
                pos: self.pos,
            })
            .map_err(|_| io::Error::other("viewer closed"))
    }

    fn maybe_send(&mut self) -> io::Result<()> {
        if self.pending() >= self.limit
            || (!self.batch.rows.is_empty() && self.since.elapsed() >= FIRST_WAIT)
        {
            self.send()?;
        }
        Ok(())
    }

    /// Work held in the batch: rows count for their size in the store,
    /// arena bytes for themselves.
    fn pending(&self) -> usize {
        self.batch.rows.len() * 64 + self.batch.arena.len()
    }

    /// The printer's line for a run of locked blocks.
    fn flush_locked(&mut self) -> io::Result<()> {
        if self.locked.is_empty() {
            return Ok(());
        }
        let mut p = TextSink::new(Vec::new(), true);
        for (block, reason) in self.locked.drain(..) {
            p.event(&Event::Locked { block, reason })?;
        }
        p.finish(&Summary::default())?;
        let line = p.into_inner();
        self.batch.push_integrity(&line, RowKind::Locked, self.file);
        Ok(())
    }

    /// Takes the place of the next `len` decoded bytes: (offset, kept in memory).
    fn place(&mut self, len: usize) -> (u64, bool) {
        let off = self.rec_off;
        self.rec_off += len as u64;
        (off, self.log.borrow_mut().is_pinned(off, self.rec_off))
    }
}

impl RecordSink for StoreSink {
    fn record(&mut self, rec: &Record<'_>) -> io::Result<()> {
        if !self.locked.is_empty() {
            self.flush_locked()?;
        }
        let (off, pinned) = self.place(rec.bytes.len());
        let row = self.lens.row(self.batch.rows.len());
        self.lens.record(row, rec.bytes, &mut self.batch.findings);
        self.batch.push_record(rec.bytes, off, self.file, pinned);
        // Look at the clock only now and then: this runs once per record.
        if self.batch.rows.len().is_multiple_of(256) {
            self.maybe_send()?;
        }
        Ok(())
    }

    /// The pieces of a long record are rows of their own, after its first.
    fn record_rest(&mut self, _: Option<Level>, bytes: &[u8], _: bool) -> io::Result<()> {
        let (off, pinned) = self.place(bytes.len());
        self.lens.lines += crate::tui::lens::newlines(bytes);
        self.batch.push_rest(bytes, off, self.file, pinned);
        if self.pending() >= self.limit {
            self.maybe_send()?;
        }
        Ok(())
    }

    fn event(&mut self, event: &Event<'_>) -> io::Result<()> {
        let kind = match event {
            Event::Block(b) => {
                self.pos = b.offset + b.block_len();
                return Ok(());
            }
            Event::Locked { block, reason } => {
                if self.locked.last().is_some_and(|(_, r)| r != reason) {
                    self.flush_locked()?;
                }
                self.locked.push((*block, *reason));
                return Ok(());
            }
            Event::Text(_) => return Ok(()),
            Event::SeqGap(_) => RowKind::SeqGap,
            Event::Skipped { .. } => RowKind::Skipped,
            // A block cut at the output cap did not fully decompress either.
            Event::DecompressError { .. } | Event::OutputCapped { .. } => RowKind::DecompressError,
            // Text the official decoder drops, decoded after all.
            Event::Salvaged { .. } | Event::Recovered { .. } => RowKind::Salvaged,
        };
        self.flush_locked()?;
        let mut p = TextSink::new(Vec::new(), true);
        p.event(event)?;
        let line = p.into_inner();
        if !line.is_empty() {
            self.batch.push_integrity(&line, kind, self.file);
        }
        self.maybe_send()
    }

    fn finish(&mut self, _summary: &Summary) -> io::Result<()> {
        self.flush_locked()?;
        self.lens.finish(&mut self.batch.findings);
        self.send()
    }
}

#[cfg(test)]
mod tests;
