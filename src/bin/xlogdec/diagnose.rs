//! `xlogdec diagnose`: the IM SDK lens. What happened to this user, as a
//! timeline of findings and a summary per input.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;

use xlogdec::decode::input::{MmapInput, ReadInput};
use xlogdec::decode::reader::{Decoder, Error as DecodeError, Mmap3Mode, Options};
use xlogdec::imsdk::sink::DiagnoseSink;
use xlogdec::imsdk::{Finding, Kind, RuleSet, Summary};

use crate::batch::check_summary;
use crate::inputs::{self, Opened, Source};
use crate::out_file::Output;
use crate::output::Format;

/// Arguments of `xlogdec diagnose`.
#[derive(clap::Args, Debug)]
pub struct DiagnoseArgs {
    /// Output format: text (a timeline per input) or json (one JSON object
    /// per finding, then a `summary` object per input; see the README).
    #[arg(long, value_enum, default_value_t = Format::Text, hide_possible_values = true)]
    format: Format,

    /// More rules and error codes (TOML, the format of the built-in
    /// rules.toml and codes.toml): tried before the built-in rules; a code
    /// named again replaces the built-in entry.
    #[arg(long, value_name = "FILE")]
    rules: Option<PathBuf>,

    /// How many of the most frequent codes the summary lists.
    #[arg(long, value_name = "N", default_value_t = 5)]
    top: usize,

    /// Descend into sub-directories of directory inputs.
    #[arg(short, long)]
    recursive: bool,

    /// Refuse an archive whose members unpack to more than BYTES in all.
    #[arg(long, value_name = "BYTES", default_value_t = inputs::DEFAULT_MAX_UNPACKED)]
    max_unpacked: u64,

    /// Threads decoding the blocks of an input (default: the number of
    /// cores).
    #[arg(short = 'j', long, value_name = "N")]
    jobs: Option<usize>,

    /// The private key for encrypted logs.
    #[command(flatten)]
    key: crate::key::KeyArgs,

    /// Inputs as the decoder takes them: files (.xlog, .mmap3), archives
    /// (.zip, .tar, .tar.gz/.tgz, .gz), glob patterns, directories, or -
    /// for stdin (the default when stdin is not a terminal).
    #[arg(value_name = "INPUT")]
    inputs: Vec<PathBuf>,
}

/// Runs `xlogdec diagnose`; returns the exit code.
pub fn run(mut args: DiagnoseArgs) -> i32 {
    if let Err(code) = inputs::or_stdin(&mut args.inputs, "xlogdec diagnose") {
        return code;
    }
    let rules = match &args.rules {
        Some(path) => match RuleSet::with_file(path) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("xlogdec diagnose: bad rules file {e}");
                return 2;
            }
        },
        None => RuleSet::builtin(),
    };
    let rules = Arc::new(rules);
    let key = match args.key.load_for("xlogdec diagnose") {
        Ok(k) => k,
        Err(code) => return code,
    };
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let mut failed = false;
    let expanded = inputs::expand(&args.inputs, args.recursive, args.max_unpacked);
    for e in &expanded.errors {
        eprintln!("xlogdec diagnose: {}: {}", e.arg, e.message);
        failed = true;
    }
    for e in &expanded.empty {
        eprintln!("xlogdec diagnose: {}: {}", e.arg, e.message);
    }
    let sources = expanded.sources;
    // The writes run on an output thread, as for decoding.
    let mut out = Output::new(io::stdout(), true);
    for (i, src) in sources.iter().enumerate() {
        let shown = src.shown();
        let opts = Options {
            key: key.clone(),
            mmap3: if src.is_mmap3() {
                Mmap3Mode::Always
            } else {
                Mmap3Mode::Auto
            },
            ..Options::default()
        };
        let json = args.format == Format::Json;
        if !json {
            let sep = if i == 0 { "" } else { "\n" };
            if let Err(e) = writeln!(out, "{sep}{shown}") {
                return write_failed(&e);
            }
        }
        let name = Place::new(short_name(src));
        let result = {
            let out = &mut out;
            let mut buf = String::with_capacity(1024);
            let mut sink = DiagnoseSink::threaded(Arc::clone(&rules), |f: &Finding| {
                if json {
                    f.write_json(&mut *out, &shown)?;
                    out.write_all(b"\n")
                } else {
                    write_finding(&mut *out, &name, f, &mut buf)
                }
            });
            let r = decode(src, opts.clone(), jobs, args.max_unpacked, &mut sink);
            r.map(|s| (s, sink.summary().cloned(), sink.lines()))
        };
        let (decoded, summary, lines) = match result {
            Ok(r) => r,
            Err(Fail::Output(e)) => return write_failed(&e),
            Err(Fail::Input(m)) => {
                let _ = out.flush();
                eprintln!("xlogdec diagnose: {shown}: {m}");
                failed = true;
                continue;
            }
        };
        match check_summary(&decoded, &opts) {
            Ok(problems) => {
                if let Some(w) = problems {
                    let _ = out.flush();
                    eprintln!("xlogdec diagnose: {shown}: warning: {w}");
                }
            }
            Err(m) => {
                let _ = out.flush();
                eprintln!("xlogdec diagnose: {shown}: {m}");
                failed = true;
                continue;
            }
        }
        let summary = summary.unwrap_or_default();
        let r = if json {
            serde_json::to_writer(&mut out, &summary.to_json(&shown, &rules, args.top))
                .map_err(io::Error::other)
                .and_then(|()| out.write_all(b"\n"))
        } else {
            write_summary(&mut out, &summary, &rules, args.top, lines)
        };
        if let Err(e) = r.and_then(|()| out.flush()) {
            return write_failed(&e);
        }
        if json && !summary.has_imsdk {
            eprintln!("xlogdec diagnose: {shown}: no IM SDK lines found");
        }
    }
    if let Err(e) = out.finish() {
        return write_failed(&e);
    }
    if failed { 2 } else { 0 }
}

