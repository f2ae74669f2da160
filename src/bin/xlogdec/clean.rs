//! `xlogdec clean`: remove xlog files past the retention period.

use std::io::{self, Write};
use std::path::PathBuf;

use serde_json::json;
use xlogdec::retention::{self, Candidate, KeepReason, Policy, Reference, Verdict};

const RULE: &str = "\
The rule: a file is expired when its date is more than N days before the
reference day (N = --keep-days, default 7). That is, expired iff
day - date > N: with N = 7 and the day 2024-02-08, a file dated 2024-02-01
is kept and one dated 2024-01-31 is removed. Later dates are kept.

The reference day is, by default, the date of the newest dated log in DIR:
the last day the SDK wrote there, so that an old bundle keeps its last N days
as the device would (never later than today: a device clock ahead does not
expire the rest; today when no log carries a date). --now YYYY-MM-DD sets
the day; --today takes the local date. The first line of the report says
which day was used and why.

The date comes from the Mars file name, PREFIX_YYYYMMDD.xlog or
PREFIX_YYYYMMDD_N.xlog; a name without a valid date falls back to the local
date of the file's modification time.

Only regular files directly inside DIR whose names end in .xlog are
candidates (-r searches sub-directories, never following symlinks;
--include-decoded adds the *.xlog.log outputs). The live .mmap3 buffer,
symlinks, other files and anything outside DIR are never touched.

Exit status: 0 on success, 1 if any file could not be removed or examined
(the others are still processed), 2 if DIR is missing, not a directory or
unreadable.";

/// Arguments of `xlogdec clean`.
#[derive(clap::Args, Debug)]
// The doc comment on `Command::Clean` sets the about text, so the rule goes
// after the options.
#[command(
    after_help = "Removes *.xlog files dated more than N days before the newest log's day (or --now, --today); see --help for the rule.",
    after_long_help = RULE
)]
pub struct CleanArgs {
    /// --keep-days, --now, --today.
    #[command(flatten)]
    retention: crate::retention::RetentionArgs,

    /// Also search sub-directories (symlinked ones are never followed).
    #[arg(short, long)]
    recursive: bool,

    /// Also remove the decoded *.xlog.log outputs under the same rule.
    #[arg(long)]
    include_decoded: bool,

    /// List what would be removed, with each file's date and age; remove nothing.
    #[arg(short = 'n', long)]
    dry_run: bool,

    /// Output format: text lines, or one JSON object per line.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,

    /// The log directory to clean.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
}

/// How `clean` reports.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Runs `xlogdec clean`; returns the exit code.
pub fn run(args: CleanArgs) -> i32 {
    let policy = Policy {
        recursive: args.recursive,
        include_decoded: args.include_decoded,
        ..args.retention.policy()
    };
    let policy = args.retention.reference(policy, &args.dir);
    let out_reference;
    let candidates = match policy.and_then(|p| Ok((retention::scan(&args.dir, &p)?, p))) {
        Ok((c, policy)) => {
            out_reference = policy;
            c
        }
        Err(e) => {
            let _ = writeln!(
                io::stderr(),
                "xlogdec clean: {}: {}",
                args.dir.display(),
                describe_dir_error(&e)
            );
            return 2;
        }
    };

    let mut out = Printer::new(args.format, args.dry_run);
    out.reference(&out_reference);
    let mut failed = 0u64;
    for c in &candidates {
        if let Verdict::Kept(KeepReason::Unreadable(why)) = &c.verdict {
            failed += 1;
            out.error(c, "examine", why);
        }
    }

    let mut files = 0u64;
    let mut bytes = 0u64;
    if args.dry_run {
        for c in candidates.iter().filter(|c| c.is_expired()) {
            files += 1;
            bytes += c.size;
            out.file(c, c.size);
        }
    } else {
        for removal in retention::remove(&candidates) {
            match &removal.result {
                Ok(freed) => {
                    files += 1;
                    bytes += freed;
                    out.file(&removal.candidate, *freed);
                }
                Err(e) => {
                    failed += 1;
                    out.error(&removal.candidate, "remove", &e.to_string());
                }
            }
        }
    }
    let kept = (candidates.len() as u64).saturating_sub(files + failed);
    out.summary(files, bytes, failed, kept);
    if failed > 0 { 1 } else { 0 }
}

