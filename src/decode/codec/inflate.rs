//! Raw deflate for zlib-mode payloads (magic 0x04, 0x05, 0x07, 0x09).
//!
//! Mars flushes each line with `Z_SYNC_FLUSH` and never finishes the
//! stream, so the payload ends without a final block. This decoder takes
//! every byte the stream yields and treats "input ran out" as the normal
//! end, like Python's `zlib.decompressobj(-15).decompress`. The backend is
//! zlib-rs (through flate2): memory-safe Rust and the fastest streaming
//! inflate flate2 offers; its error messages are zlib's own, so the
//! `decompress err` lines match the official decoder's byte for byte.

use super::{Chunks, Codec, Decoded};
use flate2::{Decompress, DecompressError, FlushDecompress, Status};
use std::io;
use std::ptr::NonNull;

/// The vendored libdeflate decompressor (`vendor/libdeflate`, built by
/// `build.rs`): upstream's, made to refuse every stream zlib refuses.
mod ffi {
    use std::ffi::{c_int, c_void};

    /// libdeflate's opaque decompressor.
    #[repr(C)]
    pub struct Decompressor {
        _private: [u8; 0],
    }

    /// `LIBDEFLATE_SUCCESS`.
    pub const SUCCESS: c_int = 0;
    /// `LIBDEFLATE_INSUFFICIENT_SPACE`: the output buffer is too small.
    pub const INSUFFICIENT_SPACE: c_int = 3;

    unsafe extern "C" {
        #[link_name = "xlogdec_libdeflate_alloc_decompressor"]
        pub fn alloc_decompressor() -> *mut Decompressor;
        #[link_name = "xlogdec_libdeflate_free_decompressor"]
        pub fn free_decompressor(d: *mut Decompressor);
        #[link_name = "xlogdec_libdeflate_deflate_decompress_ex"]
        pub fn deflate_decompress_ex(
            d: *mut Decompressor,
            input: *const c_void,
            in_len: usize,
            out: *mut c_void,
            out_avail: usize,
            in_used: *mut usize,
            out_made: *mut usize,
        ) -> c_int;
    }
}

/// Room kept free in the output before each inflate call.
const MIN_SPARE: usize = 32 * 1024;
/// How a Mars payload ends: the empty stored block of a sync flush.
const SYNC_FLUSH: [u8; 4] = [0x00, 0x00, 0xFF, 0xFF];
/// An empty final block (fixed Huffman, end-of-block code only): appended
/// to a flushed stream, it lets a whole-buffer decoder finish it.
const FINAL_EMPTY: [u8; 2] = [0x03, 0x00];
/// First output guess for the whole-buffer decoder, in bytes.
const MIN_GUESS: usize = 64 * 1024;

/// libdeflate's decompressor: a whole-buffer inflate about twice as fast
/// as zlib-rs's streaming one. It is used only where it accepts the
/// input whole (see [`Codec::decode_capped`]); the vendored copy
/// refuses every damaged stream upstream libdeflate would decode and zlib
/// would not.
struct Libdeflate(NonNull<ffi::Decompressor>);

// SAFETY: a libdeflate decompressor is plain memory with no thread
// affinity; `&mut` access keeps it to one thread at a time.
unsafe impl Send for Libdeflate {}

impl Libdeflate {
    fn new() -> Option<Libdeflate> {
        // SAFETY: no preconditions; a null return means out of memory.
        NonNull::new(unsafe { ffi::alloc_decompressor() }).map(Libdeflate)
    }
}

impl Drop for Libdeflate {
    fn drop(&mut self) {
        // SAFETY: allocated by libdeflate_alloc_decompressor, freed once.
        unsafe { ffi::free_decompressor(self.0.as_ptr()) }
    }
}

/// A reusable raw-deflate decoder (one per thread).
pub struct Inflater {
    z: Decompress,
    fast: Option<Libdeflate>,
    /// The payload plus [`FINAL_EMPTY`], for libdeflate.
    tail: Vec<u8>,
    /// Output/input ratio of the last block, for the first output guess.
    ratio: usize,
}

impl Default for Inflater {
    fn default() -> Self {
        Self::new()
    }
}

impl Inflater {
    /// A decoder for raw deflate (no zlib header).
    pub fn new() -> Inflater {
        Inflater {
            z: Decompress::new(false),
            fast: Libdeflate::new(),
            tail: Vec::new(),
            ratio: 8,
        }
    }

    /// libdeflate over the whole payload; `false` if it refused.
    fn whole(&mut self, input: &[u8], out: &mut Vec<u8>, cap: usize) -> bool {
        let Some(fast) = &self.fast else {
            return false;
        };
        self.tail.clear();
        self.tail.extend_from_slice(input);
        self.tail.extend_from_slice(&FINAL_EMPTY);
        let start = out.len();
        let mut guess = input
            .len()
            .saturating_mul(self.ratio)
            .saturating_add(MIN_GUESS)
            .min(cap);
        loop {
            out.reserve(guess);
            let (mut used, mut made) = (0usize, 0usize);
            // SAFETY: `tail` is a valid input buffer; the output pointer
            // has `guess` bytes of spare capacity after `start` (reserved
            // above), which libdeflate only writes; `used`/`made` are
            // valid out-pointers.
            let ret = unsafe {
                ffi::deflate_decompress_ex(
                    fast.0.as_ptr(),
                    self.tail.as_ptr().cast(),
                    self.tail.len(),
                    out.as_mut_ptr().add(start).cast(),
                    guess,
                    &mut used,
                    &mut made,
                )
            };
            if ret == ffi::SUCCESS {
                if used != self.tail.len() {
                    return false; // a final block before the end: let zlib decide
                }
                // SAFETY: libdeflate wrote `made` <= `guess` bytes there.
                unsafe { out.set_len(start + made) };
                self.ratio = (made / input.len().max(1) + 2).clamp(2, 64);
                return true;
            }
            if ret != ffi::INSUFFICIENT_SPACE || guess >= cap {
                return false;
            }
            guess = guess.saturating_mul(2).min(cap);
        }
    }

