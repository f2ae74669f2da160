//! Judging records on the decoder's worker threads: the [`Judge`] hook,
//! its verdicts, and the records it renders ahead.

use super::*;

/// What [`FilterSink`] lets worker threads compute ahead of it: whether
/// each record of a decoded block passes the filter, and, for a sink with
/// a [`renderer`](RecordSink::renderer), the output of those that pass.
/// The sink then only cuts records and hands on those that pass.
#[derive(Debug, Clone)]
pub struct Judge {
    pub(super) planned: Planned,
    pub(super) scan: Option<Searcher>,
    pub(super) render: Option<Arc<dyn RenderAhead>>,
    /// Rendered buffers a writer held when their batch was reused.
    pub(super) spare: Arc<Spare>,
}

/// Buffers of rendered output that a writer still held when their store
/// was used again (see [`Judged`]): kept until the writer lets go, then
/// reused, so that rendering ahead does not allocate (and fault in) a new
/// buffer per batch.
#[derive(Debug, Default)]
pub(super) struct Spare(std::sync::Mutex<Vec<Arc<Vec<u8>>>>);

impl Spare {
    /// Buffers kept at most: more than the writer holds at once.
    const MAX: usize = 8;

    /// Takes `old`, still held by a writer, and gives an empty buffer: one
    /// the writer has let go of, else a new one of `old`'s capacity.
    fn exchange(&self, old: Arc<Vec<u8>>) -> Arc<Vec<u8>> {
        let mut held = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let cap = old.capacity();
        let free = held.iter().position(|b| Arc::strong_count(b) == 1);
        let fresh = match free {
            Some(i) => {
                let mut b = held.swap_remove(i);
                Arc::get_mut(&mut b).map(Vec::clear);
                b
            }
            None => Arc::new(Vec::with_capacity(cap)),
        };
        if held.len() == Spare::MAX {
            held.remove(0);
        }
        held.push(old);
        fresh
    }
}

/// The shortest average record a [`Judge`] gives verdicts on: a verdict
/// takes 12 bytes, so verdicts take at most 3/4 of the memory of the text.
pub(super) const MIN_JUDGED: usize = 16;

/// One verdict of a [`Judge`]: on the record that starts at `start` in its
/// text and ends where the next verdict's record starts (the last one at
/// the text's end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub(super) start: u32,
    /// [`Verdict::REJECT`], [`Verdict::UNKNOWN`], or a pass: 1 + the
    /// level's place in [`Level::ALL`] (0 without a level).
    pub(super) code: u8,
    /// The record's place among those rendered ahead in its chunk
    /// ([`Verdict::NONE`]: not rendered).
    pub(super) meta: u32,
}

impl Verdict {
    pub(super) const REJECT: u8 = 0xFF;
    /// No verdict: the record is too long to be judged whole (it comes in
    /// pieces, judged by the first).
    pub(super) const UNKNOWN: u8 = 0xFE;
    /// Not rendered ahead.
    pub(super) const NONE: u32 = u32::MAX;

    pub(super) fn new(start: usize, pass: Option<Option<Level>>) -> Verdict {
        let code = match pass {
            None => Verdict::REJECT,
            Some(None) => 0,
            Some(Some(l)) => 1 + Level::ALL.iter().position(|&x| x == l).unwrap_or(0) as u8,
        };
        Verdict {
            start: start as u32,
            code,
            meta: Verdict::NONE,
        }
    }

    #[inline]
    pub(super) fn known(self) -> bool {
        self.code != Verdict::UNKNOWN
    }

    /// What [`Planned::decide`] says: `Some(level)` for a pass.
    #[inline]
    pub(super) fn pass(self) -> Option<Option<Level>> {
        match self.code {
            0 => Some(None),
            c => Level::ALL.get(usize::from(c) - 1).map(|&l| Some(l)),
        }
    }
}

/// A [`Judge`]'s verdicts on the records of one text chunk, for
/// [`Sink::judged_text`], with what it rendered of them: per rendered
/// record, and their output end to end, with the shared buffer it lies in
/// (when it does).
#[derive(Debug, Clone, Copy)]
pub struct Verdicts<'a>(
    pub(crate) &'a [Verdict],
    pub(crate) &'a [RenderedMeta],
    pub(crate) &'a [u8],
    pub(crate) Option<&'a Arc<Vec<u8>>>,
);

impl Verdicts<'_> {
    /// No verdicts.
    pub(crate) const NONE: Verdicts<'static> = Verdicts(&[], &[], &[], None);
}

