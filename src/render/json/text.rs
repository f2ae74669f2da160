//! The pieces of JSON text: strings escaped from log bytes (checked for
//! UTF-8 with SIMD, scanned for escapes sixteen bytes at a time), numbers
//! and times, written without the formatting machinery.

use std::io::{self, Write};

use crate::record::Timestamp;

/// Bytes that JSON strings must escape: control characters, `"` and `\`.
pub(super) const NEEDS_ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Whether any of the eight bytes of `w` is one JSON must escape (a
/// control character, `"` or `\\`).
#[inline]
pub(super) fn needs_escape(w: u64) -> bool {
    escape_flags(w) != 0
}

/// The high bit of each byte of `w` that JSON must escape, and perhaps of
/// bytes above such a byte: exact word tests for a byte below 0x20 and for
/// a byte equal to each of the two, whose borrows only flag bytes above a
/// flagged one. The lowest flag is exact.
#[inline]
pub(super) fn escape_flags(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGHS;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    below(w, 0x20) | zero(w ^ (ONES * u64::from(b'"'))) | zero(w ^ (ONES * u64::from(b'\\')))
}

/// Writes `s` as a JSON string literal.
pub(super) fn write_str<W: Write>(out: &mut W, s: &str) -> io::Result<()> {
    out.write_all(b"\"")?;
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Eight bytes at a time past those that need no escape.
        while let Some(word) = bytes.get(i..i + 8) {
            let w = u64::from_le_bytes(word.try_into().expect("eight bytes"));
            if needs_escape(w) {
                break;
            }
            i += 8;
        }
        let Some(&b) = bytes.get(i) else {
            break;
        };
        i += 1;
        if !NEEDS_ESCAPE[usize::from(b)] {
            continue;
        }
        out.write_all(&bytes[start..i - 1])?;
        write_escape(out, b)?;
        start = i;
    }
    out.write_all(&bytes[start..])?;
    out.write_all(b"\"")
}

/// Writes the JSON escape of a byte in [`NEEDS_ESCAPE`].
#[inline]
pub(super) fn write_escape<W: Write>(out: &mut W, b: u8) -> io::Result<()> {
    match b {
        b'"' => out.write_all(b"\\\""),
        b'\\' => out.write_all(b"\\\\"),
        b'\n' => out.write_all(b"\\n"),
        b'\r' => out.write_all(b"\\r"),
        b'\t' => out.write_all(b"\\t"),
        _ => write!(out, "\\u{:04x}", b),
    }
}

/// Whether `bytes` are UTF-8. SIMD validation (the simdutf8 crate): JSON
/// output checks every byte of the log's text, much of it not ASCII.
#[inline]
pub(super) fn is_utf8(bytes: &[u8]) -> bool {
    simdutf8::basic::from_utf8(bytes).is_ok()
}

/// Whether the fields of a record are UTF-8, from one check of the whole
/// record: a field that lies within a record of UTF-8 is UTF-8 when it
/// starts and ends on character boundaries. Fields from elsewhere, and
/// those of a record that is not UTF-8, are checked on their own.
#[derive(Clone, Copy)]
pub(super) struct Utf8<'a> {
    /// The record's bytes.
    pub(super) record: &'a [u8],
    /// Whether they are UTF-8.
    pub(super) valid: bool,
}

impl<'a> Utf8<'a> {
    /// Checks `record` once.
    pub(super) fn of(record: &'a [u8]) -> Utf8<'a> {
        Utf8 {
            record,
            valid: is_utf8(record),
        }
    }

    /// Whether `field` is UTF-8.
    #[inline]
    pub(super) fn holds(&self, field: &[u8]) -> bool {
        if field.is_empty() {
            return true;
        }
        if self.valid {
            let base = self.record.as_ptr() as usize;
            let at = field.as_ptr() as usize;
            if at >= base && at - base + field.len() <= self.record.len() {
                let (start, end) = (at - base, at - base + field.len());
                // A byte 0x80..=0xBF continues a character.
                let boundary = |i: usize| self.record.get(i).is_none_or(|&b| (b as i8) >= -0x40);
                return boundary(start) && boundary(end);
            }
        }
        is_utf8(field)
    }
}

/// The bytes [`write_field`] reads at once.
const FIELD: usize = 32;

impl<'a> Utf8<'a> {
    /// The [`FIELD`] bytes of the record from where `field` starts, when
    /// the record is UTF-8, `field` lies in it with characters whole and
    /// is at most that long, and the record goes on that far.
    #[inline(always)]
    fn window(&self, field: &[u8]) -> Option<&'a [u8; FIELD]> {
        if !self.valid || field.len() > FIELD {
            return None;
        }
        let at = (field.as_ptr() as usize).checked_sub(self.record.as_ptr() as usize)?;
        let window = self.record.get(at..at + FIELD)?.first_chunk()?;
        // A byte 0x80..=0xBF continues a character.
        let boundary = |i: usize| (window[i] as i8) >= -0x40;
        (boundary(0) && (field.len() == FIELD || boundary(field.len()))).then_some(window)
    }
}

