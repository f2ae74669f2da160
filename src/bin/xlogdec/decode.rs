//! The default command: decode inputs to text.

use crate::output::{OutputArgs, make_sink};
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use xlogdec::codec::PrivateKey;
use xlogdec::format::MMAP3_SIZE;
use xlogdec::input::{MmapInput, ReadInput};
use xlogdec::reader::{Decoder, Error as DecodeError, Mmap3Mode, Options, Summary};

/// Environment variable that may hold the private key (hex).
pub const KEY_ENV: &str = "XLOGDEC_PRIVATE_KEY";

/// Output buffer size: large writes keep the pipe busy.
const OUT_BUF: usize = 1 << 20;

/// Arguments of the default (decode) command.
#[derive(clap::Args, Debug)]
pub struct DecodeArgs {
    /// Input files (.xlog, .mmap3), directories (each *.xlog inside becomes
    /// NAME.xlog.log beside it, like the official script), or - for stdin.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Write the text to FILE (atomically: a temporary file renamed into
    /// place) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Read the private key (64 hex characters) for encrypted logs from FILE.
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,

    /// The private key in hex. Visible to other users in the process list:
    /// prefer --key-file or the XLOGDEC_PRIVATE_KEY environment variable.
    #[arg(long, value_name = "HEX", hide_short_help = true)]
    pub key: Option<String>,

    /// Output shape.
    #[command(flatten)]
    pub out: OutputArgs,

    /// Treat every input as a .mmap3 crash buffer (automatic for *.mmap3).
    #[arg(long)]
    pub mmap3: bool,

    /// Do not decode what the official decoder drops (a cut-off last block,
    /// a crash buffer's block): byte-identical to the official output.
    #[arg(long)]
    pub no_salvage: bool,
}

/// A fatal problem with one input: reported with its path, exit code 2.
struct InputError {
    path: String,
    message: String,
}

fn load_key(args: &DecodeArgs) -> Result<Option<PrivateKey>, String> {
    let text = if let Some(path) = &args.key_file {
        Some(
            std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read key file {}: {e}", path.display()))?,
        )
    } else if let Some(k) = &args.key {
        Some(k.clone())
    } else {
        std::env::var(KEY_ENV).ok().filter(|v| !v.trim().is_empty())
    };
    text.map(|t| PrivateKey::from_hex(&t).map_err(|e| e.to_string()))
        .transpose()
}

/// Runs the decode command; returns the exit code.
pub fn run(args: DecodeArgs) -> i32 {
    if args.inputs.is_empty() {
        eprintln!("xlogdec: no input given (try `xlogdec --help`)");
        return 2;
    }
    let key = match load_key(&args) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("xlogdec: {e}");
            return 2;
        }
    };
    let base = Options {
        key,
        mmap3: Mmap3Mode::Auto,
        no_salvage: args.no_salvage,
    };
    // Colour (--color auto) only where the text goes to a terminal.
    args.out
        .to_terminal
        .set(args.output.is_none() && io::stdout().is_terminal());
    let mut failed = false;
    let result = (|| -> io::Result<()> {
        match &args.output {
            Some(out) => {
                let mut tmp = AtomicFile::new(out)?;
                for input in &args.inputs {
                    match decode_one(input, &args, &base, tmp.writer()) {
                        Ok(()) => {}
                        Err(Fail::Input(e)) => {
                            report(&e);
                            failed = true;
                        }
                        Err(Fail::Output(e)) => return Err(e),
                    }
                }
                tmp.commit()
            }
            None => {
                let stdout = io::stdout();
                let mut w = BufWriter::with_capacity(OUT_BUF, stdout.lock());
                for input in &args.inputs {
                    if input.is_dir() {
                        failed |= decode_dir(input, &args, &base);
                        continue;
                    }
                    match decode_one(input, &args, &base, &mut w) {
                        Ok(()) => {}
                        Err(Fail::Input(e)) => {
                            report(&e);
                            failed = true;
                        }
                        Err(Fail::Output(e)) => return Err(e),
                    }
                }
                w.flush()
            }
        }
    })();
    match result {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return if failed { 2 } else { 0 },
        Err(e) => {
            eprintln!("xlogdec: cannot write output: {e}");
            return 2;
        }
    }
    if failed { 2 } else { 0 }
}

fn report(e: &InputError) {
    eprintln!("xlogdec: {}: {}", e.path, e.message);
}

enum Fail {
    Input(InputError),
    Output(io::Error),
}

impl From<Fail> for io::Error {
    fn from(f: Fail) -> io::Error {
        match f {
            Fail::Output(e) => e,
            Fail::Input(e) => io::Error::other(format!("{}: {}", e.path, e.message)),
        }
    }
}

