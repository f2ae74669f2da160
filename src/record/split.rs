//! Splitting text into records: [`RecordSplitter`] over a stream of chunks,
//! the record-start test, and the byte searches they share.

use super::*;

/// The most bytes of one record that [`RecordSplitter`] holds or hands out
/// at once: 1 MiB, the size of the decoder's text chunks and far beyond
/// any real record (a Mars block holds at most 150 KiB of text). A longer
/// record (a decompression bomb, a giant message) is handed out in pieces
/// of at most this many bytes, so memory does not grow with it.
pub const MAX_PIECE: usize = 1024 * 1024;

/// Bytes of a line after which whether it starts a record is settled
/// ([`starts_record`] reads at most 24 bytes of the built-in shapes; a
/// user-defined shape reads up to [`formats::custom::LINE_LIMIT`]).
pub(super) const DECIDE: usize = 32;

/// Where a piece handed out by [`RecordSplitter`] lies in its record.
///
/// A record of at most [`MAX_PIECE`] bytes comes whole ([`Part::WHOLE`]);
/// a longer one comes as a first piece, which holds its header line (or
/// the first [`MAX_PIECE`] bytes of it), then continuation pieces, in
/// order, with nothing between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Part {
    /// The piece continues the record of the piece before it.
    pub cont: bool,
    /// More pieces of the same record follow.
    pub more: bool,
}

impl Part {
    /// A whole record.
    pub const WHOLE: Part = Part {
        cont: false,
        more: false,
    };

    /// The piece starts a record (it is whole or a first piece).
    #[inline]
    pub fn is_start(self) -> bool {
        !self.cont
    }
}

/// Splits a stream of text chunks into records, buffering only the record
/// that is still open (its end is known only when the next record starts),
/// and at most [`MAX_PIECE`] bytes of it: a longer record is handed out in
/// pieces (see [`Part`]).
///
/// Records that lie wholly inside a pushed chunk are handed out borrowed from
/// that chunk, without a copy. Feeding any chunking of a text, then
/// [`finish`](RecordSplitter::finish), yields the same records as [`Records`]
/// (for records of at most [`MAX_PIECE`] bytes; a longer one comes in the
/// same pieces whatever the chunking is, except that a piece cut for lack
/// of room may end earlier).
/// If the callback returns an error, records of that chunk may be lost: drop
/// or [`reset`](RecordSplitter::reset) the splitter.
#[derive(Debug, Default, Clone)]
pub struct RecordSplitter {
    /// The open record's bytes not handed out yet: from a record start (or
    /// the stream start), or the rest of a record whose first pieces went out.
    buf: Vec<u8>,
    /// Offset in `buf` of its last, unterminated line (`buf.len()` if none).
    pending: usize,
    /// Pieces of the open record have been handed out.
    cont: bool,
    /// The unterminated line is known to continue the open record (it
    /// was long enough to tell, or a piece was cut inside it).
    settled: bool,
}

impl RecordSplitter {
    /// An empty splitter at the start of a stream.
    pub fn new() -> RecordSplitter {
        RecordSplitter::default()
    }