/// Bit `i` set when byte `i` of `bytes` is one JSON escapes (below
/// 0x20, `"` or `\\`); perhaps also for bytes after such a byte.
#[inline]
fn escape_bits(bytes: &[u8; FIELD]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        let half =
            |i: usize| sse2::escape_mask(bytes[16 * i..16 * i + 16].try_into().expect("16 bytes"));
        half(0) | half(1) << 16
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        match find_escape(bytes) {
            Some(i) => u32::MAX << i,
            None => 0,
        }
    }
}

/// Writes a short field of a record that `utf8` found UTF-8, without
/// quotes, as one fixed-size copy straight from the record to `out`, when
/// it needs no escape, as most do; else writes nothing and says so.
#[inline(always)]
fn write_window(out: &mut Vec<u8>, field: &[u8], utf8: &Utf8<'_>) -> bool {
    let Some(window) = utf8.window(field) else {
        return false;
    };
    let len = field.len();
    if escape_bits(window) & u32::MAX.checked_shr(FIELD as u32 - len as u32).unwrap_or(0) != 0 {
        return false;
    }
    let at = out.len();
    out.extend_from_slice(window);
    out.truncate(at + len);
    true
}

/// [`write_text`] for a short field of a record that `utf8` checked (the
/// time, tag, file, function): the quotes around [`write_window`]'s copy
/// where it makes one (not a copy built on the stack with the closing
/// quote stored at a varying place: it would be read back before that
/// store is done).
#[inline(always)]
pub(super) fn write_field(out: &mut Vec<u8>, field: &[u8], utf8: &Utf8<'_>) -> bool {
    out.reserve(FIELD + 2);
    out.push(b'"');
    if write_window(out, field, utf8) {
        out.push(b'"');
        return false;
    }
    out.pop();
    write_text(out, field, utf8.holds(field))
}

/// A field of a record that `utf8` found UTF-8, escaped for a JSON string
/// without its quotes ([`write_window`]'s copy where it makes one).
/// `None` (nothing written) when the field is not UTF-8 on its own.
#[inline(always)]
pub(super) fn write_bare(out: &mut Vec<u8>, field: &[u8], utf8: &Utf8<'_>) -> Option<()> {
    if write_window(out, field, utf8) {
        return Some(());
    }
    if !utf8.holds(field) {
        return None;
    }
    write_chars(out, field, b"\\\\");
    Some(())
}

/// Writes log bytes as a JSON string literal, as `write_str` writes what
/// [`escape_bytes`] makes of them, and says whether they were escaped
/// (not UTF-8). `utf8` says whether they are UTF-8.
pub(super) fn write_text(out: &mut Vec<u8>, bytes: &[u8], utf8: bool) -> bool {
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    if utf8 {
        write_chars(out, bytes, b"\\\\");
    } else {
        // As escape_bytes, then write_str: each `\` doubled, then both
        // escaped; each invalid byte `\xNN`, its backslash escaped.
        // The runs between invalid sequences found by SIMD validation, as
        // `utf8_chunks` cuts them (a long record may hold one broken
        // character at its end, where it was cut).
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let mut rest = bytes;
        while !rest.is_empty() {
            let (valid, bad) = match simdutf8::compat::from_utf8(rest) {
                Ok(_) => (rest.len(), 0),
                Err(e) => (
                    e.valid_up_to(),
                    e.error_len().unwrap_or(rest.len() - e.valid_up_to()),
                ),
            };
            write_chars(out, &rest[..valid], b"\\\\\\\\");
            let invalid;
            (invalid, rest) = rest[valid..].split_at(bad);
            for &b in invalid {
                out.extend_from_slice(&[
                    b'\\',
                    b'\\',
                    b'x',
                    HEX[usize::from(b >> 4)],
                    HEX[usize::from(b & 15)],
                ]);
            }
        }
    }
    out.push(b'"');
    !utf8
}