fn describe_dir_error(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such directory".to_string(),
        io::ErrorKind::NotADirectory => "not a directory".to_string(),
        io::ErrorKind::PermissionDenied => "cannot read directory: permission denied".to_string(),
        _ => format!("cannot read directory: {e}"),
    }
}

/// Writes the report; stops writing quietly once stdout is gone (`| head`),
/// so that removal still runs to the end.
struct Printer {
    format: Format,
    dry_run: bool,
    stdout: io::Stdout,
    open: bool,
}

impl Printer {
    fn new(format: Format, dry_run: bool) -> Self {
        Printer {
            format,
            dry_run,
            stdout: io::stdout(),
            open: true,
        }
    }

    fn line(&mut self, text: &str) {
        if self.open && writeln!(self.stdout.lock(), "{text}").is_err() {
            self.open = false;
        }
    }

    /// The reference day and why, before the files.
    fn reference(&mut self, p: &Policy) {
        let first = p.first_kept_day();
        match self.format {
            Format::Text => {
                let why = match &p.reference {
                    Reference::Given => "given by --now".to_string(),
                    r => r.to_string(),
                };
                let text = format!(
                    "reference day {} ({why}): keeping {} days, files dated {first} or later",
                    p.today, p.keep_days
                );
                self.line(&text);
            }
            Format::Json => {
                let obj = json!({
                    "event": "reference",
                    "date": p.today.to_string(),
                    "source": p.reference.as_str(),
                    "file": p.reference.file(),
                    "keep_days": p.keep_days,
                    "first_kept": first.to_string(),
                    "dry_run": self.dry_run,
                });
                self.line(&obj.to_string());
            }
        }
    }

    /// A file removed (or that would be, in a dry run).
    fn file(&mut self, c: &Candidate, size: u64) {
        let date = c.date.map(|d| d.to_string()).unwrap_or_default();
        let source = c.date_source.map(|s| s.as_str()).unwrap_or_default();
        let age = c.age_days.unwrap_or_default();
        match self.format {
            Format::Text => {
                let verb = if self.dry_run {
                    "would remove"
                } else {
                    "removed"
                };
                let from_mtime = if source == "mtime" { " (mtime)" } else { "" };
                let text = format!(
                    "{verb}  {}  {date}{from_mtime}  {age} days  {size} bytes",
                    c.path.display()
                );
                self.line(&text);
            }
            Format::Json => {
                let obj = json!({
                    "event": "remove",
                    "path": c.path.to_string_lossy(),
                    "date": date,
                    "date_source": source,
                    "age_days": age,
                    "bytes": size,
                    "dry_run": self.dry_run,
                });
                self.line(&obj.to_string());
            }
        }
    }

    /// A file that could not be removed, or an entry that could not be examined.
    fn error(&mut self, c: &Candidate, op: &str, why: &str) {
        match self.format {
            Format::Text => {
                let _ = writeln!(
                    io::stderr(),
                    "xlogdec clean: cannot {op} {}: {why}",
                    c.path.display()
                );
            }
            Format::Json => {
                let obj = json!({
                    "event": "error",
                    "op": op,
                    "path": c.path.to_string_lossy(),
                    "error": why,
                    "dry_run": self.dry_run,
                });
                self.line(&obj.to_string());
            }
        }
    }

    fn summary(&mut self, files: u64, bytes: u64, failed: u64, kept: u64) {
        match self.format {
            Format::Text => {
                let plural = if files == 1 { "" } else { "s" };
                let mut text = if self.dry_run {
                    format!("would remove {files} file{plural}, {bytes} bytes")
                } else {
                    format!("removed {files} file{plural}, {bytes} bytes freed")
                };
                text.push_str(&format!(", {kept} kept"));
                if failed > 0 {
                    text.push_str(&format!(", {failed} failed"));
                }
                self.line(&text);
            }
            Format::Json => {
                let obj = json!({
                    "event": "summary",
                    "dry_run": self.dry_run,
                    "files": files,
                    "bytes": bytes,
                    "failed": failed,
                    "kept": kept,
                });
                self.line(&obj.to_string());
            }
        }
    }
}
