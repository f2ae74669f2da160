//! The `xlogdec` Python package's native part (`xlogdec._xlogdec`): decode,
//! records, info and diagnose over the library, the GIL released while decoding.
//! The public API, its documentation and the exception classes are in
//! `xlogdec/__init__.py`; this module is what they call.

mod failure;
mod source;
mod stream;

use std::io::Write;
use std::sync::Arc;

use chrono::Local;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use xlogdec::decode::codec::PrivateKey;
use xlogdec::decode::reader::Options;
use xlogdec::decode::text::TextSink;
use xlogdec::imsdk::sink::DiagnoseSink;
use xlogdec::imsdk::{Finding, RuleSet};
use xlogdec::render::stats::Stats;
use xlogdec::select::filter::{Filter, FilterOptions};
use xlogdec::select::filtered::FilterSink;

use failure::{Failure, OrRaise};
use source::{Settings, Source};
use stream::JsonChunks;

/// The decoder settings from the keyword arguments every call shares.
fn settings(
    key: Option<&str>,
    salvage: bool,
    recover: bool,
    mmap3: Option<bool>,
    jobs: Option<usize>,
) -> Result<Settings, Failure> {
    let key = key
        .map(PrivateKey::from_hex)
        .transpose()
        .map_err(|e| Failure::Key(e.to_string()))?;
    let jobs = jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    Ok(Settings {
        opts: Options {
            key,
            no_salvage: !salvage,
            recover,
            ..Options::default()
        },
        mmap3,
        jobs,
    })
}

/// The input's name: `name` if given, else the path, the file object's
/// name, or `<bytes>`.
fn name_of(obj: &Bound<'_, PyAny>, source: &Source<'_>, name: Option<String>) -> String {
    name.unwrap_or_else(|| Source::default_name(obj, source))
}

/// Decodes `source` to the command line's text; returns `(text, warnings)`.
#[pyfunction]
#[pyo3(signature = (source, *, key=None, salvage=true, markers=true, recover=false, mmap3=None, name=None, jobs=None))]
#[allow(clippy::too_many_arguments)]
fn decode<'py>(
    py: Python<'py>,
    source: &Bound<'py, PyAny>,
    key: Option<&str>,
    salvage: bool,
    markers: bool,
    recover: bool,
    mmap3: Option<bool>,
    name: Option<String>,
    jobs: Option<usize>,
) -> PyResult<(Bound<'py, PyBytes>, Vec<String>)> {
    let settings = settings(key, salvage, recover, mmap3, jobs).or_raise(py)?;
    let mut src = Source::from_py(source, true)?;
    let name = name_of(source, &src, name);
    let opts = settings.options_for(&name);
    let r = py.detach(|| {
        let mut sink = TextSink::new(Vec::new(), markers);
        let summary = source::run(&mut src, &name, opts.clone(), settings.jobs, &mut sink)?
            .ok_or_else(|| Failure::Internal("decoding stopped unexpectedly".into()))?;
        let warnings = source::check(&summary, &opts, &name)?;
        Ok((sink.into_inner(), warnings))
    });
    let (text, warnings) = r.or_raise(py)?;
    Ok((PyBytes::new(py, &text), warnings))
}

/// `xlogdec info --format json`'s object for `source`, as JSON text.
#[pyfunction]
#[pyo3(signature = (source, *, key=None, name=None, top=10))]
fn info(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    key: Option<&str>,
    name: Option<String>,
    top: usize,
) -> PyResult<String> {
    let settings = settings(key, true, false, None, Some(1)).or_raise(py)?;
    let mut src = Source::from_py(source, true)?;
    let name = name_of(source, &src, name);
    let opts = settings.options_for(&name);
    let r = py.detach(|| {
        let mut sink = FilterSink::new(Stats::new(), Filter::default());
        let summary = source::run(&mut src, &name, opts.clone(), 1, &mut sink)?
            .ok_or_else(|| Failure::Internal("decoding stopped unexpectedly".into()))?;
        // `xlogdec info`'s verdict: locked blocks are blocks of an xlog.
        let crash_buffer = summary.bytes_in == xlogdec::decode::format::MMAP3_SIZE
            || opts.mmap3 == xlogdec::decode::reader::Mmap3Mode::Always;
        if summary.blocks() == 0 && summary.bytes_in > 0 && summary.locked == 0 && !crash_buffer {
            return Err(Failure::NotXlog { file: name.clone() });
        }
        let mut obj = serde_json::Map::new();
        obj.insert("type".into(), "info".into());
        obj.insert("file".into(), name.clone().into());
        let stats = sink.into_inner();
        if let serde_json::Value::Object(fields) = stats.to_json_top(&summary, top) {
            obj.extend(fields);
        }
        // What the banners say, as `xlogdec info --format json` gives it.
        obj.insert("metadata".into(), stats.meta.to_json());
        Ok(serde_json::Value::Object(obj).to_string())
    });
    r.or_raise(py)
}

