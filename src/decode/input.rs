//! Where the decoder's bytes come from: a slice, a memory-mapped file, or
//! any `Read` through a sliding window.
//!
//! The decoder asks for ranges of absolute offsets and promises never to
//! ask below a point it has released, so a reader only keeps the bytes
//! between the current block and the furthest check ahead.

use std::fs::File;
use std::io::{self, Read};

/// A view of the input: `bytes` start at absolute offset `base`.
#[derive(Debug, Clone, Copy)]
pub struct Window<'a> {
    /// Absolute offset of `bytes[0]`.
    pub base: u64,
    /// The bytes available now.
    pub bytes: &'a [u8],
    /// Whether `bytes` reach the end of the input.
    pub at_eof: bool,
}

impl<'a> Window<'a> {
    /// Absolute offset one past the last available byte.
    pub fn end(&self) -> u64 {
        self.base + self.bytes.len() as u64
    }

    /// The bytes in `[from, to)` that are available (clipped at the end).
    pub fn range(&self, from: u64, to: u64) -> &'a [u8] {
        let s = (from.saturating_sub(self.base) as usize).min(self.bytes.len());
        let e = (to.saturating_sub(self.base) as usize).clamp(s, self.bytes.len());
        &self.bytes[s..e]
    }
}

/// A source of input bytes addressed by absolute offset.
pub trait Input {
    /// Makes `[from, to)` available, or as much of it as the input has, and
    /// returns a window that contains `from` (or ends at the input's end).
    /// `from` is never below the last [`Input::release`] point.
    fn fetch(&mut self, from: u64, to: u64) -> io::Result<Window<'_>>;

    /// The decoder will not ask for bytes below `offset` again.
    fn release(&mut self, _offset: u64) {}

    /// The input's size, where it is known up front.
    fn size_hint(&self) -> Option<u64> {
        None
    }
}

/// An input held in memory.
#[derive(Debug, Clone, Copy)]
pub struct SliceInput<'a>(pub &'a [u8]);

impl Input for SliceInput<'_> {
    fn fetch(&mut self, _from: u64, _to: u64) -> io::Result<Window<'_>> {
        Ok(Window {
            base: 0,
            bytes: self.0,
            at_eof: true,
        })
    }

    fn size_hint(&self) -> Option<u64> {
        Some(self.0.len() as u64)
    }
}

/// How much a [`ReadInput`] asks its reader for at a time.
const READ_CHUNK: usize = 256 * 1024;

/// Any `Read`, through a window that grows only as far as the decoder
/// looks ahead and drops what it has released.
pub struct ReadInput<R> {
    reader: R,
    buf: Vec<u8>,
    base: u64,
    eof: bool,
    chunk: usize,
}

impl<R: Read> ReadInput<R> {
    /// Wraps a reader.
    pub fn new(reader: R) -> ReadInput<R> {
        Self::with_chunk(reader, READ_CHUNK)
    }

    /// Wraps a reader, asking it for at most `chunk` bytes per read (tests
    /// use tiny chunks to exercise every boundary).
    pub fn with_chunk(reader: R, chunk: usize) -> ReadInput<R> {
        ReadInput {
            reader,
            buf: Vec::new(),
            base: 0,
            eof: false,
            chunk: chunk.max(1),
        }
    }
}

impl<R: Read> Input for ReadInput<R> {
    fn fetch(&mut self, from: u64, to: u64) -> io::Result<Window<'_>> {
        debug_assert!(from >= self.base);
        let want = to.max(from + 1);
        while !self.eof && self.base + (self.buf.len() as u64) < want {
            let old = self.buf.len();
            self.buf.resize(old + self.chunk, 0);
            let n = loop {
                match self.reader.read(&mut self.buf[old..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        self.buf.truncate(old);
                        return Err(e);
                    }
                }
            };
            self.buf.truncate(old + n);
            if n == 0 {
                self.eof = true;
            }
        }
        Ok(Window {
            base: self.base,
            bytes: &self.buf,
            at_eof: self.eof,
        })
    }

    fn release(&mut self, offset: u64) {
        let drop = offset.saturating_sub(self.base) as usize;
        // Compact only when the dead prefix is large, so the copy is
        // amortised over many blocks.
        if drop > 0 && drop >= self.buf.len() / 2 && drop >= 64 * 1024 {
            let drop = drop.min(self.buf.len());
            self.buf.drain(..drop);
            self.base += drop as u64;
        }
    }
}

/// A memory-mapped file. Released ranges are handed back to the kernel,
/// so resident memory stays bounded however large the file is.
pub struct MmapInput {
    map: Option<memmap2::Mmap>,
    released: u64,
}

/// Give pages back in steps of this many bytes.
const MMAP_RELEASE_STEP: u64 = 16 * 1024 * 1024;

impl MmapInput {
    /// Maps `file` read-only.
    pub fn open(file: &File) -> io::Result<MmapInput> {
        let len = file.metadata()?.len();
        if len == 0 {
            return Ok(MmapInput {
                map: None,
                released: 0,
            });
        }
        // SAFETY: the map is read-only and private to this process. A file
        // truncated underneath us by another process would fault; that is
        // the documented hazard of mmap, accepted for regular files.
        let map = unsafe { memmap2::MmapOptions::new().map(file)? };
        #[cfg(unix)]
        let _ = map.advise(memmap2::Advice::Sequential);
        Ok(MmapInput {
            map: Some(map),
            released: 0,
        })
    }

    /// The whole mapped file.
    pub fn bytes(&self) -> &[u8] {
        self.map.as_deref().unwrap_or(&[])
    }
}

impl Input for MmapInput {
    fn fetch(&mut self, _from: u64, _to: u64) -> io::Result<Window<'_>> {
        Ok(Window {
            base: 0,
            bytes: self.bytes(),
            at_eof: true,
        })
    }

    fn release(&mut self, offset: u64) {
        #[cfg(unix)]
        if let Some(map) = &self.map {
            let page = 4096;
            let upto = offset / page * page;
            if upto >= self.released + MMAP_RELEASE_STEP {
                // SAFETY: DontNeed on a private read-only file mapping only
                // drops cached pages; later reads fault them in again.
                let _ = unsafe {
                    map.unchecked_advise_range(
                        memmap2::UncheckedAdvice::DontNeed,
                        self.released as usize,
                        (upto - self.released) as usize,
                    )
                };
                self.released = upto;
            }
        }
        #[cfg(not(unix))]
        let _ = offset;
    }

    fn size_hint(&self) -> Option<u64> {
        Some(self.bytes().len() as u64)
    }
}

#[cfg(test)]
mod tests;
