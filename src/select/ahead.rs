//! Records rendered ahead: a [`RecordSink`](super::filtered::RecordSink)
//! whose output per record is costly (JSON) gives a [`RenderAhead`], and
//! the decoder's worker threads render the records that pass while they
//! judge them; the sink then only writes what was rendered.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use crate::record::{Level, TimePoint};

/// Renders records on worker threads, for a sink that writes what it
/// gives.
pub trait RenderAhead: fmt::Debug + Send + Sync {
    /// Renders the record in `bytes` onto the end of `out`, when a worker
    /// may (else `None`, and the sink renders it itself). Returns what the
    /// sink's summary counts of it.
    fn render(&self, bytes: &[u8], out: &mut Vec<u8>) -> Option<RenderedMeta>;
}

/// Rendered output beyond this, in one batch of blocks, is left to the
/// sink: it bounds the memory of rendering ahead.
pub(crate) const RENDER_LIMIT: usize = 16 << 20;

/// What the summary counts of a record rendered ahead (see
/// [`RenderAhead`]), and where its JSON ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMeta {
    /// The end of the record's JSON in the rendered text of its chunk (it
    /// starts where the previous record's ends).
    pub json_end: u32,
    /// The record's level.
    pub level: Level,
    /// The record's time, when it has a full header.
    pub time: Option<TimePoint>,
    /// Where the record's tag lies in its bytes (empty without a header).
    pub tag: std::ops::Range<u32>,
    /// The length of the record's bytes.
    pub len: u32,
}

/// A record rendered ahead (see
/// [`RecordSink::rendered`](super::filtered::RecordSink::rendered)).
#[derive(Debug, Clone, Copy)]
pub struct Rendered<'a> {
    /// The record's bytes.
    pub bytes: &'a [u8],
    /// Its `record` object, one line.
    pub json: &'a [u8],
    /// What the summary counts of it.
    pub meta: &'a RenderedMeta,
}

/// Records rendered ahead that follow one another in their chunk (see
/// [`RecordSink::rendered_run`](super::filtered::RecordSink::rendered_run)):
/// their bytes, their lines and what the summary counts of each.
#[derive(Debug, Clone, Copy)]
pub struct RenderedRun<'a> {
    /// The records' bytes, end to end.
    pub bytes: &'a [u8],
    /// Their `record` objects, one line each, end to end.
    pub json: &'a [u8],
    /// What the summary counts of each record, in order; their
    /// [`json_end`](RenderedMeta::json_end)s count from `json_base`.
    pub meta: &'a [RenderedMeta],
    /// Where `json` starts in the rendered text of its chunk.
    pub json_base: u32,
    /// The buffer the worker rendered `json` into, when it is shared: a
    /// writer may keep it rather than copy the lines (see
    /// [`RenderedRun::shared`]).
    pub buffer: Option<&'a Arc<Vec<u8>>>,
}

impl<'a> RenderedRun<'a> {
    /// The shared buffer that holds `json`, and where `json` lies in it.
    pub fn shared(&self) -> Option<(&'a Arc<Vec<u8>>, Range<usize>)> {
        let buffer = self.buffer?;
        let base = buffer.as_ptr() as usize;
        let at = (self.json.as_ptr() as usize).checked_sub(base)?;
        let range = at..at + self.json.len();
        (range.end <= buffer.len()).then_some((buffer, range))
    }

    /// The records one by one.
    pub fn records(&self) -> impl Iterator<Item = Rendered<'a>> + use<'a> {
        let (bytes, json, base) = (self.bytes, self.json, self.json_base as usize);
        let (mut at, mut json_at) = (0usize, 0usize);
        self.meta.iter().map(move |meta| {
            let end = at + meta.len as usize;
            let json_end = meta.json_end as usize - base;
            let r = Rendered {
                bytes: &bytes[at..end],
                json: &json[json_at..json_end],
                meta,
            };
            (at, json_at) = (end, json_end);
            r
        })
    }
}
