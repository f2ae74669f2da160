//! Level / tag / thread / time / location / regex predicates on
//! [`Record`]s.
//!
//! Patterns: [`FilterOptions::patterns`] (`-e`) search the whole record,
//! header and message, as grep searches lines (any pattern may match);
//! [`FilterOptions::regex`] (`--message`) searches the message only. With
//! `-e` given, `invert` turns the `-e` patterns around, else the message
//! regex.
//!
//! All criteria combine with AND; several tags combine with OR. A record
//! passes or fails as a whole (the regex sees the whole message, continuation
//! lines included). A non-empty filter passes only records with a full
//! header: raw text and level-only lines (banners, `[F][ last log file...`,
//! the official decoder's `[F]decode_log_file.py` markers) fail it, and the
//! caller decides separately whether to show integrity markers.
//!
//! Times: `since` and `until` are inclusive; an `until` that is a date alone
//! means the end of that day. Two times of day with `since` after `until`
//! (`23:50` to `00:10`) are a window across midnight; two full dates with
//! `since` after `until` are an error. A bound without an offset is
//! compared with the record's own wall-clock time; a bound with an explicit
//! offset (`Z`, `+08:00`) or a relative one (`-2h`) is an instant, compared
//! with the record's UTC time (a record whose offset is unknown is read in
//! the bound's offset).

use std::cmp::Ordering;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use regex::bytes::{Regex, RegexBuilder};

use crate::record::{Level, ParseLevelError, Record, Timestamp};

/// A user's filter input that cannot be used, with the offending text.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FilterError {
    /// Unknown level name.
    #[error(transparent)]
    Level(#[from] ParseLevelError),
    /// A time that is none of `HH:MM[:SS]`, `YYYY-MM-DD[ HH:MM[:SS]]` (with an
    /// optional `Z` / `+HH:MM` offset) or `-N{s,m,h,d,w}`.
    #[error(
        "bad time {0:?}: expected HH:MM[:SS], YYYY-MM-DD [HH:MM[:SS]] with optional Z or +HH:MM, or -N followed by s, m, h, d or w"
    )]
    Time(String),
    /// A time window that no record can fall in.
    #[error("empty time window: --since {since} is after --until {until}")]
    EmptyWindow {
        /// The start as given.
        since: String,
        /// The end as given.
        until: String,
    },
    /// A message regex that does not compile.
    #[error("bad regex {pattern:?}: {source}")]
    Regex {
        /// The pattern as given.
        pattern: String,
        /// Why it does not compile.
        source: regex::Error,
    },
}

/// Raw filter options as a user gives them (e.g. from command-line flags).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterOptions {
    /// Minimum level (`V D I W E F` or a name, any case).
    pub level: Option<String>,
    /// Tags, exact or glob with `*` and `?`; a record passes if any matches.
    pub tags: Vec<String>,
    /// Only this process id.
    pub pid: Option<i64>,
    /// Only this thread id.
    pub tid: Option<i64>,
    /// Only lines from the main thread (tid marked `*`).
    pub main_thread: bool,
    /// Earliest time (inclusive).
    pub since: Option<String>,
    /// Latest time (inclusive).
    pub until: Option<String>,
    /// Regex the message must match.
    pub regex: Option<String>,
    /// Patterns searched for in the whole record, header included; a
    /// record passes if any matches.
    pub patterns: Vec<String>,
    /// The patterns (and the message regex) are literal text, not regexes.
    pub fixed_strings: bool,
    /// Function names in the header, exact or glob; any may match.
    pub funcs: Vec<String>,
    /// Source file names in the header, exact or glob; any may match.
    pub files: Vec<String>,
    /// Match the regex and the tags case-insensitively.
    pub ignore_case: bool,
    /// Smart case: a pattern (regex or tag) with no upper-case letter
    /// matches case-insensitively.
    pub smart_case: bool,
    /// Keep records that do NOT match the patterns (or, without patterns,
    /// the message regex).
    pub invert: bool,
}

/// What [`Filter::regex`] is matched against.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Scope {
    /// The message (continuation lines included, without the final `\n`).
    #[default]
    Message,
    /// The whole record: header and message (without the final `\n`).
    Record,
}

/// A record's bytes without the final `\n`: what a [`Scope::Record`]
/// pattern is matched against.
#[inline]
pub fn record_text(bytes: &[u8]) -> &[u8] {
    bytes.strip_suffix(b"\n").unwrap_or(bytes)
}

