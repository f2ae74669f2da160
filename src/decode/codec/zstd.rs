//! zstd for zstd-mode async payloads (magic 0x0C, 0x0D).
//!
//! Each payload is one frame that the writer flushed after every line and
//! never ended, so there is no last block. The decoder drains the frame
//! until the input is used up and no more output comes.

use super::{Chunks, Codec, Decoded};
use std::io;
use zstd::zstd_safe::{DCtx, InBuffer, OutBuffer, ResetDirective, WriteBuf, get_error_name};

/// Room kept free in the output before each call.
const MIN_SPARE: usize = 128 * 1024;

/// A reusable zstd decoder (one per thread).
pub struct ZstdDecoder {
    dctx: DCtx<'static>,
}

impl Default for ZstdDecoder {
    fn default() -> Self {
        Self::new()
    }
}

/// A `Vec` seen by zstd as holding no more than `limit` bytes, so that a
/// capped decode never writes past the cap.
struct Bounded<'a> {
    vec: &'a mut Vec<u8>,
    limit: usize,
}

// SAFETY: every method forwards to the Vec; `capacity` only ever reports
// less room than the Vec has.
unsafe impl WriteBuf for Bounded<'_> {
    fn as_slice(&self) -> &[u8] {
        self.vec
    }
    fn capacity(&self) -> usize {
        self.vec.capacity().min(self.limit)
    }
    fn as_mut_ptr(&mut self) -> *mut u8 {
        self.vec.as_mut_ptr()
    }
    unsafe fn filled_until(&mut self, n: usize) {
        // SAFETY: zstd initialised the first `n` bytes (the trait's
        // contract), and `n` is within the capacity reported above.
        unsafe { self.vec.set_len(n) }
    }
}

impl ZstdDecoder {
    /// A fresh decoder.
    pub fn new() -> ZstdDecoder {
        ZstdDecoder {
            dctx: DCtx::create(),
        }
    }
}

/// Decoding stops at the end of the input or of the frame. Errors carry
/// python-zstandard's wording. A payload that yields no bytes at all is an
/// error with an empty text, as it is for the official decoder (its
/// `next()` on an empty iterator raises `StopIteration`).
impl Codec for ZstdDecoder {
    fn decode_capped(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        cap: usize,
    ) -> Result<Decoded, String> {
        let zerr = |code| format!("zstd decompress error: {}", get_error_name(code));
        self.dctx.reset(ResetDirective::SessionOnly).map_err(zerr)?;
        let start = out.len();
        // One byte past the cap tells a cut from an exact fit.
        let limit = start.saturating_add(cap).saturating_add(1);
        let mut inb = InBuffer::around(input);
        loop {
            if out.capacity() - out.len() < MIN_SPARE {
                out.reserve((input.len() - inb.pos()).saturating_mul(4).max(MIN_SPARE));
            }
            let before = out.len();
            let spare = out.capacity().min(limit) - before;
            let hint = {
                let mut bounded = Bounded {
                    vec: &mut *out,
                    limit,
                };
                let mut ob = OutBuffer::around_pos(&mut bounded, before);
                self.dctx
                    .decompress_stream(&mut ob, &mut inb)
                    .map_err(zerr)?
            };
            let produced = out.len() - before;
            if out.len() - start > cap {
                out.truncate(start + cap);
                return Ok(Decoded::Capped);
            }
            if hint == 0 {
                break; // the frame ended
            }
            if inb.pos() >= input.len() && produced < spare {
                break; // input used up and everything flushed
            }
        }
        if out.len() == start {
            return Err(String::new());
        }
        Ok(Decoded::All)
    }

    fn decode_chunks(
        &mut self,
        input: &[u8],
        out: &mut Chunks<'_>,
    ) -> io::Result<Result<Decoded, String>> {
        let zerr = |code| format!("zstd decompress error: {}", get_error_name(code));
        if let Err(code) = self.dctx.reset(ResetDirective::SessionOnly) {
            return Ok(Err(zerr(code)));
        }
        let mut inb = InBuffer::around(input);
        loop {
            let room = out.room();
            let want = room.len();
            let mut ob = OutBuffer::around(room);
            let hint = self.dctx.decompress_stream(&mut ob, &mut inb);
            let produced = ob.pos();
            out.wrote(produced);
            let hint = match hint {
                Ok(hint) => hint,
                Err(code) => {
                    out.emit_waiting()?;
                    return Ok(Err(zerr(code)));
                }
            };
            if out.cut()? {
                return Ok(Ok(Decoded::Capped));
            }
            if hint == 0 || (inb.pos() >= input.len() && produced < want) {
                break; // the frame ended, or the input is used up and flushed
            }
            out.emit_full()?;
        }
        if out.emit_waiting()? == 0 {
            return Ok(Err(String::new()));
        }
        Ok(Ok(Decoded::All))
    }
}

#[cfg(test)]
mod tests;
