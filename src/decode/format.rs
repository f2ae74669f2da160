//! The byte layout of an xlog block, over `&[u8]`, with no I/O.
//!
//! A block is `magic, seq (u16 LE), begin hour, end hour, length (u32 LE),
//! key field (4 or 64 bytes), payload (length bytes), 0x00`. The checks here
//! are exactly those of Mars's official decoder, so that resynchronisation
//! after damage lands where it lands.

use std::fmt;

/// The tail byte that closes every block.
pub const MAGIC_END: u8 = 0x00;

/// Header length of the current block kinds (magic 0x06-0x0D).
pub const HEADER_LEN: usize = 73;
/// Header length of the legacy block kinds (magic 0x03-0x05).
pub const LEGACY_HEADER_LEN: usize = 13;

/// Size of a `.mmap3` crash buffer as the writer creates it.
pub const MMAP3_SIZE: u64 = 153_600;

/// How a block's payload is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Payload {
    /// Plain text, copied as it is.
    Plain,
    /// A raw deflate stream (flushed, never finished).
    Deflate,
    /// Legacy 0x05: `[u16 LE len][len bytes]` chunks whose concatenation is a raw deflate stream.
    ChunkedDeflate,
    /// One zstd frame (flushed, never ended).
    Zstd,
    /// TEA-encrypted raw deflate.
    EncryptedDeflate,
    /// TEA-encrypted zstd frame.
    EncryptedZstd,
}

/// What a magic byte says about its block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Magic {
    /// The byte itself.
    pub byte: u8,
    /// Length of the key field: 4 for legacy magics, 64 for current ones.
    pub key_len: usize,
    /// How the payload is stored.
    pub payload: Payload,
    /// Whether the writer's async (buffered) path wrote it.
    pub is_async: bool,
}

impl Magic {
    /// The block kind of a start byte, or `None` if it is not one.
    pub fn from_byte(byte: u8) -> Option<Magic> {
        let (key_len, payload, is_async) = match byte {
            0x03 => (4, Payload::Plain, false),
            0x04 => (4, Payload::Deflate, true),
            0x05 => (4, Payload::ChunkedDeflate, true),
            0x06 => (64, Payload::Plain, false),
            0x07 => (64, Payload::EncryptedDeflate, true),
            0x08 => (64, Payload::Plain, false),
            0x09 => (64, Payload::Deflate, true),
            0x0A => (64, Payload::Plain, false),
            0x0B => (64, Payload::Plain, false),
            0x0C => (64, Payload::EncryptedZstd, true),
            0x0D => (64, Payload::Zstd, true),
            _ => return None,
        };
        Some(Magic {
            byte,
            key_len,
            payload,
            is_async,
        })
    }

    /// Total header length: 9 fixed bytes plus the key field.
    pub fn header_len(&self) -> usize {
        9 + self.key_len
    }

    /// Whether the payload is encrypted and needs the private key.
    pub fn is_encrypted(&self) -> bool {
        matches!(
            self.payload,
            Payload::EncryptedDeflate | Payload::EncryptedZstd
        )
    }
}

/// Whether a byte starts a block.
#[inline]
pub fn is_magic(byte: u8) -> bool {
    (0x03..=0x0D).contains(&byte)
}

/// A parsed block header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// The block kind.
    pub magic: Magic,
    /// Sequence number (0 for sync blocks).
    pub seq: u16,
    /// Local hour the block was started.
    pub begin_hour: u8,
    /// Local hour the block was flushed.
    pub end_hour: u8,
    /// Payload length in bytes.
    pub len: u32,
    /// The key field (the writer's ephemeral public key for encrypted blocks).
    pub key: &'a [u8],
}

impl Header<'_> {
    /// Total bytes the block occupies: header, payload and tail byte.
    pub fn block_len(&self) -> u64 {
        self.magic.header_len() as u64 + u64::from(self.len) + 1
    }
}

