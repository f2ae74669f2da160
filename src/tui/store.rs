//! The viewer's base list: every record and integrity row of the opened
//! input(s), in arrival order, without their text.
//!
//! A [`Row`] is 16 bytes: where its bytes lie in its file's decoded text,
//! its level and kind. The text itself is not kept: each file has a list
//! of [`Piece`]s (one per decoded block: its input offset and where its
//! text lies in the decoded stream), and a row's bytes are decoded again
//! from the file on demand, through a cache of a bounded number of bytes
//! ([`Store::set_cache_limit`]). Already-decoded text files are read back
//! directly. The few rows the decoder alone could make (integrity lines,
//! text of salvaged blocks, crash buffers) are kept in a small arena.
//! Filtered views are vectors of row numbers over it (see
//! [`crate::tui::app`]), never copies of the text.

use std::cell::RefCell;
mod ahead;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Arc;

use crate::decode::reader::{Decoder, Options};
use crate::record::formats::meta::{Metadata, start_offset};
use crate::record::{Level, Record};

mod cache;
pub use cache::*;

/// What a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowKind {
    /// A record of the decoded text (header line plus continuation lines,
    /// or raw text such as banners).
    Text,
    /// The official decoder's seq check fired.
    SeqGap,
    /// Bytes skipped to find the next block.
    Skipped,
    /// A block whose payload did not decompress.
    DecompressError,
    /// Encrypted blocks left undecoded (no key, or a key that does not fit).
    Locked,
    /// A block beyond the official decoder's reach was recovered (a crash
    /// buffer's tail, a cut-off last block).
    Salvaged,
}

impl RowKind {
    /// Whether the row reports an integrity finding rather than log text.
    pub fn is_integrity(self) -> bool {
        self != RowKind::Text
    }

    /// The one-character gutter marker of an integrity row.
    pub fn marker(self) -> char {
        match self {
            RowKind::Text => ' ',
            RowKind::SeqGap => 'G',
            RowKind::Skipped => 'C',
            RowKind::DecompressError => 'Z',
            RowKind::Locked => 'K',
            RowKind::Salvaged => 'R',
        }
    }

    /// A short name for the status bar.
    pub fn name(self) -> &'static str {
        match self {
            RowKind::Text => "text",
            RowKind::SeqGap => "gap",
            RowKind::Skipped => "corrupt",
            RowKind::DecompressError => "bad block",
            RowKind::Locked => "locked",
            RowKind::Salvaged => "recovered",
        }
    }

    /// Integrity kinds, in status-bar order.
    pub const INTEGRITY: [RowKind; 5] = [
        RowKind::Skipped,
        RowKind::SeqGap,
        RowKind::DecompressError,
        RowKind::Locked,
        RowKind::Salvaged,
    ];

    fn index(self) -> usize {
        match self {
            RowKind::Text => 0,
            RowKind::SeqGap => 1,
            RowKind::Skipped => 2,
            RowKind::DecompressError => 3,
            RowKind::Locked => 4,
            RowKind::Salvaged => 5,
        }
    }
}

/// Set in [`Row::off`] when the bytes are in the store's arena rather
/// than in the file's decoded text.
pub const ARENA: u64 = 1 << 63;

/// One row of the base list: where its bytes are and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    /// Offset of the bytes in the file's decoded text, or in the arena
    /// when [`ARENA`] is set.
    pub off: u64,
    /// Length of the bytes.
    pub len: u32,
    /// Which opened file the row comes from (index into the file list).
    pub file: u16,
    /// Level from `[L]` at the start, if any (never for integrity rows).
    pub level: Option<Level>,
    /// Record or integrity finding.
    pub kind: RowKind,
}

/// Where the text of a piece of a file's decoded stream comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    /// Offset of the piece's first byte in the decoded stream.
    pub text: u64,
    /// Decoded bytes of the piece (of a block still being read: so far).
    pub len: u64,
    /// Input offset of the block that decodes to it.
    pub offset: u64,
    /// Input bytes of that block.
    pub block_len: u64,
}

