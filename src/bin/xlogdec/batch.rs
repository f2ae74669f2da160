//! Many inputs: decoded on `-j` worker threads, written either to one
//! stream in input order (standard output, `-o`), one file each under
//! `--out-dir`, or merged into one timeline (`--merge`).
//!
//! Results and messages are reported in input order whatever the jobs,
//! so `-j1` and `-jN` print the same bytes.

use crate::inputs::{Opened, Source};
use crate::out_file::AtomicFile;
use crate::output::{OutputArgs, make_sink};
use crate::progress::{Counted, Progress};
use crate::search::Between;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, mpsc};
use xlogdec::decode::format::MMAP3_SIZE;
use xlogdec::decode::input::{Input, MmapInput, ReadInput};
use xlogdec::decode::reader::{Decoder, Error as DecodeError, Mmap3Mode, Options};
use xlogdec::decode::summary::Summary;
use xlogdec::record::MAX_PIECE;
use xlogdec::render::atomic::Destination;
use xlogdec::render::shared::WriteShared;
use xlogdec::select::merge::{Merge, Piece, RecordWriter};

/// Output held in memory per input before it spills to a temporary file.
const SPOOL_MEM: usize = 8 << 20;
/// Records in flight from one merge source.
const MERGE_QUEUE: usize = 1024;
/// Bytes in flight from one merge source: records are small, but a long
/// one comes in pieces of up to [`MAX_PIECE`] bytes, and 1024 of those
/// would be a gigabyte.
const MERGE_QUEUE_BYTES: usize = 4 * MAX_PIECE;

/// The bytes in flight in one merge queue: the decoding thread waits while
/// the queue holds more than [`MERGE_QUEUE_BYTES`].
#[derive(Default)]
struct Budget {
    /// Bytes sent and not yet received, and whether the merge has ended.
    state: Mutex<(usize, bool)>,
    freed: Condvar,
}

impl Budget {
    /// Waits until `len` more bytes fit (one piece always does when the
    /// queue is empty); `false` when the merge has ended.
    fn take(&self, len: usize) -> bool {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while !s.1 && s.0 > 0 && s.0 + len > MERGE_QUEUE_BYTES {
            s = self.freed.wait(s).unwrap_or_else(|e| e.into_inner());
        }
        s.0 += len;
        !s.1
    }

    /// `len` bytes were received.
    fn give(&self, len: usize) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.0 -= len.min(s.0);
        self.freed.notify_all();
    }

    /// The merge has ended: nothing waits any more.
    fn close(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).1 = true;
        self.freed.notify_all();
    }
}

/// The suffix of an output under `--out-dir`: `NAME.xlog` becomes
/// `NAME.xlog.log`, or `NAME.xlog.jsonl` with `--format json`.
pub fn output_suffix(out: &OutputArgs) -> &'static str {
    if out.is_json() { ".jsonl" } else { ".log" }
}

/// What every worker needs (shared between threads; the output flags,
/// which are not, are cloned for each worker).
pub struct Ctx<'a> {
    /// `--mmap3`: every input is a crash buffer.
    pub mmap3: bool,
    /// `-q`: no warnings.
    pub quiet: bool,
    /// `--force`: overwrite outputs under `--out-dir`.
    pub force: bool,
    /// Decoder options shared by all inputs.
    pub base: &'a Options,
    /// The progress bar.
    pub progress: &'a Progress,
    /// Threads decoding the blocks of one input.
    pub block_jobs: usize,
    /// `--max-block-output`.
    pub max_block_output: usize,
    /// `--max-unpacked`: bytes one archive member may unpack to.
    pub max_unpacked: u64,
}

/// Why an input failed.
pub enum Fail {
    /// The input (missing, unreadable, not an xlog): reported, exit 2.
    Input(String),
    /// The output could not be written.
    Output(io::Error),
}

/// A decoded input.
pub struct Done {
    /// Its counts.
    pub summary: Summary,
    /// Its integrity problems in words (for `--strict` and the warning).
    pub problems: Option<String>,
}

/// What happened to each input, reported in input order.
#[derive(Default)]
pub struct Report {
    /// `--strict`: integrity problems are errors (shown even with `-q`).
    pub strict: bool,
    /// Inputs that failed, with the reason.
    pub failed: Vec<(String, String)>,
    /// Inputs with integrity problems (for `--strict`), by name.
    pub problems: Vec<String>,
    /// Inputs decoded.
    pub decoded: usize,
    /// The output stream broke (closed pipe): stop quietly.
    pub broken_pipe: bool,
    /// Writing the output failed otherwise.
    pub output_error: Option<String>,
    /// Directories and archives that held no log (exit 1 with `--strict`).
    pub empty: Vec<String>,
}

