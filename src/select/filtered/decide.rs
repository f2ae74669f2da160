//! The verdict on one record: the plan of what a filter reads, the time
//! window over the text, and the decisions on Mars and other lines.

use super::*;

/// Whether a record whose bytes do not match the message regex can be
/// rejected unparsed: true when the pattern has no anchors or word
/// boundaries (then a match in the message is a match in the record, which
/// holds the message), and the match is not inverted. A pattern text that
/// merely looks like it has one only loses the shortcut.
pub(super) fn regex_prefilter(filter: &Filter) -> bool {
    !filter.invert && assertion_free(filter)
}

/// Whether the message regex has no anchors or word boundaries: then it
/// matches a text exactly when it matches, from some start, the text
/// around it, so a search over a whole chunk finds the records that may
/// match (a pattern text that merely looks like it has one only loses
/// the shortcut).
pub(super) fn assertion_free(filter: &Filter) -> bool {
    let Some(re) = &filter.regex else {
        return false;
    };
    let p = re.as_str();
    !p.contains(['^', '$'])
        && !["\\b", "\\B", "\\A", "\\z", "\\<", "\\>"]
            .iter()
            .any(|a| p.contains(a))
}

/// What a filter reads of a record, settled when the filter sink is built
/// rather than asked of the filter for every record.
#[derive(Debug, Clone, Copy)]
pub(super) struct Plan {
    /// The filter passes everything.
    pub(super) empty: bool,
    /// The message regex may run on a record's whole bytes first (see
    /// [`regex_prefilter`]).
    pub(super) prefilter: bool,
    /// The filter looks at fields before the header's location.
    pub(super) prefix: bool,
    /// The filter bounds the time.
    pub(super) bounded: bool,
    /// A time bound is an instant or a time of day in a given offset: a
    /// record's UTC offset matters.
    pub(super) utc: bool,
    /// The filter looks at more than the level and the time.
    pub(super) fields: bool,
    /// The wall-clock bounds as text, for the shapes that write their time
    /// in a fixed layout.
    pub(super) window: TextWindow,
}

/// The time bounds on the wall clock as the text of a time in the layout
/// `YYYY-MM-DD HH:MM:SS.mmm`, which sorts as the times do: a record whose
/// time text sorts outside them is outside (or has no valid time, and
/// fails either way).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct TextWindow {
    pub(super) since: Option<TextBound>,
    pub(super) until: Option<TextBound>,
    /// Every bound of the filter is here.
    pub(super) whole: bool,
}

/// What the record judge keeps from one record to the next: the last
/// date read from a bracket header, the UTC offset of the last Mars open
/// banner (which IM SDK records, that write none, take), and the time
/// window as text in the last UTC offset an IM SDK record was read in.
#[derive(Debug, Clone, Default)]
pub(crate) struct Memo {
    pub(super) date: DateMemo,
    pub(super) offset: Option<i32>,
    pub(super) window: Option<(Option<i32>, TextWindow)>,
}

impl Memo {
    /// The filter's time window as text for a record read in the offset
    /// of the last open banner (instants become wall-clock times there).
    #[inline]
    pub(super) fn window(&mut self, f: &Filter) -> TextWindow {
        let offset = self.offset;
        match self.window {
            Some((o, w)) if o == offset => w,
            _ => {
                let w = TextWindow::at(f, offset);
                self.window = Some((offset, w));
                w
            }
        }
    }
}

/// A bound's text and where its comparison starts (0 for a date and time,
/// 11 for a time of day).
#[derive(Debug, Clone, Copy)]
pub(super) struct TextBound {
    pub(super) text: [u8; 23],
    pub(super) from: usize,
}

impl TextBound {
    /// How the time text `t` sorts against the bound's, from `from` on:
    /// as big-endian words (bytes 0..8, 8..16 and 15..23, or 11..19 and
    /// 15..23 for a time of day; a byte compared twice was equal the
    /// first time), not a call to `memcmp`.
    #[inline(always)]
    pub(super) fn order(&self, t: &[u8; 23]) -> Ordering {
        let word = |b: &[u8; 23], at: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[at..at + 8]);
            u64::from_be_bytes(w)
        };
        let starts: &[usize] = if self.from == 0 {
            &[0, 8, 15]
        } else {
            &[11, 15]
        };
        for &at in starts {
            match word(t, at).cmp(&word(&self.text, at)) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        Ordering::Equal
    }

    /// The bound as text, when it is on the wall clock, to the millisecond
    /// (as the lines are), with a four-digit year.
    pub(super) fn new(b: &TimeBound) -> Option<TextBound> {
        let (s, from) = match *b {
            TimeBound::Local(l) if l.nanosecond() % 1_000_000 == 0 => {
                (l.format("%Y-%m-%d %H:%M:%S%.3f").to_string(), 0)
            }
            TimeBound::TimeOfDay(t) if t.nanosecond() % 1_000_000 == 0 => {
                (format!("0000-00-00 {}", t.format("%H:%M:%S%.3f")), 11)
            }
            _ => return None,
        };
        Some(TextBound {
            text: s.as_bytes().try_into().ok()?,
            from,
        })
    }
}