/// A run of rows produced by the loader.
#[derive(Debug, Default)]
pub struct Batch {
    /// Rows; an arena row's offset is relative to `arena`.
    pub rows: Vec<Row>,
    /// Bytes of the arena rows, back to back.
    pub arena: Vec<u8>,
    /// Local time of each row, seconds since the epoch (0: none known).
    pub times: Vec<u32>,
    /// Instant of each row for merging files, ms (a row without a
    /// timestamp has the one before it; `i64::MIN` before the first).
    pub millis: Vec<i64>,
    /// New pieces; the first may extend the last one sent.
    pub pieces: Vec<Piece>,
    /// How many records of each tag the batch holds.
    pub tags: HashMap<Vec<u8>, u64>,
    /// The file is text as it is (no pieces: offsets are file offsets).
    pub plain: bool,
    /// What the batch's banner lines say (SDK version, app id, ...).
    pub meta: Metadata,
    /// IM SDK findings of the rows so far;
    /// [`Finding::record`](crate::imsdk::Finding::record) is the row's
    /// number among the rows of its file.
    pub findings: Vec<crate::imsdk::Finding>,
    last_time: u32,
    last_millis: i64,
    /// The UTC offset of the file's last Mars open banner, which its IM
    /// SDK lines (that write none) take.
    offset: Option<i32>,
}

impl Batch {
    /// An empty batch carrying on from the times of the one before.
    pub fn after(prev: &Batch) -> Batch {
        Batch {
            plain: prev.plain,
            last_time: prev.last_time,
            last_millis: prev.last_millis,
            offset: prev.offset,
            ..Default::default()
        }
    }

    /// Appends a record row: its bytes at `off` of the decoded text, or
    /// copied into the arena when `arena`.
    pub fn push_record(&mut self, bytes: &[u8], off: u64, file: u16, arena: bool) {
        if bytes.first().is_some_and(|&b| b == b'^' || b == b'T') {
            self.meta.observe(bytes);
            if let Some(o) = start_offset(bytes) {
                self.offset = o;
            }
        }
        let rec = Record::parse_in(bytes, self.offset);
        if let Some(h) = &rec.header {
            match self.tags.get_mut(h.tag) {
                Some(n) => *n += 1,
                None => {
                    self.tags.insert(h.tag.to_vec(), 1);
                }
            }
            let local = h.timestamp.local_millis();
            self.last_time = u32::try_from(local.div_euclid(1000)).unwrap_or(0);
            self.last_millis = h.timestamp.utc_millis().unwrap_or(local);
        }
        self.push(bytes, off, file, rec.level, RowKind::Text, arena);
    }

    /// Appends a row holding a piece of a long record after its first
    /// (raw text: no level, no tag).
    pub fn push_rest(&mut self, bytes: &[u8], off: u64, file: u16, arena: bool) {
        self.push(bytes, off, file, None, RowKind::Text, arena);
    }

    /// Appends an integrity row (its text goes to the arena).
    pub fn push_integrity(&mut self, line: &[u8], kind: RowKind, file: u16) {
        self.push(line, 0, file, None, kind, true);
    }

    fn push(
        &mut self,
        bytes: &[u8],
        off: u64,
        file: u16,
        level: Option<Level>,
        kind: RowKind,
        arena: bool,
    ) {
        let off = if arena {
            let at = self.arena.len() as u64;
            self.arena.extend_from_slice(bytes);
            at | ARENA
        } else {
            off
        };
        self.rows.push(Row {
            off,
            len: bytes.len() as u32,
            file,
            level,
            kind,
        });
        self.times.push(self.last_time);
        self.millis.push(self.last_millis);
    }

    /// Decoded bytes the batch's rows cover.
    pub fn text_bytes(&self) -> u64 {
        self.rows.iter().map(|r| u64::from(r.len)).sum()
    }
}

