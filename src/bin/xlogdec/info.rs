//! `xlogdec info`: what an input holds, without its text.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::PathBuf;

use serde_json::Value;
use xlogdec::decode::input::{MmapInput, ReadInput};
use xlogdec::decode::reader::{Decoder, Error as DecodeError, Mmap3Mode, Options};
use xlogdec::decode::summary::Summary;
use xlogdec::record::Level;
use xlogdec::render::stats::{Stats, block_kind};
use xlogdec::select::filter::Filter;
use xlogdec::select::filtered::FilterSink;

use crate::inputs::{self, Opened, Source};
use crate::output::Format;

/// Arguments of `xlogdec info`.
#[derive(clap::Args, Debug)]
pub struct InfoArgs {
    /// Output format: text (a table per input) or json (one JSON object per
    /// input).
    #[arg(long, value_enum, default_value_t = Format::Text, hide_possible_values = true)]
    format: Format,

    /// How many of the most frequent tags to list.
    #[arg(long, value_name = "N", default_value_t = 10)]
    top: usize,

    /// One summary across all inputs instead of one per input (counts
    /// added up, the time span from the earliest to the latest record).
    #[arg(long)]
    total: bool,

    /// Descend into sub-directories of directory inputs.
    #[arg(short, long)]
    recursive: bool,

    /// Refuse an archive whose members unpack to more than BYTES in all.
    #[arg(long, value_name = "BYTES", default_value_t = inputs::DEFAULT_MAX_UNPACKED)]
    max_unpacked: u64,

    /// The private key for encrypted logs.
    #[command(flatten)]
    pub key: crate::key::KeyArgs,

    /// A user-defined line shape.
    #[command(flatten)]
    pub line_format: crate::line_format::LineFormatArgs,

    /// Inputs as the decoder takes them: files (.xlog, .mmap3), archives
    /// (.zip, .tar, .tar.gz/.tgz, .gz), glob patterns, directories, or -
    /// for stdin (the default when stdin is not a terminal).
    #[arg(value_name = "INPUT")]
    inputs: Vec<PathBuf>,
}

/// Runs `xlogdec info`; returns the exit code.
pub fn run(mut args: InfoArgs) -> i32 {
    let key = match inputs::or_stdin(&mut args.inputs, "xlogdec info")
        .and_then(|()| args.key.load_for("xlogdec info"))
    {
        Ok(k) => k,
        Err(code) => return code,
    };
    let expanded = inputs::expand(&args.inputs, args.recursive, args.max_unpacked);
    let mut failed = !expanded.errors.is_empty();
    for e in &expanded.errors {
        eprintln!("xlogdec info: {}: {}", e.arg, e.message);
    }
    for e in &expanded.empty {
        eprintln!("xlogdec info: {}: {}", e.arg, e.message);
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut printed = 0;
    let mut total: Option<(Stats, Summary)> = None;
    let mut counted = 0;
    for src in &expanded.sources {
        let shown = src.shown();
        let mut opts = Options {
            key: key.clone(),
            mmap3: Mmap3Mode::Auto,
            ..Options::default()
        };
        if src.is_mmap3() {
            opts.mmap3 = Mmap3Mode::Always;
        }
        let (stats, summary) = match gather(src, opts, args.max_unpacked) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("xlogdec info: {shown}: {e}");
                failed = true;
                continue;
            }
        };
        if args.total {
            counted += 1;
            match &mut total {
                Some((st, su)) => {
                    st.absorb(stats);
                    su.absorb(&summary);
                }
                None => {
                    let mut st = Stats::new();
                    st.absorb(stats);
                    total = Some((st, summary));
                }
            }
            continue;
        }
        let text = render(&args, &shown, &stats, &summary, None, printed);
        printed += 1;
        if let Some(code) = write_out(&mut out, &text) {
            return code;
        }
    }
    if args.total {
        let (stats, summary) = total.unwrap_or_default();
        let text = render(&args, "total", &stats, &summary, Some(counted), 0);
        if let Some(code) = write_out(&mut out, &text) {
            return code;
        }
    }
    if failed { 2 } else { 0 }
}