    /// Bytes currently held back (of the open record); at most
    /// [`MAX_PIECE`] between calls.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Forgets any buffered text and starts a new stream.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.pending = 0;
        self.cont = false;
        self.settled = false;
    }

    /// Adds the next chunk and passes every record it completes to `emit`.
    /// A record longer than [`MAX_PIECE`] comes in pieces; each piece after
    /// the first is given unparsed, as a record without a level.
    pub fn push<E>(
        &mut self,
        chunk: &[u8],
        mut emit: impl FnMut(Record<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.push_parts(chunk, |b, part| emit(Record::part(b, part)))
    }

    /// Like [`push`](RecordSplitter::push), but hands out each record's
    /// bytes unparsed, for callers that can reject most records cheaply.
    pub fn push_bytes<E>(
        &mut self,
        chunk: &[u8],
        mut emit: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        self.push_parts(chunk, |b, _| emit(b))
    }

    /// Like [`push_bytes`](RecordSplitter::push_bytes), saying for each
    /// piece where it lies in its record.
    pub fn push_parts<E>(
        &mut self,
        chunk: &[u8],
        emit: impl FnMut(&[u8], Part) -> Result<(), E>,
    ) -> Result<(), E> {
        self.push_cut(chunk, None::<std::iter::Empty<usize>>, emit)
    }

    /// [`push_parts`](RecordSplitter::push_parts), told where the chunk's
    /// records start: `starts`, when given, are the offsets in `chunk`, in
    /// order, of every line of it that [`starts_record`] and ends with a
    /// `\n` (read as if the chunk started a line; the splitter skips any
    /// that are not line starts after all). Then lines are not looked at
    /// one by one.
    pub(crate) fn push_cut<E>(
        &mut self,
        chunk: &[u8],
        starts: Option<impl Iterator<Item = usize>>,
        mut emit: impl FnMut(&[u8], Part) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut rest = chunk;
        if !self.buf.is_empty() && self.buf.last() != Some(&b'\n') {
            // Complete the unterminated line first: it may start a record.
            let Some(n) = find_byte(b'\n', rest) else {
                self.settle(rest, false, &mut emit)?;
                return self.hold(rest, None, &mut emit);
            };
            let line = &rest[..=n];
            rest = &rest[n + 1..];
            self.settle(line, true, &mut emit)?;
            self.hold(line, Some(line.len()), &mut emit)?;
        }
        // Here `buf` is empty (stream start, or a record just handed out)
        // or ends with '\n': `rest` begins a line.
        let fresh = self.buf.is_empty() && !self.cont;
        let mut open: Option<usize> = if fresh { Some(0) } else { None };
        // A record starts at `at` (an offset in `rest`).
        let mut start = |at: usize, open: &mut Option<usize>| {
            match *open {
                None => {
                    self.hold(&rest[..at], Some(at), &mut emit)?;
                    self.close(&mut emit)?;
                }
                Some(s) => out(&rest[s..at], false, &mut emit)?,
            }
            *open = Some(at);
            Ok(())
        };
        let pos = match starts {
            Some(starts) => {
                let skip = chunk.len() - rest.len();
                for at in starts {
                    if at > skip || (at == skip && !fresh) {
                        start(at - skip, &mut open)?;
                    }
                }
                // Past the last whole line.
                memchr::memrchr(b'\n', rest).map_or(0, |n| n + 1)
            }
            None => whole_lines(rest, |pos, line_end| {
                if !(fresh && pos == 0) && starts_record(&rest[pos..line_end]) {
                    start(pos, &mut open)?;
                }
                Ok(())
            })?,
        };
        match open {
            None => self.hold(rest, Some(pos), &mut emit),
            Some(s) => self.hold(&rest[s..], Some(pos - s), &mut emit),
        }
    }

    /// Whether the open record ends with a whole line: the next chunk
    /// pushed starts a line, and its first record start closes the record.
    pub(crate) fn at_line_start(&self) -> bool {
        self.buf.last() == Some(&b'\n')
    }

    /// What [`push_cut`](RecordSplitter::push_cut) does at the first
    /// record start of a chunk pushed [`at_line_start`]: the open record
    /// takes `lead`, the chunk's lines before that start, and is handed
    /// out.
    pub(crate) fn close_with<E>(
        &mut self,
        lead: &[u8],
        mut emit: impl FnMut(&[u8], Part) -> Result<(), E>,
    ) -> Result<(), E> {
        self.hold(lead, Some(lead.len()), &mut emit)?;
        self.close(&mut emit)
    }

    /// What [`push_cut`](RecordSplitter::push_cut) does with the last
    /// record of a chunk, once the ones before it are handed out: holds
    /// `bytes`, whose last, unterminated line starts at `last_line` (their
    /// length if they end with a `\n`).
    pub(crate) fn hold_last<E>(
        &mut self,
        bytes: &[u8],
        last_line: usize,
        mut emit: impl FnMut(&[u8], Part) -> Result<(), E>,
    ) -> Result<(), E> {
        self.hold(bytes, Some(last_line), &mut emit)
    }

    /// Ends the stream: passes the open record (if any) to `emit` and resets.
    pub fn finish<E>(
        &mut self,
        mut emit: impl FnMut(Record<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.finish_parts(|b, part| emit(Record::part(b, part)))
    }

    /// Like [`finish`](RecordSplitter::finish), with unparsed bytes.
    pub fn finish_bytes<E>(
        &mut self,
        mut emit: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        self.finish_parts(|b, _| emit(b))
    }

    /// Like [`finish_bytes`](RecordSplitter::finish_bytes), saying for
    /// each piece where it lies in its record.
    pub fn finish_parts<E>(
        &mut self,
        mut emit: impl FnMut(&[u8], Part) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.buf.is_empty() && !self.cont {
            return self.reset_ok();
        }
        let ls = self.pending;
        if ls < self.buf.len() && !self.tail_known() && starts_record(&self.buf[ls..]) {
            let r = out(&self.buf[..ls], self.cont, &mut emit)
                .and_then(|()| out(&self.buf[ls..], false, &mut emit));
            self.reset();
            return r;
        }
        let r = out(&self.buf, self.cont, &mut emit);
        self.reset();
        r
    }

    fn reset_ok<E>(&mut self) -> Result<(), E> {
        self.reset();
        Ok(())
    }

    /// Whether the unterminated line belongs to the open record for sure:
    /// it is the record's first line, or it was settled.
    #[inline]
    fn tail_known(&self) -> bool {
        self.settled || (self.pending == 0 && !self.cont)
    }

    /// Decides whether the unterminated line, continued by `more` (which
    /// `complete`s it or not), starts a record, when enough of it is known:
    /// if it does, the open record before it is handed out.
    fn settle<E>(
        &mut self,
        more: &[u8],
        complete: bool,
        emit: &mut impl FnMut(&[u8], Part) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.tail_known() {
            return Ok(());
        }
        let have = self.buf.len() - self.pending;
        // A user-defined shape's regex may read the whole line.
        let limit = if formats::custom::installed().is_some() {
            formats::custom::LINE_LIMIT
        } else {
            DECIDE
        };
        let from_buf = have.min(limit);
        let from_more = (limit - from_buf).min(more.len());
        let known = from_buf + from_more;
        if !complete && known < limit {
            return Ok(()); // too short to tell yet
        }
        let starts = if limit == DECIDE {
            let mut head = [0u8; DECIDE];
            head[..from_buf].copy_from_slice(&self.buf[self.pending..self.pending + from_buf]);
            head[from_buf..known].copy_from_slice(&more[..from_more]);
            starts_record(&head[..known])
        } else {
            let mut head = self.buf[self.pending..self.pending + from_buf].to_vec();
            head.extend_from_slice(&more[..from_more]);
            starts_record(&head)
        };
        if starts {
            let ls = self.pending;
            out(&self.buf[..ls], self.cont, emit)?;
            self.buf.drain(..ls);
            self.pending = 0;
            self.cont = false;
            self.settled = false;
        } else {
            self.settled = true;
        }
        Ok(())
    }

    /// Appends `bytes` to the open record. `last_line`: where the last,
    /// unterminated line of `bytes` starts when they hold a `\n` (`None`:
    /// they continue the unterminated line). Past [`MAX_PIECE`] bytes, the
    /// bytes known to belong to the record are handed out as pieces.
    #[inline]
    fn hold<E>(
        &mut self,
        bytes: &[u8],
        last_line: Option<usize>,
        emit: &mut impl FnMut(&[u8], Part) -> Result<(), E>,
    ) -> Result<(), E> {
        if self.buf.len() + bytes.len() <= MAX_PIECE {
            if let Some(l) = last_line {
                self.pending = self.buf.len() + l;
                self.settled = false;
            }
            self.buf.extend_from_slice(bytes);
            return Ok(());
        }
        self.hold_long(bytes, emit)
    }

    /// [`hold`](RecordSplitter::hold) past [`MAX_PIECE`]: the bytes are
    /// added a room's worth at a time, handing out pieces in between.
    #[cold]
    fn hold_long<E>(
        &mut self,
        mut bytes: &[u8],
        emit: &mut impl FnMut(&[u8], Part) -> Result<(), E>,
    ) -> Result<(), E> {
        self.buf
            .reserve_exact((MAX_PIECE + 1).saturating_sub(self.buf.len()));
        while !bytes.is_empty() {
            let room = (MAX_PIECE + 1 - self.buf.len()).min(bytes.len());
            let (step, next) = bytes.split_at(room);
            bytes = next;
            if let Some(nl) = memchr::memrchr(b'\n', step) {
                self.pending = self.buf.len() + nl + 1;
                self.settled = false;
            }
            self.buf.extend_from_slice(step);
            if self.buf.len() > MAX_PIECE {
                self.spill(emit)?;
            }
        }
        Ok(())
    }

    /// Hands out a piece of the open record, which holds more than
    /// [`MAX_PIECE`] bytes, keeping at least its last byte.
    #[cold]
    fn spill<E>(&mut self, emit: &mut impl FnMut(&[u8], Part) -> Result<(), E>) -> Result<(), E> {
        self.settle(&[], false, emit)?;
        if self.buf.len() <= MAX_PIECE {
            return Ok(()); // a record start closed the record before it
        }
        let part = Part {
            cont: self.cont,
            more: true,
        };
        let cut = if self.pending == self.buf.len() || self.tail_known() {
            // Every byte held belongs to the record.
            char_cut(&self.buf, MAX_PIECE)
        } else {
            // The short unterminated line may start a record: keep it and
            // the `\n` before it, so that the record's end stays held.
            self.pending - 1
        };
        emit(&self.buf[..cut], part)?;
        self.buf.drain(..cut);
        if self.pending >= cut {
            self.pending -= cut;
        } else {
            // The cut fell inside the unterminated line, which is settled.
            self.pending = 0;
            self.settled = true;
        }
        self.cont = true;
        Ok(())
    }

    /// Hands out the rest of the open record, which ends here.
    fn close<E>(&mut self, emit: &mut impl FnMut(&[u8], Part) -> Result<(), E>) -> Result<(), E> {
        out(&self.buf, self.cont, emit)?;
        self.buf.clear();
        self.pending = 0;
        self.cont = false;
        self.settled = false;
        Ok(())
    }
}

/// Hands out `bytes`, the end of a record (all of it unless `cont`), in
/// pieces of at most [`MAX_PIECE`] bytes.
#[inline(always)]
pub(crate) fn out<E>(
    bytes: &[u8],
    cont: bool,
    emit: &mut impl FnMut(&[u8], Part) -> Result<(), E>,
) -> Result<(), E> {
    if !cont && bytes.len() <= MAX_PIECE {
        return emit(bytes, Part::WHOLE);
    }
    out_long(bytes, cont, emit)
}

#[cold]
pub(super) fn out_long<E>(
    mut bytes: &[u8],
    mut cont: bool,
    emit: &mut impl FnMut(&[u8], Part) -> Result<(), E>,
) -> Result<(), E> {
    while bytes.len() > MAX_PIECE {
        let cut = char_cut(bytes, MAX_PIECE);
        emit(&bytes[..cut], Part { cont, more: true })?;
        bytes = &bytes[cut..];
        cont = true;
    }
    emit(bytes, Part { cont, more: false })
}

/// A cut of `bytes` at `at` moved back (by at most 3 bytes) so that it
/// does not split a UTF-8 sequence.
pub(super) fn char_cut(bytes: &[u8], at: usize) -> usize {
    let mut cut = at;
    while cut > at - 3 && bytes.get(cut).is_some_and(|&b| b & 0xC0 == 0x80) {
        cut -= 1;
    }
    cut
}

/// Header-less lines the writer emits itself; each starts a raw record
/// (and so does `del time out files`, see `starts_other`).
pub(super) const TIP_PREFIXES: [&[u8]; 12] = [
    b"^^^^^^^^^^",
    b"$$$$$$$$$$",
    b"~~~~~ ",
    b"get mmap time: ",
    b"MARS_URL: ",
    b"MARS_PATH: ",
    b"MARS_REVISION: ",
    b"MARS_BUILD_TIME: ",
    b"MARS_BUILD_JOB: ",
    b"log appender mode:",
    b"log dir space info, ",
    b"cache dir space info, ",
];

/// Whether a line (given from its first byte; its end may be cut or include
/// the rest of the text) starts a new record. Only looks at a prefix with no `\n`.
#[inline(always)]
pub fn starts_record(line: &[u8]) -> bool {
    match line {
        // The letters of `Level::from_letter`, as one bit test.
        [b'[', b'V' | b'D' | b'I' | b'W' | b'E' | b'F', b']', ..] => true,
        [b'^' | b'$' | b'~' | b'g' | b'M' | b'l' | b'c', ..] => starts_tip(line),
        _ => starts_other(line),
    }
}

/// Whether a line starts with one of [`TIP_PREFIXES`] (or, failing that,
/// a user-defined shape's header).
#[cold]
pub(super) fn starts_tip(line: &[u8]) -> bool {
    TIP_PREFIXES.iter().any(|p| line.starts_with(p)) || starts_custom(line)
}

/// Whether a line that is no Mars bracket line nor one of the appender's
/// usual tips starts a record: any line the IM SDK writes (records and
/// its banner), an IM SDK 4.0.x record, the `del time out files` tip, or
/// a record of the installed user-defined shape. Out of line: the
/// bracket lines' path stays as short as it was.
#[inline(never)]
pub(super) fn starts_other(line: &[u8]) -> bool {
    match line {
        [b'T', b'I', b'M', b':', b' ', ..] => true,
        [b'0'..=b'9', ..] if formats::imsdk40::starts(line) => true,
        [b'd', ..] if line.starts_with(b"del time out files") => true,
        _ => formats::custom::installed().is_some() && starts_custom(line),
    }
}

/// Whether a line starts a record of the installed user-defined shape.
#[cold]
pub(super) fn starts_custom(line: &[u8]) -> bool {
    formats::custom::starts_installed(line)
}

/// End (exclusive) of the record that starts at `start`.
pub(super) fn record_end(data: &[u8], start: usize) -> usize {
    let mut pos = match find_byte(b'\n', &data[start..]) {
        Some(n) => start + n + 1,
        None => return data.len(),
    };
    while pos < data.len() {
        if starts_record(&data[pos..]) {
            return pos;
        }
        pos = match find_byte(b'\n', &data[pos..]) {
            Some(n) => pos + n + 1,
            None => return data.len(),
        };
    }
    data.len()
}

/// Calls `f` with the start and the end (its `\n`) of every whole line of
/// `text`, in order, read from the bit map of its `\n`s; returns where the
/// unterminated last line starts (the text's length if there is none). An
/// error from `f` ends the walk.
#[inline(always)]
pub(crate) fn whole_lines<E>(
    text: &[u8],
    mut f: impl FnMut(usize, usize) -> Result<(), E>,
) -> Result<usize, E> {
    let mut pos = 0;
    let mut map = [0u64; MAP_WORDS];
    let mut base = 0;
    while base < text.len() {
        let words = newline_map(&text[base..], &mut map);
        for (i, &word) in map[..words].iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let line_end = base + 64 * i + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                f(pos, line_end)?;
                pos = line_end + 1;
            }
        }
        base += 64 * words;
    }
    Ok(pos)
}

