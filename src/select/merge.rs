//! One timeline from several decoded inputs: a streaming k-way merge of
//! records by timestamp.
//!
//! Each source is an iterator of records (as [`RecordWriter`] cuts them
//! from decoded text), in its own file order. [`Merge`] holds one record
//! per source and always yields the earliest; equal times come out in
//! source order, and a source's own order is never changed. A record
//! without a timestamp (a marker line, a banner) takes the time of the
//! record before it in its source, so it stays beside it. A record longer
//! than [`MAX_PIECE`] bytes comes in pieces (see [`Piece`]): it is ordered
//! by its first piece, and its other pieces follow it at once.
//!
//! A `.mmap3` crash buffer holds lines that the writer later appended to
//! the `.xlog` as well. When a timestamped record has the same bytes as
//! one recently taken from *another* source, it is shown once: each copy
//! cancels one earlier copy, so lines genuinely repeated within a source
//! are all kept.
//!
//! ```
//! use xlogdec::select::merge::Merge;
//! let a = vec![b"[I][2024-01-31 +8.0 10:00:00.000][1, 1][t][f.cc:1, f][a\n".to_vec()];
//! let b = vec![b"[I][2024-01-31 +8.0 09:00:00.000][1, 1][t][f.cc:1, f][b\n".to_vec()];
//! let merged: Vec<_> = Merge::new(vec![a.into_iter(), b.into_iter()]).map(|(src, _)| src).collect();
//! assert_eq!(merged, [1, 0]);
//! ```

use crate::record::formats::meta::start_offset;
use crate::record::{MAX_PIECE, Part, Record, RecordSplitter};
use std::cmp::Reverse;
use std::collections::hash_map::DefaultHasher;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::io::{self, Write};

/// How many recently merged records are remembered to recognise copies.
/// A crash buffer holds at most 150 KiB of text, a few thousand records.
pub const DEDUP_WINDOW: usize = 16 * 1024;

/// At most this many bytes of the remembered records are kept (older
/// ones are forgotten first), so long records cannot grow the window.
pub const DEDUP_BYTES: usize = 8 * 1024 * 1024;

/// A record as a source yields it: whole, or a piece of one longer than
/// [`MAX_PIECE`] bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Where they lie in their record.
    pub part: Part,
}

impl From<Vec<u8>> for Piece {
    /// A whole record.
    fn from(bytes: Vec<u8>) -> Piece {
        Piece {
            bytes,
            part: Part::WHOLE,
        }
    }
}

/// The time a record sorts by: UTC milliseconds when its header carries
/// an offset, else its local time read as UTC; `None` without a header.
pub fn record_time(bytes: &[u8]) -> Option<i64> {
    record_time_in(bytes, None)
}

/// [`record_time`] for a record whose shape writes no UTC offset (the
/// IM SDK's), read in `context`: the offset of the Mars open banner
/// before it in its source.
pub fn record_time_in(bytes: &[u8], context: Option<i32>) -> Option<i64> {
    let header = Record::parse_in(bytes, context).header?;
    let ts = header.timestamp;
    Some(ts.utc_millis().unwrap_or_else(|| ts.local_millis()))
}

/// A `Write` that cuts decoded text into records and passes each record
/// (or piece of a record longer than [`MAX_PIECE`] bytes) to a callback.
/// Call [`RecordWriter::finish`] at the end of the text for the last record.
pub struct RecordWriter<F> {
    splitter: RecordSplitter,
    emit: F,
}

impl<F: FnMut(&[u8], Part) -> io::Result<()>> RecordWriter<F> {
    /// A writer calling `emit` with the bytes of each record or piece.
    pub fn new(emit: F) -> RecordWriter<F> {
        RecordWriter {
            splitter: RecordSplitter::new(),
            emit,
        }
    }

    /// Passes the last, still open record on.
    pub fn finish(&mut self) -> io::Result<()> {
        let emit = &mut self.emit;
        self.splitter.finish_parts(emit)
    }
}

impl<F: FnMut(&[u8], Part) -> io::Result<()>> Write for RecordWriter<F> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let emit = &mut self.emit;
        self.splitter.push_parts(buf, emit)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

struct Source<I> {
    iter: I,
    /// Records read ahead (the head first), with their own times.
    queue: VecDeque<(Piece, Option<i64>)>,
    /// Sort key of the last record with a timestamp (inherited by the
    /// records without one).
    last: i64,
    /// The UTC offset of the last Mars open banner read from the source.
    offset: Option<i32>,
}

/// How far a source is read ahead to find the time of the untimed records
/// at its start (the writer's open banner has none).
const LOOKAHEAD: usize = 64;

/// A remembered record, for recognising copies from other sources.
struct Seen {
    source: usize,
    bytes: Vec<u8>,
    /// Already cancelled by a copy.
    used: bool,
}

/// A piece's own sort key: its record's time, for a piece that starts one.
/// `offset`: the UTC offset of the last Mars open banner read before it
/// from its source, updated when the piece is one.
fn piece_time(p: &Piece, offset: &mut Option<i32>) -> Option<i64> {
    if p.part.cont {
        return None;
    }
    if let Some(o) = start_offset(&p.bytes) {
        *offset = o;
    }
    record_time_in(&p.bytes, *offset)
}

/// The k-way merge. Yields `(source index, record bytes)`.
pub struct Merge<I> {
    sources: Vec<Source<I>>,
    heap: BinaryHeap<Reverse<(i64, usize)>>,
    seen: VecDeque<Seen>,
    /// Serial number of `seen[0]`.
    seen_base: u64,
    by_hash: HashMap<u64, Vec<u64>>,
    /// Bytes of the remembered records.
    seen_bytes: usize,
    window: usize,
    duplicates: u64,
    /// The source whose long record is being yielded piece by piece.
    sticky: Option<usize>,
}