/// One input's (or the total's) text table or JSON line; `inputs` is the
/// number of inputs of a total.
fn render(
    args: &InfoArgs,
    name: &str,
    stats: &Stats,
    summary: &Summary,
    inputs: Option<usize>,
    printed: usize,
) -> String {
    match args.format {
        Format::Json => {
            let mut obj = serde_json::Map::new();
            match inputs {
                Some(n) => {
                    obj.insert("type".into(), "total".into());
                    obj.insert("inputs".into(), n.into());
                }
                None => {
                    obj.insert("type".into(), "info".into());
                    obj.insert("file".into(), name.into());
                }
            }
            if let Value::Object(mut fields) = stats.to_json_top(summary, args.top) {
                if inputs.is_some() {
                    // Offsets and seqs belong to one input.
                    for k in [
                        "gap_list",
                        "seq_back_list",
                        "corrupt_list",
                        "locked_list",
                        "seq_first",
                        "seq_last",
                    ] {
                        fields.remove(k);
                    }
                }
                obj.extend(fields);
            }
            if inputs.is_none() {
                obj.insert("metadata".into(), stats.meta.to_json());
            }
            format!("{}\n", Value::Object(obj))
        }
        Format::Text => {
            let sep = if printed == 0 { "" } else { "\n" };
            format!("{sep}{}", table(name, stats, summary, args.top, inputs))
        }
    }
}

/// Writes `text`; the exit code when the run must stop (0 on a closed pipe).
fn write_out(out: &mut impl Write, text: &str) -> Option<i32> {
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => None,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Some(0),
        Err(e) => {
            eprintln!("xlogdec info: cannot write output: {e}");
            Some(2)
        }
    }
}

/// Decodes one input into statistics.
fn gather(src: &Source, opts: Options, max_unpacked: u64) -> Result<(Stats, Summary), String> {
    let mut sink = FilterSink::new(Stats::new(), Filter::default());
    let mut decoder = Decoder::new(opts);
    let result = src.open_with(max_unpacked, |opened| match opened {
        Opened::Stdin => decoder.decode(&mut ReadInput::new(io::stdin().lock()), &mut sink),
        Opened::Map(file, _) => match MmapInput::open(&file) {
            Ok(mut map) => decoder.decode(&mut map, &mut sink),
            Err(e) => Err(DecodeError::Read {
                offset: 0,
                source: e,
            }),
        },
        Opened::Stream(r, _) => decoder.decode(&mut ReadInput::new(r), &mut sink),
    })?;
    let summary = match result {
        Ok(s) => s,
        Err(DecodeError::Sink(e)) => return Err(e.to_string()),
        Err(e) => return Err(e.to_string()),
    };
    if summary.blocks() == 0 && summary.bytes_in > 0 && summary.locked == 0 {
        let crash_buffer =
            summary.bytes_in == xlogdec::decode::format::MMAP3_SIZE || src.is_mmap3();
        if !crash_buffer {
            return Err("not an xlog file (no valid block found)".into());
        }
    }
    Ok((sink.into_inner(), summary))
}

/// How the table shows a record's empty tag (`[]`), which would otherwise
/// print as nothing.
const EMPTY_TAG: &str = "(empty)";