/// Words of the bit map of `\n`s that [`RecordSplitter`] reads lines'
/// ends from: 4 KiB of text at a time (one bit a byte, 64 bytes a compare
/// with AVX2), rather than a search for each `\n`, as most lines are
/// shorter than what a search costs to set up.
pub(super) const MAP_WORDS: usize = 64;

/// Maps the `\n`s of the first 4 KiB of `text` into `map`, bit `i % 64`
/// of word `i / 64` for byte `i`; the words in use.
#[inline(never)]
pub(super) fn newline_map(text: &[u8], map: &mut [u64; MAP_WORDS]) -> usize {
    let part = &text[..text.len().min(64 * MAP_WORDS)];
    #[cfg(target_arch = "x86_64")]
    {
        let full = part.len() / 64;
        let (blocks, tail) = part.split_at(64 * full);
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has AVX2.
            unsafe { newline_words::avx2(blocks, &mut map[..full]) };
        } else {
            newline_words::sse2(blocks, &mut map[..full]);
        }
        if !tail.is_empty() {
            // Zero bytes are no `\n`.
            let mut block = [0u8; 64];
            block[..tail.len()].copy_from_slice(tail);
            newline_words::sse2(&block, &mut map[full..=full]);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        map.fill(0);
        for i in memchr::memchr_iter(b'\n', part) {
            map[i / 64] |= 1 << (i % 64);
        }
    }
    part.len().div_ceil(64)
}