/// `xlogdec diagnose --format json`'s objects for `source` (the findings,
/// then the summary), as JSON Lines text, and the warnings.
#[pyfunction]
#[pyo3(signature = (source, *, key=None, rules=None, top=5, mmap3=None, name=None, jobs=None))]
#[allow(clippy::too_many_arguments)]
fn diagnose(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    key: Option<&str>,
    rules: Option<std::path::PathBuf>,
    top: usize,
    mmap3: Option<bool>,
    name: Option<String>,
    jobs: Option<usize>,
) -> PyResult<(String, Vec<String>)> {
    let settings = settings(key, true, false, mmap3, jobs).or_raise(py)?;
    let rules = match &rules {
        Some(path) => py
            .detach(|| RuleSet::with_file(path))
            .map_err(|e| Failure::Rules(format!("bad rules file {e}")))
            .or_raise(py)?,
        None => RuleSet::builtin(),
    };
    let rules = Arc::new(rules);
    let mut src = Source::from_py(source, true)?;
    let name = name_of(source, &src, name);
    let opts = settings.options_for(&name);
    let r = py.detach(|| {
        let mut out = Vec::new();
        let (summary, warnings) = {
            let out = &mut out;
            let name = name.as_str();
            let mut sink = DiagnoseSink::threaded(Arc::clone(&rules), |f: &Finding| {
                f.write_json(&mut *out, name)?;
                out.write_all(b"\n")
            });
            let decoded = source::run(&mut src, name, opts.clone(), settings.jobs, &mut sink)?
                .ok_or_else(|| Failure::Internal("decoding stopped unexpectedly".into()))?;
            let warnings = source::check(&decoded, &opts, name)?;
            (sink.summary().cloned().unwrap_or_default(), warnings)
        };
        let obj = summary.to_json(&name, &rules, top);
        out.extend_from_slice(obj.to_string().as_bytes());
        out.push(b'\n');
        let text = String::from_utf8(out)
            .map_err(|_| Failure::Internal("diagnose wrote JSON that is not UTF-8".into()))?;
        Ok((text, warnings))
    });
    r.or_raise(py)
}

/// Starts decoding `source` to JSON Lines on a thread of its own: an
/// iterator of chunks of whole lines (the command line's `--format json`).
#[pyfunction]
#[pyo3(signature = (source, *, key=None, level=None, tag=Vec::new(), pid=None, tid=None,
    main_thread=false, since=None, until=None, grep=None, ignore_case=false, invert=false,
    salvage=true, recover=false, mmap3=None, name=None, jobs=None))]
#[allow(clippy::too_many_arguments)]
fn json_chunks(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    key: Option<&str>,
    level: Option<String>,
    tag: Vec<String>,
    pid: Option<i64>,
    tid: Option<i64>,
    main_thread: bool,
    since: Option<String>,
    until: Option<String>,
    grep: Option<String>,
    ignore_case: bool,
    invert: bool,
    salvage: bool,
    recover: bool,
    mmap3: Option<bool>,
    name: Option<String>,
    jobs: Option<usize>,
) -> PyResult<JsonChunks> {
    let settings = settings(key, salvage, recover, mmap3, jobs).or_raise(py)?;
    let filter = Filter::new(
        &FilterOptions {
            level,
            tags: tag,
            pid,
            tid,
            main_thread,
            since,
            until,
            regex: grep,
            ignore_case,
            invert,
            ..FilterOptions::default()
        },
        Local::now().fixed_offset(),
    )
    .map_err(|e| Failure::Filter(e.to_string()))
    .or_raise(py)?;
    let src = Source::from_py(source, false)?;
    let name = name_of(source, &src, name);
    let src = match src {
        Source::Slice(b) => Source::Owned(b.to_vec()),
        Source::Path(p) => Source::Path(p),
        Source::Owned(b) => Source::Owned(b),
        Source::Stream(s) => Source::Stream(s),
    };
    JsonChunks::start(src, name, settings, filter)
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start a decoding thread: {e}")))
}

/// A log field's text as JSON gives it: as it is when valid UTF-8, else
/// with each invalid byte as `\xNN` and each backslash doubled. Returns
/// `(text, escaped)`.
#[pyfunction]
fn escape(data: &[u8]) -> (String, bool) {
    let (text, escaped) = xlogdec::render::escape::escape_bytes(data);
    (text.into_owned(), escaped)
}

/// The bytes of a field listed in a record's `"escaped"`: the inverse of
/// `escape`.
#[pyfunction]
fn unescape<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyBytes>> {
    xlogdec::render::escape::unescape(text)
        .map(|b| PyBytes::new(py, &b))
        .ok_or_else(|| {
            PyValueError::new_err("not an escaped field (a lone backslash or a bad \\xNN)")
        })
}

/// The native module.
#[pymodule]
fn _xlogdec(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(decode, m)?)?;
    m.add_function(wrap_pyfunction!(info, m)?)?;
    m.add_function(wrap_pyfunction!(diagnose, m)?)?;
    m.add_function(wrap_pyfunction!(json_chunks, m)?)?;
    m.add_function(wrap_pyfunction!(escape, m)?)?;
    m.add_function(wrap_pyfunction!(unescape, m)?)?;
    m.add_class::<JsonChunks>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