impl TextWindow {
    /// The bounds on the wall clock.
    pub(super) fn new(f: &Filter) -> TextWindow {
        TextWindow::with(f, TextBound::new)
    }

    /// The bounds on the wall clock, and the instants as wall-clock times
    /// in `offset` (in their own offset when it is `None`, as
    /// [`TimeBound::compare`] reads them).
    pub(super) fn at(f: &Filter, offset: Option<i32>) -> TextWindow {
        TextWindow::with(f, |b| match *b {
            TimeBound::Instant {
                utc_millis,
                offset: own,
            } => {
                let local = utc_millis.checked_add(i64::from(offset.unwrap_or(own)) * 60_000)?;
                let local = chrono::DateTime::from_timestamp_millis(local)?.naive_utc();
                TextBound::new(&TimeBound::Local(local))
            }
            _ => TextBound::new(b),
        })
    }

    pub(super) fn with(f: &Filter, text: impl Fn(&TimeBound) -> Option<TextBound>) -> TextWindow {
        if f.overnight {
            // A window across midnight passes times after `since` OR
            // before `until`: left to `Filter::time_passes`.
            return TextWindow::default();
        }
        let since = f.since.as_ref().and_then(&text);
        let until = f.until.as_ref().and_then(&text);
        TextWindow {
            since,
            until,
            whole: since.is_some() == f.since.is_some() && until.is_some() == f.until.is_some(),
        }
    }

    /// Whether a record whose time text is `t` is outside the bounds.
    #[inline]
    pub(super) fn rejects(&self, t: &[u8; 23]) -> bool {
        self.since.is_some_and(|b| b.order(t) == Ordering::Less)
            || self.until.is_some_and(|b| b.order(t) == Ordering::Greater)
    }
}

impl Plan {
    pub(super) fn new(f: &Filter) -> Plan {
        Plan {
            empty: f.is_empty(),
            prefilter: regex_prefilter(f),
            prefix: needs_prefix(f),
            bounded: f.since.is_some() || f.until.is_some(),
            utc: [f.since, f.until]
                .iter()
                .flatten()
                .any(|b| matches!(b, TimeBound::Instant { .. } | TimeBound::TimeOfDayAt(..))),
            fields: !f.tags.is_empty()
                || f.pid.is_some()
                || f.tid.is_some()
                || f.main_thread_only
                || f.regex.is_some()
                || f.message_regex.is_some()
                || f.reads_location(),
            window: TextWindow::new(f),
        }
    }
}

/// Whether the filter looks at fields before the header's location.
#[inline]
pub(super) fn needs_prefix(f: &Filter) -> bool {
    !f.tags.is_empty()
        || f.pid.is_some()
        || f.tid.is_some()
        || f.main_thread_only
        || f.since.is_some()
        || f.until.is_some()
}

/// The checks of [`Filter::matches`] on the fields before the location.
pub(super) fn prefix_fields_pass(f: &Filter, p: &Prefix<'_>) -> bool {
    !(f.pid.is_some_and(|x| x != p.pid)
        || f.tid.is_some_and(|x| x != p.tid)
        || (f.main_thread_only && !p.main_thread)
        || (!f.tags.is_empty() && !f.tags.iter().any(|t| t.matches(p.tag)))
        || !f.time_passes(&p.timestamp))
}

/// The checks of [`Filter::matches`] on the fields before the location,
/// parsed cheaply: `false` only for records the full check rejects too.
pub(super) fn prefix_passes(f: &Filter, bytes: &[u8]) -> bool {
    match parse_prefix(bytes) {
        Some(p) => prefix_fields_pass(f, &p),
        None => false, // no full header either
    }
}

/// The record's level, from its `[L]` (or the level of another shape).
#[inline(always)]
pub(super) fn level_of(bytes: &[u8]) -> Option<Level> {
    Level::of_bracket(bytes).or_else(|| other_level(bytes))
}

/// [`level_of`] for a record that is not a Mars bracket line.
#[inline(never)]
pub(super) fn other_level(bytes: &[u8]) -> Option<Level> {
    formats::level(bytes)
}

/// A filter with its [`Plan`], settled when the filter sink is built:
/// what decides on each record.
#[derive(Debug, Clone)]
pub(super) struct Planned {
    pub(super) filter: Filter,
    pub(super) plan: Plan,
}

impl Planned {
    pub(super) fn new(filter: Filter) -> Planned {
        Planned {
            plan: Plan::new(&filter),
            filter,
        }
    }

