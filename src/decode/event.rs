//! What the decoder reports: decoded text and integrity findings, in file
//! order. Printers, the JSON writer and the viewer are all [`Sink`]s.

use crate::decode::ahead::{BlockHook, Worked};
use crate::decode::format::{BadBlock, Magic};
use crate::decode::summary::Summary;
use std::io;
use std::sync::Arc;

/// Where a decoded block came from and what its header said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockInfo {
    /// Absolute offset of the block's first byte.
    pub offset: u64,
    /// The block kind.
    pub magic: Magic,
    /// Sequence number (0 for sync blocks).
    pub seq: u16,
    /// Local hour the block was started.
    pub begin_hour: u8,
    /// Local hour the block was flushed.
    pub end_hour: u8,
    /// Payload length from the header.
    pub len: u32,
}

impl BlockInfo {
    /// Total bytes the block occupies: header, payload and tail byte.
    pub fn block_len(&self) -> u64 {
        self.magic.header_len() as u64 + u64::from(self.len) + 1
    }
}

/// Why an encrypted block was not decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LockReason {
    /// No private key was given.
    NoKey,
    /// The key given does not decrypt this block's writer (its output is
    /// not a valid stream).
    WrongKey,
    /// The block's key field is not a valid public key.
    BadPublicKey,
}

impl LockReason {
    /// A short text for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            LockReason::NoKey => "no private key given",
            LockReason::WrongKey => "wrong private key",
            LockReason::BadPublicKey => "invalid public key in block header",
        }
    }
}

/// How a block beyond the official decoder's reach was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Salvage {
    /// The unflushed block of a `.mmap3` crash buffer.
    Mmap3,
    /// The last block of the input is cut off; `have` of its `len` payload
    /// bytes are present.
    Truncated {
        /// Payload bytes present.
        have: u64,
    },
}

/// The official decoder's seq check fired: seqs `first..=last` are not in
/// the file. Often harmless (two xlog instances in one process). A
/// reversed range (`first > last`) is a seq that went back or repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqGap {
    /// Offset of the block whose seq showed the gap.
    pub offset: u64,
    /// First missing seq.
    pub first: u32,
    /// Last missing seq.
    pub last: u32,
}

/// One thing the decoder found, in input order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A block was accepted; its text (if any) follows as [`Event::Text`].
    Block(BlockInfo),
    /// Decoded text of the current block. A block's text may come as
    /// several consecutive `Text` events: a block that decodes to more
    /// than a few MiB (far beyond any real block, a decompression bomb)
    /// is delivered in chunks of at most 1 MiB rather than held whole.
    /// Chunks split the text anywhere, inside a line too.
    Text(&'a [u8]),
    /// The official decoder's seq check fired (see [`SeqGap`]).
    SeqGap(SeqGap),
    /// Bytes skipped to resynchronise after a bad block.
    Skipped {
        /// Offset where the bad block was expected.
        offset: u64,
        /// Bytes skipped.
        len: u64,
        /// What was wrong at `offset`.
        reason: BadBlock,
    },
    /// A block's payload did not decompress; the official decoder drops
    /// the whole block, and so does this one.
    DecompressError {
        /// The block.
        block: BlockInfo,
        /// The library's error text.
        message: String,
    },
    /// An encrypted block that could not be decrypted.
    Locked {
        /// The block.
        block: BlockInfo,
        /// Why.
        reason: LockReason,
    },
    /// A block decoded to more text than the per-block output cap allows
    /// (a decompression bomb, or a cap set low): the first `cap` bytes were
    /// delivered as [`Event::Text`] (one event or several), the rest of the
    /// block was not decoded.
    OutputCapped {
        /// The block.
        block: BlockInfo,
        /// The cap, in bytes.
        cap: u64,
    },
    /// A block the official decoder drops silently is decoded after all;
    /// its text follows as [`Event::Text`].
    Salvaged {
        /// The block.
        block: BlockInfo,
        /// How it was found.
        how: Salvage,
    },
    /// `--recover` kept the lines of a block that did not decompress
    /// (the official decoder drops it whole); they follow as
    /// [`Event::Text`]. Comes after the block's [`Event::DecompressError`].
    Recovered {
        /// The block.
        block: BlockInfo,
        /// Records kept.
        lines: u64,
        /// Absolute byte ranges whose lines are lost (for legacy 0x05
        /// blocks, offsets into the joined chunks, counted from the
        /// payload start).
        lost: Vec<std::ops::Range<u64>>,
    },
}

