//! The retention flags (`--keep-days`, `--now`, `--today`): one set of
//! flags and one reading of them, shared by `clean` and the viewer.

use std::io;
use std::path::Path;

use chrono::NaiveDate;
use xlogdec::retention::{self, DEFAULT_KEEP_DAYS, Policy, Reference};

/// How long files are kept, and from which day that is counted.
#[derive(clap::Args, Debug, Clone)]
pub struct RetentionArgs {
    /// Keep files dated up to N days before the reference day; older ones
    /// are removed.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_KEEP_DAYS)]
    pub keep_days: u32,

    /// Count the days back from this date (default: the newest dated log's
    /// day).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub now: Option<NaiveDate>,

    /// Count the days back from the local date (default: the newest dated
    /// log's day).
    #[arg(long, conflicts_with = "now")]
    pub today: bool,
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| format!("expected YYYY-MM-DD: {e}"))
}

impl RetentionArgs {
    /// The policy of these flags before the reference day is settled:
    /// `--keep-days`, and `--now`'s day or the local date.
    pub fn policy(&self) -> Policy {
        Policy {
            keep_days: self.keep_days,
            ..Policy::new(self.now.unwrap_or_else(retention::local_today))
        }
    }

    /// `policy` with its reference day settled: `--now`'s day, the local
    /// date with `--today`, else the newest dated log's day in `dir` (an
    /// error when `dir` cannot be read).
    pub fn reference(&self, policy: Policy, dir: &Path) -> io::Result<Policy> {
        if self.now.is_some() {
            Ok(policy)
        } else if self.today {
            Ok(Policy {
                reference: Reference::Today,
                ..policy
            })
        } else {
            policy.from_newest_log(dir)
        }
    }
}