/// A tag pattern: exact text, or a glob where `*` matches any run of bytes
/// and `?` one character; optionally ignoring (ASCII) case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagPattern {
    pattern: Vec<u8>,
    glob: bool,
    ignore_case: bool,
}

impl TagPattern {
    /// A pattern; it is a glob when it contains `*` or `?`.
    pub fn new(pattern: &str) -> TagPattern {
        TagPattern {
            pattern: pattern.as_bytes().to_vec(),
            glob: pattern.contains(['*', '?']),
            ignore_case: false,
        }
    }

    /// A pattern that ignores the case of ASCII letters.
    pub fn new_ignore_case(pattern: &str) -> TagPattern {
        TagPattern {
            pattern: pattern.to_ascii_lowercase().into_bytes(),
            ignore_case: true,
            ..TagPattern::new(pattern)
        }
    }

    /// Whether `tag` matches.
    pub fn matches(&self, tag: &[u8]) -> bool {
        match (self.glob, self.ignore_case) {
            (true, ci) => glob_match(&self.pattern, tag, ci),
            (false, false) => self.pattern == tag,
            (false, true) => self.pattern.eq_ignore_ascii_case(tag),
        }
    }
}

/// Whether a pattern asks for case-insensitive matching: with `-i`, or
/// with smart case when it has no upper-case letter (as rg decides).
pub fn folds_case(pattern: &str, ignore_case: bool, smart_case: bool) -> bool {
    ignore_case || (smart_case && !pattern.chars().any(char::is_uppercase))
}

/// Glob with `*` (any bytes) and `?` (one UTF-8 character, or one byte of
/// invalid text), by the classic single-backtrack scan; `ci`: ASCII
/// letters of `text` compare in lower case (`pat` is lower-cased already).
fn glob_match(pat: &[u8], text: &[u8], ci: bool) -> bool {
    let char_len = |i: usize| {
        let mut j = i + 1;
        while j < text.len() && (text[j] & 0xC0) == 0x80 && text[i] >= 0xC0 {
            j += 1;
        }
        j - i
    };
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pat.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
                continue;
            }
            Some(b'?') => {
                p += 1;
                t += char_len(t);
                continue;
            }
            Some(&c) if c == text[t] || (ci && c == text[t].to_ascii_lowercase()) => {
                p += 1;
                t += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, st)) => {
                let next = st + char_len(st);
                star = Some((sp, next));
                p = sp + 1;
                t = next;
            }
            None => return false,
        }
    }
    pat[p.min(pat.len())..].iter().all(|&c| c == b'*')
}

/// One end of a time window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeBound {
    /// A time of day, compared with the record's own local time of day (any date).
    TimeOfDay(NaiveTime),
    /// A time of day in a given offset (minutes): the record's instant is
    /// read in that offset first.
    TimeOfDayAt(NaiveTime, i32),
    /// A wall-clock date-time, compared with the record's own local time.
    Local(NaiveDateTime),
    /// An instant (ms since the epoch, UTC); `offset` (minutes) reads records
    /// whose own offset is unknown.
    Instant {
        /// Milliseconds since the Unix epoch.
        utc_millis: i64,
        /// Offset used for records without one.
        offset: i32,
    },
}

