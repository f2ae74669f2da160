//! How decoded inputs are printed: the sink built from the output flags
//! (format, colour, record filters).

use std::cell::Cell;
use std::io::{self, Write};
use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset, Local};
use xlogdec::color::{ColorChoice, TextRecords};
use xlogdec::filter::{Filter, FilterOptions, TimeBound};
use xlogdec::filtered::FilterSink;
use xlogdec::json::JsonSink;
use xlogdec::record::Level;
use xlogdec::text::TextSink;
use xlogdec::{Event, Sink, Summary};

/// Output format.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// The decoded text as it is (filtered when filters are given).
    #[default]
    Text,
    /// JSON Lines: one typed event per line (see the README for the schema).
    Json,
}

/// When to colour levels.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColorWhen {
    /// On a terminal, unless NO_COLOR is set or TERM=dumb.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Flags that shape the printed output.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct OutputArgs {
    /// Leave out the in-band integrity lines ([F]decode_log_file.py ... and
    /// [F]xlogdec: ...) for clean text.
    #[arg(long)]
    pub no_markers: bool,

    /// Output format: the decoded text, or JSON Lines (typed events).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Colour records by level (text format only).
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,

    /// Only records of this level or above: V D I W E F, or verbose, debug,
    /// info, warn, error, fatal (any case).
    #[arg(short = 'l', long, value_name = "LEVEL", value_parser = parse_level,
          help_heading = "Record filters (combine with AND)")]
    pub level: Option<String>,

    /// Only records with this tag; exact, or a glob with * and ?. Repeat for
    /// several tags (any may match). -i and -S apply.
    #[arg(
        long,
        value_name = "TAG",
        help_heading = "Record filters (combine with AND)"
    )]
    pub tag: Vec<String>,

    /// Only records of this process id.
    #[arg(
        long,
        value_name = "PID",
        help_heading = "Record filters (combine with AND)"
    )]
    pub pid: Option<i64>,

    /// Only records of this thread id.
    #[arg(
        long,
        value_name = "TID",
        help_heading = "Record filters (combine with AND)"
    )]
    pub tid: Option<i64>,

    /// Only records of the main thread (tid marked *).
    #[arg(long, help_heading = "Record filters (combine with AND)")]
    pub main_thread: bool,

    /// Only records at or after TIME: HH:MM[:SS], YYYY-MM-DD [HH:MM[:SS]],
    /// optionally with Z or +HH:MM, or relative like -2h (s, m, h, d, w).
    /// Without an offset, compared with the record's own wall clock.
    #[arg(long, value_name = "TIME", value_parser = parse_time,
          allow_hyphen_values = true, help_heading = "Record filters (combine with AND)")]
    pub since: Option<String>,

    /// Only records at or before TIME (same forms as --since); a date alone
    /// means the end of that day. Two times of day with --since after
    /// --until are a window across midnight (--since 23:50 --until 00:10).
    #[arg(long, value_name = "TIME", value_parser = parse_time,
          allow_hyphen_values = true, help_heading = "Record filters (combine with AND)")]
    pub until: Option<String>,

    /// Only records whose message matches REGEX (continuation lines included).
    #[arg(short = 'e', long = "grep", value_name = "REGEX", value_parser = parse_regex,
          help_heading = "Record filters (combine with AND)")]
    pub grep: Option<String>,

    /// Match patterns (--grep, --tag) case-insensitively.
    #[arg(short = 'i', long, help_heading = "Record filters (combine with AND)")]
    pub ignore_case: bool,

    /// Smart case: a pattern with no upper-case letter matches
    /// case-insensitively, one with an upper-case letter exactly (as rg).
    #[arg(short = 'S', long, help_heading = "Record filters (combine with AND)")]
    pub smart_case: bool,

    /// Keep the records whose message does NOT match --grep.
    #[arg(
        short = 'v',
        long = "invert-match",
        requires = "grep",
        help_heading = "Record filters (combine with AND)"
    )]
    pub invert: bool,

    /// Whether the output goes to a terminal (set by the command, never a flag).
    #[arg(skip)]
    pub to_terminal: Cell<bool>,
}

/// The moment relative times (`--since -2h`) count back from: one for the run.
fn now() -> DateTime<FixedOffset> {
    static NOW: OnceLock<DateTime<FixedOffset>> = OnceLock::new();
    *NOW.get_or_init(|| Local::now().fixed_offset())
}

fn parse_level(s: &str) -> Result<String, String> {
    Level::parse(s)
        .map(|_| s.to_string())
        .map_err(|e| e.to_string())
}

fn parse_time(s: &str) -> Result<String, String> {
    TimeBound::parse(s, now())
        .map(|_| s.to_string())
        .map_err(|e| e.to_string())
}

fn parse_regex(s: &str) -> Result<String, String> {
    regex::bytes::Regex::new(s)
        .map(|_| s.to_string())
        .map_err(|e| e.to_string())
}

impl OutputArgs {
    /// Whether the output is JSON Lines (batch outputs are then named `.jsonl`).
    pub fn is_json(&self) -> bool {
        self.format == Format::Json
    }

    /// The filter options as given.
    pub fn filter_options(&self) -> FilterOptions {
        FilterOptions {
            level: self.level.clone(),
            tags: self.tag.clone(),
            pid: self.pid,
            tid: self.tid,
            main_thread: self.main_thread,
            since: self.since.clone(),
            until: self.until.clone(),
            regex: self.grep.clone(),
            ignore_case: self.ignore_case,
            smart_case: self.smart_case,
            invert: self.invert,
        }
    }

    /// The record filter (empty when no filter flag is given).
    pub fn filter(&self) -> Result<Filter, xlogdec::filter::FilterError> {
        Filter::new(&self.filter_options(), now())
    }

    /// Whether text is coloured: `--color`, the terminal, NO_COLOR and TERM.
    pub fn colored(&self) -> bool {
        if self.format != Format::Text {
            return false;
        }
        let choice = match self.color {
            ColorWhen::Auto => ColorChoice::Auto,
            ColorWhen::Always => ColorChoice::Always,
            ColorWhen::Never => ColorChoice::Never,
        };
        choice.resolve_env(self.to_terminal.get())
    }
}

/// The sink that prints one input (`path` as the user named it) to `out`.
pub fn make_sink<'w>(
    args: &OutputArgs,
    out: Box<dyn Write + 'w>,
    path: &str,
) -> Box<dyn Sink + 'w> {
    let filter = match args.filter() {
        Ok(f) => f,
        // The flags were checked when parsed; report rather than panic.
        Err(e) => return Box::new(Failing(e.to_string())),
    };
    let markers = !args.no_markers;
    match args.format {
        Format::Json => Box::new(FilterSink::new(JsonSink::new(out, path), filter)),
        Format::Text => {
            let color = args.colored();
            if filter.is_empty() && !color {
                // The plain text as the official decoder writes it.
                return Box::new(TextSink::new(out, markers));
            }
            let text = TextRecords::new(TextSink::new(out, markers), color);
            Box::new(FilterSink::new(text, filter))
        }
    }
}

/// A sink that fails at once with a message.
struct Failing(String);

impl Sink for Failing {
    fn event(&mut self, _event: &Event<'_>) -> io::Result<()> {
        Err(io::Error::other(self.0.clone()))
    }
    fn finish(&mut self, _summary: &Summary) -> io::Result<()> {
        Err(io::Error::other(self.0.clone()))
    }
}