/// The bytes of one row: shared with the cache, or its own.
#[derive(Debug, Clone)]
pub struct Text {
    buf: Arc<Vec<u8>>,
    start: usize,
    end: usize,
}

impl Text {
    fn own(v: Vec<u8>) -> Text {
        let end = v.len();
        Text {
            buf: Arc::new(v),
            start: 0,
            end,
        }
    }
}

impl Deref for Text {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        **self == **other
    }
}

impl Eq for Text {}

impl AsRef<[u8]> for Text {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

/// Every row received so far, and running counts over them.
#[derive(Default)]
pub struct Store {
    rows: Vec<Row>,
    times: Vec<u32>,
    millis: Option<Vec<i64>>,
    /// Arena bytes, one chunk per batch: (offset of its first byte, bytes).
    arena: Vec<(u64, Arc<Vec<u8>>)>,
    arena_len: u64,
    sources: Vec<Source>,
    opts: Options,
    cache: RefCell<Cache>,
    decoder: RefCell<Option<Decoder>>,
    ahead: RefCell<Option<ahead::Ahead>>,
    /// The piece read last.
    last: RefCell<Option<LastPiece>>,
    cache_limit: usize,
    /// Rows per level (index = level as V=0 .. F=5); integrity rows aside.
    pub level_counts: [u64; 6],
    /// Integrity rows per kind (index as [`RowKind`]'s internal order).
    kind_counts: [u64; 6],
    /// Records per tag.
    pub tag_counts: HashMap<Vec<u8>, u64>,
    /// Records per local minute (minutes since the epoch) and level.
    pub minutes: BTreeMap<u32, [u32; 6]>,
    /// Bytes of decoded text the rows cover.
    pub bytes: u64,
    /// What the banner lines say (SDK version, app id, ...).
    pub meta: Metadata,
}

impl Store {
    /// An empty store over `files`, decoded with `opts`.
    pub fn new(files: &[PathBuf], opts: Options) -> Store {
        Store {
            sources: files
                .iter()
                .map(|p| Source {
                    path: p.clone(),
                    ..Default::default()
                })
                .collect(),
            opts,
            cache_limit: CACHE_BYTES,
            ..Default::default()
        }
    }

    /// Bounds the cache of decoded text to `bytes` (at least one piece is
    /// always kept).
    pub fn set_cache_limit(&mut self, bytes: usize) {
        self.cache_limit = bytes;
    }

    /// Keeps each row's instant for [`Store::take_millis`] (merging files).
    pub fn keep_millis(&mut self) {
        self.millis = Some(Vec::new());
    }

    /// The rows' instants kept since [`Store::keep_millis`], handed over.
    pub fn take_millis(&mut self) -> Option<Vec<i64>> {
        self.millis.take()
    }

