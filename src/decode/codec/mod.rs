//! Payload codecs: one block's payload in, bytes out.
//!
//! Every function here appends to an output `Vec` and, on failure, returns
//! the text the official decoder would print after `decompress err, `; what
//! was decoded before the failure stays in the output so that callers that
//! recover more than the official decoder can keep it.

pub mod inflate;
pub mod key;
pub mod tea;
pub mod zstd;

pub use inflate::Inflater;
pub use key::{KeyError, PrivateKey, TeaKey};
pub use zstd::ZstdDecoder;

use std::io;

/// How far a capped decode went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded {
    /// The whole payload was decoded.
    All,
    /// The output reached the cap; the rest of the payload was not decoded.
    Capped,
}

/// A payload codec: one block's compressed payload in, its text out.
/// [`Inflater`] and [`ZstdDecoder`] are the two; each is reusable (one
/// per thread).
pub trait Codec {
    /// Decodes one payload, appending at most `cap` bytes to `out`: a
    /// payload that decodes further is cut there ([`Decoded::Capped`]).
    /// On a data error, returns the official decoder's text for it; the
    /// text decoded so far stays in `out`.
    fn decode_capped(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        cap: usize,
    ) -> Result<Decoded, String>;

    /// [`Codec::decode_capped`] for a payload whose text is too long to
    /// hold: the text goes to `out` ([`Chunks`]), so memory stays at its
    /// buffer's size whatever the text's. The text before a data error is
    /// emitted too. An error from the emitter stops decoding and is
    /// returned as the outer error.
    fn decode_chunks(
        &mut self,
        input: &[u8],
        out: &mut Chunks<'_>,
    ) -> io::Result<Result<Decoded, String>>;

    /// Decodes one whole payload, appending to `out`.
    fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        self.decode_capped(input, out, usize::MAX).map(|_| ())
    }
}

/// Where a chunked decode writes: a buffer handed to `emit` each time it
/// fills (and the rest at the end), under a cap.
pub struct Chunks<'a> {
    buf: &'a mut [u8],
    emit: &'a mut dyn FnMut(&[u8]) -> io::Result<()>,
    cap: usize,
    /// Bytes emitted, and bytes waiting in `buf`.
    total: usize,
    filled: usize,
}