/// The `\n` bit map words of whole 64-byte blocks.
#[cfg(target_arch = "x86_64")]
pub(super) mod newline_words {
    use std::arch::x86_64::{
        __m128i, __m256i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
        _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_set1_epi8,
    };

    /// The word of each 64 bytes of `blocks` into `words`, 32 bytes a
    /// compare.
    ///
    /// # Safety
    /// The processor must have AVX2.
    #[target_feature(enable = "avx2")]
    pub(in crate::record) unsafe fn avx2(blocks: &[u8], words: &mut [u64]) {
        let nl = _mm256_set1_epi8(b'\n' as i8);
        for (block, word) in blocks.chunks_exact(64).zip(words) {
            // SAFETY: two loads of 32 of the block's 64 bytes; loadu takes
            // any alignment.
            let (a, b) = unsafe {
                (
                    _mm256_loadu_si256(block.as_ptr().cast::<__m256i>()),
                    _mm256_loadu_si256(block.as_ptr().add(32).cast::<__m256i>()),
                )
            };
            let lo = _mm256_movemask_epi8(_mm256_cmpeq_epi8(a, nl)) as u32;
            let hi = _mm256_movemask_epi8(_mm256_cmpeq_epi8(b, nl)) as u32;
            *word = u64::from(lo) | (u64::from(hi) << 32);
        }
    }

