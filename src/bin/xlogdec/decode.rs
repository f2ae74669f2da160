//! The default command: decode inputs to text.

use crate::batch::{self, Ctx, Fail, Report};
use crate::generate::Generate;
use crate::inputs::{self, Source};
use crate::interrupt;
use crate::out_file::{AtomicFile, Output};
use crate::output::OutputArgs;
use crate::progress::Progress;
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use xlogdec::decode::reader::{Mmap3Mode, Options};
use xlogdec::render::atomic::Destination;
use xlogdec::render::shared::WriteShared;

/// No flags: sets the `--help` heading of the flags after it (a flattened
/// group's heading would otherwise carry over to them).
#[derive(clap::Args, Debug)]
#[command(next_help_heading = "Inputs and decoding")]
struct DecodingHeading {}

/// Arguments of the default (decode) command.
#[derive(clap::Args, Debug)]
pub struct DecodeArgs {
    /// Input files (.xlog, .mmap3), archives (.zip, .tar, .tar.gz/.tgz, a
    /// .gz of one log, and archives inside those: their .xlog/.mmap3
    /// members), glob patterns ('logs/*.xlog'), directories, or - for
    /// stdin (the default when stdin is not a terminal). Directories on
    /// their own (without --out-dir, --merge or -o): each *.xlog becomes
    /// NAME.xlog.log beside it, like the official script.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Output shape, and the record filters (shown first in `--help`).
    #[command(flatten)]
    pub out: OutputArgs,

    /// The flags below go back under the decoding heading.
    #[command(flatten)]
    decoding: DecodingHeading,

    /// Write the text to FILE instead of standard output: a regular file
    /// atomically (a temporary file renamed into place once something was
    /// decoded; a symlink's target, keeping its mode), a FIFO or device in
    /// place. Refused when FILE is one of the inputs. `-o -` is standard
    /// output (and sends directory inputs there too).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// The private key for encrypted logs.
    #[command(flatten)]
    pub key: crate::key::KeyArgs,

    /// A user-defined line shape.
    #[command(flatten)]
    pub line_format: crate::line_format::LineFormatArgs,

    /// Treat every input as a .mmap3 crash buffer (automatic for *.mmap3).
    #[arg(long)]
    pub mmap3: bool,

    /// Do not decode what the official decoder drops (a cut-off last block,
    /// a crash buffer's block): byte-identical to the official output.
    #[arg(long)]
    pub no_salvage: bool,

    /// Recover lines from damaged blocks that the official decoder drops
    /// whole (restarts at the writer's per-line flush points; each
    /// recovered block is marked by an `[F]xlogdec:` line).
    #[arg(long)]
    pub recover: bool,

    /// Descend into sub-directories of directory inputs (symlinked
    /// directories are not followed).
    #[arg(short, long)]
    pub recursive: bool,

    /// Write one output per input into DIR (NAME.xlog -> DIR/NAME.xlog.log),
    /// each atomically. A directory or archive input gets a sub-directory
    /// of its own name (logs/ -> DIR/logs/, b.zip -> DIR/b/), keeping the
    /// paths inside it; two inputs of the same name get NAME, NAME-2...
    /// Inputs are never overwritten.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["output", "merge"])]
    pub out_dir: Option<PathBuf>,

    /// With --out-dir, overwrite outputs that already exist.
    #[arg(long, requires = "out_dir")]
    pub force: bool,

    /// Decode N inputs at once (default: the number of cores). The output
    /// is the same for every N.
    #[arg(short = 'j', long, value_name = "N")]
    pub jobs: Option<usize>,

    /// Merge all inputs into one timeline ordered by record time (stable
    /// for equal times); records of a .mmap3 crash buffer that also
    /// reached the .xlog are shown once.
    #[arg(long)]
    pub merge: bool,

    /// Exit 1 if any input has an integrity problem (corrupt range, seq
    /// gap, block that did not decompress or stayed encrypted), or a
    /// directory or archive holds no log file; each input with problems
    /// gets a line on stderr naming them, even with -q.
    #[arg(long)]
    pub strict: bool,

