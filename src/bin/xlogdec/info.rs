//! `xlogdec info`: what an input holds, without its text.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;
use xlogdec::filter::Filter;
use xlogdec::filtered::FilterSink;
use xlogdec::input::{MmapInput, ReadInput};
use xlogdec::reader::{Decoder, Error as DecodeError, Mmap3Mode, Options, Summary};
use xlogdec::record::Level;
use xlogdec::stats::{Stats, block_kind};

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

    /// The private key for encrypted logs.
    #[command(flatten)]
    pub key: crate::key::KeyArgs,

    /// A user-defined line shape.
    #[command(flatten)]
    pub line_format: crate::line_format::LineFormatArgs,

    /// Input files (.xlog, .mmap3), or - for stdin.
    #[arg(value_name = "INPUT", required = true)]
    inputs: Vec<PathBuf>,
}

/// Runs `xlogdec info`; returns the exit code.
pub fn run(args: InfoArgs) -> i32 {
    let key = match args.key.load() {
        Ok(k) => k,
        Err(e) => {
            eprintln!("xlogdec info: {e}");
            return 2;
        }
    };
    let mut failed = false;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut printed = 0;
    for input in &args.inputs {
        let shown = input.display().to_string();
        let mut opts = Options {
            key: key.clone(),
            mmap3: Mmap3Mode::Auto,
            ..Options::default()
        };
        if input.extension().is_some_and(|e| e == "mmap3") {
            opts.mmap3 = Mmap3Mode::Always;
        }
        let (stats, summary) = match gather(input, opts) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("xlogdec info: {shown}: {e}");
                failed = true;
                continue;
            }
        };
        let text = match args.format {
            Format::Json => {
                let mut obj = serde_json::Map::new();
                obj.insert("type".into(), "info".into());
                obj.insert("file".into(), shown.clone().into());
                if let Value::Object(fields) = stats.to_json_top(&summary, args.top) {
                    obj.extend(fields);
                }
                obj.insert("metadata".into(), stats.meta.to_json());
                format!("{}\n", Value::Object(obj))
            }
            Format::Text => {
                let sep = if printed == 0 { "" } else { "\n" };
                format!("{sep}{}", table(&shown, &stats, &summary, args.top))
            }
        };
        printed += 1;
        if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            if e.kind() == io::ErrorKind::BrokenPipe {
                break;
            }
            eprintln!("xlogdec info: cannot write output: {e}");
            return 2;
        }
    }
    if failed { 2 } else { 0 }
}

/// Decodes one input into statistics.
fn gather(input: &Path, opts: Options) -> Result<(Stats, Summary), String> {
    let mut sink = FilterSink::new(Stats::new(), Filter::default());
    let mut decoder = Decoder::new(opts);
    let result = if input == Path::new("-") {
        decoder.decode(&mut ReadInput::new(io::stdin().lock()), &mut sink)
    } else {
        let file = File::open(input).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => "no such file".to_string(),
            io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            _ => e.to_string(),
        })?;
        let meta = file.metadata().map_err(|e| e.to_string())?;
        if meta.is_dir() {
            return Err("is a directory".into());
        }
        if meta.is_file() {
            let mut map = MmapInput::open(&file).map_err(|e| e.to_string())?;
            decoder.decode(&mut map, &mut sink)
        } else {
            decoder.decode(&mut ReadInput::new(&file), &mut sink)
        }
    };
    let summary = match result {
        Ok(s) => s,
        Err(DecodeError::Sink(e)) => return Err(e.to_string()),
        Err(e) => return Err(e.to_string()),
    };
    if summary.blocks() == 0 && summary.bytes_in > 0 && summary.locked == 0 {
        let crash_buffer = summary.bytes_in == xlogdec::format::MMAP3_SIZE
            || input.extension().is_some_and(|e| e == "mmap3");
        if !crash_buffer {
            return Err("not an xlog file (no valid block found)".into());
        }
    }
    Ok((sink.into_inner(), summary))
}

/// How the table shows a record's empty tag (`[]`), which would otherwise
/// print as nothing.
const EMPTY_TAG: &str = "(empty)";

/// The human table of one input.
fn table(file: &str, st: &Stats, s: &Summary, top: usize) -> String {
    let mut t = String::new();
    let row = |t: &mut String, name: &str, value: String| {
        let _ = writeln!(t, "  {name:<10} {value}");
    };
    let _ = writeln!(t, "{file}");
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
        Some((a, b)) => format!("{a}-{b}"),
        None => "none".into(),
    };
    if st.gap_count > 0 {
        let list: Vec<String> = st
            .gaps
            .iter()
            .take(5)
            .map(|g| format!("{}-{} at byte {}", g.first, g.last, g.offset))
            .collect();
        let more = if st.gap_count as usize > list.len() {
            ", ..."
        } else {
            ""
        };
        let _ = write!(seq, "; {} gaps: {}{more}", st.gap_count, list.join(", "));
    }
    if st.seq_back_count > 0 {
        let list: Vec<String> = st
            .seq_back
            .iter()
            .take(5)
            .map(|b| format!("{} to {} at byte {}", b.from, b.to, b.offset))
            .collect();
        let more = if st.seq_back_count as usize > list.len() {
            ", ..."
        } else {
            ""
        };
        let n = st.seq_back_count;
        let _ = write!(seq, "; {n} went back: {}{more}", list.join(", "));
    }
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
    if corrupt as usize > st.corrupt.len().min(5) {
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
                let at = xlogdec::stats::TimePoint {
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
