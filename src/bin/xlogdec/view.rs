//! `xlogdec view`: the terminal viewer.

use std::io::IsTerminal;
use std::path::PathBuf;

use xlogdec::decode::reader::Options;
use xlogdec::tui::{app::App, runtime};

/// Arguments of `xlogdec view`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Keys: press ? in the viewer for the full list; q quits.",
    mut_args = directory_help,
)]
pub struct ViewArgs {
    /// An .xlog, .mmap3 or already-decoded text file, or a log directory
    /// (a file list; Enter opens a file or all files merged by time).
    #[arg(value_name = "PATH")]
    path: PathBuf,

    /// The private key for encrypted logs.
    #[command(flatten)]
    key: crate::key::KeyArgs,

    /// A user-defined line shape.
    #[command(flatten)]
    pub line_format: crate::line_format::LineFormatArgs,

    /// --keep-days, --now, --today (worded for a directory below).
    #[command(flatten)]
    retention: crate::retention::RetentionArgs,

    /// Directory: remove files past retention without asking (the removed
    /// files are listed when the viewer ends).
    #[arg(long, conflicts_with = "no_retention")]
    yes: bool,

    /// Directory: leave files past retention alone.
    #[arg(long)]
    no_retention: bool,
}

/// The retention flags' help, worded for the viewer, where they apply to a
/// directory only.
fn directory_help(arg: clap::Arg) -> clap::Arg {
    let help = match arg.get_id().as_str() {
        "keep_days" => {
            "Directory: files dated more than N days before the reference day (the newest dated \
             log's day, or --now, --today) are past retention and offered for removal"
        }
        "now" => {
            "Directory: count the retention days back from this date (default: the newest dated \
             log's day)"
        }
        "today" => {
            "Directory: count the retention days back from the local date (default: the newest \
             dated log's day)"
        }
        _ => return arg,
    };
    arg.help(help)
}

/// Runs the viewer; returns the exit code.
pub fn run(args: ViewArgs) -> i32 {
    if !std::io::stdout().is_terminal() {
        eprintln!(
            "xlogdec view: standard output is not a terminal (decode with `xlogdec FILE` instead)"
        );
        return 2;
    }
    let key = match args.key.load_for("xlogdec view") {
        Ok(k) => k,
        Err(code) => return code,
    };
    let opts = Options {
        key,
        ..Default::default()
    };
    let meta = match std::fs::metadata(&args.path) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("xlogdec view: {}: {e}", args.path.display());
            return 2;
        }
    };
    let app = if meta.is_dir() {
        let policy = (!args.no_retention).then(|| {
            let policy = args.retention.policy();
            // Unreadable: the scan in the viewer reports it.
            args.retention
                .reference(policy.clone(), &args.path)
                .unwrap_or(policy)
        });
        App::open_dir(&args.path, opts, policy, args.yes)
    } else {
        App::open_file(&args.path, opts)
    };
    let mut app = app;
    let r = runtime::run(&mut app);
    // The record of what retention removed, on the normal screen.
    for line in &app.removed {
        println!("xlogdec view: {line}");
    }
    match r {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("xlogdec view: terminal error: {e}");
            2
        }
    }
}
