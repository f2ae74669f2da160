//! The `xlogdec` command line.
mod batch;
mod clean;
mod decode;
mod diagnose;
mod generate;
mod info;
mod inputs;
mod interrupt;
mod key;
mod line_format;
mod out_file;
mod output;
mod progress;
mod retention;
mod search;
mod view;

use clap::{CommandFactory, Parser, Subcommand};

/// Decode Tencent Mars xlog files (.xlog, .mmap3) to text.
///
/// `xlogdec FILE > out.log` writes the same bytes as Mars's official
/// decoder script, and more where the script loses text.
#[derive(Parser, Debug)]
#[command(
    name = "xlogdec",
    version,
    about,
    args_conflicts_with_subcommands = true,
    after_help = EXIT_STATUS
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    decode: decode::DecodeArgs,
}

/// The exit codes, shown by `--help` and in the man page.
const EXIT_STATUS: &str = "\
Exit status:
  0    every input decoded
  1    with --strict: an integrity problem was found (corrupt range, seq gap,
       block that did not decompress or stayed encrypted), or a directory or
       archive held no log file
  2    an input was missing, unreadable or not an xlog, or the output could
       not be written (the other inputs are still decoded; the summary on
       stderr names the failed ones)
  130  interrupted (SIGINT), 143 terminated (SIGTERM): no partial output is
       left under its final name";

#[derive(Subcommand, Debug)]
enum Command {
    /// Remove xlog files past the retention period.
    Clean(clean::CleanArgs),
    /// The IM SDK lens: a timeline of sessions, connects, logins, kicks,
    /// UserSig expiries, failed sends and error codes (with their meaning),
    /// and a summary per input.
    Diagnose(diagnose::DiagnoseArgs),
    /// Summarise inputs without their text: blocks, seqs and gaps, corrupt
    /// ranges, time span, records per level, top tags.
    Info(info::InfoArgs),
    /// Browse a log file or a log directory in the terminal.
    View(view::ViewArgs),
}

fn main() {
    let cli = Cli::parse();
    let shape = match &cli.command {
        Some(Command::Info(a)) => Some(&a.line_format),
        Some(Command::View(a)) => Some(&a.line_format),
        Some(Command::Clean(_) | Command::Diagnose(_)) => None,
        None => Some(&cli.decode.line_format),
    };
    if let Some(Err(e)) = shape.map(|s| s.install()) {
        eprintln!("xlogdec: {e}");
        std::process::exit(2);
    }
    let code = match cli.command {
        Some(Command::Clean(args)) => clean::run(args),
        Some(Command::Diagnose(args)) => diagnose::run(args),
        Some(Command::Info(args)) => info::run(args),
        Some(Command::View(args)) => view::run(args),
        None => match cli.decode.generate {
            Some(what) => generate::run(what, Cli::command()),
            None => decode::run(cli.decode),
        },
    };
    std::process::exit(code);
}