fn write_failed(e: &io::Error) -> i32 {
    if e.kind() == io::ErrorKind::BrokenPipe {
        return 0;
    }
    eprintln!("xlogdec diagnose: cannot write output: {e}");
    2
}

/// The input's file name, for the `NAME:LINE` of each finding.
fn short_name(src: &Source) -> String {
    match src {
        Source::Stdin => "-".into(),
        Source::File { path, .. } | Source::Gz { path, .. } => path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into(),
        ),
        Source::Zip { name, .. } => name.rsplit('/').next().unwrap_or(name).to_string(),
        // `archive:member[:member...]`: the innermost member's file name.
        Source::Part(_) => {
            let shown = src.shown();
            let member = shown.rsplit(':').next().unwrap_or(&shown);
            member.rsplit('/').next().unwrap_or(member).to_string()
        }
    }
}

/// `s` with runs of two or more spaces shown as one (the SDK pads its
/// columns), appended to `out`.
fn squeeze_into(out: &mut String, s: &str) {
    static TWO: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"  "));
    let b = s.as_bytes();
    // `s[from..]` is still to copy.
    let mut from = 0;
    while let Some(k) = TWO.find(&b[from..]) {
        let i = from + k;
        out.push_str(&s[from..=i]);
        from = i + 2;
        while b.get(from) == Some(&b' ') {
            from += 1;
        }
    }
    out.push_str(&s[from..]);
}

/// `s` padded with spaces to `width` characters.
fn pad(out: &mut String, s: &str, width: usize) {
    out.push_str(s);
    pad_from(out, s.chars().count(), width);
}

/// Spaces from column `at` to `width`.
fn pad_from(out: &mut String, at: usize, width: usize) {
    const SPACES: &str = "                              ";
    let n = width.saturating_sub(at);
    match SPACES.get(..n) {
        Some(sp) => out.push_str(sp),
        None => (0..n).for_each(|_| out.push(' ')),
    }
}

/// The input's name in the `NAME:LINE` of each finding, and its width.
struct Place {
    name: String,
    chars: usize,
}

impl Place {
    fn new(name: String) -> Place {
        let chars = name.chars().count();
        Place { name, chars }
    }
}

/// Indent of the advice and evidence lines.
const INDENT: &str = "                                            ";

/// One finding of the text timeline: a line, then its advice and
/// evidence, indented; built in `s` (a buffer kept between calls).
fn write_finding(
    out: &mut impl Write,
    place: &Place,
    f: &Finding,
    s: &mut String,
) -> io::Result<()> {
    s.clear();
    s.push_str(if f.kind == Kind::Session { "==" } else { "  " });
    if !f.push_time(s) {
        s.push_str("-----------------------");
    }
    s.push_str("  ");
    let at = s.len();
    s.push_str(&place.name);
    s.push(':');
    xlogdec::imsdk::engine::push_uint(s, f.line);
    // `NAME:LINE` padded to 26 characters; the line's digits are ASCII.
    pad_from(s, place.chars + (s.len() - at - place.name.len()), 26);
    s.push(' ');
    pad(s, f.kind.as_str(), 15);
    s.push(' ');
    f.push_detail(s);
    s.push('\n');
    if let Some(a) = &f.advice {
        s.push_str(INDENT);
        s.push_str("advice: ");
        s.push_str(a);
        s.push('\n');
    }
    if f.kind != Kind::Session {
        s.push_str(INDENT);
        s.push_str("> ");
        squeeze_into(s, &f.evidence);
        if f.confidence == xlogdec::imsdk::Confidence::Documented {
            s.push_str(" (anchor documented, not seen in real logs)");
        }
        s.push('\n');
    }
    out.write_all(s.as_bytes())
}

fn write_summary(
    out: &mut impl Write,
    s: &Summary,
    rules: &RuleSet,
    top: usize,
    lines: u64,
) -> io::Result<()> {
    if !s.has_imsdk {
        return writeln!(out, "  no IM SDK lines found ({lines} lines of other logs)");
    }
    writeln!(out, "summary\n{}", s.text(rules, top))
}

/// Why an input was not diagnosed.
enum Fail {
    Input(String),
    Output(io::Error),
}

fn decode<S: xlogdec::Sink>(
    src: &Source,
    opts: Options,
    jobs: usize,
    max_unpacked: u64,
    sink: &mut S,
) -> Result<xlogdec::Summary, Fail> {
    let mut decoder = Decoder::new(opts);
    decoder.set_jobs(jobs);
    let result = src
        .open_with(max_unpacked, |opened| match opened {
            Opened::Stdin => decoder.decode(&mut ReadInput::new(io::stdin().lock()), sink),
            Opened::Map(file, _) => match MmapInput::open(&file) {
                Ok(mut map) => decoder.decode(&mut map, sink),
                Err(e) => Err(DecodeError::Read {
                    offset: 0,
                    source: e,
                }),
            },
            Opened::Stream(r, _) => decoder.decode(&mut ReadInput::new(r), sink),
        })
        .map_err(Fail::Input)?;
    match result {
        Ok(s) => Ok(s),
        Err(DecodeError::Sink(e)) => Err(Fail::Output(e)),
        Err(e) => Err(Fail::Input(e.to_string())),
    }
}

#[cfg(test)]
mod tests;
