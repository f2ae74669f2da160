//! One pass over a header line's bytes that finds where its fields are.
//!
//! [`split_prefix`](super::split_prefix) and the location parser look for
//! each delimiter in turn, a short search per field, and read each number
//! digit by digit. Here the first [`WINDOW`] bytes of the line are
//! classified once, 32 or 16 at a time (AVX2 where the processor has it,
//! else SSE2, which every x86-64 processor has; other processors classify
//! byte by byte), into bit masks of `]`,
//! `,`, `\n` and digits; every field boundary is then a bit scan and
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
    /// End of the source file's name (which starts at `tag_end + 2`).
    pub(crate) file_end: usize,
    /// The source line's digits.
    pub(crate) line: (usize, usize),
    /// The function's name.
    pub(crate) func: (usize, usize),
    /// The location is in the older layout, `file, func, LINE`.
    pub(crate) legacy: bool,
    /// The time's last 12 bytes are a valid `HH:MM:SS.mmm`. When false the
    /// time does not parse; when true its date and offset may still not.
    pub(crate) clock_ok: bool,
}

impl Spans {
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

    /// The source file's name.
    #[inline]
    pub(crate) fn file(&self) -> Range<usize> {
        self.tag_end + 2..self.file_end
    }
}

/// What the one pass made of a line.
#[cfg(test)]
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

/// A class mask of the window as two words: bytes 0..64, then 64..128.
/// Word operations are a few instructions where 128-bit ones with a
/// variable count are a dozen, and the first word holds most fields.
#[derive(Clone, Copy)]
struct Mask([u64; 2]);

impl Mask {
    #[inline(always)]
    fn new(m: u128) -> Mask {
        Mask([m as u64, (m >> 64) as u64])
    }

    /// The first set bit at or after `from`; [`WINDOW`] when there is none.
    #[inline(always)]
    fn first(self, from: usize) -> usize {
        let [lo, hi] = self.0;
        if from < 64 {
            let bits = lo & (u64::MAX << from);
            if bits != 0 {
                return bits.trailing_zeros() as usize;
            }
            64 + hi.trailing_zeros() as usize
        } else if from < WINDOW {
            64 + (hi & (u64::MAX << (from - 64))).trailing_zeros() as usize
        } else {
            WINDOW
        }
    }

    /// The last set bit before `end` (at most [`WINDOW`]).
    #[inline(always)]
    fn last(self, end: usize) -> Option<usize> {
        let [lo, hi] = self.0;
        let below = |w: u64, n: usize| w & u64::MAX.checked_shr(64 - n as u32).unwrap_or(0);
        if end > 64 {
            let h = below(hi, end - 64);
            if h != 0 {
                return Some(127 - h.leading_zeros() as usize);
            }
        }
        let l = below(lo, end.min(64));
        (l != 0).then(|| 63 - l.leading_zeros() as usize)
    }

    /// The 12 bits from `at` (`at` + 12 at most [`WINDOW`]).
    #[inline(always)]
    fn twelve(self, at: usize) -> u64 {
        let [lo, hi] = self.0;
        let bits = if at + 12 <= 64 {
            lo >> at
        } else if at >= 64 {
            hi >> (at - 64)
        } else {
            (lo >> at) | (hi << (64 - at))
        };
        bits & 0xFFF
    }
}

/// The fields of the header on the first line of `rec`.
#[cfg(test)]
pub(crate) fn scan(rec: &[u8]) -> Scan {
    if rec.len() >= 4 && rec[0] == b'[' && rec[2] == b']' && rec[3] == b'[' {
        // Every classifier's masks lead the walk to the same answer.
        let view = match rec.first_chunk() {
            Some(v) => *v,
            None => padded(rec),
        };
        let want = fields(rec);
        assert_eq!(walk(rec.len(), &view, classify_bytes(window(&view))), want);
        #[cfg(target_arch = "x86_64")]
        assert_eq!(walk(rec.len(), &view, sse2::classify(window(&view))), want);
    }
    match fields(rec) {
        Ok(Some(s)) => Scan::Header(s),
        Ok(None) => Scan::NotHeader,
        Err(()) => Scan::Unknown,
    }
}

/// Where the fields of the header on the first line of `rec` lie:
/// `Ok(None)` when it has none, `Err(())` when the header does not end
/// within the window (ask the scalar parser).
#[inline(always)]
pub(crate) fn fields(rec: &[u8]) -> Result<Option<Spans>, ()> {
    if rec.len() < 4 || rec[0] != b'[' || rec[2] != b']' || rec[3] != b'[' {
        return Ok(None);
    }
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has AVX2.
            return unsafe { avx2::fields(rec) };
        }
    }
    match rec.first_chunk() {
        Some(v) => walk(rec.len(), v, classify_window(window(v))),
        None => walk(rec.len(), &padded(rec), classify(rec)),
    }
}