fn decode_one<W: Write>(
    input: &Path,
    args: &DecodeArgs,
    base: &Options,
    out: W,
) -> Result<(), Fail> {
    let shown = input.display().to_string();
    let in_err = |message: String| {
        Fail::Input(InputError {
            path: shown.clone(),
            message,
        })
    };
    let mut opts = base.clone();
    if args.mmap3 || input.extension().is_some_and(|e| e == "mmap3") {
        opts.mmap3 = Mmap3Mode::Always;
    }
    let mut sink = make_sink(&args.out, Box::new(out), &shown);
    let decoder_opts = opts.clone();
    let mut decoder = Decoder::new(opts);
    let result = if input == Path::new("-") {
        let stdin = io::stdin();
        decoder.decode(&mut ReadInput::new(stdin.lock()), &mut sink)
    } else {
        let file = File::open(input).map_err(|e| in_err(open_error(&e)))?;
        let meta = file.metadata().map_err(|e| in_err(e.to_string()))?;
        if meta.is_dir() {
            return Err(in_err("is a directory".into()));
        }
        if meta.is_file() {
            let mut map = MmapInput::open(&file).map_err(|e| in_err(e.to_string()))?;
            decoder.decode(&mut map, &mut sink)
        } else {
            decoder.decode(&mut ReadInput::new(&file), &mut sink)
        }
    };
    match result {
        Ok(summary) => check_summary(&shown, &summary, &decoder_opts).map_err(in_err),
        Err(DecodeError::Sink(e)) => Err(Fail::Output(e)),
        Err(e) => Err(in_err(e.to_string())),
    }
}

fn open_error(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Warnings on stderr, and the "not an xlog" verdict.
fn check_summary(path: &str, s: &Summary, opts: &Options) -> Result<(), String> {
    if s.locked > 0 {
        let why = if opts.key.is_none() {
            "no private key given (use --key-file or XLOGDEC_PRIVATE_KEY)"
        } else {
            "the private key does not fit them"
        };
        eprintln!(
            "xlogdec: {path}: warning: {} encrypted blocks not decoded: {why}",
            s.locked
        );
    }
    // A crash buffer after a clean close holds no block: not an error.
    let crash_buffer = opts.mmap3 == Mmap3Mode::Always || s.bytes_in == MMAP3_SIZE;
    if s.blocks() == 0 && s.bytes_in > 0 && !crash_buffer {
        return Err("not an xlog file (no valid block found)".into());
    }
    Ok(())
}

/// The official script's directory mode: every `*.xlog` directly inside
/// becomes `NAME.xlog.log` beside it (none for an empty result).
fn decode_dir(dir: &Path, args: &DecodeArgs, base: &Options) -> bool {
    let terminal = args.out.to_terminal.replace(false); // writes files
    let failed = decode_dir_files(dir, args, base);
    args.out.to_terminal.set(terminal);
    failed
}

fn decode_dir_files(dir: &Path, args: &DecodeArgs, base: &Options) -> bool {
    let mut failed = false;
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "xlog") && p.is_file())
            .collect(),
        Err(e) => {
            eprintln!("xlogdec: {}: {}", dir.display(), open_error(&e));
            return true;
        }
    };
    files.sort();
    for f in files {
        let mut target = f.clone().into_os_string();
        target.push(if args.out.is_json() { ".jsonl" } else { ".log" });
        let target = PathBuf::from(target);
        let r = AtomicFile::new(&target).and_then(|mut tmp| {
            match decode_one(&f, args, base, tmp.writer()) {
                Ok(()) => {}
                Err(Fail::Input(e)) => {
                    report(&e);
                    failed = true;
                    return Ok(());
                }
                Err(Fail::Output(e)) => return Err(e),
            }
            if tmp.len()? == 0 {
                return Ok(()); // like the official script: no empty outputs
            }
            tmp.commit()
        });
        if let Err(e) = r {
            eprintln!("xlogdec: {}: cannot write: {e}", target.display());
            failed = true;
        }
    }
    failed
}

/// An output written to a temporary file beside its target and renamed
/// into place on commit; dropped uncommitted, it leaves nothing behind.
pub struct AtomicFile {
    target: PathBuf,
    tmp: BufWriter<tempfile::NamedTempFile>,
}

impl AtomicFile {
    /// Starts writing `target`.
    pub fn new(target: &Path) -> io::Result<AtomicFile> {
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".xlogdec-")
            .suffix(".tmp")
            .tempfile_in(dir)?;
        Ok(AtomicFile {
            target: target.to_path_buf(),
            tmp: BufWriter::with_capacity(OUT_BUF, tmp),
        })
    }

    /// Where to write.
    pub fn writer(&mut self) -> &mut BufWriter<tempfile::NamedTempFile> {
        &mut self.tmp
    }

    /// Bytes written so far.
    pub fn len(&mut self) -> io::Result<u64> {
        self.tmp.flush()?;
        Ok(self.tmp.get_ref().as_file().metadata()?.len())
    }

    /// Flushes, syncs and renames into place.
    pub fn commit(self) -> io::Result<()> {
        let tmp = self.tmp.into_inner().map_err(|e| e.into_error())?;
        tmp.as_file().sync_all()?;
        tmp.persist(&self.target).map_err(|e| e.error)?;
        Ok(())
    }
}