    /// [`avx2`] sixteen bytes a compare (SSE2 is part of x86-64).
    pub(in crate::record) fn sse2(blocks: &[u8], words: &mut [u64]) {
        for (block, word) in blocks.chunks_exact(64).zip(words) {
            let mut w = 0;
            for i in 0..4 {
                // SAFETY: a load of 16 of the block's 64 bytes; loadu takes
                // any alignment.
                let bits = unsafe {
                    let v = _mm_loadu_si128(block.as_ptr().add(16 * i).cast::<__m128i>());
                    _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8)))
                };
                w |= u64::from(bits as u16) << (16 * i);
            }
            *word = w;
        }
    }
}

/// Position of the first `needle` in `hay` (SIMD via memchr: record
/// splitting and header parsing scan every byte of the decoded text).
#[inline]
pub(crate) fn find_byte(needle: u8, hay: &[u8]) -> Option<usize> {
    memchr::memchr(needle, hay)
}

/// Position of the first `needle` in `hay`, for the short fields of a
/// header where a plain loop beats a vectorised search's set-up.
/// Eight bytes at a time (a header's fields are tens of bytes long).
#[inline]
pub(super) fn find_near(needle: u8, hay: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pattern = LO * u64::from(needle);
    let mut words = hay.chunks_exact(8);
    let mut at = 0;
    for word in words.by_ref() {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let x = u64::from_le_bytes(w) ^ pattern;
        // The lowest byte flagged is the first zero byte of x (borrows only
        // flag bytes above a zero one).
        let zero = x.wrapping_sub(LO) & !x & HI;
        if zero != 0 {
            return Some(at + (zero.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| b == needle)
        .map(|n| at + n)
}

/// Position of the first `a` immediately followed by `b`.
#[inline]
pub(super) fn find_pair(a: u8, b: u8, hay: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(n) = find_near(a, &hay[from..]) {
        let p = from + n;
        if hay.get(p + 1) == Some(&b) {
            return Some(p);
        }
        from = p + 1;
    }
    None
}
