//! One pass over a header line's bytes that finds where its fields are.
//!
//! [`split_prefix`](super::split_prefix) and the location parser look for
//! each delimiter in turn, a short search per field, and read each number
//! digit by digit. Here the first [`WINDOW`] bytes of the line are
//! classified once, 32 or 16 at a time (AVX2 where the processor has it,
//! else SSE2, which every x86-64 processor has; other processors classify
//! byte by byte), into bit masks of `]`,
//! `,`, `:`, `\n` and digits; every field boundary is then a bit scan and
//! every "all digits" check a mask test. The answer is the scalar parser's,
//! field for field (tests compare them on mutated headers); a header that
//! does not end within the window is left to the scalar parser.

use std::ops::Range;

/// Where the fields of a header lie in its line, the time still unread:
/// what [`split_prefix`](super::split_prefix) and the location parser
/// accept. Positions are byte offsets in the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spans {
    /// End of the time's text (which starts at 4).
    pub(crate) time_end: usize,
    /// The comma after the process id.
    pub(crate) comma: usize,
    /// End of the thread id's text, before any main-thread `*`.
    pub(crate) tid_end: usize,
    /// The `]` after the thread id.
    pub(crate) close: usize,
    /// End of the tag.
    pub(crate) tag_end: usize,
    /// Where the message starts.
    pub(crate) body: usize,
    /// The time's last 12 bytes are a valid `HH:MM:SS.mmm`. When false the
    /// time does not parse; when true its date and offset may still not.
    pub(crate) clock_ok: bool,
}

impl Spans {
    /// The text between the time's brackets.
    #[inline]
    pub(crate) fn time(&self) -> Range<usize> {
        4..self.time_end
    }

    /// The process id's text (`-`? digits).
    #[inline]
    pub(crate) fn pid_text(&self) -> Range<usize> {
        self.time_end + 2..self.comma
    }

    /// The thread id's text, without the main-thread `*`.
    #[inline]
    pub(crate) fn tid_text(&self) -> Range<usize> {
        self.comma + 2..self.tid_end
    }

    /// The thread id was marked `*`.
    #[inline]
    pub(crate) fn main_thread(&self) -> bool {
        self.close > self.tid_end
    }

    /// The tag.
    #[inline]
    pub(crate) fn tag(&self) -> Range<usize> {
        self.close + 2..self.tag_end
    }
}

/// What the one pass made of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scan {
    /// A header with these fields (the time not yet read).
    Header(Spans),
    /// Not a header: the scalar parser would say the same.
    NotHeader,
    /// Out of this pass's reach: ask the scalar parser.
    Unknown,
}

/// Bytes classified: a header that does not end within them is left to
/// the scalar parser.
const WINDOW: usize = 128;

/// Class masks of the first [`WINDOW`] bytes of a line, one bit per byte
/// (bytes past the line's end belong to no class).
struct Masks<'a> {
    /// The line, when it ends within the window; else the record from the
    /// line's start (positions within the window are the line's).
    line: &'a [u8],
    /// The line ends within the window.
    whole: bool,
    close: u128,
    comma: u128,
    colon: u128,
    digit: u128,
}

