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
                    return Err(match e.message() {
                        Some(m) => format!("Error -3 while decompressing data: {m}"),
                        None => "Error -3 while decompressing data".to_string(),
                    });
                }
            }
        }
    }
}

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
    fn errors_use_zlibs_words() {
        let mut out = Vec::new();
        let err = Inflater::new().inflate(&[0xFF, 0xFF, 0xFF], &mut out).unwrap_err();
        assert_eq!(err, "Error -3 while decompressing data: invalid block type");
    }
}
