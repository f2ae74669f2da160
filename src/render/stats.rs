//! What an input holds, in numbers: records per level, time span, tags,
//! gaps, corrupt ranges, locked blocks. Fed as a [`RecordSink`]; used by
//! `xlogdec info`, the JSON summary and the viewer.
//!
//! Memory is bounded: at most [`MAX_TAGS`] distinct tags are counted by
//! name and at most [`MAX_LISTED`] gaps, corrupt ranges and locked runs
//! are listed (the counts stay exact).

use std::collections::HashMap;
use std::io;

use serde_json::{Map, Value, json};

use crate::decode::event::{Event, SeqGap};
use crate::decode::format::{Magic, Payload};
use crate::decode::summary::Summary;
use crate::record::formats::meta::Metadata;
use crate::record::{Level, Record, TimePoint};
use crate::render::escape::escape_bytes;
use crate::select::ahead::{Rendered, RenderedRun};
use crate::select::filtered::RecordSink;

/// Distinct tags counted by name; later new tags count as "other".
pub const MAX_TAGS: usize = 10_000;
/// Gaps, corrupt ranges and locked runs kept in the lists.
pub const MAX_LISTED: usize = 1_000;

/// A seq that went back (or repeated) where the next one was expected:
/// the official decoder's seq check reports it as a reversed "missing"
/// range; it is two writers, or a writer restarted, not lost blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqBack {
    /// Offset of the block with the lower seq.
    pub offset: u64,
    /// The seq before it.
    pub from: u32,
    /// Its seq.
    pub to: u32,
}

/// Bytes that did not decode: skipped to resynchronise, or a block whose
/// payload did not decompress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corrupt {
    /// Offset of the first byte.
    pub offset: u64,
    /// Length in bytes.
    pub length: u64,
    /// What was wrong.
    pub reason: String,
}

/// Consecutive encrypted blocks left undecoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedRun {
    /// Offset of the first block.
    pub first: u64,
    /// Offset of the last block.
    pub last: u64,
    /// Offset one past the last block's last byte: the run covers bytes
    /// `first..end`.
    pub end: u64,
    /// Blocks in the run.
    pub blocks: u64,
    /// Why they were not decoded.
    pub reason: &'static str,
}

/// The statistics of one input.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Records seen.
    pub records: u64,
    /// Records per level, index = level order (V D I W E F).
    pub by_level: [u64; 6],
    /// Records without a level (text before the first record, banners).
    pub no_level: u64,
    /// Records with a level but no full header (e.g. the decoder's marker lines).
    pub no_header: u64,
    /// Time of the first record with a header, in input order.
    pub first: Option<TimePoint>,
    /// Time of the last record with a header, in input order.
    pub last: Option<TimePoint>,
    /// Seq gaps: seqs skipped forwards (at most [`MAX_LISTED`]).
    pub gaps: Vec<SeqGap>,
    /// Seq gaps, all counted.
    pub gap_count: u64,
    /// Seqs that went back or repeated (at most [`MAX_LISTED`]).
    pub seq_back: Vec<SeqBack>,
    /// Seqs that went back or repeated, all counted.
    pub seq_back_count: u64,
    /// Corrupt ranges (at most [`MAX_LISTED`]).
    pub corrupt: Vec<Corrupt>,
    /// Runs of locked blocks (at most [`MAX_LISTED`]).
    pub locked: Vec<LockedRun>,
    /// What the banner lines say: SDK version, app id, process starts.
    pub meta: Metadata,
    /// Records per tag. A fast keyed hash (foldhash): a tag is looked up
    /// for every record; the per-process seed keeps crafted tags from
    /// colliding on purpose.
    tags: HashMap<Box<[u8]>, u64, foldhash::fast::RandomState>,
    other_tags: u64,
    last_locked: bool,
}

impl Stats {
    /// Empty statistics.
    pub fn new() -> Stats {
        Stats::default()
    }

    /// Records of `level`.
    pub fn level_count(&self, level: Level) -> u64 {
        self.by_level[level as usize]
    }

    /// The `n` most frequent tags, most frequent first (ties by name), as
    /// text (escaped as in JSON output when not UTF-8).
    pub fn top_tags(&self, n: usize) -> Vec<(String, u64)> {
        let mut v: Vec<(&[u8], u64)> = self.tags.iter().map(|(k, &c)| (&k[..], c)).collect();
        v.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v.truncate(n);
        v.into_iter()
            .map(|(t, c)| (escape_bytes(t).0.into_owned(), c))
            .collect()
    }