/// The fields of a record of `len` bytes, from the first [`VIEW`] bytes
/// of it (zero-padded) and the class masks of its first [`WINDOW`] bytes
/// (`]`, `,`, `\n`, digits; bytes past its end in no class).
///
/// The masks are not cut at the line's end: a delimiter found past it
/// lies after every delimiter found before it, so the message start,
/// found last, lies past the line's end too, and the one check of that
/// at the end rejects the line, as the scalar parser does when a
/// delimiter is missing from the line.
#[inline(always)]
fn walk(
    len: usize,
    rec: &[u8; VIEW],
    [close, comma, newline, digit]: [u128; 4],
) -> Result<Option<Spans>, ()> {
    let (line_end, whole) = if newline != 0 {
        (newline.trailing_zeros() as usize, true)
    } else {
        (len, len <= WINDOW)
    };
    let [close, comma, digit] = [close, comma, digit].map(Mask::new);
    let other = Mask(digit.0.map(|w| !w));
    // Past the record's end the view holds zeros, none of the bytes
    // looked for.
    let byte = |i: usize| rec.get(i).copied();
    // A search that finds nothing in the window: no header when the line
    // ends within it, else a question for the scalar parser.
    macro_rules! found {
        ($p:expr) => {{
            let p = $p;
            if p >= WINDOW {
                return if whole { Ok(None) } else { Err(()) };
            }
            p
        }};
    }
    // The first `mask` byte from `from` that `second` follows.
    macro_rules! pair {
        ($mask:expr, $second:expr, $from:expr) => {{
            let mut p = found!($mask.first($from));
            while byte(p + 1) != Some($second) {
                p = found!($mask.first(p + 1));
            }
            p
        }};
    }
    macro_rules! ensure {
        ($cond:expr) => {
            if !$cond {
                return Ok(None);
            }
        };
    }
    // `-`? then 1..=18 digits up to `end`, as the scalar parser's `int`
    // takes: the first non-digit from the first digit is `end`.
    macro_rules! is_int {
        ($start:expr, $end:expr) => {{
            let (start, end) = ($start, $end);
            let start = start + usize::from(byte(start) == Some(b'-'));
            start < end && end - start <= 18 && other.first(start) == end
        }};
    }
    let ts_end = found!(close.first(4));
    ensure!(byte(ts_end + 1) == Some(b'['));
    let pid_start = ts_end + 2;
    let comma_at = found!(comma.first(pid_start));
    ensure!(is_int!(pid_start, comma_at) && byte(comma_at + 1) == Some(b' '));
    let tid_start = comma_at + 2;
    let close_at = found!(close.first(tid_start));
    // The byte before an empty thread id is the space: no `*`.
    let tid_end = close_at - usize::from(rec[close_at - 1] == b'*');
    ensure!(is_int!(tid_start, tid_end) && byte(close_at + 1) == Some(b'['));
    let tag_end = pair!(close, b'[', close_at + 2);
    let loc = tag_end + 2;
    let lc = pair!(comma, b' ', loc);
    let func = lc + 2;
    // The current layout, `file:LINE, func][`, when the last colon of
    // the location before `, ` is followed by 1..=9 digits up to it: then
    // it is the last non-digit there (the `[` before the location is one).
    let c = other.last(lc).unwrap_or(0);
    // With where the file ends, the line's digits and the function's end.
    let (end, file_end, line, func_end, legacy) = match lc - c - 1 {
        1..=9 if rec[c] == b':' => {
            let end = pair!(close, b'[', func);
            (end, c, (c + 1, lc), end, false)
        }
        // The older ones: the first `][` after `, LINE`.
        _ => {
            let mut from = func;
            loop {
                let p = pair!(close, b'[', from);
                let digits = rec[func..p]
                    .iter()
                    .rev()
                    .take_while(|c| c.is_ascii_digit())
                    .count();
                let q = p - digits;
                if (1..=9).contains(&digits) && q >= func + 2 && &rec[q - 2..q] == b", " {
                    break (p, lc, (q, p), q - 2, true);
                }
                from = p + 1;
            }
        }
    };
    ensure!(end + 2 <= line_end);
    Ok(Some(Spans {
        time_end: ts_end,
        comma: comma_at,
        tid_end,
        close: close_at,
        tag_end,
        body: end + 2,
        file_end,
        line,
        func: (func, func_end),
        legacy,
        clock_ok: clock_ok(rec, digit, ts_end),
    }))
}

