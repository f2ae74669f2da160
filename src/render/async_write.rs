//! A buffered writer whose `write` system calls run on a thread of their
//! own, so that the decoding thread does not wait for the kernel to copy
//! its output (into the page cache, or into a pipe).
//!
//! The caller fills 1 MiB buffers; each full buffer goes to the output
//! thread, which writes it and hands it back for reuse. At most
//! [`BUFFERS`] buffers exist, so memory stays bounded and nothing is
//! allocated per buffer. The bytes reach the inner writer in the order
//! they were written.
//!
//! Bytes in a shared buffer ([`WriteShared::write_shared`]) of at least
//! [`SHARE_MIN`] bytes are not copied: the job keeps a reference to the
//! buffer and the output thread writes them from it, between the bytes
//! written before and after them (one vectored write per job).
//!
//! A write error on the output thread is kept and returned by the next
//! call (`write`, `flush` or [`AsyncWriter::finish`]), with the same kind
//! and message as the original (a closed pipe is still
//! [`io::ErrorKind::BrokenPipe`]); nothing more is written after it.

use std::io::{self, IoSlice, Write};
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::shared::{WriteShared, shared_slice};

/// Size of one buffer.
pub const BUF_SIZE: usize = 1 << 20;
/// Buffers in existence at most: one being filled, the others queued for
/// or being written by the output thread.
pub const BUFFERS: usize = 4;
/// Shared bytes shorter than this are copied (a reference costs more).
pub const SHARE_MIN: usize = 4 << 10;
/// Shared pieces one job holds at most.
const MAX_PIECES: usize = 256;

/// Bytes of a shared buffer, written after the first `at` bytes of the
/// job's own buffer (and the pieces before them).
struct Piece {
    at: usize,
    bytes: Arc<Vec<u8>>,
    range: Range<usize>,
}

/// What one job writes: its own buffer, with shared pieces between its
/// bytes.
struct Chunk {
    buf: Vec<u8>,
    pieces: Vec<Piece>,
}

impl Chunk {
    fn new() -> Chunk {
        Chunk {
            buf: Vec::with_capacity(BUF_SIZE),
            pieces: Vec::new(),
        }
    }