    /// Adds a batch from the loader for file `file`.
    pub fn append(&mut self, batch: Batch, file: u16) {
        let base = self.arena_len;
        if let Some(src) = self.sources.get_mut(usize::from(file)) {
            src.plain |= batch.plain;
            // Opened once, when its first rows come; re-reading reuses it
            // (and an error here shows when a row is read).
            if src.file.is_none() {
                src.file = File::open(&src.path).ok();
            }
            for p in batch.pieces {
                match src.pieces.last_mut() {
                    Some(last) if last.text == p.text => *last = p,
                    _ => src.pieces.push(p),
                }
            }
        }
        for (mut r, &t) in batch.rows.into_iter().zip(&batch.times) {
            if r.off & ARENA != 0 {
                r.off += base;
            }
            if let Some(l) = r.level {
                self.level_counts[l as usize] += 1;
                if t != 0 {
                    self.minutes.entry(t / 60).or_default()[l as usize] += 1;
                }
            }
            self.kind_counts[r.kind.index()] += 1;
            self.bytes += u64::from(r.len);
            self.rows.push(r);
        }
        self.times.extend_from_slice(&batch.times);
        if let Some(m) = &mut self.millis {
            m.extend_from_slice(&batch.millis);
        }
        if !batch.arena.is_empty() {
            self.arena_len += batch.arena.len() as u64;
            self.arena.push((base, Arc::new(batch.arena)));
        }
        self.meta.extend(&batch.meta);
        for (tag, n) in batch.tags {
            *self.tag_counts.entry(tag).or_insert(0) += n;
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Row `i`.
    pub fn row(&self, i: u32) -> Row {
        self.rows[i as usize]
    }

    /// Local time of row `i` in seconds since the epoch (that of the last
    /// timestamp before it for a row without one; 0 before any).
    pub fn time(&self, i: u32) -> u32 {
        self.times[i as usize]
    }

    /// The bytes of row `i`, decoded again from its file if they are not
    /// in the cache. Should the file no longer give the same text (it was
    /// changed or removed), the row's text says so instead.
    pub fn bytes_of(&self, i: u32) -> Text {
        let r = self.rows[i as usize];
        if r.off & ARENA != 0 {
            let at = r.off & !ARENA;
            let c = self.arena.partition_point(|(start, _)| *start <= at) - 1;
            let (start, buf) = &self.arena[c];
            let s = (at - start) as usize;
            return Text {
                buf: buf.clone(),
                start: s,
                end: s + r.len as usize,
            };
        }
        match self.read(r.file, r.off, u64::from(r.len)) {
            Ok(t) => t,
            Err(e) => {
                let path = self
                    .sources
                    .get(usize::from(r.file))
                    .map(|s| s.path.display().to_string())
                    .unwrap_or_default();
                Text::own(
                    format!("[xlogdec: cannot read the text back from {path}: {e}]\n").into_bytes(),
                )
            }
        }
    }

    /// Row `i` parsed as a record, given to `f`.
    pub fn with_record<T>(&self, i: u32, f: impl FnOnce(&Record<'_>) -> T) -> T {
        let t = self.bytes_of(i);
        f(&Record::parse(&t))
    }

    /// Pieces decoded or read back so far (a measure of re-reading work).
    pub fn loads(&self) -> u64 {
        self.cache.borrow().loads
    }

    /// Bytes of decoded text in the cache now.
    pub fn cached_bytes(&self) -> usize {
        self.cache.borrow().bytes
    }

    /// `len` bytes at `off` of file `file`'s decoded text.
    fn read(&self, file: u16, off: u64, len: u64) -> io::Result<Text> {
        // Rows in a row mostly share a piece: the last one answers first.
        if let Some((f, start, buf)) = &*self.last.borrow()
            && *f == file
            && off >= *start
            && off + len <= start + buf.len() as u64
        {
            let from = (off - start) as usize;
            return Ok(Text {
                buf: buf.clone(),
                start: from,
                end: from + len as usize,
            });
        }
        let mut out: Option<Vec<u8>> = None;
        let mut at = off;
        let end = off + len;
        while at < end {
            let (key, start, buf) = self.piece_at(file, at)?;
            let from = (at - start) as usize;
            let avail = buf.len().saturating_sub(from);
            if avail == 0 {
                return Err(io::Error::other(format!(
                    "no text at decoded offset {at} (piece {key})"
                )));
            }
            let take = avail.min((end - at) as usize);
            *self.last.borrow_mut() = Some((file, start, buf.clone()));
            if out.is_none() && take as u64 == len {
                return Ok(Text {
                    buf,
                    start: from,
                    end: from + take,
                });
            }
            out.get_or_insert_with(Vec::new)
                .extend_from_slice(&buf[from..from + take]);
            at += take as u64;
        }
        Ok(Text::own(out.unwrap_or_default()))
    }

    /// The cached piece holding decoded offset `at`: its key, its start
    /// offset and its bytes.
    fn piece_at(&self, file: u16, at: u64) -> io::Result<(u64, u64, Arc<Vec<u8>>)> {
        let src = self
            .sources
            .get(usize::from(file))
            .ok_or_else(|| io::Error::other("no such file"))?;
        let (key, start, piece) = if src.plain {
            let k = at / PLAIN_PIECE;
            (k, k * PLAIN_PIECE, None)
        } else {
            let i = src.pieces.partition_point(|p| p.text + p.len <= at);
            let p =
                src.pieces.get(i).filter(|p| p.text <= at).ok_or_else(|| {
                    io::Error::other(format!("no block holds decoded offset {at}"))
                })?;
            (i as u64, p.text, Some(*p))
        };
        self.take_ahead();
        if let Some(buf) = self.cache.borrow_mut().get((file, key)) {
            return Ok((key, start, buf));
        }
        // Being decoded ahead: wait for it rather than decode it twice.
        if self.wait_ahead((file, key))
            && let Some(buf) = self.cache.borrow_mut().get((file, key))
        {
            return Ok((key, start, buf));
        }
        let buf = match piece {
            None => {
                let buf = Arc::new(self.read_plain(file, start)?);
                self.cache
                    .borrow_mut()
                    .insert((file, key), buf.clone(), self.cache_limit);
                buf
            }
            Some(_) => self.decode_run(file, key as usize)?,
        };
        Ok((key, start, buf))
    }

    /// Decodes piece `i` of `file` and the pieces after it whose blocks
    /// follow it in the input (up to [`RUN_BYTES`] of input, one read and
    /// one decoder call), caches them all, and returns piece `i`.
    fn decode_run(&self, file: u16, i: usize) -> io::Result<Arc<Vec<u8>>> {
        let pieces = &self.sources[usize::from(file)].pieces;
        let j = self.run_end(file, i);
        let run = &pieces[i..j];
        let decode = |run: &[Piece]| {
            let mut dec = self.decoder.borrow_mut();
            let dec = dec.get_or_insert_with(|| Decoder::new(self.opts.clone()));
            self.with_file(file, |f| ahead::decode_blocks(f, dec, run))
        };
        let texts = match decode(run) {
            Ok(t) => t,
            // Something in the run decodes differently: piece by piece.
            Err(_) if run.len() > 1 => decode(&run[..1])?,
            Err(e) => return Err(e),
        };
        let mut first = None;
        let mut c = self.cache.borrow_mut();
        for (k, t) in texts.into_iter().enumerate() {
            let buf = Arc::new(t);
            if k == 0 {
                first = Some(buf.clone());
            }
            c.insert((file, (i + k) as u64), buf, self.cache_limit);
        }
        first.ok_or_else(|| io::Error::other("no text decoded"))
    }

    /// The end of the run of pieces from `i`: blocks that follow one
    /// another in the input, up to [`RUN_BYTES`], none cached or on its
    /// way already.
    fn run_end(&self, file: u16, i: usize) -> usize {
        let pieces = &self.sources[usize::from(file)].pieces;
        let cache = self.cache.borrow();
        let ahead = self.ahead.borrow();
        let mut j = i + 1;
        while j < pieces.len() {
            let (prev, next) = (&pieces[j - 1], &pieces[j]);
            let key = (file, j as u64);
            if next.offset != prev.offset + prev.block_len
                || next.offset + next.block_len - pieces[i].offset > RUN_BYTES
                || cache.map.contains_key(&key)
                || ahead.as_ref().is_some_and(|a| a.pending.contains(&key))
            {
                break;
            }
            j += 1;
        }
        j
    }

    /// Moves what the reading-ahead thread decoded into the cache.
    fn take_ahead(&self) {
        let done = match self.ahead.borrow_mut().as_mut() {
            Some(a) => a.poll(),
            None => return,
        };
        for d in done {
            self.cache_run(d);
        }
    }

    fn cache_run(&self, (file, first, texts): ahead::Done) {
        if let Ok(texts) = texts {
            let mut c = self.cache.borrow_mut();
            for (k, t) in texts.into_iter().enumerate() {
                c.insert((file, (first + k) as u64), Arc::new(t), self.cache_limit);
            }
        }
    }

    /// Waits until piece `key`, if on its way, has come; whether it was.
    fn wait_ahead(&self, key: (u16, u64)) -> bool {
        let mut waited = false;
        loop {
            let d = {
                let mut a = self.ahead.borrow_mut();
                let Some(a) = a.as_mut() else {
                    return waited;
                };
                if !a.pending.contains(&key) {
                    return waited;
                }
                a.wait()
            };
            match d {
                Some(d) => self.cache_run(d),
                None => {
                    // The thread is gone: decode here from now on.
                    *self.ahead.borrow_mut() = None;
                    return waited;
                }
            }
            waited = true;
        }
    }

    /// Asks the reading-ahead thread for the blocks after row `i`'s, so a
    /// scan moving forward finds them decoded. Cheap to call often.
    pub fn read_ahead(&self, i: u32) {
        let r = self.rows[i as usize];
        let Some(src) = self.sources.get(usize::from(r.file)) else {
            return;
        };
        if r.off & ARENA != 0 || src.plain || src.pieces.is_empty() {
            return;
        }
        self.take_ahead();
        if self.ahead.borrow().is_none() {
            *self.ahead.borrow_mut() = Some(ahead::Ahead::spawn(self.opts.clone()));
        }
        let mut j = src.pieces.partition_point(|p| p.text + p.len <= r.off);
        // Look a few runs ahead of the row: the current run is the scan's.
        let horizon = j + 256;
        while j < src.pieces.len().min(horizon) {
            if !self.ahead.borrow().as_ref().is_some_and(|a| a.has_room()) {
                return;
            }
            let key = (r.file, j as u64);
            let busy = self.cache.borrow().map.contains_key(&key)
                || self
                    .ahead
                    .borrow()
                    .as_ref()
                    .is_some_and(|a| a.pending.contains(&key));
            if busy {
                j += 1;
                continue;
            }
            let end = self.run_end(r.file, j);
            let job = ahead::Job {
                file: r.file,
                first: j,
                path: src.path.clone(),
                run: src.pieces[j..end].to_vec(),
            };
            if let Some(a) = self.ahead.borrow_mut().as_mut() {
                a.request(job);
            }
            j = end;
        }
    }

    fn with_file<T>(
        &self,
        file: u16,
        f: impl FnOnce(&mut &File) -> io::Result<T>,
    ) -> io::Result<T> {
        let src = &self.sources[usize::from(file)];
        match &src.file {
            Some(fh) => f(&mut &*fh),
            None => f(&mut &File::open(&src.path)?),
        }
    }

    fn read_plain(&self, file: u16, start: u64) -> io::Result<Vec<u8>> {
        self.with_file(file, |f| {
            f.seek(SeekFrom::Start(start))?;
            let mut buf = Vec::with_capacity(PLAIN_PIECE as usize);
            f.take(PLAIN_PIECE).read_to_end(&mut buf)?;
            Ok(buf)
        })
    }
}

impl Store {
    /// Integrity rows of `kind`.
    pub fn kind_count(&self, kind: RowKind) -> u64 {
        self.kind_counts[kind.index()]
    }

    /// All integrity rows.
    pub fn integrity_count(&self) -> u64 {
        self.kind_counts[1..].iter().sum()
    }

    /// The store's own memory, roughly: rows, times, arena, pieces, cache.
    pub fn heap_bytes(&self) -> usize {
        self.rows.capacity() * std::mem::size_of::<Row>()
            + self.times.capacity() * 4
            + self.millis.as_ref().map_or(0, |m| m.capacity() * 8)
            + self.arena_len as usize
            + self
                .sources
                .iter()
                .map(|s| s.pieces.capacity() * std::mem::size_of::<Piece>())
                .sum::<usize>()
            + self.cache.borrow().bytes
    }
}

#[cfg(test)]
mod tests;