    /// No progress bar (it is shown only when stderr is a terminal).
    #[arg(long)]
    pub no_progress: bool,

    /// No progress bar, warnings or summary on stderr; errors only.
    #[arg(short, long)]
    pub quiet: bool,

    /// Cut a block whose text grows past BYTES (a decompression bomb) and
    /// say so in a `[F]xlogdec:` line. A long block's text is written in
    /// pieces as it is decoded, so memory does not grow with BYTES.
    #[arg(long, value_name = "BYTES", default_value_t = xlogdec::decode::reader::DEFAULT_MAX_BLOCK_OUTPUT)]
    pub max_block_output: usize,

    /// Refuse an archive whose members unpack to more than BYTES in all
    /// (a decompression bomb); archives nest at most 4 deep.
    #[arg(long, value_name = "BYTES", default_value_t = inputs::DEFAULT_MAX_UNPACKED)]
    pub max_unpacked: u64,

    /// Print a man page or shell completions to stdout and exit.
    #[arg(long, value_name = "WHAT", value_enum)]
    pub generate: Option<Generate>,
}

/// Runs the decode command; returns the exit code.
pub fn run(mut args: DecodeArgs) -> i32 {
    let key = match inputs::or_stdin(&mut args.inputs, "xlogdec")
        .and_then(|()| args.key.load_for("xlogdec"))
    {
        Ok(k) => k,
        Err(code) => return code,
    };
    let base = Options {
        key,
        mmap3: Mmap3Mode::Auto,
        no_salvage: args.no_salvage,
        recover: args.recover,
    };
    // Flags that are each valid may still not go together (an empty time
    // window): said once, before any input is read.
    if let Err(e) = args.out.filter() {
        eprintln!("xlogdec: {e}");
        return 2;
    }
    if args.out.search.invert
        && args.out.search.patterns.is_empty()
        && args.out.search.message.is_none()
    {
        eprintln!("xlogdec: -v turns -e (or --message) around; give one");
        return 2;
    }
    let search = &args.out.search;
    let shaped = search.count || search.context() != (0, 0);
    if shaped && args.out.is_json() {
        eprintln!(
            "xlogdec: -A, -B, -C and --count shape text output; they do not take --format json"
        );
        return 2;
    }
    if args.merge && (shaped || search.with_filename) {
        eprintln!(
            "xlogdec: --merge orders whole records; it does not take -A, -B, -C, --count or -H"
        );
        return 2;
    }
    if args.merge && args.out.is_json() {
        eprintln!("xlogdec: --merge orders text records; it does not take --format json");
        return 2;
    }
    interrupt::install();
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);

    // The official script's directory mode: directories named on their
    // own, with no other output place asked for. Mixed with files or
    // standard input, a directory's files go to the one output instead.
    let beside = args.out_dir.is_none()
        && !args.merge
        && args.output.is_none()
        && args.inputs.iter().all(|p| p.is_dir());
    let (dirs, rest): (Vec<PathBuf>, Vec<PathBuf>) = if beside {
        (args.inputs.clone(), Vec::new())
    } else {
        (Vec::new(), args.inputs.clone())
    };
    let mut report = Report {
        strict: args.strict,
        ..Report::default()
    };
    let expanded = inputs::expand(&rest, args.recursive, args.max_unpacked);
    let sources = expanded.sources;
    for e in expanded.errors {
        eprintln!("xlogdec: {}: {}", e.arg, e.message);
        report.failed.push((e.arg, e.message));
    }
    for e in expanded.empty {
        report.nothing_in(&e.arg, &e.message, args.quiet && !args.strict);
    }
    let text_stream = !args.out.is_json() && args.out_dir.is_none() && !args.merge;
    search.settle_names(sources.len() > 1, text_stream);
    // `-o FILE`: judged before anything is decoded, so that a refusal
    // writes nothing.
    let dest = match args.output.as_deref().filter(|p| *p != Path::new("-")) {
        Some(path) => match output_destination(path, &sources) {
            Ok(d) => Some((path, d)),
            Err(m) => {
                eprintln!("xlogdec: {}: {m}", path.display());
                return 2;
            }
        },
        None => None,
    };
    // Colour (--color auto) only where the text goes to a terminal.
    let to_stdout =
        args.out_dir.is_none() && args.output.as_deref().is_none_or(|p| p == Path::new("-"));
    let text_on_terminal = to_stdout && !sources.is_empty() && io::stdout().is_terminal();
    args.out.to_terminal.set(text_on_terminal);
    // The bar is not drawn into decoded text on the same terminal.
    let total = || sources.iter().map(Source::size).sum();
    let progress = Progress::new(
        sources.len(),
        total,
        !args.no_progress && !args.quiet && !text_on_terminal,
    );
    let ctx = Ctx {
        mmap3: args.mmap3,
        quiet: args.quiet,
        force: args.force,
        base: &base,
        progress: &progress,
        // One input: its blocks on every job; several: one input per job.
        block_jobs: if sources.len() == 1 { jobs } else { 1 },
        max_block_output: args.max_block_output,
        max_unpacked: args.max_unpacked,
    };

    if let Some(dir) = &args.out_dir {
        batch::run_out_dir(&sources, &ctx, &args.out, jobs, dir, &mut report);
    } else if !sources.is_empty() {
        let run = |out: &mut dyn WriteShared, report: &mut Report| {
            if args.merge {
                batch::run_merge(&sources, &ctx, &args.out, out, report);
            } else {
                batch::run_ordered(&sources, &ctx, &args.out, jobs, out, report);
            }
        };
        match &dest {
            Some((path, dest)) => {
                let r = AtomicFile::threaded(dest).and_then(|mut tmp| {
                    run(tmp.writer(), &mut report);
                    match &report.output_error {
                        Some(e) => Err(io::Error::other(e.clone())),
                        // Nothing decoded (a missing input, not an xlog):
                        // an existing FILE stays as it was.
                        None if report.decoded == 0 => Ok(()),
                        None => tmp.commit(),
                    }
                });
                if let Err(e) = r {
                    eprintln!("xlogdec: {}: cannot write: {e}", path.display());
                    report.output_error.get_or_insert_with(|| e.to_string());
                }
            }
            None => {
                // The write calls run on their own thread (a pipe or a
                // file on the other end costs the decoder nothing).
                let mut w = Output::new(io::stdout(), true);
                run(&mut w, &mut report);
                if !report.broken_pipe
                    && report.output_error.is_none()
                    && let Err(e) = w.finish()
                {
                    if e.kind() == io::ErrorKind::BrokenPipe {
                        report.broken_pipe = true;
                    } else {
                        eprintln!("xlogdec: cannot write output: {e}");
                        report.output_error = Some(e.to_string());
                    }
                }
            }
        }
    }
    progress.finish();
    args.out.to_terminal.set(false); // the directory mode writes files
    for dir in &dirs {
        decode_dir(dir, &ctx, &args, &mut report);
    }
    summarise(
        &args,
        (sources.len() + dirs.len()).max(args.inputs.len()),
        &report,
    )
}

