//! The `xlogdec` command line.
mod clean;
mod decode;
mod info;
mod output;
mod view;

use clap::{Parser, Subcommand};

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
    after_help = "Exit status: 0 decoded; 2 an input was missing, unreadable or not an xlog (the other inputs are still decoded)."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    decode: decode::DecodeArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Remove xlog files past the retention period.
    Clean(clean::CleanArgs),
    /// Summarise inputs without their text: blocks, seqs and gaps, corrupt
    /// ranges, time span, records per level, top tags.
    Info(info::InfoArgs),
    /// Browse a log file or a log directory in the terminal.
    View(view::ViewArgs),
}

fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Some(Command::Clean(args)) => clean::run(args),
        Some(Command::Info(args)) => info::run(args),
        Some(Command::View(args)) => view::run(args),
        None => decode::run(cli.decode),
    };
    std::process::exit(code);
}