impl TimeBound {
    /// Parses `HH:MM[:SS[.fff]]`, `YYYY-MM-DD[( |T)HH:MM[:SS[.fff]]]`, each with
    /// an optional `Z`, `+HH:MM`, `+HHMM` or `+HH` offset, or a relative
    /// `-N{s,m,h,d,w}` counted back from `now`.
    pub fn parse(s: &str, now: DateTime<FixedOffset>) -> Result<TimeBound, FilterError> {
        let bad = || FilterError::Time(s.to_string());
        let t = s.trim();
        if let Some(rel) = t.strip_prefix('-') {
            let (n, unit) = rel.split_at(rel.len().saturating_sub(1));
            let n: i64 = n.trim().parse().map_err(|_| bad())?;
            let d = match unit {
                "s" => TimeDelta::try_seconds(n),
                "m" => TimeDelta::try_minutes(n),
                "h" => TimeDelta::try_hours(n),
                "d" => TimeDelta::try_days(n),
                "w" => TimeDelta::try_weeks(n),
                _ => None,
            }
            .ok_or_else(bad)?;
            let at = now.checked_sub_signed(d).ok_or_else(bad)?;
            return Ok(TimeBound::Instant {
                utc_millis: at.timestamp_millis(),
                offset: now.offset().local_minus_utc() / 60,
            });
        }
        let (date, rest) = match t.get(..10) {
            Some(d) if d.as_bytes().get(4) == Some(&b'-') => {
                let date = NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| bad())?;
                let rest = &t[10..];
                let rest = rest
                    .strip_prefix(' ')
                    .or_else(|| rest.strip_prefix('T'))
                    .unwrap_or(rest);
                (Some(date), rest.trim_start())
            }
            _ => (None, t),
        };
        let time_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.'))
            .unwrap_or(rest.len());
        let (time_text, off_text) = rest.split_at(time_len);
        let time = if time_text.is_empty() {
            None
        } else {
            Some(
                NaiveTime::parse_from_str(time_text, "%H:%M:%S%.f")
                    .or_else(|_| NaiveTime::parse_from_str(time_text, "%H:%M"))
                    .map_err(|_| bad())?,
            )
        };
        let offset = parse_user_offset(off_text.trim()).ok_or_else(bad)?;
        match (date, time, offset) {
            (None, None, _) => Err(bad()),
            (None, Some(tm), None) => Ok(TimeBound::TimeOfDay(tm)),
            (None, Some(tm), Some(off)) => Ok(TimeBound::TimeOfDayAt(tm, off)),
            (Some(d), tm, None) => Ok(TimeBound::Local(d.and_time(tm.unwrap_or(NaiveTime::MIN)))),
            (Some(d), tm, Some(off)) => {
                let local = d.and_time(tm.unwrap_or(NaiveTime::MIN));
                let utc = local.and_utc().timestamp_millis() - i64::from(off) * 60_000;
                Ok(TimeBound::Instant {
                    utc_millis: utc,
                    offset: off,
                })
            }
        }
    }

    /// Parses like [`parse`](TimeBound::parse), as the end of a window: a
    /// date alone means the end of that day (its last nanosecond).
    pub fn parse_end(s: &str, now: DateTime<FixedOffset>) -> Result<TimeBound, FilterError> {
        let bound = TimeBound::parse(s, now)?;
        let t = s.trim();
        let date_alone = !t.starts_with('-')
            && t.get(..10)
                .is_some_and(|d| d.as_bytes().get(4) == Some(&b'-'))
            && !t[10..]
                .trim_start_matches([' ', 'T'])
                .starts_with(|c: char| c.is_ascii_digit());
        if !date_alone {
            return Ok(bound);
        }
        // The next day's start, less one nanosecond (or millisecond, for
        // instants counted in milliseconds).
        Ok(match bound {
            TimeBound::Local(l) => {
                TimeBound::Local(l + TimeDelta::days(1) - TimeDelta::nanoseconds(1))
            }
            TimeBound::Instant { utc_millis, offset } => TimeBound::Instant {
                utc_millis: utc_millis + 86_400_000 - 1,
                offset,
            },
            other => other,
        })
    }

    /// Whether this bound and `other` are times of day (no date): then a
    /// window from one to the other may cross midnight.
    fn is_time_of_day(&self) -> bool {
        matches!(self, TimeBound::TimeOfDay(_) | TimeBound::TimeOfDayAt(..))
    }

    /// How the record's time compares with this bound.
    pub fn compare(&self, ts: &Timestamp<'_>) -> Ordering {
        match *self {
            TimeBound::TimeOfDay(t) => ts.local.time().cmp(&t),
            TimeBound::TimeOfDayAt(t, off) => {
                let local = match ts.utc_millis() {
                    Some(ms) => millis_to_naive(ms + i64::from(off) * 60_000),
                    None => Some(ts.local),
                };
                match local {
                    Some(l) => l.time().cmp(&t),
                    None => ts.local.time().cmp(&t),
                }
            }
            TimeBound::Local(l) => ts.local.cmp(&l),
            TimeBound::Instant { utc_millis, offset } => {
                let ms = ts
                    .utc_millis()
                    .unwrap_or_else(|| ts.local_millis() - i64::from(offset) * 60_000);
                ms.cmp(&utc_millis)
            }
        }
    }
}

