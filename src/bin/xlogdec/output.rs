//! How decoded inputs are printed: the sink built from the output flags
//! (format, colour, record filters).

use std::cell::Cell;
use std::io::{self, Write};
use std::rc::Rc;

use crate::search::{self, Context, Count, Named, SearchArgs};
use xlogdec::decode::text::TextSink;
use xlogdec::render::color::{ColorChoice, TextRecords};
use xlogdec::render::json::JsonSink;
use xlogdec::render::shared::WriteShared;
use xlogdec::select::filter::{Filter, FilterOptions};
use xlogdec::select::filtered::FilterSink;
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
    /// The record filters, first in `--help`.
    #[command(flatten)]
    pub search: SearchArgs,

    /// Leave out the in-band integrity lines ([F]decode_log_file.py ... and
    /// [F]xlogdec: ...) for clean text.
    #[arg(long, help_heading = "Output")]
    pub no_markers: bool,

    /// Output format: the decoded text, or JSON Lines (typed events).
    #[arg(long, value_enum, default_value_t = Format::Text, help_heading = "Output")]
    pub format: Format,

    /// Colour records by level (text format only).
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto,
          help_heading = "Output")]
    pub color: ColorWhen,

    /// Whether the output goes to a terminal (set by the command, never a flag).
    #[arg(skip)]
    pub to_terminal: Cell<bool>,
}

impl OutputArgs {
    /// Whether the output is JSON Lines (batch outputs are then named `.jsonl`).
    pub fn is_json(&self) -> bool {
        self.format == Format::Json
    }

    /// The filter options as given.
    pub fn filter_options(&self) -> FilterOptions {
        self.search.filter_options()
    }

    /// The record filter (empty when no filter flag is given).
    pub fn filter(&self) -> Result<Filter, xlogdec::select::filter::FilterError> {
        Filter::new(&self.filter_options(), search::now())
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
    out: Box<dyn WriteShared + 'w>,
    path: &str,
) -> Box<dyn Sink + 'w> {
    let filter = match args.filter() {
        Ok(f) => f,
        // The flags were checked when parsed; report rather than panic.
        Err(e) => return Box::new(Failing(e.to_string())),
    };
    let markers = !args.no_markers;
    let names = args.search.names.get();
    if args.search.count {
        return Box::new(Count::new(filter, out, names.then(|| path.to_string())));
    }
    match args.format {
        Format::Json => Box::new(FilterSink::new(JsonSink::new(out, path), filter)),
        Format::Text => {
            let color = args.colored();
            let sep = names.then(|| Rc::new(Cell::new(b':')));
            let out: Box<dyn Write + 'w> = match &sep {
                Some(sep) => Box::new(Named::new(out, path, Rc::clone(sep))),
                None => out,
            };
            let context = args.search.context();
            if context != (0, 0) {
                let text = TextRecords::new(TextSink::new(out, markers), color);
                let judged = Context::new(text, filter, context, sep);
                return Box::new(FilterSink::new(judged, Filter::default()));
            }
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
