//! `xlogdec view`: the terminal viewer.

use std::io::IsTerminal;
use std::path::PathBuf;

use chrono::NaiveDate;
use xlogdec::reader::Options;
use xlogdec::retention::{self, DEFAULT_KEEP_DAYS, Policy, Reference};
use xlogdec::tui::{app::App, runtime};

/// Arguments of `xlogdec view`.
#[derive(clap::Args, Debug)]
#[command(after_help = "Keys: press ? in the viewer for the full list; q quits.")]
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

    /// Directory: files dated more than N days before the reference day
    /// (the newest dated log's day, or --now, --today) are past retention
    /// and offered for removal.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_KEEP_DAYS)]
    keep_days: u32,

    /// Directory: count the retention days back from this date (default:
    /// the newest dated log's day).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    now: Option<NaiveDate>,

    /// Directory: count the retention days back from the local date
    /// (default: the newest dated log's day).
    #[arg(long, conflicts_with = "now")]
    today: bool,

    /// Directory: remove files past retention without asking (the removed
    /// files are listed when the viewer ends).
    #[arg(long, conflicts_with = "no_retention")]
    yes: bool,

    /// Directory: leave files past retention alone.
    #[arg(long)]
    no_retention: bool,
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| format!("expected YYYY-MM-DD: {e}"))
}

/// Runs the viewer; returns the exit code.
pub fn run(args: ViewArgs) -> i32 {
    if !std::io::stdout().is_terminal() {
        eprintln!(
            "xlogdec view: standard output is not a terminal (decode with `xlogdec FILE` instead)"
        );
        return 2;
    }
    let key = match args.key.load() {
        Ok(k) => k,
        Err(e) => {
            eprintln!("xlogdec view: {e}");
            return 2;
        }
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
            let policy = Policy {
                keep_days: args.keep_days,
                ..Policy::new(args.now.unwrap_or_else(retention::local_today))
            };
            if args.now.is_some() {
                policy
            } else if args.today {
                Policy {
                    reference: Reference::Today,
                    ..policy
                }
            } else {
                // Unreadable: the scan in the viewer reports it.
                policy.clone().from_newest_log(&args.path).unwrap_or(policy)
            }
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