    /// Writes the chunk to `w`: in one `write_all` without pieces, else
    /// with vectored writes.
    fn write_to<W: Write>(&self, w: &mut W) -> io::Result<()> {
        if self.pieces.is_empty() {
            return w.write_all(&self.buf);
        }
        let mut slices = Vec::with_capacity(2 * self.pieces.len() + 1);
        let mut from = 0;
        for p in &self.pieces {
            if p.at > from {
                slices.push(IoSlice::new(&self.buf[from..p.at]));
                from = p.at;
            }
            slices.push(IoSlice::new(&p.bytes[p.range.clone()]));
        }
        if from < self.buf.len() {
            slices.push(IoSlice::new(&self.buf[from..]));
        }
        let mut rest = &mut slices[..];
        while !rest.is_empty() {
            match w.write_vectored(rest) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => IoSlice::advance_slices(&mut rest, n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Empties the chunk for reuse (the shared buffers are let go).
    fn clear(&mut self) {
        self.buf.clear();
        self.pieces.clear();
    }
}

/// To the output thread.
enum Job {
    /// Write these bytes, then hand the chunk back.
    Write(Chunk),
    /// Flush the inner writer, then say so.
    Flush,
}

/// From the output thread.
enum Reply {
    /// A written chunk, emptied, for reuse.
    Free(Chunk),
    /// Everything sent before the flush is written and flushed.
    Flushed,
}

/// What the output thread shares with the writer: its first error.
#[derive(Default)]
struct Shared {
    failed: AtomicBool,
    error: Mutex<Option<io::Error>>,
}

impl Shared {
    fn fail(&self, e: io::Error) {
        let mut slot = self.error.lock().unwrap_or_else(|p| p.into_inner());
        slot.get_or_insert(e);
        self.failed.store(true, Ordering::Release);
    }

    /// A copy of the stored error (the thread stopped without one only if
    /// it panicked).
    fn error(&self) -> io::Error {
        let slot = self.error.lock().unwrap_or_else(|p| p.into_inner());
        match &*slot {
            Some(e) => copy_error(e),
            None => io::Error::other("the output thread stopped"),
        }
    }
}

/// An error with the same kind and text as `e`.
fn copy_error(e: &io::Error) -> io::Error {
    match e.raw_os_error() {
        Some(code) => io::Error::from_raw_os_error(code),
        None => io::Error::new(e.kind(), e.to_string()),
    }
}

/// A writer that hands its output, in [`BUF_SIZE`] buffers, to a thread
/// that writes it to `W`.
pub struct AsyncWriter<W: Write + Send + 'static> {
    /// The buffer being filled.
    buf: Vec<u8>,
    /// The shared pieces between its bytes, and their length.
    pieces: Vec<Piece>,
    piece_bytes: usize,
    /// Chunks handed back by the output thread.
    free: Vec<Chunk>,
    /// Buffers allocated so far (at most [`BUFFERS`]).
    made: usize,
    /// Bytes accepted so far.
    accepted: u64,
    jobs: Option<SyncSender<Job>>,
    replies: Receiver<Reply>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<W>>,
}

impl<W: Write + Send + 'static> AsyncWriter<W> {
    /// Starts the output thread, writing to `inner`. If the thread cannot
    /// be started, `inner` comes back with the error.
    pub fn new(inner: W) -> Result<AsyncWriter<W>, (W, io::Error)> {
        let (jobs, job_rx) = sync_channel::<Job>(BUFFERS);
        let (reply_tx, replies) = sync_channel::<Reply>(BUFFERS + 1);
        let (inner_tx, inner_rx) = sync_channel::<W>(1);
        let shared = Arc::new(Shared::default());
        let thread_shared = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name("xlogdec-output".into())
            .spawn(move || {
                let mut inner = inner_rx.recv().expect("sent once the thread runs");
                for job in job_rx {
                    let (r, reply) = match job {
                        Job::Write(mut c) => {
                            let r = c.write_to(&mut inner);
                            c.clear();
                            (r, Reply::Free(c))
                        }
                        Job::Flush => (inner.flush(), Reply::Flushed),
                    };
                    if let Err(e) = r {
                        thread_shared.fail(e);
                        break; // dropping the channels wakes the writer
                    }
                    if reply_tx.send(reply).is_err() {
                        break;
                    }
                }
                inner
            });
        let thread = match spawned {
            Ok(t) => t,
            Err(e) => return Err((inner, e)),
        };
        inner_tx
            .send(inner)
            .expect("the thread waits for its writer");
        Ok(AsyncWriter {
            buf: Vec::with_capacity(BUF_SIZE),
            pieces: Vec::new(),
            piece_bytes: 0,
            free: Vec::new(),
            made: 1,
            accepted: 0,
            jobs: Some(jobs),
            replies,
            shared,
            thread: Some(thread),
        })
    }

    /// Bytes written to this writer so far (all of them reach the inner
    /// writer unless an error is returned).
    pub fn accepted(&self) -> u64 {
        self.accepted
    }

    /// The output thread's error, if it has failed.
    #[inline]
    fn check(&self) -> io::Result<()> {
        if self.shared.failed.load(Ordering::Acquire) {
            return Err(self.shared.error());
        }
        Ok(())
    }

    /// Waits for the output thread's next reply.
    fn reply(&mut self) -> io::Result<Reply> {
        self.replies.recv().map_err(|_| self.shared.error())
    }

    /// Whether nothing waits to be sent.
    fn is_empty(&self) -> bool {
        self.buf.is_empty() && self.pieces.is_empty()
    }

    /// Hands the current buffer (and its pieces) to the output thread and
    /// takes an empty one (a new one while fewer than [`BUFFERS`] exist,
    /// else the next one the thread gives back).
    fn send(&mut self) -> io::Result<()> {
        let next = match self.free.pop() {
            Some(c) => c,
            None if self.made < BUFFERS => {
                self.made += 1;
                Chunk::new()
            }
            None => match self.reply()? {
                Reply::Free(c) => c,
                Reply::Flushed => unreachable!("flushes are waited for in flush"),
            },
        };
        let full = Chunk {
            buf: std::mem::replace(&mut self.buf, next.buf),
            pieces: std::mem::replace(&mut self.pieces, next.pieces),
        };
        self.piece_bytes = 0;
        let jobs = self.jobs.as_ref().expect("present until finish");
        jobs.send(Job::Write(full)).map_err(|_| self.shared.error())
    }

    /// Writes everything out, stops the output thread and returns the
    /// inner writer (flushed), or the first write error.
    pub fn finish(mut self) -> io::Result<W> {
        let flushed = self.flush();
        self.jobs = None;
        let inner = self.thread.take().expect("joined once").join();
        flushed?;
        self.check()?;
        inner.map_err(|_| io::Error::other("the output thread panicked"))
    }
}

impl<W: Write + Send + 'static> Write for AsyncWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.check()?;
        let mut rest = data;
        loop {
            let room = BUF_SIZE - self.buf.len();
            let n = room.min(rest.len());
            self.buf.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
            if rest.is_empty() {
                break;
            }
            self.send()?;
        }
        self.accepted += data.len() as u64;
        if self.buf.len() == BUF_SIZE {
            self.send()?;
        }
        Ok(data.len())
    }

    /// [`write`](Write::write), with the common case (the bytes fit in the
    /// current buffer without filling it) inlined into the caller: sinks
    /// write a record in several small pieces.
    #[inline]
    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        if data.len() < BUF_SIZE - self.buf.len() {
            self.check()?;
            self.buf.extend_from_slice(data);
            self.accepted += data.len() as u64;
            return Ok(());
        }
        self.write(data).map(drop)
    }

    /// Hands the buffered bytes to the output thread and waits until it
    /// has written and flushed them.
    fn flush(&mut self) -> io::Result<()> {
        self.check()?;
        if !self.is_empty() {
            self.send()?;
        }
        let jobs = self.jobs.as_ref().expect("present until finish");
        jobs.send(Job::Flush).map_err(|_| self.shared.error())?;
        loop {
            match self.reply()? {
                Reply::Free(b) => self.free.push(b),
                Reply::Flushed => return Ok(()),
            }
        }
    }
}

impl<W: Write + Send + 'static> WriteShared for AsyncWriter<W> {
    /// Keeps a reference to `bytes` (copies fewer than [`SHARE_MIN`]).
    fn write_shared(&mut self, bytes: &Arc<Vec<u8>>, range: Range<usize>) -> io::Result<()> {
        let len = shared_slice(bytes, range.clone())?.len();
        if len < SHARE_MIN {
            return self.write_all(&bytes[range]);
        }
        self.check()?;
        self.pieces.push(Piece {
            at: self.buf.len(),
            bytes: Arc::clone(bytes),
            range,
        });
        self.piece_bytes += len;
        self.accepted += len as u64;
        if self.buf.len() + self.piece_bytes >= BUF_SIZE || self.pieces.len() == MAX_PIECES {
            self.send()?;
        }
        Ok(())
    }
}

impl<W: Write + Send + 'static> Drop for AsyncWriter<W> {
    /// Like `BufWriter`: what is buffered is still written, errors are
    /// ignored (call [`AsyncWriter::finish`] to see them).
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            if !self.is_empty() && self.check().is_ok() {
                let _ = self.send();
            }
            self.jobs = None;
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests;
