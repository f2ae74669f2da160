//! How decoded inputs are printed: the sink built from the output flags.

use std::io::Write;
use xlogdec::Sink;
use xlogdec::text::TextSink;

/// Flags that shape the printed output.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct OutputArgs {
    /// Leave out the in-band integrity lines ([F]decode_log_file.py ... and
    /// [F]xlogdec: ...) for clean text.
    #[arg(long)]
    pub no_markers: bool,
}

/// The sink that prints one input (`path` as the user named it) to `out`.
pub fn make_sink<'w>(
    args: &OutputArgs,
    out: Box<dyn Write + 'w>,
    _path: &str,
) -> Box<dyn Sink + 'w> {
    Box::new(TextSink::new(out, !args.no_markers))
}