/// Writes `bytes` escaped for a JSON string, without the quotes: each
/// `\` as `backslash` (`\\`, or four of them for text [`escape_bytes`]
/// has doubled the backslashes of), `"` and control characters escaped,
/// the rest as it is.
#[inline]
pub(super) fn write_chars<const N: usize>(out: &mut Vec<u8>, bytes: &[u8], backslash: &[u8; N]) {
    let mut start = 0;
    while let Some(n) = find_escape(&bytes[start..]) {
        let at = start + n;
        out.extend_from_slice(&bytes[start..at]);
        match bytes[at] {
            b'\\' => out.extend_from_slice(backslash),
            // The usual one, without a call.
            b'"' => out.extend_from_slice(b"\\\""),
            b => write_escape(out, b).expect("writing to a Vec cannot fail"),
        }
        start = at + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// The position of the first byte of `hay` that a JSON string escapes (a
/// control character, `"` or `\\`): sixteen bytes a compare, the last
/// sixteen (or eight) overlapping those already seen, which hold none.
#[inline]
pub(super) fn find_escape(hay: &[u8]) -> Option<usize> {
    let n = hay.len();
    #[cfg(target_arch = "x86_64")]
    if n >= 16 {
        let mask = |at: usize| sse2::escape_mask(hay[at..at + 16].try_into().expect("16 bytes"));
        let mut i = 0;
        while i + 16 <= n {
            let m = mask(i);
            if m != 0 {
                return Some(i + m.trailing_zeros() as usize);
            }
            i += 16;
        }
        if i == n {
            return None;
        }
        // Each flag is exact, and the bytes before `i` have none.
        let m = mask(n - 16);
        return (m != 0).then(|| n - 16 + m.trailing_zeros() as usize);
    }
    if n >= 8 {
        let flags = |at: usize| {
            escape_flags(u64::from_le_bytes(
                hay[at..at + 8].try_into().expect("8 bytes"),
            ))
        };
        let mut i = 0;
        while i + 8 <= n {
            let f = flags(i);
            if f != 0 {
                return Some(i + f.trailing_zeros() as usize / 8);
            }
            i += 8;
        }
        if i == n {
            return None;
        }
        // The lowest flag is exact, and the bytes before `i` have none.
        let f = flags(n - 8);
        return (f != 0).then(|| n - 8 + f.trailing_zeros() as usize / 8);
    }
    hay.iter().position(|&b| NEEDS_ESCAPE[usize::from(b)])
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };

    /// Bit `i` set when byte `i` of `bytes` is one JSON escapes: below
    /// 0x20 (unsigned), `"` or `\\`.
    #[inline]
    pub(super) fn escape_mask(bytes: &[u8; 16]) -> u32 {
        // SAFETY: SSE2 is part of x86-64; one load of the 16 bytes, and
        // loadu takes any alignment.
        unsafe {
            let v = _mm_loadu_si128(bytes.as_ptr().cast::<__m128i>());
            let control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v);
            let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
            let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
            _mm_movemask_epi8(_mm_or_si128(control, _mm_or_si128(quote, backslash))) as u32
        }
    }
}

/// The two decimal digits of each number below 100.
pub(super) const PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// 10^i for the digits of a u64.
pub(super) const POWERS: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// The two decimal digits of `n` (< 100).
#[inline]
pub(super) fn pair(n: u32) -> [u8; 2] {
    let i = n as usize * 2;
    [PAIRS[i], PAIRS[i + 1]]
}

