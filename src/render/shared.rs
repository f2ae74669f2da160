//! Output made on other threads, written without a copy: the decoder's
//! worker threads render JSON lines into buffers of their own, and a
//! writer that hands its output to a thread of its own
//! ([`AsyncWriter`](super::async_write::AsyncWriter)) keeps a reference to
//! such a buffer until its bytes are written, instead of copying them into
//! its buffers on the delivering thread.

use std::io::{self, BufWriter, Write};
use std::ops::Range;
use std::sync::Arc;

use crate::record::Part;
use crate::select::merge::RecordWriter;

/// A [`Write`] that may take bytes in a shared buffer by reference.
pub trait WriteShared: Write {
    /// Writes `bytes[range]`, as [`write_all`](Write::write_all) does. The
    /// default copies them; a writer that can keeps `bytes` until written.
    fn write_shared(&mut self, bytes: &Arc<Vec<u8>>, range: Range<usize>) -> io::Result<()> {
        self.write_all(shared_slice(bytes, range)?)
    }
}

/// `bytes[range]`, or an error when the range lies outside.
pub fn shared_slice(bytes: &[u8], range: Range<usize>) -> io::Result<&[u8]> {
    bytes.get(range).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "shared bytes out of their buffer",
        )
    })
}

impl WriteShared for Vec<u8> {}
impl WriteShared for io::Sink {}
impl<W: Write> WriteShared for BufWriter<W> {}
impl<F: FnMut(&[u8], Part) -> io::Result<()>> WriteShared for RecordWriter<F> {}

impl<W: WriteShared + ?Sized> WriteShared for &mut W {
    #[inline]
    fn write_shared(&mut self, bytes: &Arc<Vec<u8>>, range: Range<usize>) -> io::Result<()> {
        (**self).write_shared(bytes, range)
    }
}

impl<W: WriteShared + ?Sized> WriteShared for Box<W> {
    #[inline]
    fn write_shared(&mut self, bytes: &Arc<Vec<u8>>, range: Range<usize>) -> io::Result<()> {
        (**self).write_shared(bytes, range)
    }
}
