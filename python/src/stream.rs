//! `records()`: JSON Lines made on a decoding thread of its own and handed
//! to Python in chunks through a bounded channel, so memory stays bounded
//! whatever the input's size, and the thread stops when Python lets go.

use std::io::{self, Write};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use xlogdec::render::json::JsonSink;
use xlogdec::render::shared::WriteShared;
use xlogdec::select::filter::Filter;
use xlogdec::select::filtered::FilterSink;

use crate::failure::Failure;
use crate::source::{self, Settings, Source};

/// Bytes of JSON Lines per chunk handed to Python.
pub const CHUNK: usize = 256 << 10;
/// Chunks waiting in the channel: with the chunk being read and the one
/// being written, at most `QUEUE + 2` chunks exist at once.
pub const QUEUE: usize = 4;

/// What the decoding thread sends.
enum Msg {
    /// Whole JSON lines.
    Chunk(Vec<u8>),
    /// The end: the command line's warnings, or why the input failed.
    Done(Result<Vec<String>, Failure>),
}

/// A `Write` that sends whole lines in chunks of about [`CHUNK`] bytes.
struct ChanWriter {
    buf: Vec<u8>,
    tx: SyncSender<Msg>,
}

impl ChanWriter {
    /// Sends the buffered lines up to the last newline (everything with
    /// `all`).
    fn send(&mut self, all: bool) -> io::Result<()> {
        let cut = if all {
            self.buf.len()
        } else {
            match last_newline(&self.buf) {
                Some(i) => i + 1,
                None => return Ok(()),
            }
        };
        if cut == 0 {
            return Ok(());
        }
        let rest = self.buf.split_off(cut);
        let chunk = std::mem::replace(&mut self.buf, rest);
        self.buf.reserve(CHUNK);
        self.tx
            .send(Msg::Chunk(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the reader went away"))
    }
}

fn last_newline(b: &[u8]) -> Option<usize> {
    b.iter().rposition(|&c| c == b'\n')
}

impl Write for ChanWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send(false)?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Lines rendered on worker threads are copied into the chunk, so that
/// every line reaches the channel before a mid-file error.
impl WriteShared for ChanWriter {}

/// Decodes on the calling thread (a thread of its own) into `tx`.
fn produce(
    mut source: Source<'static>,
    name: String,
    settings: Settings,
    filter: Filter,
    tx: SyncSender<Msg>,
) {
    let opts = settings.options_for(&name);
    let writer = ChanWriter {
        buf: Vec::with_capacity(CHUNK),
        tx: tx.clone(),
    };
    let mut sink = FilterSink::new(JsonSink::new(writer, &name), filter);
    let r = source::run(&mut source, &name, opts.clone(), settings.jobs, &mut sink);
    let mut writer = sink.into_inner().into_inner();
    let end = match r {
        // The reader went away: nobody to tell.
        Ok(None) => return,
        Ok(Some(summary)) => {
            if writer.send(true).is_err() {
                return;
            }
            source::check(&summary, &opts, &name)
        }
        Err(f) => {
            // What was decoded before the failure still reaches the reader.
            if writer.send(true).is_err() {
                return;
            }
            Err(f)
        }
    };
    let _ = tx.send(Msg::Done(end));
}

/// The JSON Lines of one input, in chunks of whole lines (an iterator of
/// `bytes`); `warnings` holds the command line's warnings once it ends.
#[pyclass(module = "xlogdec._xlogdec")]
pub struct JsonChunks {
    rx: Mutex<Option<Receiver<Msg>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    warnings: Mutex<Vec<String>>,
}

impl JsonChunks {
    /// Starts decoding `source` on a thread of its own.
    pub fn start(
        source: Source<'static>,
        name: String,
        settings: Settings,
        filter: Filter,
    ) -> io::Result<JsonChunks> {
        let (tx, rx) = sync_channel(QUEUE);
        let thread = std::thread::Builder::new()
            .name("xlogdec-records".into())
            .spawn(move || produce(source, name, settings, filter, tx))?;
        Ok(JsonChunks {
            rx: Mutex::new(Some(rx)),
            thread: Mutex::new(Some(thread)),
            warnings: Mutex::new(Vec::new()),
        })
    }

    /// Stops the decoding thread (it ends at its next send) and waits for
    /// it, without holding the GIL: it may be waiting for the GIL to read
    /// a file object.
    fn stop(&self, py: Python<'_>) {
        py.detach(|| {
            drop(lock(&self.rx).take());
            if let Some(t) = lock(&self.thread).take() {
                let _ = t.join();
            }
        });
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[pymethods]
impl JsonChunks {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        // The lock is taken and released without the GIL: a thread holding
        // the GIL never waits for it.
        let msg = py.detach(|| lock(&self.rx).as_ref().map(|rx| rx.recv()));
        let Some(msg) = msg else {
            return Ok(None);
        };
        match msg {
            Ok(Msg::Chunk(c)) => Ok(Some(PyBytes::new(py, &c))),
            Ok(Msg::Done(end)) => {
                self.stop(py);
                match end {
                    Ok(w) => {
                        *lock(&self.warnings) = w;
                        Ok(None)
                    }
                    Err(f) => Err(f.into_pyerr(py)),
                }
            }
            Err(_) => {
                self.stop(py);
                Err(
                    Failure::Internal("the decoding thread stopped unexpectedly".into())
                        .into_pyerr(py),
                )
            }
        }
    }

    /// The command line's warnings about the input (encrypted blocks left
    /// undecoded), once the iteration has ended.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        lock(&self.warnings).clone()
    }

    /// Stops decoding now; the iteration ends.
    fn close(&self, py: Python<'_>) {
        self.stop(py);
    }
}

impl Drop for JsonChunks {
    fn drop(&mut self) {
        Python::attach(|py| self.stop(py));
    }
}