    /// The streaming zlib-rs path.
    fn stream(&mut self, input: &[u8], out: &mut Vec<u8>, cap: usize) -> Result<Decoded, String> {
        self.z.reset(false);
        let start = out.len();
        let mut pos = 0usize;
        loop {
            let room = cap - (out.len() - start);
            let want = (input.len() - pos)
                .saturating_mul(4)
                .max(4 * MIN_SPARE)
                .min(room.saturating_add(1));
            let len = out.len();
            out.resize(len + want, 0);
            let in_before = self.z.total_in();
            let out_before = self.z.total_out();
            let status = self
                .z
                .decompress(&input[pos..], &mut out[len..], FlushDecompress::Sync);
            let consumed = (self.z.total_in() - in_before) as usize;
            let produced = (self.z.total_out() - out_before) as usize;
            out.truncate(len + produced);
            pos += consumed;
            if out.len() - start > cap {
                out.truncate(start + cap);
                return Ok(Decoded::Capped);
            }
            match status {
                Ok(Status::StreamEnd) => return Ok(Decoded::All),
                Ok(Status::Ok | Status::BufError) => {
                    let output_full = produced == want;
                    if !output_full && (pos >= input.len() || (consumed == 0 && produced == 0)) {
                        return Ok(Decoded::All);
                    }
                }
                Err(e) => return Err(self.error_text(&e, input)),
            }
        }
    }

    /// Python's text for a data error `e` found in `input`.
    fn error_text(&mut self, e: &DecompressError, input: &[u8]) -> String {
        let mut msg = e.message().map(str::to_owned);
        if msg.as_deref() == Some(LOST_MESSAGE) {
            msg = self.slow_error_message(input);
        }
        match msg {
            Some(m) => format!("Error -3 while decompressing data: {m}"),
            None => "Error -3 while decompressing data".to_string(),
        }
    }

    /// zlib-rs's fast path loses the message of an error it finds (the
    /// caller sees "repeated call with bad state"). Decoding again with
    /// input fed a few bytes at a time keeps it on the careful path, which
    /// reports zlib's own words. Runs only for a block that failed.
    fn slow_error_message(&mut self, input: &[u8]) -> Option<String> {
        self.z.reset(false);
        let mut sink = vec![0u8; 64 * 1024];
        let mut pos = 0;
        while pos < input.len() {
            let end = (pos + SLOW_STEP).min(input.len());
            let before = self.z.total_in();
            match self
                .z
                .decompress(&input[pos..end], &mut sink, FlushDecompress::Sync)
            {
                Ok(Status::StreamEnd) => return None,
                Ok(_) => {}
                Err(e) => return e.message().map(str::to_owned),
            }
            pos += (self.z.total_in() - before) as usize;
        }
        None
    }
}

/// Decoding stops at the end of the input or at a final block, whichever
/// comes first; data errors carry Python's text.
impl Codec for Inflater {
    /// A payload that ends with a sync flush (every Mars payload does) is
    /// first given to libdeflate, finished with an empty final block. Its
    /// result is kept only if it consumed every byte: then it decoded
    /// exactly the blocks zlib decodes. Anything libdeflate refuses (bad
    /// data, a stream that does not end on a block boundary, output over
    /// the cap) is decoded again by the streaming zlib-rs path, which
    /// gives zlib's error texts and the output before the error.
    fn decode_capped(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        cap: usize,
    ) -> Result<Decoded, String> {
        let start = out.len();
        if input.ends_with(&SYNC_FLUSH) && self.whole(input, out, cap) {
            return Ok(Decoded::All);
        }
        out.truncate(start);
        self.stream(input, out, cap)
    }

    /// The streaming zlib-rs path.
    fn decode_chunks(
        &mut self,
        input: &[u8],
        out: &mut Chunks<'_>,
    ) -> io::Result<Result<Decoded, String>> {
        self.z.reset(false);
        let mut pos = 0usize;
        loop {
            let room = out.room();
            let want = room.len();
            let in_before = self.z.total_in();
            let out_before = self.z.total_out();
            let status = self
                .z
                .decompress(&input[pos..], room, FlushDecompress::Sync);
            let consumed = (self.z.total_in() - in_before) as usize;
            let produced = (self.z.total_out() - out_before) as usize;
            pos += consumed;
            out.wrote(produced);
            if out.cut()? {
                return Ok(Ok(Decoded::Capped));
            }
            match status {
                Ok(Status::StreamEnd) => break,
                Ok(Status::Ok | Status::BufError) => {
                    let output_full = produced == want;
                    if !output_full && (pos >= input.len() || (consumed == 0 && produced == 0)) {
                        break;
                    }
                }
                Err(e) => {
                    out.emit_waiting()?;
                    return Ok(Err(self.error_text(&e, input)));
                }
            }
            out.emit_full()?;
        }
        out.emit_waiting()?;
        Ok(Ok(Decoded::All))
    }
}

/// What zlib-rs says when its fast path swallowed the real message.
const LOST_MESSAGE: &str = "repeated call with bad state";
/// Input bytes per call when decoding again for an error message: fewer
/// than zlib-rs's fast path needs.
const SLOW_STEP: usize = 4;

#[cfg(test)]
mod tests;