/// Receives the decoder's events.
pub trait Sink {
    /// Handles one event. An error stops decoding and is returned to the
    /// caller unchanged.
    fn event(&mut self, event: &Event<'_>) -> io::Result<()>;

    /// Called once after the last event of an input, with its counts.
    fn finish(&mut self, _summary: &Summary) -> io::Result<()> {
        Ok(())
    }

    /// What the decoder's worker threads may compute for this sink ahead
    /// of delivery, on each block's text (asked once per input, before
    /// the first event). `None`, the default, asks for nothing.
    fn hook(&self) -> Option<Arc<dyn BlockHook>> {
        None
    }

    /// An [`Event::Text`] with what the sink's [`hook`](Sink::hook)
    /// computed on it on a worker thread. The default ignores that.
    fn worked_text(&mut self, text: &[u8], worked: Worked<'_>) -> io::Result<()> {
        let _ = worked;
        self.event(&Event::Text(text))
    }
}

/// `Sink` for a pointer type, every method forwarded to the sink it points
/// at.
macro_rules! forward_sink {
    ($ptr:ty) => {
        impl<S: Sink + ?Sized> Sink for $ptr {
            fn event(&mut self, event: &Event<'_>) -> io::Result<()> {
                (**self).event(event)
            }
            fn finish(&mut self, summary: &Summary) -> io::Result<()> {
                (**self).finish(summary)
            }
            fn hook(&self) -> Option<Arc<dyn BlockHook>> {
                (**self).hook()
            }
            fn worked_text(&mut self, text: &[u8], worked: Worked<'_>) -> io::Result<()> {
                (**self).worked_text(text, worked)
            }
        }
    };
}

forward_sink!(&mut S);
forward_sink!(Box<S>);

/// A sink that records events as owned values (tests, small inputs).
#[derive(Debug, Default)]
pub struct Collect {
    /// Every event, text included, in order.
    pub events: Vec<OwnedEvent>,
}

/// An owned copy of an [`Event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnedEvent {
    /// See [`Event::Block`].
    Block(BlockInfo),
    /// See [`Event::Text`].
    Text(Vec<u8>),
    /// Any other event.
    Other(Event<'static>),
}

impl Sink for Collect {
    fn event(&mut self, event: &Event<'_>) -> io::Result<()> {
        let owned = match event {
            Event::Block(b) => OwnedEvent::Block(*b),
            Event::Text(t) => OwnedEvent::Text(t.to_vec()),
            Event::SeqGap(gap) => OwnedEvent::Other(Event::SeqGap(*gap)),
            Event::Skipped {
                offset,
                len,
                reason,
            } => OwnedEvent::Other(Event::Skipped {
                offset: *offset,
                len: *len,
                reason: reason.clone(),
            }),
            Event::DecompressError { block, message } => {
                OwnedEvent::Other(Event::DecompressError {
                    block: *block,
                    message: message.clone(),
                })
            }
            Event::Locked { block, reason } => OwnedEvent::Other(Event::Locked {
                block: *block,
                reason: *reason,
            }),
            Event::OutputCapped { block, cap } => OwnedEvent::Other(Event::OutputCapped {
                block: *block,
                cap: *cap,
            }),
            Event::Salvaged { block, how } => OwnedEvent::Other(Event::Salvaged {
                block: *block,
                how: *how,
            }),
            Event::Recovered { block, lines, lost } => OwnedEvent::Other(Event::Recovered {
                block: *block,
                lines: *lines,
                lost: lost.clone(),
            }),
        };
        self.events.push(owned);
        Ok(())
    }
}