impl<I: Iterator<Item: Into<Piece>>> Merge<I> {
    /// Merges `sources`, each in its own order.
    pub fn new(sources: Vec<I>) -> Merge<I> {
        Self::with_window(sources, DEDUP_WINDOW)
    }

    /// Like [`Merge::new`], remembering the last `window` records for
    /// copy detection (0 turns it off).
    pub fn with_window(sources: Vec<I>, window: usize) -> Merge<I> {
        let mut m = Merge {
            sources: sources
                .into_iter()
                .map(|iter| Source {
                    iter,
                    queue: VecDeque::new(),
                    last: i64::MIN,
                    offset: None,
                })
                .collect(),
            heap: BinaryHeap::new(),
            seen: VecDeque::new(),
            seen_base: 0,
            by_hash: HashMap::new(),
            seen_bytes: 0,
            window,
            duplicates: 0,
            sticky: None,
        };
        for i in 0..m.sources.len() {
            m.refill(i);
        }
        m
    }

    /// Records left out as copies so far.
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// Puts source `i`'s next record in the heap, with its sort key.
    fn refill(&mut self, i: usize) {
        let src = &mut self.sources[i];
        if src.queue.is_empty() {
            let Some(p) = src.iter.next() else {
                return;
            };
            let p = p.into();
            let t = piece_time(&p, &mut src.offset);
            src.queue.push_back((p, t));
        }
        let key = match src.queue[0].1 {
            Some(t) => t,
            None if src.last != i64::MIN => src.last,
            None => {
                // Untimed records at the start sort with the first timed
                // record after them.
                loop {
                    if let Some(t) = src.queue.iter().find_map(|q| q.1) {
                        break t;
                    }
                    let held: usize = src.queue.iter().map(|q| q.0.bytes.len()).sum();
                    if src.queue.len() >= LOOKAHEAD || held > MAX_PIECE {
                        break i64::MIN;
                    }
                    let Some(p) = src.iter.next() else {
                        break i64::MIN;
                    };
                    let p = p.into();
                    let t = piece_time(&p, &mut src.offset);
                    src.queue.push_back((p, t));
                }
            }
        };
        self.heap.push(Reverse((key, i)));
    }

    /// Whether `bytes` (from `source`) cancels a remembered copy from
    /// another source; otherwise remembers it.
    fn is_copy(&mut self, source: usize, bytes: &[u8]) -> bool {
        let mut h = DefaultHasher::new();
        bytes.hash(&mut h);
        let hash = h.finish();
        if let Some(serials) = self.by_hash.get(&hash) {
            for &s in serials {
                let seen = &mut self.seen[(s - self.seen_base) as usize];
                if !seen.used && seen.source != source && seen.bytes == bytes {
                    seen.used = true;
                    return true;
                }
            }
        }
        let serial = self.seen_base + self.seen.len() as u64;
        self.seen.push_back(Seen {
            source,
            bytes: bytes.to_vec(),
            used: false,
        });
        self.seen_bytes += bytes.len();
        self.by_hash.entry(hash).or_default().push(serial);
        while (self.seen.len() > self.window || self.seen_bytes > DEDUP_BYTES)
            && let Some(old) = self.seen.pop_front()
        {
            self.seen_bytes -= old.bytes.len();
            let mut h = DefaultHasher::new();
            old.bytes.hash(&mut h);
            let old_hash = h.finish();
            if let Some(v) = self.by_hash.get_mut(&old_hash) {
                v.retain(|&s| s != self.seen_base);
                if v.is_empty() {
                    self.by_hash.remove(&old_hash);
                }
            }
            self.seen_base += 1;
        }
        false
    }
}

impl<I: Iterator<Item: Into<Piece>>> Iterator for Merge<I> {
    type Item = (usize, Vec<u8>);

    fn next(&mut self) -> Option<(usize, Vec<u8>)> {
        if let Some(i) = self.sticky {
            // The next piece of a long record, before anything else.
            let src = &mut self.sources[i];
            let next = match src.queue.pop_front() {
                Some((p, _)) => Some(p),
                None => src.iter.next().map(Into::into),
            };
            match next {
                Some(p) if p.part.cont => {
                    if !p.part.more {
                        self.sticky = None;
                        self.refill(i);
                    }
                    return Some((i, p.bytes));
                }
                other => {
                    // The source ended the record early: carry on.
                    self.sticky = None;
                    if let Some(p) = other {
                        let src = &mut self.sources[i];
                        let t = piece_time(&p, &mut src.offset);
                        src.queue.push_front((p, t));
                    }
                    self.refill(i);
                }
            }
        }
        loop {
            let Reverse((_, i)) = self.heap.pop()?;
            let src = &mut self.sources[i];
            let (piece, time) = src
                .queue
                .pop_front()
                .expect("a source in the heap has a head");
            if let Some(t) = time {
                src.last = t;
            }
            let Piece { bytes, part } = piece;
            if part.more {
                // Its other pieces come next; the source waits until then.
                self.sticky = Some(i);
                return Some((i, bytes));
            }
            self.refill(i);
            let dedup = self.window > 0 && self.sources.len() > 1 && part == Part::WHOLE;
            if dedup && time.is_some() && self.is_copy(i, &bytes) {
                self.duplicates += 1;
                continue;
            }
            return Some((i, bytes));
        }
    }
}

#[cfg(test)]
mod tests;
