//! Raw deflate for zlib-mode payloads (magic 0x04, 0x05, 0x07, 0x09).
//!
//! Mars flushes each line with `Z_SYNC_FLUSH` and never finishes the
//! stream, so the payload ends without a final block. This decoder takes
//! every byte the stream yields and treats "input ran out" as the normal
//! end, like Python's `zlib.decompressobj(-15).decompress`. The backend is
//! zlib-rs (through flate2): memory-safe Rust and the fastest streaming
//! inflate flate2 offers; its error messages are zlib's own, so the
//! `decompress err` lines match the official decoder's byte for byte.

use flate2::{Decompress, FlushDecompress, Status};

/// Room kept free in the output before each inflate call.
const MIN_SPARE: usize = 32 * 1024;

/// A reusable raw-deflate decoder (one per thread).
pub struct Inflater {
    z: Decompress,
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
        }
    }

    /// Inflates one block's payload, appending to `out`. Stops at the end
    /// of the input or at a final block, whichever comes first. On a data
    /// error, returns Python's text for it; the output decoded so far stays
    /// in `out`. `limit` caps how many bytes this call may append.
    pub fn inflate(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        self.z.reset(false);
        let mut pos = 0usize;
        loop {
            if out.capacity() - out.len() < MIN_SPARE {
                let want = (input.len() - pos).saturating_mul(4).max(4 * MIN_SPARE);
                out.reserve(want);
            }
            let spare = out.capacity() - out.len();
            let in_before = self.z.total_in();
            let out_before = self.z.total_out();
            let status = self
                .z
                .decompress_vec(&input[pos..], out, FlushDecompress::Sync);
            let consumed = (self.z.total_in() - in_before) as usize;
            let produced = (self.z.total_out() - out_before) as usize;
            pos += consumed;
            match status {
                Ok(Status::StreamEnd) => return Ok(()),
                Ok(Status::Ok | Status::BufError) => {
                    let output_full = produced == spare;
                    if !output_full && (pos >= input.len() || (consumed == 0 && produced == 0)) {
                        return Ok(());
                    }
                }
                Err(e) => {
                    let mut msg = e.message().map(str::to_owned);
                    if msg.as_deref() == Some(LOST_MESSAGE) {
                        msg = self.slow_error_message(input);
                    }
                    return Err(match msg {
                        Some(m) => format!("Error -3 while decompressing data: {m}"),
                        None => "Error -3 while decompressing data".to_string(),
                    });
                }
            }
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
mod tests {
    use super::*;
    use flate2::{Compress, Compression, FlushCompress};

    /// Compresses lines the way Mars does: raw deflate, a sync flush after
    /// every line, never finished.
    fn mars_deflate(lines: &[&[u8]]) -> Vec<u8> {
        let mut c = Compress::new(Compression::best(), false);
        let mut out = Vec::with_capacity(1 << 16);
        for l in lines {
            c.compress_vec(l, &mut out, FlushCompress::Sync).unwrap();
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
    fn errors_use_zlibs_words() {
        let mut out = Vec::new();
        let err = Inflater::new()
            .inflate(&[0xFF, 0xFF, 0xFF], &mut out)
            .unwrap_err();
        assert_eq!(err, "Error -3 while decompressing data: invalid block type");
    }
}