/// Whether the last 12 bytes of the time, which ends at `time_end`, read
/// `HH:MM:SS.mmm` with an hour, minute and second that exist.
#[inline(always)]
fn clock_ok(rec: &[u8], digit: Mask, time_end: usize) -> bool {
    // Digits at 0 1 3 4 6 7 9 10 11.
    const DIGITS: u64 = 0b1110_1101_1011;
    if time_end < 4 + 12 {
        return false;
    }
    let at = time_end - 12;
    let Some(t) = rec[at..].first_chunk::<12>() else {
        return false;
    };
    if digit.twelve(at) & DIGITS != DIGITS || t[2] != b':' || t[5] != b':' || t[8] != b'.' {
        return false;
    }
    let two = |i: usize| (t[i] - b'0') * 10 + (t[i + 1] - b'0');
    two(0) < 24 && two(3) < 60 && two(6) < 60
}

/// The masks of `]`, `,`, `\n` and digits over the first [`WINDOW`]
/// bytes.
#[inline]
fn classify(line: &[u8]) -> [u128; 4] {
    match line.first_chunk() {
        Some(window) => classify_window(window),
        None => classify_window(window(&padded(line))),
    }
}

/// The bytes the walk reads: the window and the two after it (a pair's
/// second byte, the start of the field after a delimiter).
const VIEW: usize = WINDOW + 2;

/// A line shorter than the view, zero-padded to it (zero bytes belong to
/// no class, and are none of the bytes the walk looks for).
#[cold]
fn padded(line: &[u8]) -> [u8; VIEW] {
    let mut buf = [0u8; VIEW];
    buf[..line.len()].copy_from_slice(line);
    buf
}

/// The window at the start of a view.
#[inline(always)]
fn window(view: &[u8; VIEW]) -> &[u8; WINDOW] {
    view.first_chunk().expect("the view holds the window")
}

/// [`classify`] on a whole window.
#[inline]
fn classify_window(window: &[u8; WINDOW]) -> [u128; 4] {
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
fn classify_bytes(window: &[u8; WINDOW]) -> [u128; 4] {
    let mut masks = [0u128; 4];
    for (i, &b) in window.iter().enumerate() {
        let class = match b {
            b']' => 0,
            b',' => 1,
            b'\n' => 2,
            b'0'..=b'9' => 3,
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

    /// The masks of `]`, `,`, `\n` and digits over 128 bytes,
    /// sixteen bytes per compare.
    #[inline]
    pub(super) fn classify(bytes: &[u8; WINDOW]) -> [u128; 4] {
        let mut masks = [[0u64; 4]; 2];
        // SAFETY: SSE2 is part of x86-64; every load reads 16 of the 128
        // bytes, and loadu takes any alignment.
        unsafe {
            let classes = [
                _mm_set1_epi8(b']' as i8),
                _mm_set1_epi8(b',' as i8),
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
                    masks[3] |= u64::from(_mm_movemask_epi8(digit) as u16) << (16 * i);
                }
            }
        }
        std::array::from_fn(|c| u128::from(masks[0][c]) | (u128::from(masks[1][c]) << 64))
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Spans, WINDOW, padded, walk, window};
    use std::arch::x86_64::{
        __m256i, _mm256_and_si256, _mm256_cmpeq_epi8, _mm256_cmpgt_epi8, _mm256_loadu_si256,
        _mm256_movemask_epi8, _mm256_set1_epi8,
    };

    /// [`fields`](super::fields) with the classes found and the fields
    /// walked in one function compiled for AVX2, the masks never leaving
    /// registers.
    ///
    /// # Safety
    /// The processor must have AVX2.
    #[inline]
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn fields(rec: &[u8]) -> Result<Option<Spans>, ()> {
        // SAFETY: the caller vouches for AVX2.
        match rec.first_chunk() {
            Some(v) => walk(rec.len(), v, unsafe { classify(window(v)) }),
            None => {
                let v = padded(rec);
                walk(rec.len(), &v, unsafe { classify(window(&v)) })
            }
        }
    }

    /// The masks of `]`, `,`, `\n` and digits over 128 bytes,
    /// thirty-two bytes per compare.
    ///
    /// # Safety
    /// The processor must have AVX2.
    #[inline]
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn classify(bytes: &[u8; WINDOW]) -> [u128; 4] {
        let mut masks = [0u128; 4];
        let classes = [
            _mm256_set1_epi8(b']' as i8),
            _mm256_set1_epi8(b',' as i8),
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
            masks[3] |= u128::from(_mm256_movemask_epi8(digit) as u32) << (32 * i);
        }
        masks
    }
}

#[cfg(test)]
mod tests;