/// Where `-o FILE` writes, or why it must not: FILE is one of the inputs
/// (the same device and inode, however it is spelt), a directory, a
/// symbolic link to nothing.
fn output_destination(path: &Path, sources: &[Source]) -> Result<Destination, String> {
    let dest = Destination::of(path).map_err(|e| e.to_string())?;
    let ids = inputs::input_ids(sources);
    if let Ok(Some(id)) = xlogdec::render::atomic::file_id(dest.path())
        && let Some(input) = ids.get(&id)
    {
        let same = if Path::new(input) == path {
            "is an input".to_string()
        } else {
            format!("is the input {input}")
        };
        return Err(format!(
            "{same}: refusing to overwrite it (nothing written)"
        ));
    }
    Ok(dest)
}

/// The closing line on stderr (not with `-q`) and the exit code.
fn summarise(args: &DecodeArgs, inputs: usize, report: &Report) -> i32 {
    let failed = report.failed.len();
    // One input: its own lines already say it all.
    if inputs > 1 && !args.quiet && !report.broken_pipe {
        let mut line = format!("xlogdec: {} decoded, {failed} failed", report.decoded);
        if failed > 0 {
            let names: Vec<&str> = report.failed.iter().map(|(n, _)| n.as_str()).collect();
            line.push_str(&format!(": {}", names.join(", ")));
        }
        if !report.problems.is_empty() {
            line.push_str(&format!(
                "; {} with integrity problems: {}",
                report.problems.len(),
                report.problems.join(", ")
            ));
        }
        eprintln!("{line}");
    }
    if failed > 0 || report.output_error.is_some() {
        2
    } else if args.strict && (!report.problems.is_empty() || !report.empty.is_empty()) {
        1
    } else {
        0
    }
}