/// Parses the header at the start of `buf`. `None` if the first byte is not
/// a magic or `buf` is shorter than the header.
pub fn parse_header(buf: &[u8]) -> Option<Header<'_>> {
    let magic = Magic::from_byte(*buf.first()?)?;
    let hl = magic.header_len();
    if buf.len() < hl {
        return None;
    }
    Some(Header {
        magic,
        seq: u16::from_le_bytes([buf[1], buf[2]]),
        begin_hour: buf[3],
        end_hour: buf[4],
        len: u32::from_le_bytes([buf[5], buf[6], buf[7], buf[8]]),
        key: &buf[9..hl],
    })
}

/// Why a block at some offset is not a good block, worded as the official
/// decoder words it (its `Display` is byte-identical to the official text).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BadBlock {
    /// The byte at `offset` is not a start byte.
    Magic {
        /// Absolute offset of the byte.
        offset: u64,
        /// The byte found there.
        byte: u8,
    },
    /// Fewer than header + 2 bytes remain at `offset`.
    ShortHeader {
        /// Absolute offset of the block.
        offset: u64,
        /// Input size.
        size: u64,
    },
    /// The payload length runs past the end of the input.
    PastEnd {
        /// Payload length from the header.
        len: u32,
        /// Where the block would end (one past its tail byte).
        end: u64,
        /// Input size.
        size: u64,
    },
    /// The byte after the payload is not the 0x00 tail.
    NoTail {
        /// Payload length from the header.
        len: u32,
        /// Offset where the tail byte should be.
        pos: u64,
        /// The byte found there.
        byte: u8,
    },
}

impl fmt::Display for BadBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            BadBlock::Magic { offset, byte } => {
                write!(f, "_buffer[{offset}]:{byte} != MAGIC_NUM_START")
            }
            BadBlock::ShortHeader { offset, size } => {
                write!(f, "offset:{offset} > len(buffer):{size}")
            }
            BadBlock::PastEnd { len, end, size } => {
                write!(f, "log length:{len}, end pos {end} > len(buffer):{size}")
            }
            BadBlock::NoTail { len, pos, byte } => {
                write!(f, "log length:{len}, buffer[{pos}]:{byte} != MAGIC_END")
            }
        }
    }
}

/// The outcome of checking one offset against a window of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// A good block; the next one starts at `next` (absolute).
    Good {
        /// Absolute offset one past the tail byte.
        next: u64,
    },
    /// Not a good block.
    Bad(BadBlock),
    /// The window ends before the check can be decided and the input goes
    /// on: the window must reach at least this absolute offset.
    NeedMore(u64),
}

/// Checks whether a good block starts at absolute offset `at`, the official
/// decoder's single-block test.
///
/// `window` holds the input bytes from absolute offset `base`; `at_eof` says
/// whether the window ends at the end of the input. An offset exactly at the
/// end of the input counts as good (it is how the official decoder accepts a
/// last block).
pub fn check_block(window: &[u8], base: u64, at: u64, at_eof: bool) -> Check {
    debug_assert!(at >= base);
    let rel = (at - base) as usize;
    let avail_end = base + window.len() as u64;
    let size = avail_end; // meaningful only when at_eof
    if rel >= window.len() {
        return if at_eof {
            // at == size: the end of the input is a good place to stop.
            Check::Good { next: at }
        } else {
            Check::NeedMore(at + 1)
        };
    }
    let byte = window[rel];
    let Some(magic) = Magic::from_byte(byte) else {
        return Check::Bad(BadBlock::Magic { offset: at, byte });
    };
    let hl = magic.header_len() as u64;
    if at + hl + 2 > avail_end {
        return if at_eof {
            Check::Bad(BadBlock::ShortHeader { offset: at, size })
        } else {
            Check::NeedMore(at + hl + 2)
        };
    }
    let l = rel + 5;
    let len = u32::from_le_bytes([window[l], window[l + 1], window[l + 2], window[l + 3]]);
    let tail = at + hl + u64::from(len);
    if tail + 1 > avail_end {
        return if at_eof {
            Check::Bad(BadBlock::PastEnd {
                len,
                end: tail + 1,
                size,
            })
        } else {
            Check::NeedMore(tail + 1)
        };
    }
    let tb = window[(tail - base) as usize];
    if tb != MAGIC_END {
        return Check::Bad(BadBlock::NoTail {
            len,
            pos: tail,
            byte: tb,
        });
    }
    Check::Good { next: tail + 1 }
}

#[cfg(test)]
mod tests;
