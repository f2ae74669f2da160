//! Where a call's bytes come from (a path, bytes in memory, or a binary
//! file object) and the one decode loop every call shares, worded and
//! checked as the command line does it.

use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView, PyString};
use xlogdec::Sink;
use xlogdec::format::MMAP3_SIZE;
use xlogdec::input::{MmapInput, ReadInput, SliceInput};
use xlogdec::reader::{Decoder, Error as DecodeError, Mmap3Mode, Options, Summary};

use crate::failure::Failure;

/// An input given from Python.
pub enum Source<'a> {
    /// A file on disk (memory-mapped when it is a regular file).
    Path(PathBuf),
    /// Bytes borrowed from a Python `bytes` object for a call that holds it.
    Slice(&'a [u8]),
    /// Bytes copied out of Python (for a decoding thread of its own).
    Owned(Vec<u8>),
    /// A binary file object, read with its `read` method.
    Stream(Py<PyAny>),
}

impl<'a> Source<'a> {
    /// The source `obj` names: `str` or `os.PathLike` is a path, `bytes`,
    /// `bytearray` or `memoryview` are the input itself, anything with a
    /// `read` method is a binary file object. `borrow` keeps `bytes`
    /// borrowed (the caller holds them for the whole decode).
    pub fn from_py(obj: &'a Bound<'_, PyAny>, borrow: bool) -> PyResult<Source<'a>> {
        if let Ok(b) = obj.cast::<PyBytes>() {
            return Ok(if borrow {
                Source::Slice(b.as_bytes())
            } else {
                Source::Owned(b.as_bytes().to_vec())
            });
        }
        if let Ok(b) = obj.cast::<PyByteArray>() {
            return Ok(Source::Owned(b.to_vec()));
        }
        if obj.cast::<PyMemoryView>().is_ok() {
            let b = obj.call_method0("tobytes")?;
            let b = b.cast::<PyBytes>()?;
            return Ok(Source::Owned(b.as_bytes().to_vec()));
        }
        if obj.cast::<PyString>().is_ok() || obj.hasattr("__fspath__")? {
            return Ok(Source::Path(obj.extract::<PathBuf>()?));
        }
        if obj.hasattr("read")? {
            return Ok(Source::Stream(obj.clone().unbind()));
        }
        Err(PyTypeError::new_err(format!(
            "source must be a path (str or os.PathLike), bytes, or a binary file object, not {}",
            obj.get_type().name()?
        )))
    }

    /// The name errors and JSON objects give the input: the path as given,
    /// the file object's `name`, or `<bytes>` / `<stream>`.
    pub fn default_name(obj: &Bound<'_, PyAny>, source: &Source<'_>) -> String {
        match source {
            Source::Path(p) => p.display().to_string(),
            Source::Slice(_) | Source::Owned(_) => "<bytes>".into(),
            Source::Stream(_) => obj
                .getattr("name")
                .ok()
                .and_then(|n| n.extract::<PathBuf>().ok())
                .map_or_else(|| "<stream>".into(), |p| p.display().to_string()),
        }
    }
}

/// The command line's words for an input that cannot be opened.
fn io_message(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// A Python binary file object as a `Read`: each read takes the GIL for
/// one `read(n)` call.
struct PyReader(Py<PyAny>);

impl Read for PyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Python::attach(|py| {
            let got = self
                .0
                .bind(py)
                .call_method1("read", (buf.len(),))
                .map_err(|e| io::Error::other(e.to_string()))?;
            if got.is_none() {
                // A non-blocking stream with nothing ready: nothing to
                // decode from but the end.
                return Ok(0);
            }
            let bytes = got.cast::<PyBytes>().map_err(|_| {
                io::Error::other(
                    "the file object's read() did not return bytes: open the file in binary mode ('rb')",
                )
            })?;
            let b = bytes.as_bytes();
            if b.len() > buf.len() {
                return Err(io::Error::other(
                    "the file object's read() returned more bytes than asked for",
                ));
            }
            buf[..b.len()].copy_from_slice(b);
            Ok(b.len())
        })
    }
}

/// Decoder settings of one call.
#[derive(Clone)]
pub struct Settings {
    /// The decoder's options (key, salvage, recover); `mmap3` is decided per
    /// input from `mmap3` and the name.
    pub opts: Options,
    /// `Some(true)`: the input is a crash buffer; `Some(false)`: it is not;
    /// `None`: as its name says (`*.mmap3`), like the command line.
    pub mmap3: Option<bool>,
    /// Decoding threads.
    pub jobs: usize,
}

impl Settings {
    /// The options for the input named `name`.
    pub fn options_for(&self, name: &str) -> Options {
        let mut opts = self.opts.clone();
        let by_name = std::path::Path::new(name)
            .extension()
            .is_some_and(|e| e == "mmap3");
        if self.mmap3.unwrap_or(by_name) {
            opts.mmap3 = Mmap3Mode::Always;
        } else {
            opts.mmap3 = Mmap3Mode::Auto;
        }
        opts
    }
}

/// Decodes `source` (named `name`) into `sink` exactly as the command line
/// decodes one input. `Ok(None)` when the sink stopped the decode (its
/// reader went away).
pub fn run<S: Sink>(
    source: &mut Source<'_>,
    name: &str,
    opts: Options,
    jobs: usize,
    sink: &mut S,
) -> Result<Option<Summary>, Failure> {
    let mut decoder = Decoder::new(opts);
    decoder.set_jobs(jobs);
    let input_failure = |reason: String| Failure::Input {
        file: name.to_string(),
        reason,
    };
    let result = match source {
        Source::Slice(b) => decoder.decode(&mut SliceInput(b), sink),
        Source::Owned(b) => decoder.decode(&mut SliceInput(b), sink),
        Source::Stream(obj) => {
            let reader = Python::attach(|py| PyReader(obj.clone_ref(py)));
            decoder.decode(&mut ReadInput::new(reader), sink)
        }
        Source::Path(path) => {
            let file = File::open(&*path).map_err(|e| input_failure(io_message(&e)))?;
            let meta = file.metadata().map_err(|e| input_failure(e.to_string()))?;
            if meta.is_dir() {
                return Err(input_failure("is a directory".into()));
            }
            if meta.is_file() {
                let mut map = MmapInput::open(&file).map_err(|e| input_failure(e.to_string()))?;
                decoder.decode(&mut map, sink)
            } else {
                decoder.decode(&mut ReadInput::new(&file), sink)
            }
        }
    };
    match result {
        Ok(s) => Ok(Some(s)),
        Err(DecodeError::Sink(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(None),
        Err(DecodeError::Sink(e)) => Err(input_failure(e.to_string())),
        Err(e) => Err(input_failure(e.to_string())),
    }
}

/// The command line's verdict on a decoded input: its warnings, or "not an
/// xlog" (a crash buffer after a clean close holds no block: not an error).
pub fn check(summary: &Summary, opts: &Options, name: &str) -> Result<Vec<String>, Failure> {
    let mut warnings = Vec::new();
    if summary.locked > 0 {
        let why = if opts.key.is_none() {
            "no private key given (pass key=...)"
        } else {
            "the private key does not fit them"
        };
        warnings.push(format!(
            "{name}: {} encrypted blocks not decoded: {why}",
            summary.locked
        ));
    }
    let crash_buffer = opts.mmap3 == Mmap3Mode::Always || summary.bytes_in == MMAP3_SIZE;
    if summary.blocks() == 0 && summary.bytes_in > 0 && !crash_buffer {
        return Err(Failure::NotXlog {
            file: name.to_string(),
        });
    }
    Ok(warnings)
}