/// How two bounds of the same kind compare (None for kinds that do not
/// compare without a record: a wall-clock date and an instant).
fn window_order(a: &TimeBound, b: &TimeBound) -> Option<Ordering> {
    match (a, b) {
        (TimeBound::TimeOfDay(x), TimeBound::TimeOfDay(y)) => Some(x.cmp(y)),
        (TimeBound::TimeOfDayAt(x, o), TimeBound::TimeOfDayAt(y, p)) if o == p => Some(x.cmp(y)),
        (TimeBound::Local(x), TimeBound::Local(y)) => Some(x.cmp(y)),
        (TimeBound::Instant { utc_millis: x, .. }, TimeBound::Instant { utc_millis: y, .. }) => {
            Some(x.cmp(y))
        }
        _ => None,
    }
}

fn millis_to_naive(ms: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp_millis(ms).map(|d| d.naive_utc())
}

/// `""` -> no offset; `Z`, `+HH:MM`, `+HHMM`, `+HH` -> minutes. Outer None: malformed.
fn parse_user_offset(s: &str) -> Option<Option<i32>> {
    if s.is_empty() {
        return Some(None);
    }
    if s.eq_ignore_ascii_case("z") || s.eq_ignore_ascii_case("utc") {
        return Some(Some(0));
    }
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'+') => (1, &s[1..]),
        Some(b'-') => (-1, &s[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|&c| c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) || rest.matches(':').count() > 1 {
        return None;
    }
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        4 => (
            digits[..2].parse::<i32>().ok()?,
            digits[2..].parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    if h > 18 || m > 59 {
        return None;
    }
    Some(Some(sign * (h * 60 + m)))
}

/// A record predicate; the default passes everything.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Minimum level.
    pub min_level: Option<Level>,
    /// Tag patterns (any may match); empty means any tag.
    pub tags: Vec<TagPattern>,
    /// Only this process id.
    pub pid: Option<i64>,
    /// Only this thread id.
    pub tid: Option<i64>,
    /// Only main-thread lines.
    pub main_thread_only: bool,
    /// Earliest time, inclusive.
    pub since: Option<TimeBound>,
    /// Latest time, inclusive.
    pub until: Option<TimeBound>,
    /// `since` and `until` are times of day with `since` after `until`: the
    /// window crosses midnight (a record passes at or after `since`, or at
    /// or before `until`).
    pub overnight: bool,
    /// The search pattern: the `-e` patterns as one regex (on the whole
    /// record), or else the message regex.
    pub regex: Option<Regex>,
    /// What `regex` is matched against.
    pub scope: Scope,
    /// The message regex when `regex` holds the `-e` patterns.
    pub message_regex: Option<Regex>,
    /// Pass records that `regex` does not match.
    pub invert: bool,
    /// Function name patterns (any may match); empty means any.
    pub funcs: Vec<TagPattern>,
    /// Source file name patterns (any may match); empty means any.
    pub files: Vec<TagPattern>,
}

/// One regex for `patterns` (any may match), each literal with `fixed`,
/// each case-insensitive as [`folds_case`] decides. A single pattern stays
/// as it is (so a literal is still seen as one and searched for directly).
fn compile(
    patterns: &[String],
    fixed: bool,
    ignore_case: bool,
    smart_case: bool,
) -> Result<Option<Regex>, FilterError> {
    let mut parts = Vec::new();
    for p in patterns {
        let body = if fixed { regex::escape(p) } else { p.clone() };
        let ci = folds_case(p, ignore_case, smart_case);
        // Checked one by one, so the error names the pattern at fault.
        RegexBuilder::new(&body)
            .case_insensitive(ci)
            .build()
            .map_err(|source| FilterError::Regex {
                pattern: p.clone(),
                source,
            })?;
        parts.push((body, ci));
    }
    let built = match parts.as_slice() {
        [] => return Ok(None),
        [(body, ci)] => RegexBuilder::new(body).case_insensitive(*ci).build(),
        many => {
            let alt: Vec<String> = many
                .iter()
                .map(|(b, ci)| format!("(?{}:{b})", if *ci { "i" } else { "" }))
                .collect();
            RegexBuilder::new(&alt.join("|")).build()
        }
    };
    built.map(Some).map_err(|source| FilterError::Regex {
        pattern: patterns.join(" | "),
        source,
    })
}