/// The official script's directory mode: every `*.xlog` directly inside
/// (and below, with `-r`) becomes `NAME.xlog.log` beside it (none for an
/// empty result). Says on stderr how many it wrote (unless `-q`).
fn decode_dir(dir: &Path, ctx: &Ctx<'_>, args: &DecodeArgs, report: &mut Report) {
    let files = match inputs::walk(dir, args.recursive) {
        Ok(f) => f,
        Err(e) => {
            let m = inputs::io_message(&e);
            eprintln!("xlogdec: {}: {m}", dir.display());
            report.failed.push((dir.display().to_string(), m));
            return;
        }
    };
    let sources: Vec<Source> = files
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "xlog"))
        .map(|path| Source::File {
            rel: PathBuf::new(),
            path,
        })
        .collect();
    if sources.is_empty() {
        let m = "no .xlog file in this directory";
        report.nothing_in(&dir.display().to_string(), m, args.quiet && !args.strict);
    }
    // An output that is (a link to) one of the directory's logs is not written.
    let ids = inputs::input_ids(&sources);
    let suffix = batch::output_suffix(&args.out);
    let mut written = 0usize;
    for src in &sources {
        let Some(path) = src.disk_path() else {
            continue;
        };
        let mut target = path.as_os_str().to_owned();
        target.push(suffix);
        let target = PathBuf::from(target);
        let r = Destination::of(&target)
            .and_then(
                |dest| match xlogdec::render::atomic::file_id(dest.path())? {
                    Some(id) if ids.contains_key(&id) => Err(io::Error::other(format!(
                        "is the input {}: refusing to overwrite it",
                        ids[&id]
                    ))),
                    _ => Ok(dest),
                },
            )
            .and_then(|dest| AtomicFile::new(&dest))
            .and_then(|mut tmp| {
                let r = match batch::decode_source(src, ctx, &args.out, tmp.writer()) {
                    Err(Fail::Output(e)) => return Err(e),
                    r => r,
                };
                // Like the official script: no empty outputs.
                if r.is_ok() && tmp.len()? > 0 {
                    tmp.commit()?;
                    written += 1;
                }
                Ok(r)
            });
        match r {
            Ok(r) => report.add(src, r, ctx.quiet, ctx.progress),
            Err(e) => {
                let m = format!("cannot write {}: {e}", target.display());
                report.add(src, Err(Fail::Input(m)), ctx.quiet, ctx.progress);
            }
        }
    }
    if !args.quiet {
        let files = if written == 1 { "file" } else { "files" };
        eprintln!(
            "xlogdec: {}: wrote {written} {files}, each NAME.xlog{suffix} beside its NAME.xlog{}",
            dir.display(),
            if args.recursive {
                " (sub-directories included)"
            } else {
                ""
            }
        );
    }
}
