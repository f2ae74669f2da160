//! Where a run's text goes: a buffered [`Output`] (on the caller's thread
//! or an output thread) and the [`AtomicFile`] that puts an output file in
//! place only once the run has produced it.

use std::io::{self, BufWriter, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::interrupt;
use xlogdec::render::async_write::AsyncWriter;
use xlogdec::render::atomic::{Destination, OutFile};
use xlogdec::render::shared::WriteShared;

/// Output buffer size: large writes keep the pipe busy.
pub const OUT_BUF: usize = 1 << 20;

/// An output written to a temporary file beside its target and renamed
/// into place on commit; dropped uncommitted, it leaves nothing behind
/// (and on SIGINT/SIGTERM neither: see `interrupt`). A FIFO or device is
/// written in place instead (see `xlogdec::render::atomic`).
pub struct AtomicFile {
    /// The temporary file, to forget once settled.
    path: Option<PathBuf>,
    /// Present until commit.
    tmp: Option<Output<OutFile>>,
}

/// A buffered output, written on the caller's thread (one output among
/// many, each on its own worker), or by an output thread (the one output
/// of the run). The same bytes reach `W` either way.
pub enum Output<W: Write + Send + 'static> {
    /// Buffered writes on the calling thread.
    Buffered(BufWriter<W>),
    /// Writes on an output thread.
    Threaded(AsyncWriter<W>),
}

impl<W: Write + Send + 'static> Output<W> {
    /// Writes to `inner`, from an output thread if `threaded` (buffered on
    /// the calling thread should the thread not start).
    pub fn new(inner: W, threaded: bool) -> Output<W> {
        if !threaded {
            return Output::Buffered(BufWriter::with_capacity(OUT_BUF, inner));
        }
        match AsyncWriter::new(inner) {
            Ok(w) => Output::Threaded(w),
            Err((inner, _)) => Output::Buffered(BufWriter::with_capacity(OUT_BUF, inner)),
        }
    }

    /// Everything written out and the inner writer flushed; the inner
    /// writer back.
    pub fn finish(self) -> io::Result<W> {
        match self {
            Output::Buffered(w) => {
                let mut inner = w.into_inner().map_err(|e| e.into_error())?;
                inner.flush()?;
                Ok(inner)
            }
            Output::Threaded(w) => w.finish(),
        }
    }
}

impl<W: Write + Send + 'static> Write for Output<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Buffered(w) => w.write(buf),
            Output::Threaded(w) => w.write(buf),
        }
    }

    #[inline]
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Output::Buffered(w) => w.write_all(buf),
            Output::Threaded(w) => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Buffered(w) => w.flush(),
            Output::Threaded(w) => w.flush(),
        }
    }
}

impl<W: Write + Send + 'static> WriteShared for Output<W> {
    fn write_shared(&mut self, bytes: &Arc<Vec<u8>>, range: Range<usize>) -> io::Result<()> {
        match self {
            Output::Buffered(w) => w.write_shared(bytes, range),
            Output::Threaded(w) => w.write_shared(bytes, range),
        }
    }
}

impl AtomicFile {
    /// Starts writing `dest`, buffered on the calling thread.
    pub fn new(dest: &Destination) -> io::Result<AtomicFile> {
        Self::start(dest, false)
    }

    /// Starts writing `dest` from an output thread of its own.
    pub fn threaded(dest: &Destination) -> io::Result<AtomicFile> {
        Self::start(dest, true)
    }

    fn start(dest: &Destination, threaded: bool) -> io::Result<AtomicFile> {
        let out = OutFile::create(dest)?;
        let path = out.temp_path().map(Path::to_path_buf);
        if let Some(p) = &path {
            interrupt::register(p);
        }
        Ok(AtomicFile {
            path,
            tmp: Some(Output::new(out, threaded)),
        })
    }

    fn tmp(&mut self) -> &mut Output<OutFile> {
        self.tmp
            .as_mut()
            .expect("only commit takes the file, and it consumes self")
    }

    /// Where to write.
    pub fn writer(&mut self) -> &mut Output<OutFile> {
        self.tmp()
    }

    /// Bytes written so far.
    pub fn len(&mut self) -> io::Result<u64> {
        let tmp = self.tmp();
        tmp.flush()?;
        match tmp {
            Output::Buffered(w) => Ok(w.get_ref().written()),
            Output::Threaded(w) => Ok(w.accepted()),
        }
    }

    /// Flushes, syncs and renames into place.
    pub fn commit(mut self) -> io::Result<()> {
        let tmp = self.tmp.take().expect("commit runs once");
        let tmp = tmp.finish()?;
        match self.path.take() {
            Some(p) => interrupt::settle(&p, || tmp.commit()),
            None => tmp.commit(),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        // Uncommitted, the temporary file is removed by its own drop; either
        // way the signal handler need not know it any more.
        let tmp = self.tmp.take();
        match &self.path {
            Some(p) => interrupt::settle(p, || drop(tmp)),
            None => drop(tmp),
        }
    }
}