impl Report {
    /// A directory or archive held no log: said on stderr (unless `quiet`).
    pub fn nothing_in(&mut self, what: &str, message: &str, quiet: bool) {
        if !quiet {
            eprintln!("xlogdec: {what}: {message}");
        }
        self.empty.push(what.to_string());
    }

    /// Takes one input's result (in input order).
    pub fn add(&mut self, src: &Source, r: Result<Done, Fail>, quiet: bool, progress: &Progress) {
        match r {
            Ok(done) => {
                self.decoded += 1;
                if has_problems(&done.summary) {
                    self.problems.push(src.shown());
                }
                if let Some(p) = &done.problems {
                    if self.strict && has_problems(&done.summary) {
                        progress
                            .println(&format!("xlogdec: {}: integrity problem: {p}", src.shown()));
                    } else if !quiet {
                        progress.println(&format!("xlogdec: {}: warning: {p}", src.shown()));
                    }
                }
            }
            Err(Fail::Input(m)) => {
                progress.println(&format!("xlogdec: {}: {m}", src.shown()));
                self.failed.push((src.shown(), m));
            }
            Err(Fail::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.broken_pipe = true;
            }
            Err(Fail::Output(e)) => {
                progress.println(&format!(
                    "xlogdec: {}: cannot write output: {e}",
                    src.shown()
                ));
                self.failed
                    .push((src.shown(), format!("cannot write output: {e}")));
                self.output_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
}

/// An integrity problem `--strict` fails on: a corrupt range, a seq gap,
/// a block that did not decompress or stayed locked.
pub fn has_problems(s: &Summary) -> bool {
    s.gaps + s.skipped + s.decompress_errors + s.locked > 0
}

/// Decodes one input into `out`.
pub fn decode_source<W: WriteShared>(
    src: &Source,
    ctx: &Ctx<'_>,
    out_args: &OutputArgs,
    out: W,
) -> Result<Done, Fail> {
    let shown = src.shown();
    let mut opts = ctx.base.clone();
    if ctx.mmap3 || src.is_mmap3() {
        opts.mmap3 = Mmap3Mode::Always;
    }
    let mut sink = make_sink(out_args, Box::new(out), &shown);
    let mut decoder = Decoder::new(opts.clone());
    decoder
        .set_jobs(ctx.block_jobs)
        .set_max_block_output(ctx.max_block_output);
    let p = ctx.progress;
    let result = src
        .open_with(ctx.max_unpacked, |opened| match opened {
            Opened::Stdin => {
                let stdin = io::stdin();
                decoder.decode(
                    &mut Counted::new(ReadInput::new(stdin.lock()), p),
                    &mut sink,
                )
            }
            Opened::Map(file, len) => match MmapInput::open(&file) {
                Ok(map) => counted(map, p, len, &mut decoder, &mut sink),
                Err(e) => Err(DecodeError::Read {
                    offset: 0,
                    source: e,
                }),
            },
            Opened::Stream(r, size) => counted(ReadInput::new(r), p, size, &mut decoder, &mut sink),
        })
        .map_err(Fail::Input)?;
    match result {
        Ok(summary) => {
            let problems = check_summary(&summary, &opts).map_err(Fail::Input)?;
            Ok(Done { summary, problems })
        }
        Err(DecodeError::Sink(e)) => Err(Fail::Output(e)),
        Err(e) => Err(Fail::Input(e.to_string())),
    }
}

fn counted<I: Input, S: xlogdec::Sink>(
    input: I,
    p: &Progress,
    size: u64,
    decoder: &mut Decoder,
    sink: &mut S,
) -> Result<Summary, DecodeError> {
    let mut c = Counted::new(input, p);
    let r = decoder.decode(&mut c, sink);
    c.done(size);
    r
}

/// The input's integrity problems in words, and the "not an xlog" verdict.
pub fn check_summary(s: &Summary, opts: &Options) -> Result<Option<String>, String> {
    // A crash buffer after a clean close holds no block: not an error.
    let crash_buffer = opts.mmap3 == Mmap3Mode::Always || s.bytes_in == MMAP3_SIZE;
    if s.blocks() == 0 && s.bytes_in > 0 && !crash_buffer {
        return Err("not an xlog file (no valid block found)".into());
    }
    Ok(describe_problems(s, opts.key.is_some()))
}

/// `n thing` or `n things`.
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The integrity problems of a summary in one phrase (`None` when clean):
/// corrupt ranges, seq gaps, blocks that did not decompress, encrypted
/// blocks left undecoded, and blocks cut at `--max-block-output`.
pub fn describe_problems(s: &Summary, have_key: bool) -> Option<String> {
    let mut parts = Vec::new();
    if s.skipped > 0 {
        parts.push(format!(
            "{} ({} skipped)",
            count(s.skipped, "corrupt range", "corrupt ranges"),
            count(s.skipped_bytes, "byte", "bytes")
        ));
    }
    if s.gaps > 0 {
        parts.push(count(s.gaps, "seq gap", "seq gaps"));
    }
    if s.decompress_errors > 0 {
        parts.push(count(
            s.decompress_errors,
            "block that did not decompress",
            "blocks that did not decompress",
        ));
    }
    if s.locked > 0 {
        let why = if have_key {
            "the private key does not fit them"
        } else {
            "no private key given (use --key-file or XLOGDEC_PRIVATE_KEY)"
        };
        parts.push(format!(
            "{} not decoded: {why}",
            count(s.locked, "encrypted block", "encrypted blocks")
        ));
    }
    if s.capped > 0 {
        parts.push(format!(
            "{} cut at --max-block-output",
            count(s.capped, "block", "blocks")
        ));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// Decoded output of one input, in memory up to [`SPOOL_MEM`], then in
/// an anonymous temporary file (gone with the process, even on a kill),
/// written in pieces of [`SPOOL_WRITE`] (a sink may write a line at a
/// time).
#[derive(Default)]
pub struct Spool {
    mem: Vec<u8>,
    file: Option<io::BufWriter<File>>,
}

/// The size of a spool's writes to its file.
const SPOOL_WRITE: usize = 1 << 20;

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.file.is_none() && self.mem.len() + buf.len() > SPOOL_MEM {
            let mut f = io::BufWriter::with_capacity(SPOOL_WRITE, tempfile::tempfile()?);
            f.write_all(&self.mem)?;
            self.mem = Vec::new();
            self.file = Some(f);
        }
        match &mut self.file {
            Some(f) => f.write(buf),
            None => {
                self.mem.extend_from_slice(buf);
                Ok(buf.len())
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl WriteShared for Spool {}

impl Spool {
    /// Copies everything spooled to `out`.
    fn copy_to<W: Write + ?Sized>(self, out: &mut W) -> io::Result<()> {
        match self.file {
            None => out.write_all(&self.mem),
            Some(f) => {
                let mut f = f.into_inner().map_err(io::IntoInnerError::into_error)?;
                f.rewind()?;
                let mut f = io::BufReader::with_capacity(1 << 20, f);
                let mut buf = vec![0u8; 1 << 20];
                loop {
                    let n = f.read(&mut buf)?;
                    if n == 0 {
                        return Ok(());
                    }
                    out.write_all(&buf[..n])?;
                }
            }
        }
    }
}

/// Decodes every source into `out`, in input order, on `jobs` threads.
pub fn run_ordered<W: WriteShared + ?Sized>(
    sources: &[Source],
    ctx: &Ctx<'_>,
    out_args: &OutputArgs,
    jobs: usize,
    out: &mut W,
    report: &mut Report,
) {
    let quiet = ctx.quiet;
    let n = sources.len();
    // `--` between the context groups of two inputs, as grep.
    let sep = out_args.search.between_inputs();
    let mut wrote = false;
    if jobs <= 1 || n <= 1 {
        for (i, src) in sources.iter().enumerate() {
            let each = Between::new(&mut *out, sep, &mut wrote);
            let r = decode_source(src, ctx, out_args, each);
            report.add(src, r, quiet, ctx.progress);
            ctx.progress.files_done(i + 1, n);
            if report.broken_pipe || report.output_error.is_some() {
                return;
            }
        }
        return;
    }
    // Workers may run ahead of the writer by this many inputs: memory is
    // bounded by window x SPOOL_MEM whatever the inputs' sizes.
    let window = 2 * jobs;
    let next = AtomicUsize::new(0);
    let written = (Mutex::new(0usize), Condvar::new());
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let (tx, rx) = mpsc::channel::<(usize, Result<(Spool, Done), Fail>)>();
        for _ in 0..jobs.min(n) {
            let tx = tx.clone();
            let (next, written, stop) = (&next, &written, &stop);
            let out_args = out_args.clone();
            s.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= n {
                        return;
                    }
                    {
                        let mut w = written.0.lock().unwrap_or_else(|e| e.into_inner());
                        while i >= *w + window && !stop.load(Ordering::SeqCst) {
                            w = written.1.wait(w).unwrap_or_else(|e| e.into_inner());
                        }
                    }
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let mut spool = Spool::default();
                    let r =
                        decode_source(&sources[i], ctx, &out_args, &mut spool).map(|d| (spool, d));
                    if tx.send((i, r)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        let mut pending: BTreeMap<usize, Result<(Spool, Done), Fail>> = BTreeMap::new();
        let mut done = 0;
        for (i, r) in rx {
            pending.insert(i, r);
            while let Some(r) = pending.remove(&done) {
                let r = if stop.load(Ordering::SeqCst) {
                    None
                } else {
                    Some(r.and_then(|(spool, d)| {
                        let mut each = Between::new(&mut *out, sep, &mut wrote);
                        spool.copy_to(&mut each).map_err(Fail::Output)?;
                        Ok(d)
                    }))
                };
                if let Some(r) = r {
                    report.add(&sources[done], r, quiet, ctx.progress);
                }
                done += 1;
                ctx.progress.files_done(done, n);
                if report.broken_pipe || report.output_error.is_some() {
                    stop.store(true, Ordering::SeqCst);
                }
                *written.0.lock().unwrap_or_else(|e| e.into_inner()) = done;
                written.1.notify_all();
            }
        }
    });
}

/// Where each source's output goes under `dir`; sources whose target is
/// taken by an earlier one get an error instead.
fn targets(sources: &[Source], dir: &Path, suffix: &str) -> Vec<Result<PathBuf, String>> {
    let mut taken: HashMap<PathBuf, String> = HashMap::new();
    sources
        .iter()
        .map(|src| {
            let rel = src
                .rel()
                .ok_or_else(|| "standard input cannot go to --out-dir (use -o)".to_string())?;
            let mut name = dir.join(rel).into_os_string();
            name.push(suffix);
            let target = PathBuf::from(name);
            if let Some(first) = taken.get(&target) {
                return Err(format!(
                    "output {} is already written for {first}",
                    target.display()
                ));
            }
            taken.insert(target.clone(), src.shown());
            Ok(target)
        })
        .collect()
}

/// Decodes each source to its own file under `dir`, `jobs` at a time.
pub fn run_out_dir(
    sources: &[Source],
    ctx: &Ctx<'_>,
    out_args: &OutputArgs,
    jobs: usize,
    dir: &Path,
    report: &mut Report,
) {
    let force = ctx.force;
    let targets = targets(sources, dir, output_suffix(out_args));
    // An output that is (a link to) an input, however it is spelt: the
    // run is refused before anything is written.
    let ids = crate::inputs::input_ids(sources);
    let clash = |t: &PathBuf| -> Option<String> {
        let dest = Destination::of(t).ok()?;
        let input = ids.get(&xlogdec::render::atomic::file_id(dest.path()).ok()??)?;
        Some(format!(
            "output {} would overwrite the input {input}: nothing written",
            t.display()
        ))
    };
    let clashes: Vec<(usize, String)> = targets
        .iter()
        .enumerate()
        .filter_map(|(i, t)| Some((i, clash(t.as_ref().ok()?)?)))
        .collect();
    if !clashes.is_empty() {
        for (i, m) in clashes {
            report.add(&sources[i], Err(Fail::Input(m)), ctx.quiet, ctx.progress);
        }
        return;
    }
    let n = sources.len();
    let next = AtomicUsize::new(0);
    let one = |i: usize, out_args: &OutputArgs| -> Result<Done, Fail> {
        let target = targets[i].as_ref().map_err(|e| Fail::Input(e.clone()))?;
        if !force && target.symlink_metadata().is_ok() {
            return Err(Fail::Input(format!(
                "output {} exists (use --force to overwrite)",
                target.display()
            )));
        }
        let out_err = |e: io::Error| Fail::Input(format!("cannot write {}: {e}", target.display()));
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(out_err)?;
        }
        let dest = Destination::of(target).map_err(out_err)?;
        if let Ok(Some(id)) = xlogdec::render::atomic::file_id(dest.path())
            && let Some(input) = ids.get(&id)
        {
            return Err(Fail::Input(format!(
                "output {} would overwrite the input {input}",
                target.display()
            )));
        }
        let mut tmp = AtomicFile::new(&dest).map_err(out_err)?;
        let done = match decode_source(&sources[i], ctx, out_args, tmp.writer()) {
            Err(Fail::Output(e)) => return Err(out_err(e)),
            r => r?,
        };
        tmp.commit().map_err(out_err)?;
        Ok(done)
    };
    std::thread::scope(|s| {
        let (tx, rx) = mpsc::channel::<(usize, Result<Done, Fail>)>();
        for _ in 0..jobs.clamp(1, n.max(1)) {
            let tx = tx.clone();
            let (next, one) = (&next, &one);
            let out_args = out_args.clone();
            out_args.to_terminal.set(false);
            s.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= n || tx.send((i, one(i, &out_args))).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        let mut pending = BTreeMap::new();
        let mut done = 0;
        for (i, r) in rx {
            pending.insert(i, r);
            while let Some(r) = pending.remove(&done) {
                report.add(&sources[done], r, ctx.quiet, ctx.progress);
                done += 1;
                ctx.progress.files_done(done, n);
            }
        }
    });
}

/// Decodes all sources at once and writes their records to `out` as one
/// timeline (see `xlogdec::select::merge`). Each source decodes on its own thread
/// into a bounded queue, so memory does not grow with the inputs' sizes.
pub fn run_merge<W: Write + ?Sized>(
    sources: &[Source],
    ctx: &Ctx<'_>,
    out_args: &OutputArgs,
    out: &mut W,
    report: &mut Report,
) {
    let stop = AtomicBool::new(false);
    let budgets: Vec<Budget> = sources.iter().map(|_| Budget::default()).collect();
    std::thread::scope(|s| {
        let mut receivers = Vec::new();
        let mut handles = Vec::new();
        for (src, budget) in sources.iter().zip(&budgets) {
            let (tx, rx) = mpsc::sync_channel::<Piece>(MERGE_QUEUE);
            receivers.push(
                rx.into_iter()
                    .inspect(move |p: &Piece| budget.give(p.bytes.len())),
            );
            let stop = &stop;
            // Records are cut from plain text: no colour codes.
            let out_args = out_args.clone();
            out_args.to_terminal.set(false);
            handles.push(s.spawn(move || {
                let mut w = RecordWriter::new(|r: &[u8], part| {
                    if stop.load(Ordering::Relaxed) {
                        return Err(io::Error::new(io::ErrorKind::Interrupted, "merge stopped"));
                    }
                    // The merge has ended early: nothing more is needed.
                    let ended = || io::Error::new(io::ErrorKind::BrokenPipe, "merge ended");
                    if !budget.take(r.len()) {
                        return Err(ended());
                    }
                    let piece = Piece {
                        bytes: r.to_vec(),
                        part,
                    };
                    tx.send(piece).map_err(|_| ended())
                });
                let r = decode_source(src, ctx, &out_args, &mut w);
                let end = w.finish();
                match (r, end) {
                    (Ok(d), Ok(())) => Ok(d),
                    (Ok(_), Err(e)) => Err(Fail::Output(e)),
                    (Err(f), _) => Err(f),
                }
            }));
        }
        let mut merge = Merge::new(receivers);
        let mut write = || -> io::Result<()> {
            for (_, rec) in merge.by_ref() {
                out.write_all(&rec)?;
            }
            Ok(())
        };
        let written = write();
        if written.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        // Unblock producers still waiting on a full queue.
        drop(merge);
        for b in &budgets {
            b.close();
        }
        for (src, h) in sources.iter().zip(handles) {
            let r = h
                .join()
                .unwrap_or_else(|_| Err(Fail::Input("decoder panicked".into())));
            // A source stopped because the output failed is not itself at fault.
            let r = match (r, &written) {
                (Err(Fail::Output(_)), Err(_)) => continue,
                (r, _) => r,
            };
            report.add(src, r, ctx.quiet, ctx.progress);
        }
        if let Err(e) = written {
            if e.kind() == io::ErrorKind::BrokenPipe {
                report.broken_pipe = true;
            } else {
                report.output_error = Some(e.to_string());
            }
        }
    });
}

#[cfg(test)]
mod tests;
