//! The viewer's base list: every record and integrity row of the opened
//! input(s), in arrival order, with their bytes kept in a few large chunks.
//!
//! A [`Row`] is 16 bytes; filtered views are vectors of row numbers over
//! it (see [`crate::tui::app`]), never copies of the text.

use std::collections::HashMap;

use crate::record::formats::meta::Metadata;
use crate::record::{Level, Record};

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

/// One row of the base list: where its bytes are and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    /// Chunk holding the bytes.
    pub chunk: u32,
    /// Start of the bytes in the chunk.
    pub start: u32,
    /// Length of the bytes.
    pub len: u32,
    /// Which opened file the row comes from (index into the file list).
    pub file: u16,
    /// Level from `[L]` at the start, if any.
    pub level: Option<Level>,
    /// Record or integrity finding.
    pub kind: RowKind,
}

/// A run of rows produced by the loader: their bytes, back to back, and
/// the rows with offsets into `text`.
#[derive(Debug, Default)]
pub struct Batch {
    /// The bytes of all rows of the batch.
    pub text: Vec<u8>,
    /// Rows; `chunk` is ignored, `start` is relative to `text`.
    pub rows: Vec<Row>,
    /// How many records of each tag the batch holds.
    pub tags: HashMap<Vec<u8>, u64>,
    /// What the batch's banner lines say (SDK version, app id, ...).
    pub meta: Metadata,
}

impl Batch {
    /// Appends a row holding `bytes`.
    pub fn push(&mut self, bytes: &[u8], kind: RowKind, file: u16) {
        let rec = Record::parse(bytes);
        if rec.level.is_none() {
            self.meta.observe(bytes);
        }
        if let Some(h) = rec.header {
            match self.tags.get_mut(h.tag) {
                Some(n) => *n += 1,
                None => {
                    self.tags.insert(h.tag.to_vec(), 1);
                }
            }
        }
        let start = self.text.len() as u32;
        self.text.extend_from_slice(bytes);
        self.rows.push(Row {
            chunk: 0,
            start,
            len: bytes.len() as u32,
            file,
            level: rec.level,
            kind,
        });
    }
}

impl Batch {
    /// Appends a row holding a piece of a long record after its first
    /// (raw text: no level, no tag).
    pub fn push_rest(&mut self, bytes: &[u8], file: u16) {
        let start = self.text.len() as u32;
        self.text.extend_from_slice(bytes);
        self.rows.push(Row {
            chunk: 0,
            start,
            len: bytes.len() as u32,
            file,
            level: None,
            kind: RowKind::Text,
        });
    }
}

/// Every row received so far, and running counts over them.
#[derive(Debug, Default)]
pub struct Store {
    chunks: Vec<Vec<u8>>,
    rows: Vec<Row>,
    /// Rows per level (index = level as V=0 .. F=5).
    pub level_counts: [u64; 6],
    /// Integrity rows per kind (index as [`RowKind`]'s internal order).
    kind_counts: [u64; 6],
    /// Records per tag.
    pub tag_counts: HashMap<Vec<u8>, u64>,
    /// Bytes of text held.
    pub bytes: u64,
    /// What the banner lines say (SDK version, app id, ...).
    pub meta: Metadata,
}

/// The largest batch a single chunk may hold: row offsets are `u32`.
const MAX_CHUNK: usize = u32::MAX as usize;

impl Store {
    /// An empty store.
    pub fn new() -> Store {
        Store::default()
    }

    /// Adds a batch from the loader.
    pub fn append(&mut self, batch: Batch) {
        if batch.rows.is_empty() {
            return;
        }
        debug_assert!(batch.text.len() <= MAX_CHUNK);
        let chunk = self.chunks.len() as u32;
        for mut r in batch.rows {
            r.chunk = chunk;
            if let Some(l) = r.level {
                self.level_counts[l as usize] += 1;
            }
            self.kind_counts[r.kind.index()] += 1;
            self.rows.push(r);
        }
        self.meta.extend(&batch.meta);
        for (tag, n) in batch.tags {
            *self.tag_counts.entry(tag).or_insert(0) += n;
        }
        self.bytes += batch.text.len() as u64;
        self.chunks.push(batch.text);
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

    /// The bytes of row `i`.
    pub fn bytes_of(&self, i: u32) -> &[u8] {
        let r = self.rows[i as usize];
        let s = r.start as usize;
        &self.chunks[r.chunk as usize][s..s + r.len as usize]
    }

    /// Row `i` parsed as a record.
    pub fn record(&self, i: u32) -> Record<'_> {
        Record::parse(self.bytes_of(i))
    }

    /// Integrity rows of `kind`.
    pub fn kind_count(&self, kind: RowKind) -> u64 {
        self.kind_counts[kind.index()]
    }

    /// All integrity rows.
    pub fn integrity_count(&self) -> u64 {
        self.kind_counts[1..].iter().sum()
    }
}