    /// Distinct tags counted (at most [`MAX_TAGS`]).
    pub fn distinct_tags(&self) -> usize {
        self.tags.len()
    }

    /// Adds the statistics of another input (for a summary across inputs).
    /// Counts add up; the time span runs from the earliest first record to
    /// the latest last one; the lists of gaps, corrupt ranges and locked
    /// runs are left out (their counts are kept), since their byte offsets
    /// belong to one input.
    pub fn absorb(&mut self, other: Stats) {
        self.records += other.records;
        for (a, b) in self.by_level.iter_mut().zip(other.by_level) {
            *a += b;
        }
        self.no_level += other.no_level;
        self.no_header += other.no_header;
        let key = |t: &TimePoint| match t.offset_minutes {
            Some(off) => t.local - chrono::TimeDelta::minutes(i64::from(off)),
            None => t.local,
        };
        if let Some(f) = other.first
            && self.first.is_none_or(|s| key(&f) < key(&s))
        {
            self.first = Some(f);
        }
        if let Some(l) = other.last
            && self.last.is_none_or(|s| key(&l) > key(&s))
        {
            self.last = Some(l);
        }
        self.gap_count += other.gap_count;
        self.seq_back_count += other.seq_back_count;
        self.gaps.clear();
        self.seq_back.clear();
        self.corrupt.clear();
        self.locked.clear();
        for (tag, n) in other.tags {
            if let Some(c) = self.tags.get_mut(&tag) {
                *c += n;
            } else if self.tags.len() < MAX_TAGS {
                self.tags.insert(tag, n);
            } else {
                self.other_tags += n;
            }
        }
        self.other_tags += other.other_tags;
    }

    /// The statistics with the decoder's summary, as a JSON object (the
    /// fields of the `summary` event; see the README), with the ten most
    /// frequent tags.
    pub fn to_json(&self, s: &Summary) -> Value {
        self.to_json_top(s, 10)
    }

    /// [`Stats::to_json`] with the `top` most frequent tags.
    pub fn to_json_top(&self, s: &Summary, top: usize) -> Value {
        let mut kinds = Map::new();
        for (byte, &n) in s.blocks_by_magic.iter().enumerate() {
            if n > 0 {
                kinds.insert(block_kind(byte as u8), json!(n));
            }
        }
        let mut levels = Map::new();
        for l in Level::ALL {
            levels.insert(l.letter().to_string(), json!(self.level_count(l)));
        }
        let top: Vec<Value> = self
            .top_tags(top)
            .into_iter()
            .map(|(t, c)| json!({"tag": t, "records": c}))
            .collect();
        let mut obj = json!({
            "bytes_in": s.bytes_in,
            "bytes_out": s.bytes_out,
            "blocks": s.blocks(),
            "blocks_by_kind": kinds,
            "seq_first": s.seq_range.map(|r| r.0),
            "seq_last": s.seq_range.map(|r| r.1),
            "gaps": self.gap_count,
            "seq_backwards": self.seq_back_count,
            "corrupt": s.skipped + s.decompress_errors,
            "skipped_bytes": s.skipped_bytes,
            "decompress_errors": s.decompress_errors,
            "locked": s.locked,
            "salvaged": s.salvaged,
            "records": self.records,
            "levels": levels,
            "no_level": self.no_level,
            "no_header": self.no_header,
            "first_time": self.first.map(|t| t.iso()),
            "last_time": self.last.map(|t| t.iso()),
            "top_tags": top,
            "gap_list": self.gaps.iter().map(|g| json!({
                "offset": g.offset, "first": g.first, "last": g.last
            })).collect::<Vec<_>>(),
            "seq_back_list": self.seq_back.iter().map(|b| json!({
                "offset": b.offset, "from": b.from, "to": b.to
            })).collect::<Vec<_>>(),
            "corrupt_list": self.corrupt.iter().map(|c| json!({
                "offset": c.offset, "length": c.length, "reason": c.reason
            })).collect::<Vec<_>>(),
            "locked_list": self.locked.iter().map(|r| json!({
                "first": r.first, "last": r.last, "end": r.end, "blocks": r.blocks,
                "reason": r.reason
            })).collect::<Vec<_>>(),
        });
        if self.meta.has_sdk()
            && let Value::Object(fields) = &mut obj
        {
            fields.insert("metadata".into(), self.meta.to_json());
        }
        obj
    }
}