/// The human table of one input, or of the total over `inputs` inputs
/// (then without the per-input seqs and byte offsets).
fn table(file: &str, st: &Stats, s: &Summary, top: usize, inputs: Option<usize>) -> String {
    let mut t = String::new();
    let row = |t: &mut String, name: &str, value: String| {
        let _ = writeln!(t, "  {name:<10} {value}");
    };
    let _ = writeln!(t, "{file}");
    if let Some(n) = inputs {
        row(&mut t, "inputs", n.to_string());
    }
    row(
        &mut t,
        "bytes",
        format!("{} in, {} decoded", s.bytes_in, s.bytes_out),
    );
    let kinds: Vec<String> = s
        .blocks_by_magic
        .iter()
        .enumerate()
        .filter(|&(_, &n)| n > 0)
        .map(|(b, n)| format!("{} {n}", block_kind(b as u8)))
        .collect();
    let kinds = if kinds.is_empty() {
        String::new()
    } else {
        format!(" ({})", kinds.join(", "))
    };
    row(&mut t, "blocks", format!("{}{kinds}", s.blocks()));
    let mut seq = match s.seq_range {
        Some(_) if inputs.is_some() => "-".into(),
        Some((a, b)) => format!("{a}-{b}"),
        None => "none".into(),
    };
    let brief = inputs.is_some();
    let gaps = st.gaps.iter();
    let gaps = gaps.map(|g| format!("{}-{} at byte {}", g.first, g.last, g.offset));
    count_and_list(&mut seq, st.gap_count, "gaps", brief, gaps);
    let back = st.seq_back.iter();
    let back = back.map(|b| format!("{} to {} at byte {}", b.from, b.to, b.offset));
    count_and_list(&mut seq, st.seq_back_count, "went back", brief, back);
    row(&mut t, "seq", seq);
    let corrupt = s.skipped + s.decompress_errors;
    let mut c = corrupt.to_string();
    for r in st.corrupt.iter().take(5) {
        let _ = write!(
            c,
            "\n  {:<10}   bytes {}-{}: {}",
            "",
            r.offset,
            r.offset + r.length,
            r.reason
        );
    }
    if inputs.is_none() && corrupt as usize > st.corrupt.len().min(5) {
        let _ = write!(c, "\n  {:<10}   ...", "");
    }
    row(&mut t, "corrupt", c);
    let mut l = s.locked.to_string();
    for r in st.locked.iter().take(5) {
        let _ = write!(
            l,
            "\n  {:<10}   {} blocks at bytes {}-{}: {}",
            "", r.blocks, r.first, r.end, r.reason
        );
    }
    row(&mut t, "locked", l);
    row(&mut t, "salvaged", s.salvaged.to_string());
    let span = match (st.first, st.last) {
        (Some(a), Some(b)) => format!("{a} .. {b}"),
        _ => "none".into(),
    };
    row(&mut t, "time", span);
    let levels: Vec<String> = Level::ALL
        .iter()
        .map(|&l| format!("{} {}", l.letter(), st.level_count(l)))
        .collect();
    row(
        &mut t,
        "records",
        format!(
            "{} ({}; {} without level)",
            st.records,
            levels.join(", "),
            st.no_level
        ),
    );
    let tags: Vec<String> = st
        .top_tags(top)
        .into_iter()
        .map(|(tag, n)| {
            let tag = if tag.is_empty() { EMPTY_TAG } else { &tag };
            format!("{tag} {n}")
        })
        .collect();
    row(&mut t, "top tags", tags.join(", "));
    let m = &st.meta;
    let mut sdk = Vec::new();
    for (name, values) in [
        ("version", &m.sdk_versions),
        ("app id", &m.app_ids),
        ("platform", &m.platforms),
        ("device", &m.device_types),
    ] {
        if !values.is_empty() {
            sdk.push(format!("{name} {}", values.join(" / ")));
        }
    }
    if !sdk.is_empty() {
        row(&mut t, "sdk", sdk.join(", "));
    }
    if m.start_count > 0 {
        let starts: Vec<String> = m
            .starts
            .iter()
            .take(5)
            .map(|s| {
                let at = xlogdec::record::TimePoint {
                    local: s.local,
                    offset_minutes: s.offset_minutes,
                };
                match s.pid {
                    Some(p) => format!("{at} pid {p}"),
                    None => at.to_string(),
                }
            })
            .collect();
        let more = if m.start_count as usize > starts.len() {
            ", ..."
        } else {
            ""
        };
        row(
            &mut t,
            "starts",
            format!("{}: {}{more}", m.start_count, starts.join(", ")),
        );
    }
    t
}

/// Appends `; COUNT WHAT` when `count` is not 0 and, unless `brief`, `: `
/// and the first five `items`, with `, ...` when there are more.
fn count_and_list(
    out: &mut String,
    count: u64,
    what: &str,
    brief: bool,
    items: impl Iterator<Item = String>,
) {
    if count == 0 {
        return;
    }
    let _ = write!(out, "; {count} {what}");
    if !brief {
        let list: Vec<String> = items.take(5).collect();
        let more = if count > list.len() as u64 {
            ", ..."
        } else {
            ""
        };
        let _ = write!(out, ": {}{more}", list.join(", "));
    }
}