impl<'a> Masks<'a> {
    /// The masks of the first line of `rec`.
    #[inline]
    fn new(rec: &'a [u8]) -> Masks<'a> {
        let [mut close, mut comma, mut colon, newline, mut digit] = classify(rec);
        let (line, whole) = if newline != 0 {
            let end = newline.trailing_zeros() as usize;
            let keep = (1u128 << end) - 1;
            close &= keep;
            comma &= keep;
            colon &= keep;
            digit &= keep;
            (&rec[..end], true)
        } else {
            (rec, rec.len() <= WINDOW)
        };
        Masks {
            line,
            whole,
            close,
            comma,
            colon,
            digit,
        }
    }

    /// The first set bit of `mask` at or after `from`: `Ok(None)` when the
    /// line has none, `Err(())` when the answer may lie past the window.
    #[inline]
    fn next(&self, mask: u128, from: usize) -> Result<Option<usize>, ()> {
        if from < WINDOW {
            let bits = mask >> from;
            if bits != 0 {
                return Ok(Some(from + bits.trailing_zeros() as usize));
            }
        }
        if self.whole { Ok(None) } else { Err(()) }
    }

    /// The first set bit of `mask` at or after `from` that `second` follows.
    #[inline]
    fn next_pair(&self, mask: u128, second: u8, from: usize) -> Result<Option<usize>, ()> {
        let mut from = from;
        loop {
            match self.next(mask, from)? {
                Some(p) if self.line.get(p + 1) == Some(&second) => return Ok(Some(p)),
                Some(p) => from = p + 1,
                None => return Ok(None),
            }
        }
    }

    /// Whether every byte of `range` (within the window) is a digit.
    #[inline]
    fn digits(&self, range: Range<usize>) -> bool {
        let ones = ones(range.end - range.start);
        (self.digit >> range.start) & ones == ones
    }

    /// `-`? then 1..=18 digits, as the scalar parser's `int` takes.
    #[inline]
    fn is_int(&self, range: Range<usize>) -> bool {
        let start = range.start + usize::from(self.line.get(range.start) == Some(&b'-'));
        start < range.end && range.end - start <= 18 && self.digits(start..range.end)
    }

    /// 1..=9 digits, as the scalar parser's `num` takes.
    #[inline]
    fn is_num(&self, range: Range<usize>) -> bool {
        !range.is_empty() && range.end - range.start <= 9 && self.digits(range)
    }
}

/// A mask of the `n` lowest bits (`n` ≤ 128).
#[inline]
fn ones(n: usize) -> u128 {
    u128::MAX.checked_shr(128 - n as u32).unwrap_or(0)
}

/// The last set bit of `mask` in `range` (within the window).
#[inline]
fn last(mask: u128, range: Range<usize>) -> Option<usize> {
    let bits = (mask >> range.start) & ones(range.end - range.start);
    (bits != 0).then(|| range.start + 127 - bits.leading_zeros() as usize)
}

/// The fields of the header on the first line of `rec`.
pub(crate) fn scan(rec: &[u8]) -> Scan {
    match fields(rec) {
        Ok(Some(s)) => Scan::Header(s),
        Ok(None) => Scan::NotHeader,
        Err(()) => Scan::Unknown,
    }
}

fn fields(rec: &[u8]) -> Result<Option<Spans>, ()> {
    if rec.len() < 4 || rec[0] != b'[' || rec[2] != b']' || rec[3] != b'[' {
        return Ok(None);
    }
    let m = Masks::new(rec);
    let line = m.line;
    macro_rules! found {
        ($e:expr) => {
            match $e? {
                Some(p) => p,
                None => return Ok(None),
            }
        };
    }
    macro_rules! expect {
        ($at:expr, $byte:expr) => {
            if line.get($at) != Some(&$byte) {
                return Ok(None);
            }
        };
    }
    macro_rules! ensure {
        ($cond:expr) => {
            if !$cond {
                return Ok(None);
            }
        };
    }
    // Every position below that a mask test reads is before a delimiter
    // found in the window, so within it.
    let ts_end = found!(m.next(m.close, 4));
    expect!(ts_end + 1, b'[');
    let pid_start = ts_end + 2;
    let comma = found!(m.next(m.comma, pid_start));
    ensure!(m.is_int(pid_start..comma));
    expect!(comma + 1, b' ');
    let tid_start = comma + 2;
    let close = found!(m.next(m.close, tid_start));
    let tid_end = match line[tid_start..close].last() {
        Some(b'*') => close - 1,
        _ => close,
    };
    ensure!(m.is_int(tid_start..tid_end));
    expect!(close + 1, b'[');
    let tag_start = close + 2;
    let tag_end = found!(m.next_pair(m.close, b'[', tag_start));
    let loc = tag_end + 2;
    let lc = found!(m.next_pair(m.comma, b' ', loc));
    let func = lc + 2;
    let end = match last(m.colon, loc..lc) {
        // The current layout, `file:LINE, func][`.
        Some(colon) if m.is_num(colon + 1..lc) => found!(m.next_pair(m.close, b'[', func)),
        // The older ones: the first `][` after `, LINE`.
        _ => {
            let mut from = func;
            loop {
                let p = found!(m.next_pair(m.close, b'[', from));
                let digits = line[func..p]
                    .iter()
                    .rev()
                    .take_while(|c| c.is_ascii_digit())
                    .count();
                let q = p - digits;
                if q >= func + 2 && &line[q - 2..q] == b", " && m.is_num(q..p) {
                    break p;
                }
                from = p + 1;
            }
        }
    };
    Ok(Some(Spans {
        time_end: ts_end,
        comma,
        tid_end,
        close,
        tag_end,
        body: end + 2,
        clock_ok: clock_ok(&m, 4..ts_end),
    }))
}

/// Whether the last 12 bytes of `time` read `HH:MM:SS.mmm` with an hour,
/// minute and second that exist.
#[inline]
fn clock_ok(m: &Masks<'_>, time: Range<usize>) -> bool {
    // Digits at 0 1 3 4 6 7 9 10 11, colons at 2 and 5.
    const DIGITS: u128 = 0b1110_1101_1011;
    const COLONS: u128 = 0b0000_0010_0100;
    if time.end - time.start < 12 {
        return false;
    }
    let at = time.end - 12;
    let t = &m.line[at..time.end];
    if (m.digit >> at) & DIGITS != DIGITS || (m.colon >> at) & COLONS != COLONS || t[8] != b'.' {
        return false;
    }
    let two = |i: usize| (t[i] - b'0') * 10 + (t[i + 1] - b'0');
    two(0) < 24 && two(3) < 60 && two(6) < 60
}

/// The masks of `]`, `,`, `:`, `\n` and digits over the first [`WINDOW`]
/// bytes.
#[inline]
fn classify(line: &[u8]) -> [u128; 5] {
    match line.first_chunk() {
        Some(window) => classify_window(window),
        None => {
            // Zero bytes belong to no class.
            let mut buf = [0u8; WINDOW];
            buf[..line.len()].copy_from_slice(line);
            classify_window(&buf)
        }
    }
}

/// [`classify`] on a whole window.
#[inline]
fn classify_window(window: &[u8; WINDOW]) -> [u128; 5] {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has AVX2.
            return unsafe { avx2::classify(window) };
        }
        sse2::classify(window)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        classify_bytes(window)
    }
}