/// `0x09 async zlib`, `0x0C async zstd+tea`, ...
pub fn block_kind(byte: u8) -> String {
    match Magic::from_byte(byte) {
        Some(m) => {
            let mode = if m.is_async { "async" } else { "sync" };
            let payload = match m.payload {
                Payload::Plain => "plain",
                Payload::Deflate => "zlib",
                Payload::ChunkedDeflate => "zlib chunked",
                Payload::Zstd => "zstd",
                Payload::EncryptedDeflate => "zlib+tea",
                Payload::EncryptedZstd => "zstd+tea",
            };
            format!("0x{byte:02X} {mode} {payload}")
        }
        None => format!("0x{byte:02X}"),
    }
}

impl Stats {
    /// Counts a record rendered ahead, as [`RecordSink::record`] counts
    /// it parsed.
    pub fn rendered(&mut self, r: &Rendered<'_>) {
        self.records += 1;
        self.by_level[r.meta.level as usize] += 1;
        let Some(t) = r.meta.time else {
            self.no_header += 1;
            return;
        };
        if self.first.is_none() {
            self.first = Some(t);
        }
        self.last = Some(t);
        let tag = &r.bytes[r.meta.tag.start as usize..r.meta.tag.end as usize];
        self.count_tag(tag);
    }

    /// Counts records rendered ahead in a row, as
    /// [`rendered`](Stats::rendered) counts each.
    pub fn rendered_run(&mut self, run: &RenderedRun<'_>) {
        for r in run.records() {
            self.rendered(&r);
        }
    }

    #[inline]
    fn count_tag(&mut self, tag: &[u8]) {
        if let Some(n) = self.tags.get_mut(tag) {
            *n += 1;
        } else if self.tags.len() < MAX_TAGS {
            self.tags.insert(tag.into(), 1);
        } else {
            self.other_tags += 1;
        }
    }
}

impl RecordSink for Stats {
    fn record(&mut self, rec: &Record<'_>) -> io::Result<()> {
        self.records += 1;
        let Some(level) = rec.level else {
            self.meta.observe(rec.bytes);
            self.no_level += 1;
            return Ok(());
        };
        self.by_level[level as usize] += 1;
        let Some(h) = &rec.header else {
            self.no_header += 1;
            return Ok(());
        };
        let t = TimePoint::from(&h.timestamp);
        if self.first.is_none() {
            self.first = Some(t);
        }
        self.last = Some(t);
        self.count_tag(h.tag);
        Ok(())
    }

    fn event(&mut self, event: &Event<'_>) -> io::Result<()> {
        let locked = matches!(event, Event::Locked { .. });
        match event {
            Event::SeqGap(SeqGap {
                offset,
                first,
                last,
            }) if first > last => {
                // The official check's reversed range: the seq went back.
                self.seq_back_count += 1;
                if self.seq_back.len() < MAX_LISTED {
                    self.seq_back.push(SeqBack {
                        offset: *offset,
                        from: first - 1,
                        to: last + 1,
                    });
                }
            }
            Event::SeqGap(gap) => {
                self.gap_count += 1;
                if self.gaps.len() < MAX_LISTED {
                    self.gaps.push(*gap);
                }
            }
            Event::Skipped {
                offset,
                len,
                reason,
            } if self.corrupt.len() < MAX_LISTED => self.corrupt.push(Corrupt {
                offset: *offset,
                length: *len,
                reason: reason.to_string(),
            }),
            Event::DecompressError { block, message } if self.corrupt.len() < MAX_LISTED => {
                self.corrupt.push(Corrupt {
                    offset: block.offset,
                    length: block.block_len(),
                    reason: format!("decompress error: {message}"),
                })
            }
            Event::Locked { block, reason } => {
                let n = self.locked.len();
                match self.locked.last_mut() {
                    Some(run) if self.last_locked && run.reason == reason.as_str() => {
                        run.blocks += 1;
                        run.last = block.offset;
                        run.end = block.offset + block.block_len();
                    }
                    _ if n < MAX_LISTED => self.locked.push(LockedRun {
                        first: block.offset,
                        last: block.offset,
                        end: block.offset + block.block_len(),
                        blocks: 1,
                        reason: reason.as_str(),
                    }),
                    _ => {}
                }
            }
            _ => {}
        }
        if !matches!(event, Event::Block(_)) {
            self.last_locked = locked;
        }
        Ok(())
    }

    fn finish(&mut self, _summary: &Summary) -> io::Result<()> {
        Ok(())
    }

    /// A long record was counted by its first piece.
    fn record_rest(&mut self, _: Option<Level>, _: &[u8], _: bool) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests;
