//! The viewer's filters and times: what the user set, and the compiled
//! form that decides whether a row belongs in the view.
//!
//! One matching rule for search (`/`), filter-in (`f`) and filter-out
//! (`F`): a regex over the whole record (header and all its lines), smart
//! case ([`crate::tui::search::smart_regex`]).

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use regex::bytes::Regex;

use crate::record::{Level, Record};
use crate::tui::search::smart_regex;

/// A filter-in or filter-out regex of the filter list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// The regex as typed.
    pub text: String,
    /// Filter out (hide matching records) instead of in.
    pub out: bool,
    /// Whether it applies.
    pub enabled: bool,
}

/// A point in time typed by the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSpec {
    /// A time of day (seconds since midnight), on any day.
    OfDay(u32),
    /// A local date and time (seconds since the epoch).
    At(u32),
}

impl TimeSpec {
    /// Parses `HH:MM[:SS]` or `YYYY-MM-DD HH:MM[:SS]` (also with a `T`).
    pub fn parse(s: &str) -> Result<TimeSpec, String> {
        let t = s.trim();
        let bad = || format!("bad time {t:?} (HH:MM[:SS] or YYYY-MM-DD HH:MM[:SS])");
        let time = |x: &str| {
            NaiveTime::parse_from_str(x, "%H:%M:%S")
                .or_else(|_| NaiveTime::parse_from_str(x, "%H:%M"))
                .ok()
        };
        if let Some(tod) = time(t) {
            return Ok(TimeSpec::OfDay(seconds_of_day(tod)));
        }
        let (d, tm) = t.split_once([' ', 'T']).ok_or_else(bad)?;
        let date = NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").map_err(|_| bad())?;
        let tod = time(tm.trim()).ok_or_else(bad)?;
        let secs = NaiveDateTime::new(date, tod).and_utc().timestamp();
        u32::try_from(secs).map(TimeSpec::At).map_err(|_| bad())
    }

    /// Whether local time `t` (seconds since the epoch) is before this.
    pub fn after(self, t: u32) -> bool {
        match self {
            TimeSpec::OfDay(s) => t % 86_400 < s,
            TimeSpec::At(s) => t < s,
        }
    }

    /// The first instant at or after local time `t` that this names: a
    /// time of day is the next such time (today's if still ahead, else
    /// tomorrow's).
    pub fn next_from(self, t: u32) -> u32 {
        match self {
            TimeSpec::At(s) => s,
            TimeSpec::OfDay(s) => {
                let day = t - t % 86_400;
                let at = day.saturating_add(s);
                if at > t {
                    at
                } else {
                    at.saturating_add(86_400)
                }
            }
        }
    }
}

fn seconds_of_day(t: NaiveTime) -> u32 {
    use chrono::Timelike;
    t.num_seconds_from_midnight()
}

/// A local time as `YYYY-MM-DD HH:MM`.
pub fn show_minute(t: u32) -> String {
    chrono::DateTime::from_timestamp(i64::from(t), 0)
        .map(|d| d.naive_utc().format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// A time range `FROM..TO` (either side may be left out), inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    /// Earliest.
    pub from: Option<TimeSpec>,
    /// Latest (a whole minute when given without seconds).
    pub to: Option<TimeSpec>,
    to_secs: bool,
}

impl TimeRange {
    /// Parses `FROM..TO`; `None` when `s` holds no `..`.
    pub fn parse(s: &str) -> Option<Result<TimeRange, String>> {
        let (a, b) = s.split_once("..")?;
        let side = |x: &str| {
            let x = x.trim();
            if x.is_empty() {
                Ok(None)
            } else {
                TimeSpec::parse(x).map(Some)
            }
        };
        Some((|| {
            let from = side(a)?;
            let to = side(b)?;
            if from.is_none() && to.is_none() {
                return Err("an empty time range".to_string());
            }
            let to_secs = b.trim().matches(':').count() >= 2;
            Ok(TimeRange { from, to, to_secs })
        })())
    }

    /// Whether local time `t` lies in the range.
    pub fn contains(&self, t: u32) -> bool {
        if let Some(f) = self.from
            && f.after(t)
        {
            return false;
        }
        if let Some(to) = self.to {
            // `..10:30` takes 10:30:59 too.
            let slack = if self.to_secs { 1 } else { 60 };
            let end = match to {
                TimeSpec::OfDay(s) => TimeSpec::OfDay(s + slack),
                TimeSpec::At(s) => TimeSpec::At(s + slack),
            };
            if !end.after(t) {
                return false;
            }
        }
        true
    }
}

/// The user's filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// Minimum level.
    pub min_level: Option<Level>,
    /// Only this tag.
    pub tag: Option<String>,
    /// Only this thread.
    pub tid: Option<i64>,
    /// Message regexes.
    pub patterns: Vec<Pattern>,
    /// Only records in this time range, as typed.
    pub time: Option<String>,
}