fn tag_patterns(list: &[String], opts: &FilterOptions) -> Vec<TagPattern> {
    list.iter()
        .map(|t| match folds_case(t, opts.ignore_case, opts.smart_case) {
            true => TagPattern::new_ignore_case(t),
            false => TagPattern::new(t),
        })
        .collect()
}

impl Filter {
    /// Validates user options into a filter; `now` anchors relative times.
    pub fn new(opts: &FilterOptions, now: DateTime<FixedOffset>) -> Result<Filter, FilterError> {
        let min_level = opts.level.as_deref().map(Level::parse).transpose()?;
        let since = opts
            .since
            .as_deref()
            .map(|s| TimeBound::parse(s, now))
            .transpose()?;
        let until = opts
            .until
            .as_deref()
            .map(|s| TimeBound::parse_end(s, now))
            .transpose()?;
        let overnight = match (since, until) {
            (Some(a), Some(b)) if a.is_time_of_day() && b.is_time_of_day() => {
                window_order(&a, &b) == Some(Ordering::Greater)
            }
            (Some(a), Some(b)) if window_order(&a, &b) == Some(Ordering::Greater) => {
                return Err(FilterError::EmptyWindow {
                    since: opts.since.clone().unwrap_or_default(),
                    until: opts.until.clone().unwrap_or_default(),
                });
            }
            _ => false,
        };
        let (ci, sc, fixed) = (opts.ignore_case, opts.smart_case, opts.fixed_strings);
        let message = compile(opts.regex.as_slice(), fixed, ci, sc)?;
        let (regex, scope, message_regex) = match compile(&opts.patterns, fixed, ci, sc)? {
            Some(re) => (Some(re), Scope::Record, message),
            None => (message, Scope::Message, None),
        };
        Ok(Filter {
            min_level,
            tags: tag_patterns(&opts.tags, opts),
            pid: opts.pid,
            tid: opts.tid,
            main_thread_only: opts.main_thread,
            since,
            until,
            overnight,
            regex,
            scope,
            message_regex,
            invert: opts.invert,
            funcs: tag_patterns(&opts.funcs, opts),
            files: tag_patterns(&opts.files, opts),
        })
    }

    /// Whether the filter reads the header's location (function, file).
    #[inline]
    pub fn reads_location(&self) -> bool {
        !self.funcs.is_empty() || !self.files.is_empty()
    }

    /// The checks on the header's function and file, and on the message
    /// regex that goes with `-e` patterns: what [`matches`](Filter::matches)
    /// checks beyond `regex`, on a record with a full header.
    #[inline]
    pub fn rest_passes(&self, h: &crate::record::Header<'_>) -> bool {
        (self.funcs.is_empty() || self.funcs.iter().any(|f| f.matches(h.func)))
            && (self.files.is_empty() || self.files.iter().any(|f| f.matches(h.file)))
            && self
                .message_regex
                .as_ref()
                .is_none_or(|m| m.is_match(h.message))
    }

    /// Whether a record of time `ts` is inside the time window.
    #[inline]
    pub fn time_passes(&self, ts: &Timestamp<'_>) -> bool {
        let after = self.since.is_none_or(|b| b.compare(ts) != Ordering::Less);
        let before = self
            .until
            .is_none_or(|b| b.compare(ts) != Ordering::Greater);
        if self.overnight {
            after || before
        } else {
            after && before
        }
    }

    /// True when no criterion is set: every record, raw ones included, passes.
    pub fn is_empty(&self) -> bool {
        self.min_level.is_none()
            && self.tags.is_empty()
            && self.pid.is_none()
            && self.tid.is_none()
            && !self.main_thread_only
            && self.since.is_none()
            && self.until.is_none()
            && self.regex.is_none()
            && self.message_regex.is_none()
            && !self.reads_location()
    }