    /// The first checks of every record, before any of it is parsed: its
    /// level against the minimum, then (with [`Plan::prefilter`]) the message
    /// regex over its whole bytes, which a record whose bytes do not match
    /// fails.
    #[inline(always)]
    fn level_and_bytes_pass(&self, level: Level, bytes: &[u8], search: &Search) -> bool {
        let Planned { filter, plan } = self;
        if filter.min_level.is_some_and(|m| level < m) {
            return false;
        }
        if plan.prefilter
            && let Some(re) = &filter.regex
            && match search {
                Search::NoMatch => true,
                // A match inside the bytes is one of the bytes alone.
                Search::Hit(h) if h.end <= bytes.len() => false,
                _ => !re.is_match(bytes),
            }
        {
            return false;
        }
        true
    }

    /// Whether the record in `bytes` passes, with its level: the answer of
    /// `filter.matches(&Record::parse(bytes))`, parsing only what the filter
    /// reads (the level letter; the fields before the location when a filter
    /// is on them; the location only to find where the message starts).
    ///
    /// `search`: what a search over the whole chunk found of the message
    /// regex in `bytes` (for an assertion-free regex only); `memo`: the last
    /// date read, the offset of the last open banner.
    #[inline(always)]
    pub(super) fn decide(
        &self,
        bytes: &[u8],
        search: Search,
        memo: &mut Memo,
    ) -> Option<Option<Level>> {
        let Planned { filter, plan } = self;
        if plan.empty {
            return Some(level_of(bytes));
        }
        let Some(l) = Level::of_bracket(bytes) else {
            return self.decide_other(bytes, search, memo);
        };
        let level = Some(l);
        if !self.level_and_bytes_pass(l, bytes, &search) {
            return None;
        }
        let body = if plan.prefix {
            let bounded = plan.bounded;
            if bounded {
                // The time first, cut out on its own: a time bound rejects most
                // records before the rest of the header is read. (Where the
                // header is one, its time is this text; where it is not, the
                // record fails either way.)
                let time = match bytes.get(3..) {
                    Some([b'[', rest @ ..]) => &rest[..find_byte(b']', rest)?],
                    _ => return None,
                };
                let ts = memo.date.timestamp(time)?;
                if !filter.time_passes(&ts) {
                    return None;
                }
            }
            let p = header_spans(bytes)?;
            if filter.pid.is_some_and(|x| Some(x) != p.pid(bytes))
                || filter.tid.is_some_and(|x| Some(x) != p.tid(bytes))
                || (filter.main_thread_only && !p.main_thread())
                || (!filter.tags.is_empty()
                    && !filter.tags.iter().any(|t| t.matches(&bytes[p.tag()])))
                || (!bounded && !memo.date.ok_spans(bytes, &p))
            {
                return None;
            }
            p.body
        } else {
            body_start(bytes, &mut memo.date)?
        };
        let end = bytes.len() - usize::from(bytes.last() == Some(&b'\n'));
        if let Some(re) = &filter.regex {
            // Where the pattern looks: the message, or the whole record.
            let from = match filter.scope {
                Scope::Message => body,
                Scope::Record => 0,
            };
            let matches = match search {
                Search::NoMatch => false,
                // A match inside the text searched is one of that text alone.
                Search::Hit(h) if h.start >= from && h.end <= end => true,
                _ => re.is_match(&bytes[from..end]),
            };
            if matches == filter.invert {
                return None;
            }
        }
        if let Some(m) = &filter.message_regex
            && !m.is_match(&bytes[body..end])
        {
            return None;
        }
        if filter.reads_location()
            && !Record::parse(bytes)
                .header
                .is_some_and(|h| filter.rest_passes(&h))
        {
            return None;
        }
        Some(level)
    }

    /// [`Planned::decide`] for a record that is not a Mars bracket line (an
    /// IM SDK shape, a user-defined one, raw text), whose `level` was read
    /// at its place: the level and the time reject most records before the
    /// record is parsed. The shapes that write no UTC offset take
    /// `memo.offset`, the one of the Mars open banner before the record.
    #[inline(never)]
    pub(super) fn decide_other(
        &self,
        bytes: &[u8],
        search: Search,
        memo: &mut Memo,
    ) -> Option<Option<Level>> {
        let level = formats::level(bytes)?;
        if !self.level_and_bytes_pass(level, bytes, &search) {
            return None;
        }
        let time = formats::time_text(bytes);
        if self.plan.bounded
            && let Some(text) = time
        {
            // The header's own time, where it has one: compared as text with
            // the bounds on the wall clock (a time that is no time fails
            // anyway), read for the others.
            let window = if self.plan.utc {
                memo.window(&self.filter)
            } else {
                self.plan.window
            };
            if window.rejects(text) {
                return None;
            }
            if !window.whole {
                let ts = Timestamp {
                    local: formats::local_time(text)?,
                    offset_minutes: memo.offset,
                    raw: b"",
                };
                if !self.filter.time_passes(&ts) {
                    return None;
                }
            }
        }
        if !self.plan.fields && time.is_some() {
            // Only the level and the time were asked about: the header need
            // only be one.
            return formats::header_ok(bytes).then_some(Some(level));
        }
        let mut rec = Record::parse(bytes);
        rec.borrow_offset(memo.offset);
        self.filter.matches(&rec).then_some(rec.level)
    }
}
