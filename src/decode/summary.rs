//! What decoding one input counted: [`Summary`], the last event of a run
//! and the figures `info`, the batch report and the exit code come from.

/// Counts gathered while decoding one input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Input size in bytes.
    pub bytes_in: u64,
    /// Decoded text bytes delivered to the sink.
    pub bytes_out: u64,
    /// Blocks decoded, by magic byte (index = magic).
    pub blocks_by_magic: [u64; 16],
    /// Lowest and highest non-zero seq seen.
    pub seq_range: Option<(u16, u16)>,
    /// Seq gaps reported.
    pub gaps: u64,
    /// Ranges skipped to resynchronise.
    pub skipped: u64,
    /// Bytes in those ranges.
    pub skipped_bytes: u64,
    /// Blocks whose payload failed to decompress.
    pub decompress_errors: u64,
    /// Encrypted blocks left undecoded.
    pub locked: u64,
    /// Blocks salvaged beyond the official decoder.
    pub salvaged: u64,
    /// Blocks whose text was cut at the per-block output cap.
    pub capped: u64,
}

impl Summary {
    /// Adds another input's counts (for a summary across inputs); the seq
    /// range becomes the lowest and highest seen in either.
    pub fn absorb(&mut self, o: &Summary) {
        self.bytes_in += o.bytes_in;
        self.bytes_out += o.bytes_out;
        for (a, b) in self.blocks_by_magic.iter_mut().zip(o.blocks_by_magic) {
            *a += b;
        }
        self.seq_range = match (self.seq_range, o.seq_range) {
            (Some(a), Some(b)) => Some((a.0.min(b.0), a.1.max(b.1))),
            (a, b) => a.or(b),
        };
        self.gaps += o.gaps;
        self.skipped += o.skipped;
        self.skipped_bytes += o.skipped_bytes;
        self.decompress_errors += o.decompress_errors;
        self.locked += o.locked;
        self.salvaged += o.salvaged;
        self.capped += o.capped;
    }

    /// Total blocks decoded.
    pub fn blocks(&self) -> u64 {
        self.blocks_by_magic.iter().sum()
    }

    /// Whether any integrity problem was found.
    pub fn has_problems(&self) -> bool {
        self.gaps
            + self.skipped
            + self.decompress_errors
            + self.locked
            + self.salvaged
            + self.capped
            > 0
    }
}