impl Judge {
    /// Appends to `out` a verdict on each record of `text` that starts
    /// with a line of its own: the records [`FilterSink`] cuts out of it
    /// where the text starts a line, each up to the next record start, the
    /// last up to the text's end. The sink uses a verdict only on a record
    /// with exactly those bytes. A text too long for the verdicts'
    /// offsets gets none, and so does one of records shorter than
    /// [`MIN_JUDGED`] bytes on average (no log is made of them; their
    /// verdicts would take more memory than the text).
    #[cfg(test)]
    pub(crate) fn judge(&self, text: &[u8], memo: &mut Memo, out: &mut Vec<Verdict>) {
        let mut done = Judged::default();
        std::mem::swap(&mut done.verdicts, out);
        self.judge_into(text, memo, &mut done);
        std::mem::swap(&mut done.verdicts, out);
    }

    /// [`Judge::judge`], appending to `done`: verdicts, and, with a
    /// renderer, the output of the passed records a worker may render
    /// (see [`RenderAhead::render`]) while `done` holds less than
    /// [`RENDER_LIMIT`] of it.
    pub(crate) fn judge_into(&self, text: &[u8], memo: &mut Memo, done: &mut Judged) {
        if u32::try_from(text.len()).is_err() {
            return;
        }
        let Judged {
            verdicts: out,
            meta,
            rendered,
            stale,
            ..
        } = done;
        let rendered = writable(rendered, stale, &self.spare);
        let first = out.len();
        let mut ahead = Ahead {
            meta_first: meta.len(),
            json_first: rendered.len(),
            meta,
            rendered,
        };
        let most = text.len() / MIN_JUDGED + 1;
        let mut run = Run::new(text, &[]);
        let mut open = None;
        // The offset of the Mars open banner before a record (in
        // `memo.offset`): unknown until one is seen in this text.
        memo.offset = None;
        let mut known = false;
        // Lines' ends as the splitter finds them; too many records stop
        // the walk.
        let walked = whole_lines(text, |pos, line_end| {
            if starts_record(&text[pos..line_end]) {
                if let Some(s) = open {
                    if out.len() - first == most {
                        return Err(());
                    }
                    out.push(self.verdict(&mut run, s, pos, memo, &mut known, &mut ahead));
                }
                open = Some(pos);
            }
            Ok(())
        });
        if walked.is_err() {
            out.truncate(first);
            ahead.meta.truncate(ahead.meta_first);
            ahead.rendered.truncate(ahead.json_first);
            return;
        }
        if let Some(s) = open {
            out.push(self.verdict(&mut run, s, text.len(), memo, &mut known, &mut ahead));
        }
    }

    /// The verdict on `run.chunk[start..end]`. `known`: the text has had
    /// a Mars open banner, whose UTC offset is `memo.offset`.
    /// The sink judges an open banner itself (it learns the offset from
    /// it), and the records that take an offset they cannot be sure of.
    pub(super) fn verdict(
        &self,
        run: &mut Run<'_>,
        start: usize,
        end: usize,
        memo: &mut Memo,
        known: &mut bool,
        ahead: &mut Ahead<'_>,
    ) -> Verdict {
        let unknown = Verdict {
            start: start as u32,
            code: Verdict::UNKNOWN,
            meta: Verdict::NONE,
        };
        if end - start > MAX_PIECE {
            return unknown;
        }
        let bytes = &run.chunk[start..end];
        match bytes[0] {
            b'[' => {}
            b'^' => {
                if let Some(offset) = start_offset(bytes) {
                    memo.offset = offset;
                    *known = true;
                    return unknown;
                }
            }
            _ if self.planned.plan.utc && !*known => return unknown,
            _ => {}
        }
        let search = match &self.scan {
            Some(re) => run.search(re, bytes),
            None => Search::Unknown,
        };
        let pass = self.planned.decide(bytes, search, memo);
        let mut v = Verdict::new(start, pass);
        if pass.is_some()
            && let Some(render) = &self.render
            && ahead.rendered.len() < RENDER_LIMIT
        {
            let at = ahead.rendered.len();
            match render.render(bytes, ahead.rendered) {
                Some(mut m) => {
                    m.json_end -= ahead.json_first as u32;
                    v.meta = (ahead.meta.len() - ahead.meta_first) as u32;
                    ahead.meta.push(m);
                }
                None => ahead.rendered.truncate(at),
            }
        }
        v
    }
}

/// What a [`Judge`] gives on a batch of blocks: verdicts, and what it
/// rendered ahead, block after block.
#[derive(Debug, Default)]
pub(crate) struct Judged {
    pub(crate) verdicts: Vec<Verdict>,
    pub(crate) meta: Vec<RenderedMeta>,
    /// Shared: the sink's writer may keep it until written, past the
    /// batch (see [`RenderedRun::shared`]).
    rendered: Arc<Vec<u8>>,
    /// `rendered` holds an earlier batch's output, to let go of.
    stale: bool,
    /// Per block: where its verdicts, rendered records and their output end.
    pub(super) ends: Vec<[usize; 3]>,
}

