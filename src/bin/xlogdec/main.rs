//! The `xlogdec` command line.
mod clean;

use clap::{Parser, Subcommand};

/// Decode Tencent Mars xlog files.
#[derive(Parser, Debug)]
#[command(
    name = "xlogdec",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Remove xlog files past the retention period.
    Clean(clean::CleanArgs),
}

fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Some(Command::Clean(args)) => clean::run(args),
        None => 0,
    };
    std::process::exit(code);
}
