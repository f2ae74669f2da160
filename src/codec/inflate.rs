//! Raw deflate for zlib-mode payloads (magic 0x04, 0x05, 0x07, 0x09).
//!
//! Mars flushes each line with `Z_SYNC_FLUSH` and never finishes the
//! stream, so the payload ends without a final block. This decoder takes
//! every byte the stream yields and treats "input ran out" as the normal
//! end, like Python's `zlib.decompressobj(-15).decompress`. The backend is
//! zlib-rs (through flate2): memory-safe Rust and the fastest streaming
//! inflate flate2 offers; its error messages are zlib's own, so the
//! `decompress err` lines match the official decoder's byte for byte.

use super::Decoded;
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
/// input whole (see [`Inflater::inflate_capped`]); the vendored copy
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

    /// Inflates one block's payload, appending to `out`. Stops at the end
    /// of the input or at a final block, whichever comes first. On a data
    /// error, returns Python's text for it; the output decoded so far stays
    /// in `out`.
    pub fn inflate(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        self.inflate_capped(input, out, usize::MAX).map(|_| ())
    }

    /// [`Inflater::inflate`], appending at most `cap` bytes: a payload
    /// that inflates further is cut there ([`Decoded::Capped`]).
    ///
    /// A payload that ends with a sync flush (every Mars payload does) is
    /// first given to libdeflate, finished with an empty final block. Its
    /// result is kept only if it consumed every byte: then it decoded
    /// exactly the blocks zlib decodes. Anything libdeflate refuses (bad
    /// data, a stream that does not end on a block boundary, output over
    /// the cap) is decoded again by the streaming zlib-rs path, which
    /// gives zlib's error texts and the output before the error.
    pub fn inflate_capped(
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

    /// [`Inflater::inflate_capped`] for a payload whose text is too long
    /// to hold: the streaming zlib-rs path writes into `buf` and hands
    /// each full buffer (and the rest at the end) to `emit`, so memory
    /// stays at `buf`'s size whatever the text's. The text before a data
    /// error is emitted too. An error from `emit` stops decoding and is
    /// returned as the outer error.
    pub fn inflate_chunks(
        &mut self,
        input: &[u8],
        cap: usize,
        buf: &mut [u8],
        emit: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<Result<Decoded, String>> {
        assert!(!buf.is_empty(), "a chunk buffer has room");
        self.z.reset(false);
        let mut pos = 0usize;
        // Bytes emitted, and bytes waiting in `buf`.
        let (mut total, mut filled) = (0usize, 0usize);
        loop {
            let room = cap - total - filled;
            let want = (buf.len() - filled).min(room.saturating_add(1));
            let in_before = self.z.total_in();
            let out_before = self.z.total_out();
            let status = self.z.decompress(
                &input[pos..],
                &mut buf[filled..filled + want],
                FlushDecompress::Sync,
            );
            let consumed = (self.z.total_in() - in_before) as usize;
            let produced = (self.z.total_out() - out_before) as usize;
            pos += consumed;
            filled += produced;
            if total + filled > cap {
                emit(&buf[..cap - total])?;
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
                    if filled > 0 {
                        emit(&buf[..filled])?;
                    }
                    return Ok(Err(self.error_text(&e, input)));
                }
            }
            if filled == buf.len() {
                emit(buf)?;
                total += filled;
                filled = 0;
            }
        }
        if filled > 0 {
            emit(&buf[..filled])?;
        }
        Ok(Ok(Decoded::All))
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

/// What zlib-rs says when its fast path swallowed the real message.
const LOST_MESSAGE: &str = "repeated call with bad state";
/// Input bytes per call when decoding again for an error message: fewer
/// than zlib-rs's fast path needs.
const SLOW_STEP: usize = 4;

#[cfg(test)]
mod crafted;
#[cfg(test)]
mod flips;

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compress, Compression, FlushCompress};

    /// Compresses lines the way Mars does: raw deflate, a sync flush after
    /// every line, never finished.
    fn mars_deflate(lines: &[&[u8]]) -> Vec<u8> {
        let mut c = Compress::new(Compression::best(), false);
        let mut out = Vec::new();
        for l in lines {
            let mut pos = 0;
            loop {
                out.reserve(l.len() - pos + (1 << 16));
                let spare = out.capacity() - out.len();
                let (i, o) = (c.total_in(), c.total_out());
                c.compress_vec(&l[pos..], &mut out, FlushCompress::Sync)
                    .unwrap();
                pos += (c.total_in() - i) as usize;
                if pos == l.len() && ((c.total_out() - o) as usize) < spare {
                    break;
                }
            }
        }
        out
    }

    #[test]
    fn unterminated_stream_yields_everything_flushed() {
        let p = mars_deflate(&[b"first line\n", b"second line\n"]);
        assert_eq!(&p[p.len() - 4..], &[0, 0, 0xFF, 0xFF]);
        let mut out = Vec::new();
        Inflater::new().inflate(&p, &mut out).unwrap();
        assert_eq!(out, b"first line\nsecond line\n");
    }

    #[test]
    fn large_outputs_are_not_cut() {
        let line = vec![b'x'; 1000];
        let lines: Vec<&[u8]> = std::iter::repeat_n(&line[..], 3000).collect();
        let p = mars_deflate(&lines);
        let mut out = Vec::new();
        Inflater::new().inflate(&p, &mut out).unwrap();
        assert_eq!(out.len(), 3_000_000);
    }

    #[test]
    fn a_prefix_decodes_to_a_prefix() {
        let p = mars_deflate(&[b"alpha\n", b"beta\n", b"gamma\n"]);
        let mut inf = Inflater::new();
        let mut full = Vec::new();
        inf.inflate(&p, &mut full).unwrap();
        for cut in 0..p.len() {
            let mut out = Vec::new();
            inf.inflate(&p[..cut], &mut out).unwrap();
            assert!(full.starts_with(&out), "cut {cut}");
        }
    }

    #[test]
    fn errors_found_on_the_fast_path_keep_zlibs_words() {
        // A long valid stream, then a back-reference further than anything
        // decoded: zlib says "invalid distance too far back".
        let words: [&[u8]; 6] = [
            b"login ",
            b"message ",
            b"group ",
            b"sync ",
            b"tinyid=",
            b"42 ",
        ];
        let mut seed = 12345u32;
        let mut text = Vec::new();
        while text.len() < 50_000 {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            text.extend_from_slice(words[(seed >> 16) as usize % words.len()]);
            text.push(b'a' + (seed >> 8) as u8 % 26);
        }
        let clean = mars_deflate(&[&text]);
        let mut inf = Inflater::new();
        let mut errors = 0;
        for cut in (clean.len() / 4..clean.len() - 8).step_by(97) {
            let mut p = clean.clone();
            for b in &mut p[cut..cut + 4] {
                *b ^= 0xFF;
            }
            let mut out = Vec::new();
            if let Err(err) = inf.inflate(&p, &mut out) {
                errors += 1;
                assert!(!err.contains("repeated call"), "{err}");
                assert!(
                    err.starts_with("Error -3 while decompressing data: "),
                    "{err}"
                );
            }
        }
        assert!(errors > 5, "the damage must provoke errors ({errors})");
    }

    #[test]
    fn the_whole_buffer_path_agrees_with_the_streaming_path() {
        let lines: Vec<Vec<u8>> = (0..4000u32)
            .map(|i| {
                format!("[I][line {i}] value={} ok\n", i.wrapping_mul(2_654_435_761)).into_bytes()
            })
            .collect();
        let refs: Vec<&[u8]> = lines.iter().map(|l| &l[..]).collect();
        let p = mars_deflate(&refs);
        let mut inf = Inflater::new();
        let mut fast = Vec::new();
        assert!(
            inf.whole(&p, &mut fast, usize::MAX),
            "libdeflate takes a Mars payload"
        );
        let mut slow = Vec::new();
        inf.stream(&p, &mut slow, usize::MAX).unwrap();
        assert_eq!(fast, slow);
        assert_eq!(fast, lines.concat());
        // Output already in the buffer stays in front.
        let mut out = b"before".to_vec();
        inf.inflate(&p, &mut out).unwrap();
        assert_eq!(&out[..6], b"before");
        assert_eq!(&out[6..], &fast[..]);
    }

    #[test]
    fn a_deflate_bomb_stops_at_the_cap() {
        // 64 MiB of zeros deflate to about 64 kB.
        let zeros = vec![0u8; 64 << 20];
        let p = mars_deflate(&[&zeros]);
        assert!(p.len() < 100_000);
        let mut inf = Inflater::new();
        let mut out = Vec::new();
        let r = inf.inflate_capped(&p, &mut out, 1 << 20).unwrap();
        assert_eq!(r, Decoded::Capped);
        assert_eq!(out.len(), 1 << 20);
        assert!(
            out.capacity() < 8 << 20,
            "never held whole: {}",
            out.capacity()
        );
        // A cap the output fits in exactly is not a cut.
        let small = mars_deflate(&[&zeros[..1000]]);
        let mut out = Vec::new();
        assert_eq!(inf.inflate_capped(&small, &mut out, 1000), Ok(Decoded::All));
        assert_eq!(out.len(), 1000);
        let mut out = Vec::new();
        assert_eq!(
            inf.inflate_capped(&small, &mut out, 999),
            Ok(Decoded::Capped)
        );
        assert_eq!(out.len(), 999);
    }

    /// Decodes `p` in chunks of `size` bytes: the text, the chunk sizes
    /// and the result.
    fn chunked(
        inf: &mut Inflater,
        p: &[u8],
        cap: usize,
        size: usize,
    ) -> (Vec<u8>, Vec<usize>, Result<Decoded, String>) {
        let mut buf = vec![0u8; size];
        let (mut text, mut sizes) = (Vec::new(), Vec::new());
        let r = inf
            .inflate_chunks(p, cap, &mut buf, &mut |c| {
                text.extend_from_slice(c);
                sizes.push(c.len());
                Ok(())
            })
            .unwrap();
        (text, sizes, r)
    }

    #[test]
    fn chunks_give_the_text_of_the_whole_buffer_paths() {
        let lines: Vec<Vec<u8>> = (0..3000u32)
            .map(|i| {
                format!("[I][line {i}] value={}\n", i.wrapping_mul(2_654_435_761)).into_bytes()
            })
            .collect();
        let refs: Vec<&[u8]> = lines.iter().map(|l| &l[..]).collect();
        let p = mars_deflate(&refs);
        let mut inf = Inflater::new();
        let mut whole = Vec::new();
        inf.inflate(&p, &mut whole).unwrap();
        for size in [1, 1000, 4096, 1 << 20] {
            let (text, sizes, r) = chunked(&mut inf, &p, usize::MAX, size);
            assert_eq!(r, Ok(Decoded::All));
            assert!(text == whole, "chunks of {size}");
            assert!(sizes.iter().all(|&n| n > 0 && n <= size));
            // Every chunk but the last is full.
            assert!(sizes[..sizes.len() - 1].iter().all(|&n| n == size));
        }
        // The cap cuts at the same byte.
        for cap in [0, 1, 999, 1000, 1001, whole.len() - 1] {
            let (text, _, r) = chunked(&mut inf, &p, cap, 1000);
            assert_eq!(r, Ok(Decoded::Capped), "cap {cap}");
            assert!(text[..] == whole[..cap], "cap {cap}");
        }
        let (text, _, r) = chunked(&mut inf, &p, whole.len(), 1000);
        assert_eq!(r, Ok(Decoded::All));
        assert_eq!(text.len(), whole.len());
        // A prefix decodes to what the whole-buffer path gives it.
        for cut in (0..p.len()).step_by(331) {
            let mut out = Vec::new();
            inf.inflate(&p[..cut], &mut out).unwrap();
            let (text, _, r) = chunked(&mut inf, &p[..cut], usize::MAX, 777);
            assert_eq!(r, Ok(Decoded::All));
            assert!(text == out, "cut {cut}");
        }
        // A data error keeps zlib's words and the text before it.
        let mut bad = p.clone();
        let n = bad.len();
        bad[n / 2..n / 2 + 8].fill(0xFF);
        let mut out = Vec::new();
        let err = inf.inflate(&bad, &mut out).unwrap_err();
        let (text, _, r) = chunked(&mut inf, &bad, usize::MAX, 1000);
        assert_eq!(r, Err(err));
        assert!(text == out);
    }

    #[test]
    fn a_sink_error_stops_the_chunks() {
        let zeros = vec![0u8; 1 << 20];
        let p = mars_deflate(&[&zeros]);
        let mut buf = vec![0u8; 1000];
        let mut calls = 0;
        let r = Inflater::new().inflate_chunks(&p, usize::MAX, &mut buf, &mut |_| {
            calls += 1;
            if calls == 3 {
                Err(io::Error::other("closed"))
            } else {
                Ok(())
            }
        });
        assert_eq!(r.unwrap_err().to_string(), "closed");
        assert_eq!(calls, 3);
    }

    #[test]
    fn errors_use_zlibs_words() {
        let mut out = Vec::new();
        let err = Inflater::new()
            .inflate(&[0xFF, 0xFF, 0xFF], &mut out)
            .unwrap_err();
        assert_eq!(err, "Error -3 while decompressing data: invalid block type");
    }
}