impl Filters {
    /// A one-line description for the status bar.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(l) = self.min_level {
            parts.push(format!(">={}", l.letter()));
        }
        if let Some(t) = &self.tag {
            parts.push(format!("tag:{t}"));
        }
        if let Some(t) = self.tid {
            parts.push(format!("tid:{t}"));
        }
        if let Some(t) = &self.time {
            parts.push(format!("time:{t}"));
        }
        for p in self.patterns.iter().filter(|p| p.enabled) {
            parts.push(format!("{}{}", if p.out { "-" } else { "+" }, p.text));
        }
        parts.join(" ")
    }

    /// Whether nothing is filtered.
    pub fn is_empty(&self) -> bool {
        self.min_level.is_none()
            && self.tag.is_none()
            && self.tid.is_none()
            && self.time.is_none()
            && !self.patterns.iter().any(|p| p.enabled)
    }

    /// The compiled form; fails on a pattern or range that does not parse.
    pub fn compile(&self) -> Result<Compiled, String> {
        let mut patterns = Vec::new();
        for p in self.patterns.iter().filter(|p| p.enabled) {
            patterns.push((smart_regex(&p.text)?, p.out));
        }
        let time = match &self.time {
            Some(t) => Some(TimeRange::parse(t).unwrap_or_else(|| Err(format!("bad range {t}")))?),
            None => None,
        };
        Ok(Compiled {
            min_level: self.min_level,
            tag: self.tag.clone(),
            tid: self.tid,
            patterns,
            time,
        })
    }
}

/// Filters ready to apply.
#[derive(Debug, Clone, Default)]
pub struct Compiled {
    min_level: Option<Level>,
    tag: Option<String>,
    tid: Option<i64>,
    patterns: Vec<(Regex, bool)>,
    time: Option<TimeRange>,
}

impl Compiled {
    /// Nothing to filter: every row passes.
    pub fn is_empty(&self) -> bool {
        self.min_level.is_none()
            && self.tag.is_none()
            && self.tid.is_none()
            && self.patterns.is_empty()
            && self.time.is_none()
    }

    /// Whether some filter reads the record's text.
    pub fn needs_text(&self) -> bool {
        self.tag.is_some() || self.tid.is_some() || !self.patterns.is_empty()
    }

    /// What the row's level and time alone decide: `Some(false)` fails,
    /// `Some(true)` passes, `None` needs the text.
    pub fn quick(&self, level: Option<Level>, time: u32) -> Option<bool> {
        if let Some(min) = self.min_level
            && level.is_none_or(|l| l < min)
        {
            return Some(false);
        }
        if let Some(r) = &self.time
            && (time == 0 || !r.contains(time))
        {
            return Some(false);
        }
        (!self.needs_text()).then_some(true)
    }

    /// Whether the record passes the text filters (tag, thread, regexes).
    pub fn text_passes(&self, bytes: &[u8]) -> bool {
        if self.tag.is_some() || self.tid.is_some() {
            let rec = Record::parse(bytes);
            let Some(h) = rec.header else {
                return false;
            };
            if self.tag.as_ref().is_some_and(|t| t.as_bytes() != h.tag) {
                return false;
            }
            if self.tid.is_some_and(|t| t != h.tid) {
                return false;
            }
        }
        self.patterns
            .iter()
            .all(|(re, out)| re.is_match(bytes) != *out)
    }
}

#[cfg(test)]
mod tests;