    /// Whether the record passes every criterion.
    pub fn matches(&self, rec: &Record<'_>) -> bool {
        if self.is_empty() {
            return true;
        }
        let (Some(level), Some(h)) = (rec.level, rec.header.as_ref()) else {
            return false;
        };
        if self.min_level.is_some_and(|m| level < m)
            || self.pid.is_some_and(|p| p != h.pid)
            || self.tid.is_some_and(|t| t != h.tid)
            || (self.main_thread_only && !h.main_thread)
        {
            return false;
        }
        if !self.tags.is_empty() && !self.tags.iter().any(|t| t.matches(h.tag)) {
            return false;
        }
        if !self.time_passes(&h.timestamp) {
            return false;
        }
        if let Some(re) = &self.regex {
            let hay = match self.scope {
                Scope::Message => h.message,
                Scope::Record => record_text(rec.bytes),
            };
            if re.is_match(hay) == self.invert {
                return false;
            }
        }
        self.rest_passes(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2024-01-31T12:00:00+08:00").expect("valid")
    }

    #[test]
    fn globs() {
        let m = |p: &str, t: &str| TagPattern::new(p).matches(t.as_bytes());
        assert!(m("imsdk", "imsdk"));
        assert!(!m("imsdk", "imsdk2"));
        assert!(m("im*", "imsdk"));
        assert!(m("*sdk", "imsdk"));
        assert!(m("*", ""));
        assert!(m("i?sdk", "imsdk"));
        assert!(!m("i?sdk", "isdk"));
        assert!(m("*M*r", "TIMManager"));
        assert!(!m("*M*x", "TIMManager"));
        assert!(m("a*b*c", "aXbYbZc"));
        assert!(m("消?", "消息"));
        assert!(!m("??", "消息x"));
        assert!(m("??", "消息"));
        assert!(!m("im?", "im"));
    }

    #[test]
    fn time_inputs() {
        let p = |s: &str| TimeBound::parse(s, now());
        let t = |h, m, s| NaiveTime::from_hms_opt(h, m, s).expect("valid");
        assert_eq!(p("10:05").ok(), Some(TimeBound::TimeOfDay(t(10, 5, 0))));
        assert_eq!(p("10:05:30").ok(), Some(TimeBound::TimeOfDay(t(10, 5, 30))));
        assert_eq!(
            p("10:05+05:30").ok(),
            Some(TimeBound::TimeOfDayAt(t(10, 5, 0), 330))
        );
        let d = NaiveDate::from_ymd_opt(2024, 1, 31).expect("valid");
        assert_eq!(
            p("2024-01-31 10:05").ok(),
            Some(TimeBound::Local(d.and_time(t(10, 5, 0))))
        );
        assert_eq!(
            p("2024-01-31T10:05:01").ok(),
            Some(TimeBound::Local(d.and_time(t(10, 5, 1))))
        );
        assert_eq!(
            p("2024-01-31").ok(),
            Some(TimeBound::Local(d.and_time(t(0, 0, 0))))
        );
        // 10:00 UTC; 18:00 at +08:00: the same instant.
        let instant = |s: &str| match p(s) {
            Ok(TimeBound::Instant { utc_millis, offset }) => (utc_millis, offset),
            other => panic!("{s}: {other:?}"),
        };
        let ten_utc = d.and_time(t(10, 0, 0)).and_utc().timestamp_millis();
        assert_eq!(instant("2024-01-31 10:00Z"), (ten_utc, 0));
        assert_eq!(instant("2024-01-31 18:00 +08:00"), (ten_utc, 480));
        assert_eq!(instant("2024-01-31 18:00+0800"), (ten_utc, 480));
        assert_eq!(instant("2024-01-31 06:00-04"), (ten_utc, -240));
        // now is 04:00 UTC; two hours back is 02:00 UTC.
        assert_eq!(
            p("-2h").ok(),
            Some(TimeBound::Instant {
                utc_millis: d.and_time(t(2, 0, 0)).and_utc().timestamp_millis(),
                offset: 480
            })
        );
        assert!(p("-1d").is_ok());
        assert_eq!(p("-1d").ok(), p("-24h").ok());
        for bad in [
            "",
            "yesterday",
            "25:00",
            "10",
            "2024-13-01",
            "-2x",
            "10:00+8:00:00",
            "-h",
        ] {
            match p(bad) {
                Err(FilterError::Time(s)) => assert_eq!(s, bad),
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn a_date_alone_ends_its_day_as_an_until() {
        let d = NaiveDate::from_ymd_opt(2024, 1, 31).expect("valid");
        let end = d.and_hms_nano_opt(23, 59, 59, 999_999_999).expect("valid");
        assert_eq!(
            TimeBound::parse_end("2024-01-31", now()).ok(),
            Some(TimeBound::Local(end))
        );
        // With an offset: the instant of the day's last millisecond.
        let z = d.and_hms_milli_opt(23, 59, 59, 999).expect("valid");
        assert_eq!(
            TimeBound::parse_end("2024-01-31Z", now()).ok(),
            Some(TimeBound::Instant {
                utc_millis: z.and_utc().timestamp_millis(),
                offset: 0
            })
        );
        // A time given is kept as it is, and so are relative bounds.
        for s in ["2024-01-31 10:00", "2024-01-31T10:00", "10:00", "-2h"] {
            assert_eq!(
                TimeBound::parse_end(s, now()).ok(),
                TimeBound::parse(s, now()).ok(),
                "{s}"
            );
        }
    }

    #[test]
    fn windows_across_midnight_and_empty_windows() {
        let window = |since: &str, until: &str| {
            Filter::new(
                &FilterOptions {
                    since: Some(since.into()),
                    until: Some(until.into()),
                    ..Default::default()
                },
                now(),
            )
        };
        let rec = |t: &str| format!("[I][{t}][1, 2][tag][a.cc, f, 1][message\n");
        let passes = |f: &Filter, t: &str| f.matches(&Record::parse(rec(t).as_bytes()));
        let f = window("23:50", "00:10").expect("overnight");
        assert!(f.overnight);
        for t in [
            "2024-01-30 +8.0 23:50:00.000",
            "2024-01-31 +8.0 00:10:00.000",
        ] {
            assert!(passes(&f, t), "{t}");
        }
        for t in [
            "2024-01-30 +8.0 23:49:59.999",
            "2024-01-31 +8.0 00:10:00.001",
        ] {
            assert!(!passes(&f, t), "{t}");
        }
        let f = window("10:00", "11:00").expect("same day");
        assert!(!f.overnight);
        assert!(passes(&f, "2024-01-31 +8.0 10:30:00.000"));
        assert!(!passes(&f, "2024-01-31 +8.0 23:55:00.000"));
        // Full dates: since after until is an error naming both.
        for (a, b) in [
            ("2024-01-31", "2024-01-30"),
            ("2024-01-31 10:03", "2024-01-31 10:02"),
            ("2024-01-31 10:00Z", "2024-01-31 09:00Z"),
        ] {
            match window(a, b) {
                Err(e @ FilterError::EmptyWindow { .. }) => {
                    let m = e.to_string();
                    assert!(m.contains(a) && m.contains(b), "{m}");
                }
                other => panic!("{a}..{b}: {other:?}"),
            }
        }
        // One day as both ends: the whole day.
        let f = window("2024-01-31", "2024-01-31").expect("one day");
        assert!(passes(&f, "2024-01-31 +8.0 23:59:59.999"));
        assert!(!passes(&f, "2024-02-01 +8.0 00:00:00.000"));
    }

    #[test]
    fn tags_fold_case_with_i_and_smart_case() {
        let tags = |t: &str, ignore_case: bool, smart_case: bool| {
            Filter::new(
                &FilterOptions {
                    tags: vec![t.into()],
                    ignore_case,
                    smart_case,
                    ..Default::default()
                },
                now(),
            )
            .expect("valid")
        };
        let rec = "[I][2024-01-31 +8.0 10:00:00.000][1, 2][TIMManager][a.cc, f, 1][m\n";
        let passes = |f: &Filter| f.matches(&Record::parse(rec.as_bytes()));
        assert!(passes(&tags("TIMManager", false, false)));
        assert!(!passes(&tags("timmanager", false, false)));
        assert!(passes(&tags("timmanager", true, false)));
        assert!(passes(&tags("tim*", true, false)));
        assert!(passes(&tags("timmanager", false, true)));
        assert!(passes(&tags("tim?anager", false, true)));
        // An upper-case letter makes smart case exact; -i still folds.
        assert!(!passes(&tags("TIMmanager", false, true)));
        assert!(passes(&tags("TIMmanager", true, true)));
        assert!(folds_case("abc", false, true) && !folds_case("aBc", false, true));
    }

    #[test]
    fn option_errors_carry_the_text() {
        let e = Filter::new(
            &FilterOptions {
                level: Some("loud".into()),
                ..Default::default()
            },
            now(),
        )
        .expect_err("bad level");
        assert!(e.to_string().contains("\"loud\""), "{e}");
        let e = Filter::new(
            &FilterOptions {
                regex: Some("(unclosed".into()),
                ..Default::default()
            },
            now(),
        )
        .expect_err("bad regex");
        assert!(e.to_string().contains("(unclosed"), "{e}");
    }
}