/// Writes `n` in decimal, as `{}` does, without the formatting machinery
/// (a record has several numbers): two digits a division, in place.
pub(super) fn write_int(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    let mut u = n.unsigned_abs();
    if u < 100_000_000 {
        // Ids and line numbers: eight digits at once, the leading zeros
        // shifted out, one eight-byte write cut to the digits.
        let digits = eight_digits(u as u32);
        // Leading zeros are zero bytes at the low end (0 keeps one).
        let count = 8 - (digits.trailing_zeros() as usize / 8).min(7);
        let ascii = (digits | 0x3030_3030_3030_3030) >> (8 * (8 - count));
        let at = out.len();
        out.extend_from_slice(&ascii.to_le_bytes());
        out.truncate(at + count);
        return;
    }
    let mut count = 1;
    while count < 20 && u >= POWERS[count] {
        count += 1;
    }
    let at = out.len();
    // Room for any u64, then cut to its digits.
    out.extend_from_slice(&[0u8; 20]);
    let digits = &mut out[at..at + count];
    let mut end = count;
    while end >= 2 {
        let i = (u % 100) as usize * 2;
        u /= 100;
        digits[end - 2..end].copy_from_slice(&PAIRS[i..i + 2]);
        end -= 2;
    }
    if end == 1 {
        digits[0] = b'0' + u as u8;
    }
    out.truncate(at + count);
}

/// The eight decimal digits of `n` (< 10^8, zero-padded), one a byte, the
/// first in the lowest: the halves, pairs and digits split in every
/// lane at once (a division by 100 or 10 as a multiply and a shift, exact
/// below 10^4 and 10^2).
#[inline]
fn eight_digits(n: u32) -> u64 {
    let x = u64::from(n / 10_000) | u64::from(n % 10_000) << 32;
    let hundreds = ((x * 10_486) >> 20) & 0x0000_007F_0000_007F;
    let x = hundreds | (x - hundreds * 100) << 16;
    let tens = ((x * 103) >> 10) & 0x000F_000F_000F_000F;
    tens | (x - tens * 10) << 8
}

/// Writes `n` as `width` decimal digits, zero-padded (n < 10^width).
pub(super) fn write_digits<W: Write>(out: &mut W, n: u32, width: usize) -> io::Result<()> {
    let mut buf = [b'0'; 10];
    let mut n = n;
    for d in buf[..width].iter_mut().rev() {
        *d = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.write_all(&buf[..width])
}

/// `2024-01-31T10:02:11.123+08:00`, or without offset when it is unknown.
#[inline]
pub fn write_iso<W: Write>(out: &mut W, ts: &Timestamp<'_>) -> io::Result<()> {
    use chrono::{Datelike, Timelike};
    let l = ts.local;
    let year = l.year();
    if (0..10_000).contains(&year) {
        // The common case in one write.
        let y = year as u32;
        let ms = l.nanosecond() / 1_000_000 % 1000;
        let ([y0, y1], [y2, y3]) = (pair(y / 100), pair(y % 100));
        let ([m0, m1], [d0, d1]) = (pair(l.month()), pair(l.day()));
        let ([h0, h1], [i0, i1]) = (pair(l.hour()), pair(l.minute()));
        let ([s0, s1], [f1, f2]) = (pair(l.second()), pair(ms % 100));
        let f0 = b'0' + (ms / 100) as u8;
        out.write_all(&[
            y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1, b'T', h0, h1, b':', i0, i1, b':', s0, s1,
            b'.', f0, f1, f2,
        ])?;
    } else {
        write!(out, "{year:04}")?;
        for (sep, n, w) in [
            (b'-', l.month(), 2),
            (b'-', l.day(), 2),
            (b'T', l.hour(), 2),
            (b':', l.minute(), 2),
            (b':', l.second(), 2),
            (b'.', l.nanosecond() / 1_000_000 % 1000, 3),
        ] {
            out.write_all(&[sep])?;
            write_digits(out, n, w)?;
        }
    }
    if let Some(off) = ts.offset_minutes {
        let sign = if off < 0 { b'-' } else { b'+' };
        let a = off.unsigned_abs();
        if a / 60 < 100 {
            let ([h0, h1], [m0, m1]) = (pair(a / 60), pair(a % 60));
            out.write_all(&[sign, h0, h1, b':', m0, m1])?;
        } else {
            write!(out, "{}{}:", sign as char, a / 60)?;
            write_digits(out, a % 60, 2)?;
        }
    }
    Ok(())
}