/// A [`Judged`]'s rendered output, to add to: emptied first if it is an
/// earlier batch's (`stale`), or exchanged for a spare buffer if a writer
/// still holds that one.
fn writable<'a>(
    rendered: &'a mut Arc<Vec<u8>>,
    stale: &mut bool,
    spare: &Spare,
) -> &'a mut Vec<u8> {
    if std::mem::take(stale) {
        match Arc::get_mut(rendered) {
            Some(v) => v.clear(),
            None => *rendered = spare.exchange(std::mem::take(rendered)),
        }
    }
    // Unique: writers only get the buffer once the batch is delivered.
    Arc::make_mut(rendered)
}

impl Judged {
    /// The verdicts on the `i`-th block's records, with what was rendered
    /// of them.
    pub(super) fn block(&self, i: usize) -> Verdicts<'_> {
        let [v0, m0, r0] = match i {
            0 => [0; 3],
            i => self.ends[i - 1],
        };
        let [v1, m1, r1] = self.ends[i];
        Verdicts(
            &self.verdicts[v0..v1],
            &self.meta[m0..m1],
            &self.rendered[r0..r1],
            Some(&self.rendered),
        )
    }
}

impl HookResults for Judged {
    fn end_block(&mut self) {
        let rendered = if self.stale { 0 } else { self.rendered.len() };
        let end = [self.verdicts.len(), self.meta.len(), rendered];
        self.ends.push(end);
    }

    fn clear(&mut self) {
        self.verdicts.clear();
        self.meta.clear();
        // A writer may still hold the output: it is let go of when the
        // store is used again.
        self.stale = !self.rendered.is_empty();
        self.ends.clear();
    }

    fn too_big(&self, limit: usize) -> bool {
        self.verdicts.capacity() * std::mem::size_of::<Verdict>() > limit
            || self.rendered.capacity() > limit
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// The filter as the decoder's [`BlockHook`]: each worker judges (and
/// renders) with its own [`Memo`].
impl BlockHook for Judge {
    fn worker(&self) -> Box<dyn HookWorker> {
        Box::new((self.clone(), Memo::default()))
    }

    fn results(&self) -> Box<dyn HookResults> {
        Box::new(Judged::default())
    }
}

impl HookWorker for (Judge, Memo) {
    fn work(&mut self, text: &[u8], results: &mut dyn HookResults) {
        // The results are the store this hook made (`results` above).
        let any: &mut dyn std::any::Any = results;
        if let Some(judged) = any.downcast_mut::<Judged>() {
            self.0.judge_into(text, &mut self.1, judged);
        }
    }
}

/// Where a [`Judge`] renders a chunk's records ahead: the buffers, and
/// where the chunk's part of them starts.
pub(super) struct Ahead<'a> {
    pub(super) meta: &'a mut Vec<RenderedMeta>,
    pub(super) rendered: &'a mut Vec<u8>,
    pub(super) meta_first: usize,
    pub(super) json_first: usize,
}

/// A [`Judge`] at work on the sink's own thread, with its store.
pub(super) struct JudgedHere {
    judge: Judge,
    memo: Memo,
    judged: Judged,
}

impl<R: RecordSink> FilterSink<R> {
    /// A text no worker judged, to a sink with a renderer: judged and
    /// rendered on this thread as a worker does it, then handed on with
    /// those verdicts.
    pub(super) fn judge_here(&mut self, text: &[u8]) -> io::Result<()> {
        let here = match self.here.take() {
            Some(h) => Some(h),
            None => self.judge().map(|judge| {
                Box::new(JudgedHere {
                    judge,
                    memo: Memo::default(),
                    judged: Judged::default(),
                })
            }),
        };
        let Some(mut here) = here else {
            return self.text(text, Verdicts::NONE);
        };
        let JudgedHere {
            judge,
            memo,
            judged,
        } = &mut *here;
        judged.clear();
        judge.judge_into(text, memo, judged);
        judged.end_block();
        // The lines are copied to the writer rather than kept by it: the
        // store is used again for the next text at once.
        let Verdicts(verdicts, meta, rendered, _) = judged.block(0);
        let r = self.text(text, Verdicts(verdicts, meta, rendered, None));
        if !judged.too_big(KEEP_RESULTS) {
            self.here = Some(here);
        }
        r
    }
}
