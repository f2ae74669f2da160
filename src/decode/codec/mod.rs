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
    /// hold: the text is written into `buf` and each full buffer (and the
    /// rest at the end) is handed to `emit`, so memory stays at `buf`'s
    /// size whatever the text's. The text before a data error is emitted
    /// too. An error from `emit` stops decoding and is returned as the
    /// outer error.
    fn decode_chunks(
        &mut self,
        input: &[u8],
        cap: usize,
        buf: &mut [u8],
        emit: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<Result<Decoded, String>>;

    /// Decodes one whole payload, appending to `out`.
    fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        self.decode_capped(input, out, usize::MAX).map(|_| ())
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
    let r = d.decode_chunks(p, cap, &mut buf, &mut emit);
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
mod tests {
    use super::*;

    #[test]
    fn chunks_are_joined_and_short_chunks_take_what_is_there() {
        let mut out = Vec::new();
        join_chunks(b"\x02\x00ab\x03\x00cde\x05\x00fg", &mut out).unwrap();
        assert_eq!(out, b"abcdefg");
        let mut out = Vec::new();
        assert!(join_chunks(b"\x01\x00a\x07", &mut out).is_err());
    }
}
