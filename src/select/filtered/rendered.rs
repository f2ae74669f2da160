//! Handing on what workers rendered ahead, in runs: the records of a
//! judged chunk that passed and were rendered, one after another, go to
//! the sink as one slice of lines instead of one call per record.

use super::*;

/// Rendered records of the current chunk not yet handed on: the indices
/// of their [`RenderedMeta`]s (consecutive, as their records are) and
/// where their bytes start and end in the chunk.
#[derive(Default)]
struct Lines {
    meta: Range<usize>,
    bytes: Range<usize>,
}

impl Lines {
    /// Takes the record at `bytes`, whose rendering is the `meta`-th of
    /// the chunk, when it follows the run's last one (or the run is empty).
    #[inline]
    fn extend(&mut self, meta: usize, bytes: Range<usize>) -> bool {
        if self.meta.is_empty() {
            *self = Lines {
                meta: meta..meta + 1,
                bytes,
            };
            return true;
        }
        if meta != self.meta.end || bytes.start != self.bytes.end {
            return false;
        }
        self.meta.end += 1;
        self.bytes.end = bytes.end;
        true
    }

    /// Hands the run on, if any.
    fn flush<R: RecordSink>(
        &mut self,
        inner: &mut R,
        text: &[u8],
        v: Verdicts<'_>,
    ) -> io::Result<()> {
        if self.meta.is_empty() {
            return Ok(());
        }
        let meta = &v.1[self.meta.clone()];
        let json_base = match self.meta.start {
            0 => 0,
            i => v.1[i - 1].json_end,
        };
        let json_end = meta.last().map_or(json_base, |m| m.json_end);
        let run = RenderedRun {
            bytes: &text[self.bytes.clone()],
            json: &v.2[json_base as usize..json_end as usize],
            meta,
            json_base,
            buffer: v.3,
        };
        *self = Lines::default();
        inner.rendered_run(&run)
    }
}

impl<R: RecordSink> FilterSink<R> {
    /// [`text`](FilterSink::text) for a judged chunk that starts a line, to
    /// a sink whose records workers rendered ahead: as
    /// [`judged_runs`](FilterSink::judged_runs) does it for runs, the
    /// records between the first and the last start, whole in the chunk,
    /// are passed on by their verdicts; those rendered, in a row, go to
    /// [`RecordSink::rendered_run`] in one call. The others are offered
    /// one by one, as [`Gate::offer`] would be.
    pub(super) fn judged_rendered(&mut self, text: &[u8], judged: Verdicts<'_>) -> io::Result<()> {
        let FilterSink {
            inner,
            gate,
            splitter,
            ..
        } = self;
        let verdicts = judged.0;
        let mut run = Run::judged(text, judged);
        let first = verdicts[0].start as usize;
        splitter.close_with(&text[..first], |b, part| {
            gate.offer(inner, Some(&mut run), b, part)
        })?;
        let mut lines = Lines::default();
        for pair in verdicts.windows(2) {
            let (v, a, b) = (pair[0], pair[0].start as usize, pair[1].start as usize);
            if v.known() && v.pass().is_none() {
                gate.seen += 1; // rejected: nothing to hand on
                continue;
            }
            let rendered = v.known() && (v.meta as usize) < judged.1.len();
            if rendered && lines.extend(v.meta as usize, a..b) {
                gate.seen += 1;
                gate.passed += 1;
                continue;
            }
            lines.flush(inner, text, judged)?;
            if rendered {
                lines.extend(v.meta as usize, a..b);
                gate.seen += 1;
                gate.passed += 1;
            } else if v.known() {
                gate.offer(inner, Some(&mut run), &text[a..b], Part::WHOLE)?;
            } else {
                // Longer than a piece, or left to the sink: the pieces are
                // judged one by one.
                crate::record::out(&text[a..b], false, &mut |bytes: &[u8], part| {
                    gate.offer(inner, Some(&mut run), bytes, part)
                })?;
            }
        }
        lines.flush(inner, text, judged)?;
        let last = verdicts[verdicts.len() - 1];
        let from = last.start as usize;
        // The last start is that of a whole line, so a `\n` follows it.
        let lines_end = memchr::memrchr(b'\n', text).map_or(from, |n| n + 1);
        splitter.hold_last(&text[from..], lines_end - from, |b, part| {
            gate.offer(inner, Some(&mut run), b, part)
        })?;
        gate.tail = last.known().then_some((text.len() - from, last));
        Ok(())
    }
}