impl<'a> Chunks<'a> {
    /// Text in pieces of `buf`'s size (not empty) to `emit`, at most `cap`
    /// bytes.
    pub fn new(
        buf: &'a mut [u8],
        cap: usize,
        emit: &'a mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> Chunks<'a> {
        assert!(!buf.is_empty(), "a chunk buffer has room");
        Chunks {
            buf,
            emit,
            cap,
            total: 0,
            filled: 0,
        }
    }

    /// Where the codec writes next: the rest of the buffer, and no more
    /// than one byte past the cap (one byte past tells a cut from an exact
    /// fit). The codec then reports what it wrote with [`Chunks::wrote`].
    fn room(&mut self) -> &mut [u8] {
        let room = self.cap - self.total - self.filled;
        let want = (self.buf.len() - self.filled).min(room.saturating_add(1));
        &mut self.buf[self.filled..self.filled + want]
    }

    /// Counts `n` bytes written at the start of [`Chunks::room`].
    fn wrote(&mut self, n: usize) {
        self.filled += n;
    }

    /// Whether the text went past the cap; if so, emits it up to the cap.
    fn cut(&mut self) -> io::Result<bool> {
        if self.total + self.filled <= self.cap {
            return Ok(false);
        }
        (self.emit)(&self.buf[..self.cap - self.total])?;
        Ok(true)
    }

    /// Emits the buffer if it is full.
    fn emit_full(&mut self) -> io::Result<()> {
        if self.filled == self.buf.len() {
            self.emit_waiting()?;
        }
        Ok(())
    }

    /// Emits the text waiting in the buffer; returns the length of all the
    /// text emitted.
    fn emit_waiting(&mut self) -> io::Result<usize> {
        if self.filled > 0 {
            (self.emit)(&self.buf[..self.filled])?;
            self.total += self.filled;
            self.filled = 0;
        }
        Ok(self.total)
    }
}

/// Joins the legacy 0x05 payload chunks (`[u16 LE len][len bytes]`...) into
/// `out`, exactly as the official decoder does: a chunk length that runs
/// past the payload takes what is there.
pub fn join_chunks(payload: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    let mut rest = payload;
    while !rest.is_empty() {
        if rest.len() < 2 {
            return Err(format!(
                "unpack_from requires a buffer of at least 2 bytes for unpacking 2 bytes at offset 0 (actual buffer size is {})",
                rest.len()
            ));
        }
        let n = usize::from(u16::from_le_bytes([rest[0], rest[1]]));
        let end = (2 + n).min(rest.len());
        out.extend_from_slice(&rest[2..end]);
        rest = &rest[end..];
    }
    Ok(())
}

/// Decodes `p` with `d` in chunks of `size` bytes under the cap `cap`:
/// the text, the chunk sizes and the result.
#[cfg(test)]
pub(crate) fn chunked(
    d: &mut dyn Codec,
    p: &[u8],
    cap: usize,
    size: usize,
) -> (Vec<u8>, Vec<usize>, Result<Decoded, String>) {
    let mut buf = vec![0u8; size];
    let (mut text, mut sizes) = (Vec::new(), Vec::new());
    let mut emit = |c: &[u8]| {
        text.extend_from_slice(c);
        sizes.push(c.len());
        Ok(())
    };
    let r = d.decode_chunks(p, &mut Chunks::new(&mut buf, cap, &mut emit));
    (text, sizes, r.unwrap())
}

/// Checks that the chunked path of a codec gives the text of its
/// whole-buffer path on the payload `p` (3000 lines): at every chunk size
/// (each chunk but the last full), under every cap (cut at the same byte),
/// and on every prefix of `p` (the same result).
#[cfg(test)]
pub(crate) fn check_chunks_match_whole(d: &mut dyn Codec, p: &[u8]) {
    let mut whole = Vec::new();
    d.decode(p, &mut whole).unwrap();
    for size in [1, 1000, 4096, 1 << 20] {
        let (text, sizes, r) = chunked(d, p, usize::MAX, size);
        assert_eq!(r, Ok(Decoded::All));
        assert!(text == whole, "chunks of {size}");
        assert!(sizes.iter().all(|&n| n > 0 && n <= size));
        // Every chunk but the last is full.
        assert!(sizes[..sizes.len() - 1].iter().all(|&n| n == size));
    }
    // The cap cuts at the same byte.
    for cap in [0, 1, 999, 1000, 1001, whole.len() - 1] {
        let (text, _, r) = chunked(d, p, cap, 1000);
        assert_eq!(r, Ok(Decoded::Capped), "cap {cap}");
        assert!(text[..] == whole[..cap], "cap {cap}");
    }
    let (text, _, r) = chunked(d, p, whole.len(), 1000);
    assert_eq!(r, Ok(Decoded::All));
    assert_eq!(text.len(), whole.len());
    // A prefix decodes to what the whole-buffer path gives it.
    for cut in (0..p.len()).step_by(331) {
        let mut out = Vec::new();
        let want = d.decode(&p[..cut], &mut out);
        let (text, _, r) = chunked(d, &p[..cut], usize::MAX, 777);
        assert_eq!(r.map(|_| ()), want, "cut {cut}");
        assert!(text == out, "cut {cut}");
    }
}

/// The lines the chunked-decoding tests compress: 3000 of them, varied.
#[cfg(test)]
pub(crate) fn chunk_test_lines() -> Vec<Vec<u8>> {
    (0..3000u32)
        .map(|i| format!("[I][line {i}] value={}\n", i.wrapping_mul(2_654_435_761)).into_bytes())
        .collect()
}

#[cfg(test)]
mod tests;