/// [`classify`] byte by byte.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn classify_bytes(window: &[u8; WINDOW]) -> [u128; 5] {
    let mut masks = [0u128; 5];
    for (i, &b) in window.iter().enumerate() {
        let class = match b {
            b']' => 0,
            b',' => 1,
            b':' => 2,
            b'\n' => 3,
            b'0'..=b'9' => 4,
            _ => continue,
        };
        masks[class] |= 1 << i;
    }
    masks
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use super::WINDOW;
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_cmpgt_epi8, _mm_cmplt_epi8, _mm_loadu_si128,
        _mm_movemask_epi8, _mm_set1_epi8,
    };

    /// The masks of `]`, `,`, `:`, `\n` and digits over 128 bytes,
    /// sixteen bytes per compare.
    #[inline]
    pub(super) fn classify(bytes: &[u8; WINDOW]) -> [u128; 5] {
        let mut masks = [[0u64; 5]; 2];
        // SAFETY: SSE2 is part of x86-64; every load reads 16 of the 128
        // bytes, and loadu takes any alignment.
        unsafe {
            let classes = [
                _mm_set1_epi8(b']' as i8),
                _mm_set1_epi8(b',' as i8),
                _mm_set1_epi8(b':' as i8),
                _mm_set1_epi8(b'\n' as i8),
            ];
            // Signed compares: bytes from 0x80 up are negative, below '0'.
            let (below, above) = (_mm_set1_epi8(b'0' as i8 - 1), _mm_set1_epi8(b'9' as i8 + 1));
            for (half, masks) in masks.iter_mut().enumerate() {
                for i in 0..4 {
                    let at = 64 * half + 16 * i;
                    let v = _mm_loadu_si128(bytes.as_ptr().add(at).cast::<__m128i>());
                    for (mask, &class) in masks.iter_mut().zip(&classes) {
                        let bits = _mm_movemask_epi8(_mm_cmpeq_epi8(v, class)) as u16;
                        *mask |= u64::from(bits) << (16 * i);
                    }
                    let digit = _mm_and_si128(_mm_cmpgt_epi8(v, below), _mm_cmplt_epi8(v, above));
                    masks[4] |= u64::from(_mm_movemask_epi8(digit) as u16) << (16 * i);
                }
            }
        }
        std::array::from_fn(|c| u128::from(masks[0][c]) | (u128::from(masks[1][c]) << 64))
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::WINDOW;
    use std::arch::x86_64::{
        __m256i, _mm256_and_si256, _mm256_cmpeq_epi8, _mm256_cmpgt_epi8, _mm256_loadu_si256,
        _mm256_movemask_epi8, _mm256_set1_epi8,
    };

    /// The masks of `]`, `,`, `:`, `\n` and digits over 128 bytes,
    /// thirty-two bytes per compare.
    ///
    /// # Safety
    /// The processor must have AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn classify(bytes: &[u8; WINDOW]) -> [u128; 5] {
        let mut masks = [0u128; 5];
        let classes = [
            _mm256_set1_epi8(b']' as i8),
            _mm256_set1_epi8(b',' as i8),
            _mm256_set1_epi8(b':' as i8),
            _mm256_set1_epi8(b'\n' as i8),
        ];
        // Signed compares: bytes from 0x80 up are negative, below '0'.
        let (below, above) = (
            _mm256_set1_epi8(b'0' as i8 - 1),
            _mm256_set1_epi8(b'9' as i8 + 1),
        );
        for i in 0..WINDOW / 32 {
            // SAFETY: 32 of the 128 bytes; loadu takes any alignment.
            let v = unsafe { _mm256_loadu_si256(bytes.as_ptr().add(32 * i).cast::<__m256i>()) };
            for (mask, &class) in masks.iter_mut().zip(&classes) {
                let bits = _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, class)) as u32;
                *mask |= u128::from(bits) << (32 * i);
            }
            let digit = _mm256_and_si256(_mm256_cmpgt_epi8(v, below), _mm256_cmpgt_epi8(above, v));
            masks[4] |= u128::from(_mm256_movemask_epi8(digit) as u32) << (32 * i);
        }
        masks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_classifier_gives_the_byte_by_byte_masks() {
        // Every byte value at every position, and text-like windows.
        let mut windows: Vec<[u8; WINDOW]> = (0..=255u8)
            .map(|k| std::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(k)))
            .collect();
        windows.push(std::array::from_fn(|i| {
            b"[I][2024-01-31 +8.0 10:00:0, :]\n"[i % 32]
        }));
        for w in &windows {
            let want = classify_bytes(w);
            #[cfg(target_arch = "x86_64")]
            {
                assert_eq!(sse2::classify(w), want);
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the processor has AVX2.
                    assert_eq!(unsafe { avx2::classify(w) }, want);
                }
            }
            assert_eq!(classify(w), want);
        }
    }
}
